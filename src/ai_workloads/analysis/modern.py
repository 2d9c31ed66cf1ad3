"""The architectures of 2026 in numbers: latent attention, windows, recurrent hybrids,
fine-grained experts and attention sinks.

Each function answers one question the lecture asks of these models, from the per-layer
counts of :mod:`~ai_workloads.analysis.layer_parts`, :mod:`~ai_workloads.analysis.flops`,
:mod:`~ai_workloads.analysis.memory` and :mod:`~ai_workloads.analysis.params`:

- :func:`cache_kind`: which kind of cache a model keeps (one of :data:`CACHE_KINDS`).
- :func:`mla_cache` and :func:`mla_layer_decode`: what an MLA layer caches per token against
  MHA and GQA of the same heads, and the decode FLOPs of its expanded and absorbed forms.
- :func:`cache_curve` and :func:`all_full`: a sequence's cache against context, layer kind by
  layer kind, beside the same model with every layer full attention.
- :func:`state_as_tokens`: a recurrent layer's fixed state in tokens of an attention layer.
- :func:`catalog_cache`: one sequence's cache across many models at one context.
- :func:`moe_counts` and :func:`moe_bias_params`: total and active parameters, with what
  each count includes, and the biases of routers and experts.
- :func:`sink_softmax`: attention weights when a learned sink logit joins the softmax.

The module needs no NumPy.

>>> from ai_workloads.catalog import get_model
>>> cache_kind(get_model("deepseek-v3")), cache_kind(get_model("gemma-3-12b"))
('MLA', 'window')
>>> mla_cache(get_model("deepseek-v3")).latent      # kv_rank 512 + RoPE key 64
576
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from ..core.config import TransformerConfig
from ..core.dtypes import nbytes
from ..core.errors import WorkloadError, positive_int
from ..core.parts import ATTENTION_MIXERS, MIXERS, RECURRENT_MIXERS, LatentAttention, LayerKind
from .flops import CONTEXT_OPS, layer_op_flops
from .layer_parts import layer_linears
from .memory import cache_bytes, kv_cache_bytes
from .params import param_counts

#: The kinds of cache :func:`cache_kind` tells apart, in the order legends list them.
CACHE_KINDS: tuple[str, ...] = ("MHA", "GQA", "MQA", "MLA", "window", "hybrid")


def _windowed(cfg: TransformerConfig, mixer: str) -> bool:
    """Whether a layer of ``mixer`` keeps fewer tokens than the model's longest context."""
    window = cfg.window(mixer)
    return 0 < window < cfg.max_position


def cache_kind(cfg: TransformerConfig) -> str:
    """The kind of cache ``cfg`` keeps: ``"hybrid"`` when some layers are recurrent,
    ``"MLA"`` for latent attention, ``"window"`` when some layers keep a window or chunk
    shorter than the model's context, else its head sharing (``"MHA"``, ``"GQA"``, ``"MQA"``).

    A window at least as long as the context (Phi-4-mini's) limits nothing and does not count.

    >>> from ai_workloads.catalog import get_model
    >>> [cache_kind(get_model(n)) for n in ("llama-2-7b", "mistral-7b", "phi-4-mini",
    ...                                     "granite-4.0-h-small")]
    ['MHA', 'window', 'GQA', 'hybrid']
    """
    mixers = {kind.mixer for kind in cfg.layer_kinds}
    if mixers & set(RECURRENT_MIXERS):
        return "hybrid"
    if cfg.latent is not None:
        return "MLA"
    if any(_windowed(cfg, mixer) for mixer in mixers):
        return "window"
    return cfg.attention_kind


# ----------------------------------------------------------------------------- latent attention

def _latent(cfg: TransformerConfig) -> LatentAttention:
    if cfg.latent is None:
        raise WorkloadError(f"{cfg.name} has no multi-head latent attention")
    return cfg.latent


@dataclass(frozen=True, slots=True)
class MlaCache:
    """What one MLA layer caches per token (values), and what standard attention with the
    same heads would: MHA with a key of ``qk_dim`` and a value of ``v_dim`` for each of the
    ``N`` heads, or GQA with ``gqa_heads`` KV heads of those widths."""

    layers: int
    n_heads: int
    kv_rank: int
    rope_dim: int
    nope_dim: int
    v_dim: int
    gqa_heads: int
    bytes_per_token: int  # all layers, in the cache's format
    mha_bytes_per_token: int  # the same, with MHA of the same heads

    @property
    def latent(self) -> int:
        """Values cached per token and layer: the latent and the shared RoPE key."""
        return self.kv_rank + self.rope_dim

    @property
    def qk_dim(self) -> int:
        """Width of one head's query and key: ``nope_dim + rope_dim``."""
        return self.nope_dim + self.rope_dim

    @property
    def mha(self) -> int:
        """Values MHA of the same heads would cache per token and layer: ``N·(qk + v)``."""
        return self.n_heads * (self.qk_dim + self.v_dim)

    @property
    def gqa(self) -> int:
        """Values GQA with ``gqa_heads`` KV heads would cache per token and layer."""
        return self.gqa_heads * (self.qk_dim + self.v_dim)

    @property
    def mha_ratio(self) -> float:
        """How many times more MHA of the same heads caches."""
        return self.mha / self.latent

    @property
    def gqa_ratio(self) -> float:
        """How many times more GQA with ``gqa_heads`` KV heads caches."""
        return self.gqa / self.latent


def mla_cache(cfg: TransformerConfig, gqa_heads: int = 8, dtype: str = "bf16") -> MlaCache:
    """An MLA model's cache per token against MHA and GQA of its heads.

    >>> from ai_workloads.catalog import get_model
    >>> c = mla_cache(get_model("deepseek-v3"))
    >>> c.latent, c.mha, c.gqa, round(c.mha_ratio, 1)     # 512 + 64; 128 · (192 + 128)
    (576, 40960, 2560, 71.1)
    >>> c.bytes_per_token                                  # 61 layers · 576 · 2 bytes
    70272
    """
    mla = _latent(cfg)
    positive_int("gqa_heads", gqa_heads)
    layers = sum(count for kind, count in cfg.layer_groups if kind.mixer in ATTENTION_MIXERS)
    mha_values = layers * cfg.n_heads * (mla.qk_dim + mla.v_dim)
    return MlaCache(layers, cfg.n_heads, mla.kv_rank, mla.rope_dim, mla.nope_dim, mla.v_dim,
                    gqa_heads, kv_cache_bytes(cfg, 1, 1, dtype), nbytes(mha_values, dtype))


@dataclass(frozen=True, slots=True)
class MlaLayerDecode:
    """The decode FLOPs of one MLA layer that depend on the context or on the form:
    ``kv_b``, ``scores`` and ``attn_v``, expanded (every cached latent re-expanded) and
    absorbed (``kv_b`` folded into the query and the output)."""

    context: int
    expanded: Mapping[str, int]
    absorbed: Mapping[str, int]

    @property
    def expanded_total(self) -> int:
        """The three ops together, expanded."""
        return sum(self.expanded.values())

    @property
    def absorbed_total(self) -> int:
        """The three ops together, absorbed."""
        return sum(self.absorbed.values())

    @property
    def ratio(self) -> float:
        """How many times more the expanded form does in these ops."""
        return self.expanded_total / self.absorbed_total


def mla_layer_decode(cfg: TransformerConfig, context: int) -> MlaLayerDecode:
    """``kv_b``, scores and ``A·V`` of one decode token in one MLA layer, both forms.

    >>> from ai_workloads.catalog import get_model
    >>> step = mla_layer_decode(get_model("deepseek-v3"), 4096)
    >>> step.expanded["kv_b"]          # 2 · 4,096 latents · 512 · 128 heads · (128 + 128)
    137438953472
    >>> step.absorbed["kv_b"], step.absorbed["scores"]    # once; 2 · 128 · 4,096 · 576
    (33554432, 603979776)
    """
    _latent(cfg)
    positive_int("context", context)
    kind = next(k for k, _ in cfg.layer_groups if k.mixer in ATTENTION_MIXERS)

    def ops(absorbed: bool) -> Mapping[str, int]:
        flops = layer_op_flops(cfg, kind, 1, context, absorbed=absorbed)
        return MappingProxyType({name: flops[name] for name in CONTEXT_OPS})

    return MlaLayerDecode(context, ops(False), ops(True))


# ----------------------------------------------------------------------------- windows and states

def all_full(cfg: TransformerConfig) -> TransformerConfig:
    """``cfg`` with every layer full attention: no windows, no chunks, no recurrent layers.

    >>> from ai_workloads.catalog import get_model
    >>> all_full(get_model("gemma-2-9b")).layer_groups
    ((LayerKind(mixer='full', moe=False), 42),)
    """
    return cfg.replace(name=f"{cfg.name}-all-full", layer_types=("full",) * cfg.n_layers)


@dataclass(frozen=True, slots=True)
class CacheCurve:
    """One sequence's cache against context, by mixer (all layers of it together), beside
    the same model with every layer full attention (:func:`all_full`); bytes."""

    model: str
    contexts: tuple[int, ...]
    by_mixer: Mapping[str, tuple[int, ...]]
    layers: Mapping[str, int]
    windows: Mapping[str, int]  # W or C of each windowed mixer; 0: none
    all_full: tuple[int, ...]
    dtype: str

    @property
    def totals(self) -> tuple[int, ...]:
        """The whole cache at each context."""
        return tuple(sum(parts) for parts in zip(*self.by_mixer.values(), strict=True))

    @property
    def shares(self) -> tuple[float, ...]:
        """The cache as a share of the all-full model's at each context."""
        return tuple(t / f for t, f in zip(self.totals, self.all_full, strict=True))


def cache_curve(cfg: TransformerConfig, contexts: Sequence[int],
                dtype: str = "bf16") -> CacheCurve:
    """The cache of one sequence of ``cfg`` at each context, layer kind by layer kind.

    Mixers are listed in the order of :data:`~ai_workloads.core.parts.MIXERS`.

    >>> from ai_workloads.catalog import get_model
    >>> c = cache_curve(get_model("gemma-3-12b"), [1024, 32768])
    >>> c.layers["sliding"], c.windows["sliding"], c.by_mixer["sliding"]   # 40 · 2·8·256 · 1024 · 2
    (40, 1024, (335544320, 335544320))
    >>> c.by_mixer["full"][1] == 8 * 2 * 8 * 256 * 32768 * 2
    True
    """
    if not contexts:
        raise WorkloadError("give at least one context length")
    grid = tuple(positive_int("context", s) for s in contexts)
    mixer_of: dict[str, str] = {kind.key: kind.mixer for kind, _ in cfg.layer_groups}
    layers = {m: sum(n for k, n in cfg.layer_groups if k.mixer == m) for m in MIXERS}
    present = [m for m in MIXERS if layers[m]]
    columns: dict[str, list[int]] = {m: [] for m in present}
    for context in grid:
        parts = cache_bytes(cfg, context, 1, dtype)
        for mixer in present:
            columns[mixer].append(sum(b for key, b in parts.items() if mixer_of[key] == mixer))
    full = all_full(cfg)
    return CacheCurve(
        cfg.name, grid, MappingProxyType({m: tuple(v) for m, v in columns.items()}),
        MappingProxyType({m: layers[m] for m in present}),
        MappingProxyType({m: cfg.window(m) for m in present}),
        tuple(kv_cache_bytes(full, s, 1, dtype) for s in grid), dtype)


def state_as_tokens(cfg: TransformerConfig, dtype: str = "bf16") -> float:
    """The bytes of one recurrent layer's state (matrices and convolution window), in tokens
    of one full-attention layer's KV cache: the context at which that layer holds as much.

    >>> from ai_workloads.catalog import get_model
    >>> round(state_as_tokens(get_model("qwen3-next-80b-a3b")))
    1056
    """
    recurrent = [(k, n) for k, n in cfg.layer_groups if k.mixer in RECURRENT_MIXERS]
    attention = [(k, n) for k, n in cfg.layer_groups if k.mixer == "full"]
    if not recurrent or not attention:
        raise WorkloadError(f"{cfg.name} is not a hybrid of recurrent and full-attention layers")
    kind, count = recurrent[0]
    state = cache_bytes(cfg, 1, 1, dtype)[kind.key] // count
    full_kind, full_count = attention[0]
    per_token = cache_bytes(cfg, 1, 1, dtype)[full_kind.key] // full_count
    return state / per_token


@dataclass(frozen=True, slots=True)
class CacheRow:
    """One model's cache of one sequence at ``context`` tokens (bytes), with its kind and its
    own context window (``None``: not known)."""

    model: str
    kind: str
    bytes: int
    context: int
    max_position: int | None

    @property
    def beyond_context(self) -> bool:
        """Whether ``context`` is longer than the model's own context window, if known."""
        return self.max_position is not None and self.context > self.max_position


def catalog_cache(models: Sequence[tuple[str, TransformerConfig]], context: int,
                  dtype: str = "bf16", unknown_context: Collection[str] = ()) -> list[CacheRow]:
    """The cache of one sequence of each decoder in ``models`` (``(label, config)`` pairs)
    at ``context``, largest first; encoders, which keep none, are left out. Models labelled
    in ``unknown_context`` have no known context window of their own.

    >>> from ai_workloads.catalog import get_model
    >>> rows = catalog_cache([(n, get_model(n)) for n in ("llama-2-7b", "mistral-7b",
    ...                                                   "bert-base")], 32768)
    >>> [(r.model, r.kind, r.bytes, r.beyond_context) for r in rows]   # 2·32·32·128 · 2 bytes
    [('llama-2-7b', 'MHA', 17179869184, True), ('mistral-7b', 'window', 536870912, False)]
    """
    positive_int("context", context)
    rows = [CacheRow(label, cache_kind(cfg), kv_cache_bytes(cfg, context, 1, dtype), context,
                     None if label in unknown_context else cfg.max_position)
            for label, cfg in models if not cfg.encoder]
    return sorted(rows, key=lambda r: -r.bytes)


# ----------------------------------------------------------------------------- experts

@dataclass(frozen=True, slots=True)
class MoeCounts:
    """An MoE model's total and active parameters, and what goes into them.

    ``input_embedding`` and ``lm_head`` are in both counts (``lm_head`` 0 when tied);
    ``shared_width`` is the width of the shared experts together (0: none); ``moe_layers``
    of the ``layers`` have experts, the others a dense MLP of ``dense_width``.
    """

    total: int
    active: int
    input_embedding: int
    lm_head: int
    n_experts: int
    experts_per_token: int
    expert_width: int
    shared_width: int
    moe_layers: int
    layers: int
    dense_width: int

    @property
    def active_without_input_embedding(self) -> int:
        """Active parameters without the input embedding (a lookup, not a matmul)."""
        return self.active - self.input_embedding

    @property
    def active_without_embeddings(self) -> int:
        """Active parameters without the input embedding and the LM head."""
        return self.active - self.input_embedding - self.lm_head

    @property
    def active_width(self) -> int:
        """Expert width a token runs through in an MoE layer: ``k`` routed plus shared."""
        return self.experts_per_token * self.expert_width + self.shared_width

    @property
    def expert_sets(self) -> int:
        """How many different sets of ``k`` routed experts a token can get: ``C(E, k)``."""
        return math.comb(self.n_experts, self.experts_per_token)


def moe_counts(cfg: TransformerConfig) -> MoeCounts:
    """Total and active parameters of an MoE model, with its experts' layout.

    >>> from ai_workloads.catalog import get_model
    >>> m = moe_counts(get_model("deepseek-v3"))
    >>> m.moe_layers, m.layers, m.active_width, m.dense_width   # 8 · 2,048 + 2,048 shared
    (58, 61, 18432, 18432)
    >>> moe_counts(get_model("mixtral-8x7b")).expert_sets       # C(8, 2)
    28
    """
    if not cfg.is_moe:
        raise WorkloadError(f"{cfg.name} is dense (n_experts = 1); pick an MoE model")
    counts = param_counts(cfg)
    moe = sum(n for kind, n in cfg.layer_groups if kind.moe)
    return MoeCounts(counts.total, counts.active, counts.model["embedding"],
                     counts.model["lm_head"], cfg.n_experts, cfg.experts_per_token, cfg.d_ff,
                     cfg.shared_d_ff, moe, cfg.n_layers,
                     (cfg.dense_d_ff or cfg.d_ff) if moe < cfg.n_layers else 0)


def moe_bias_params(cfg: TransformerConfig) -> dict[str, int]:
    """Bias parameters of the routers and of the routed experts, over all MoE layers.

    >>> from ai_workloads.catalog import get_model
    >>> moe_bias_params(get_model("gpt-oss-20b"))   # 24 · 32; 24 · 32 · (2 · 2,880 + 2,880)
    {'router': 768, 'experts': 6635520}
    >>> moe_bias_params(get_model("mixtral-8x7b"))
    {'router': 0, 'experts': 0}
    """
    out = {"router": 0, "experts": 0}
    for kind, count in cfg.layer_groups:
        if not kind.moe:
            continue
        for w in layer_linears(cfg, LayerKind(kind.mixer, True)):
            if w.bias and w.component in ("router", "gate", "up", "down"):
                key = "router" if w.component == "router" else "experts"
                out[key] += count * w.copies * w.n_out
    return out


def reads_as(count: int, label: str) -> bool:
    """Whether ``count`` in billions, rounded to the decimals of the figure ``label`` opens
    with (``"3.61B (card: 3.6B)"``, ``"671B"``), reads as that figure.

    >>> reads_as(3_608_307_264, "3.61B (card: 3.6B)"), reads_as(4_187_440_704, "3.61B")
    (True, False)
    """
    match = re.match(r"\s*(\d+)(?:\.(\d+))?\s*B", label)
    if match is None:
        raise WorkloadError(f"{label!r} does not open with a count in billions, such as 3.6B")
    digits = len(match.group(2) or "")
    return round(count / 1e9, digits) == float(match.group(0).strip().rstrip("B"))


# ----------------------------------------------------------------------------- sinks

def sink_softmax(scores: Sequence[float], sink: float | None = None) -> list[float]:
    """Softmax weights of ``scores``; with a ``sink`` logit, the sink joins the softmax and
    is then dropped, so the weights on the keys sum to less than one.

    >>> [round(w, 3) for w in sink_softmax([0.0, 0.0])]
    [0.5, 0.5]
    >>> [round(w, 3) for w in sink_softmax([0.0, 0.0], sink=0.0)]   # e⁰ / (3 · e⁰)
    [0.333, 0.333]
    """
    if not scores:
        raise WorkloadError("give at least one score")
    logits = [float(s) for s in scores]
    top = max(logits if sink is None else [*logits, float(sink)])
    exps = [math.exp(s - top) for s in logits]
    denominator = sum(exps) + (0.0 if sink is None else math.exp(float(sink) - top))
    return [e / denominator for e in exps]
