"""Figure and table of the opening chapter: the scale of models and the growth of compute.

They draw and format results of :mod:`ai_workloads.analysis.model_scale`; no arithmetic of their own
beyond unit scaling for display. The figure is sized for a phone as well as a desktop: at
5.6 inches wide its smallest text is 9 points, still 7 px or more when the page shrinks it
to a 390 px screen.

>>> from ai_workloads.catalog import milestone_records
>>> from ai_workloads.analysis.growth import milestones
>>> from ai_workloads.analysis.model_scale import milestone, scale_row
>>> gpt4 = milestone("GPT-4", milestones(milestone_records()))
>>> scale_table([scale_row(gpt4)]).rows[0][1:]
('unpublished', 'unpublished', '~2.1 × 10²⁵ (10²⁵ to 10²⁶)')
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ...analysis.growth import Milestone
from ...analysis.model_scale import GrowthCurves, ScaleRow
from ...core.errors import WorkloadError
from ..format import sci, short_count
from ..style import OKABE_ITO, label_axes, new_figure
from ..tables import Table

#: Significant digits of the table's parameter counts: enough to tell 405.9B from its name.
PARAM_DIGITS = 4
#: Size of the growth figure (inches) and of its smallest text (points).
GROWTH_FIGSIZE = (5.6, 4.4)
LABEL_POINTS = 9.0


def params_text(params: int | None) -> str:
    """A parameter count as the scale table shows it (``"unpublished"`` when unknown).

    >>> params_text(405_853_388_800), params_text(1_557_611_200), params_text(None)
    ('405.9B', '1.558B', 'unpublished')
    """
    return "unpublished" if params is None else short_count(params, PARAM_DIGITS)


def compute_text(row: ScaleRow) -> str:
    """Training compute as the scale table shows it: computed values plain, estimates with
    ``~``, followed by an estimate's published range or, where there is none, by "no
    source".

    >>> from ai_workloads.catalog import milestone_records
    >>> from ai_workloads.analysis.growth import milestones
    >>> from ai_workloads.analysis.model_scale import milestone, scale_row
    >>> points = milestones(milestone_records())
    >>> compute_text(scale_row(milestone("GPT-3 175B", points)))
    '3.1 × 10²³'
    >>> compute_text(scale_row(milestone("GPT-2 (1.5B)", points)))
    '~10²² (no source)'
    """
    if not row.flops_estimated:
        return sci(row.training_flops)
    if row.flops_range is None:
        return f"~{sci(row.training_flops)} (no source)"
    low, high = row.flops_range
    return f"~{sci(row.training_flops)} ({sci(low)} to {sci(high)})"


def scale_table(rows: Sequence[ScaleRow]) -> Table:
    """Model, parameters, training tokens and training compute, estimates marked: four
    columns, narrow enough for a phone (the release dates are the growth figure's axis).

    >>> from ai_workloads.catalog import milestone_records
    >>> from ai_workloads.analysis.growth import milestones
    >>> from ai_workloads.analysis.model_scale import milestone, scale_row
    >>> gpt3 = milestone("GPT-3 175B", milestones(milestone_records()))
    >>> t = scale_table([scale_row(gpt3)])
    >>> t.columns
    ('model', 'parameters', 'training tokens', 'training compute (FLOPs)')
    >>> t.rows[0][1:]
    ('174.6B', '300B', '3.1 × 10²³')
    """
    out = []
    for r in rows:
        tokens = "unpublished" if r.tokens is None else short_count(r.tokens)
        out.append((r.name, params_text(r.params), tokens, compute_text(r)))
    return Table("The scale of language models",
                 ("model", "parameters", "training tokens", "training compute (FLOPs)"),
                 tuple(out), ("l", "r", "r", "l"))


def growth_figure(points: Sequence[Milestone], curves: GrowthCurves) -> Figure:
    """Training compute against release date (log scale), with the fitted trend and Moore's law.

    Points computed from published parameters and tokens are filled circles; estimates are
    open diamonds, with a bar over an estimate's published range. Each name sits above its
    point when the point is above the trend, else below; a point with a range has its name
    beside it, clear of the bar.

    >>> from ai_workloads.catalog import milestone_records
    >>> from ai_workloads.analysis.growth import milestones
    >>> from ai_workloads.analysis.model_scale import growth_curves
    >>> points = milestones(milestone_records())
    >>> fig = growth_figure(points, growth_curves(points))
    >>> ax = fig.axes[0]
    >>> len(ax.collections), ax.get_yscale(), len(ax.texts) == len(points)
    (1, 'log', True)
    """
    if not points:
        raise WorkloadError("growth_figure needs at least one milestone")
    blue, orange = OKABE_ITO["blue"], OKABE_ITO["orange"]
    fig, ax = new_figure(figsize=GROWTH_FIGSIZE)
    ax.plot(curves.years, curves.fitted, color=OKABE_ITO["bluish_green"], zorder=1)
    ax.plot(curves.years, curves.moore, "--", color=OKABE_ITO["vermillion"], zorder=1)
    computed = [p for p in points if not p.estimated]
    estimated = [p for p in points if p.estimated]
    ax.plot([p.year for p in computed], [p.training_flops for p in computed], "o",
            color=blue, markersize=7, zorder=3)
    ax.plot([p.year for p in estimated], [p.training_flops for p in estimated], "D",
            markerfacecolor="white", markeredgecolor=orange, markeredgewidth=1.8,
            markersize=7, zorder=3)
    bars = [(p.year, *p.flops_range) for p in estimated if p.flops_range is not None]
    if bars:
        years, lows, highs = zip(*bars, strict=True)
        ax.vlines(years, lows, highs, color=orange, linewidth=1.6, zorder=2)
    trend = curves.fit.predict([p.year for p in points])
    for p, on_trend in zip(points, trend, strict=True):
        if p.flops_range is not None:
            ax.annotate(p.name, (p.year, p.training_flops), textcoords="offset points",
                        xytext=(-8, 0), ha="right", va="center", fontsize=LABEL_POINTS)
            continue
        above = p.training_flops >= on_trend
        ax.annotate(p.name, (p.year, p.training_flops), textcoords="offset points",
                    xytext=(0, 8 if above else -9), ha="center",
                    va="bottom" if above else "top", fontsize=LABEL_POINTS)
    ax.set_yscale("log")
    low = min(min(p.training_flops for p in points), float(curves.moore.min()))
    high = max([p.training_flops for p in points] + [float(curves.fitted.max())]
               + [bar[2] for bar in bars])
    ax.set_ylim(low / 30, high * 30)
    ax.set_xlim(curves.years[0] - 0.8, curves.years[-1] + 0.8)
    label_axes(ax, xlabel="release date (year)", ylabel="training compute (FLOPs)")
    handles = [
        Line2D([], [], marker="o", linestyle="", color=blue,
               label="computed from published size and tokens"),
        Line2D([], [], marker="D", linestyle="", markerfacecolor="white",
               markeredgecolor=orange, markeredgewidth=1.8, label="estimate (with its range)"),
        Line2D([], [], color=OKABE_ITO["bluish_green"],
               label=f"fitted trend: ×{curves.fit.factor_per_year:.1f} per year"),
        Line2D([], [], linestyle="--", color=OKABE_ITO["vermillion"],
               label=f"Moore's law: ×2 every {curves.doubling_years:g} years"),
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=LABEL_POINTS)
    return fig
