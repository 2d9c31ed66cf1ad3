"""Formats as checkpoints store them: values plus their block and tensor scales, in bytes.

A quantized weight ``[out, in]`` (as ``nn.Linear`` stores it) keeps low-precision values
and the scales that bring them back to size. Blocks run along the reduction (input)
dimension: one scale per ``block`` values of a row, a partial block at the end of a row
still getting its scale. So a tensor's bytes depend on its shape, not only on its number of
elements, and every count here is an exact integer.

>>> nvfp4 = weight_format("nvfp4")     # E2M1 values, an E4M3 scale per 16, an fp32 per tensor
>>> nvfp4.tensor_bytes((4096, 4096))   # 4096²/2 + 4096·256 + 4
9437188
>>> weight_format("int4-g64").block
(1, 64)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .dtypes import PLAIN_FLOATS, bits_of, check_dtype
from .errors import WorkloadError

#: Width in bits of each scale type. E8M0 is the OCP microscaling shared exponent (a power
#: of two, no sign, no mantissa); ``fp8`` is E4M3.
SCALE_BITS: dict[str, int] = {"e8m0": 8, "fp8": 8, "fp16": 16, "bf16": 16, "fp32": 32}


@dataclass(frozen=True, slots=True)
class Format:
    """A stored weight format: value type, block scales, tensor scale and small extras.

    ``block`` is ``(rows, columns)`` of ``[out, in]`` sharing one block scale (0 columns: a
    whole row, one scale per output channel); ``scale`` is the block scale's type ("" for
    none) and ``zero_bits`` the width of a zero point kept per block. ``tensor_scale`` is
    one scale per matrix; ``index_bits`` is kept per input column (GPTQ's ``g_idx``) and
    ``extra_bytes`` per matrix (a static input scale, a stored shape).

    >>> mx = Format("mxfp4", "fp4", block=(1, 32), scale="e8m0", label="MXFP4")
    >>> mx.matrix_bytes(2880, 2880), mx.tensor_bytes((32, 2880, 2880)) == 32 * 4406400
    (4406400, True)
    """

    name: str
    values: str
    block: tuple[int, int] = (0, 0)
    scale: str = ""
    zero_bits: int = 0
    tensor_scale: str = ""
    index_bits: int = 0
    extra_bytes: int = 0
    label: str = ""

    def __post_init__(self) -> None:
        check_dtype(self.values)
        for kind in (self.scale, self.tensor_scale):
            if kind and kind not in SCALE_BITS:
                raise WorkloadError(f"{self.name}: unknown scale type {kind!r}; choose one "
                                    f"of {', '.join(SCALE_BITS)}")
        rows, columns = self.block
        if self.scale and (rows <= 0 or columns < 0):
            raise WorkloadError(f"{self.name}: a block scale needs a block of >= 1 rows")
        if not self.label:
            object.__setattr__(self, "label", self.name)

    @property
    def plain(self) -> bool:
        """True for a format without scales or extras (fp32, bf16, fp16)."""
        return not (self.scale or self.tensor_scale or self.index_bits or self.extra_bytes)

    def scale_blocks(self, out: int, inputs: int) -> int:
        """Number of block scales of one ``[out, in]`` matrix (partial blocks counted).

        >>> weight_format("fp8-b128").scale_blocks(1000, 300)   # ceil(1000/128)·ceil(300/128)
        24
        """
        if not self.scale:
            return 0
        rows, columns = self.block
        return -(-out // rows) * (-(-inputs // columns) if columns else 1)

    def matrix_bytes(self, out: int, inputs: int) -> int:
        """Exact bytes of one ``[out, in]`` matrix: values, scales, zeros and extras.

        >>> weight_format("int4").matrix_bytes(4096, 4096)   # 4096²/2 + 4096·32·(2 + 1/2)
        8716288
        """
        blocks = self.scale_blocks(out, inputs)
        total = -(-out * inputs * bits_of(self.values) // 8)
        if self.scale:
            total += -(-blocks * SCALE_BITS[self.scale] // 8)
        total += -(-blocks * self.zero_bits // 8)
        if self.tensor_scale:
            total += SCALE_BITS[self.tensor_scale] // 8
        return total + -(-inputs * self.index_bits // 8) + self.extra_bytes

    def tensor_bytes(self, shape: tuple[int, ...]) -> int:
        """Exact bytes of a tensor of ``shape``: ``[..., out, in]``, one matrix per leading
        index (a vector is one row, a scalar one value).

        >>> weight_format("bf16").tensor_bytes((4096,)), weight_format("fp8").tensor_bytes(())
        (8192, 5)
        """
        if any(n <= 0 for n in shape):
            raise WorkloadError(f"tensor shape {shape} must have positive sizes")
        if len(shape) < 2:
            shape = (1, *shape) if shape else (1, 1)
        return math.prod(shape[:-2]) * self.matrix_bytes(shape[-2], shape[-1])

    def bits_per_value(self, out: int, inputs: int) -> float:
        """Average stored bits per value of an ``[out, in]`` matrix, scales included.

        >>> weight_format("mxfp4").bits_per_value(4096, 4096)   # 4 + 8/32
        4.25
        """
        return 8 * self.matrix_bytes(out, inputs) / (out * inputs)


def plain_format(name: str) -> Format:
    """The scale-free format of an element type (fp32, tf32, bf16, fp16).

    >>> plain_format("fp16").tensor_bytes((3, 5))
    30
    """
    if name not in PLAIN_FLOATS:
        raise WorkloadError(f"{name!r} is not a plain format; choose one of "
                            f"{', '.join(sorted(PLAIN_FLOATS))}")
    return Format(name, name)


def int_format(bits: int, group: int | None, scale: str = "fp16", zero_bits: int | None = None,
               index_bits: int = 0, extra_bytes: int = 0, name: str = "") -> Format:
    """Integer weights with a scale (and a zero point) per group of ``group`` inputs.

    ``group=None`` keeps one group per row (a scale per output channel); ``zero_bits``
    defaults to ``bits`` (asymmetric, as AWQ and GPTQ store it); 0 means symmetric.

    >>> g = int_format(4, 128)
    >>> g.name, g.block, g.zero_bits
    ('int4-g128', (1, 128), 4)
    >>> int_format(8, None, zero_bits=0).label
    'int8, one fp16 scale per output channel'
    """
    if bits not in (4, 8):
        raise WorkloadError(f"integer weights of {bits} bits are not supported (4 or 8)")
    if group is not None and group <= 0:
        raise WorkloadError(f"group size must be a positive integer, got {group}")
    zeros = bits if zero_bits is None else zero_bits
    scales = (f"one {scale} scale per output channel" if group is None
              else f"{scale} scales in groups of {group}")
    label = f"int{bits}, {scales}" + (f", {zeros}-bit zeros" if zeros else "")
    return Format(name or (f"int{bits}-g{group}" if group else f"int{bits}"), f"int{bits}",
                  (1, group or 0), scale, zeros, index_bits=index_bits,
                  extra_bytes=extra_bytes, label=label)


def fp8_format(block: tuple[int, int] | None = None, encoding: str = "e4m3",
               scale: str = "fp32", extra_bytes: int = 0) -> Format:
    """fp8 weights with one scale per tensor, or one per ``block`` (DeepSeek-V3: 128×128).

    >>> fp8_format((128, 128)).label
    'fp8 block 128×128'
    >>> fp8_format().matrix_bytes(10, 10)   # 100 values and one fp32 scale
    104
    """
    values = {"e4m3": "fp8", "e5m2": "fp8-e5m2"}.get(encoding)
    if values is None:
        raise WorkloadError(f"unknown fp8 encoding {encoding!r}; choose e4m3 or e5m2")
    suffix = "" if encoding == "e4m3" else "-e5m2"
    if block is None:
        return Format(f"fp8{suffix}", values, tensor_scale=scale, extra_bytes=extra_bytes,
                      label=f"fp8 {encoding}, one {scale} scale per tensor")
    rows, columns = block
    if rows <= 0 or columns <= 0:
        raise WorkloadError(f"fp8 block {block} must be positive")
    name = f"fp8{suffix}-b{rows}" if rows == columns else f"fp8{suffix}-b{rows}x{columns}"
    return Format(name, values, block, scale, extra_bytes=extra_bytes,
                  label=f"fp8 block {rows}×{columns}")


#: The stored weight formats by name; ``int4-gN``, ``int8-gN`` and ``fp8-bN`` name other
#: group and block sizes.
WEIGHT_FORMATS: dict[str, Format] = {
    **{name: plain_format(name) for name in ("fp32", "tf32", "bf16", "fp16")},
    "fp8": fp8_format(),
    "fp8-e4m3": fp8_format(),
    "fp8-e5m2": fp8_format(encoding="e5m2"),
    "fp8-b128": fp8_format((128, 128)),
    "mxfp8": Format("mxfp8", "fp8", (1, 32), "e8m0",
                    label="MXFP8: E4M3 values, an E8M0 scale per 32"),
    "nvfp4": Format("nvfp4", "fp4", (1, 16), "fp8", tensor_scale="fp32",
                    label="NVFP4: E2M1 values, an E4M3 scale per 16, an fp32 per tensor"),
    "mxfp4": Format("mxfp4", "fp4", (1, 32), "e8m0",
                    label="MXFP4: E2M1 values, an E8M0 scale per 32"),
    "int8": int_format(8, None, zero_bits=0),
    "int8-g128": int_format(8, 128),
    "int4": int_format(4, 128, name="int4"),
    "int4-g128": int_format(4, 128),
    "int4-g64": int_format(4, 64),
    "int4-g32": int_format(4, 32),
}

_PATTERN = re.compile(r"(?P<kind>int4|int8)-g(?P<group>\d+)|fp8-b(?P<block>\d+)")


def weight_format(name: str) -> Format:
    """The stored format called ``name`` (a key of :data:`WEIGHT_FORMATS` or a pattern).

    >>> weight_format("int4-g256").label
    'int4, fp16 scales in groups of 256, 4-bit zeros'
    >>> weight_format("q4_k")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: unknown format 'q4_k'; choose one of fp32, ...
    """
    if name in WEIGHT_FORMATS:
        return WEIGHT_FORMATS[name]
    match = _PATTERN.fullmatch(name)
    if match and match["kind"] and int(match["group"]) > 0:
        return int_format(int(match["kind"][3:]), int(match["group"]))
    if match and match["block"] and int(match["block"]) > 0:
        return fp8_format((int(match["block"]),) * 2)
    raise WorkloadError(f"unknown format {name!r}; choose one of {', '.join(WEIGHT_FORMATS)} "
                        "(int4-gN, int8-gN or fp8-bN for other group and block sizes)")


#: Formats a KV cache may be stored in. fp8 caches keep one fp32 scale for each layer's K
#: and one for its V, as vLLM's ``k_scale`` and ``v_scale``.
KV_FORMATS: tuple[str, ...] = ("fp32", "bf16", "fp16", "fp8", "fp8-e5m2")

#: Scale type kept per layer for K and for V, for the KV formats that have one.
KV_SCALES: dict[str, str] = {"fp8": "fp32", "fp8-e5m2": "fp32"}


def check_kv_format(name: str) -> str:
    """Return ``name`` if a KV cache can be stored in it, else raise :class:`WorkloadError`.

    >>> check_kv_format("fp8")
    'fp8'
    >>> check_kv_format("nvfp4")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: 'nvfp4' is not a KV-cache format; choose one of ...
    """
    if name not in KV_FORMATS:
        raise WorkloadError(
            f"{name!r} is not a KV-cache format; choose one of {', '.join(KV_FORMATS)}")
    return name

