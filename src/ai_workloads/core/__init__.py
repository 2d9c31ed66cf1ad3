"""The vocabulary every other layer speaks: model configs, accelerator specs, number formats,
units and errors.

A :class:`~ai_workloads.core.config.TransformerConfig` holds a model's shape and is validated
when it is made; an :class:`~ai_workloads.core.accelerator.Accelerator` holds a chip's dense
peaks, bandwidth and capacity; :mod:`~ai_workloads.core.dtypes` says how many bits each number
format stores; :mod:`~ai_workloads.core.units` converts for display. Nothing here imports another
layer, and nothing here needs NumPy.

>>> from ai_workloads.core.config import from_hf_dict
>>> cfg = from_hf_dict({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
...                     "num_attention_heads": 4, "intermediate_size": 256, "vocab_size": 100})
>>> cfg.head_dim, cfg.n_kv_heads
(16, 4)
"""
