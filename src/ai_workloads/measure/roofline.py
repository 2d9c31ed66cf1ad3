"""This machine's roofline: the best STREAM bandwidth and the rate of the largest GEMM.

The memory roof is the highest median bandwidth of the STREAM kernels (all cores, bytes
counted with write-allocate); the compute roof is the median FLOP/s of the largest GEMM
measured, whose intensity is far past any ridge and whose size spreads the fixed cost of a
call (and of waking the BLAS threads) over the most work. The two roofs meet at the ridge
point. A kernel can still land above the line: a small one whose operands fit in a cache,
which is faster than memory, or a GEMM smaller than the largest that happens to run
faster. The rule
itself (``min(peak, intensity × bandwidth)``) is the accelerator spec's
(:meth:`~ai_workloads.core.accelerator.Accelerator.attainable`): a measured machine is one
more accelerator with an fp32 peak.

>>> roof = MachineRoofline(peak_flops=200e9, bandwidth=40e9, memory_bytes=2**34)
>>> roof.ridge_point, roof.attainable(0.5) / 1e9, roof.attainable(50.0) / 1e9
(5.0, 20.0, 200.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..core.accelerator import Accelerator, ArrayOrFloat
from ..core.errors import WorkloadError
from .bandwidth import BandwidthResult
from .machine import physical_memory_bytes
from .matmul import MatmulPoint


@dataclass(frozen=True, slots=True)
class MachineRoofline:
    """This machine's fp32 roofline: measured peak FLOP/s and bandwidth (bytes/s).

    ``peak_from`` and ``bandwidth_from`` say which measurement set each roof (see
    :func:`machine_roofline`).
    """

    peak_flops: float
    bandwidth: float
    memory_bytes: int
    peak_from: str = ""
    bandwidth_from: str = ""

    def __post_init__(self) -> None:
        for name in ("peak_flops", "bandwidth"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise WorkloadError(f"roofline {name} must be a positive number, got {value!r}")

    @property
    def ridge_point(self) -> float:
        """FLOPs per byte where the roofs meet: ``peak / bandwidth``.

        >>> MachineRoofline(100e9, 20e9, 2**30).ridge_point
        5.0
        """
        return self.as_accelerator().ridge_point("fp32")

    def as_accelerator(self, name: str = "this machine") -> Accelerator:
        """The machine as an :class:`~ai_workloads.core.accelerator.Accelerator` with an fp32 peak.

        >>> MachineRoofline(100e9, 20e9, 2**30).as_accelerator().peak("fp32")
        100000000000.0
        """
        return Accelerator(name=name, peak_flops={"fp32": self.peak_flops},
                           bandwidth=self.bandwidth, capacity_bytes=max(1, self.memory_bytes),
                           display=name, notes="measured")

    def attainable(self, intensity: ArrayOrFloat) -> ArrayOrFloat:
        """Attainable FLOP/s at ``intensity``: ``min(peak, intensity · bandwidth)``.

        Works on floats and NumPy arrays.

        >>> roof = MachineRoofline(100e9, 20e9, 2**30)
        >>> roof.attainable(1.0), roof.attainable(50.0)
        (20000000000.0, 100000000000.0)
        """
        return self.as_accelerator().attainable(intensity, "fp32")

    def share(self, intensity: float, flop_rate: float) -> float:
        """The fraction of the roofline that ``flop_rate`` reaches at ``intensity``.

        >>> MachineRoofline(100e9, 20e9, 2**30).share(1.0, 10e9)   # the roof is 20e9 there
        0.5
        """
        return flop_rate / self.attainable(intensity)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict.

        >>> MachineRoofline(100e9, 20e9, 2**30).to_dict()["ridge_point"]
        5.0
        """
        return {"peak_flop_per_s": self.peak_flops, "bandwidth_bytes_per_s": self.bandwidth,
                "memory_bytes": self.memory_bytes, "ridge_point": self.ridge_point,
                "peak_from": self.peak_from, "bandwidth_from": self.bandwidth_from}


def largest_gemm(gemm: Iterable[MatmulPoint]) -> MatmulPoint:
    """The GEMM of the most FLOPs (the first of equals): the one that sets the compute roof.

    >>> largest_gemm([MatmulPoint("gemm", n, n, n, (1.0,)) for n in (64, 512, 128)]).size
    512
    """
    points = list(gemm)
    if not points:
        raise WorkloadError("a compute roof needs at least one GEMM point")
    return max(points, key=lambda p: p.flops)


def machine_roofline(bandwidth: Iterable[BandwidthResult], gemm: Iterable[MatmulPoint],
                     memory_bytes: int | None = None) -> MachineRoofline:
    """The roofline of the best median STREAM bandwidth and the largest GEMM's median rate.

    >>> bw = [BandwidthResult("copy", 10**9, 24 * 10**9, 2, (1.0,)),
    ...       BandwidthResult("triad", 10**9, 32 * 10**9, 2, (0.5,))]
    >>> mm = [MatmulPoint("gemm", 100, 100, 100, (1e-4,)),     # 20 GFLOP/s, but small
    ...       MatmulPoint("gemm", 200, 200, 200, (2e-3,))]     # 8 GFLOP/s: the largest
    >>> roof = machine_roofline(bw, mm, memory_bytes=2**30)
    >>> roof.bandwidth, roof.peak_flops, roof.bandwidth_from, roof.peak_from
    (64000000000.0, 8000000000.0, 'triad', 'gemm n=200')
    """
    bandwidths = list(bandwidth)
    points = list(gemm)
    if not bandwidths or not points:
        raise WorkloadError("a roofline needs at least one bandwidth result and one GEMM point")
    best_bw = max(bandwidths, key=lambda r: r.bandwidth)
    best_mm = largest_gemm(points)
    return MachineRoofline(
        peak_flops=best_mm.flop_rate, bandwidth=best_bw.bandwidth,
        memory_bytes=physical_memory_bytes() if memory_bytes is None else memory_bytes,
        peak_from=f"{best_mm.kind} n={best_mm.size}", bandwidth_from=best_bw.kernel)
