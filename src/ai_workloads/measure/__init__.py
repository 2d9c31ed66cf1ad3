"""The one place that times anything: this machine's bandwidth, matmul rates and decode speed.

Results are labelled as measured; every other layer is deterministic.

>>> from ai_workloads.measure.machine import stream_bytes
>>> stream_bytes("copy", 1000)   # read 8 kB of float64, write 8 kB
16000
"""
