"""STREAM kernels: bytes by hand with and without write-allocate, what each kernel computes
on every thread's slice, and the structure of measured results.

Timed values are only checked to be positive and finite: speed is never asserted.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ai_workloads.core.errors import WorkloadError
from ai_workloads.measure.bandwidth import (
    KERNELS,
    BandwidthResult,
    ThreadTeam,
    _kernel,
    _triad,
    measure_bandwidth,
    slices,
    stream_array_mib,
    stream_bytes,
)


def _positive_finite(value: float) -> bool:
    return math.isfinite(value) and value > 0


# STREAM's table (stream.c): copy and scale move 2 arrays, add and triad 3, without
# write-allocate; each written array adds one more read with it.
@pytest.mark.parametrize(("kernel", "stream_words", "with_allocate"),
                         [("copy", 2, 3), ("scale", 2, 3), ("add", 3, 4), ("triad", 3, 4)])
def test_stream_bytes_by_hand(kernel: str, stream_words: int, with_allocate: int) -> None:
    assert stream_bytes(kernel, 1_000_000, write_allocate=False) == stream_words * 8_000_000
    assert stream_bytes(kernel, 1_000_000) == with_allocate * 8_000_000


def test_stream_bytes_rejects_unknown_kernels_and_sizes() -> None:
    with pytest.raises(WorkloadError, match="unknown bandwidth kernel 'dot'"):
        stream_bytes("dot", 10)
    with pytest.raises(WorkloadError, match="elements must be a positive integer"):
        stream_bytes("copy", 0)


def test_kernels_compute_what_stream_computes() -> None:
    a, b, c = np.arange(10.0), np.arange(10.0) * 2 + 1, np.arange(10.0) - 5
    a0 = a.copy()
    _kernel("copy", a, b, c)
    np.testing.assert_array_equal(c, a0)                  # c = a
    _kernel("scale", a, b, c)
    np.testing.assert_array_equal(b, 3.0 * a0)            # b = s·c
    _kernel("add", a, b, c)
    np.testing.assert_array_equal(c, a0 + 3.0 * a0)       # c = a + b
    _kernel("triad", a, b, c)
    np.testing.assert_array_equal(a, 3.0 * a0 + 3.0 * 4.0 * a0)   # a = b + s·c


def test_blocked_triad_computes_b_plus_s_times_c() -> None:
    b = np.arange(10.0)
    c = np.arange(10.0) * 2
    a = np.zeros(10)
    _triad(a, b, c, 3.0, block=3)  # blocks that do not divide the length
    np.testing.assert_array_equal(a, b + 3.0 * c)


@pytest.mark.parametrize(("elements", "parts"), [(10, 3), (7, 7), (1000, 4), (5, 8)])
def test_slices_cover_the_array_once(elements: int, parts: int) -> None:
    cut = slices(elements, parts)
    covered = [i for part in cut for i in range(part.start, part.stop)]
    assert covered == list(range(elements))
    sizes = [part.stop - part.start for part in cut]
    assert len(cut) == parts
    assert max(sizes) - min(sizes) <= 1


def test_thread_team_runs_every_index_and_reports_errors() -> None:
    seen: list[int] = []
    with ThreadTeam(4) as team:
        assert _positive_finite(team.run(seen.append))
        assert sorted(seen) == [0, 1, 2, 3]

        def fail(i: int) -> None:
            if i == 2:
                raise ValueError("worker 2")

        with pytest.raises(ValueError, match="worker 2"):
            team.run(fail)
        seen.clear()
        team.run(seen.append)   # the team still works, and forgets the old error
        assert sorted(seen) == [0, 1, 2, 3]


def test_measured_results_have_sizes_threads_and_samples() -> None:
    results = measure_bandwidth(size_mib=2, repeats=3, threads=2, one_thread=["triad"])
    elements = 2 * 2**20 // 8  # 2 MiB of float64
    assert [(r.kernel, r.threads) for r in results] == [
        ("copy", 2), ("scale", 2), ("add", 2), ("triad", 2), ("triad", 1)]
    assert [r.elements for r in results] == [elements] * 5
    assert [r.bytes_moved // elements for r in results] == [24, 24, 32, 32, 32]
    for r in results:
        assert len(r.samples) == 3
        assert all(_positive_finite(s) for s in r.samples)
        assert r.spread.count == 3
        assert r.spread.low <= r.bandwidth <= r.spread.high
        assert r.bandwidth == pytest.approx(r.bytes_moved / sorted(r.samples)[1])


def test_one_thread_runs_are_not_doubled_on_one_worker() -> None:
    results = measure_bandwidth(size_mib=1, repeats=2, kernels=["triad"], threads=1,
                                one_thread=["triad"])
    assert [(r.kernel, r.threads, len(r.samples)) for r in results] == [("triad", 1, 2)]


def test_bad_arguments() -> None:
    assert [r.kernel for r in measure_bandwidth(1, 1, kernels=["add"], threads=1)] == ["add"]
    with pytest.raises(WorkloadError, match="size_mib must be a positive integer"):
        measure_bandwidth(size_mib=0)
    with pytest.raises(WorkloadError, match="unknown bandwidth kernel"):
        measure_bandwidth(size_mib=1, kernels=["load"])
    with pytest.raises(WorkloadError, match="threads must be a positive integer"):
        measure_bandwidth(size_mib=1, threads=0)
    assert KERNELS == ("copy", "scale", "add", "triad")


def test_result_figures_by_hand_and_json() -> None:
    # 32 MB in 2, 4 and 8 ms: 16, 8 and 4 GB/s.
    r = BandwidthResult("triad", 10**6, 32 * 10**6, 2, (0.002, 0.004, 0.008))
    assert r.bandwidth == 8e9
    assert (r.spread.low, r.spread.high) == (6e9, 12e9)
    data = r.to_dict()
    assert data["gb_per_s"] == {"median": 8.0, "low": 6.0, "high": 12.0, "count": 3}
    assert BandwidthResult.from_dict(data) == r


def test_arrays_grow_to_four_times_the_cache_within_memory() -> None:
    mib = 2**20
    assert stream_array_mib(64, 32 * mib) == 128            # 4 × 32 MiB
    assert stream_array_mib(64, 33 * mib) == 132
    assert stream_array_mib(64, 4 * mib) == 64              # the minimum wins
    assert stream_array_mib(64, 0) == 64                    # cache size unknown
    assert stream_array_mib(64, 32 * mib, cache_multiple=0) == 64
    # 3 arrays within an eighth of 12 GiB: 512 MiB each, not the 4 GiB the cache asks.
    assert stream_array_mib(64, 2**30, memory_bytes=12 * 2**30) == 512
    assert stream_array_mib(64, 2**30, memory_bytes=2**30) == 64   # never below the minimum
