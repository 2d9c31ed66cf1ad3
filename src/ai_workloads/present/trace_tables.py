"""Tables of a traced pass: the trace by op name, one block op by op, traced against formula.

They take results of :mod:`ai_workloads.reference.tracer` and
:mod:`ai_workloads.reference.op_roofline`, and the formula's counts from their caller
(:mod:`ai_workloads.analysis.flops`), and only format them: the reference layer never sees
the formulas it checks.

>>> from ai_workloads.catalog import get_accelerator
>>> from ai_workloads.reference.configs import tiny_config
>>> from ai_workloads.reference.op_roofline import block_rooflines
>>> from ai_workloads.reference.tracer import trace_forward
>>> rows = block_rooflines(trace_forward(tiny_config("llama"), context=4),
...                        get_accelerator("a100-sxm-80gb"))
>>> block_op_table(rows, "A100").rows[1][:3]
('q', 'fp32[1, 1, 64], fp32[64, 64]', 'fp32[1, 1, 64]')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..core.errors import WorkloadError
from ..reference.op_roofline import OpRoofline, package_dtype
from ..reference.tracer import Trace
from .tables import Table


def shape_text(dtype: str, shape: Sequence[int]) -> str:
    """A shape in the site's notation, e.g. ``bf16[1, 512, 512]``.

    >>> shape_text("float32", (1, 4, 64))
    'fp32[1, 4, 64]'
    """
    return f"{package_dtype(dtype)}[{', '.join(str(n) for n in shape)}]"


def trace_table(trace: Trace, formula_flops: int) -> Table:
    """The trace summarized by op name: count, FLOPs, bytes and FLOP/byte.

    ``formula_flops`` is the same pass counted from the config alone (for example by
    :func:`ai_workloads.analysis.flops.decode_flops` for the traced layers and batch); the
    notes say whether the two agree.

    >>> from ai_workloads.analysis.flops import decode_flops
    >>> from ai_workloads.reference.configs import tiny_config
    >>> from ai_workloads.reference.tracer import trace_forward
    >>> cfg = tiny_config("llama")
    >>> print(trace_table(trace_forward(cfg, context=4), decode_flops(cfg, 4)).to_text())
    tiny-llama: decode step at context 4, batch 1, 2 of 2 layers, float32
    op         kind         ops   FLOPs  bytes read  bytes written  FLOP/byte
    ---------  -----------  ---  ------  ----------  -------------  ---------
    embedding  gather         1       0         264            256       0.00
    norm       reduction      5   1,280       2,560          1,280       0.33
    q          matmul         2  16,384      33,280            512       0.48
    ...
    lm_head    matmul         1  12,416      25,088            388       0.49
    matmul FLOPs: 178,304; the formula gives 178,304: equal
    bytes read 370,696, of which weights 354,048; written 11,396; non-matmul FLOPs are nominal
    """
    rows = []
    for name, t in trace.totals("name").items():
        kinds = {op.kind for op in trace.ops if op.name == name}
        rows.append((name, "/".join(sorted(kinds)), f"{t.ops:,}", f"{t.flops:,}",
                     f"{t.bytes_read:,}", f"{t.bytes_written:,}", f"{t.intensity:.2f}"))
    verdict = "equal" if formula_flops == trace.matmul_flops else "DIFFERENT"
    what = (f"decode step at context {trace.context:,}" if trace.mode == "decode"
            else f"prefill of {trace.tokens:,} tokens")
    title = (f"{trace.config.name}: {what}, batch {trace.batch}, {trace.layers_traced} of "
             f"{trace.config.n_layers} layers, {trace.dtype}")
    notes = (f"matmul FLOPs: {trace.matmul_flops:,}; the formula gives "
             f"{formula_flops:,}: {verdict}",
             f"bytes read {trace.bytes_read:,}, of which weights {trace.weight_bytes:,}; "
             f"written {trace.bytes_written:,}; non-matmul FLOPs are nominal")
    return Table(title, ("op", "kind", "ops", "FLOPs", "bytes read", "bytes written",
                         "FLOP/byte"), tuple(rows), ("l", "l", "r", "r", "r", "r", "r"), notes)


def block_op_table(rows: Sequence[OpRoofline], chip: str) -> Table:
    """One block's ops: shapes, FLOPs, traced bytes and FLOP/byte, the same in ``dtype``, bound.

    ``chip`` names the accelerator whose ridge point decided the last column.

    >>> from ai_workloads.catalog import get_accelerator
    >>> from ai_workloads.reference.configs import tiny_config
    >>> from ai_workloads.reference.op_roofline import block_rooflines
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

    The formula's counts are given as :func:`ai_workloads.analysis.flops.op_flops` returns
    them; an op that is zero in all four columns (a router in a dense model) is left out.

    >>> table = formula_check_table({"q": 8}, {"q": 8, "router": 0}, {"q": 2}, {"q": 2})
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
        if not any(cells):
            continue
        equal = cells[0] == cells[1] and cells[2] == cells[3]
        body.append((name, *(f"{c:,}" for c in cells), "yes" if equal else "NO"))
    return Table("traced matmul FLOPs against ai_workloads.analysis.flops.op_flops",
                 ("op", "prefill, traced", "prefill, formula", "decode, traced",
                  "decode, formula", "equal"), tuple(body), ("l", "r", "r", "r", "r", "l"))
