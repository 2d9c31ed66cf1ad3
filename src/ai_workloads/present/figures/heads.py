"""Figures and tables of multi-head attention: the head split and the MHA/GQA dataflow.

Functions draw or format results of :mod:`ai_workloads.analysis.variants`; no arithmetic of
their own
beyond placing boxes.

>>> from ai_workloads.catalog import get_model
>>> from ai_workloads.analysis.variants import head_layout
>>> head_config_table([head_layout(get_model("bert-base"))], ["BERT-base"]).rows[0][:4]
('BERT-base', '768', '12', '12')
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ...analysis.variants import HeadLayout
from ...core.errors import WorkloadError
from ..style import OKABE_ITO, colors, new_figure
from ..tables import Table

_GREY = "#d9d9d9"


def head_config_table(layouts: Sequence[HeadLayout], names: Sequence[str]) -> Table:
    """One row per model: ``D``, ``N``, ``K``, ``H``, ``D/N``, ``N/K`` and the attention kind.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.variants import head_layout
    >>> t = head_config_table([head_layout(get_model("gemma-2b"))], ["Gemma 2B"])
    >>> t.columns[1:], t.rows[0][1:]
    (('D', 'N', 'K', 'H', 'D/N', 'N/K', 'attention'), ('2,048', '8', '1', '256', '256', '8', 'MQA'))
    """
    if len(layouts) != len(names):
        raise WorkloadError(f"{len(layouts)} layouts but {len(names)} names; give one name each")
    rows = tuple(
        (name, f"{h.d_model:,}", str(h.n_heads), str(h.n_kv_heads), str(h.head_dim),
         f"{h.width_per_head:g}", str(h.group_size), h.kind)
        for h, name in zip(layouts, names, strict=True))
    return Table("Attention heads", ("model", "D", "N", "K", "H", "D/N", "N/K", "attention"),
                 rows, ("l", "r", "r", "r", "r", "r", "r", "l"))


def _box(ax: Axes, x: float, y: float, w: float, h: float, text: str, face: str,
         size: float = 8.5, color: str = "black") -> None:
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.03", facecolor=face,
                                edgecolor="black", linewidth=1.0, zorder=1))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size, color=color)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], color: str = "black",
           lw: float = 1.0) -> None:
    ax.annotate("", xy=end, xytext=start, zorder=0.5,
                arrowprops={"arrowstyle": "->", "color": color, "lw": lw})


def mha_figure(layout: HeadLayout) -> Figure:
    """The dataflow of one attention layer: X → projections → heads → concat → W_O.

    Each of the ``K`` KV heads (coloured) feeds its group of ``N/K`` query heads (same
    colour); with ``K = N`` this is classic multi-head attention.

    >>> from ai_workloads.analysis.variants import HeadLayout
    >>> fig = mha_figure(HeadLayout(512, 8, 2, 64, "GQA"))
    >>> len(fig.axes[0].patches)   # input, 2 projections, 2 KV, 8 heads, concat, output
    15
    """
    n, k, hd, d = layout.n_heads, layout.n_kv_heads, layout.head_dim, layout.d_model
    if n > 16 or n % k:
        raise WorkloadError(f"draw a small configuration: N <= 16 heads divisible by K, "
                            f"got N={n}, K={k}")
    group = layout.group_size
    palette = colors(k) if k <= 8 else [OKABE_ITO["sky_blue"]] * k
    fig, ax = new_figure(figsize=(7.2, 5.4))
    ax.set_xlim(0, 10)
    ax.set_ylim(0.3, 9.6)
    ax.axis("off")
    _box(ax, 3.2, 8.6, 3.6, 0.7, f"input X  bf16[T, D={d}]", "#ffffff", 9)
    _box(ax, 0.3, 7.1, 3.9, 0.8, f"W_Q [D, N·H] → {n} query heads", _GREY)
    _box(ax, 5.6, 7.1, 4.1, 0.8, f"W_K, W_V [D, K·H] → {k} KV heads", _GREY)
    _arrow(ax, (5.0, 8.6), (2.25, 7.9))
    _arrow(ax, (5.0, 8.6), (7.65, 7.9))
    step = 10.0 / n
    width = 0.84 * step
    head_x = [i * step + (step - width) / 2 for i in range(n)]
    for j in range(k):
        first, last = head_x[j * group], head_x[(j + 1) * group - 1] + width
        kv_w = min(last - first, 2.4)
        kv_x = (first + last) / 2 - kv_w / 2
        _box(ax, kv_x, 5.5, kv_w, 0.8, f"k{j + 1}, v{j + 1}\n[T, H={hd}]", palette[j], 8)
        _arrow(ax, (7.65, 7.1), (kv_x + kv_w / 2, 6.3), "#555555", 0.8)
        for i in range(j * group, (j + 1) * group):
            _arrow(ax, (kv_x + kv_w / 2, 5.5), (head_x[i] + width / 2, 4.6), palette[j], 1.2)
    for i, x in enumerate(head_x):
        _box(ax, x, 3.4, width, 1.2, f"head {i + 1}\nq{i + 1}", palette[i // group], 8)
        _arrow(ax, (2.25, 7.1), (x + width / 2, 4.6), "#aaaaaa", 0.5)
        _arrow(ax, (x + width / 2, 3.4), (x + width / 2, 2.7), "#555555", 0.8)
    _box(ax, 0.3, 1.9, 9.4, 0.8, f"concatenate: {n} heads × H = {layout.q_width}", _GREY)
    _box(ax, 2.6, 0.5, 4.8, 0.8, f"W_O [N·H, D] → output bf16[T, D={d}]", "#ffffff")
    _arrow(ax, (5.0, 1.9), (5.0, 1.3))
    ax.set_title(f"{layout.kind}: N = {n} query heads share K = {k} KV heads "
                 f"({group} per KV head)")
    return fig
