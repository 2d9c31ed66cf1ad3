"""The NumPy reference transformer, its tracer and the per-op rooflines of a trace.

An independent check of :mod:`ai_workloads.analysis`: the model runs real arithmetic, the
tracer records every op's shapes, FLOPs and bytes from the arrays it sees, and the tests hold
those counts equal to the formulas. So this layer never imports the analyses it checks (nor
the presentation layer, nor the catalog); it imports only :mod:`ai_workloads.core`. Its
modules, bottom-up: the ops (:mod:`~ai_workloads.reference.ops`,
:mod:`~ai_workloads.reference.rope`), the KV cache, the weights, the tiny configs, the model,
the tracer and the per-op rooflines.

>>> import numpy as np
>>> from ai_workloads.reference.configs import tiny_config
>>> from ai_workloads.reference.model import ReferenceModel
>>> ReferenceModel(tiny_config("llama-gqa")).forward(np.array([[1, 2, 3]])).shape[:2]
(1, 3)
"""
