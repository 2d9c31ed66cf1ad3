"""Chapters 1 and 2 (scale, growth, attention step by step) against independent values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.patches import Rectangle

from ai_workloads.attention_math import (
    attention_flow,
    attention_steps,
    lecture_example,
    score_growth,
)
from ai_workloads.catalog import get_model
from ai_workloads.errors import WorkloadError
from ai_workloads.flops import op_flops
from ai_workloads.growth import Milestone, milestones
from ai_workloads.model_scale import (
    compare_scale,
    growth_curves,
    milestone,
    scale_row,
    scale_rows,
)
from ai_workloads.plotting.attention import attention_flow_figure
from ai_workloads.plotting.intro import growth_figure, scale_table, sci

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


# ----------------------------------------------------------------------------- chapter 2


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


@pytest.mark.parametrize(("q", "k", "v"), [
    (np.ones((2, 3)), np.ones((4, 2)), np.ones((4, 2))),
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
    assert score_growth([10], 2, dtype="fp16")[0].nbytes == 200
    with pytest.raises(WorkloadError):
        score_growth([], 2)


def test_attention_flow_figure_draws_six_matrices() -> None:
    fig = attention_flow_figure(attention_flow(6, 8, 4))
    rectangles = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert len(rectangles) == 6  # Q, K, V, scores, weights, output


# ----------------------------------------------------------------------------- chapter 1


def gpt2_closed_form(d: int, layers: int, vocab: int, positions: int) -> int:
    """GPT-2 parameters: per layer 12D² + 13D, token and position embeddings, final norm."""
    return layers * (12 * d * d + 13 * d) + vocab * d + positions * d + 2 * d


def test_scale_rows_parameters_and_compute() -> None:
    rows = {r.name: r for r in scale_rows()}
    assert rows["GPT-2 (1.5B)"].params == gpt2_closed_form(1600, 48, 50257, 1024)
    gpt3 = rows["GPT-3 175B"]
    assert gpt3.params == gpt2_closed_form(12288, 96, 50257, 2048)
    assert gpt3.training_flops == float(6 * gpt3.params * 300 * 10**9)  # Brown et al.: 300B
    # Llama Team 2024 reports 3.8e25 FLOPs for the 405B model's pre-training.
    assert rows["Llama 3.1 405B"].training_flops == pytest.approx(3.8e25, rel=0.01)
    assert (rows["GPT-4"].params, rows["GPT-4"].params_estimated) == (1_800_000_000_000, True)
    assert rows["GPT-4"].flops_estimated
    assert rows["GPT-2 (1.5B)"].flops_estimated
    assert not rows["GPT-3 175B"].flops_estimated


def test_llama_405b_against_gpt4_ratios() -> None:
    rows = {r.name: r for r in scale_rows()}
    fewer = compare_scale(rows["GPT-4"], rows["Llama 3.1 405B"])
    more = compare_scale(rows["Llama 3.1 405B"], rows["GPT-4"])
    assert pytest.approx(fewer.params_ratio, rel=0.002) == 1.8e12 / 406e9
    assert more.compute_ratio == pytest.approx(3.8e25 / 1e25, rel=0.01)
    assert more.estimated
    assert fewer.estimated


def test_tokens_per_parameter() -> None:
    assert scale_row("Chinchilla 70B").tokens_per_param == pytest.approx(20.0)  # 1.4T / 70B
    assert scale_row("GPT-4").tokens_per_param is None
    with pytest.raises(WorkloadError, match="unknown milestone"):
        milestone("GPT-5")
    with pytest.raises(WorkloadError, match="no parameter count"):
        scale_row("GPT-2 (1.5B)")


def test_growth_curves_closed_form() -> None:
    pts = [Milestone("a", 2010.0, 1e18, None, None, False, ""),
           Milestone("b", 2012.0, 1e20, None, None, False, ""),
           Milestone("c", 2016.0, 1e24, None, None, False, "")]
    c = growth_curves(pts, doubling_years=2.0)
    assert c.fit.factor_per_year == pytest.approx(10.0)
    assert c.fitted_span_factor == pytest.approx(1e6)
    assert c.moore_span_factor == pytest.approx(8.0)  # 6 years = 3 doublings
    assert c.moore[0] == pytest.approx(1e18)
    assert c.span_years == pytest.approx(6.0)
    with pytest.raises(WorkloadError):
        growth_curves(pts[:1])
    with pytest.raises(WorkloadError):
        growth_curves(pts, doubling_years=0)


def test_growth_of_the_milestones() -> None:
    c = growth_curves(milestones())
    assert c.moore_span_factor == pytest.approx(2 ** (c.span_years / 2))
    assert c.fit.factor_per_year > 2 ** 0.5  # far faster than Moore's law


def test_sci_and_scale_table() -> None:
    assert [sci(3.14e23), sci(1e22), sci(9.99e5, 2), sci(2.5e-3)] == [
        "3.1×10²³", "10²²", "10⁶", "2.5×10⁻³"]
    with pytest.raises(WorkloadError):
        sci(0)
    table = scale_table(scale_rows())
    cells = {row[0]: row for row in table.rows}
    assert cells["GPT-4"][2] == "~1.8T (unconfirmed estimate)"
    assert cells["Llama 3.1 405B"][3] == "15.6T"
    assert "estimate" in cells["GPT-2 (1.5B)"][4]
    assert "6·N·D" in cells["GPT-3 175B"][4]


def test_growth_figure_marks_estimates() -> None:
    points = milestones()
    fig = growth_figure(points, growth_curves(points))
    ax = fig.axes[0]
    computed, estimated = ax.lines[2], ax.lines[3]
    assert np.asarray(computed.get_xdata()).size == sum(not p.estimated for p in points)
    assert np.asarray(estimated.get_xdata()).size == sum(p.estimated for p in points)
    assert computed.get_marker() != estimated.get_marker()
    first = float(np.asarray(ax.lines[0].get_xdata()).min())
    assert first == pytest.approx(min(p.year for p in points))
