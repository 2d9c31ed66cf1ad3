"""The attention steps, flow and score growth against the lecture notes' printed worked
example, element-by-element derivations, the FLOP formulas of
:mod:`ai_workloads.analysis.flops` and the reference model's independent attention."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ai_workloads.analysis.attention import (
    attention_flow,
    attention_steps,
    causal_mask,
    lecture_example,
    score_growth,
)
from ai_workloads.analysis.flops import attended_pairs, op_flops
from ai_workloads.catalog import get_model
from ai_workloads.core.errors import WorkloadError
from ai_workloads.reference.ops import scaled_dot_product_attention


def _softmax_rows(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True))


# The lecture notes' printout of the worked example (seed 42, four tokens, H = 3).
NOTES_Q = [[0.5, -0.14, 0.65], [1.52, -0.23, -0.23], [1.58, 0.77, -0.47], [0.54, -0.46, -0.47]]

NOTES_SCORES = [[-0.73, 0.06, 0.7, -1.05], [1.2, -0.69, -1.4, -0.04],
                [-0.28, -1.81, -3.21, 0.36], [1.82, 0.02, -0.53, 0.51]]

NOTES_SCALED = [[-0.42, 0.04, 0.4, -0.6], [0.69, -0.4, -0.81, -0.02],
                [-0.16, -1.04, -1.86, 0.21], [1.05, 0.01, -0.31, 0.3]]

NOTES_WEIGHTS = [[0.176, 0.278, 0.401, 0.146], [0.488, 0.164, 0.109, 0.239],
                 [0.328, 0.136, 0.06, 0.475], [0.48, 0.17, 0.124, 0.226]]

NOTES_OUT = [[-0.38, 0.71, -0.46], [-0.52, 0.35, -0.9], [-0.67, 0.46, -1.0],
             [-0.51, 0.37, -0.88]]


def test_steps_match_independent_formula() -> None:
    q, k, v = lecture_example()
    steps = attention_steps(q, k, v)
    scaled = q @ k.T / math.sqrt(3)
    np.testing.assert_allclose(steps.scores, q @ k.T)
    np.testing.assert_allclose(steps.scaled, scaled)
    np.testing.assert_allclose(steps.weights, _softmax_rows(scaled))
    np.testing.assert_allclose(steps.row_sums, np.ones(4))


def test_flow_flops_are_2mkn() -> None:
    t, d, h = 10, 16, 4
    flops = {s.name: s.flops for s in attention_flow(t, d, h)}
    assert flops == {"q": 2 * t * d * h, "k": 2 * t * d * h, "v": 2 * t * d * h,
                     "scores": 2 * t * h * t, "softmax": 0, "attn_v": 2 * t * t * h}


def test_lecture_example_equals_global_seed_draws() -> None:
    np.random.seed(42)
    expected = [np.random.randn(4, 3).round(2) for _ in range(3)]
    for got, want in zip(lecture_example(), expected, strict=True):
        np.testing.assert_array_equal(got, want)
    assert lecture_example()[0].tolist() == NOTES_Q


def test_worked_example_matches_the_notes_printout() -> None:
    steps = attention_steps(*lecture_example())
    assert steps.scores.round(2).tolist() == NOTES_SCORES
    assert steps.scaled.round(2).tolist() == NOTES_SCALED
    assert steps.weights.round(3).tolist() == NOTES_WEIGHTS
    assert steps.out.round(2).tolist() == NOTES_OUT
    assert steps.sqrt_head_dim == pytest.approx(math.sqrt(3))
    np.testing.assert_allclose(steps.row_sums, np.ones(4))


def test_steps_against_a_second_derivation() -> None:
    rng = np.random.default_rng(7)
    q, k, v = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    steps = attention_steps(q, k, v)
    # Element by element: score[i, j] = sum_h q[i, h] k[j, h].
    scores = [[sum(q[i, h] * k[j, h] for h in range(4)) for j in range(5)] for i in range(3)]
    np.testing.assert_allclose(steps.scores, scores)
    for i in range(3):
        exps = [math.exp(s / 2.0) for s in scores[i]]  # √H = 2
        weights = [e / sum(exps) for e in exps]
        np.testing.assert_allclose(steps.weights[i], weights)
        out = [sum(weights[j] * v[j, h] for j in range(5)) for h in range(4)]
        np.testing.assert_allclose(steps.out[i], out)


def test_steps_agree_with_the_reference_model() -> None:
    rng = np.random.default_rng(11)
    for t, s, h in [(1, 1, 1), (4, 4, 3), (3, 9, 16), (9, 9, 64)]:
        q, k, v = rng.normal(size=(t, h)), rng.normal(size=(s, h)), rng.normal(size=(s, h))
        for causal in (False, True):
            steps = attention_steps(q, k, v, causal=causal)
            out, weights = scaled_dot_product_attention(q, k, v, causal=causal)
            np.testing.assert_allclose(steps.weights, weights, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(steps.out, out, rtol=1e-12, atol=1e-15)


def test_causal_steps_mask_later_keys() -> None:
    # Two new queries after three cached keys: positions 3 and 4 of S = 5 keys.
    q, k, v = np.zeros((2, 4)), np.zeros((5, 4)), np.arange(20.0).reshape(5, 4)
    steps = attention_steps(q, k, v, causal=True)
    # All scores are 0, so each query weighs its visible keys equally.
    np.testing.assert_allclose(steps.weights, [[0.25] * 4 + [0.0], [0.2] * 5])
    np.testing.assert_allclose(steps.out[0], v[:4].mean(axis=0))
    np.testing.assert_array_equal(steps.scaled, np.zeros((2, 5)))  # kept before the mask
    with pytest.raises(WorkloadError, match="queries"):
        attention_steps(np.zeros((3, 4)), np.zeros((2, 4)), np.zeros((2, 4)), causal=True)


def test_causal_mask_hides_exactly_the_later_keys() -> None:
    # Prefill: the strict upper triangle, entry by entry (query i at position i).
    for t in (1, 2, 5):
        mask = causal_mask(t, t)
        assert mask.tolist() == [[j > i for j in range(t)] for i in range(t)]
    # After cached keys: query i sits at position S - T + i.
    assert causal_mask(2, 5).tolist() == [[False] * 4 + [True], [False] * 5]
    # One decode step sees every key: nothing is masked.
    assert not causal_mask(1, 7).any()
    # The unmasked pairs are the ones the FLOP counts call attended.
    for t, s in [(4, 4), (3, 9), (1, 6)]:
        assert int((~causal_mask(t, s)).sum()) == attended_pairs(t, s, causal=True)
    for bad in [(3, 2), (0, 4)]:
        with pytest.raises(WorkloadError):
            causal_mask(*bad)


def test_causal_worked_example_keeps_the_proportions() -> None:
    # A masked softmax renormalises a row over the keys left, so the ratios between them stay.
    q, k, v = lecture_example()
    full, causal = attention_steps(q, k, v), attention_steps(q, k, v, causal=True)
    np.testing.assert_allclose(causal.weights[0], [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(causal.out[0], v[0])
    np.testing.assert_allclose(causal.weights[1, :2], full.weights[1, :2]
                               / full.weights[1, :2].sum())
    np.testing.assert_allclose(causal.weights[-1], full.weights[-1])
    # The lecture's weights, rounded as printed: row 1 is 0.488 and 0.164 before the mask.
    assert causal.weights[1, 0] == pytest.approx(0.488 / (0.488 + 0.164), abs=2e-3)


@pytest.mark.parametrize(("q", "k", "v"), [
    (np.ones((2, 3)), np.ones((4, 2)), np.ones((4, 2))),
    (np.ones((2, 3)), np.ones((2, 2)), np.ones((2, 2))),
    (np.ones((2, 3)), np.ones((4, 3)), np.ones((5, 3))),
    (np.ones((1, 2, 3)), np.ones((4, 3)), np.ones((4, 3))),
])
def test_steps_reject_mismatched_shapes(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> None:
    with pytest.raises(WorkloadError):
        attention_steps(q, k, v)


def test_flow_shapes_and_flops_closed_form() -> None:
    t, d, h = 6, 8, 4
    flow = {s.name: s for s in attention_flow(t, d, h)}
    assert flow["q"].output == (t, h)
    assert flow["scores"].output == (t, t)
    assert flow["attn_v"].output == (t, h)
    assert flow["softmax"].flops == 0
    assert flow["q"].flops == 2 * t * d * h == 384
    assert flow["scores"].flops == flow["attn_v"].flops == 2 * t * t * h == 288
    assert flow["scores"].elements == 36


def test_flow_agrees_with_the_flops_module_for_one_head() -> None:
    t, d, h = 10, 16, 8
    cfg = get_model("gpt2").replace(d_model=d, n_heads=1, n_kv_heads=1, head_dim=h,
                                    n_layers=1)
    ops = op_flops(cfg, tokens=t, context=t)
    for step in attention_flow(t, d, h):
        if step.name != "softmax":
            assert step.flops == ops[step.name], step.name


def test_flow_rejects_bad_sizes() -> None:
    with pytest.raises(WorkloadError, match="tokens"):
        attention_flow(0, 8, 4)
    with pytest.raises(WorkloadError, match="head_dim"):
        attention_flow(6, 8, -1)


def test_score_growth_is_quadratic() -> None:
    rows = score_growth([1024, 2048], head_dim=128)
    assert rows[0].elements == 1024**2
    assert rows[0].nbytes == 4 * 1024**2
    assert rows[0].flops == 4 * 1024**2 * 128
    assert rows[1].elements == 4 * rows[0].elements
    assert rows[1].flops == 4 * rows[0].flops
    assert score_growth([10], 2, dtype="fp16")[0].nbytes == 200
    with pytest.raises(WorkloadError):
        score_growth([], 2)

