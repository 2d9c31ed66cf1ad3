"""The answers to "how many parameters", "how much memory" and "how fast", as JSON objects.

One home for what the command line prints with ``--json`` and what the in-browser calculator
shows: each function gathers the analyses' results for one question into a dict of plain
numbers and strings (no arithmetic of its own) and both front ends print or show it as it is.
The formats rule (:func:`formats`) is the command line's: weights default to how a quantized
checkpoint stores them, else bf16; the KV cache to the weights' unquantized format.

>>> from ai_workloads.catalog import get_accelerator, get_model
>>> params_answer(get_model("llama-2-7b"))["total"]
6738415616
>>> step = roofline_answer(get_model("llama-2-70b"), get_accelerator("h100-sxm"),
...                        context=2048, batches=(1,), devices=2)["steps"][0]
>>> step["bound"], round(step["tokens_per_s"], 1)
('memory', 48.3)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..analysis.by_layer_type import layer_type_breakdown
from ..analysis.memory import cache_bytes, devices_needed, max_batch, serving_memory
from ..analysis.params import param_counts
from ..analysis.roofline import critical_batch, decode_step, ridge_point
from ..catalog import model_entry
from ..core.accelerator import Accelerator
from ..core.config import TransformerConfig
from ..core.errors import WorkloadError
from ..core.quantization import AS_STORED, kv_format, weight_scheme


def formats(cfg: TransformerConfig, dtype: str | None,
            kv_dtype: str | None) -> tuple[str, str, tuple[str, ...]]:
    """The weights' format, the KV cache's, and a note on quantized weights.

    >>> from ai_workloads.catalog import get_model
    >>> formats(get_model("llama-3-8b"), "int4", None)[:2]
    ('int4', 'bf16')
    """
    chosen = dtype or (AS_STORED if cfg.quantization is not None else "bf16")
    scheme = weight_scheme(cfg, chosen)
    note: tuple[str, ...]
    if chosen == AS_STORED:
        note = (f"weights: as the checkpoint stores them ({scheme.label})",)
    elif scheme.quantized:
        note = (f"weights: {scheme.label}; norms, embeddings, LM head and routers in "
                f"{scheme.base}",)
    else:
        note = ()
    return chosen, kv_format(cfg, kv_dtype, chosen), note


def published(cfg: TransformerConfig) -> dict[str, Any]:
    """What the vendor published of a catalog model (empty for any other config).

    >>> from ai_workloads.catalog import get_model
    >>> published(get_model("llama-2-7b"))["published"]
    6738415616
    """
    try:
        entry = model_entry(cfg.name)
    except WorkloadError:
        return {}
    if entry.config != cfg:
        return {}
    return {"published": entry.published_params,
            "published_active": entry.published_active_params,
            "published_label": entry.published_label,
            "published_active_label": entry.published_active_label,
            "published_note": entry.published_note,
            "source": entry.params_source}


def params_answer(cfg: TransformerConfig) -> dict[str, Any]:
    """Parameters: total, active, by category, component and layer type (``params --json``).

    >>> from ai_workloads.catalog import get_model
    >>> params_answer(get_model("mixtral-8x7b"))["active"]
    12879925248
    """
    counts = param_counts(cfg)
    data = {"model": cfg.name, "total": counts.total, "active": counts.active,
            "by_category": counts.by_category(), "by_component": counts.by_component(),
            "by_layer_type": [{"kind": g.kind.key, "layers": g.count,
                               "params_per_layer": g.params, "components": dict(g.components)}
                              for g in counts.groups], **published(cfg)}
    if cfg.uniform:
        data["per_layer"] = dict(counts.per_layer)
    if cfg.text_of:
        data["text_model_of"] = cfg.text_of
    return data


def memory_answer(cfg: TransformerConfig, context: int, batch: int = 1,
                  dtype: str | None = None, kv_dtype: str | None = None,
                  chip: Accelerator | None = None) -> dict[str, Any]:
    """Weights, KV cache (per layer type) and activations of serving ``batch`` sequences at
    ``context`` (``memory --json``); with ``chip``, devices needed and the largest batch.

    >>> from ai_workloads.catalog import get_model
    >>> memory_answer(get_model("mistral-7b"), 32768)["kv_cache"]
    536870912
    """
    dtype, kv_dtype, _ = formats(cfg, dtype, kv_dtype)
    mem = serving_memory(cfg, context, batch, dtype, kv_dtype)
    data: dict[str, Any] = {"model": cfg.name, "context": context, "batch": batch,
                            "dtype": dtype, "weights_format": weight_scheme(cfg, dtype).label,
                            "kv_dtype": kv_dtype, "weights": mem.weights,
                            "kv_cache": mem.kv_cache, "activations": mem.activations,
                            "total": mem.total}
    by_kind = cache_bytes(cfg, context, batch, kv_dtype)
    data["kv_cache_by_layer_type"] = [
        {"kind": p["kind"], "layers": p["layers"], "cached_tokens": p["cache_tokens"],
         "values": batch * p["cache_values"], "bytes": by_kind[p["kind"]]}
        for p in layer_type_breakdown(cfg, context)]
    if chip is not None:
        data["hardware"] = chip.name
        data["devices_needed"] = devices_needed(cfg, chip, context, batch, dtype, kv_dtype)
        data["max_batch_one_device"] = max_batch(cfg, chip, context, 1, dtype, kv_dtype)
        data["fit_bytes"], data["fit_basis"] = chip.fit_bytes, chip.fit_basis
    return data


def roofline_answer(cfg: TransformerConfig, chip: Accelerator, context: int = 2048,
                    batches: Sequence[int] = (1, 8, 32, 128), dtype: str | None = None,
                    kv_dtype: str | None = None, compute_dtype: str | None = None,
                    devices: int = 1) -> dict[str, Any]:
    """The decode step's time bound and tokens/s at each batch on ``devices`` chips, the
    ridge point, the batch where compute starts to bind and the largest batch that fits
    (``roofline --json``).

    >>> from ai_workloads.catalog import get_accelerator, get_model
    >>> roofline_answer(get_model("llama-2-70b"), get_accelerator("h100-sxm"),
    ...                 devices=2)["max_batch"]
    49
    """
    dtype, kv_dtype, _ = formats(cfg, dtype, kv_dtype)
    compute = compute_dtype or weight_scheme(cfg, dtype).compute_dtype(chip.peak_flops)
    steps = [decode_step(cfg, chip, context, b, dtype, kv_dtype, compute, n_devices=devices)
             for b in batches]
    fit = max_batch(cfg, chip, context, devices, dtype, kv_dtype)
    return {
        "model": cfg.name, "hardware": chip.name, "context": context, "devices": devices,
        "dtype": dtype, "weights_format": weight_scheme(cfg, dtype).label,
        "kv_dtype": kv_dtype, "compute_dtype": compute,
        "ridge_point": ridge_point(chip, compute),
        "critical_batch": critical_batch(cfg, chip, context, dtype, kv_dtype, compute),
        "max_batch": fit, "fit_bytes": chip.fit_bytes, "fit_basis": chip.fit_basis,
        "steps": [{"batch": s.batch, "flops": s.flops, "bytes": s.bytes, "time_s": s.time,
                   "bound": s.bound, "intensity": s.intensity, "tokens_per_s": s.tokens_per_s,
                   "tokens_per_s_per_sequence": s.tokens_per_s_per_sequence,
                   "fits": s.batch <= fit} for s in steps],
    }
