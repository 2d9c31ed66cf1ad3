"""Tests of the figures of attention: values against hand derivations and independent sources."""

from __future__ import annotations

from matplotlib.patches import Rectangle

from ai_workloads.analysis.attention import (
    attention_flow,
)
from ai_workloads.present.figures.attention import attention_flow_figure


def test_attention_flow_figure_draws_six_matrices() -> None:
    fig = attention_flow_figure(attention_flow(6, 8, 4))
    rectangles = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert len(rectangles) == 6  # Q, K, V, scores, weights, output

