"""Attention and RoPE written out in plain Python, one element at a time.

They are the independent side of the reference model's tests: no NumPy broadcasting, no
shared code with :mod:`ai_workloads.reference`. Tests ask for them as fixtures.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable

import pytest

Matrix = list[list[float]]
NaiveAttention = Callable[[Matrix, Matrix, Matrix, bool], Matrix]
NaiveRope = Callable[[list[float], int, float], list[float]]


def _naive_attention(q: Matrix, k: Matrix, v: Matrix, causal: bool) -> Matrix:
    """softmax(q kᵀ / √H) v, one query and one key at a time, in plain Python."""
    t, s, h = len(q), len(k), len(q[0])
    out = []
    for i in range(t):
        visible = range(s - t + i + 1) if causal else range(s)
        scores = [sum(q[i][c] * k[j][c] for c in range(h)) / math.sqrt(h) for j in visible]
        top = max(scores)
        exps = [math.exp(x - top) for x in scores]
        total = sum(exps)
        out.append([sum(exps[n] / total * v[j][c] for n, j in enumerate(visible))
                    for c in range(h)])
    return out


def _naive_rope(vec: list[float], pos: int, theta: float) -> list[float]:
    """Rotate each pair (i, i + H/2) as a complex number by pos · theta^(-2i/H)."""
    h = len(vec)
    out = [0.0] * h
    for i in range(h // 2):
        z = complex(vec[i], vec[i + h // 2]) * cmath.exp(1j * pos * theta ** (-2 * i / h))
        out[i], out[i + h // 2] = z.real, z.imag
    return out


@pytest.fixture
def naive_attention() -> NaiveAttention:
    """Attention of queries ``[T][H]`` over keys and values ``[S][H]``, loop by loop."""
    return _naive_attention


@pytest.fixture
def naive_rope() -> NaiveRope:
    """One vector rotated to position ``pos``, pair by pair, as complex numbers."""
    return _naive_rope
