"""Bandwidth kernels: the bytes each pass moves, by hand, and positive measured rates.

Timed values are only checked to be positive and finite: speed is never asserted.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ai_workloads.core.errors import WorkloadError
from ai_workloads.measure.bandwidth import (
    BandwidthResult,
    _triad,
    measure_bandwidth,
    stream_bytes,
)


def _positive_finite(value: float) -> bool:
    return math.isfinite(value) and value > 0


@pytest.mark.parametrize(("kernel", "arrays"), [("copy", 2), ("triad", 3), ("dot", 2)])
def test_stream_bytes_counts_arrays_read_and_written(kernel: str, arrays: int) -> None:
    # copy reads b, writes a; triad reads b and c, writes a; dot reads a and b.
    assert stream_bytes(kernel, 1_000_000) == arrays * 1_000_000 * 8


def test_stream_bytes_rejects_unknown_kernel() -> None:
    with pytest.raises(WorkloadError, match="unknown bandwidth kernel 'scale'"):
        stream_bytes("scale", 10)


def test_bandwidth_results_are_positive_and_sized_from_the_arrays() -> None:
    results = measure_bandwidth(size_mib=2, repeats=1)
    elements = 2 * 1024 * 1024 // 8  # 2 MiB of float64
    assert [r.kernel for r in results] == ["copy", "triad", "dot"]
    assert [r.elements for r in results] == [elements] * 3
    assert [r.bytes_moved for r in results] == [2 * 2**21, 3 * 2**21, 2 * 2**21]
    for r in results:
        assert _positive_finite(r.seconds)
        assert _positive_finite(r.bandwidth)
        assert r.bandwidth == pytest.approx(r.bytes_moved / r.seconds)


def test_bandwidth_subset_and_bad_sizes() -> None:
    assert [r.kernel for r in measure_bandwidth(1, 1, kernels=["triad"])] == ["triad"]
    with pytest.raises(WorkloadError, match="size_mib must be a positive integer"):
        measure_bandwidth(size_mib=0)
    with pytest.raises(WorkloadError, match="unknown bandwidth kernel"):
        measure_bandwidth(size_mib=1, kernels=["load"])


def test_blocked_triad_computes_b_plus_s_times_c() -> None:
    b = np.arange(10.0)
    c = np.arange(10.0) * 2
    a = np.zeros(10)
    _triad(a, b, c, 3.0, block=3)  # blocks that do not divide the length
    np.testing.assert_array_equal(a, b + 3.0 * c)



def test_result_figures_by_hand() -> None:
    r = BandwidthResult("triad", 10**6, 24 * 10**6, 0.002, 3)
    assert r.bandwidth == 12e9
    assert r.to_dict()["gb_per_s"] == 12.0
