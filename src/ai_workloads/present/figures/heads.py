"""Figures and tables of multi-head attention: the head split and the dataflow of one layer.

Functions draw or format results of :mod:`ai_workloads.analysis.variants`; they do no
arithmetic of their own beyond placing boxes.

>>> from ai_workloads.catalog import get_model
>>> from ai_workloads.analysis.variants import head_layout
>>> head_config_table([head_layout(get_model("bert-base"))], ["BERT-base"]).rows[0][:4]
('BERT-base', '768', '12', '64')
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ...analysis.variants import HeadLayout
from ...core.errors import WorkloadError
from ..style import CONCEPT_COLORS, new_figure
from ..tables import Table

_GREY = "#8c8c8c"
_INK = "#333333"
#: The most heads the figure draws side by side (each box keeps a readable label).
MAX_DRAWN_HEADS = 8
#: The figure's size in inches: narrow enough that its labels stay legible on a phone.
FIGSIZE = (5.2, 5.4)
_FONT = 10.0

_TITLES = {
    "MHA": "Multi-head attention (MHA):\n{n} heads, each with its own keys and values",
    "GQA": "Variant: grouped-query attention (GQA):\n{n} query heads share {k} KV heads",
    "MQA": "Variant: multi-query attention (MQA):\n{n} query heads share {k} KV head",
}


def head_config_table(layouts: Sequence[HeadLayout], names: Sequence[str]) -> Table:
    """One row per model: ``D``, ``N``, ``H``, ``N·H``, ``K``, ``N/K`` and the attention kind.

    ``N·H`` is the width of the query heads side by side; it equals ``D`` when the heads
    tile the model width. ``N/K`` is a ratio: query heads per KV head.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.variants import head_layout
    >>> t = head_config_table([head_layout(get_model("gemma-7b"))], ["Gemma 7B"])
    >>> t.columns[1:]
    ('D', 'N', 'H', 'N·H', 'K', 'N/K', 'attention')
    >>> t.rows[0][1:]   # 16 heads of 256 are wider than the model
    ('3,072', '16', '256', '4,096', '16', '1', 'MHA')
    """
    if len(layouts) != len(names):
        raise WorkloadError(f"{len(layouts)} layouts but {len(names)} names; give one name each")
    rows = tuple(
        (name, f"{h.d_model:,}", str(h.n_heads), str(h.head_dim), f"{h.q_width:,}",
         str(h.n_kv_heads), str(h.group_size), h.kind)
        for h, name in zip(layouts, names, strict=True))
    return Table("Attention heads", ("model", "D", "N", "H", "N·H", "K", "N/K", "attention"),
                 rows, ("l", "r", "r", "r", "r", "r", "r", "l"))


def _box(ax: Axes, x: float, y: float, w: float, h: float, text: str, color: str,
         fill: float = 0.18) -> None:
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.12",
                                facecolor=to_rgba(color, fill), edgecolor=color,
                                linewidth=1.3, zorder=2))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=_FONT, zorder=3)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float],
           color: str = _INK) -> None:
    ax.annotate("", xy=end, xytext=start, zorder=1,
                arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.1, "shrinkA": 0,
                            "shrinkB": 0, "mutation_scale": 9})


def mha_figure(layout: HeadLayout) -> Figure:
    """The dataflow of one attention layer: X → projections → heads → concat → W_O.

    Heads are drawn in attention's colour; a KV head and the group of ``N/K`` query heads
    that reads it share a shade (groups alternate light and dark) and are joined by
    arrows. With ``K = N`` (MHA) every head has its own; with ``K < N`` the figure is titled
    as the variant it is (GQA, or MQA for ``K = 1``).

    >>> from ai_workloads.analysis.variants import HeadLayout
    >>> fig = mha_figure(HeadLayout(256, 4, 2, 64, "GQA"))
    >>> len(fig.axes[0].patches)   # input, 2 projections, 2 KV, 4 heads, concat, output
    11
    >>> fig.axes[0].get_title().splitlines()[0]
    'Variant: grouped-query attention (GQA):'
    """
    n, k, hd, d = layout.n_heads, layout.n_kv_heads, layout.head_dim, layout.d_model
    if n > MAX_DRAWN_HEADS or n % k or layout.kind not in _TITLES:
        raise WorkloadError(f"draw a small configuration: N <= {MAX_DRAWN_HEADS} heads "
                            f"divisible by K, got N={n}, K={k}")
    group = layout.group_size
    blue = CONCEPT_COLORS["attention"]
    shade = [0.12 if j % 2 == 0 or k == n else 0.38 for j in range(k)]
    fig, ax = new_figure(figsize=FIGSIZE)
    ax.set_xlim(0, 10)
    ax.set_ylim(0.3, 10.0)
    ax.axis("off")
    _box(ax, 2.2, 9.1, 5.6, 0.75, f"input $X$: [T, D = {d}]", _GREY)
    _box(ax, 0.35, 7.3, 4.35, 1.1, f"$W_Q$: [D, N·H]\n→ {n} query heads", _GREY)
    _box(ax, 5.3, 7.3, 4.6, 1.1, f"$W_K$, $W_V$: [D, K·H]\n→ {k} KV heads", _GREY)
    _arrow(ax, (4.2, 9.1), (2.4, 8.4))
    _arrow(ax, (5.8, 9.1), (7.6, 8.4))
    step = 10.0 / n
    width = 0.84 * step
    head_x = [i * step + (step - width) / 2 for i in range(n)]
    bus_y, head_top = 4.95, 4.55
    # Queries: out of W_Q's left side, down the edge, then along a bus to each head.
    ax.plot([0.35, 0.05, 0.05, head_x[-1] + 0.3 * width], [7.85, 7.85, bus_y, bus_y],
            color=_GREY, lw=1.1, zorder=1)
    for j in range(k):
        first, last = head_x[j * group], head_x[(j + 1) * group - 1] + width
        kv_w = min(last - first, 2.6)
        kv_x = (first + last) / 2 - kv_w / 2
        _box(ax, kv_x, 5.5, kv_w, 0.8, f"$k_{{{j + 1}}}$, $v_{{{j + 1}}}$", blue, shade[j])
        _arrow(ax, (7.6, 7.3), (kv_x + kv_w / 2, 6.3))
        for i in range(j * group, (j + 1) * group):
            _arrow(ax, (kv_x + kv_w / 2, 5.5), (head_x[i] + 0.7 * width, head_top), blue)
    for i, x in enumerate(head_x):
        _arrow(ax, (x + 0.3 * width, bus_y), (x + 0.3 * width, head_top), _GREY)
        _box(ax, x, 3.4, width, head_top - 3.4, f"head {i + 1}\n$q_{{{i + 1}}}$", blue,
             shade[i // group])
        _arrow(ax, (x + width / 2, 3.4), (x + width / 2, 2.85))
    _box(ax, 0.1, 2.1, 9.8, 0.75, f"concatenate: N·H = {n} × {hd} = {layout.q_width}", _GREY)
    _box(ax, 1.2, 0.4, 7.6, 0.9, f"$W_O$: [N·H, D] → output [T, D = {d}]", _GREY)
    _arrow(ax, (5.0, 2.1), (5.0, 1.3))
    ax.set_title(_TITLES[layout.kind].format(n=n, k=k), fontsize=10.5)
    return fig
