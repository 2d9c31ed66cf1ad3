"""The figure of one head's attention flow: one rectangle per matrix, as given."""

from __future__ import annotations

from matplotlib.patches import Rectangle

from ai_workloads.analysis.attention import attention_flow
from ai_workloads.present.figures.attention import attention_flow_figure


def test_attention_flow_figure_draws_six_matrices() -> None:
    for tokens, d_model, head_dim in [(6, 8, 4), (4, 8, 3)]:
        fig = attention_flow_figure(attention_flow(tokens, d_model, head_dim))
        assert len(fig.axes) == 1
        rectangles = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
        assert len(rectangles) == 6  # Q, K, V, scores, weights, output
