"""The transformer block as a diagram: the residual stream, its two sub-layers, the norms.

It draws structure only, no numbers; the colours are those of the parameter figures
(:data:`ai_workloads.present.figures.parameters.CATEGORY_COLORS`). Each panel is drawn
with the MLP of the models it stands for: Llama's gated MLP (three matrices) for pre-norm,
the two-matrix MLP of the original Transformer and BERT for post-norm.

>>> fig = block_diagram(["pre"])
>>> fig.axes[0].get_title()
'pre-norm, as in Llama'
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

_STREAM_X = 2.0  # x of the residual stream
_COL_X = 6.75  # centre x of the sub-layer column
_COL_W = 5.3
_STREAM_W = 3.7  # width of the boxes on the stream
_R = 0.28  # radius of the ⊕ nodes
_INK = "#333333"
_FONT = 9.5
#: Size of one panel in inches: narrow enough to stay legible on a phone.
PANEL_SIZE = (4.2, 5.8)

#: Per placement: the panel's title and the MLP's label (the matrices of its models).
PANELS: dict[str, tuple[str, str]] = {
    "pre": ("pre-norm, as in Llama",
            "gated MLP\n$W_\\mathrm{gate}$, $W_\\mathrm{up}$, $W_\\mathrm{down}$"),
    "post": ("post-norm, as in the original\nTransformer and BERT", "MLP\n$W_1$, $W_2$"),
}
_ATTENTION = "attention\n$W_Q$, $W_K$, $W_V$, $W_O$"


def _box(ax: Axes, cx: float, y: float, w: float, h: float, text: str, color: str) -> None:
    ax.add_patch(FancyBboxPatch((cx - w / 2, y), w, h,
                                boxstyle="round,pad=0,rounding_size=0.15",
                                facecolor=to_rgba(color, 0.2), edgecolor=color, lw=1.3,
                                zorder=2))
    ax.text(cx, y + h / 2, text, ha="center", va="center", fontsize=_FONT, zorder=3)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "-|>", "color": _INK, "lw": 1.1,
                            "shrinkA": 0, "shrinkB": 0, "mutation_scale": 9})


def _line(ax: Axes, xs: Sequence[float], ys: Sequence[float]) -> None:
    ax.plot(xs, ys, color=_INK, lw=1.1, solid_capstyle="butt")


def _plus(ax: Axes, y: float) -> None:
    ax.add_patch(Circle((_STREAM_X, y), _R, facecolor="white", edgecolor=_INK, lw=1.1,
                        zorder=3))
    ax.text(_STREAM_X, y, "+", ha="center", va="center", fontsize=11, zorder=4)


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


def _on_stream(ax: Axes, y0: float, y1: float, text: str, color: str,
               height: float = 0.6) -> float:
    """An arrow up the stream from ``y0`` to a box at ``y1``; returns the box's top."""
    _arrow(ax, (_STREAM_X, y0), (_STREAM_X, y1))
    _box(ax, _STREAM_X, y1, _STREAM_W, height, text, color)
    return y1 + height


def _draw_block(ax: Axes, placement: str) -> None:
    norm = CATEGORY_COLORS["norms"]
    attention, mlp = CATEGORY_COLORS["attention"], CATEGORY_COLORS["mlp"]
    _box(ax, _STREAM_X, 0.0, _STREAM_W, 0.95, "token embedding\n$W_\\mathrm{emb}$: [V, D]",
         CATEGORY_COLORS["embedding"])
    ax.text(_STREAM_X + 0.2, 1.25, "x: [B, T, D]", ha="left", va="center", fontsize=_FONT)
    ax.text(_STREAM_X - 0.55, 2.75, "residual\nstream", ha="center", va="center",
            fontsize=_FONT, rotation=90, color=_INK, linespacing=1.0)
    ax.add_patch(Rectangle((0.0, 1.55), 10.2, 7.45, fill=False, ls="--", lw=1.0,
                           edgecolor="#999999"))
    ax.text(10.0, 8.85, "× L layers", ha="right", va="top", fontsize=_FONT + 0.5,
            fontweight="bold")
    mlp_label = PANELS[placement][1]
    if placement == "pre":
        _arrow(ax, (_STREAM_X, 0.95), (_STREAM_X, 4.7 - _R))
        _sublayer(ax, 1.95, [("norm", norm, 0.6), (_ATTENTION, attention, 1.2)], 4.7)
        _arrow(ax, (_STREAM_X, 4.7 + _R), (_STREAM_X, 8.35 - _R))
        _sublayer(ax, 5.3, [("norm", norm, 0.6), (mlp_label, mlp, 1.2)], 8.35)
        top = _on_stream(ax, 8.35 + _R, 9.45, "final norm", norm)
        top = _on_stream(ax, top, top + 0.35, "LM head\n$W_\\mathrm{lm}$: [D, V]",
                         CATEGORY_COLORS["lm_head"], 0.95)
        out = "logits: [B, T, V]"
    else:
        _arrow(ax, (_STREAM_X, 0.95), (_STREAM_X, 3.9 - _R))
        _sublayer(ax, 1.95, [(_ATTENTION, attention, 1.2)], 3.9)
        top = _on_stream(ax, 3.9 + _R, 4.45, "norm", norm)
        _arrow(ax, (_STREAM_X, top), (_STREAM_X, 7.45 - _R))
        _sublayer(ax, 5.6, [(mlp_label, mlp, 1.2)], 7.45)
        top = _on_stream(ax, 7.45 + _R, 8.0, "norm", norm)
        top = _on_stream(ax, top, 10.4, "output head\n(LM or task)",
                         CATEGORY_COLORS["lm_head"], 0.95)
        out = "outputs"
    _arrow(ax, (_STREAM_X, top), (_STREAM_X, top + 0.4))
    ax.text(_STREAM_X, top + 0.65, out, ha="center", va="center", fontsize=_FONT)


def block_diagram(placements: Sequence[str] = ("pre", "post")) -> Figure:
    """The transformer block as a diagram: one panel per norm placement, side by side.

    A ``"pre"`` panel normalizes each sub-layer's input, ``x + f(norm(x))``, and ends in a
    final norm; a ``"post"`` panel normalizes after each residual addition,
    ``norm(x + f(x))``. One panel (:data:`PANEL_SIZE`) stays legible on a phone; pages
    that show both should draw them as two figures that can stack.

    >>> fig = block_diagram()
    >>> [ax.get_title().splitlines()[0] for ax in fig.axes]
    ['pre-norm, as in Llama', 'post-norm, as in the original']
    >>> block_diagram(["sandwich"])
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: unknown norm placement 'sandwich'; use 'pre' or 'post'
    """
    for placement in placements:
        if placement not in PANELS:
            raise WorkloadError(f"unknown norm placement {placement!r}; use 'pre' or 'post'")
    width, height = PANEL_SIZE
    fig, _ = new_figure(1, len(placements), figsize=(width * len(placements), height))
    for ax, placement in zip(fig.axes, placements, strict=True):
        _draw_block(ax, placement)
        ax.set_xlim(-0.1, 10.3)
        ax.set_ylim(-0.2, 12.2)
        ax.axis("off")
        ax.set_title(PANELS[placement][0], fontsize=10.5)
    return fig
