"""Tests of the chapter 1-2 modules against hand-derived values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ai_workloads.attention_math import (
    attention_flow,
    attention_steps,
    lecture_example,
    score_growth,
)
from ai_workloads.errors import WorkloadError
from ai_workloads.growth import Milestone
from ai_workloads.model_scale import compare_scale, growth_curves, scale_rows
from ai_workloads.plotting.attention import attention_flow_figure
from ai_workloads.plotting.intro import growth_figure, sci


def _softmax_rows(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def test_lecture_example_matches_global_seed() -> None:
    np.random.seed(42)
    expected = [np.random.randn(4, 3).round(2) for _ in range(3)]
    for got, want in zip(lecture_example(), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_steps_match_independent_formula() -> None:
    q, k, v = lecture_example()
    steps = attention_steps(q, k, v)
    scaled = q @ k.T / math.sqrt(3)
    np.testing.assert_allclose(steps.scores, q @ k.T)
    np.testing.assert_allclose(steps.scaled, scaled)
    np.testing.assert_allclose(steps.weights, _softmax_rows(scaled))
    np.testing.assert_allclose(steps.row_sums, np.ones(4))
    assert steps.out.round(2).tolist() == [[-0.38, 0.71, -0.46], [-0.52, 0.35, -0.9],
                                           [-0.67, 0.46, -1.0], [-0.51, 0.37, -0.88]]


def test_flow_flops_are_2mkn() -> None:
    t, d, h = 10, 16, 4
    flops = {s.name: s.flops for s in attention_flow(t, d, h)}
    assert flops == {"q": 2 * t * d * h, "k": 2 * t * d * h, "v": 2 * t * d * h,
                     "scores": 2 * t * h * t, "softmax": 0, "attn_v": 2 * t * t * h}


def test_score_growth_quadratic() -> None:
    small, big = score_growth([100, 200], head_dim=8)
    assert big.elements == 4 * small.elements == 4 * 100 * 100
    assert small.nbytes == 4 * 100 * 100  # fp32
    assert small.flops == 2 * (2 * 100 * 100 * 8)


def test_bad_inputs_raise() -> None:
    with pytest.raises(WorkloadError):
        attention_steps(np.ones((2, 3)), np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(WorkloadError):
        attention_flow(0, 8, 4)
    with pytest.raises(WorkloadError):
        score_growth([], 8)
    with pytest.raises(WorkloadError):
        growth_curves([Milestone("a", 2000.0, 1e20, None, None, False, "")])


def test_scale_rows_and_ratio() -> None:
    rows = {r.name: r for r in scale_rows()}
    gpt3 = rows["GPT-3 175B"]
    # GPT-3 paper (Brown et al., 2020): 300B tokens; 6·N·D with the catalog's N.
    assert gpt3.tokens == 300_000_000_000
    assert gpt3.training_flops == pytest.approx(6 * 175e9 * 300e9, rel=0.01)
    c = compare_scale(rows["GPT-4"], rows["Llama 3.1 405B"])
    assert c.params_ratio == pytest.approx(1.8e12 / rows["Llama 3.1 405B"].params)
    assert c.estimated


def test_moore_line_doubles_every_two_years() -> None:
    pts = [Milestone("a", 2018.0, 1e20, None, None, False, ""),
           Milestone("b", 2024.0, 1e26, None, None, False, "")]
    c = growth_curves(pts, doubling_years=2.0)
    assert c.moore_span_factor == pytest.approx(2 ** 3)
    assert c.fit.factor_per_year == pytest.approx(10.0)


def test_figures_and_sci() -> None:
    fig = attention_flow_figure(attention_flow(4, 8, 3))
    assert len(fig.axes) == 1
    pts = [Milestone("a", 2018.0, 1e20, None, None, False, ""),
           Milestone("b", 2024.0, 1e26, None, None, True, "")]
    fig2 = growth_figure(pts, growth_curves(pts))
    assert fig2.axes[0].get_yscale() == "log"
    assert sci(2.5e21) == "2.5×10²¹"
