"""What a measurement says: shares of the roofs and groups by cache size, from results made
by hand (nothing is timed here).
"""

from __future__ import annotations

import pytest

from ai_workloads.measure.bandwidth import BandwidthResult
from ai_workloads.measure.machine import MachineInfo
from ai_workloads.measure.matmul import MatmulPoint
from ai_workloads.measure.report import QUICK, MachineReport
from ai_workloads.measure.roofline import machine_roofline
from ai_workloads.measure.summary import BEYOND_CACHE, summarize

MIB = 2**20


def _report(cache_bytes: int, cores: int = 4, alone: bool = True) -> MachineReport:
    # Bandwidth: copy 24 MB in 1 ms (24 GB/s) and triad 32 MB in 1 ms (32 GB/s, the roof);
    # the one-thread triad takes 4 ms (8 GB/s, a quarter of it).
    bw = (BandwidthResult("copy", 10**6, 24 * 10**6, cores, (1e-3, 2e-3, 1e-3)),
          BandwidthResult("triad", 10**6, 32 * 10**6, cores, (1e-3, 1e-3, 3e-3)))
    one = (BandwidthResult("triad", 10**6, 32 * 10**6, 1, (4e-3,)),) if alone else ()
    # GEMMs: n = 100 at 2 GFLOP/s, n = 200 at 16 GFLOP/s (more than the largest),
    # n = 400 (the largest, the compute roof) at 8 GFLOP/s.
    gemm = (MatmulPoint("gemm", 100, 100, 100, (1e-3,)),
            MatmulPoint("gemm", 200, 200, 200, (1e-3,)),
            MatmulPoint("gemm", 400, 400, 400, (0.016,)))
    # GEMVs of 1, 16 and 64 MiB matrices (n = 512, 2048, 4096), each at 4 GFLOP/s.
    gemv = tuple(MatmulPoint("gemv", n, n, 1, (2 * n * n / 4e9,)) for n in (512, 2048, 4096))
    info = MachineInfo("cpu", cores, 2**34, "Linux", "3.11", "2.4", "openblas",
                       last_level_cache_bytes=cache_bytes)
    return MachineReport(info, bw, one, gemm, gemv, machine_roofline(bw, gemm, 2**34),
                         None, QUICK)


def test_roofs_and_shares_by_hand() -> None:
    s = summarize(_report(cache_bytes=2 * MIB))
    assert (s.roofline.bandwidth, s.roofline.peak_flops) == (32e9, 8e9)
    assert s.compute_roof_n == 400
    assert s.one_thread_share == 0.25
    assert s.gemm_shares == ((100, 0.25), (200, 2.0))
    assert s.faster_than_largest == (200,)
    assert s.smallest_gemm_share == (100, 0.25)
    assert s.gemv_best_compute_share == pytest.approx(0.5)      # 4 of 8 GFLOP/s
    # 8 MB arrays of float64 (10⁶ elements) against a 2 MiB cache.
    assert s.array_cache_ratio == pytest.approx(8e6 / (2 * MIB))
    # Copy's rates 12, 24, 24 GB/s: quartiles 18 and 24, a range of 1/4 of the median 24.
    # Triad's 32/3, 32, 32: quartiles 64/3 and 32, a range of 1/3 of the median 32: widest.
    assert s.widest_spread == pytest.approx(1 / 3)


def test_gemvs_are_grouped_by_their_matrix_against_the_cache() -> None:
    # A 4 MiB cache: the 1 MiB matrix fits, 16 MiB is four times it (beyond), 64 MiB beyond.
    s = summarize(_report(cache_bytes=4 * MIB))
    assert BEYOND_CACHE == 4
    assert [n for n, _ in s.gemv_in_cache] == [512]
    assert [n for n, _ in s.gemv_partly_cached] == []
    assert [n for n, _ in s.gemv_beyond_cache] == [2048, 4096]
    # A 8 MiB cache: 16 MiB is only twice it, partly cached.
    s = summarize(_report(cache_bytes=8 * MIB))
    assert [n for n, _ in s.gemv_partly_cached] == [2048]
    # Each GEMV's share is its rate over the roofline at its intensity (here the peak).
    n = 4096
    intensity = 2 * n * n / (4 * (n * n + 2 * n))
    assert dict(s.gemv_beyond_cache)[n] == pytest.approx(4e9 / min(8e9, intensity * 32e9))


def test_unknown_cache_and_a_single_core() -> None:
    s = summarize(_report(cache_bytes=0, cores=1, alone=False))
    assert (s.gemv_in_cache, s.gemv_partly_cached, s.gemv_beyond_cache) == ((), (), ())
    assert s.array_cache_ratio == 0.0
    assert s.one_thread_share is None
