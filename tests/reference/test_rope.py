"""RoPE against a rotation written out pair by pair as complex numbers (see ``conftest.py``)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from ai_workloads.core.errors import WorkloadError
from ai_workloads.reference.rope import apply_rope, rope, rope_tables

NaiveRope = Callable[[list[float], int, float], list[float]]


def test_rope_is_a_rotation_by_position(naive_rope: NaiveRope) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 8))
    positions = np.array([0, 1, 2, 10, 300])
    got = rope(x, positions, 500.0)
    for row, pos in enumerate(positions):
        np.testing.assert_allclose(got[row], naive_rope(x[row].tolist(), int(pos), 500.0),
                                   atol=1e-12)


def test_rope_scores_depend_on_relative_position() -> None:
    rng = np.random.default_rng(1)
    q, k = rng.normal(size=(1, 16)), rng.normal(size=(1, 16))
    near = rope(q, np.array([7]), 1e4) @ rope(k, np.array([4]), 1e4).T
    far = rope(q, np.array([103]), 1e4) @ rope(k, np.array([100]), 1e4).T
    assert near.item() == pytest.approx(far.item(), rel=1e-10)


def test_tables_hold_each_pairs_angle() -> None:
    # H = 4: pair 0 turns by p, pair 1 by p · theta^(-1/2) = p / 100 for theta = 10⁴.
    cos, sin = rope_tables(np.array([0, 3]), 4, 1e4, np.float64)
    assert cos.shape == sin.shape == (2, 4)
    np.testing.assert_allclose(cos[0], [1, 1, 1, 1])
    np.testing.assert_allclose(sin[0], [0, 0, 0, 0], atol=0)
    np.testing.assert_allclose(cos[1], [math.cos(3), math.cos(0.03)] * 2)
    np.testing.assert_allclose(sin[1], [-math.sin(3), -math.sin(0.03),
                                        math.sin(3), math.sin(0.03)])
    assert rope_tables(np.array([1]), 4, 1e4, np.float32)[0].dtype == np.float32


def test_apply_rope_keeps_the_norm_of_each_pair() -> None:
    x = np.random.default_rng(2).normal(size=(3, 6))
    cos, sin = rope_tables(np.array([5, 50, 500]), 6, 1e4)
    out = apply_rope(x, cos, sin)
    pairs_in = x[:, :3] ** 2 + x[:, 3:] ** 2
    pairs_out = out[:, :3] ** 2 + out[:, 3:] ** 2
    np.testing.assert_allclose(pairs_out, pairs_in)


def test_odd_head_dim_is_refused() -> None:
    with pytest.raises(WorkloadError, match="even head_dim, got 5"):
        rope_tables(np.array([0]), 5, 1e4)
