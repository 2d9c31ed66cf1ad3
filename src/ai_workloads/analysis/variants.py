"""Attention heads and modern variants: head splits, RoPE, KV sharing, FlashAttention, MoE.

Each function composes the core analyses (:mod:`~ai_workloads.analysis.flops`,
:mod:`~ai_workloads.analysis.memory`, :mod:`~ai_workloads.analysis.params`,
:mod:`~ai_workloads.analysis.roofline`); RoPE is written out here, and the tests check it
against the reference model's (:func:`ai_workloads.reference.rope.rope`). Counts and bytes
are ints.

>>> from ai_workloads.catalog import get_model
>>> [v.reduction for v in kv_variants(get_model("llama-2-70b"), (64, 8, 1))]
[1, 8, 64]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..core.config import TransformerConfig
from ..core.dtypes import nbytes
from ..core.errors import WorkloadError, positive_int
from .flops import op_flops
from .memory import attention_memory_bytes, kv_cache_bytes, weight_bytes
from .params import param_counts
from .roofline import moe_weight_bytes_read

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: The matmuls of the attention sub-layer in :func:`ai_workloads.analysis.flops.op_flops`.
ATTENTION_OPS: tuple[str, ...] = ("q", "k", "v", "scores", "attn_v", "o")


# ----------------------------------------------------------------------------- heads

@dataclass(frozen=True, slots=True)
class HeadLayout:
    """How a model splits its width ``D`` into ``N`` query heads and ``K`` KV heads of ``H``."""

    d_model: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    kind: str

    @property
    def width_per_head(self) -> float:
        """``D / N``: the head width if the heads exactly tile the model width."""
        return self.d_model / self.n_heads

    @property
    def group_size(self) -> int:
        """``N / K``: query heads sharing each KV head."""
        return self.n_heads // self.n_kv_heads

    @property
    def q_width(self) -> int:
        """``N·H``: the width of the query heads side by side (``D`` when they tile it)."""
        return self.n_heads * self.head_dim


def head_layout(cfg: TransformerConfig) -> HeadLayout:
    """The head split of ``cfg``.

    >>> from ai_workloads.catalog import get_model
    >>> h = head_layout(get_model("llama-2-70b"))
    >>> h.n_heads, h.n_kv_heads, h.head_dim, h.width_per_head, h.group_size, h.kind
    (64, 8, 128, 128.0, 8, 'GQA')
    >>> h.q_width   # 64 heads of 128
    8192
    """
    return HeadLayout(cfg.d_model, cfg.n_heads, cfg.n_kv_heads, cfg.head_dim,
                      cfg.attention_kind)


def single_head(cfg: TransformerConfig) -> TransformerConfig:
    """``cfg`` with one attention head as wide as all of its query heads together.

    >>> from ai_workloads.catalog import get_model
    >>> one = single_head(get_model("bert-base"))
    >>> one.n_heads, one.n_kv_heads, one.head_dim
    (1, 1, 768)
    """
    if cfg.n_kv_heads != cfg.n_heads:
        raise WorkloadError(f"{cfg.name} shares KV heads (K={cfg.n_kv_heads} < N="
                            f"{cfg.n_heads}); compare single-head with cfg.with_mha()")
    return cfg.replace(n_heads=1, n_kv_heads=1, head_dim=cfg.q_dim)


def attention_flops(cfg: TransformerConfig, tokens: int, context: int | None = None) -> int:
    """Matmul FLOPs of the attention sub-layers (q, k, v, scores, A·V, o), all layers.

    One forward pass over ``tokens`` tokens attending ``context`` keys (default: ``tokens``),
    counted over the full score matrix.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("bert-base")   # 12 · (4 · 2·T·D² + 2 · 2·T²·D), T = 128, D = 768
    >>> attention_flops(cfg, 128) == 12 * (8 * 128 * 768**2 + 4 * 128**2 * 768)
    True
    """
    ops = op_flops(cfg, tokens, context if context is not None else tokens)
    return sum(ops.get(name, 0) for name in ATTENTION_OPS)


# ----------------------------------------------------------------------------- RoPE

def rope_frequencies(head_dim: int, theta: float = 10000.0) -> FloatArray:
    """RoPE's angle per position of each of the ``H/2`` pairs: ``θ_i = theta^(-2i/H)``.

    >>> rope_frequencies(8).round(4).tolist()
    [1.0, 0.1, 0.01, 0.001]
    >>> rope_frequencies(7)
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: RoPE needs an even head_dim, got 7
    """
    positive_int("head_dim", head_dim)
    if head_dim % 2:
        raise WorkloadError(f"RoPE needs an even head_dim, got {head_dim}")
    pairs = np.arange(head_dim // 2, dtype=np.float64)
    freqs: FloatArray = theta ** (-2.0 * pairs / head_dim)
    return freqs


def rope_rotate(x: npt.ArrayLike, positions: npt.ArrayLike,
                theta: float = 10000.0) -> FloatArray:
    """Rotate each row of ``x`` ``[T, H]`` by RoPE at its position (rotate-half pairing).

    Dimension ``i < H/2`` pairs with ``i + H/2``, and the pair turns by
    ``position · θ_i`` (:func:`rope_frequencies`): ``(a, b) → (a·cos − b·sin, b·cos + a·sin)``.

    >>> rope_rotate([[1.0, 0.0]], [1]).round(4).tolist()   # H = 2: one pair, θ_0 = 1
    [[0.5403, 0.8415]]
    """
    rows = np.asarray(x, dtype=np.float64)
    if rows.ndim != 2:
        raise WorkloadError(f"x must be a 2-D [T, H] matrix, got {rows.ndim}-D")
    half = rows.shape[1] // 2
    angles = (np.asarray(positions, dtype=np.float64)[:, None]
              * rope_frequencies(rows.shape[1], theta)[None, :])  # [T, H/2]
    cos, sin = np.cos(angles), np.sin(angles)
    first, second = rows[:, :half], rows[:, half:]
    out: FloatArray = np.concatenate([first * cos - second * sin,
                                      second * cos + first * sin], axis=1)
    return out


def rope_scores(distances: Sequence[int] | npt.ArrayLike, head_dim: int,
                theta: float = 10000.0, query_position: int = 0) -> FloatArray:
    """``q·k / H`` for ``q = k = (1, …, 1)`` with RoPE, key ``d`` positions before the query.

    The query sits at ``query_position + d`` and the key at ``query_position``; the score
    depends only on ``d`` (RoPE turns absolute positions into relative ones), and it is 1 at
    ``d = 0`` and oscillates with a decaying envelope as ``d`` grows (Su et al., 2021).

    >>> s = rope_scores([0, 1, 100], head_dim=64)
    >>> float(s[0]), bool(np.allclose(s, rope_scores([0, 1, 100], 64, query_position=500)))
    (1.0, True)
    """
    positive_int("head_dim", head_dim)
    d = np.asarray(distances, dtype=np.int64)
    if d.ndim != 1 or (d < 0).any():
        raise WorkloadError("distances must be a 1-D list of non-negative integers")
    ones = np.ones((d.size, head_dim))
    q = rope_rotate(ones, query_position + d, theta)
    k = rope_rotate(ones, np.full(d.size, query_position), theta)
    scores: FloatArray = (q * k).sum(axis=-1) / head_dim
    return scores


# ----------------------------------------------------------------------------- grouping

def catalog_groups(key: Callable[[TransformerConfig], str],
                   models: Sequence[tuple[str, TransformerConfig]]) -> dict[str, list[str]]:
    """The display names of ``models`` (``(display, config)`` pairs, in their order) grouped
    by ``key(config)``.

    >>> from ai_workloads.catalog import model_entries
    >>> groups = catalog_groups(lambda cfg: cfg.attention_kind,
    ...                         [(e.display, e.config) for e in model_entries()])
    >>> groups["MQA"]
    ['Gemma 2B']
    >>> "Llama 2 70B" in groups["GQA"], sorted(groups)
    (True, ['GQA', 'MHA', 'MQA'])
    """
    out: dict[str, list[str]] = {}
    for display, cfg in models:
        out.setdefault(key(cfg), []).append(display)
    return out


# ----------------------------------------------------------------------------- KV sharing

@dataclass(frozen=True, slots=True)
class KvVariant:
    """One attention variant of a model shape: ``K`` KV heads and what it caches."""

    kind: str
    n_kv_heads: int
    elements_per_token: int
    bytes_per_token: int
    cache_bytes: int
    reduction: int


def kv_variants(cfg: TransformerConfig, kv_heads: Sequence[int] | None = None,
                context: int = 4096, batch: int = 1, dtype: str = "bf16") -> list[KvVariant]:
    """KV cache of ``cfg``'s shape with each number of KV heads (default ``N``, 8, 1).

    Per token the cache holds ``2·L·K·H`` values; the reduction against MHA is ``N/K``.

    >>> from ai_workloads.catalog import get_model
    >>> v = kv_variants(get_model("llama-2-7b"), context=1)
    >>> [(x.kind, x.n_kv_heads, x.bytes_per_token, x.reduction) for x in v]
    [('MHA', 32, 524288, 1), ('GQA', 8, 131072, 4), ('MQA', 1, 16384, 32)]
    """
    heads = list(kv_heads) if kv_heads is not None else [cfg.n_heads, 8, 1]
    out = []
    for k in heads:
        positive_int("kv_heads", k)
        if cfg.n_heads % k:
            raise WorkloadError(f"{k} KV heads do not divide {cfg.n_heads} query heads; "
                                "use a divisor of N")
        shape = cfg.replace(n_kv_heads=k)
        per_token = kv_cache_bytes(shape, 1, 1, dtype)
        out.append(KvVariant(shape.attention_kind, k, 2 * shape.n_layers * shape.kv_dim,
                             per_token, kv_cache_bytes(shape, context, batch, dtype),
                             cfg.n_heads // k))
    return out


# ----------------------------------------------------------------------------- FlashAttention

@dataclass(frozen=True, slots=True)
class AttentionMemoryCurve:
    """Attention working memory against context, standard and FlashAttention, in bytes."""

    tokens: IntArray
    standard: IntArray
    flash: IntArray
    head_dim: int
    heads: int
    dtype: str


def attention_memory_curve(tokens: Sequence[int] | npt.ArrayLike, head_dim: int = 128,
                           heads: int = 1, dtype: str = "fp32") -> AttentionMemoryCurve:
    """:func:`ai_workloads.analysis.memory.attention_memory_bytes` over a grid of context lengths.

    >>> c = attention_memory_curve([1_000, 1_000_000])
    >>> c.standard.tolist(), c.flash.tolist()
    ([4512000, 4000512000000], [520000, 520000000])
    """
    grid = np.asarray(tokens, dtype=np.int64)
    if grid.ndim != 1 or grid.size == 0:
        raise WorkloadError("tokens must be a non-empty 1-D list of context lengths")
    std = [attention_memory_bytes(int(t), head_dim, heads, dtype) for t in grid]
    fla = [attention_memory_bytes(int(t), head_dim, heads, dtype, flash=True) for t in grid]
    return AttentionMemoryCurve(grid, np.array(std, dtype=np.int64),
                                np.array(fla, dtype=np.int64), head_dim, heads, dtype)


def score_matrix_bytes(tokens: int, heads: int = 1, dtype: str = "fp32") -> int:
    """Bytes of the ``T×T`` attention score matrix alone, ``heads`` of them.

    >>> score_matrix_bytes(1_000_000)   # 10**12 scores of 4 bytes: 4 TB
    4000000000000
    """
    positive_int("tokens", tokens)
    positive_int("heads", heads)
    return nbytes(heads * tokens * tokens, dtype)


def longest_standard_context(capacity_bytes: int, head_dim: int = 128, heads: int = 1,
                             dtype: str = "fp32") -> int:
    """The longest context whose standard-attention working memory fits ``capacity_bytes``.

    >>> longest_standard_context(80 * 10**9)   # 4·(T² + 128·T) <= 8·10¹⁰
    141357
    """
    positive_int("capacity_bytes", capacity_bytes)
    lo, hi = 0, 1
    while attention_memory_bytes(hi, head_dim, heads, dtype) <= capacity_bytes:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if attention_memory_bytes(mid, head_dim, heads, dtype) <= capacity_bytes:
            lo = mid
        else:
            hi = mid
    return lo


# ----------------------------------------------------------------------------- MoE

@dataclass(frozen=True, slots=True)
class MoeSummary:
    """Total vs active parameters of an MoE model, its FLOPs per token, and the weight bytes
    a decode step reads.

    ``dense_total`` is the same shape with one expert per layer (for Mixtral 8x7B, exactly
    Mistral 7B); ``flops_per_token`` and ``flops_all_experts`` are the matmul FLOPs of one
    token with ``k`` and with all ``E`` experts run (context 1, so attention adds almost
    nothing).
    """

    total: int
    active: int
    expert_params: int
    dense_total: int
    flops_per_token: int
    flops_all_experts: int
    total_bytes: int
    read_batch_1: float
    read_large_batch: float
    large_batch: int
    n_experts: int
    experts_per_token: int

    @property
    def active_fraction(self) -> float:
        """Active parameters per token as a fraction of the total."""
        return self.active / self.total

    @property
    def routed_fraction(self) -> float:
        """``k/E``: the share of the experts a token runs (of the expert MLPs only)."""
        return self.experts_per_token / self.n_experts

    @property
    def expert_share(self) -> float:
        """The experts' share of all parameters."""
        return self.expert_params / self.total

    @property
    def flops_fraction(self) -> float:
        """Matmul FLOPs per token with ``k`` experts over those with all ``E`` experts run."""
        return self.flops_per_token / self.flops_all_experts

    @property
    def total_over_dense(self) -> float:
        """Total parameters over those of the same shape with one expert."""
        return self.total / self.dense_total

    @property
    def active_over_dense(self) -> float:
        """Active parameters over those of the same shape with one expert."""
        return self.active / self.dense_total

    @property
    def read_fraction_batch_1(self) -> float:
        """Share of the weight bytes a batch-1 decode step reads."""
        return self.read_batch_1 / self.total_bytes

    @property
    def read_fraction_large_batch(self) -> float:
        """Share of the weight bytes a decode step of ``large_batch`` tokens reads."""
        return self.read_large_batch / self.total_bytes


def dense_counterpart(cfg: TransformerConfig) -> TransformerConfig:
    """``cfg`` with a single expert per layer: the dense model of the same shape.

    >>> from ai_workloads.catalog import get_model
    >>> dense_counterpart(get_model("mixtral-8x7b")).is_moe
    False
    """
    return cfg.replace(name=f"{cfg.name}-dense", n_experts=1, experts_per_token=1)


def moe_summary(cfg: TransformerConfig, large_batch: int = 64,
                dtype: str = "bf16") -> MoeSummary:
    """Parameters, FLOPs per token and decode weight reads of an MoE model (uniform routing).

    >>> from ai_workloads.catalog import get_model
    >>> m = moe_summary(get_model("mixtral-8x7b"))
    >>> m.total, m.active, round(m.active_fraction, 3), m.read_batch_1 == 2 * m.active
    (46702792704, 12879925248, 0.276, True)
    >>> m.dense_total, m.routed_fraction
    (7241732096, 0.25)
    """
    if not cfg.is_moe:
        raise WorkloadError(f"{cfg.name} is dense (n_experts = 1); pick an MoE model "
                            "such as mixtral-8x7b")
    positive_int("large_batch", large_batch)
    counts = param_counts(cfg)
    experts = counts.expert_params
    every_expert = cfg.replace(experts_per_token=cfg.n_experts)
    return MoeSummary(counts.total, counts.active, experts,
                      param_counts(dense_counterpart(cfg)).total,
                      sum(op_flops(cfg, 1, 1).values()),
                      sum(op_flops(every_expert, 1, 1).values()),
                      weight_bytes(cfg, dtype),
                      moe_weight_bytes_read(cfg, 1, dtype),
                      moe_weight_bytes_read(cfg, large_batch, dtype), large_batch,
                      cfg.n_experts, cfg.experts_per_token)
