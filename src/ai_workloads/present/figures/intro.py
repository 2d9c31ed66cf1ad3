"""Figure and table of the opening chapter: the scale of models and the growth of compute.

They draw and format results of :mod:`ai_workloads.analysis.model_scale`; no arithmetic of their own
beyond unit scaling for display.

>>> from ai_workloads.catalog import milestone_records
>>> from ai_workloads.analysis.growth import milestones
>>> from ai_workloads.analysis.model_scale import milestone, scale_row
>>> gpt4 = milestone("GPT-4", milestones(milestone_records()))
>>> scale_table([scale_row(gpt4)]).rows[0][2]
'~1.8T (unconfirmed estimate)'
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ...analysis.growth import Milestone
from ...analysis.model_scale import GrowthCurves, ScaleRow
from ...core.errors import WorkloadError
from ..format import sci, short_count
from ..style import OKABE_ITO, label_axes, new_figure
from ..tables import Table


def scale_table(rows: Sequence[ScaleRow]) -> Table:
    """Model, release year, parameters, training tokens and training compute, estimates marked.

    >>> from ai_workloads.catalog import milestone_records
    >>> from ai_workloads.analysis.growth import milestones
    >>> from ai_workloads.analysis.model_scale import milestone, scale_row
    >>> gpt3 = milestone("GPT-3 175B", milestones(milestone_records()))
    >>> t = scale_table([scale_row(gpt3)])
    >>> t.columns
    ('model', 'released', 'parameters', 'training tokens', 'training compute (FLOPs)')
    >>> t.rows[0][2:]
    ('175B', '300B', '3.1 × 10²³ (6·N·D)')
    """
    out = []
    for r in rows:
        params = (f"~{short_count(r.params)} (unconfirmed estimate)" if r.params_estimated
                  else short_count(r.params))
        tokens = "unpublished" if r.tokens is None else short_count(r.tokens)
        compute = (f"~{sci(r.training_flops, 1)} (estimate quoted in the notes)"
                   if r.flops_estimated else f"{sci(r.training_flops)} (6·N·D)")
        out.append((r.name, str(math.floor(r.year)), params, tokens, compute))
    return Table("The scale of language models",
                 ("model", "released", "parameters", "training tokens",
                  "training compute (FLOPs)"),
                 tuple(out), ("l", "r", "r", "r", "l"))


def growth_figure(points: Sequence[Milestone], curves: GrowthCurves) -> Figure:
    """Training compute against release date (log scale), with the fitted trend and Moore's law.

    Points computed as ``6·N·D`` are filled circles; quoted estimates are open diamonds.
    Each name sits above its point when the point is above the trend, else below.

    >>> from ai_workloads.catalog import milestone_records
    >>> from ai_workloads.analysis.growth import milestones
    >>> from ai_workloads.analysis.model_scale import growth_curves
    >>> points = milestones(milestone_records())
    >>> fig = growth_figure(points, growth_curves(points))
    >>> ax = fig.axes[0]
    >>> len(ax.lines), ax.get_yscale(), len(ax.texts) == len(points)
    (4, 'log', True)
    """
    if not points:
        raise WorkloadError("growth_figure needs at least one milestone")
    blue, orange = OKABE_ITO["blue"], OKABE_ITO["orange"]
    fig, ax = new_figure(figsize=(7.2, 4.2))
    ax.plot(curves.years, curves.fitted, color=OKABE_ITO["bluish_green"], zorder=1)
    ax.plot(curves.years, curves.moore, "--", color=OKABE_ITO["vermillion"], zorder=1)
    computed = [p for p in points if not p.estimated]
    estimated = [p for p in points if p.estimated]
    ax.plot([p.year for p in computed], [p.training_flops for p in computed], "o",
            color=blue, markersize=7, zorder=3)
    ax.plot([p.year for p in estimated], [p.training_flops for p in estimated], "D",
            markerfacecolor="white", markeredgecolor=orange, markeredgewidth=1.8,
            markersize=7, zorder=3)
    trend = curves.fit.predict([p.year for p in points])
    for p, on_trend in zip(points, trend, strict=True):
        above = p.training_flops >= on_trend
        ax.annotate(p.name, (p.year, p.training_flops), textcoords="offset points",
                    xytext=(0, 9 if above else -10), ha="center",
                    va="bottom" if above else "top", fontsize=8.5)
    ax.set_yscale("log")
    low = min(min(p.training_flops for p in points), float(curves.moore.min()))
    high = max(max(p.training_flops for p in points), float(curves.fitted.max()))
    ax.set_ylim(low / 30, high * 30)
    ax.set_xlim(curves.years[0] - 0.6, curves.years[-1] + 0.6)
    label_axes(ax, xlabel="release date (year)", ylabel="training compute (FLOPs)")
    handles = [
        Line2D([], [], marker="o", linestyle="", color=blue, label="6·N·D from published N, D"),
        Line2D([], [], marker="D", linestyle="", markerfacecolor="white",
               markeredgecolor=orange, markeredgewidth=1.8, label="estimate (unpublished N, D)"),
        Line2D([], [], color=OKABE_ITO["bluish_green"],
               label=f"fitted trend: ×{curves.fit.factor_per_year:.1f} per year"),
        Line2D([], [], linestyle="--", color=OKABE_ITO["vermillion"],
               label=f"Moore's law: ×2 every {curves.doubling_years:g} years"),
    ]
    ax.legend(handles=handles, loc="upper left")
    return fig
