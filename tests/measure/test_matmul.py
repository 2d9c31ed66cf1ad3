"""Matmul points: FLOPs, minimum bytes and intensity by hand; positive measured rates.

Timed values are only checked to be positive and finite: speed is never asserted.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ai_workloads.analysis.roofline import matmul_intensity
from ai_workloads.core.errors import WorkloadError
from ai_workloads.measure.matmul import MatmulPoint, matmul_shape, measure_matmul


def _positive_finite(value: float) -> bool:
    return math.isfinite(value) and value > 0


@pytest.mark.parametrize("n", [1, 2, 64, 1000, 2048])
def test_gemm_intensity_is_n_over_6(n: int) -> None:
    # 2n³ FLOPs over 4 bytes · 3 matrices of n² elements.
    point = MatmulPoint("gemm", n, n, n, 1.0, 1)
    assert point.flops == 2 * n**3
    assert point.min_bytes == 12 * n * n
    assert point.intensity == pytest.approx(n / 6)


@pytest.mark.parametrize("n", [1, 2, 64, 1000, 8192])
def test_gemv_intensity_is_about_half_a_flop_per_byte(n: int) -> None:
    # 2n² FLOPs over 4 bytes · (n² matrix + n input + n output).
    point = MatmulPoint("gemv", n, n, 1, 1.0, 1)
    assert point.flops == 2 * n * n
    assert point.min_bytes == 4 * (n * n + 2 * n)
    assert point.intensity == pytest.approx(n / (2 * (n + 2)))


@given(st.integers(1, 5000), st.integers(1, 5000), st.integers(1, 5000))
def test_intensity_agrees_with_the_roofline_module(m: int, k: int, n: int) -> None:
    point = MatmulPoint("gemm", m, k, n, 1.0, 1)
    assert point.intensity == pytest.approx(matmul_intensity(m, k, n, "fp32"))


def test_measured_matmuls_have_the_requested_shapes_and_positive_rates() -> None:
    gemm = measure_matmul("gemm", [8, 24], repeats=1, min_seconds=0.0)
    gemv = measure_matmul("gemv", [8, 24], repeats=1, min_seconds=0.0)
    assert [(p.m, p.k, p.n) for p in gemm] == [(8, 8, 8), (24, 24, 24)]
    assert [(p.m, p.k, p.n) for p in gemv] == [(8, 8, 1), (24, 24, 1)]
    for p in (*gemm, *gemv):
        assert _positive_finite(p.seconds)
        assert p.flop_rate == pytest.approx(p.flops / p.seconds)


def test_matmul_shape_rejects_bad_input() -> None:
    with pytest.raises(WorkloadError, match="unknown matmul kind 'gemm3'"):
        matmul_shape("gemm3", 8)
    with pytest.raises(WorkloadError, match="size must be a positive integer"):
        measure_matmul("gemm", [0])



def test_point_figures_by_hand() -> None:
    point = MatmulPoint("gemm", 100, 100, 100, 0.001, 2)
    assert point.flop_rate == 2e9            # 2·100³ FLOPs in a millisecond
    data = point.to_dict()
    assert (data["flops"], data["min_bytes"], data["gflop_per_s"]) == (2 * 10**6, 120_000, 2.0)
