"""Parameters, FLOPs and cache of a model split by the kinds of its layers.

Where layers differ (Gemma's local and global layers, DeepSeek's dense first layers, a
hybrid's recurrent layers), a total hides where the work and the bytes are. These functions
give each kind of layer its share, as the command line and the lecture show them; MLA's two
ways of running a decode step (:func:`mla_decode`) are compared here too.

>>> from ai_workloads.catalog import get_model
>>> parts = layer_type_breakdown(get_model("gemma-2-9b"), context=8192)
>>> [(p["kind"], p["layers"], p["cache_tokens"]) for p in parts]
[('sliding', 21, 4096), ('full', 21, 8192)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.config import TransformerConfig
from ..core.errors import WorkloadError, positive_int
from .flops import decode_flops, layer_op_flops
from .layer_parts import cached_tokens, cached_values
from .params import param_counts


def layer_type_breakdown(cfg: TransformerConfig, context: int, tokens: int = 1,
                         causal: bool = False) -> list[dict[str, Any]]:
    """For each kind of layer: how many, their parameters, the FLOPs of ``tokens`` new
    tokens at ``context`` (one decode step by default), and what they cache per sequence.

    ``cache_tokens`` is the tokens a layer keeps (``None`` for a recurrent layer, which keeps
    a state of ``cache_values`` instead); all numbers cover every layer of the kind.

    >>> from ai_workloads.catalog import get_model
    >>> [p["cache_values"] for p in layer_type_breakdown(get_model("llama-2-7b"), 1)]  # 32·2·4096
    [262144]
    """
    positive_int("context", context)
    counts = {g.kind: g for g in param_counts(cfg).groups}
    out = []
    for kind, count in cfg.layer_groups:
        recurrent = kind.mixer in ("linear", "mamba")
        flops = sum(layer_op_flops(cfg, kind, tokens, context, causal).values())
        out.append({
            "kind": kind.key, "label": kind.label, "layers": count,
            "window": cfg.window(kind.mixer) or None,
            "params": count * counts[kind].params,
            "flops": count * flops,
            "cache_tokens": None if recurrent else cached_tokens(cfg, kind, context),
            "cache_values": count * cached_values(cfg, kind, context),
        })
    return out


@dataclass(frozen=True, slots=True)
class MlaDecode:
    """One decode step of an MLA model both ways, in matmul FLOPs.

    ``expanded``: as transformers runs it, every cached latent re-expanded through ``kv_b``
    to per-head keys and values at every step. ``absorbed``: ``kv_b``'s halves folded into
    the query and the output, so scores and ``A·V`` work on the cached latent directly.
    """

    model: str
    context: int
    expanded: int
    absorbed: int

    @property
    def ratio(self) -> float:
        """How many times more FLOPs the expanded form does."""
        return self.expanded / self.absorbed


def mla_decode(cfg: TransformerConfig, context: int) -> MlaDecode:
    """The FLOPs of one decode token at ``context`` in the expanded and absorbed forms.

    >>> from ai_workloads.catalog import get_model
    >>> step = mla_decode(get_model("deepseek-v3"), 4096)
    >>> round(step.ratio, 1)
    59.3
    """
    if cfg.latent is None:
        raise WorkloadError(f"{cfg.name} has no multi-head latent attention")
    return MlaDecode(cfg.name, context, expanded=decode_flops(cfg, context),
                     absorbed=decode_flops(cfg, context, absorbed=True))
