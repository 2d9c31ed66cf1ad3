"""The one place that times anything: this machine's bandwidth, matmul rates and decode speed.

Results are labelled as measured; every other layer is deterministic. The modules are split
by what they measure: timing primitives and the spread of samples
(:mod:`~ai_workloads.measure.timing`), the machine's
description (:mod:`~ai_workloads.measure.machine`), memory bandwidth, GEMM and GEMV rates,
the roofline built from those, reference-model decode and its profile, and the whole-machine
report (:mod:`~ai_workloads.measure.report`), and a reference run of a quiet machine kept
in a file (``ai_workloads.measure.reference_run``). Only this layer, :mod:`ai_workloads.present`
and the command line import it.

>>> from ai_workloads.measure.bandwidth import stream_bytes
>>> stream_bytes("copy", 1000)   # read 8 kB of float64; write 8 kB, read first (write-allocate)
24000
"""
