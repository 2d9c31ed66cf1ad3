"""Accelerator specs: units of the JSON form, peaks per compute format, capacity (nominal and
usable, and which one the fit answers count on), links and power, bad files.

The JSON form gives peaks in TFLOP/s (10¹² FLOP/s), bandwidth in GB/s (10⁹ bytes/s) and
capacity with its unit; the SI form gives FLOP/s, bytes/s and bytes. The expected values
are those conversions by hand.
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
    SOURCE_FIELDS,
    UNITS,
    Accelerator,
    accelerator_from_dict,
    load_accelerator,
)
from ai_workloads.core.errors import WorkloadError

#: NVIDIA's H100 SXM: dense bf16 989.4 TFLOP/s, fp8 1,978.9, 3.35 TB/s, five 16 GiB HBM3
#: stacks ("80GB"), nvidia-smi's 81,559 MiB, NVLink 900 GB/s, 700 W.
H100: dict[str, Any] = {
    "name": "h100-like", "display": "An H100-like chip", "vendor": "NVIDIA", "year": 2022,
    "peak_tflops": {"bf16": 989.4, "fp8": 1978.9}, "bandwidth_gb_s": 3350,
    "capacity": {"value": 80, "unit": "GiB", "printed": "80GB HBM3"},
    "usable": {"value": 81559, "unit": "MiB", "source": "https://example.org/nvidia-smi"},
    "interconnect_gb_s": 900, "power_w": 700,
    "source": "https://www.nvidia.com/en-us/data-center/h100/", "notes": "dense peaks",
}
MINIMAL: dict[str, Any] = {k: H100[k] for k in ("name", "peak_tflops", "bandwidth_gb_s",
                                                "capacity")}


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


def test_fp4_and_fp6_are_compute_formats_with_peaks() -> None:
    c = chip(peak_flops={"bf16": 2.25e15, "fp8": 4.5e15, "fp6": 4.5e15, "fp4": 9e15})
    assert c.peak("fp4") == 9e15
    assert c.ridge_point("fp6") == 4.5e15 / 2e12


def test_peak_of_a_format_the_chip_lacks_names_what_it_has() -> None:
    with pytest.raises(WorkloadError) as info:
        chip(peak_flops={"bf16": 1e12, "int8": 2e12}).peak("fp8")
    assert str(info.value) == "c has no fp8 peak; it supports bf16, int8"


@pytest.mark.parametrize("name", ["fp12", "nvfp4", "mxfp4"])
def test_peak_of_an_unknown_compute_format(name: str) -> None:
    # Stored formats such as NVFP4 compute in fp4: the peak table names the compute format.
    with pytest.raises(WorkloadError, match=f"unknown compute format '{name}'"):
        chip().peak(name)


def test_peaks_and_sources_are_frozen_and_copied() -> None:
    peaks, sources = {"bf16": 500e12}, {"bandwidth": "https://example.org"}
    c = chip(peak_flops=peaks, sources=sources)
    peaks["fp8"] = 1.0
    sources["year"] = "x"
    assert dict(c.peak_flops) == {"bf16": 500e12}
    assert dict(c.sources) == {"bandwidth": "https://example.org"}
    with pytest.raises(TypeError):
        c.peak_flops["bf16"] = 2.0  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.bandwidth = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(("n_bytes", "value", "unit"), [
    (96 * 10**9, 96.0, "GB"),       # not a whole number of GiB: decimal
    (96 * 2**30, 96.0, "GiB"),      # a whole number of GiB: binary, as HBM is
])
def test_default_capacity_wording(n_bytes: int, value: float, unit: str) -> None:
    c = chip(capacity_bytes=n_bytes)
    assert c.display == "c"
    assert (c.capacity_value, c.capacity_unit) == (value, unit)
    assert c.capacity_label == f"{value:g} {unit}"


def test_fit_rule_usable_when_known_else_nominal() -> None:
    nominal = chip(capacity_bytes=80 * 2**30)
    assert (nominal.fit_bytes, nominal.fit_basis) == (80 * 2**30, "nominal")
    usable = chip(capacity_bytes=80 * 2**30, usable_bytes=81559 * 2**20)
    assert (usable.fit_bytes, usable.fit_basis) == (85_520_809_984, "usable")
    assert usable.capacity_bytes == 85_899_345_920          # nominal kept beside it


@pytest.mark.parametrize("peaks", [{}, {"bf16": 0}, {"bf16": -1e12}, {"bf16": True},
                                   {"bf16": "1e12"}, {"fp12": 1e12}, {"bf16": float("nan")}])
def test_bad_peaks(peaks: dict[str, object]) -> None:
    with pytest.raises(WorkloadError):
        chip(peak_flops=peaks)


@pytest.mark.parametrize("bandwidth", [0, -1.0, "2e12", float("inf")])
def test_bad_bandwidth(bandwidth: object) -> None:
    with pytest.raises(WorkloadError, match="c: bandwidth must be a positive number"):
        chip(bandwidth=bandwidth)


@pytest.mark.parametrize("capacity", [0, -1, 80e9, True, "80"])
def test_capacity_is_a_positive_whole_number_of_bytes(capacity: object) -> None:
    with pytest.raises(WorkloadError, match="c: capacity must be a positive number of bytes"):
        chip(capacity_bytes=capacity)


def test_usable_is_whole_bytes_and_at_most_nominal() -> None:
    with pytest.raises(WorkloadError, match="usable capacity must be a positive number"):
        chip(usable_bytes=8.5e10)
    with pytest.raises(WorkloadError, match="exceeds the nominal 96,000,000,000"):
        chip(usable_bytes=96 * 10**9 + 1)


@pytest.mark.parametrize("field", ["interconnect", "power_w"])
@pytest.mark.parametrize("value", [0, -5.0, "900"])
def test_links_and_power_are_positive_or_none(field: str, value: object) -> None:
    assert getattr(chip(**{field: None}), field) is None
    with pytest.raises(WorkloadError, match=f"c: {field} must be a positive number or null"):
        chip(**{field: value})


def test_sources_name_known_fields_only() -> None:
    assert set(SOURCE_FIELDS) >= {"peak_flops", "bandwidth", "capacity_bytes", "usable_bytes",
                                  "interconnect", "power_w", "year"}
    with pytest.raises(WorkloadError, match="sources names unknown field 'speed'"):
        chip(sources={"speed": "https://example.org"})


# --------------------------------------------------------------------------- from the JSON form

def test_json_units_become_flops_bytes_per_second_and_bytes() -> None:
    h = accelerator_from_dict(H100)
    assert h.peak("bf16") == pytest.approx(989.4e12, rel=1e-15)
    assert h.peak("fp8") == pytest.approx(1978.9e12, rel=1e-15)
    assert h.bandwidth == 3350 * 10**9
    assert h.capacity_bytes == 5 * 16 * 2**30 == 85_899_345_920     # five 16 GiB stacks
    assert h.usable_bytes == 81559 * 1_048_576 == 85_520_809_984
    assert (h.fit_bytes, h.fit_basis) == (85_520_809_984, "usable")
    assert h.interconnect == 900e9
    assert h.power_w == 700.0
    assert h.peak("bf16") / h.bandwidth == pytest.approx(989.4 / 3.35)


def test_descriptive_fields_are_kept() -> None:
    h = accelerator_from_dict(H100)
    assert (h.name, h.display, h.vendor, h.year) == ("h100-like", "An H100-like chip",
                                                     "NVIDIA", 2022)
    assert h.source == "https://www.nvidia.com/en-us/data-center/h100/"
    assert dict(h.sources) == {"usable_bytes": "https://example.org/nvidia-smi"}
    assert (h.capacity_label, h.printed_capacity) == ("80 GiB", "80GB HBM3")
    assert h.notes == "dense peaks"
    assert set(h.peak_flops) == {"bf16", "fp8"}


def test_optional_fields_default() -> None:
    h = accelerator_from_dict(MINIMAL)
    assert (h.display, h.vendor, h.year, h.source, h.notes) == ("h100-like", "", 0, "", "")
    assert (h.usable_bytes, h.interconnect, h.power_w, dict(h.sources)) == (None, None, None, {})
    assert h.fit_basis == "nominal"


@pytest.mark.parametrize(("value", "unit", "expected", "label"), [
    (80, "GiB", 80 * 2**30, "80 GiB"),           # HBM: 85,899,345,920 bytes
    (80, "GB", 80 * 10**9, "80 GB"),
    (32, "GiB", 32 * 2**30, "32 GiB"),          # TPU v4: 32 GiB = 34,359,738,368 bytes
    (1.5, "TB", 1_500_000_000_000, "1.5 TB"),
    (1, "TiB", 2**40, "1 TiB"),
    (94.5, "GB", 94_500_000_000, "94.5 GB"),
    (81559, "MiB", 81559 * 2**20, "81559 MiB"),
    (206_141_652_992, "B", 206_141_652_992, "2.06142e+11 B"),
])
def test_capacity_units(value: float, unit: str, expected: int, label: str) -> None:
    h = accelerator_from_dict(MINIMAL | {"capacity": {"value": value, "unit": unit}})
    assert h.capacity_bytes == expected
    assert isinstance(h.capacity_bytes, int)
    assert (h.capacity_value, h.capacity_unit, h.capacity_label) == (value, unit, label)


def test_capacity_unit_table() -> None:
    assert CAPACITY_UNITS == {"B": 1, "MiB": 1_048_576, "GB": 1_000_000_000,
                              "GiB": 1_073_741_824, "TB": 1_000_000_000_000,
                              "TiB": 1_099_511_627_776}


def test_usable_in_bytes_as_rocm_smi_reports_it() -> None:
    # MI300X: eight 24 GiB stacks; rocm-smi's "VRAM Total Memory (B)" is 16 MiB less.
    h = accelerator_from_dict(MINIMAL | {"capacity": {"value": 192, "unit": "GiB"},
                                         "usable": {"value": 206141652992, "unit": "B"}})
    assert h.capacity_bytes - h.fit_bytes == 16 * 2**20


def test_si_form_reads_the_same_chip() -> None:
    si = {"name": "h100-like", "peak_flops": {"bf16": 989.4e12, "fp8": 1978.9e12},
          "bandwidth": 3.35e12, "capacity_bytes": 80 * 2**30, "usable_bytes": 81559 * 2**20,
          "interconnect": 9e11, "power_w": 700, "capacity_printed": "80GB HBM3"}
    a, b = accelerator_from_dict(si), accelerator_from_dict(MINIMAL | {
        "usable": {"value": 81559, "unit": "MiB"}, "interconnect_gb_s": 900, "power_w": 700})
    assert a == b


def test_to_dict_is_numbers_in_si_units_and_reads_back() -> None:
    h = accelerator_from_dict(H100)
    d = h.to_dict()
    assert d["peak_flops"] == {"bf16": h.peak("bf16"), "fp8": h.peak("fp8")}
    assert (d["bandwidth"], d["capacity_bytes"], d["usable_bytes"]) == (
        3.35e12, 85_899_345_920, 85_520_809_984)
    assert (d["fit_bytes"], d["fit_basis"], d["interconnect"], d["power_w"]) == (
        85_520_809_984, "usable", 9e11, 700.0)
    for key in ("peak_flops", "bandwidth", "capacity_bytes", "usable_bytes", "fit_bytes",
                "interconnect", "power_w"):
        assert key in UNITS
    json.dumps(d)   # JSON-ready
    assert accelerator_from_dict(d) == h
    assert accelerator_from_dict(accelerator_from_dict(MINIMAL).to_dict()).usable_bytes is None


def one_line_error(raw: object) -> str:
    with pytest.raises(WorkloadError) as info:
        accelerator_from_dict(raw, where="chip.json")  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("chip.json: ")
    return message


@pytest.mark.parametrize(("key", "message"), [
    ("name", "chip.json: missing name: give the chip a short 'name'"),
    ("peak_tflops", "chip.json: missing peaks: give 'peak_tflops' (in TFLOP/s) or "
                    "'peak_flops' (in SI units)"),
    ("bandwidth_gb_s", "chip.json: missing bandwidth: give 'bandwidth_gb_s' (in GB/s) or "
                       "'bandwidth' (in SI units)"),
    ("capacity", "chip.json: missing capacity: give 'capacity' "
                 "({\"value\": 80, \"unit\": \"GiB\"}) or 'capacity_bytes'"),
])
def test_missing_key(key: str, message: str) -> None:
    raw = {k: v for k, v in MINIMAL.items() if k != key}
    assert one_line_error(raw) == message
    assert one_line_error(MINIMAL | {key: None}) == message


def test_not_an_object() -> None:
    assert one_line_error([H100]) == "chip.json: a hardware description must be a JSON object"


@pytest.mark.parametrize(("extra", "message"), [
    ({"bandwidth": 3.35e12}, "give 'bandwidth_gb_s' or 'bandwidth', not both"),
    ({"peak_flops": {"bf16": 1e15}}, "give 'peak_tflops' or 'peak_flops', not both"),
    ({"capacity_bytes": 2**30}, "give 'capacity' or 'capacity_bytes', not both"),
    ({"usable_bytes": 2**30}, "give 'usable' or 'usable_bytes', not both"),
    ({"interconnect": 9e11}, "give 'interconnect_gb_s' or 'interconnect', not both"),
])
def test_one_spelling_per_quantity(extra: dict[str, Any], message: str) -> None:
    assert message in one_line_error(H100 | extra)


@pytest.mark.parametrize("peaks", [{}, [989.4], 989.4])
def test_peaks_must_map_formats_to_numbers(peaks: object) -> None:
    assert "'peak_tflops' must map compute formats to numbers" in one_line_error(
        H100 | {"peak_tflops": peaks})


@pytest.mark.parametrize("capacity", [80, {"value": 80}, {"unit": "GB"}])
def test_capacity_must_give_value_and_unit(capacity: object) -> None:
    assert "'capacity' must look like" in one_line_error(H100 | {"capacity": capacity})


def test_unknown_capacity_unit_lists_the_known_ones() -> None:
    message = one_line_error(H100 | {"capacity": {"value": 80, "unit": "MB"}})
    assert message == "chip.json: capacity unit 'MB' is not one of B, MiB, GB, GiB, TB, TiB"


@pytest.mark.parametrize(("change", "label"), [
    ({"bandwidth_gb_s": 0}, "bandwidth_gb_s"),
    ({"bandwidth_gb_s": -3350}, "bandwidth_gb_s"),
    ({"bandwidth_gb_s": "3350"}, "bandwidth_gb_s"),
    ({"capacity": {"value": -80, "unit": "GiB"}}, "capacity value"),
    ({"capacity": {"value": True, "unit": "GiB"}}, "capacity value"),
    ({"usable": {"value": -1, "unit": "MiB"}}, "usable value"),
    ({"peak_tflops": {"bf16": 0}}, "peak_tflops.bf16"),
    ({"peak_tflops": {"bf16": -989.4}}, "peak_tflops.bf16"),
    ({"peak_tflops": {"bf16": 989.4, "fp8": None}}, "peak_tflops.fp8"),
    ({"interconnect_gb_s": -900}, "interconnect_gb_s"),
    ({"power_w": 0}, "power_w"),
])
def test_non_positive_numbers(change: dict[str, Any], label: str) -> None:
    assert f"{label} must be a positive number" in one_line_error(H100 | change)


@pytest.mark.parametrize(("change", "text"), [
    ({"capacity_bytes": 8.5e10, "capacity": None}, "capacity_bytes must be a positive whole"),
    ({"usable_bytes": -1, "usable": None}, "usable_bytes must be a positive whole number"),
    ({"usable": {"value": 81, "unit": "GiB"}}, "exceeds the nominal"),
    ({"year": 2024.5}, "year must be a whole number"),
    ({"sources": {"bandwidth": 3}}, "'sources' must map fields to addresses"),
    ({"sources": {"speed": "https://x"}}, "sources names unknown field 'speed'"),
])
def test_other_bad_values(change: dict[str, Any], text: str) -> None:
    assert text in one_line_error(H100 | change)


def test_unknown_format_in_the_peaks() -> None:
    message = one_line_error(H100 | {"peak_tflops": {"bf16": 1.0, "fp12": 2.0}})
    assert message.startswith("chip.json: unknown compute format 'fp12'; choose one of fp32")


# --------------------------------------------------------------------------- files

def test_load_accelerator(tmp_path: Path) -> None:
    path = tmp_path / "chip.json"
    path.write_text(json.dumps(MINIMAL | {"capacity": {"value": 64, "unit": "GiB"}}))
    h = load_accelerator(path)
    assert h.capacity_bytes == 64 * 2**30
    assert load_accelerator(str(path)) == h


def test_load_accelerator_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "chip.json"
    path.write_text(json.dumps({k: v for k, v in H100.items() if k != "capacity"}))
    with pytest.raises(WorkloadError, match=re.escape(f"{path}: missing capacity")):
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
