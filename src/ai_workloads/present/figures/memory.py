"""Figures and tables of the memory wall: the roofline, decode rates, batch vs throughput.

Each function takes results of :mod:`ai_workloads.analysis.serving` (and the analyses it builds on)
and only draws or formats them; the only arithmetic is unit scaling for display.

>>> from ai_workloads.catalog import get_accelerator
>>> from ai_workloads.analysis.serving import roofline_curve, workload_point
>>> h100 = get_accelerator("h100-sxm")
>>> fig = roofline_figure(roofline_curve(h100), [workload_point("decode", 1.0, h100)])
>>> len(fig.axes)
1
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ...analysis.memory import ServingMemory, kv_cache_bytes, max_batch
from ...analysis.roofline import ridge_point
from ...analysis.serving import (
    DecodeRate,
    MatmulCost,
    RooflineCurve,
    ThroughputCurve,
    WorkloadPoint,
    workload_point,
)
from ...catalog import model_entry
from ...core.accelerator import Accelerator
from ...core.config import TransformerConfig
from ...core.errors import WorkloadError
from ...core.units import gb, gib
from ..format import thousands
from ..style import OKABE_ITO, REGION_COLORS, colors, label_axes, new_figure
from ..tables import Table, usable_cell

#: Marker shapes for workload points, so that points differ by shape as well as colour.
_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*")


def _short(value: float) -> str:
    """A rate or intensity for a label: whole numbers from 100 up, else 3 significant digits."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _display(name: str) -> str:
    try:
        return model_entry(name).display
    except ValueError:
        return name


# ------------------------------------------------------------------ figures


#: How each compute format's roof is drawn: colour (Okabe–Ito) and line style, so that roofs
#: differ by style as well as colour.
ROOF_STYLES: dict[str, tuple[str, str]] = {
    "fp32": (OKABE_ITO["sky_blue"], ":"), "tf32": (OKABE_ITO["sky_blue"], "--"),
    "bf16": (OKABE_ITO["black"], "-"), "fp16": (OKABE_ITO["black"], "-"),
    "fp8": (OKABE_ITO["blue"], "--"), "fp6": (OKABE_ITO["bluish_green"], ":"),
    "fp4": (OKABE_ITO["vermillion"], "-."), "int8": (OKABE_ITO["reddish_purple"], "--"),
    "int4": (OKABE_ITO["reddish_purple"], ":"),
}
#: Colours of workload points: none of them is a roof's colour.
_POINT_COLOURS = (OKABE_ITO["orange"], OKABE_ITO["sky_blue"], OKABE_ITO["reddish_purple"],
                  OKABE_ITO["bluish_green"], OKABE_ITO["yellow"])


def _draw_roofs(ax: Axes, curves: Sequence[RooflineCurve], label_chip: bool) -> None:
    """Each curve's roof in its format's style, with a short ridge tick at its knee."""
    tera = 1e12
    for curve in curves:
        colour, style = ROOF_STYLES.get(curve.dtype, (OKABE_ITO["black"], "-"))
        name = f"{curve.hardware}, {curve.dtype}" if label_chip else curve.dtype
        ax.plot(curve.intensity, curve.attainable / tera, color=colour, linestyle=style,
                linewidth=1.8, label=f"{name} roof (ridge {curve.ridge:,.0f} FLOP/byte)")
        ax.plot([curve.ridge], [curve.peak / tera], linestyle="none", marker="|",
                markersize=10, markeredgewidth=1.6, color=colour)


def roofline_figure(curves: RooflineCurve | Sequence[RooflineCurve],
                    points: Sequence[WorkloadPoint]) -> Figure:
    """The roofline of one chip (log-log), one roof per compute format, with workloads.

    ``curves`` are :class:`~ai_workloads.analysis.serving.RooflineCurve` objects of one chip
    (one per format, e.g. bf16 and fp8); the first sets the shaded memory- and compute-bound
    regions and the marked ridge point. ``points`` (:class:`WorkloadPoint`) are drawn at
    their intensity and attainable FLOP/s, named in the legend with their intensity.

    >>> from ai_workloads.catalog import get_accelerator
    >>> from ai_workloads.analysis.serving import roofline_curve, workload_point
    >>> h100 = get_accelerator("h100-sxm")
    >>> pts = [workload_point(n, i, h100) for n, i in (("a", 1.0), ("b", 500.0))]
    >>> roofs = [roofline_curve(h100, "bf16"), roofline_curve(h100, "fp8")]
    >>> ax = roofline_figure(roofs, pts).axes[0]
    >>> len(ax.lines), ax.get_xscale(), ax.get_yscale()
    (7, 'log', 'log')
    """
    curves = [curves] if isinstance(curves, RooflineCurve) else list(curves)
    if not curves:
        raise WorkloadError("give at least one roofline curve")
    first = curves[0]
    fig, ax = new_figure(figsize=(6.4, 4.2))
    tera = 1e12
    floor = min(c.attainable.min() for c in curves) / tera
    top = max(c.peak for c in curves) / tera
    ax.fill_between(first.intensity, first.attainable / tera, floor,
                    where=first.intensity <= first.ridge, color=REGION_COLORS["memory"],
                    alpha=0.15, linewidth=0, label=f"memory-bound ({first.dtype})")
    ax.fill_between(first.intensity, first.attainable / tera, floor,
                    where=first.intensity >= first.ridge, color=REGION_COLORS["compute"],
                    alpha=0.12, linewidth=0, label=f"compute-bound ({first.dtype})")
    _draw_roofs(ax, curves, label_chip=False)
    ax.axvline(first.ridge, color=OKABE_ITO["black"], linestyle=":", linewidth=1.0)
    ridge_y = first.peak / tera
    ax.annotate(f"{first.dtype} ridge point\n{first.ridge:,.0f} FLOP/byte",
                xy=(first.ridge, ridge_y), xytext=(first.ridge * 1.6, ridge_y / 9),
                fontsize=9, arrowprops={"arrowstyle": "->", "color": OKABE_ITO["black"]})
    for i, point in enumerate(points):
        ax.plot([point.intensity], [point.attainable / tera], linestyle="none",
                marker=_MARKERS[i % len(_MARKERS)], markersize=8,
                color=_POINT_COLOURS[i % len(_POINT_COLOURS)],
                markeredgecolor=OKABE_ITO["black"],
                label=f"{point.name}: {_short(point.intensity)} FLOP/byte")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(first.intensity[0], first.intensity[-1])
    ax.set_ylim(floor, top * 6)
    label_axes(ax, xlabel="arithmetic intensity (FLOP/byte)", ylabel="attainable TFLOP/s",
               title=f"Roofline of the {first.hardware}")
    ax.legend(loc="upper left", fontsize=7.5)
    return fig


def rooflines_figure(chips: Sequence[Sequence[RooflineCurve]], columns: int = 2) -> Figure:
    """Small multiples: one panel per chip, each with one roof per compute format it has
    (bf16, fp8, fp4, ...), on shared log-log axes so that the panels compare. Two columns
    keep the figure as wide as the text column, so its labels stay legible on a phone.

    ``chips`` holds, per chip, its :class:`RooflineCurve` objects (one per format).

    >>> from ai_workloads.catalog import get_accelerator
    >>> from ai_workloads.analysis.serving import roofline_curve
    >>> b200, h100 = get_accelerator("b200"), get_accelerator("h100-sxm")
    >>> fig = rooflines_figure([[roofline_curve(b200, f) for f in ("bf16", "fp8", "fp4")],
    ...                         [roofline_curve(h100, f) for f in ("bf16", "fp8")]], columns=2)
    >>> [len(ax.lines) for ax in fig.axes]
    [6, 4]
    """
    if not chips or not all(chips):
        raise WorkloadError("give at least one chip, each with at least one roofline curve")
    rows = -(-len(chips) // columns)
    fig, axes = new_figure(rows, columns, figsize=(3.1 * columns, 2.7 * rows + 0.5),
                           sharex=True, sharey=True)
    flat = list(np.atleast_1d(axes).ravel())
    tera = 1e12
    for ax, curves in zip(flat, chips, strict=False):
        _draw_roofs(ax, curves, label_chip=False)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(curves[0].hardware, fontsize=9.5)
        ax.legend(loc="lower right", fontsize=6.5, handlelength=2.6)
    for ax in flat[len(chips):]:
        ax.set_visible(False)
    low = min(c.intensity[0] for cs in chips for c in cs)
    high = max(c.intensity[-1] for cs in chips for c in cs)
    floor = min(c.attainable.min() for cs in chips for c in cs) / tera
    top = max(c.peak for cs in chips for c in cs) / tera
    flat[0].set_xlim(low, high)
    flat[0].set_ylim(floor, top * 3)
    fig.supxlabel("arithmetic intensity (FLOP/byte)", fontsize=10)
    fig.supylabel("attainable TFLOP/s", fontsize=10)
    return fig


def _draw_rates(ax: Axes, rates: Sequence[DecodeRate], reading_tokens_per_s: float,
                hardware: str) -> None:
    fit_colour, nofit_colour = colors(2)
    names = [_display(r.model) for r in rates]
    values = [r.tokens_per_s for r in rates]
    bars = ax.bar(names, values,
                  color=[fit_colour if r.fits else nofit_colour for r in rates],
                  hatch=None, edgecolor=OKABE_ITO["black"], linewidth=0.6)
    for bar, rate in zip(bars, rates, strict=True):
        if not rate.fits:
            bar.set_hatch("//")
        ax.annotate(_short(rate.tokens_per_s), (bar.get_x() + bar.get_width() / 2,
                                                  bar.get_height()),
                    ha="center", va="bottom", fontsize=8, xytext=(0, 2),
                    textcoords="offset points")
    reading = ax.axhline(reading_tokens_per_s, color=OKABE_ITO["vermillion"], linestyle="--",
                         linewidth=1.4)
    ax.set_yscale("log")
    ax.set_ylim(reading_tokens_per_s / 3, max(values) * 4)
    ax.tick_params(axis="x", labelrotation=35, labelsize=8)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    flags = [r.fits for r in rates]
    handles: list[Any] = [bars[flags.index(flag)] for flag in (True, False) if flag in flags]
    labels = ["fits on one GPU" if flag else "needs more than one GPU"
              for flag in (True, False) if flag in flags]
    handles.append(reading)
    labels.append(f"human reading, {reading_tokens_per_s:.1f} tokens/s")
    ax.legend(handles, labels, loc="upper right", fontsize=8)
    label_axes(ax, ylabel="tokens/s at batch 1", title=f"Decode speed on one {hardware}")


def _draw_batching(ax: Axes, curve: ThroughputCurve, hardware: str) -> None:
    line, ceiling_c, ceiling_kv, limit = colors(4)
    fits, batches = curve.fits, curve.batches
    ax.plot(batches[fits], curve.tokens_per_s[fits], color=line, marker="o", markersize=3,
            label="fits in memory")
    if (~fits).any():
        first = int(np.flatnonzero(~fits)[0])
        start = max(first - 1, 0)
        ax.plot(batches[start:], curve.tokens_per_s[start:], color=line, linestyle=":",
                label="would need more memory")
    upper, lower = sorted(((curve.compute_ceiling, "compute ceiling", ceiling_c, "--"),
                           (curve.kv_ceiling, "KV-read ceiling", ceiling_kv, "-.")),
                          reverse=True)
    for (value, name, colour, style), offset, va in ((upper, 3, "bottom"),
                                                     (lower, -3, "top")):
        ax.axhline(value, color=colour, linestyle=style, linewidth=1.2)
        ax.annotate(f"{name}, {_short(value)} tokens/s", xy=(0.02, value),
                    xycoords=("axes fraction", "data"), xytext=(0, offset),
                    textcoords="offset points", va=va, fontsize=8, color=colour)
    ax.axvline(curve.max_batch, color=limit, linestyle="--", linewidth=1.4,
               label=f"memory limit ({curve.fit_basis} memory), B = {curve.max_batch}")
    if curve.critical_batch is not None:
        ax.axvline(curve.critical_batch, color=OKABE_ITO["black"], linestyle=":",
                   linewidth=1.2, label=f"critical batch, B = {curve.critical_batch}")
    else:
        ax.text(0.03, 0.62, "no critical batch:\nKV reads keep every\nbatch memory-bound",
                transform=ax.transAxes, ha="left", va="top", fontsize=8)
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(FuncFormatter(thousands))
    ax.set_yscale("log")
    ax.set_ylim(curve.tokens_per_s.min() / 2, upper[0] * 3)
    ax.legend(loc="lower right", fontsize=8)
    devices = f"{curve.n_devices} × {hardware}" if curve.n_devices > 1 else hardware
    label_axes(ax, xlabel="batch size B", ylabel="tokens/s, all sequences",
               title=f"{_display(curve.model)} on {devices}, S = {curve.context:,}")


def bandwidth_wall_figure(rates: Sequence[DecodeRate], reading_tokens_per_s: float,
                          curve: ThroughputCurve, hardware: str) -> Figure:
    """Two panels, one above the other (legible on a phone): batch-1 decode rates by model with
    a reading-speed line (top), and throughput against batch size up to and past the memory
    limit (bottom).

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> from ai_workloads.analysis.serving import decode_rates, throughput_curve
    >>> h100 = get_accelerator("h100-sxm")
    >>> rates = decode_rates([get_model("llama-2-7b"), get_model("llama-2-70b")], h100, 2048)
    >>> curve = throughput_curve(get_model("llama-2-70b"), h100, 2048, [1, 16, 32, 64], 2)
    >>> fig = bandwidth_wall_figure(rates, 5.6, curve, "H100")
    >>> len(fig.axes), len(fig.axes[0].patches)
    (2, 2)
    """
    fig, (top, bottom) = new_figure(2, 1, figsize=(6.4, 7.6))
    _draw_rates(top, rates, reading_tokens_per_s, hardware)
    _draw_batching(bottom, curve, hardware)
    return fig


# ------------------------------------------------------------------ tables


def hardware_roofline_table(chips: Sequence[Accelerator],
                            formats: Sequence[str] = ("bf16", "fp8", "fp4")) -> Table:
    """Chips with their dense peak per compute format ('–' where the chip has none),
    bandwidth, memory (nominal, and usable where sourced), the ridge point of the first
    format, and the spec sheet.

    >>> from ai_workloads.catalog import get_accelerator
    >>> table = hardware_roofline_table([get_accelerator("tpu-v4")])
    >>> table.rows[0][:9]
    ('Google TPU v4', '2022', '275.0', '–', '–', '1.20', '32 GiB', '–', '229')
    """
    first = formats[0]
    rows = tuple(
        (chip.display, str(chip.year),
         *(f"{chip.peak(f) / 1e12:,.1f}" if f in chip.peak_flops else "–" for f in formats),
         f"{chip.bandwidth / 1e12:.2f}", chip.capacity_label, usable_cell(chip),
         f"{ridge_point(chip, first):,.0f}" if first in chip.peak_flops else "–",
         f"[spec sheet]({chip.source})")
        for chip in chips)
    return Table(f"Accelerators (dense peaks: {', '.join(formats)})",
                 ("chip", "year", *(f"{f} TFLOP/s" for f in formats), "bandwidth TB/s",
                  "memory", "usable", f"{first} ridge FLOP/byte", "source"),
                 rows, ("l", "r", *("r" for _ in formats), "r", "r", "r", "r", "l"))


def intensity_table(costs: Sequence[MatmulCost], hw: Accelerator,
                    dtype: str = "bf16") -> Table:
    """Matmuls with their FLOPs, bytes, intensity and share of ``hw``'s peak they can reach.

    >>> from ai_workloads.catalog import get_accelerator
    >>> from ai_workloads.analysis.serving import matmul_cost
    >>> table = intensity_table([matmul_cost(1, 8192, 8192)], get_accelerator("h100-sxm"))
    >>> table.rows[0]
    ('[1, 8,192] × [8,192, 8,192]', '134,217,728', '134,250,496', '1.00', '0.34%')
    """
    rows = []
    for cost in costs:
        point = workload_point("matmul", cost.intensity, hw, dtype)
        rows.append((f"[{cost.m:,}, {cost.k:,}] × [{cost.k:,}, {cost.n:,}]",
                     f"{cost.flops:,}", f"{cost.bytes:,}", f"{cost.intensity:,.2f}",
                     f"{100 * point.share_of_peak:.2f}%"))
    return Table(f"Matmul intensity ({dtype}) on {hw.display}",
                 ("matmul", "FLOPs", "bytes", "FLOP/byte", f"of {hw.display} peak"),
                 tuple(rows), ("l", "r", "r", "r", "r"))


def kv_cache_table(models: Sequence[TransformerConfig], contexts: Sequence[int],
                   dtype: str = "fp16") -> Table:
    """KV cache in GB (10⁹ bytes) per context, batch 1; GQA models get an MHA row beside.

    >>> from ai_workloads.catalog import get_model
    >>> table = kv_cache_table([get_model("llama-2-70b")], [32768])
    >>> table.rows
    (('Llama 2 70B', '64', '8', '8', '10.7'),
     ('Llama 2 70B if MHA (K = N)', '64', '64', '1', '85.9'))
    """
    rows = []
    for cfg in models:
        variants = [(_display(cfg.name), cfg)]
        if cfg.n_kv_heads < cfg.n_heads:
            variants.append((f"{_display(cfg.name)} if MHA (K = N)", cfg.with_mha()))
        for label, variant in variants:
            rows.append((label, str(variant.n_heads), str(variant.n_kv_heads),
                         str(variant.group_size),
                         *(f"{gb(kv_cache_bytes(variant, s, 1, dtype)):,.1f}"
                           for s in contexts)))
    return Table(f"KV cache ({dtype}, batch 1, GB)",
                 ("model", "N", "K", "N/K", *(f"S = {s:,}" for s in contexts)),
                 tuple(rows), ("l", "r", "r", "r", *("r" for _ in contexts)))


def layer_plan_label(cfg: TransformerConfig) -> str:
    """The layers of a model as a table shows them: how many of each mixer, with windows.

    >>> from ai_workloads.catalog import get_model
    >>> layer_plan_label(get_model("gemma-3-4b")), layer_plan_label(get_model("deepseek-v3"))
    ('29 sliding (1,024) + 5 full', '61 full (latent)')
    """
    counts: dict[str, int] = {}
    for kind, count in cfg.layer_groups:
        counts[kind.mixer] = counts.get(kind.mixer, 0) + count
    parts = []
    for mixer, count in counts.items():
        window = cfg.window(mixer)
        detail = f" ({window:,})" if window else (" (latent)" if mixer == "full" and
                                                   cfg.latent is not None else "")
        parts.append(f"{count} {mixer}{detail}")
    return " + ".join(parts)


def modern_kv_table(models: Sequence[TransformerConfig], contexts: Sequence[int],
                    hw: Accelerator, n_devices: int, dtype: str = "bf16") -> Table:
    """Per model: its layers, the KV cache (or state) of one sequence at each context in GB,
    and the largest batch whose weights and caches fit in ``n_devices`` of ``hw`` at the
    last context (weights and cache in ``dtype``).

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> t = modern_kv_table([get_model("mistral-7b")], [4096, 32768], get_accelerator("h200"), 1)
    >>> t.rows[0][:4]
    ('Mistral 7B (v0.1)', '32 sliding (4,096)', '0.54', '0.54')
    """
    rows = []
    for cfg in models:
        rows.append((_display(cfg.name), layer_plan_label(cfg),
                     *(f"{gb(kv_cache_bytes(cfg, s, 1, dtype)):,.2f}" for s in contexts),
                     f"{max_batch(cfg, hw, contexts[-1], n_devices, dtype, dtype):,}"))
    fit = f"batch on {n_devices}× {hw.name}, S = {contexts[-1]:,}"
    return Table(f"KV cache or state per sequence ({dtype}, GB)",
                 ("model", "layers", *(f"S = {s:,}" for s in contexts), fit),
                 tuple(rows), ("l", "l", *("r" for _ in contexts), "r"))


def serving_memory_table(memory: ServingMemory) -> Table:
    """Weights, KV cache, activations and their total, in bytes, GB and GiB.

    >>> from ai_workloads.analysis.memory import ServingMemory
    >>> table = serving_memory_table(ServingMemory(2 * 10**9, 10**9, 0))
    >>> table.rows[-1]
    ('total', '3,000,000,000', '3.00', '2.79')
    """
    parts = (("weights", memory.weights), ("KV cache", memory.kv_cache),
             ("activations (peak estimate)", memory.activations), ("total", memory.total))
    rows = []
    for label, n_bytes in parts:
        rows.append((label, f"{n_bytes:,}", f"{gb(n_bytes):,.2f}", f"{gib(n_bytes):,.2f}"))
    return Table("Serving memory", ("part", "bytes", "GB", "GiB"), tuple(rows),
                 ("l", "r", "r", "r"))


def batching_table(curve: ThroughputCurve, batches: Sequence[int]) -> Table:
    """Selected batch sizes of a throughput curve: KV cache, fit, and tokens/s.

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> from ai_workloads.analysis.serving import throughput_curve
    >>> curve = throughput_curve(get_model("llama-2-70b"), get_accelerator("h100-sxm"), 2048,
    ...                          [1, 49, 50], n_devices=2)
    >>> [row[2] for row in batching_table(curve, [49, 50]).rows]
    ['yes', 'no']
    """
    rows = []
    for batch in batches:
        i = curve.at(batch)
        rows.append((str(batch), f"{gb(int(curve.kv_bytes[i])):,.1f}",
                     "yes" if curve.fits[i] else "no",
                     f"{curve.tokens_per_s[i]:,.0f}",
                     f"{curve.tokens_per_s_per_sequence[i]:,.1f}",
                     f"{curve.ms_per_token[i]:,.1f}"))
    return Table("Batching",
                 ("B", "KV cache GB", f"fits ({curve.fit_basis} memory)", "tokens/s (all)",
                  "tokens/s per sequence", "ms per token"),
                 tuple(rows), ("r", "r", "l", "r", "r", "r"))
