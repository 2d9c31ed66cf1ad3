"""Accelerator specs: units of the JSON form, peaks per number format, capacity, bad files.

The JSON form gives peaks in TFLOP/s (10¹² FLOP/s), bandwidth in GB/s (10⁹ bytes/s) and
capacity with its spec sheet's unit; the expected values are those conversions by hand.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from ai_workloads.core.accelerator import (
    CAPACITY_UNITS,
    Accelerator,
    accelerator_from_dict,
    load_accelerator,
)
from ai_workloads.core.errors import WorkloadError

#: NVIDIA's H100 SXM sheet: dense bf16 989.4 TFLOP/s, fp8 1,978.9, 3.35 TB/s, 80 GB.
H100: dict[str, Any] = {
    "name": "h100-like", "display": "An H100-like chip", "vendor": "NVIDIA", "year": 2022,
    "peak_tflops": {"bf16": 989.4, "fp8": 1978.9}, "bandwidth_gb_s": 3350,
    "capacity": {"value": 80, "unit": "GB"},
    "source": "https://www.nvidia.com/en-us/data-center/h100/", "notes": "dense peaks",
}


def chip(**changes: Any) -> Accelerator:
    fields: dict[str, Any] = {"name": "c", "peak_flops": {"bf16": 500e12}, "bandwidth": 2e12,
                              "capacity_bytes": 96 * 10**9}
    return Accelerator(**(fields | changes))


# --------------------------------------------------------------------------- Accelerator

def test_peak_per_dtype_and_ridge() -> None:
    c = chip(peak_flops={"bf16": 500e12, "int8": 1000e12})
    assert c.peak("bf16") == 500e12
    assert c.peak("int8") == 1000e12
    assert c.peak("bf16") / c.bandwidth == 250.0


def test_ridge_point_is_peak_over_bandwidth() -> None:
    c = chip(peak_flops={"bf16": 500e12, "int8": 1000e12})
    assert c.ridge_point("bf16") == 500e12 / 2e12 == 250.0
    assert c.ridge_point("int8") == 500.0
    with pytest.raises(WorkloadError, match="c has no fp8 peak"):
        c.ridge_point("fp8")


@pytest.mark.parametrize(("intensity", "expected"), [
    (1.0, 2e12),         # memory-bound: intensity · bandwidth
    (100.0, 200e12),
    (250.0, 500e12),     # at the ridge both limits meet
    (1000.0, 500e12),    # compute-bound: the peak
])
def test_attainable_is_the_lower_of_the_two_roofs(intensity: float, expected: float) -> None:
    assert chip().attainable(intensity, "bf16") == expected


def test_attainable_on_an_array_of_intensities() -> None:
    np = pytest.importorskip("numpy")
    got = chip().attainable(np.array([1.0, 100.0, 250.0, 1000.0]), "bf16")
    assert got.tolist() == [2e12, 200e12, 500e12, 500e12]


def test_peak_of_a_format_the_chip_lacks_names_what_it_has() -> None:
    with pytest.raises(WorkloadError) as info:
        chip(peak_flops={"bf16": 1e12, "int8": 2e12}).peak("fp8")
    assert str(info.value) == "c has no fp8 peak; it supports bf16, int8"


def test_peak_of_an_unknown_format() -> None:
    with pytest.raises(WorkloadError, match="unknown dtype 'fp12'"):
        chip().peak("fp12")


def test_peaks_are_frozen_and_copied() -> None:
    peaks = {"bf16": 500e12}
    c = chip(peak_flops=peaks)
    peaks["bf16"] = 1.0
    peaks["fp8"] = 1.0
    assert dict(c.peak_flops) == {"bf16": 500e12}
    with pytest.raises(TypeError):
        c.peak_flops["bf16"] = 2.0  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.bandwidth = 1.0  # type: ignore[misc]


def test_defaults_display_and_capacity_wording() -> None:
    c = chip()
    assert c.display == "c"
    assert (c.capacity_value, c.capacity_unit) == (96.0, "GB")
    assert c.capacity_label == "96 GB"


@pytest.mark.parametrize("peaks", [{}, {"bf16": 0}, {"bf16": -1e12}, {"bf16": True},
                                   {"bf16": "1e12"}, {"fp12": 1e12}])
def test_bad_peaks(peaks: dict[str, object]) -> None:
    with pytest.raises(WorkloadError):
        chip(peak_flops=peaks)


@pytest.mark.parametrize("bandwidth", [0, -1.0, "2e12"])
def test_bad_bandwidth(bandwidth: object) -> None:
    with pytest.raises(WorkloadError, match="c: bandwidth must be a positive number"):
        chip(bandwidth=bandwidth)


@pytest.mark.parametrize("capacity", [0, -1, 80e9, True, "80"])
def test_capacity_is_a_positive_whole_number_of_bytes(capacity: object) -> None:
    with pytest.raises(WorkloadError, match="c: capacity must be a positive number of bytes"):
        chip(capacity_bytes=capacity)


# --------------------------------------------------------------------------- from the JSON form

def test_json_units_become_flops_bytes_per_second_and_bytes() -> None:
    h = accelerator_from_dict(H100)
    assert h.peak("bf16") == pytest.approx(989.4e12, rel=1e-15)
    assert h.peak("fp8") == pytest.approx(1978.9e12, rel=1e-15)
    assert h.bandwidth == 3350 * 10**9
    assert h.capacity_bytes == 80 * 10**9
    assert h.peak("bf16") / h.bandwidth == pytest.approx(989.4 / 3.35)


def test_descriptive_fields_are_kept() -> None:
    h = accelerator_from_dict(H100)
    assert (h.name, h.display, h.vendor, h.year) == ("h100-like", "An H100-like chip",
                                                     "NVIDIA", 2022)
    assert h.source == "https://www.nvidia.com/en-us/data-center/h100/"
    assert h.notes == "dense peaks"
    assert set(h.peak_flops) == {"bf16", "fp8"}


def test_optional_fields_default() -> None:
    minimal = {k: H100[k] for k in ("name", "peak_tflops", "bandwidth_gb_s", "capacity")}
    h = accelerator_from_dict(minimal)
    assert (h.display, h.vendor, h.year, h.source, h.notes) == ("h100-like", "", 0, "", "")


@pytest.mark.parametrize(("value", "unit", "expected", "label"), [
    (80, "GB", 80 * 10**9, "80 GB"),
    (32, "GiB", 32 * 2**30, "32 GiB"),          # TPU v4: 32 GiB = 34,359,738,368 bytes
    (1.5, "TB", 1_500_000_000_000, "1.5 TB"),
    (1, "TiB", 2**40, "1 TiB"),
    (94.5, "GB", 94_500_000_000, "94.5 GB"),
])
def test_capacity_units(value: float, unit: str, expected: int, label: str) -> None:
    h = accelerator_from_dict(H100 | {"capacity": {"value": value, "unit": unit}})
    assert h.capacity_bytes == expected
    assert isinstance(h.capacity_bytes, int)
    assert (h.capacity_value, h.capacity_unit, h.capacity_label) == (value, unit, label)


def test_capacity_unit_table() -> None:
    assert CAPACITY_UNITS == {"GB": 1_000_000_000, "GiB": 1_073_741_824,
                              "TB": 1_000_000_000_000, "TiB": 1_099_511_627_776}


def one_line_error(raw: object) -> str:
    with pytest.raises(WorkloadError) as info:
        accelerator_from_dict(raw, where="chip.json")  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("chip.json: ")
    return message


@pytest.mark.parametrize("key", ["name", "peak_tflops", "bandwidth_gb_s", "capacity"])
def test_missing_key(key: str) -> None:
    raw = {k: v for k, v in H100.items() if k != key}
    assert one_line_error(raw) == (
        f"chip.json: missing key '{key}' (a hardware file needs name, peak_tflops, "
        "bandwidth_gb_s and capacity)")
    assert f"missing key '{key}'" in one_line_error(H100 | {key: None})


def test_not_an_object() -> None:
    assert one_line_error([H100]) == "chip.json: a hardware description must be a JSON object"


@pytest.mark.parametrize("peaks", [{}, [989.4], 989.4])
def test_peaks_must_map_dtypes_to_tflops(peaks: object) -> None:
    assert "'peak_tflops' must map dtypes to TFLOP/s" in one_line_error(
        H100 | {"peak_tflops": peaks})


@pytest.mark.parametrize("capacity", [80, {"value": 80}, {"unit": "GB"}])
def test_capacity_must_give_value_and_unit(capacity: object) -> None:
    assert "'capacity' must look like" in one_line_error(H100 | {"capacity": capacity})


def test_unknown_capacity_unit_lists_the_known_ones() -> None:
    message = one_line_error(H100 | {"capacity": {"value": 80, "unit": "MB"}})
    assert message == "chip.json: capacity unit 'MB' is not one of GB, GiB, TB, TiB"


@pytest.mark.parametrize(("change", "label"), [
    ({"bandwidth_gb_s": 0}, "bandwidth_gb_s"),
    ({"bandwidth_gb_s": "3350"}, "bandwidth_gb_s"),
    ({"capacity": {"value": -80, "unit": "GB"}}, "capacity value"),
    ({"capacity": {"value": True, "unit": "GB"}}, "capacity value"),
    ({"peak_tflops": {"bf16": 0}}, "peak_tflops.bf16"),
    ({"peak_tflops": {"bf16": 989.4, "fp8": None}}, "peak_tflops.fp8"),
])
def test_non_positive_numbers(change: dict[str, Any], label: str) -> None:
    assert f"{label} must be a positive number" in one_line_error(H100 | change)


def test_unknown_dtype_in_the_peaks() -> None:
    message = one_line_error(H100 | {"peak_tflops": {"bf16": 1.0, "fp12": 2.0}})
    assert message.startswith("chip.json: unknown dtype 'fp12'; choose one of fp32")


# --------------------------------------------------------------------------- files

def test_load_accelerator(tmp_path: Path) -> None:
    path = tmp_path / "chip.json"
    path.write_text(json.dumps(H100 | {"capacity": {"value": 64, "unit": "GiB"}}))
    h = load_accelerator(path)
    assert h.capacity_bytes == 64 * 2**30
    assert load_accelerator(str(path)) == h


def test_load_accelerator_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "chip.json"
    path.write_text(json.dumps({k: v for k, v in H100.items() if k != "capacity"}))
    with pytest.raises(WorkloadError, match=re.escape(f"{path}: missing key 'capacity'")):
        load_accelerator(path)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(WorkloadError, match="no such file"):
        load_accelerator(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x",}')
    with pytest.raises(WorkloadError, match=re.escape(f"{bad} is not valid JSON")):
        load_accelerator(bad)
    with pytest.raises(WorkloadError, match="it is a directory"):
        load_accelerator(tmp_path)
