"""Number formats: element widths, and the format a matmul computes in.

An *element type* is the width of one stored or computed value (``bf16``, ``fp8``,
``int4``, ...). Sizes are kept in bits so that 4- and 6-bit types stay exact; byte counts
of whole tensors are rounded up to a whole byte only once, at the end. Formats as
checkpoints store them, with their block and tensor scales, live in
:mod:`ai_workloads.core.formats`.

>>> bits_of("bf16"), bits_of("int4")
(16, 4)
>>> nbytes(7, "int4")
4
>>> compute_dtype("int4", {"bf16", "fp8"}), compute_dtype("nvfp4", {"bf16", "fp8"})
('bf16', 'fp8')
"""

from __future__ import annotations

from collections.abc import Collection

from .errors import WorkloadError

#: Storage width in bits of each element type the package knows. ``fp8`` is E4M3 and
#: ``fp8-e5m2`` E5M2 (OCP 8-bit floating point); ``fp6`` and ``fp4`` are the OCP
#: microscaling element types (E2M3/E3M2 and E2M1), named as chips list their peaks.
BITS: dict[str, int] = {
    "fp32": 32,
    "tf32": 32,  # stored as fp32; only the tensor-core math is reduced
    "bf16": 16,
    "fp16": 16,
    "fp8": 8,
    "fp8-e5m2": 8,
    "fp6": 6,
    "fp4": 4,
    "int8": 8,
    "int4": 4,
}

#: The formats a chip may list a peak FLOP/s for (the keys of an
#: :class:`~ai_workloads.core.accelerator.Accelerator`'s ``peak_flops``).
COMPUTE_DTYPES: tuple[str, ...] = (
    "fp32", "tf32", "bf16", "fp16", "fp8", "fp6", "fp4", "int8", "int4",
)

#: Element types that compute in themselves: a matmul on them needs no conversion.
PLAIN_FLOATS: frozenset[str] = frozenset({"fp32", "tf32", "bf16", "fp16"})


def check_dtype(name: str) -> str:
    """Return ``name`` if it is a known element type, else raise :class:`WorkloadError`.

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


def check_compute_dtype(name: str) -> str:
    """Return ``name`` if a chip can list a peak for it, else raise :class:`WorkloadError`.

    >>> check_compute_dtype("fp4")
    'fp4'
    >>> check_compute_dtype("nvfp4")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: unknown compute format 'nvfp4'; choose one of ...
    """
    if name not in COMPUTE_DTYPES:
        raise WorkloadError(
            f"unknown compute format {name!r}; choose one of {', '.join(COMPUTE_DTYPES)}")
    return name


def bits_of(dtype: str) -> int:
    """Storage width of ``dtype`` in bits.

    >>> bits_of("fp32"), bits_of("fp6")
    (32, 6)
    """
    return BITS[check_dtype(dtype)]


def bytes_per_element(dtype: str) -> float:
    """Bytes one element of ``dtype`` occupies (0.5 for int4).

    >>> bytes_per_element("fp16"), bytes_per_element("int4")
    (2.0, 0.5)
    """
    return bits_of(dtype) / 8


def _half(peaks: Collection[str]) -> str:
    return "fp16" if "bf16" not in peaks and "fp16" in peaks else "bf16"


def compute_dtype(storage: str, peaks: Collection[str], activations: str | None = None) -> str:
    """The format a matmul computes in when its weights are stored in ``storage``.

    ``storage`` is an element type or a stored format of :mod:`ai_workloads.core.formats`
    (``"nvfp4"``, ``"int4-g64"``, ...); ``peaks`` is the set of formats the chip has a peak
    for (an :class:`~ai_workloads.core.accelerator.Accelerator`'s ``peak_flops`` will do).
    The rule, by the type of the stored values:

    1. fp32, tf32, bf16 and fp16 compute in themselves.
    2. int8 and int4 weights are weight-only: they are dequantized before the multiply and
       compute in bf16 (the chip's int8 peak needs int8 activations too).
    3. fp8 weights (per-tensor, block-scaled or MXFP8) compute in fp8 where the chip has
       an fp8 peak, else in bf16.
    4. fp4 weights (NVFP4, MXFP4) compute in fp4 where the chip has an fp4 peak, else in
       fp8 where it has one, else in bf16; fp6 likewise through fp6.
    5. A checkpoint that quantizes its activations too (``activations``, e.g. W8A8 int8)
       computes in that format where the chip has its peak; otherwise rules 1-4 apply.

    "bf16" means fp16 on a chip that lists no bf16 peak but an fp16 one. A decode step's
    compute time uses ``peak(compute_dtype(weights, chip.peak_flops))``.

    >>> compute_dtype("int4", {"bf16", "fp8", "int8"}), compute_dtype("fp16", {"bf16"})
    ('bf16', 'fp16')
    >>> compute_dtype("fp8", {"bf16", "fp8"}), compute_dtype("fp8", {"bf16", "int8"})
    ('fp8', 'bf16')
    >>> compute_dtype("mxfp4", {"bf16", "fp8", "fp4"}), compute_dtype("nvfp4", {"bf16"})
    ('fp4', 'bf16')
    >>> compute_dtype("int8", {"bf16", "int8"}, activations="int8")
    'int8'
    >>> compute_dtype("fp12", {"bf16"})
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: unknown format 'fp12'; choose one of fp32, ...
    """
    values = storage if storage in BITS else _values_of(storage)
    if activations is not None:
        wanted = "fp8" if activations == "fp8-e5m2" else activations
        if check_dtype(activations) not in PLAIN_FLOATS and wanted in peaks:
            return wanted
    if values in PLAIN_FLOATS:
        return values
    if values in ("int8", "int4"):
        return _half(peaks)
    ladder = {"fp8": ("fp8",), "fp8-e5m2": ("fp8",), "fp6": ("fp6", "fp8"),
              "fp4": ("fp4", "fp8")}[values]
    return next((c for c in ladder if c in peaks), _half(peaks))


def _values_of(storage: str) -> str:
    # The formats module builds on this one; import it only when a stored format is named.
    from .formats import weight_format

    return weight_format(storage).values


def nbytes(elements: int, dtype: str) -> int:
    """Exact bytes needed to store ``elements`` values of ``dtype``, rounded up to a byte.

    >>> nbytes(1_000, "bf16")
    2000
    >>> nbytes(3, "int4")
    2
    """
    return -(-elements * bits_of(dtype) // 8)
