"""The figure of the chapter that traces one token through a block: each op's FLOP/byte.

It takes per-op rooflines from :mod:`ai_workloads.reference.op_roofline` and only draws
them; the tables of a trace are in :mod:`ai_workloads.present.trace_tables`.

>>> from ai_workloads.catalog import get_accelerator
>>> from ai_workloads.reference.configs import tiny_config
>>> from ai_workloads.reference.op_roofline import block_rooflines
>>> from ai_workloads.reference.tracer import trace_forward
>>> rows = block_rooflines(trace_forward(tiny_config("llama"), context=4),
...                        get_accelerator("a100-sxm-80gb"))
>>> op_labels(rows)[:4]
['norm 1', 'q', 'k', 'v']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

from ...core.errors import WorkloadError
from ...reference.op_roofline import OpRoofline
from ..style import colors, label_axes, new_figure


def op_labels(rows: Sequence[OpRoofline]) -> list[str]:
    """Labels for a block's ops: the name, with the occurrence added when a name repeats.

    >>> from ai_workloads.reference.tracer import TracedOp
    >>> op = TracedOp("norm", "reduction", 0, ((1, 4),), (1, 4), "float32", 4, 16, 16)
    >>> op_labels([OpRoofline(op, "bf16", 8, 8, 1.0)] * 2)
    ['norm 1', 'norm 2']
    """
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.op.name] = counts.get(row.op.name, 0) + 1
    seen: dict[str, int] = {}
    labels = []
    for row in rows:
        name = row.op.name
        seen[name] = seen.get(name, 0) + 1
        labels.append(f"{name} {seen[name]}" if counts[name] > 1 else name)
    return labels


def intensity_figure(series: Mapping[str, Sequence[OpRoofline]],
                     ridges: Mapping[str, float]) -> Figure:
    """Each op's FLOP/byte (log axis), one marker per series, ridge points as vertical lines.

    ``series`` maps a legend label (e.g. ``"prefill"``) to a block's rows; ops that do no
    arithmetic (intensity 0) cannot sit on a log axis and are left out. ``ridges`` maps a
    chip label to its ridge point.

    >>> from ai_workloads.catalog import get_accelerator
    >>> from ai_workloads.reference.configs import tiny_config
    >>> from ai_workloads.reference.op_roofline import block_rooflines
    >>> from ai_workloads.reference.tracer import trace_forward
    >>> a100 = get_accelerator("a100-sxm-80gb")
    >>> cfg = tiny_config("llama")
    >>> fig = intensity_figure(
    ...     {"prefill": block_rooflines(trace_forward(cfg, prefill=8), a100),
    ...      "decode": block_rooflines(trace_forward(cfg, context=8), a100)},
    ...     {"A100": 153.0})
    >>> ax = fig.axes[0]
    >>> len(ax.collections), len(ax.lines), ax.get_xscale()
    (2, 1, 'log')
    """
    if not series:
        raise WorkloadError("give at least one series of traced ops to plot")
    markers = ("o", "s", "D", "^")
    if len(series) > len(markers):
        raise WorkloadError(f"at most {len(markers)} series fit one figure")
    labelled = {name: list(zip(op_labels(rows), rows, strict=True))
                for name, rows in series.items()}
    order = list(dict.fromkeys(label for pairs in labelled.values()
                               for label, row in pairs if row.intensity > 0))
    position = {label: i for i, label in enumerate(order)}
    fig, ax = new_figure(figsize=(6.4, 0.26 * len(order) + 1.4))
    palette = colors(len(series) + len(ridges))
    for (name, pairs), colour, marker in zip(labelled.items(), palette, markers, strict=False):
        kept = [(label, row) for label, row in pairs if row.intensity > 0]
        ax.scatter([row.intensity for _, row in kept], [position[label] for label, _ in kept],
                   marker=marker, edgecolors=colour, label=name, zorder=3, s=36,
                   facecolors=colour if marker == "o" else "none")
    for (chip, ridge), colour in zip(ridges.items(), palette[len(series):], strict=True):
        ax.axvline(ridge, color=colour, linestyle="--", linewidth=1.4,
                   label=f"{chip} ridge, {ridge:.0f} FLOP/byte")
    ax.set_xscale("log")
    ax.set_yticks(range(len(order)), order)
    ax.invert_yaxis()
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2)
    label_axes(ax, xlabel="arithmetic intensity (FLOP/byte, log scale)",
               ylabel="op of the block, in order")
    return fig
