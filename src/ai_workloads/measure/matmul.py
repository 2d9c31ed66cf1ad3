"""Matrix products: fp32 GEMMs and GEMVs of growing size, their FLOPs, bytes and best time.

A GEMM of side ``s`` is ``[s, s] @ [s, s]``: its intensity grows as ``s/6`` FLOP per fp32
byte. A GEMV is an ``[s, s]`` matrix times a vector: about half a FLOP per byte at every
size. They are decode's and prefill's two shapes of work.

>>> pts = measure_matmul("gemm", [32], repeats=1, min_seconds=0.0)
>>> pts[0].flops, round(pts[0].intensity, 3), pts[0].flop_rate > 0   # 2·32³; 32/6
(65536, 5.333, True)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..analysis.flops import matmul_flops
from ..core.errors import WorkloadError, positive_int
from .timing import best_seconds

#: Bytes of one float32 element, the matmul element type.
FLOAT32_BYTES = 4

MatmulKind = Literal["gemm", "gemv"]


@dataclass(frozen=True, slots=True)
class MatmulPoint:
    """One timed fp32 matmul ``[m, k] @ [k, n]``: its FLOPs, minimum bytes and best time.

    A GEMM of size ``s`` is ``m = k = n = s``; a GEMV is a ``[s, s]`` matrix times a vector
    (``n = 1``). The minimum bytes read A and B and write C once each.
    """

    kind: MatmulKind
    m: int
    k: int
    n: int
    seconds: float
    repeats: int

    @property
    def size(self) -> int:
        """The size the sweep names the point by (the matrix side)."""
        return self.m

    @property
    def flops(self) -> int:
        """``2·m·k·n``.

        >>> MatmulPoint("gemm", 64, 64, 64, 1.0, 1).flops
        524288
        """
        return matmul_flops(self.m, self.k, self.n)

    @property
    def min_bytes(self) -> int:
        """fp32 bytes of A, B and C, each moved once: ``4·(mk + kn + mn)``.

        >>> MatmulPoint("gemv", 64, 64, 1, 1.0, 1).min_bytes    # 4 · (4096 + 64 + 64)
        16896
        """
        return FLOAT32_BYTES * (self.m * self.k + self.k * self.n + self.m * self.n)

    @property
    def intensity(self) -> float:
        """Arithmetic intensity, FLOPs per minimum byte.

        >>> MatmulPoint("gemm", 600, 600, 600, 1.0, 1).intensity   # s/6 for a square GEMM
        100.0
        """
        return self.flops / self.min_bytes

    @property
    def flop_rate(self) -> float:
        """Achieved FLOP/s.

        >>> MatmulPoint("gemm", 100, 100, 100, 0.001, 1).flop_rate
        2000000000.0
        """
        return self.flops / self.seconds

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the derived figures.

        >>> MatmulPoint("gemm", 100, 100, 100, 0.001, 1).to_dict()["gflop_per_s"]
        2.0
        """
        return {"kind": self.kind, "m": self.m, "k": self.k, "n": self.n,
                "seconds": self.seconds, "repeats": self.repeats, "flops": self.flops,
                "min_bytes": self.min_bytes, "intensity": self.intensity,
                "flop_per_s": self.flop_rate, "gflop_per_s": self.flop_rate / 1e9}


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


def measure_matmul(kind: MatmulKind, sizes: Iterable[int], repeats: int = 3,
                   min_seconds: float = 0.01, seed: int = 0) -> tuple[MatmulPoint, ...]:
    """Time fp32 GEMMs (``[s, s] @ [s, s]``) or GEMVs (``[s, s] @ [s]``) at each size.

    Each point is the best of ``repeats`` samples of at least ``min_seconds`` each; the
    output array is preallocated, so only the matmul is timed.

    >>> pts = measure_matmul("gemv", [32, 64], repeats=1, min_seconds=0.0)
    >>> [(p.size, p.n, p.flops) for p in pts], all(p.flop_rate > 0 for p in pts)
    ([(32, 1, 2048), (64, 1, 8192)], True)
    """
    positive_int("repeats", repeats)
    rng = np.random.default_rng(seed)
    points = []
    for size in sizes:
        m, k, n = matmul_shape(kind, size)
        a = rng.standard_normal((m, k), dtype=np.float32)
        if kind == "gemv":
            x = rng.standard_normal(k, dtype=np.float32)
            y = np.empty(m, dtype=np.float32)
        else:
            x = rng.standard_normal((k, n), dtype=np.float32)
            y = np.empty((m, n), dtype=np.float32)
        seconds = best_seconds(functools.partial(np.matmul, a, x, out=y), repeats,
                               min_seconds)
        points.append(MatmulPoint(kind, m, k, n, seconds, repeats))
    return tuple(points)
