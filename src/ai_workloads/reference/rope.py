"""Rotary position embedding (RoPE), rotate-half convention, as Hugging Face Llama applies it.

Each head's dimension ``i < H/2`` pairs with ``i + H/2``, and the pair turns by the angle
``position · theta^(-2i/H)``; a query and a key then meet at the difference of their
positions. :func:`rope_tables` builds the ``cos`` and ``sin`` tables once, :func:`apply_rope`
rotates with them, :func:`rope` does both.

>>> x = np.array([[0.0, 1.0]])   # one token, H = 2: a single pair
>>> rope(x, np.array([1]), 10000.0).round(4).tolist()   # turned by 1 radian
[[-0.8415, 0.5403]]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..core.errors import WorkloadError
from .ops import Array


def rope_tables(positions: Array, head_dim: int, theta: float,
                dtype: npt.DTypeLike = np.float64) -> tuple[Array, Array]:
    """RoPE's ``cos`` and signed ``sin`` tables for ``positions``, each ``[T, H]``.

    Column ``i`` and ``i + H/2`` share the angle ``position · theta^(-2i/H)`` (computed in
    float64, then cast to ``dtype``); the first half of ``sin`` is negated, so that
    :func:`apply_rope` needs only a swap of the halves.

    >>> cos, sin = rope_tables(np.array([1]), 2, 10000.0)
    >>> cos.round(4).tolist(), sin.round(4).tolist()
    ([[0.5403, 0.5403]], [[-0.8415, 0.8415]])
    """
    if head_dim % 2:
        raise WorkloadError(f"RoPE needs an even head_dim, got {head_dim}")
    inv_freq = theta ** (-np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)  # [H/2]
    angles = np.asarray(positions, dtype=np.float64)[:, None] * inv_freq[None, :]  # [T, H/2]
    cos = np.cos(angles)
    sin = np.sin(angles)
    return (np.concatenate([cos, cos], axis=-1).astype(dtype),  # [T, H]
            np.concatenate([-sin, sin], axis=-1).astype(dtype))  # [T, H]


def apply_rope(x: Array, cos: Array, sin: Array) -> Array:
    """Rotate ``x`` ``[..., T, H]`` by tables from :func:`rope_tables`: ``x·cos + swap(x)·sin``.

    ``swap`` exchanges the two halves of the last axis; with ``sin``'s first half negated
    this is the rotate-half form ``x·cos + [-x₂, x₁]·sin``.

    >>> cos, sin = rope_tables(np.array([1]), 2, 10000.0)
    >>> apply_rope(np.array([[1.0, 0.0]]), cos, sin).round(4).tolist()
    [[0.5403, 0.8415]]
    """
    half = x.shape[-1] // 2
    swapped = np.concatenate([x[..., half:], x[..., :half]], axis=-1)  # [x₂, x₁]
    out: Array = x * cos + swapped * sin
    return out


def rope(x: Array, positions: Array, theta: float) -> Array:
    """Rotary position embedding, rotate-half convention (as Hugging Face Llama).

    ``x`` is ``[..., T, H]``; dimension ``i < H/2`` pairs with ``i + H/2`` and turns by
    ``position · theta^(-2i/H)``.

    >>> x = np.array([[1.0, 0.0]])   # one token, H = 2: a single pair
    >>> rope(x, np.array([0]), 10000.0).tolist(), rope(x, np.array([1]), 10000.0).round(4).tolist()
    ([[1.0, 0.0]], [[0.5403, 0.8415]])
    """
    cos, sin = rope_tables(positions, x.shape[-1], theta, x.dtype)
    return apply_rope(x, cos, sin)
