"""Pure functions on configs and specs: parameters, FLOPs, matmul cost, memory, roofline and
decode, sweeps, attention maths, variants, scaling, growth fitting and the errata's
computations.

They take :mod:`ai_workloads.core` objects and return numbers (exact ints for counts and bytes,
floats for rates and times). No I/O, no plotting, no formatting: they import only
:mod:`ai_workloads.core`, and the caller brings the models and chips (usually from
:mod:`ai_workloads.catalog`).

>>> from ai_workloads.catalog import get_model
>>> from ai_workloads.analysis.params import param_counts
>>> param_counts(get_model("gpt2")).total
124439808
"""
