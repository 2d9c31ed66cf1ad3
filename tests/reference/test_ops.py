"""The reference model's operations against independent computations.

Independent sources: the lecture notes' published worked example, attention written as plain
Python loops (see ``conftest.py``), closed forms of the activations, and a top-k routing
worked out by sorting in Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from ai_workloads.core.errors import WorkloadError
from ai_workloads.reference.ops import (
    ACTIVATIONS,
    activation,
    route,
    scaled_dot_product_attention,
    softmax,
)

Array = np.ndarray[Any, Any]
NaiveAttention = Callable[..., list[list[float]]]


def test_lecture_worked_example() -> None:
    np.random.seed(42)
    q = np.random.randn(4, 3).round(2)
    k = np.random.randn(4, 3).round(2)
    v = np.random.randn(4, 3).round(2)
    out, weights = scaled_dot_product_attention(q, k, v)
    assert out.round(2).tolist() == [[-0.38, 0.71, -0.46], [-0.52, 0.35, -0.9],
                                     [-0.67, 0.46, -1.0], [-0.51, 0.37, -0.88]]
    assert weights.round(3).tolist() == [[0.176, 0.278, 0.401, 0.146],
                                         [0.488, 0.164, 0.109, 0.239],
                                         [0.328, 0.136, 0.06, 0.475],
                                         [0.48, 0.17, 0.124, 0.226]]


@pytest.mark.parametrize(("t", "s", "causal"), [(5, 5, False), (5, 5, True), (3, 7, True),
                                                (1, 6, True), (4, 6, False)])
def test_attention_matches_naive_loop(t: int, s: int, causal: bool,
                                      naive_attention: NaiveAttention) -> None:
    rng = np.random.default_rng(7)
    q, k, v = rng.normal(size=(2, t, 8)), rng.normal(size=(2, s, 8)), rng.normal(size=(2, s, 8))
    out, weights = scaled_dot_product_attention(q, k, v, causal=causal)
    for b in range(2):
        want = naive_attention(q[b].tolist(), k[b].tolist(), v[b].tolist(), causal)
        np.testing.assert_allclose(out[b], want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0)


def test_causal_queries_cannot_exceed_keys() -> None:
    x = np.zeros((3, 4))
    with pytest.raises(WorkloadError, match="queries"):
        scaled_dot_product_attention(x, x[:2], x[:2], causal=True)


class _Reports:
    """A recorder that keeps what each op reported: name, kind and output shape."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, tuple[int, ...]]] = []

    def matmul(self, name: str, a: Array, b: Array, out: Array, layer: int | None, *,
               weight: bool = False, expert: int | None = None) -> None:
        assert a.shape[-1] == b.shape[-2]
        self.seen.append((name, "matmul", out.shape))

    def elementwise(self, name: str, kind: str, inputs: Sequence[Array], out: Array,
                    layer: int | None, *, nominal: int, weights: Sequence[Array] = (),
                    expert: int | None = None) -> None:
        self.seen.append((name, kind, out.shape))

    def gather(self, name: str, ids: Array, table: Array, out: Array,
               layer: int | None) -> None:
        self.seen.append((name, "gather", out.shape))


def test_attention_reports_scores_softmax_and_attn_v() -> None:
    # T = 2 queries over S = 5 keys, H = 3: scores and weights [2, 5], output [2, 3].
    reports = _Reports()
    q, kv = np.ones((2, 3)), np.ones((5, 3))
    scaled_dot_product_attention(q, kv, kv, causal=True, tracer=reports, layer=0)
    assert reports.seen == [("scores", "matmul", (2, 5)), ("softmax", "reduction", (2, 5)),
                            ("attn_v", "matmul", (2, 3))]


def test_softmax_closed_form() -> None:
    x = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]])  # a large row must not overflow
    total = math.e + math.e**2 + math.e**3
    np.testing.assert_allclose(softmax(x)[0], [math.e / total, math.e**2 / total,
                                               math.e**3 / total])
    np.testing.assert_allclose(softmax(x)[1], [1 / 3] * 3)


def test_router_choice_is_top_k() -> None:
    logits = np.random.default_rng(9).normal(size=(50, 8))
    experts, weights = route(logits, k=3)
    for row in range(50):
        ranked = sorted(range(8), key=lambda e, r=row: -logits[r, e])  # type: ignore[misc]
        assert experts[row].tolist() == ranked[:3]
        chosen = [math.exp(logits[row, e]) for e in ranked[:3]]
        np.testing.assert_allclose(weights[row], [c / sum(chosen) for c in chosen])


def test_activation_values() -> None:
    x = np.array([1.0])
    assert activation("silu")(x)[0] == pytest.approx(1 / (1 + math.exp(-1)))
    phi_1 = 0.5 * (1 + math.erf(1 / math.sqrt(2)))  # Φ(1), the exact GELU at 1
    assert activation("gelu")(x)[0] == pytest.approx(phi_1, rel=1e-12)
    tanh_form = 0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * (1 + 0.044715)))
    assert activation("gelu_new")(x)[0] == pytest.approx(tanh_form, rel=1e-12)
    assert activation("gelu_pytorch_tanh")(x)[0] == pytest.approx(tanh_form, rel=1e-12)
    assert activation("relu")(np.array([-2.0, 3.0])).tolist() == [0.0, 3.0]
    with pytest.raises(WorkloadError, match="unsupported activation 'mish'"):
        activation("mish")


def test_every_activation_has_a_nominal_cost() -> None:
    # The tracer charges each activation a whole number of FLOPs per element.
    assert all(isinstance(cost, int) and cost >= 1 for _, cost in ACTIVATIONS.values())
    assert ACTIVATIONS["swish"][0] is ACTIVATIONS["silu"][0]
