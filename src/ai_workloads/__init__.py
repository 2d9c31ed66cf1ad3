"""Exact models of transformer workloads: parameters, FLOPs, bytes, KV cache, roofline.

>>> from ai_workloads import get_model, param_counts
>>> param_counts(get_model("llama-2-7b")).total
6738415616
"""

from .analysis.params import ParamCounts, param_counts
from .catalog import (
    accelerator_names,
    get_accelerator,
    get_model,
    model_entry,
    model_names,
    resolve_accelerator,
    resolve_model,
)
from .core.accelerator import Accelerator, accelerator_from_dict, load_accelerator
from .core.config import TransformerConfig, from_hf_dict, load_config
from .core.errors import WorkloadError

__all__ = [
    "Accelerator",
    "ParamCounts",
    "TransformerConfig",
    "WorkloadError",
    "accelerator_from_dict",
    "accelerator_names",
    "from_hf_dict",
    "get_accelerator",
    "get_model",
    "load_accelerator",
    "load_config",
    "model_entry",
    "model_names",
    "param_counts",
    "resolve_accelerator",
    "resolve_model",
]
__version__ = "0.1.0"
