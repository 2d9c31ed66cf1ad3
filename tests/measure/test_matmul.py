"""Matmul points: FLOPs, minimum bytes and intensity by hand; positive measured rates.

Timed values are only checked to be positive and finite: speed is never asserted.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ai_workloads.analysis.roofline import matmul_intensity
from ai_workloads.core.errors import WorkloadError
from ai_workloads.measure.matmul import (
    MatmulPoint,
    matmul_operands,
    matmul_shape,
    measure_matmul,
)


def _positive_finite(value: float) -> bool:
    return math.isfinite(value) and value > 0


@pytest.mark.parametrize("n", [1, 2, 64, 1000, 2048])
def test_gemm_intensity_is_n_over_6(n: int) -> None:
    # 2n³ FLOPs over 4 bytes · 3 matrices of n² elements.
    point = MatmulPoint("gemm", n, n, n, (1.0,))
    assert point.flops == 2 * n**3
    assert point.min_bytes == 12 * n * n
    assert point.intensity == pytest.approx(n / 6)


@pytest.mark.parametrize("n", [1, 2, 64, 1000, 8192])
def test_gemv_intensity_is_about_half_a_flop_per_byte(n: int) -> None:
    # 2n² FLOPs over 4 bytes · (n² matrix + n input + n output).
    point = MatmulPoint("gemv", n, n, 1, (1.0,))
    assert point.flops == 2 * n * n
    assert point.min_bytes == 4 * (n * n + 2 * n)
    assert point.intensity == pytest.approx(n / (2 * (n + 2)))


@given(st.integers(1, 5000), st.integers(1, 5000), st.integers(1, 5000))
def test_intensity_agrees_with_the_roofline_module(m: int, k: int, n: int) -> None:
    point = MatmulPoint("gemm", m, k, n, (1.0,))
    assert point.intensity == pytest.approx(matmul_intensity(m, k, n, "fp32"))


def test_measured_matmuls_have_the_requested_shapes_and_samples() -> None:
    gemm = measure_matmul("gemm", [8, 24], repeats=2, min_seconds=0.0, rounds=3)
    gemv = measure_matmul("gemv", [8, 24], repeats=1, min_seconds=0.0)
    assert [(p.m, p.k, p.n, len(p.samples)) for p in gemm] == [(8, 8, 8, 6), (24, 24, 24, 6)]
    assert [(p.m, p.k, p.n, len(p.samples)) for p in gemv] == [(8, 8, 1, 1), (24, 24, 1, 1)]
    for p in (*gemm, *gemv):
        assert all(_positive_finite(s) for s in p.samples)
        assert p.spread.low <= p.flop_rate <= p.spread.high


def test_operands_have_the_product_shapes_and_distinct_values() -> None:
    a, x, y = matmul_operands("gemm", 64)
    assert (a.shape, x.shape, y.shape, a.dtype) == ((64, 64), (64, 64), (64, 64), np.float32)
    assert len(np.unique(a)) == 64 * 64
    assert a.min() >= 0.0
    assert a.max() < 1.0
    a, x, y = matmul_operands("gemv", 8)
    assert (a.shape, x.shape, y.shape) == ((8, 8), (8,), (8,))


def test_matmul_shape_rejects_bad_input() -> None:
    with pytest.raises(WorkloadError, match="unknown matmul kind 'gemm3'"):
        matmul_shape("gemm3", 8)
    with pytest.raises(WorkloadError, match="size must be a positive integer"):
        measure_matmul("gemm", [0])



def test_point_figures_by_hand() -> None:
    # 2·100³ FLOPs in 1, 2 and 4 ms: 2, 1 and 0.5 GFLOP/s.
    point = MatmulPoint("gemm", 100, 100, 100, (0.001, 0.004, 0.002))
    assert point.flop_rate == 1e9
    assert (point.spread.low, point.spread.high) == (0.75e9, 1.5e9)
    assert point.byte_rate == pytest.approx(120_000 / 0.002)   # minimum bytes, median time
    data = point.to_dict()
    assert (data["flops"], data["min_bytes"]) == (2 * 10**6, 120_000)
    assert data["gflop_per_s"] == {"median": 1.0, "low": 0.75, "high": 1.5, "count": 3}
    assert MatmulPoint.from_dict(data) == point
    with pytest.raises(WorkloadError, match="unknown matmul kind 'gemm3'"):
        MatmulPoint.from_dict({**data, "kind": "gemm3"})
