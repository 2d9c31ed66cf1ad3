"""Figures and tables of modern variants: RoPE, KV sharing, FlashAttention memory, MoE.

Functions draw or format results of :mod:`ai_workloads.analysis.variants`; their only arithmetic is
unit scaling for display.

>>> from ai_workloads.catalog import get_model
>>> from ai_workloads.analysis.variants import kv_variants
>>> variants_table(kv_variants(get_model("llama-2-7b")), ["", "", ""]).rows[0][:2]
('MHA', '32')
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ...analysis.variants import AttentionMemoryCurve, KvVariant
from ...core.errors import WorkloadError
from ...core.units import gb
from ..style import CONCEPT_COLORS, OKABE_ITO, colors, label_axes, new_figure
from ..tables import Table

_DESCRIPTION = {
    "MHA": "every query head has its own K and V",
    "GQA": "each K, V head is shared by a group of N/K query heads",
    "MQA": "one K, V head shared by all query heads",
}


def variants_table(variants: Sequence[KvVariant], used_by: Sequence[str],
                   examples: Sequence[str] | None = None) -> Table:
    """The attention variants: ``K``, cached values ``2·L·K·H`` and bytes per token, and who
    uses each; with ``examples``, a first column names the model each row's numbers are for.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.variants import kv_variants
    >>> t = variants_table(kv_variants(get_model("llama-2-7b"), context=1), ["a", "b", "c"])
    >>> t.rows[2]
    ('MQA', '1', 'one K, V head shared by all query heads', '8,192', '16,384', '32x', 'c')
    >>> variants_table(kv_variants(get_model("llama-2-7b")), "abc", ["x", "y", "z"]).columns[1]
    'example'
    """
    if len(variants) != len(used_by):
        raise WorkloadError(f"{len(variants)} variants but {len(used_by)} 'used by' cells")
    if examples is not None and len(examples) != len(variants):
        raise WorkloadError(f"{len(variants)} variants but {len(examples)} examples")
    rows: tuple[tuple[str, ...], ...] = tuple(
        (v.kind, str(v.n_kv_heads), _DESCRIPTION.get(v.kind, ""), f"{v.elements_per_token:,}",
         f"{v.bytes_per_token:,}", f"{v.reduction}x", who)
        for v, who in zip(variants, used_by, strict=True))
    columns: tuple[str, ...] = ("variant", "K", "what is shared", "values / token (2·L·K·H)",
                                "bytes / token", "smaller than MHA", "used by")
    align: tuple[str, ...] = ("l", "r", "l", "r", "r", "r", "l")
    if examples is not None:
        rows = tuple((r[0], ex, *r[1:]) for r, ex in zip(rows, examples, strict=True))
        columns = (columns[0], "example", *columns[1:])
        align = ("l", "l", *align[1:])
    return Table("Attention variants", columns, rows, align)


def rope_figure(frequencies: npt.ArrayLike, distances: npt.ArrayLike,
                scores: npt.ArrayLike, head_dim: int, theta: float,
                shifted: npt.ArrayLike | None = None, shift: int = 0) -> Figure:
    """Left: RoPE's angle per position for each pair; right: ``q·k`` vs relative distance,
    and (``shifted``) the same scores with query and key both moved by ``shift`` positions,
    drawn as markers over the line so that both can be seen.

    >>> import numpy as np
    >>> fig = rope_figure([1.0, 0.1], [0, 1, 2], [1.0, 0.9, 0.8], 4, 10000.0,
    ...                   shifted=[1.0, 0.9, 0.8], shift=1000)
    >>> len(fig.axes), len(fig.axes[1].lines)   # the curve, the shifted one, the zero line
    (2, 3)
    """
    freqs = np.asarray(frequencies, dtype=float)
    fig, (left, right) = new_figure(1, 2, figsize=(7.6, 3.4))
    left.semilogy(np.arange(freqs.size), freqs, marker=".", linestyle="none")
    label_axes(left, xlabel=r"pair index $i$", ylabel=r"angle per position $\theta_i$ (rad)",
               title=rf"$\theta_i = {theta:g}^{{-2i/H}}$, $H$ = {head_dim}")
    right.plot(np.asarray(distances), np.asarray(scores), linewidth=1.2,
               label="query at position 0")
    if shifted is not None:
        right.plot(np.asarray(distances), np.asarray(shifted), linestyle="none", marker="o",
                   markersize=3.5, markevery=12, markerfacecolor="none",
                   color=OKABE_ITO["vermillion"],
                   label=f"both moved by {shift:,} positions")
        right.legend(loc="upper right", fontsize=8)
    right.set_xscale("symlog", linthresh=1.0)
    right.axhline(0.0, color=OKABE_ITO["black"], linewidth=0.6)
    label_axes(right, xlabel=r"relative distance $d$ (tokens)", ylabel=r"$q \cdot k \,/\, H$",
               title=r"score of identical $q$, $k$ against distance")
    return fig


def _bar_labels(ax: Axes, variants: Sequence[KvVariant], values: Sequence[float]) -> None:
    top = max(values)
    for i, (v, y) in enumerate(zip(variants, values, strict=True)):
        size = "MHA: full size" if v.reduction == 1 else f"{v.reduction}× smaller"
        ax.text(i, y + 0.03 * top, f"K = {v.n_kv_heads}\n{size}", ha="center", va="bottom",
                fontsize=8.5)


def kv_flash_figure(variants: Sequence[KvVariant], context: int, curve: AttentionMemoryCurve,
                    capacity_bytes: int, capacity_label: str, chip: str = "H100") -> Figure:
    """Two panels, one above the other (legible on a phone): the KV cache (GB) by variant at
    ``context`` (top), and attention memory against context with a dashed line at the memory
    of one ``chip`` (bottom).

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.variants import attention_memory_curve, kv_variants
    >>> fig = kv_flash_figure(kv_variants(get_model("llama-2-7b")), 4096,
    ...                       attention_memory_curve([100, 1000]), 80 * 10**9, "80 GB")
    >>> len(fig.axes[0].patches), len(fig.axes[1].lines)
    (3, 3)
    """
    fig, (left, right) = new_figure(2, 1, figsize=(6.4, 7.2))
    values = [gb(v.cache_bytes) for v in variants]
    left.bar([v.kind for v in variants], values, color=CONCEPT_COLORS["attention"],
             hatch=["", "//", "xx"][:len(variants)] + [""] * max(0, len(variants) - 3),
             edgecolor="white")
    _bar_labels(left, variants, values)
    left.set_ylim(0, 1.3 * max(values))
    label_axes(left, xlabel="attention variant", ylabel=f"KV cache at S = {context:,} (GB)",
               title="KV cache by attention variant")
    palette = colors(4)
    right.loglog(curve.tokens, [gb(b) for b in curve.standard], color=palette[3],
                 label="standard (T×T scores)")
    right.loglog(curve.tokens, [gb(b) for b in curve.flash], color=palette[2],
                 label="FlashAttention (tiles)")
    right.axhline(gb(capacity_bytes), color=OKABE_ITO["black"], linestyle="--", linewidth=1.0,
                  label=f"{chip} memory ({capacity_label})")
    right.legend(loc="upper left")
    label_axes(right, xlabel="context T (tokens)",
               ylabel=f"attention memory, one head, {curve.dtype} (GB)",
               title="attention working memory")
    return fig


def _node(ax: Axes, x: float, y: float, w: float, h: float, text: str, face: str,
          bold: bool = False) -> None:
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.03",
                                facecolor=face, edgecolor="black", linewidth=1.0, zorder=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=8.5,
            fontweight="bold" if bold else "normal", zorder=2)


def moe_figure(n_experts: int, chosen: Sequence[int], weights: Sequence[float]) -> Figure:
    """An MoE layer: the router picks ``chosen`` experts (0-based) and mixes them by ``weights``.

    >>> fig = moe_figure(8, [2, 5], [0.6, 0.4])
    >>> len(fig.axes[0].patches)   # token, router, 8 experts, weighted sum
    11
    """
    if len(chosen) != len(weights) or not all(0 <= e < n_experts for e in chosen):
        raise WorkloadError("give one weight per chosen expert, each expert in 0..E-1")
    active, idle = colors(3)[2], "#eeeeee"
    fig, ax = new_figure(figsize=(7.6, 4.2))
    ax.set_xlim(0, n_experts + 1)
    ax.set_ylim(0, 7.4)
    ax.axis("off")
    mid = (n_experts + 1) / 2
    _node(ax, mid, 6.7, 2.6, 0.6, "token x  bf16[1, D]", "#ffffff", True)
    _node(ax, mid, 5.3, 2.6, 0.8, "router  softmax(top-k of x·W_r)\nW_r [D, E]",
          OKABE_ITO["sky_blue"])
    ax.annotate("", xy=(mid, 5.7), xytext=(mid, 6.4), zorder=0.5,
                arrowprops={"arrowstyle": "->", "lw": 1.2})
    weight_of = dict(zip(chosen, weights, strict=True))
    for e in range(n_experts):
        x = e + 1
        on = e in weight_of
        _node(ax, x, 3.0, 0.8, 1.2, f"expert\n{e + 1}\nMLP", active if on else idle, on)
        style = {"arrowstyle": "->", "lw": 1.6, "color": active} if on else \
            {"arrowstyle": "-", "lw": 0.6, "color": "#bbbbbb", "linestyle": ":"}
        ax.annotate("", xy=(x, 3.6), xytext=(mid, 4.9), zorder=0.5, arrowprops=style)
        if on:
            ax.annotate("", xy=(mid, 1.3), xytext=(x, 2.4), zorder=0.5,
                        arrowprops={"arrowstyle": "->", "lw": 1.6, "color": active})
            ax.text((x + mid) / 2, 4.45, f"w = {weight_of[e]:.2f}", ha="center",
                    fontsize=8.5, zorder=2,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    _node(ax, mid, 0.9, 3.4, 0.8, "weighted sum  Σ w_e · expert_e(x)", OKABE_ITO["orange"])
    ax.set_title(f"Mixture of experts: {len(chosen)} of {n_experts} experts run per token")
    return fig
