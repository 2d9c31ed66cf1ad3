"""Tables and the figure of the chapter that traces one token through a block.

They take results of :mod:`ai_workloads.reference.tracer` and
:mod:`ai_workloads.reference.op_roofline` and only
format or draw them.

>>> from ai_workloads.catalog import get_accelerator
>>> from ai_workloads.reference.op_roofline import block_rooflines
>>> from ai_workloads.reference.model import tiny_config
>>> from ai_workloads.reference.tracer import trace_forward
>>> rows = block_rooflines(trace_forward(tiny_config("llama"), context=4),
...                        get_accelerator("a100-sxm-80gb"))
>>> block_op_table(rows, "A100").rows[1][:3]
('q', 'fp32[1, 1, 64], fp32[64, 64]', 'fp32[1, 1, 64]')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

from ...core.errors import WorkloadError
from ...reference.op_roofline import OpRoofline, package_dtype
from ..style import colors, label_axes, new_figure
from ..tables import Table


def shape_text(dtype: str, shape: Sequence[int]) -> str:
    """A shape in the site's notation, e.g. ``bf16[1, 512, 512]``.

    >>> shape_text("float32", (1, 4, 64))
    'fp32[1, 4, 64]'
    """
    return f"{package_dtype(dtype)}[{', '.join(str(n) for n in shape)}]"


def block_op_table(rows: Sequence[OpRoofline], chip: str) -> Table:
    """One block's ops: shapes, FLOPs, traced bytes and FLOP/byte, the same in ``dtype``, bound.

    ``chip`` names the accelerator whose ridge point decided the last column.

    >>> from ai_workloads.catalog import get_accelerator
    >>> from ai_workloads.reference.op_roofline import block_rooflines
    >>> from ai_workloads.reference.model import tiny_config
    >>> from ai_workloads.reference.tracer import trace_forward
    >>> rows = block_rooflines(trace_forward(tiny_config("llama"), prefill=4),
    ...                        get_accelerator("h100-sxm"))
    >>> table = block_op_table(rows, "H100")
    >>> table.columns[-1], len(table.rows) == len(rows)
    ('bound on H100 (bf16)', True)
    """
    if not rows:
        raise WorkloadError("no ops to tabulate; trace at least one layer")
    traced = package_dtype(rows[0].op.dtype)
    dtype = rows[0].dtype
    body = tuple(
        (r.op.name,
         ", ".join(shape_text(r.op.dtype, s) for s in r.op.input_shapes),
         shape_text(r.op.dtype, r.op.output_shape),
         f"{r.flops:,}", f"{r.op.bytes_read:,}", f"{r.op.bytes_written:,}",
         f"{r.op.intensity:.2f}", f"{r.bytes_moved:,}", f"{r.intensity:.2f}", r.bound)
        for r in rows)
    columns = ("op", "inputs", "output", "FLOPs", f"bytes read ({traced})",
               f"bytes written ({traced})", f"FLOP/byte ({traced})", f"bytes moved ({dtype})",
               f"FLOP/byte ({dtype})", f"bound on {chip} ({dtype})")
    return Table(f"one block, traced in {traced}; bytes recounted in {dtype}", columns, body,
                 ("l", "l", "l", "r", "r", "r", "r", "r", "r", "l"))


def formula_check_table(prefill_traced: Mapping[str, int], prefill_formula: Mapping[str, int],
                        decode_traced: Mapping[str, int],
                        decode_formula: Mapping[str, int]) -> Table:
    """Traced matmul FLOPs next to the formula's, per op name, for a prefill and a decode.

    >>> table = formula_check_table({"q": 8}, {"q": 8}, {"q": 2}, {"q": 2})
    >>> print(table.to_text())
    traced matmul FLOPs against ai_workloads.analysis.flops.op_flops
    op  prefill, traced  prefill, formula  decode, traced  decode, formula  equal
    --  ---------------  ----------------  --------------  ---------------  -----
    q                 8                 8               2                2  yes
    """
    names = list(dict.fromkeys([*prefill_traced, *prefill_formula, *decode_traced,
                                *decode_formula]))
    body = []
    for name in names:
        cells = [m.get(name, 0) for m in (prefill_traced, prefill_formula, decode_traced,
                                          decode_formula)]
        equal = cells[0] == cells[1] and cells[2] == cells[3]
        body.append((name, *(f"{c:,}" for c in cells), "yes" if equal else "NO"))
    return Table("traced matmul FLOPs against ai_workloads.analysis.flops.op_flops",
                 ("op", "prefill, traced", "prefill, formula", "decode, traced",
                  "decode, formula", "equal"), tuple(body), ("l", "r", "r", "r", "r", "l"))


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
    >>> from ai_workloads.reference.op_roofline import block_rooflines
    >>> from ai_workloads.reference.model import tiny_config
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
