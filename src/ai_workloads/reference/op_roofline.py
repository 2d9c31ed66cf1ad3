"""Place each traced op on a chip's roofline: its bytes in a chosen dtype, FLOP/byte, bound.

The reference model runs in NumPy ``float32``; a served model usually stores weights,
activations and KV cache in ``bf16``. Every byte an op moves scales by the ratio of the two
element sizes, so an op's intensity in ``bf16`` is twice its traced ``fp32`` intensity. An op
whose intensity is below the chip's ridge point (peak FLOP/s over bandwidth,
:meth:`~ai_workloads.core.accelerator.Accelerator.ridge_point`) is memory-bound; at or above
it, compute-bound.

>>> from ai_workloads.catalog import get_accelerator
>>> from ai_workloads.reference.configs import tiny_config
>>> from ai_workloads.reference.tracer import trace_forward
>>> trace = trace_forward(tiny_config("llama-gqa"), context=8)
>>> rows = block_rooflines(trace, get_accelerator("a100-sxm-80gb"), "bf16")
>>> q = rows[1]
>>> q.op.name, q.op.dtype, round(q.op.intensity, 3), round(q.intensity, 3), q.bound
('q', 'float32', 0.485, 0.97, 'memory')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..core.accelerator import Accelerator
from ..core.dtypes import bits_of, check_dtype
from ..core.errors import WorkloadError, positive_int
from .tracer import Trace, TracedOp, matmul_op_flops

#: NumPy dtype names and the package's names for the same formats.
NUMPY_DTYPES: dict[str, str] = {
    "float32": "fp32", "float16": "fp16", "bfloat16": "bf16", "int8": "int8",
}

Bound = Literal["memory", "compute"]


def package_dtype(numpy_name: str) -> str:
    """The package's name (``fp32``, ``bf16``...) of a NumPy dtype name (``float32``...).

    >>> package_dtype("float32"), package_dtype("fp16")
    ('fp32', 'fp16')
    >>> package_dtype("float64")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: no package dtype for NumPy's 'float64'; ...
    """
    if numpy_name in NUMPY_DTYPES.values():
        return numpy_name
    if numpy_name not in NUMPY_DTYPES:
        raise WorkloadError(
            f"no package dtype for NumPy's {numpy_name!r}; trace in one of "
            f"{', '.join(NUMPY_DTYPES)}")
    return NUMPY_DTYPES[numpy_name]


def rescale_bytes(n_bytes: int, from_dtype: str, to_dtype: str) -> int:
    """Bytes of the same elements stored as ``to_dtype`` instead of ``from_dtype``.

    Exact: rounded up to a whole byte only when the result is fractional (int4).

    >>> rescale_bytes(4096, "fp32", "bf16"), rescale_bytes(4096, "float32", "int4")
    (2048, 512)
    """
    old, new = bits_of(package_dtype(from_dtype)), bits_of(check_dtype(to_dtype))
    return -(-n_bytes * new // old)


@dataclass(frozen=True, slots=True)
class OpRoofline:
    """One traced op with its bytes recounted in ``dtype`` and its place on a roofline.

    >>> op = TracedOp("up", "matmul", 0, ((1, 64), (64, 128)), (1, 128), "float32",
    ...               flops=16384, bytes_read=33024, bytes_written=512, weight_bytes=32768)
    >>> row = OpRoofline(op, "bf16", 16512, 256, 150.0)
    >>> round(row.intensity, 3), row.bound
    (0.977, 'memory')
    """

    op: TracedOp
    dtype: str
    bytes_read: int
    bytes_written: int
    ridge: float

    @property
    def flops(self) -> int:
        """The op's FLOPs (the same in every dtype)."""
        return self.op.flops

    @property
    def bytes_moved(self) -> int:
        """Bytes read plus written, in ``dtype``."""
        return self.bytes_read + self.bytes_written

    @property
    def intensity(self) -> float:
        """FLOPs per byte moved, in ``dtype`` (0 for an op that moves nothing)."""
        return self.flops / self.bytes_moved if self.bytes_moved else 0.0

    @property
    def bound(self) -> Bound:
        """``"compute"`` if the intensity reaches the ridge point, else ``"memory"``."""
        return "compute" if self.intensity >= self.ridge else "memory"


def op_roofline(op: TracedOp, hw: Accelerator, dtype: str = "bf16") -> OpRoofline:
    """Recount ``op``'s bytes in ``dtype`` and compare its intensity with ``hw``'s ridge.

    >>> from ai_workloads.catalog import get_accelerator
    >>> op = TracedOp("q", "matmul", 0, ((512, 512), (512, 512)), (512, 512), "float32",
    ...               flops=2 * 512**3, bytes_read=2 * 4 * 512**2, bytes_written=4 * 512**2)
    >>> row = op_roofline(op, get_accelerator("a100-sxm-80gb"), "bf16")
    >>> row.bytes_moved == 3 * 2 * 512**2, round(row.intensity, 2), row.bound
    (True, 170.67, 'compute')
    """
    return OpRoofline(op, check_dtype(dtype), rescale_bytes(op.bytes_read, op.dtype, dtype),
                      rescale_bytes(op.bytes_written, op.dtype, dtype), hw.ridge_point(dtype))


def block_ops(trace: Trace, layer: int = 0) -> tuple[TracedOp, ...]:
    """The ops of one transformer block (``layer``), in the order they ran.

    >>> from ai_workloads.reference.configs import tiny_config
    >>> from ai_workloads.reference.tracer import trace_forward
    >>> ops = block_ops(trace_forward(tiny_config("llama"), prefill=4))
    >>> [op.name for op in ops][:4]
    ['norm', 'q', 'k', 'v']
    """
    ops = tuple(op for op in trace.ops if op.layer == layer)
    if not ops:
        raise WorkloadError(
            f"layer {layer} was not traced; choose 0 to {trace.layers_traced - 1}")
    return ops


def block_rooflines(trace: Trace, hw: Accelerator, dtype: str = "bf16",
                    layer: int = 0) -> list[OpRoofline]:
    """:func:`op_roofline` for every op of block ``layer``.

    >>> from ai_workloads.catalog import get_accelerator
    >>> from ai_workloads.reference.configs import tiny_config
    >>> from ai_workloads.reference.tracer import trace_forward
    >>> rows = block_rooflines(trace_forward(tiny_config("llama"), context=4),
    ...                        get_accelerator("h100-sxm"))
    >>> sorted({row.bound for row in rows})
    ['memory']
    """
    return [op_roofline(op, hw, dtype) for op in block_ops(trace, layer)]


def names_by_bound(rows: Sequence[OpRoofline], kind: str | None = "matmul") -> dict[str, list[str]]:
    """Op names grouped by bound (``memory``, ``compute``), first appearance only.

    ``kind`` keeps only ops of that kind (``None``: every op).

    >>> from ai_workloads.catalog import get_accelerator
    >>> from ai_workloads.reference.configs import tiny_config
    >>> from ai_workloads.reference.tracer import trace_forward
    >>> rows = block_rooflines(trace_forward(tiny_config("llama"), context=4),
    ...                        get_accelerator("h100-sxm"))
    >>> names_by_bound(rows)
    {'memory': ['q', 'k', 'v', 'scores', 'attn_v', 'o', 'gate', 'up', 'down'], 'compute': []}
    """
    out: dict[str, list[str]] = {"memory": [], "compute": []}
    for row in rows:
        if (kind is None or row.op.kind == kind) and row.op.name not in out[row.bound]:
            out[row.bound].append(row.op.name)
    return out


def compute_bound_tokens(k: int, n: int, hw: Accelerator, dtype: str = "bf16") -> int | None:
    """Fewest rows ``T`` at which ``[T, k] @ [k, n]`` reaches ``hw``'s ridge point.

    The matmul is counted as the tracer counts one (:func:`matmul_op_flops`), with every
    operand moved once in ``dtype``: the ideal, fully reused case. As ``T`` grows the
    intensity approaches ``2kn / (b(k + n))`` for ``b`` bytes per element; if that limit is
    below the ridge, no ``T`` is enough: ``None``.

    >>> from ai_workloads.catalog import get_accelerator
    >>> h100 = get_accelerator("h100-sxm")
    >>> compute_bound_tokens(4096, 4096, h100)   # 1/T <= 1/295.3 - 2/4096
    346
    >>> compute_bound_tokens(512, 512, h100) is None   # limit 256 FLOP/byte < 295
    True
    """
    positive_int("k", k)
    positive_int("n", n)
    ridge = hw.ridge_point(dtype)
    per_element = bits_of(dtype) / 8
    slope = 2 * k * n - ridge * per_element * (k + n)
    if slope <= 0:
        return None
    tokens = max(1, math.ceil(ridge * per_element * k * n / slope))
    while tokens > 1 and _ideal_intensity(tokens - 1, k, n, per_element) >= ridge:
        tokens -= 1
    while _ideal_intensity(tokens, k, n, per_element) < ridge:
        tokens += 1
    return tokens


def _ideal_intensity(m: int, k: int, n: int, per_element: float) -> float:
    """FLOP/byte of ``[m, k] @ [k, n]`` with A, B and C each moved once."""
    return matmul_op_flops(m * n, k) / (per_element * (m * k + k * n + m * n))
