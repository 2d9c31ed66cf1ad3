"""Number formats and their sizes.

Sizes are kept in bits so that 4-bit formats stay exact; byte counts of whole tensors
are rounded up to a whole byte only once, at the end.

>>> bits_of("bf16"), bits_of("int4")
(16, 4)
>>> nbytes(7, "int4")
4
"""

from __future__ import annotations

from .errors import WorkloadError

#: Storage width in bits of each number format the package knows.
BITS: dict[str, int] = {
    "fp32": 32,
    "tf32": 32,  # stored as fp32; only the tensor-core math is reduced
    "bf16": 16,
    "fp16": 16,
    "fp8": 8,
    "int8": 8,
    "int4": 4,
}

#: Formats that weights and KV caches are commonly stored in.
STORAGE_DTYPES: tuple[str, ...] = ("fp32", "bf16", "fp16", "fp8", "int8", "int4")

#: Storage formats whose weights are not multiplied in their own format: the matmul runs in
#: bf16 (weight-only quantization dequantizes each tile before the multiply).
DEQUANTIZED_TO_BF16: frozenset[str] = frozenset({"fp8", "int8", "int4"})


def check_dtype(name: str) -> str:
    """Return ``name`` if it is a known format, else raise :class:`WorkloadError`.

    >>> check_dtype("fp8")
    'fp8'
    >>> check_dtype("fp12")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: unknown dtype 'fp12'; choose one of fp32, tf32, ...
    """
    if name not in BITS:
        raise WorkloadError(f"unknown dtype {name!r}; choose one of {', '.join(BITS)}")
    return name


def bits_of(dtype: str) -> int:
    """Storage width of ``dtype`` in bits.

    >>> bits_of("fp32")
    32
    """
    return BITS[check_dtype(dtype)]


def bytes_per_element(dtype: str) -> float:
    """Bytes one element of ``dtype`` occupies (0.5 for int4).

    >>> bytes_per_element("fp16"), bytes_per_element("int4")
    (2.0, 0.5)
    """
    return bits_of(dtype) / 8


def compute_dtype(storage_dtype: str) -> str:
    """The format a matmul computes in when its weights are stored in ``storage_dtype``.

    The rule, the same for every chip: fp8, int8 and int4 weights compute in bf16 (they are
    dequantized before the multiply, so the bf16 peak bounds the step); every other format
    computes in itself. A decode step's compute time therefore uses
    ``peak(compute_dtype(weights))``.

    >>> compute_dtype("int4"), compute_dtype("fp8"), compute_dtype("fp16")
    ('bf16', 'bf16', 'fp16')
    >>> compute_dtype("fp12")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: unknown dtype 'fp12'; choose one of fp32, tf32, ...
    """
    return "bf16" if check_dtype(storage_dtype) in DEQUANTIZED_TO_BF16 else storage_dtype


def nbytes(elements: int, dtype: str) -> int:
    """Exact bytes needed to store ``elements`` values of ``dtype``, rounded up to a byte.

    >>> nbytes(1_000, "bf16")
    2000
    >>> nbytes(3, "int4")
    2
    """
    return -(-elements * bits_of(dtype) // 8)
