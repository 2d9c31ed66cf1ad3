"""Figures and tables of what a chip needs: targets' needs, chips against them, rooflines.

Each function takes :class:`~ai_workloads.analysis.requirements.Requirement` objects and
chips, asks :mod:`ai_workloads.analysis.requirements` (and
:func:`~ai_workloads.analysis.serving.roofline_curve`) for every number, and only draws or
formats; the only arithmetic is unit scaling for display.

>>> from ai_workloads.catalog import get_accelerator, get_model
>>> from ai_workloads.analysis.requirements import requirement
>>> need = requirement(get_model("llama-3-8b"), 50.0, context=8192)
>>> needs_table([need], [get_accelerator("h100-sxm")]).rows[0][-1]
'1 of 1'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ...analysis.requirements import Requirement, chip_fits, chips_meeting
from ...analysis.serving import roofline_curve
from ...catalog import model_entry
from ...core.accelerator import Accelerator
from ...core.errors import WorkloadError
from ...core.units import gb
from ..style import OKABE_ITO, colors, label_axes, new_figure
from ..tables import Table

#: One marker shape per model, in the order the models first appear.
MODEL_MARKERS: tuple[str, ...] = ("o", "s", "D", "^", "v", "P")
#: Line styles of the catalog chips' roofs, so that roofs differ by style as well as colour.
ROOF_LINES: tuple[Any, ...] = ("-", "--", "-.", ":", (0, (5, 1.5, 1, 1.5)), (0, (1, 1)))
#: How a design-study chip is drawn: black (no catalog chip's colour) and heavier.
DESIGN_COLOUR = OKABE_ITO["black"]
DESIGN_LINES: tuple[Any, ...] = ((0, (6, 2)), (0, (2, 1.5)))


def _display(name: str) -> str:
    try:
        return model_entry(name).display
    except ValueError:
        return name


def _models(needs: Sequence[Requirement]) -> list[str]:
    """The models of ``needs`` in the order they first appear."""
    return list(dict.fromkeys(need.model for need in needs))


def _check(chips: Sequence[Accelerator], designs: Sequence[Accelerator],
           needs: Sequence[Requirement]) -> None:
    if not chips and not designs:
        raise WorkloadError("give at least one chip")
    if len(chips) > len(ROOF_LINES):
        raise WorkloadError(f"draw at most {len(ROOF_LINES)} catalog chips, got {len(chips)}")
    if len(designs) > len(DESIGN_LINES):
        raise WorkloadError(f"draw at most {len(DESIGN_LINES)} design chips, got {len(designs)}")
    if len(_models(needs)) > len(MODEL_MARKERS):
        raise WorkloadError(f"draw at most {len(MODEL_MARKERS)} models, got "
                            f"{len(_models(needs))}")


def _draw_needs(ax: Axes, needs: Sequence[Requirement], x: Sequence[float],
                y: Sequence[float]) -> list[tuple[Any, str]]:
    """Needs at ``(x, y)``: marker by model, open at batch 1, filled at larger batches."""
    markers = {model: MODEL_MARKERS[i] for i, model in enumerate(_models(needs))}
    for need, xi, yi in zip(needs, x, y, strict=True):
        ax.plot([xi], [yi], linestyle="none", marker=markers[need.model], markersize=7,
                markeredgecolor=OKABE_ITO["black"], markeredgewidth=1.1,
                markerfacecolor=OKABE_ITO["black"] if need.batch > 1 else "white", zorder=4)
    handles: list[tuple[Any, str]] = [
        (Line2D([], [], linestyle="none", marker=marker, markersize=7,
                markeredgecolor=OKABE_ITO["black"], markerfacecolor="white"), _display(model))
        for model, marker in markers.items()]
    batches = sorted({need.batch for need in needs})
    for batch in batches:
        face = OKABE_ITO["black"] if batch > 1 else "white"
        handles.append((Line2D([], [], linestyle="none", marker="o", markersize=7,
                               markeredgecolor=OKABE_ITO["black"], markerfacecolor=face),
                        f"batch {batch}: {'filled' if batch > 1 else 'open'}"))
    return handles


def _chip_styles(chips: Sequence[Accelerator], designs: Sequence[Accelerator],
                 ) -> list[tuple[Accelerator, str, Any, bool]]:
    """(chip, colour, line style, is a design) for the catalog chips, then the designs."""
    styles = [(chip, colour, ROOF_LINES[i], False)
              for i, (chip, colour) in enumerate(zip(chips, colors(len(chips)), strict=True))]
    styles += [(chip, DESIGN_COLOUR, DESIGN_LINES[i], True) for i, chip in enumerate(designs)]
    return styles


def _plain_log_ticks(ax: Axes) -> None:
    """Ticks at 1, 2 and 5 of each decade, written as plain numbers (not powers of ten)."""
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.10g}"))
        axis.set_minor_formatter(NullFormatter())


def _legend(fig: Figure, handles: list[tuple[Any, str]]) -> None:
    fig.legend([h for h, _ in handles], [label for _, label in handles], loc="outside lower center",
               ncols=2, fontsize=8, handlelength=3.2)


def requirements_roofline_figure(chips: Sequence[Accelerator], needs: Sequence[Requirement],
                                 designs: Sequence[Accelerator] = (), dtype: str = "fp8",
                                 low: float = 0.5, high: float = 2e3) -> Figure:
    """Rooflines of ``chips`` and of design-study ``designs`` in ``dtype``, with each need
    at its intensity and the FLOP/s one device must do: a chip is fast enough for a need
    that lies on or under its roof.

    >>> from ai_workloads.catalog import get_accelerator, get_model
    >>> from ai_workloads.analysis.requirements import requirement, scaled_chip
    >>> h100 = get_accelerator("h100-sxm")
    >>> needs = [requirement(get_model("llama-3-8b"), r, context=8192) for r in (20.0, 100.0)]
    >>> fig = requirements_roofline_figure([h100], needs, [scaled_chip(h100, bandwidth=10)])
    >>> ax = fig.axes[0]
    >>> len(ax.lines), ax.get_xscale(), ax.get_yscale()   # 2 roofs, 2 needs
    (4, 'log', 'log')
    """
    _check(chips, designs, needs)
    fig, ax = new_figure(figsize=(6.4, 5.8))
    tera = 1e12
    handles: list[tuple[Any, str]] = []
    tops = []
    for chip, colour, style, design in _chip_styles(chips, designs):
        curve = roofline_curve(chip, dtype, low, high)
        (line,) = ax.plot(curve.intensity, curve.attainable / tera, color=colour,
                          linestyle=style, linewidth=2.4 if design else 1.6)
        tops.append(curve.peak / tera)
        handles.append((line, f"{chip.display}: ridge {curve.ridge:,.0f}"))
    handles += _draw_needs(ax, needs, [n.intensity for n in needs],
                           [n.compute / tera for n in needs])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(low, high)
    floor = min(min(n.compute for n in needs) / tera / 3 if needs else max(tops),
                low * min(c.bandwidth for c in [*chips, *designs]) / tera)
    ax.set_ylim(floor, max(tops) * 3)
    label_axes(ax, xlabel="arithmetic intensity of the decode step (FLOP/byte)",
               ylabel=f"TFLOP/s of one chip ({dtype} roofs)",
               title="Chips' roofs against the speed targets' needs")
    _legend(fig, handles)
    return fig


def bandwidth_memory_figure(chips: Sequence[Accelerator], needs: Sequence[Requirement],
                            designs: Sequence[Accelerator] = ()) -> Figure:
    """Each chip at its memory (the capacity fits count on) and bandwidth, each need at the
    memory and bandwidth one device needs: a chip up and to the right of a need has enough
    of both.

    >>> from ai_workloads.catalog import get_accelerator, get_model
    >>> from ai_workloads.analysis.requirements import requirement
    >>> need = requirement(get_model("llama-3-8b"), 20.0, context=8192)
    >>> ax = bandwidth_memory_figure([get_accelerator("h100-sxm")], [need]).axes[0]
    >>> len(ax.lines), ax.get_xscale()
    (2, 'log')
    """
    _check(chips, designs, needs)
    fig, ax = new_figure(figsize=(6.4, 5.4))
    tera = 1e12
    handles: list[tuple[Any, str]] = []
    for chip, colour, _, design in _chip_styles(chips, designs):
        (mark,) = ax.plot([gb(chip.fit_bytes)], [chip.bandwidth / tera], linestyle="none",
                          marker="*" if design else "h", markersize=14 if design else 11,
                          color=colour, markeredgecolor=OKABE_ITO["black"],
                          markeredgewidth=0.8, zorder=3)
        handles.append((mark, chip.display))
    handles += _draw_needs(ax, needs, [gb(n.capacity) for n in needs],
                           [n.bandwidth / tera for n in needs])
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log_ticks(ax)
    label_axes(ax, xlabel="memory of one chip (GB)", ylabel="memory bandwidth of one chip (TB/s)",
               title="Memory and bandwidth: chips against needs")
    _legend(fig, handles)
    return fig


# ------------------------------------------------------------------ tables


def needs_table(needs: Sequence[Requirement], chips: Sequence[Accelerator]) -> Table:
    """Each need: its target, the bandwidth, compute and memory one device needs, the
    step's intensity, and how many of ``chips`` meet it on their own share.

    >>> from ai_workloads.catalog import get_accelerator, get_model
    >>> from ai_workloads.analysis.requirements import requirement
    >>> need = requirement(get_model("llama-2-70b"), 20.0, context=2048, dtype="fp16")
    >>> needs_table([need], [get_accelerator("h100-sxm")]).rows[0]
    ('Llama 2 70B', 'fp16', '2,048', '1', '20', '20', '2.77', '2.86', '138.9', '1.0', '0 of 1')
    """
    rows = tuple(
        (_display(n.model), n.weight_format, f"{n.context:,}", f"{n.batch:,}",
         f"{n.tokens_per_s:,.0f}", f"{n.aggregate_tokens_per_s:,.0f}",
         f"{n.bandwidth / 1e12:,.2f}", f"{n.compute / 1e12:,.2f}", f"{gb(n.capacity):,.1f}",
         f"{n.intensity:,.1f}", f"{len(chips_meeting(n, chips))} of {len(chips)}")
        for n in needs)
    return Table("What one chip needs to meet each target",
                 ("model", "weights", "context", "batch", "tokens/s per user",
                  "tokens/s, all users", "bandwidth TB/s", "compute TFLOP/s", "memory GB",
                  "FLOP/byte", "chips that meet it alone"),
                 rows, ("l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r"))


def devices_table(needs: Sequence[Requirement], chips: Sequence[Accelerator]) -> Table:
    """For each chip, its bandwidth and memory and, for each need, the fewest such chips
    that meet it together with the limit that sets that number (the chip's smallest margin).

    >>> from ai_workloads.catalog import get_accelerator, get_model
    >>> from ai_workloads.analysis.requirements import requirement
    >>> need = requirement(get_model("llama-2-70b"), 20.0, context=2048, dtype="fp16")
    >>> devices_table([need], [get_accelerator("h100-sxm")]).rows[0]
    ('NVIDIA H100 SXM', '3.35', '85.5', '2 (capacity)')
    """
    fits = [chip_fits(need, chips) for need in needs]
    rows = tuple(
        (chip.display, f"{chip.bandwidth / 1e12:,.2f}", f"{gb(chip.fit_bytes):,.1f}",
         *(f"{by_chip[i].devices_needed} ({by_chip[i].binding})" for by_chip in fits))
        for i, chip in enumerate(chips))
    return Table("Chips needed for each target, and the limit that sets the number",
                 ("chip", "bandwidth TB/s", "memory GB",
                  *(_display(need.model) for need in needs)),
                 rows, ("l", "r", "r", *("r" for _ in needs)))
