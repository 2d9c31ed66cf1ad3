"""The figure of one head's attention flow: one rectangle per matrix, as given, on two rows,
with text that stays legible when a phone shrinks the figure."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from ai_workloads.analysis.attention import attention_flow
from ai_workloads.present.figures.attention import attention_flow_figure

#: A phone's text column (CSS px) and the smallest text worth drawing there (px).
PHONE_PX, MIN_TEXT_PX = 350, 7.0


def smallest_text_on_a_phone(fig: Figure) -> float:
    width_px = fig.get_size_inches()[0] * fig.dpi
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_text() and t.get_visible()]
    return min(sizes) * fig.dpi / 72 * PHONE_PX / width_px


def test_attention_flow_figure_draws_six_matrices() -> None:
    for tokens, d_model, head_dim in [(6, 8, 4), (4, 8, 3)]:
        fig = attention_flow_figure(attention_flow(tokens, d_model, head_dim))
        assert len(fig.axes) == 1
        rectangles = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
        assert len(rectangles) == 6  # Q, K, V, scores, weights, output
        # To scale: width = columns, height = rows.
        sizes = sorted((r.get_width(), r.get_height()) for r in rectangles)
        assert sizes == sorted([(head_dim, tokens)] * 4 + [(tokens, tokens)] * 2)


def test_attention_flow_figure_has_two_rows_and_the_output_under_q() -> None:
    fig = attention_flow_figure(attention_flow(6, 8, 4))
    rectangles = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    rows = sorted({r.get_y() for r in rectangles})
    assert len(rows) == 2
    q, output = rectangles[0], rectangles[-1]
    assert q.get_x() == output.get_x()
    assert q.get_y() > output.get_y()


def test_attention_flow_figure_is_legible_on_a_phone() -> None:
    fig = attention_flow_figure(attention_flow(6, 8, 4))
    assert smallest_text_on_a_phone(fig) >= MIN_TEXT_PX
