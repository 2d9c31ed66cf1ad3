"""Matrix products: fp32 GEMMs and GEMVs of growing size, their FLOPs, bytes and timed samples.

A GEMM of side ``s`` is ``[s, s] @ [s, s]``: its intensity grows as ``s/6`` FLOP per fp32
byte. A GEMV is an ``[s, s]`` matrix times a vector: about half a FLOP per byte at every
size. They are decode's and prefill's two shapes of work. NumPy hands both to its BLAS
library, which runs them on as many threads as it decides (OpenBLAS: one per core for a
large enough product, one thread for a small one).

>>> pts = measure_matmul("gemm", [32], repeats=1, min_seconds=0.0)
>>> pts[0].flops, round(pts[0].intensity, 3), pts[0].flop_rate > 0   # 2·32³; 32/6
(65536, 5.333, True)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..analysis.flops import matmul_flops
from ..core.errors import WorkloadError, positive_int
from .timing import Spread, calls_per_sample, rate_spread, time_samples

#: Bytes of one float32 element, the matmul element type.
FLOAT32_BYTES = 4

MatmulKind = Literal["gemm", "gemv"]
Float32 = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class MatmulPoint:
    """One timed fp32 matmul ``[m, k] @ [k, n]``: its FLOPs, minimum bytes and timed samples.

    A GEMM of size ``s`` is ``m = k = n = s``; a GEMV is a ``[s, s]`` matrix times a vector
    (``n = 1``). The minimum bytes read A and B and write C once each. ``samples`` holds
    the seconds of one call in each timed sample.
    """

    kind: MatmulKind
    m: int
    k: int
    n: int
    samples: tuple[float, ...]

    @property
    def size(self) -> int:
        """The size the sweep names the point by (the matrix side)."""
        return self.m

    @property
    def flops(self) -> int:
        """``2·m·k·n``.

        >>> MatmulPoint("gemm", 64, 64, 64, (1.0,)).flops
        524288
        """
        return matmul_flops(self.m, self.k, self.n)

    @property
    def min_bytes(self) -> int:
        """fp32 bytes of A, B and C, each moved once: ``4·(mk + kn + mn)``.

        >>> MatmulPoint("gemv", 64, 64, 1, (1.0,)).min_bytes    # 4 · (4096 + 64 + 64)
        16896
        """
        return FLOAT32_BYTES * (self.m * self.k + self.k * self.n + self.m * self.n)

    @property
    def intensity(self) -> float:
        """Arithmetic intensity, FLOPs per minimum byte.

        >>> MatmulPoint("gemm", 600, 600, 600, (1.0,)).intensity   # s/6 for a square GEMM
        100.0
        """
        return self.flops / self.min_bytes

    @property
    def spread(self) -> Spread:
        """Median and quartiles of the achieved FLOP/s over the samples.

        >>> MatmulPoint("gemm", 100, 100, 100, (0.001, 0.002, 0.004)).spread.median
        1000000000.0
        """
        return rate_spread(self.flops, self.samples)

    @property
    def flop_rate(self) -> float:
        """The median achieved FLOP/s.

        >>> MatmulPoint("gemm", 100, 100, 100, (0.001,)).flop_rate
        2000000000.0
        """
        return self.spread.median

    @property
    def byte_rate(self) -> float:
        """The minimum bytes over the median time: the bandwidth the product drew at least.

        >>> MatmulPoint("gemv", 100, 100, 1, (1e-6,)).byte_rate   # 4 · 10200 B in 1 µs
        40800000000.0
        """
        return self.flop_rate * self.min_bytes / self.flops

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the samples and derived figures.

        >>> MatmulPoint("gemm", 100, 100, 100, (0.001,)).to_dict()["gflop_per_s"]["median"]
        2.0
        """
        return {"kind": self.kind, "m": self.m, "k": self.k, "n": self.n,
                "samples": list(self.samples), "flops": self.flops,
                "min_bytes": self.min_bytes, "intensity": self.intensity,
                "flop_per_s": self.spread.to_dict(),
                "gflop_per_s": self.spread.scaled(1e-9).to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MatmulPoint:
        """The point that :meth:`to_dict` wrote (derived figures are recomputed).

        >>> p = MatmulPoint("gemv", 8, 8, 1, (1e-6, 2e-6))
        >>> MatmulPoint.from_dict(p.to_dict()) == p
        True
        """
        kind = str(data["kind"])
        if kind not in ("gemm", "gemv"):
            raise WorkloadError(f"unknown matmul kind {kind!r}; choose 'gemm' or 'gemv'")
        return cls("gemm" if kind == "gemm" else "gemv", int(data["m"]), int(data["k"]),
                   int(data["n"]), tuple(float(s) for s in data["samples"]))


def matmul_shape(kind: str, size: int) -> tuple[int, int, int]:
    """``(m, k, n)`` of the GEMM or GEMV the sweeps time at ``size``.

    >>> matmul_shape("gemm", 512), matmul_shape("gemv", 512)
    ((512, 512, 512), (512, 512, 1))
    """
    positive_int("size", size)
    if kind == "gemm":
        return size, size, size
    if kind == "gemv":
        return size, size, 1
    raise WorkloadError(f"unknown matmul kind {kind!r}; choose 'gemm' or 'gemv'")


def matmul_operands(kind: MatmulKind, size: int) -> tuple[Float32, Float32, Float32]:
    """fp32 operands ``A``, ``x`` and the preallocated output ``y`` of the product at ``size``.

    The values are cheap to make (a ramp through ``[0, 1)``) and distinct on every page,
    so that no page of memory is a copy of another; a matmul's speed does not depend on
    them.

    >>> [op.shape for op in matmul_operands("gemv", 4)]
    [(4, 4), (4,), (4,)]
    """
    m, k, n = matmul_shape(kind, size)

    def ramp(*shape: int) -> Float32:
        count = math.prod(shape)
        values = np.arange(count, dtype=np.float32)
        values *= np.float32(1.0 / count)
        return values.reshape(shape)

    if kind == "gemv":
        return ramp(m, k), ramp(k), np.empty(m, dtype=np.float32)
    return ramp(m, k), ramp(k, n), np.empty((m, n), dtype=np.float32)


def measure_matmul(kind: MatmulKind, sizes: Iterable[int], repeats: int = 3,
                   min_seconds: float = 0.01, rounds: int = 1) -> tuple[MatmulPoint, ...]:
    """Time fp32 GEMMs (``[s, s] @ [s, s]``) or GEMVs (``[s, s] @ [s]``) at each size.

    Each round takes ``repeats`` samples of every size in turn, each sample at least
    ``min_seconds`` long (an untimed warm-up call decides how many calls that takes); a
    point holds the samples of all rounds. The operands are made once and the output
    array is preallocated, so only the matmul is timed.

    >>> pts = measure_matmul("gemv", [32, 64], repeats=1, min_seconds=0.0, rounds=2)
    >>> [(p.size, p.n, p.flops, len(p.samples)) for p in pts]
    [(32, 1, 2048, 2), (64, 1, 8192, 2)]
    """
    positive_int("repeats", repeats)
    positive_int("rounds", rounds)
    chosen = tuple(sizes)
    calls = [functools.partial(np.matmul, a, x, out=y)
             for a, x, y in (matmul_operands(kind, size) for size in chosen)]
    per_sample = [calls_per_sample(call, min_seconds) for call in calls]
    samples: list[tuple[float, ...]] = [() for _ in calls]
    for _ in range(rounds):
        for i, call in enumerate(calls):
            samples[i] += time_samples(call, repeats, calls=per_sample[i])
    return tuple(MatmulPoint(kind, *matmul_shape(kind, size), taken)
                 for size, taken in zip(chosen, samples, strict=True))
