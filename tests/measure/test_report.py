"""The whole-machine report: rounds, fastest results, JSON, and settings that stay quick.

Timed values are only checked to be positive and finite: speed is never asserted.
"""

from __future__ import annotations

import dataclasses
import json
import math

from ai_workloads.measure.report import QUICK, MeasureSettings, measure_machine

TINY = MeasureSettings(bandwidth_mib=1, bandwidth_repeats=1, gemm_sizes=(16, 32),
                       gemv_sizes=(16, 32), matmul_repeats=1, matmul_min_seconds=0.0,
                       decode_layers=1, decode_prompt=2, decode_steps=2, decode_repeats=1)


def _positive_finite(value: float) -> bool:
    return math.isfinite(value) and value > 0


def test_measure_machine_report_is_json_and_finite() -> None:
    report = measure_machine(settings=TINY, decode=False)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["decode"] is None
    assert [p["n"] for p in data["gemv"]] == [1, 1]
    assert [p["m"] for p in data["gemm"]] == [16, 32]
    assert _positive_finite(data["roofline"]["ridge_point"])
    assert data["settings"]["gemm_sizes"] == [16, 32]
    best_gemm = max(p["flop_per_s"] for p in data["gemm"])
    assert data["roofline"]["peak_flop_per_s"] == best_gemm


def test_rounds_keep_one_fastest_result_per_kernel_and_size() -> None:
    settings = dataclasses.replace(TINY, rounds=3, decode_steps=3)
    report = measure_machine(settings=settings)
    assert [r.kernel for r in report.bandwidth] == ["copy", "triad", "dot"]
    assert [p.size for p in report.gemm] == [16, 32]
    assert report.decode is not None
    assert (report.decode.steps, report.decode.repeats) == (3, 3)  # 1 repeat in each round


def test_quick_settings_stay_small() -> None:
    # The site build runs the quick settings: sizes, not times, keep it fast.
    quick = QUICK
    assert quick.bandwidth_mib <= 64
    assert max(quick.gemm_sizes) <= 1024
    assert quick.decode_layers * quick.decode_steps <= 32
