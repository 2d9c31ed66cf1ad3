"""Accelerators: dense peak FLOP/s per compute format, memory bandwidth, capacity and links.

Capacity comes twice: *nominal*, the HBM a spec sheet names (stacks × stack size, binary:
an H100's "80 GB" is 80 GiB), and *usable*, the device total a driver reports
(``nvidia-smi``, ``rocm-smi``) where a source gives it. The answers "does it fit", "how many
devices" and "largest batch" use the usable capacity when it is known, the nominal one
otherwise (:attr:`Accelerator.fit_bytes`, :attr:`Accelerator.fit_basis`).

>>> chip = Accelerator(name="my-chip", peak_flops={"bf16": 500e12}, bandwidth=2e12,
...     capacity_bytes=96 * 2**30)
>>> chip.ridge_point("bf16")   # peak over bandwidth, FLOP per byte
250.0
>>> chip.attainable(100.0, "bf16") / 1e12, chip.attainable(1000.0, "bf16") / 1e12
(200.0, 500.0)
>>> chip.capacity_label, chip.fit_basis
('96 GiB', 'nominal')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from .config import read_json
from .dtypes import check_compute_dtype
from .errors import WorkloadError

if TYPE_CHECKING:  # NumPy only for the annotation: the rule itself works on floats and arrays
    import numpy as np
    import numpy.typing as npt

#: A float, or a NumPy array of floats: the roofline is evaluated on either.
ArrayOrFloat = TypeVar("ArrayOrFloat", float, "npt.NDArray[np.float64]")

#: Bytes in each capacity unit a spec sheet or a driver may use.
CAPACITY_UNITS: dict[str, int] = {"B": 1, "MiB": 2**20, "GB": 10**9, "GiB": 2**30,
                                  "TB": 10**12, "TiB": 2**40}

#: The fields a ``sources`` mapping may name, each with the spec sheet (or log) it comes from.
SOURCE_FIELDS: tuple[str, ...] = ("peak_flops", "bandwidth", "capacity_bytes", "usable_bytes",
                                  "interconnect", "power_w", "year")

#: What each number of :meth:`Accelerator.to_dict` is in.
UNITS: dict[str, str] = {
    "peak_flops": "FLOP/s per compute format, dense (no sparsity)",
    "bandwidth": "bytes/s (memory)",
    "capacity_bytes": "bytes, nominal (HBM is binary: 80 GB on a sheet is 80 GiB)",
    "usable_bytes": "bytes, the device total a driver reports (null: not sourced)",
    "fit_bytes": "bytes the fit answers use: usable_bytes when known, else capacity_bytes",
    "interconnect": "bytes/s, scale-up links of one chip, both directions together",
    "power_w": "watts, the board's maximum (TDP/TBP)",
}


def _number(value: object) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


@dataclass(frozen=True, slots=True)
class Accelerator:
    """One chip: dense peaks in FLOP/s per compute format
    (:data:`~ai_workloads.core.dtypes.COMPUTE_DTYPES`), bandwidth in bytes/s, capacity in
    bytes (nominal, and usable when sourced), scale-up bandwidth in bytes/s (both directions
    together), board power in watts.

    ``capacity_value`` and ``capacity_unit`` give the nominal capacity in its real unit
    (80 GiB); ``printed_capacity`` keeps the spec sheet's own wording ("80GB HBM3").
    ``sources`` maps a field (:data:`SOURCE_FIELDS`) to the address it comes from; ``source``
    is the main spec sheet.
    """

    name: str
    peak_flops: Mapping[str, float]
    bandwidth: float
    capacity_bytes: int
    display: str = ""
    vendor: str = ""
    year: int = 0
    capacity_value: float = 0.0
    capacity_unit: str = ""
    printed_capacity: str = ""
    usable_bytes: int | None = None
    interconnect: float | None = None
    power_w: float | None = None
    source: str = ""
    sources: Mapping[str, str] = field(default_factory=dict)
    notes: str = ""

    def __post_init__(self) -> None:
        if not self.peak_flops:
            raise WorkloadError(f"{self.name}: give at least one peak FLOP/s")
        for dtype, value in self.peak_flops.items():
            try:
                check_compute_dtype(dtype)
            except WorkloadError as err:
                raise WorkloadError(f"{self.name}: {err}") from None
            if not _number(value):
                raise WorkloadError(f"{self.name}: peak for {dtype} must be a positive number")
        if not _number(self.bandwidth):
            raise WorkloadError(f"{self.name}: bandwidth must be a positive number")
        if not _whole(self.capacity_bytes):
            raise WorkloadError(f"{self.name}: capacity must be a positive number of bytes")
        if self.usable_bytes is not None:
            if not _whole(self.usable_bytes):
                raise WorkloadError(
                    f"{self.name}: usable capacity must be a positive number of bytes")
            if self.usable_bytes > self.capacity_bytes:
                raise WorkloadError(f"{self.name}: usable capacity ({self.usable_bytes:,} "
                                    f"bytes) exceeds the nominal {self.capacity_bytes:,}")
        for label, given in (("interconnect", self.interconnect), ("power_w", self.power_w)):
            if given is not None and not _number(given):
                raise WorkloadError(f"{self.name}: {label} must be a positive number or null")
        for key in self.sources:
            if key not in SOURCE_FIELDS:
                raise WorkloadError(f"{self.name}: sources names unknown field {key!r}; "
                                    f"choose from {', '.join(SOURCE_FIELDS)}")
        object.__setattr__(self, "peak_flops", MappingProxyType(dict(self.peak_flops)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        if not self.display:
            object.__setattr__(self, "display", self.name)
        if not self.capacity_value:
            binary = self.capacity_bytes % 2**30 == 0
            unit = "GiB" if binary else "GB"
            object.__setattr__(self, "capacity_value", self.capacity_bytes / CAPACITY_UNITS[unit])
            object.__setattr__(self, "capacity_unit", unit)
        elif not self.capacity_unit:
            raise WorkloadError(f"{self.name}: give the unit of capacity_value")

    def peak(self, dtype: str) -> float:
        """Dense peak FLOP/s for compute format ``dtype``; a clear error if the chip has none.

        >>> from ai_workloads.catalog import get_accelerator
        >>> get_accelerator("h100-sxm").peak("bf16")
        989400000000000.0
        >>> get_accelerator("tpu-v4").peak("fp8")
        Traceback (most recent call last):
        ...
        ai_workloads.core.errors.WorkloadError: tpu-v4 has no fp8 peak; it supports bf16, int8
        """
        check_compute_dtype(dtype)
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
    def fit_bytes(self) -> int:
        """The memory "fits", "devices needed" and "largest batch" count on: the usable
        capacity when a source gives it, else the nominal one.

        >>> from ai_workloads.catalog import get_accelerator
        >>> h100 = get_accelerator("h100-sxm")
        >>> h100.fit_bytes == 81559 * 2**20, h100.capacity_bytes == 80 * 2**30
        (True, True)
        """
        return self.capacity_bytes if self.usable_bytes is None else self.usable_bytes

    @property
    def fit_basis(self) -> Literal["usable", "nominal"]:
        """Which capacity :attr:`fit_bytes` is: ``"usable"`` or ``"nominal"``.

        >>> from ai_workloads.catalog import get_accelerator
        >>> get_accelerator("h100-sxm").fit_basis, get_accelerator("tpu-v4").fit_basis
        ('usable', 'nominal')
        """
        return "nominal" if self.usable_bytes is None else "usable"

    @property
    def capacity_label(self) -> str:
        """The nominal capacity in its unit.

        >>> from ai_workloads.catalog import get_accelerator
        >>> get_accelerator("tpu-v4").capacity_label, get_accelerator("h100-sxm").capacity_label
        ('32 GiB', '80 GiB')
        """
        return f"{self.capacity_value:g} {self.capacity_unit}"

    def to_dict(self) -> dict[str, Any]:
        """The chip as JSON-ready numbers in SI units (:data:`UNITS`); null where not sourced.

        :func:`accelerator_from_dict` reads it back.

        >>> from ai_workloads.catalog import get_accelerator
        >>> d = get_accelerator("h100-sxm").to_dict()
        >>> d["bandwidth"], d["capacity_bytes"], d["usable_bytes"], d["fit_basis"]
        (3350000000000.0, 85899345920, 85520809984, 'usable')
        >>> accelerator_from_dict(d).to_dict() == d
        True
        """
        return {
            "name": self.name, "display": self.display, "vendor": self.vendor,
            "year": self.year or None, "peak_flops": dict(self.peak_flops),
            "bandwidth": self.bandwidth, "capacity_bytes": self.capacity_bytes,
            "capacity_printed": self.printed_capacity or None,
            "usable_bytes": self.usable_bytes, "fit_bytes": self.fit_bytes,
            "fit_basis": self.fit_basis, "interconnect": self.interconnect,
            "power_w": self.power_w, "source": self.source, "sources": dict(self.sources),
            "notes": self.notes,
        }


# ------------------------------------------------------------------ the file form

#: Each quantity's two spellings: a file gives one, in the unit its key names.
_SPELLINGS: dict[str, tuple[tuple[str, float], tuple[str, float]]] = {
    "peaks": (("peak_tflops", 1e12), ("peak_flops", 1.0)),
    "bandwidth": (("bandwidth_gb_s", 1e9), ("bandwidth", 1.0)),
    "interconnect": (("interconnect_gb_s", 1e9), ("interconnect", 1.0)),
}


def _one_of(raw: Mapping[str, Any], where: str, what: str, required: bool = False,
            ) -> tuple[str, float, Any] | None:
    """The spelling of ``what`` the file uses: (key, factor to SI, value), or None."""
    given = [(key, factor) for key, factor in _SPELLINGS[what] if raw.get(key) is not None]
    (first, _), (second, _) = _SPELLINGS[what]
    if len(given) > 1:
        raise WorkloadError(f"{where}: give '{first}' or '{second}', not both")
    if not given:
        if required:
            unit = "TFLOP/s" if what == "peaks" else "GB/s"
            raise WorkloadError(f"{where}: missing {what}: give '{first}' (in {unit}) or "
                                f"'{second}' (in SI units)")
        return None
    key, factor = given[0]
    return key, factor, raw[key]


def _positive(where: str, label: str, value: object) -> float:
    if not _number(value):
        raise WorkloadError(f"{where}: {label} must be a positive number, got {value!r}")
    return float(value)  # type: ignore[arg-type]  # _number checked it is an int or float


def _bytes_of(where: str, label: str, raw: object, example: str) -> int:
    """Bytes of ``{"value": …, "unit": …}`` (``unit`` one of :data:`CAPACITY_UNITS`)."""
    if not isinstance(raw, Mapping) or "value" not in raw or "unit" not in raw:
        raise WorkloadError(f"{where}: '{label}' must look like {example}")
    unit = raw["unit"]
    if unit not in CAPACITY_UNITS:
        raise WorkloadError(f"{where}: {label} unit {unit!r} is not one of "
                            f"{', '.join(CAPACITY_UNITS)}")
    return round(_positive(where, f"{label} value", raw["value"]) * CAPACITY_UNITS[unit])


def _capacity(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Nominal capacity (and its wording) from ``capacity`` or ``capacity_bytes``."""
    nested, flat = raw.get("capacity"), raw.get("capacity_bytes")
    if nested is not None and flat is not None:
        raise WorkloadError(f"{where}: give 'capacity' or 'capacity_bytes', not both")
    if flat is not None:
        if not _whole(flat):
            raise WorkloadError(
                f"{where}: capacity_bytes must be a positive whole number, got {flat!r}")
        return {"capacity_bytes": flat, "printed_capacity": str(raw.get("capacity_printed")
                                                                or "")}
    if nested is None:
        raise WorkloadError(f"{where}: missing capacity: give 'capacity' "
                            '({"value": 80, "unit": "GiB"}) or \'capacity_bytes\'')
    n_bytes = _bytes_of(where, "capacity", nested, '{"value": 80, "unit": "GiB"}')
    return {"capacity_bytes": n_bytes, "capacity_value": float(nested["value"]),
            "capacity_unit": nested["unit"], "printed_capacity": str(nested.get("printed") or "")}


def _usable(raw: Mapping[str, Any], where: str) -> tuple[int | None, str | None]:
    """Usable bytes and their source from ``usable`` or ``usable_bytes`` (absent: None)."""
    nested, flat = raw.get("usable"), raw.get("usable_bytes")
    if nested is not None and flat is not None:
        raise WorkloadError(f"{where}: give 'usable' or 'usable_bytes', not both")
    if flat is not None:
        if not _whole(flat):
            raise WorkloadError(
                f"{where}: usable_bytes must be a positive whole number, got {flat!r}")
        return flat, None
    if nested is None:
        return None, None
    n_bytes = _bytes_of(where, "usable", nested, '{"value": 81559, "unit": "MiB"}')
    return n_bytes, (str(nested["source"]) if nested.get("source") else None)


def accelerator_from_dict(raw: Mapping[str, Any], where: str = "hardware") -> Accelerator:
    """Build an :class:`Accelerator` from its JSON form.

    Each quantity is given once, in one of two spellings whose key names the unit: the
    catalog's (``peak_tflops`` in TFLOP/s, ``bandwidth_gb_s`` and ``interconnect_gb_s`` in
    GB/s, ``capacity`` and ``usable`` as ``{"value", "unit"}``) or SI, as
    :meth:`Accelerator.to_dict` writes it (``peak_flops`` in FLOP/s, ``bandwidth`` and
    ``interconnect`` in bytes/s, ``capacity_bytes``, ``usable_bytes``). Name, peaks,
    bandwidth and capacity are required; ``power_w`` (W), ``display``, ``vendor``,
    ``year``, ``source``, ``sources`` and ``notes`` are optional. Bad values raise a
    one-line :class:`WorkloadError` that starts with ``where``.

    >>> chip = accelerator_from_dict({"name": "design-a", "peak_tflops": {"fp8": 2000},
    ...     "bandwidth_gb_s": 8000, "capacity": {"value": 288, "unit": "GiB"},
    ...     "usable": {"value": 294896, "unit": "MiB"}, "interconnect_gb_s": 1800})
    >>> chip.peak("fp8"), chip.capacity_bytes, chip.fit_basis, chip.interconnect
    (2000000000000000.0, 309237645312, 'usable', 1800000000000.0)
    >>> accelerator_from_dict({"name": "x", "peak_tflops": {"bf16": 1}, "capacity_bytes": 8})
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: hardware: missing bandwidth: give ...
    """
    if not isinstance(raw, Mapping):
        raise WorkloadError(f"{where}: a hardware description must be a JSON object")
    if raw.get("name") in (None, ""):
        raise WorkloadError(f"{where}: missing name: give the chip a short 'name'")
    peaks_key, peaks_factor, peaks = _one_of(raw, where, "peaks", required=True)  # type: ignore[misc]
    if not isinstance(peaks, Mapping) or not peaks:
        raise WorkloadError(f"{where}: '{peaks_key}' must map compute formats to numbers, "
                            'e.g. {"bf16": 989.4}')
    peak_flops = {}
    for fmt, value in peaks.items():
        try:
            check_compute_dtype(str(fmt))
        except WorkloadError as err:
            raise WorkloadError(f"{where}: {err}") from None
        peak_flops[str(fmt)] = _positive(where, f"{peaks_key}.{fmt}", value) * peaks_factor
    bw_key, bw_factor, bw = _one_of(raw, where, "bandwidth", required=True)  # type: ignore[misc]
    link = _one_of(raw, where, "interconnect")
    usable, usable_source = _usable(raw, where)
    power = raw.get("power_w")
    sources = raw.get("sources") or {}
    if not isinstance(sources, Mapping) or not all(
            isinstance(v, str) and v for v in sources.values()):
        raise WorkloadError(f"{where}: 'sources' must map fields to addresses (strings)")
    if usable_source:
        sources = {**sources, "usable_bytes": usable_source}
    year = raw.get("year")
    if year is not None and not _whole(year):
        raise WorkloadError(f"{where}: year must be a whole number, got {year!r}")
    capacity = _capacity(raw, where)
    bandwidth = _positive(where, bw_key, bw) * bw_factor
    interconnect = None if link is None else _positive(where, link[0], link[2]) * link[1]
    power_w = None if power is None else _positive(where, "power_w", power)
    try:
        return Accelerator(
            name=str(raw["name"]), peak_flops=peak_flops, bandwidth=bandwidth,
            **capacity, usable_bytes=usable, interconnect=interconnect, power_w=power_w,
            display=str(raw.get("display") or raw["name"]),
            vendor=str(raw.get("vendor") or ""), year=year or 0,
            source=str(raw.get("source") or ""), sources=dict(sources),
            notes=str(raw.get("notes") or ""),
        )
    except WorkloadError as err:
        raise WorkloadError(f"{where}: {err}") from None


def load_accelerator(path: str | Path) -> Accelerator:
    """Read a hardware description (see :func:`accelerator_from_dict`) from a file.

    >>> import json, tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "chip.json"
    >>> _ = f.write_text(json.dumps({"name": "x", "peak_tflops": {"bf16": 100},
    ...     "bandwidth_gb_s": 1000, "capacity": {"value": 64, "unit": "GiB"}}))
    >>> load_accelerator(f).capacity_bytes == 64 * 2**30
    True
    """
    path = Path(path)
    return accelerator_from_dict(read_json(path), where=str(path))
