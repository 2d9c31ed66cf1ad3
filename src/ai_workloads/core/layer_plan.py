"""Which layer is which: the per-layer plan of a config, and its consistency checks.

A config names its layers' mixers in ``layer_types`` (empty: every layer ``full``) and its
MoE layers in ``moe_layers`` (``None``: every layer, when it has experts). The checks here
turn an inconsistent plan (a list of the wrong length, a sliding layer without a window, an
MoE layer index past the last layer) into one clear error.

>>> from ai_workloads.catalog import get_model
>>> [k.label for k in layer_kinds(get_model("mixtral-8x7b"))][:2]
['full + MoE', 'full + MoE']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import WorkloadError
from .parts import MIXERS, LayerKind

if TYPE_CHECKING:
    from .config import TransformerConfig


def layer_kinds(cfg: TransformerConfig) -> tuple[LayerKind, ...]:
    """The kind of each of the ``L`` layers, in order.

    >>> from ai_workloads.catalog import get_model
    >>> {k.mixer for k in layer_kinds(get_model("mistral-7b"))}
    {'sliding'}
    """
    mixers = cfg.layer_types or ("full",) * cfg.n_layers
    if not cfg.is_moe:
        return tuple(LayerKind(m, False) for m in mixers)
    moe = set(range(cfg.n_layers)) if cfg.moe_layers is None else set(cfg.moe_layers)
    return tuple(LayerKind(m, i in moe) for i, m in enumerate(mixers))


def _needs(cfg: TransformerConfig, mixer: str, present: bool, keys: str) -> None:
    if mixer in cfg.layer_types and not present:
        raise WorkloadError(f"{cfg.name}: {mixer} layers need {keys}")


def check_layers(cfg: TransformerConfig) -> None:
    """Raise a one-line :class:`WorkloadError` when the layer plan is inconsistent.

    >>> from ai_workloads.catalog import get_model
    >>> get_model("llama-2-7b").replace(layer_types=("full",) * 3)
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: llama-2-7b: layer_types has 3 entries but ...
    """
    name, layers = cfg.name, cfg.n_layers
    if cfg.layer_types:
        if len(cfg.layer_types) != layers:
            raise WorkloadError(
                f"{name}: layer_types has {len(cfg.layer_types)} entries but "
                f"num_hidden_layers is {layers}; give one entry per layer")
        unknown = sorted(set(cfg.layer_types) - set(MIXERS))
        if unknown:
            raise WorkloadError(
                f"{name}: unknown layer type {unknown[0]!r} in layer_types; known: "
                f"{', '.join(MIXERS)}")
    for key in ("sliding_window", "attention_chunk", "dense_d_ff", "shared_d_ff"):
        value = getattr(cfg, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise WorkloadError(f"{name}: {key} must be a positive integer, got {value!r}")
    _needs(cfg, "sliding", cfg.sliding_window > 0, "a sliding_window")
    _needs(cfg, "chunked", cfg.attention_chunk > 0, "an attention_chunk_size")
    _needs(cfg, "linear", cfg.deltanet is not None, "the linear_* shape keys")
    _needs(cfg, "mamba", cfg.mamba is not None, "the mamba_* shape keys")
    if cfg.moe_layers is not None:
        bad = [i for i in cfg.moe_layers if not 0 <= i < layers]
        if bad:
            raise WorkloadError(
                f"{name}: MoE layer {bad[0]} is outside layers 0..{layers - 1}")
    if cfg.shared_d_ff and not cfg.is_moe:
        raise WorkloadError(f"{name}: shared experts need an MoE (more than one expert)")
    if cfg.qk_norm not in ("none", "head", "full"):
        raise WorkloadError(f"{name}: qk_norm must be 'none', 'head' or 'full'")
    if cfg.norm_layout not in ("pre", "sandwich", "post", "parallel"):
        raise WorkloadError(
            f"{name}: norm_layout must be 'pre', 'sandwich', 'post' or 'parallel'")
