"""Scaled dot-product attention, one step at a time: shapes, FLOPs and a worked example.

:func:`attention_steps` computes ``softmax(Q Kᵀ / √H) V`` for one head and keeps every
step the lecture shows (scores, scaled scores, softmax weights, output); the tests check it
against the reference model's
:func:`ai_workloads.reference.ops.scaled_dot_product_attention`, an independent
implementation. :func:`causal_mask` is a decoder's mask, which hides the later keys from
each query. :func:`attention_flow` lists the matrices of one head of self-attention with
their shapes and matmul FLOPs, and :func:`score_growth` shows how the ``T × S`` score
matrix grows with the sequence.

>>> q, k, v = lecture_example()
>>> steps = attention_steps(q, k, v)
>>> steps.out.round(2)[0].tolist()
[-0.38, 0.71, -0.46]
>>> [s.name for s in attention_flow(tokens=6, d_model=8, head_dim=4)]
['q', 'k', 'v', 'scores', 'softmax', 'attn_v']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..core.errors import WorkloadError, positive_int
from .flops import matmul_flops
from .variants import score_matrix_bytes

Array = npt.NDArray[Any]

# ----------------------------------------------------------------------------- worked example


def lecture_example(seed: int = 42, tokens: int = 4, head_dim: int = 3) -> tuple[
        Array, Array, Array]:
    """The lecture's example: ``Q``, ``K``, ``V`` drawn in that order, rounded to 2 decimals.

    Equal to ``np.random.seed(seed)`` followed by three ``np.random.randn(tokens, head_dim)``
    draws, but without touching NumPy's global random state.

    >>> q, k, v = lecture_example()
    >>> q.shape, q[0].tolist(), v[3].tolist()
    ((4, 3), [0.5, -0.14, 0.65], [-1.06, 0.82, -1.22])
    """
    positive_int("tokens", tokens)
    positive_int("head_dim", head_dim)
    rng = np.random.RandomState(seed)
    q, k, v = (rng.randn(tokens, head_dim).round(2) for _ in range(3))
    return q, k, v


@dataclass(frozen=True)
class AttentionSteps:
    """Every intermediate of ``softmax(Q Kᵀ / √H) V`` for one head.

    ``scores`` is ``Q Kᵀ`` (``[T, S]``), ``scale`` is ``1/√H``, ``scaled`` is
    ``scores · scale`` (before any causal mask), ``weights`` the row-wise softmax and
    ``out`` is ``weights · V`` (``[T, H]``).
    """

    q: Array
    k: Array
    v: Array
    scores: Array
    scale: float
    scaled: Array
    weights: Array
    out: Array

    @property
    def row_sums(self) -> Array:
        """The sum of each row of the softmax weights (1 up to rounding).

        >>> attention_steps(*lecture_example()).row_sums.round(6).tolist()
        [1.0, 1.0, 1.0, 1.0]
        """
        return np.asarray(self.weights.sum(axis=-1))

    @property
    def sqrt_head_dim(self) -> float:
        """``√H``, the divisor of the scores.

        >>> round(attention_steps(*lecture_example()).sqrt_head_dim, 4)
        1.7321
        """
        return 1 / self.scale


def softmax_rows(x: Array) -> Array:
    """Softmax of each row (last axis), shifted by the row's maximum so that ``exp`` never
    overflows; a row of ``-inf`` but one entry puts all its weight there.

    >>> softmax_rows(np.array([[0.0, np.log(3.0)], [5.0, -np.inf]])).round(3).tolist()
    [[0.25, 0.75], [1.0, 0.0]]
    """
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    out: Array = e / e.sum(axis=-1, keepdims=True)
    return out


def causal_mask(queries: int, keys: int) -> Array:
    """The causal mask of ``queries`` new tokens over ``keys`` keys: ``True`` where a query
    may not look, at keys after its own position.

    The queries are the last ``queries`` positions of the ``keys``, so query ``i`` sits at
    position ``keys - queries + i`` and sees the keys up to and including that one. For a
    prefill (``queries == keys``) the mask is the part above the diagonal; for one decode
    step (``queries == 1``) it masks nothing.

    >>> causal_mask(3, 3).astype(int).tolist()
    [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
    >>> bool(causal_mask(1, 4).any()), causal_mask(2, 4).astype(int).tolist()
    (False, [[0, 0, 0, 1], [0, 0, 0, 0]])
    >>> causal_mask(5, 4)
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: causal attention needs queries (5) <= keys (4)
    """
    positive_int("queries", queries)
    positive_int("keys", keys)
    if queries > keys:
        raise WorkloadError(f"causal attention needs queries ({queries}) <= keys ({keys})")
    position = np.arange(keys - queries, keys)[:, None]  # each query's own position
    mask: Array = np.arange(keys)[None, :] > position
    return mask


def attention_steps(q: Array, k: Array, v: Array, causal: bool = False) -> AttentionSteps:
    """Attention of ``q [T, H]`` over ``k, v [S, H]``, keeping each step.

    ``causal=True`` masks the scaled scores with :func:`causal_mask`, so that query ``i``,
    at position ``S - T + i``, sees only the keys up to its own (its weights beyond are 0).

    >>> steps = attention_steps(*lecture_example())
    >>> steps.scores.round(2)[0].tolist(), steps.scaled.round(2)[0].tolist()
    ([-0.73, 0.06, 0.7, -1.05], [-0.42, 0.04, 0.4, -0.6])
    >>> steps.weights.round(3)[0].tolist()
    [0.176, 0.278, 0.401, 0.146]
    >>> attention_steps(*lecture_example(), causal=True).weights.round(3)[1].tolist()
    [0.749, 0.251, 0.0, 0.0]
    >>> attention_steps(np.ones((2, 3)), np.ones((4, 2)), np.ones((4, 2)))
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: q and k need the same head width H, got 3 and 2; ...
    """
    if q.ndim != 2 or k.ndim != 2 or v.ndim != 2:
        raise WorkloadError("q, k and v must be 2-D matrices [T, H], [S, H], [S, H] "
                            f"(one head); got {q.ndim}-D, {k.ndim}-D and {v.ndim}-D")
    if q.shape[1] != k.shape[1]:
        raise WorkloadError(f"q and k need the same head width H, got {q.shape[1]} and "
                            f"{k.shape[1]}; give both as [tokens, H]")
    if k.shape[0] != v.shape[0]:
        raise WorkloadError(f"k and v need one row per key, got {k.shape[0]} and "
                            f"{v.shape[0]} rows")
    scale = 1 / math.sqrt(q.shape[1])
    scores = q @ k.T  # [T, S]
    scaled = scores * scale
    masked = scaled
    if causal:
        masked = np.where(causal_mask(q.shape[0], k.shape[0]), -np.inf, scaled)
    weights = softmax_rows(masked)  # [T, S]
    out = weights @ v  # [T, H]
    return AttentionSteps(q, k, v, scores, scale, scaled, weights, out)


# ----------------------------------------------------------------------------- shapes and FLOPs


@dataclass(frozen=True, slots=True)
class FlowStep:
    """One step of single-head self-attention: its operands, result and matmul FLOPs."""

    name: str
    formula: str
    inputs: tuple[tuple[int, int], ...]
    output: tuple[int, int]
    flops: int

    @property
    def elements(self) -> int:
        """Elements of the step's result.

        >>> attention_flow(6, 8, 4)[3].elements   # the 6 × 6 score matrix
        36
        """
        return self.output[0] * self.output[1]


def _matmul(name: str, formula: str, a: tuple[int, int], b: tuple[int, int]) -> FlowStep:
    return FlowStep(name, formula, (a, b), (a[0], b[1]), matmul_flops(a[0], a[1], b[1]))


def attention_flow(tokens: int, d_model: int, head_dim: int) -> tuple[FlowStep, ...]:
    """The matrices of one head of self-attention over ``T = tokens`` (so ``S = T``).

    Matmuls cost ``2·m·k·n``; the softmax is not a matmul and counts 0 here.

    >>> for s in attention_flow(tokens=6, d_model=8, head_dim=4):
    ...     print(s.name, s.inputs, s.output, s.flops)
    q ((6, 8), (8, 4)) (6, 4) 384
    k ((6, 8), (8, 4)) (6, 4) 384
    v ((6, 8), (8, 4)) (6, 4) 384
    scores ((6, 4), (4, 6)) (6, 6) 288
    softmax ((6, 6),) (6, 6) 0
    attn_v ((6, 6), (6, 4)) (6, 4) 288
    """
    t, d, h = (positive_int(n, x) for n, x in
               (("tokens", tokens), ("d_model", d_model), ("head_dim", head_dim)))
    return (
        _matmul("q", "Q = X·W_Q", (t, d), (d, h)),
        _matmul("k", "K = X·W_K", (t, d), (d, h)),
        _matmul("v", "V = X·W_V", (t, d), (d, h)),
        _matmul("scores", "Q·Kᵀ", (t, h), (h, t)),
        FlowStep("softmax", "softmax(Q·Kᵀ/√H)", ((t, t),), (t, t), 0),
        _matmul("attn_v", "A·V", (t, t), (t, h)),
    )


@dataclass(frozen=True, slots=True)
class ScoreGrowth:
    """The ``T × T`` score matrix of one head at one sequence length."""

    tokens: int
    elements: int
    nbytes: int
    flops: int


def score_growth(tokens: Sequence[int], head_dim: int,
                 dtype: str = "fp32") -> tuple[ScoreGrowth, ...]:
    """Elements, bytes and FLOPs (``Q·Kᵀ`` plus ``A·V``) of one head's score matrix.

    Both matmuls cost ``2·T·T·H``, so the FLOPs are ``4·T²·H``: quadratic in ``T``.

    >>> [(g.tokens, g.elements, g.nbytes, g.flops) for g in score_growth([6, 12], 4)]
    [(6, 36, 144, 576), (12, 144, 576, 2304)]
    """
    h = positive_int("head_dim", head_dim)
    if not tokens:
        raise WorkloadError("give at least one sequence length in tokens")
    out = []
    for t in tokens:
        positive_int("tokens", t)
        out.append(ScoreGrowth(t, t * t, score_matrix_bytes(t, 1, dtype), 4 * t * t * h))
    return tuple(out)
