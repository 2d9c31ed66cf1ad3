"""Accelerators: peak FLOP/s per number format, memory bandwidth and capacity.

>>> chip = Accelerator(name="my-chip", peak_flops={"bf16": 500e12}, bandwidth=2e12,
...     capacity_bytes=96 * 10**9)
>>> chip.ridge_point("bf16")   # peak over bandwidth, FLOP per byte
250.0
>>> chip.attainable(100.0, "bf16") / 1e12, chip.attainable(1000.0, "bf16") / 1e12
(200.0, 500.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from .config import read_json
from .dtypes import check_dtype
from .errors import WorkloadError

if TYPE_CHECKING:  # NumPy only for the annotation: the rule itself works on floats and arrays
    import numpy as np
    import numpy.typing as npt

#: A float, or a NumPy array of floats: the roofline is evaluated on either.
ArrayOrFloat = TypeVar("ArrayOrFloat", float, "npt.NDArray[np.float64]")

#: Bytes in each capacity unit a spec sheet may use.
CAPACITY_UNITS: dict[str, int] = {"GB": 10**9, "GiB": 2**30, "TB": 10**12, "TiB": 2**40}


@dataclass(frozen=True, slots=True)
class Accelerator:
    """One chip: dense peaks in FLOP/s per dtype, bandwidth in bytes/s, capacity in bytes.

    ``capacity_value`` and ``capacity_unit`` keep the spec sheet's own wording
    ("80 GB", "32 GiB") beside the exact byte count.
    """

    name: str
    peak_flops: Mapping[str, float]
    bandwidth: float
    capacity_bytes: int
    display: str = ""
    vendor: str = ""
    year: int = 0
    capacity_value: float = 0.0
    capacity_unit: str = "GB"
    source: str = ""
    notes: str = ""
    _frozen_peaks: Mapping[str, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.peak_flops:
            raise WorkloadError(f"{self.name}: give at least one peak FLOP/s")
        for dtype, value in self.peak_flops.items():
            check_dtype(dtype)
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise WorkloadError(f"{self.name}: peak for {dtype} must be a positive number")
        if not isinstance(self.bandwidth, int | float) or self.bandwidth <= 0:
            raise WorkloadError(f"{self.name}: bandwidth must be a positive number")
        if (isinstance(self.capacity_bytes, bool) or not isinstance(self.capacity_bytes, int)
                or self.capacity_bytes <= 0):
            raise WorkloadError(f"{self.name}: capacity must be a positive number of bytes")
        object.__setattr__(self, "_frozen_peaks", MappingProxyType(dict(self.peak_flops)))
        object.__setattr__(self, "peak_flops", self._frozen_peaks)
        if not self.display:
            object.__setattr__(self, "display", self.name)
        if not self.capacity_value:
            object.__setattr__(self, "capacity_value", self.capacity_bytes / 10**9)

    def peak(self, dtype: str) -> float:
        """Dense peak FLOP/s for ``dtype``; a clear error if the chip has none.

        >>> from ai_workloads.catalog import get_accelerator
        >>> get_accelerator("h100-sxm").peak("bf16")
        989400000000000.0
        >>> get_accelerator("tpu-v4").peak("fp8")
        Traceback (most recent call last):
        ...
        ai_workloads.core.errors.WorkloadError: tpu-v4 has no fp8 peak; it supports bf16, int8
        """
        check_dtype(dtype)
        if dtype not in self.peak_flops:
            raise WorkloadError(
                f"{self.name} has no {dtype} peak; it supports {', '.join(self.peak_flops)}")
        return float(self.peak_flops[dtype])

    def ridge_point(self, dtype: str) -> float:
        """The roofline's ridge: ``peak(dtype) / bandwidth``, in FLOP per byte.

        A kernel of lower arithmetic intensity is memory-bound on this chip; at or above it,
        compute-bound.

        >>> from ai_workloads.catalog import get_accelerator
        >>> round(get_accelerator("a100-sxm-80gb").ridge_point("bf16"), 2)
        153.02
        """
        return self.peak(dtype) / self.bandwidth

    def attainable(self, intensity: ArrayOrFloat, dtype: str) -> ArrayOrFloat:
        """The roofline: ``min(peak(dtype), intensity · bandwidth)`` FLOP/s.

        ``intensity`` (FLOP per byte) may be a float or a NumPy array of them.

        >>> chip = Accelerator(name="x", peak_flops={"fp32": 100e9}, bandwidth=20e9,
        ...                    capacity_bytes=2**30)
        >>> chip.attainable(1.0, "fp32"), chip.attainable(50.0, "fp32")
        (20000000000.0, 100000000000.0)
        >>> import numpy as np
        >>> chip.attainable(np.array([1.0, 50.0]), "fp32") / 1e9
        array([ 20., 100.])
        """
        peak = self.peak(dtype)
        if isinstance(intensity, int | float):
            return min(peak, intensity * self.bandwidth)
        return (intensity * self.bandwidth).clip(max=peak)

    @property
    def capacity_label(self) -> str:
        """The capacity as the spec sheet writes it.

        >>> from ai_workloads.catalog import get_accelerator
        >>> get_accelerator("tpu-v4").capacity_label
        '32 GiB'
        """
        return f"{self.capacity_value:g} {self.capacity_unit}"


def accelerator_from_dict(raw: Mapping[str, Any], where: str = "hardware") -> Accelerator:
    """Build an :class:`Accelerator` from the catalog's JSON form.

    The form is ``{"name", "peak_tflops": {dtype: TFLOP/s}, "bandwidth_gb_s",
    "capacity": {"value", "unit"}}`` plus optional ``display``, ``vendor``, ``source``.

    >>> chip = accelerator_from_dict({"name": "design-a", "peak_tflops": {"fp8": 2000},
    ...     "bandwidth_gb_s": 8000, "capacity": {"value": 288, "unit": "GB"}})
    >>> chip.peak("fp8"), chip.capacity_bytes
    (2000000000000000.0, 288000000000)
    """
    if not isinstance(raw, Mapping):
        raise WorkloadError(f"{where}: a hardware description must be a JSON object")
    for key in ("name", "peak_tflops", "bandwidth_gb_s", "capacity"):
        if key not in raw or raw[key] is None:
            raise WorkloadError(
                f"{where}: missing key '{key}' (a hardware file needs name, peak_tflops, "
                "bandwidth_gb_s and capacity)")
    peaks = raw["peak_tflops"]
    if not isinstance(peaks, Mapping) or not peaks:
        raise WorkloadError(f"{where}: 'peak_tflops' must map dtypes to TFLOP/s, e.g. "
                            '{"bf16": 989.4}')
    capacity = raw["capacity"]
    if not isinstance(capacity, Mapping) or "value" not in capacity or "unit" not in capacity:
        raise WorkloadError(
            f"{where}: 'capacity' must look like {{\"value\": 80, \"unit\": \"GB\"}}")
    unit = capacity["unit"]
    if unit not in CAPACITY_UNITS:
        raise WorkloadError(
            f"{where}: capacity unit {unit!r} is not one of {', '.join(CAPACITY_UNITS)}")
    value = capacity["value"]
    bandwidth = raw["bandwidth_gb_s"]
    for label, number in (("capacity value", value), ("bandwidth_gb_s", bandwidth),
                          *((f"peak_tflops.{k}", v) for k, v in peaks.items())):
        if isinstance(number, bool) or not isinstance(number, int | float) or number <= 0:
            raise WorkloadError(f"{where}: {label} must be a positive number, got {number!r}")
    try:
        return Accelerator(
            name=str(raw["name"]),
            peak_flops={str(k): float(v) * 1e12 for k, v in peaks.items()},
            bandwidth=float(bandwidth) * 1e9,
            capacity_bytes=round(value * CAPACITY_UNITS[unit]),
            display=str(raw.get("display") or raw["name"]),
            vendor=str(raw.get("vendor") or ""),
            year=int(raw.get("year") or 0),
            capacity_value=float(value),
            capacity_unit=unit,
            source=str(raw.get("source") or ""),
            notes=str(raw.get("notes") or ""),
        )
    except WorkloadError as err:
        raise WorkloadError(f"{where}: {err}") from None


def load_accelerator(path: str | Path) -> Accelerator:
    """Read a hardware description (the catalog's JSON form) from a file.

    >>> import json, tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "chip.json"
    >>> _ = f.write_text(json.dumps({"name": "x", "peak_tflops": {"bf16": 100},
    ...     "bandwidth_gb_s": 1000, "capacity": {"value": 64, "unit": "GiB"}}))
    >>> load_accelerator(f).capacity_bytes == 64 * 2**30
    True
    """
    path = Path(path)
    return accelerator_from_dict(read_json(path), where=str(path))
