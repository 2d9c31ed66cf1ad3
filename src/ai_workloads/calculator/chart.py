"""The calculator's roofline: the chosen chip's roof and this workload's decode steps, in SVG.

Drawn as text (no plotting library runs in the browser): log-log axes of arithmetic
intensity (FLOP/byte) and attained FLOP/s per device, the roof ``min(peak, bandwidth ·
intensity)`` of the compute format the step runs in, the ridge point, the memory-bound and
compute-bound regions in the site's colours for them, the decode steps of a sweep of batches
(open circles) and the reader's batch (a filled one). Every point comes from the package's
roofline answer; lines and text take the page's text colour, so the figure reads in light
and dark mode. The SVG carries a title and a description (its alt text).

>>> sweep_batches(8, 49)
(1, 2, 4, 8, 16, 32, 49)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from ..analysis.roofline import attained_flops
from ..core.accelerator import Accelerator
from ..present.format import si
from ..present.palette import color_of

#: The drawing's size in its own units; it scales to the column, so labels of ``FONT``
#: units stay above 7 CSS pixels in a phone's 358-pixel column.
WIDTH, HEIGHT = 560, 360
#: The labels' size, in the drawing's units.
FONT = 14
#: The margins around the plot, for the tick labels and the axis title.
LEFT, RIGHT, TOP, BOTTOM = 96, 18, 16, 50
#: Batches of the sweep: powers of two up to this (and the reader's batch and the largest).
MAX_SWEEP = 1 << 16


def sweep_batches(batch: int, largest: int) -> tuple[int, ...]:
    """The batches drawn as open circles: 1, 2, 4, ... up to the largest that fits (or the
    reader's batch, if larger), with both of those included."""
    top = min(max(batch, largest, 1), MAX_SWEEP)
    powers = {1 << k for k in range(top.bit_length()) if 1 << k <= top}
    return tuple(sorted(powers | {batch} | ({largest} if 0 < largest <= MAX_SWEEP else set())))


def _decades(lo: float, hi: float) -> tuple[int, int]:
    return math.floor(math.log10(lo)), math.ceil(math.log10(hi))


def _ticks(value: float) -> str:
    return f"{value:g}" if value < 1000 else si(value)


def roofline_svg(chip: Accelerator, chosen: Mapping[str, Any], sweep: Mapping[str, Any],
                 devices: int = 1) -> str:
    """The roofline figure of ``chip`` with the steps of two roofline answers: ``chosen``
    (the reader's batch, its first step) and ``sweep`` (every step, open circles).

    >>> from ai_workloads.catalog import get_accelerator, get_model
    >>> from ai_workloads.present.answers import roofline_answer
    >>> chip, cfg = get_accelerator("h100-sxm"), get_model("llama-3-8b")
    >>> one = roofline_answer(cfg, chip, 4096, (1,))
    >>> svg = roofline_svg(chip, one, one)
    >>> svg.startswith("<svg"), "ridge" in svg, svg.count("<circle")
    (True, True, 2)
    """
    compute = chosen["compute_dtype"]
    peak, bandwidth, ridge = chip.peak(compute), chip.bandwidth, chosen["ridge_point"]
    steps: Sequence[Mapping[str, Any]] = sweep["steps"]
    points = [(s["intensity"], attained_flops(s["flops"], s["time_s"], devices), s)
              for s in steps]
    mine = chosen["steps"][0]
    here = (mine["intensity"], attained_flops(mine["flops"], mine["time_s"], devices))
    xs = [p[0] for p in points] + [here[0], ridge / 30, ridge * 10]
    x0, x1 = _decades(min(xs), max(xs))
    y0, y1 = _decades(min(min(p[1] for p in points), here[1], bandwidth * 10.0 ** x0), peak)
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(v: float) -> float:
        return round(LEFT + pw * (math.log10(v) - x0) / (x1 - x0), 2)

    def y(v: float) -> float:
        return round(TOP + ph * (1 - (math.log10(v) - y0) / (y1 - y0)), 2)

    lo, hi = 10.0 ** x0, 10.0 ** x1
    roof = [(lo, bandwidth * lo), (ridge, peak), (hi, peak)]
    if bandwidth * lo < 10.0 ** y0:  # the slope enters the plot above its left edge
        roof[0] = (10.0 ** y0 / bandwidth, 10.0 ** y0)
    line = " ".join(f"{x(a)},{y(b)}" for a, b in roof)
    base = y(10.0 ** y0)
    title = f"Roofline of {chip.name} in {compute}, with this decode step"
    desc = (f"Log-log plot of attained FLOP/s per device against arithmetic intensity. The "
            f"roof rises with the memory bandwidth, {si(bandwidth, 'B/s')}, until the ridge "
            f"point at {ridge:,.0f} FLOP/byte, then stays at the {compute} peak, "
            f"{si(peak, 'FLOP/s')}. The decode step at batch {mine['batch']} has an "
            f"intensity of {mine['intensity']:,.1f} FLOP/byte and is {mine['bound']}-bound; "
            f"open circles mark batches {', '.join(str(s['batch']) for s in steps)}.")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
           f'role="img" aria-labelledby="calc-chart-title calc-chart-desc" '
           f'font-size="{FONT}" fill="currentColor">',
           f'<title id="calc-chart-title">{escape(title)}</title>',
           f'<desc id="calc-chart-desc">{escape(desc)}</desc>',
           f'<polygon points="{x(roof[0][0])},{base} {x(roof[0][0])},{y(roof[0][1])} '
           f'{x(ridge)},{y(peak)} {x(ridge)},{base}" fill="{color_of("memory")}" '
           f'fill-opacity="0.25" stroke="none"/>',
           f'<polygon points="{x(ridge)},{base} {x(ridge)},{y(peak)} {x(hi)},{y(peak)} '
           f'{x(hi)},{base}" fill="{color_of("compute")}" fill-opacity="0.25" '
           f'stroke="none"/>']
    for k in range(x0, x1 + 1):
        out.append(f'<line x1="{x(10.0 ** k)}" x2="{x(10.0 ** k)}" y1="{TOP}" y2="{base}" '
                   f'stroke="currentColor" stroke-opacity="0.15"/>')
        out.append(f'<text x="{x(10.0 ** k)}" y="{base + FONT + 4}" '
                   f'text-anchor="middle">{_ticks(10.0 ** k)}</text>')
    for k in range(y0, y1 + 1):
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(10.0 ** k)}" '
                   f'y2="{y(10.0 ** k)}" stroke="currentColor" stroke-opacity="0.15"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y(10.0 ** k) + FONT / 3}" '
                   f'text-anchor="end">{si(10.0 ** k, "FLOP/s")}</text>')
    out += [f'<polyline points="{line}" fill="none" stroke="currentColor" stroke-width="2.5"/>',
            f'<line x1="{x(ridge)}" x2="{x(ridge)}" y1="{y(peak)}" y2="{base}" '
            f'stroke="currentColor" stroke-dasharray="3 4"/>',
            f'<text x="{x(ridge) + 6}" y="{y(peak) + FONT + 4}">ridge {ridge:,.0f}</text>']
    for intensity, attained, _ in points:
        out.append(f'<circle cx="{x(intensity)}" cy="{y(attained)}" r="4" fill="none" '
                   f'stroke="currentColor" stroke-width="1.5"/>')
    # The label sits below the roof, on the side with room (the roof rises to the right).
    anchor = "start" if here[0] < math.sqrt(lo * hi) else "end"
    shift = 10 if anchor == "start" else -10
    out += [f'<circle cx="{x(here[0])}" cy="{y(here[1])}" r="7" fill="currentColor"/>',
            f'<text x="{x(here[0]) + shift}" y="{y(here[1]) + FONT + 8}" text-anchor="{anchor}">'
            f'batch {mine["batch"]}</text>',
            f'<text x="{LEFT + pw / 2}" y="{HEIGHT - 8}" text-anchor="middle">arithmetic '
            f'intensity (FLOP/byte)</text>',
            "</svg>"]
    return "\n".join(out)
