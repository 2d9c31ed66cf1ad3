"""The transformer block as a diagram: the residual stream, its two sub-layers, the norms.

It draws structure only, no numbers; the colours are those of the parameter figures
(:data:`ai_workloads.present.figures.parameters.CATEGORY_COLORS`).

>>> fig = block_diagram(["pre"])
>>> fig.axes[0].get_title()
'pre-norm: x + f(norm(x))'
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch, Rectangle

from ...core.errors import WorkloadError
from ..style import new_figure
from .parameters import CATEGORY_COLORS

_STREAM_X = 2.2  # x of the residual stream
_COL_X = 6.9  # centre x of the sub-layer column
_COL_W = 4.6
_R = 0.26  # radius of the ⊕ nodes
_INK = "#333333"


def _box(ax: Axes, cx: float, y: float, w: float, h: float, text: str, color: str) -> None:
    ax.add_patch(FancyBboxPatch((cx - w / 2, y), w, h,
                                boxstyle="round,pad=0,rounding_size=0.15",
                                facecolor=to_rgba(color, 0.22), edgecolor=color, lw=1.3))
    ax.text(cx, y + h / 2, text, ha="center", va="center", fontsize=8.5)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "-|>", "color": _INK, "lw": 1.1,
                            "shrinkA": 0, "shrinkB": 0, "mutation_scale": 9})


def _line(ax: Axes, xs: Sequence[float], ys: Sequence[float]) -> None:
    ax.plot(xs, ys, color=_INK, lw=1.1, solid_capstyle="butt")


def _plus(ax: Axes, y: float) -> None:
    ax.add_patch(Circle((_STREAM_X, y), _R, facecolor="white", edgecolor=_INK, lw=1.1,
                        zorder=3))
    ax.text(_STREAM_X, y, "+", ha="center", va="center", fontsize=10, zorder=4)


def _sublayer(ax: Axes, branch_y: float, boxes: Sequence[tuple[str, str, float]],
              join_y: float) -> None:
    """A branch off the stream through ``boxes`` (text, colour, height) and back into ⊕."""
    _line(ax, [_STREAM_X, _COL_X], [branch_y, branch_y])
    ax.plot([_STREAM_X], [branch_y], "o", color=_INK, ms=3)
    top = branch_y
    for text, color, height in boxes:
        _arrow(ax, (_COL_X, top), (_COL_X, top + 0.3))
        _box(ax, _COL_X, top + 0.3, _COL_W, height, text, color)
        top += 0.3 + height
    _line(ax, [_COL_X, _COL_X], [top, join_y])
    _arrow(ax, (_COL_X, join_y), (_STREAM_X + _R, join_y))
    _plus(ax, join_y)


def _draw_block(ax: Axes, placement: str) -> None:
    grey = "#999999"
    norm = "norm"
    attention = "attention\nW_Q, W_K, W_V, W_O"
    mlp = "MLP\nW_gate, W_up, W_down"
    _box(ax, _STREAM_X, 0.0, 3.8, 0.7, "token embedding\nW_emb [V, D]",
         CATEGORY_COLORS["embedding"])
    ax.text(_STREAM_X + 0.2, 1.05, "x: [B, T, D]", ha="left", va="center", fontsize=7.5)
    ax.text(_STREAM_X - 0.2, 3.0, "residual stream", ha="right", va="center", fontsize=7.5,
            rotation=90, color=_INK)
    ax.add_patch(Rectangle((0.5, 1.35), 9.5, 7.75, fill=False, ls="--", lw=1.0,
                           edgecolor=grey))
    ax.text(10.15, 5.2, "× L\nlayers", ha="left", va="center", fontsize=10,
            fontweight="bold")
    if placement == "pre":
        _arrow(ax, (_STREAM_X, 0.7), (_STREAM_X, 4.6 - _R))
        _sublayer(ax, 1.8, [(norm, grey, 0.55), (attention, CATEGORY_COLORS["attention"],
                                                    0.9)], 4.6)
        _arrow(ax, (_STREAM_X, 4.6 + _R), (_STREAM_X, 8.5 - _R))
        _sublayer(ax, 5.4, [(norm, grey, 0.55), (mlp, CATEGORY_COLORS["mlp"], 0.9)], 8.5)
        _arrow(ax, (_STREAM_X, 8.5 + _R), (_STREAM_X, 9.5))
        _box(ax, _STREAM_X, 9.5, 3.8, 0.55, "final norm", grey)
        _arrow(ax, (_STREAM_X, 10.05), (_STREAM_X, 10.4))
        _box(ax, _STREAM_X, 10.4, 3.8, 0.7, "LM head\nW_lm [D, V]", CATEGORY_COLORS["lm_head"])
        _arrow(ax, (_STREAM_X, 11.1), (_STREAM_X, 11.5))
        ax.text(_STREAM_X, 11.75, "logits [B, T, V]", ha="center", va="center", fontsize=8)
        return
    _arrow(ax, (_STREAM_X, 0.7), (_STREAM_X, 3.9 - _R))
    _sublayer(ax, 1.8, [(attention, CATEGORY_COLORS["attention"], 1.2)], 3.9)
    _arrow(ax, (_STREAM_X, 3.9 + _R), (_STREAM_X, 4.4))
    _box(ax, _STREAM_X, 4.4, 3.4, 0.55, "norm", grey)
    _arrow(ax, (_STREAM_X, 4.95), (_STREAM_X, 7.7 - _R))
    _sublayer(ax, 5.4, [(mlp, CATEGORY_COLORS["mlp"], 1.2)], 7.7)
    _arrow(ax, (_STREAM_X, 7.7 + _R), (_STREAM_X, 8.2))
    _box(ax, _STREAM_X, 8.2, 3.4, 0.55, "norm", grey)
    _arrow(ax, (_STREAM_X, 8.75), (_STREAM_X, 10.4))
    _box(ax, _STREAM_X, 10.4, 3.8, 0.7, "output head\n(task or LM head)", grey)
    _arrow(ax, (_STREAM_X, 11.1), (_STREAM_X, 11.5))
    ax.text(_STREAM_X, 11.75, "outputs", ha="center", va="center", fontsize=8)


def block_diagram(placements: Sequence[str] = ("pre", "post")) -> Figure:
    """The transformer block as a diagram: one panel per norm placement, side by side.

    A ``"pre"`` panel normalizes each sub-layer's input, ``x + f(norm(x))``, and ends in a
    final norm; a ``"post"`` panel normalizes after each residual addition,
    ``norm(x + f(x))``.

    >>> fig = block_diagram()
    >>> [ax.get_title() for ax in fig.axes]
    ['pre-norm: x + f(norm(x))', 'post-norm: norm(x + f(x))']
    >>> block_diagram(["sandwich"])
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: unknown norm placement 'sandwich'; use 'pre' or 'post'
    """
    titles = {"pre": "pre-norm: x + f(norm(x))", "post": "post-norm: norm(x + f(x))"}
    for placement in placements:
        if placement not in titles:
            raise WorkloadError(f"unknown norm placement {placement!r}; use 'pre' or 'post'")
    fig, _ = new_figure(1, len(placements), figsize=(4.2 * len(placements), 5.6))
    for ax, placement in zip(fig.axes, placements, strict=True):
        _draw_block(ax, placement)
        ax.set_xlim(-0.1, 11.4)
        ax.set_ylim(-0.2, 12.1)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(titles[placement], fontsize=10)
    return fig
