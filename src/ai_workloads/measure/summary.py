"""What one measurement says: the roofs, and each kernel's share of them, in a few figures.

A :class:`RunSummary` condenses a :class:`~ai_workloads.measure.report.MachineReport` into
the comparisons a reader asks about: how close one thread comes to all of them, how far
the smaller GEMMs fall short of the largest (or pass it), how GEMVs too large for the
last-level cache compare with the memory roof and how those that fit compare, and how
steady the samples were. Nothing is timed here; a text that states these comparisons can
be chosen from the figures, so that it stays true of any machine.

>>> from ai_workloads.measure.report import MeasureSettings, measure_machine
>>> tiny = MeasureSettings(1, 1, (16, 32), (16,), 1, 0.0, 1, 2, 2, 1, 1, 0)
>>> s = summarize(measure_machine(settings=tiny, decode=False))
>>> s.compute_roof_n, [n for n, _ in s.gemm_shares]
(32, [16])
"""

from __future__ import annotations

from dataclasses import dataclass

from .bandwidth import FLOAT64_BYTES
from .matmul import FLOAT32_BYTES, MatmulPoint
from .report import ONE_THREAD_KERNEL, MachineReport
from .roofline import MachineRoofline, largest_gemm

#: A matrix at least this many times the last-level cache is read from memory, not cache.
BEYOND_CACHE = 4


@dataclass(frozen=True, slots=True)
class RunSummary:
    """The comparisons one measurement supports (shares are fractions: 1.0 is the roof).

    * ``one_thread_share``: the one-thread triad's median over the all-core triad's
      (``None`` when the machine has one core, or no one-thread run was made).
    * ``gemm_shares``: ``(n, share)`` of every GEMM but the largest, its median rate over
      the compute roof (the largest GEMM's median rate).
    * ``gemv_beyond_cache``, ``gemv_partly_cached`` and ``gemv_in_cache``: ``(n, share of
      the roofline at its intensity)`` of the GEMVs whose matrix is at least
      :data:`BEYOND_CACHE` times the last-level cache (STREAM's rule for its arrays), of
      those between, and of those whose matrix fits in the cache (all empty when the
      cache size is unknown).
    * ``gemv_best_n`` and ``gemv_best_compute_share``: the fastest GEMV and its median
      rate over the compute roof.
    * ``widest_spread``: the largest interquartile range, as a fraction of its median, of
      any bandwidth kernel, GEMM or GEMV.
    """

    roofline: MachineRoofline
    compute_roof_n: int
    array_cache_ratio: float
    one_thread_share: float | None
    gemm_shares: tuple[tuple[int, float], ...]
    gemv_beyond_cache: tuple[tuple[int, float], ...]
    gemv_partly_cached: tuple[tuple[int, float], ...]
    gemv_in_cache: tuple[tuple[int, float], ...]
    gemv_best_n: int
    gemv_best_compute_share: float
    widest_spread: float

    @property
    def faster_than_largest(self) -> tuple[int, ...]:
        """Sizes of the smaller GEMMs whose median rate passed the largest GEMM's.

        >>> RunSummary(MachineRoofline(1e9, 1e9, 1), 64, 2.0, None,
        ...            ((8, 0.5), (16, 1.2), (32, 0.9)), (), (), (), 8, 0.1,
        ...            0.1).faster_than_largest
        (16,)
        """
        return tuple(n for n, share in self.gemm_shares if share > 1.0)

    @property
    def smallest_gemm_share(self) -> tuple[int, float] | None:
        """``(n, share)`` of the smaller GEMM that fell furthest short (``None``: just one).

        >>> RunSummary(MachineRoofline(1e9, 1e9, 1), 64, 2.0, None,
        ...            ((8, 0.5), (16, 0.3)), (), (), (), 8, 0.1, 0.1).smallest_gemm_share
        (16, 0.3)
        """
        return min(self.gemm_shares, key=lambda item: item[1]) if self.gemm_shares else None


def _spreads(report: MachineReport) -> list[float]:
    bandwidth = [r.spread.relative_iqr for r in (*report.bandwidth, *report.one_thread)]
    return bandwidth + [p.spread.relative_iqr for p in (*report.gemm, *report.gemv)]


def _gemv_groups(points: tuple[MatmulPoint, ...], roof: MachineRoofline,
                 cache_bytes: int) -> tuple[tuple[tuple[int, float], ...], ...]:
    """(beyond, partly, inside): GEMVs by their matrix's size against the cache."""
    groups: tuple[list[tuple[int, float]], ...] = ([], [], [])
    if cache_bytes > 0:
        for p in points:
            matrix = p.m * p.k * FLOAT32_BYTES
            where = (0 if matrix >= BEYOND_CACHE * cache_bytes else
                     2 if matrix <= cache_bytes else 1)
            groups[where].append((p.size, roof.share(p.intensity, p.flop_rate)))
    return tuple(tuple(group) for group in groups)


def summarize(report: MachineReport) -> RunSummary:
    """The comparisons ``report`` supports (see :class:`RunSummary`).

    >>> from ai_workloads.measure.bandwidth import BandwidthResult
    >>> from ai_workloads.measure.machine import MachineInfo
    >>> from ai_workloads.measure.report import QUICK
    >>> from ai_workloads.measure.roofline import machine_roofline
    >>> bw = (BandwidthResult("triad", 2**23, 2**28, 2, (0.01,)),)      # 26.8 GB/s
    >>> alone = (BandwidthResult("triad", 2**23, 2**28, 1, (0.02,)),)   # half of it
    >>> gemm = (MatmulPoint("gemm", 64, 64, 64, (1e-5,)),               # 52 GFLOP/s
    ...         MatmulPoint("gemm", 512, 512, 512, (0.01,)))            # 27 GFLOP/s
    >>> gemv = (MatmulPoint("gemv", 8192, 8192, 1, (0.01,)),            # 256 MiB matrix
    ...         MatmulPoint("gemv", 4096, 4096, 1, (0.01,)),            # 64 MiB
    ...         MatmulPoint("gemv", 1024, 1024, 1, (1e-4,)))            # 4 MiB
    >>> roof = machine_roofline(bw, gemm, 2**34)
    >>> info = MachineInfo("cpu", 2, 2**34, "Linux", "3.11", "2.4", "openblas",
    ...                    last_level_cache_bytes=2**25)                 # 32 MiB
    >>> s = summarize(MachineReport(info, bw, alone, gemm, gemv, roof, None, QUICK))
    >>> s.one_thread_share, s.faster_than_largest, s.array_cache_ratio
    (0.5, (64,), 2.0)
    >>> [[n for n, _ in group]
    ...  for group in (s.gemv_beyond_cache, s.gemv_partly_cached, s.gemv_in_cache)]
    [[8192], [4096], [1024]]
    """
    roof = report.roofline
    largest = largest_gemm(report.gemm)
    alone = [r for r in report.one_thread if r.kernel == ONE_THREAD_KERNEL]
    together = [r for r in report.bandwidth if r.kernel == ONE_THREAD_KERNEL]
    one_thread = (alone[0].bandwidth / together[0].bandwidth
                  if alone and together else None)
    cache = report.machine.last_level_cache_bytes
    array_bytes = report.bandwidth[0].elements * FLOAT64_BYTES
    beyond, partly, inside = _gemv_groups(report.gemv, roof, cache)
    fastest_gemv = max(report.gemv, key=lambda p: p.flop_rate)
    return RunSummary(
        roofline=roof, compute_roof_n=largest.size,
        array_cache_ratio=array_bytes / cache if cache > 0 else 0.0,
        one_thread_share=one_thread,
        gemm_shares=tuple((p.size, p.flop_rate / roof.peak_flops)
                          for p in report.gemm if p is not largest),
        gemv_beyond_cache=beyond, gemv_partly_cached=partly, gemv_in_cache=inside,
        gemv_best_n=fastest_gemv.size,
        gemv_best_compute_share=fastest_gemv.flop_rate / roof.peak_flops,
        widest_spread=max(_spreads(report)))
