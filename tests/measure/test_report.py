"""The whole-machine report: rounds of samples, JSON both ways, and settings that stay quick.

Timed values are only checked to be positive and finite: speed is never asserted.
"""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from ai_workloads.core.errors import WorkloadError
from ai_workloads.measure.report import (
    BENCH,
    ONE_THREAD_KERNEL,
    QUICK,
    MachineReport,
    MeasureSettings,
    measure_machine,
)
from ai_workloads.measure.roofline import largest_gemm

TINY = MeasureSettings(bandwidth_mib=1, bandwidth_repeats=1, gemm_sizes=(16, 32),
                       gemv_sizes=(16, 32), matmul_repeats=1, matmul_min_seconds=0.0,
                       decode_layers=1, decode_prompt=2, decode_steps=2, decode_repeats=1,
                       bandwidth_cache_multiple=0)


def _positive_finite(value: float) -> bool:
    return math.isfinite(value) and value > 0


def test_measure_machine_report_is_json_and_finite() -> None:
    report = measure_machine(settings=TINY, decode=False)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["decode"] is None
    assert [p["n"] for p in data["gemv"]] == [1, 1]
    assert [p["m"] for p in data["gemm"]] == [16, 32]
    assert [r["kernel"] for r in data["bandwidth"]] == ["copy", "scale", "add", "triad"]
    assert _positive_finite(data["roofline"]["ridge_point"])
    assert data["settings"]["gemm_sizes"] == [16, 32]
    # The compute roof is the largest GEMM's median, the memory roof the best median.
    assert report.roofline.peak_flops == largest_gemm(report.gemm).flop_rate
    assert report.roofline.bandwidth == max(r.bandwidth for r in report.bandwidth)
    assert data["measured_at"].endswith("+00:00")
    assert data["package_version"]


def test_rounds_multiply_the_samples_of_every_measurement() -> None:
    settings = dataclasses.replace(TINY, rounds=3, matmul_repeats=2, bandwidth_repeats=2)
    report = measure_machine(settings=settings)
    assert [len(r.samples) for r in report.bandwidth] == [6] * 4
    assert [len(p.samples) for p in (*report.gemm, *report.gemv)] == [6] * 4
    threads = report.bandwidth[0].threads
    assert all(r.threads == threads for r in report.bandwidth)
    expected = [(ONE_THREAD_KERNEL, 1, 6)] if threads > 1 else []
    assert [(r.kernel, r.threads, len(r.samples)) for r in report.one_thread] == expected
    assert report.decode is not None
    assert (report.decode.steps, report.decode.repeats) == (2, 3)   # 1 run in each round
    assert len(report.decode.run_seconds) == 3


def test_a_report_reads_back_as_it_was_written() -> None:
    report = measure_machine(settings=TINY)
    again = MachineReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again == report
    with pytest.raises(WorkloadError, match="not a measurement report"):
        MachineReport.from_dict({"machine": {}})


def test_settings_round_trip_and_quick_stays_small() -> None:
    assert MeasureSettings.from_dict(json.loads(json.dumps(QUICK.to_dict()))) == QUICK
    # The site build runs the quick settings: sizes, not times, keep it fast.
    assert QUICK.bandwidth_mib <= 64
    assert QUICK.bandwidth_cache_multiple <= 4   # STREAM's rule, no more
    assert max(QUICK.gemm_sizes) <= 1024
    assert max(QUICK.gemv_sizes) <= 8192
    assert QUICK.rounds * QUICK.decode_repeats * QUICK.decode_layers * QUICK.decode_steps <= 64
    assert max(BENCH.gemm_sizes) > max(QUICK.gemm_sizes)
