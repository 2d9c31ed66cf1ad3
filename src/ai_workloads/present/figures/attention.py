"""The matrix-shape figure of single-head attention: Q, K, V → scores → softmax → output.

Rectangles are drawn to scale from the shapes of
:func:`ai_workloads.analysis.attention.attention_flow`;
no arithmetic here beyond placing them.

>>> from ai_workloads.analysis.attention import attention_flow
>>> fig = attention_flow_figure(attention_flow(6, 8, 4))
>>> len(fig.axes[0].patches)   # 6 matrices and 3 arrows
9
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from ...analysis.attention import FlowStep
from ...core.errors import WorkloadError
from ..style import OKABE_ITO, new_figure

_GAP = 2.5


def attention_flow_figure(steps: Sequence[FlowStep]) -> Figure:
    """Draw Q/K/V ``[T, H]``, scores ``[T, S]``, softmax weights ``[T, S]`` and output ``[T, H]``.

    Each matrix is a rectangle whose height is its rows and width its columns.

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
    groups: list[list[tuple[str, tuple[int, int], str]]] = [
        [("Q", by_name["q"].output, OKABE_ITO["sky_blue"]),
         ("K", by_name["k"].output, OKABE_ITO["orange"]),
         ("V", by_name["v"].output, OKABE_ITO["bluish_green"])],
        [("Q·Kᵀ/√H", by_name["scores"].output, OKABE_ITO["yellow"])],
        [("softmax", by_name["softmax"].output, OKABE_ITO["reddish_purple"])],
        [("output", by_name["attn_v"].output, OKABE_ITO["blue"])],
    ]
    titles = ["1. project", "2. scores", "3. normalise rows", "4. weight V"]
    fig, ax = new_figure(figsize=(8.0, 3.4))
    x = 0.0
    tallest = max(shape[0] for g in groups for _, shape, _ in g)
    right_edges: list[tuple[float, float]] = []
    for title, group in zip(titles, groups, strict=True):
        left = x
        for label, (rows, cols), colour in group:
            ax.add_patch(Rectangle((x, 0), cols, rows, facecolor=colour, alpha=0.75,
                                   edgecolor="black", linewidth=1.2))
            ax.text(x + cols / 2, rows + 0.3, label, ha="center", va="bottom", fontsize=9)
            ax.text(x + cols / 2, -0.4, f"[{rows}, {cols}]", ha="center", va="top", fontsize=8)
            x += cols + 0.6
        x -= 0.6
        ax.text((left + x) / 2, tallest + 2.0, title, ha="center", va="bottom", fontsize=9.5,
                fontweight="bold")
        right_edges.append((left, x))
        x += _GAP
    for (_, end), (start, _) in itertools.pairwise(right_edges):
        ax.add_artist(FancyArrowPatch((end + 0.3, tallest / 2), (start - 0.3, tallest / 2),
                                      arrowstyle="->", mutation_scale=14, linewidth=1.4))
    ax.set_xlim(-0.5, x - _GAP + 0.5)
    ax.set_ylim(-2.0, tallest + 3.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig
