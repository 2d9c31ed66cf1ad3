"""How FLOPs scale: attention against MLP over many contexts, crossovers, prefill, training.

Every count here is assembled from :mod:`ai_workloads.analysis.flops` (``op_flops``,
``sublayer_decode_flops``, ``attention_flops_per_key``, ``attention_overtakes_mlp``,
``prefill_flops``, ``training_flops``), so each number still lives in one place; this module
only evaluates them over arrays and groups them for the chapters.

>>> from ai_workloads.catalog import get_model
>>> curve = decode_flops_curve(get_model("llama-2-7b"), [512, 8192, 32768])
>>> [f"{share:.1%}" for share in curve.attention_share()]
['34.5%', '49.8%', '71.3%']
>>> crossover(get_model("llama-2-7b")).with_projections
8321
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..core.config import TransformerConfig
from ..core.errors import WorkloadError, positive_int
from .flops import (
    ATTENTION_OPS,
    MLP_OPS,
    attention_flops_per_key,
    attention_overtakes_mlp,
    key_terms,
    op_flops,
    prefill_flops,
    six_nd,
    sublayer_decode_flops,
    training_flops,
)
from .params import param_counts

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: The ops of one layer, in the order they run (everything but the LM head and pooler).
LAYER_OPS: tuple[str, ...] = (*ATTENTION_OPS, *MLP_OPS)


def context_grid(low: int = 100, high: int = 100_000, points: int = 200) -> IntArray:
    """Integer contexts spaced evenly on a log axis from ``low`` to ``high`` (duplicates
    dropped), for smooth curves.

    >>> grid = context_grid(100, 100_000, 4)
    >>> grid.tolist()
    [100, 1000, 10000, 100000]
    """
    positive_int("low", low)
    positive_int("high", high)
    positive_int("points", points)
    if high <= low:
        raise WorkloadError(f"high ({high}) must exceed low ({low})")
    grid = np.rint(np.logspace(np.log10(low), np.log10(high), points)).astype(np.int64)
    return np.unique(grid)


def per_layer_ops(cfg: TransformerConfig, context: int) -> dict[str, int]:
    """One layer's matmul FLOPs for one decode token attending ``context`` keys, by op,
    and the sub-layer totals ``attention`` (q, k, v, scores, A·V, o) and ``mlp``.

    >>> from ai_workloads.catalog import get_model
    >>> ops = per_layer_ops(get_model("llama-2-70b"), 4096)
    >>> ops["q"], ops["k"], ops["scores"]       # 2·D·N·H, 2·D·K·H, 2·N·H·S
    (134217728, 16777216, 67108864)
    >>> ops["attention"] == sum(ops[name] for name in ATTENTION_OPS if name in ops)
    True
    """
    if not cfg.uniform:
        raise WorkloadError(f"{cfg.name}: its layers differ; one layer does not stand for all")
    ops = op_flops(cfg, 1, context)
    layer = {name: ops[name] // cfg.n_layers for name in LAYER_OPS if name in ops}
    parts = sublayer_decode_flops(cfg, context)
    layer["attention"] = parts["attention"] // cfg.n_layers
    layer["mlp"] = parts["mlp"] // cfg.n_layers
    return layer


@dataclass(frozen=True, slots=True)
class DecodeFlopsCurve:
    """FLOPs of one decode token at each of ``contexts``, split by where they go.

    ``projections`` (q, k, v, o), ``mlp`` (router included) and ``lm_head`` do not depend on
    the context; the attention core (scores and A·V) adds ``per_key`` FLOPs per key, each
    window's layers only up to their window (``key_terms``, as ``flops.key_terms``).
    """

    model: str
    contexts: IntArray
    projections: int
    per_key: int
    mlp: int
    lm_head: int
    key_terms: tuple[tuple[int, int], ...] = ()

    @property
    def core(self) -> IntArray:
        """Scores and A·V at each context: ``Σ per_key · min(S, W)`` over the windows."""
        terms = self.key_terms or ((0, self.per_key),)
        core = np.zeros_like(self.contexts)
        for window, per_key in terms:
            core = core + per_key * (np.minimum(self.contexts, window) if window
                                     else self.contexts)
        return core

    @property
    def attention(self) -> IntArray:
        """The attention sub-layer (projections and core) at each context."""
        return self.core + self.projections

    @property
    def total(self) -> IntArray:
        """All matmul FLOPs of the token (equals ``flops.decode_flops``)."""
        return self.attention + self.mlp + self.lm_head

    def attention_share(self, include_projections: bool = True) -> FloatArray:
        """Attention's share of attention plus MLP (the LM head is neither).

        With ``include_projections=False`` attention is the core only, and the share is
        ``core / (core + mlp)``. Each share crosses one half where
        ``flops.attention_overtakes_mlp`` says.

        >>> from ai_workloads.catalog import get_model
        >>> curve = decode_flops_curve(get_model("llama-2-7b"), [8320, 8321])
        >>> (curve.attention_share() > 0.5).tolist()
        [False, True]
        >>> curve.attention_share(include_projections=False).round(3).tolist()
        [0.335, 0.335]
        """
        attention = self.attention if include_projections else self.core
        return attention / (attention + self.mlp)


def decode_flops_curve(cfg: TransformerConfig,
                       contexts: Sequence[int] | npt.ArrayLike) -> DecodeFlopsCurve:
    """Decode FLOPs per token over an array of contexts, in one vectorized step.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.flops import decode_flops
    >>> cfg = get_model("llama-2-70b")
    >>> curve = decode_flops_curve(cfg, [1, 4096])
    >>> int(curve.total[1]) == decode_flops(cfg, 4096)
    True
    """
    array = np.asarray(contexts)
    if array.ndim != 1 or array.size == 0 or not np.issubdtype(array.dtype, np.integer):
        raise WorkloadError("contexts must be a non-empty 1-D sequence of integers")
    if (array <= 0).any():
        raise WorkloadError("contexts must be positive; a decode token attends at least itself")
    parts = sublayer_decode_flops(cfg, 1)
    return DecodeFlopsCurve(
        model=cfg.name, contexts=array.astype(np.int64),
        projections=parts["attention"] - parts["attention_core"],
        per_key=attention_flops_per_key(cfg), mlp=parts["mlp"], lm_head=parts["lm_head"],
        key_terms=key_terms(cfg))


@dataclass(frozen=True, slots=True)
class Crossover:
    """The contexts at which a decoder's attention FLOPs overtake its MLP's."""

    model: str
    attention_kind: str
    group_size: int
    gated_mlp: bool
    experts_per_token: int
    ffn_ratio: float
    with_projections: int | None  # None: never (the windows cap attention first)
    core_only: int | None
    mha_with_projections: int | None
    max_position: int
    #: The windows of the sliding and chunked layers, as shown: ``"4,096"``, ``"4,096 and
    #: all keys"``; empty when every layer sees all keys.
    windows: str = ""

    @property
    def inside_window(self) -> bool:
        """True when the model's own context window reaches the crossover (projections in).

        >>> from ai_workloads.catalog import get_model
        >>> crossover(get_model("llama-2-7b")).inside_window
        False
        """
        return self.with_projections is not None and self.with_projections <= self.max_position


def crossover(cfg: TransformerConfig) -> Crossover:
    """Both crossovers of ``cfg`` (``flops.attention_overtakes_mlp``) with what sets them.

    ``ffn_ratio`` is ``F / D``; ``group_size`` is ``N / K`` (1 for MHA);
    ``mha_with_projections`` is the crossover the same model would have with ``K = N``.

    >>> from ai_workloads.catalog import get_model
    >>> c = crossover(get_model("llama-2-70b"))
    >>> c.attention_kind, c.group_size, c.with_projections, c.core_only
    ('GQA', 8, 33793, 43009)
    >>> c.mha_with_projections          # 1.5·F - 2·D + 1
    26625
    """
    return Crossover(
        model=cfg.name, attention_kind=cfg.attention_kind, group_size=cfg.group_size,
        gated_mlp=cfg.gated_mlp, experts_per_token=cfg.experts_per_token,
        ffn_ratio=cfg.d_ff / cfg.d_model,
        with_projections=attention_overtakes_mlp(cfg, include_projections=True),
        core_only=attention_overtakes_mlp(cfg, include_projections=False),
        mha_with_projections=attention_overtakes_mlp(cfg.with_mha(), include_projections=True),
        max_position=cfg.max_position, windows=_windows_shown(cfg))


def _windows_shown(cfg: TransformerConfig) -> str:
    terms = key_terms(cfg)
    shown = [f"{w:,}" for w, _ in terms if w]
    if not shown:
        return ""
    return " and ".join(shown + (["all keys"] if any(w == 0 for w, _ in terms) else []))


def crossovers(cfgs: Sequence[TransformerConfig]) -> tuple[Crossover, ...]:
    """:func:`crossover` for each decoder in ``cfgs`` (encoders have no decode step).

    >>> from ai_workloads.catalog import get_model
    >>> [c.model for c in crossovers([get_model("bert-base"), get_model("gpt2")])]
    ['gpt2']
    """
    return tuple(crossover(cfg) for cfg in cfgs if not cfg.encoder)


@dataclass(frozen=True, slots=True)
class PrefillCost:
    """Matmul FLOPs of a prefill of ``tokens`` tokens, full and causal, and of decoding the
    same tokens one at a time."""

    model: str
    tokens: int
    full: int
    causal: int
    decode_steps: int

    @property
    def causal_fraction(self) -> float:
        """Causal FLOPs over full-matrix FLOPs.

        >>> from ai_workloads.catalog import get_model
        >>> round(prefill_cost(get_model("llama-2-7b"), 4096).causal_fraction, 3)
        0.93
        """
        return self.causal / self.full

    @property
    def causal_per_token(self) -> float:
        """Causal FLOPs per prompt token.

        >>> from ai_workloads.catalog import get_model
        >>> prefill_cost(get_model("gpt2"), 1).causal_per_token   # 24·L·D² + 2·D·V + 4·L·D
        247100928.0
        """
        return self.causal / self.tokens


def prefill_cost(cfg: TransformerConfig, tokens: int) -> PrefillCost:
    """Prefill of ``tokens`` tokens, full and causal, against ``tokens`` decode steps.

    ``decode_steps`` sums the decode FLOPs at contexts 1 to ``tokens`` (vectorized); it
    equals the causal prefill, which attends exactly the same (query, key) pairs.

    >>> from ai_workloads.catalog import get_model
    >>> cost = prefill_cost(get_model("llama-2-7b"), 2048)
    >>> cost.causal == cost.decode_steps, cost.causal < cost.full
    (True, True)
    """
    positive_int("tokens", tokens)
    steps = decode_flops_curve(cfg, np.arange(1, tokens + 1, dtype=np.int64)).total
    return PrefillCost(model=cfg.name, tokens=tokens, full=prefill_flops(cfg, tokens),
                       causal=prefill_flops(cfg, tokens, causal=True),
                       decode_steps=int(steps.sum(dtype=np.int64)))


@dataclass(frozen=True, slots=True)
class TrainingCost:
    """Training FLOPs counted op by op (causal, 3 × forward) and by the ``6·N·D`` rule."""

    model: str
    params: int
    tokens: int
    seq_len: int
    counted: int
    rule: int

    @property
    def ratio(self) -> float:
        """Counted over rule of thumb.

        >>> from ai_workloads.catalog import get_model
        >>> round(training_cost(get_model("gpt-3"), 300 * 10**9, 2048).ratio, 3)
        1.014
        """
        return self.counted / self.rule

    @property
    def tokens_per_param(self) -> float:
        """Training tokens per parameter (compute-optimal training is near
        :data:`CHINCHILLA_TOKENS_PER_PARAM`).

        >>> from ai_workloads.catalog import get_model
        >>> round(training_cost(get_model("gpt-3"), 300 * 10**9, 2048).tokens_per_param, 2)
        1.72
        """
        return self.tokens / self.params


#: Tokens per parameter of compute-optimal training, about 20 (Hoffmann et al., 2022,
#: "Training Compute-Optimal Large Language Models", Chinchilla: 70B parameters on 1.4T tokens).
CHINCHILLA_TOKENS_PER_PARAM = 20


def training_cost(cfg: TransformerConfig, tokens: int, seq_len: int) -> TrainingCost:
    """``flops.training_flops`` (causal) beside ``flops.six_nd`` with ``N`` = all parameters.

    >>> from ai_workloads.catalog import get_model
    >>> cost = training_cost(get_model("llama-2-7b"), 2 * 10**12, 4096)
    >>> f"{cost.counted:.3e}", f"{cost.rule:.3e}"
    ('8.573e+22', '8.086e+22')
    """
    params = param_counts(cfg).total
    return TrainingCost(model=cfg.name, params=params, tokens=tokens, seq_len=seq_len,
                        counted=training_flops(cfg, tokens, seq_len, causal=True),
                        rule=six_nd(params, tokens))
