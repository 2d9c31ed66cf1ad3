"""The matrix-shape figure of single-head attention: Q, K, V → scores → softmax → output.

Rectangles are drawn to scale from the shapes of
:func:`ai_workloads.analysis.attention.attention_flow`;
no arithmetic here beyond placing them. The four steps sit on two rows, so that the figure
stays narrow: at 5.2 inches wide with 10-point text its labels are still about 9 px tall on
a 390 px phone screen. The top row projects and scores, the bottom row (read from right to
left) normalises and weights V, which puts the output under the Q it has the shape of.

>>> from ai_workloads.analysis.attention import attention_flow
>>> fig = attention_flow_figure(attention_flow(6, 8, 4))
>>> len(fig.axes[0].patches)   # 6 matrices and 3 arrows
9
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from ...analysis.attention import FlowStep
from ...core.errors import WorkloadError
from ..style import OKABE_ITO, new_figure

#: Figure width (inches) and the size of its text (points).
FLOW_WIDTH = 5.2
TEXT_POINTS = 10.0
_GAP = 0.6  # between the matrices of one step
_STEP_GAP = 4.0  # between two steps of one row
_ROW_GAP = 7.5  # between the rows, room for the labels and the arrow


def _draw_group(ax: Axes, x: float, y: float,
                group: Sequence[tuple[str, tuple[int, int], str]]) -> float:
    """Draw the matrices of one step from ``(x, y)``, their bottom edge; return the right edge."""
    for label, (rows, cols), colour in group:
        ax.add_patch(Rectangle((x, y), cols, rows, facecolor=colour, alpha=0.75,
                               edgecolor="black", linewidth=1.2))
        ax.text(x + cols / 2, y + rows + 0.3, label, ha="center", va="bottom",
                fontsize=TEXT_POINTS)
        ax.text(x + cols / 2, y - 0.4, f"[{rows}, {cols}]", ha="center", va="top",
                fontsize=TEXT_POINTS)
        x += cols + _GAP
    return x - _GAP


def _width(group: Sequence[tuple[str, tuple[int, int], str]]) -> float:
    return sum(shape[1] for _, shape, _ in group) + _GAP * (len(group) - 1)


def attention_flow_figure(steps: Sequence[FlowStep]) -> Figure:
    """Draw Q/K/V ``[T, H]``, scores ``[T, S]``, softmax weights ``[T, S]`` and output ``[T, H]``.

    Each matrix is a rectangle whose height is its rows and width its columns; steps 1 and
    2 form the top row, 3 and 4 the bottom row, with arrows from step to step.

    >>> from ai_workloads.analysis.attention import attention_flow
    >>> fig = attention_flow_figure(attention_flow(4, 8, 3))
    >>> sorted(t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("["))[:2]
    ['[4, 3]', '[4, 3]']
    """
    by_name = {s.name: s for s in steps}
    missing = {"q", "k", "v", "scores", "softmax", "attn_v"} - by_name.keys()
    if missing:
        raise WorkloadError(f"attention_flow_figure needs the steps of attention_flow(); "
                            f"missing {sorted(missing)}")
    project = [("Q", by_name["q"].output, OKABE_ITO["sky_blue"]),
               ("K", by_name["k"].output, OKABE_ITO["orange"]),
               ("V", by_name["v"].output, OKABE_ITO["bluish_green"])]
    scores = [("Q·Kᵀ/√H", by_name["scores"].output, OKABE_ITO["yellow"])]
    weights = [("softmax", by_name["softmax"].output, OKABE_ITO["reddish_purple"])]
    output = [("output", by_name["attn_v"].output, OKABE_ITO["blue"])]
    tallest = max(shape[0] for g in (project, scores, weights, output) for _, shape, _ in g)
    row_height = tallest + _ROW_GAP
    top, bottom = row_height, 0.0
    right = _width(project) + _STEP_GAP   # left edge of the right column

    fig, ax = new_figure(figsize=(FLOW_WIDTH, FLOW_WIDTH * 1.05))
    placed: dict[str, tuple[float, float, float]] = {}  # step: left, right, bottom
    for name, group, x, y in (("project", project, 0.0, top),
                              ("scores", scores, right, top),
                              ("weights", weights, right, bottom),
                              ("output", output, 0.0, bottom)):
        placed[name] = (x, _draw_group(ax, x, y, group), y)
    titles = {"project": "1. project", "scores": "2. scores",
              "weights": "3. normalise rows", "output": "4. weight V"}
    for name, (left, end, y) in placed.items():
        ax.text((left + end) / 2, y + tallest + 1.6, titles[name], ha="center",
                va="bottom", fontsize=TEXT_POINTS, fontweight="bold")
    middle = tallest / 2
    arrows = (
        ((placed["project"][1] + 0.3, top + middle), (placed["scores"][0] - 0.3, top + middle)),
        (((placed["scores"][0] + placed["scores"][1]) / 2, top - 1.7),
         ((placed["weights"][0] + placed["weights"][1]) / 2, bottom + tallest + 3.1)),
        ((placed["weights"][0] - 0.3, bottom + middle), (placed["output"][1] + 0.3,
                                                         bottom + middle)),
    )
    for tail, head in arrows:
        ax.add_artist(FancyArrowPatch(tail, head, arrowstyle="->", mutation_scale=16,
                                      linewidth=1.5))
    ax.set_xlim(-0.5, max(edge for _, edge, _ in placed.values()) + 0.5)
    ax.set_ylim(-2.0, top + tallest + 3.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig
