"""Memory bandwidth, measured as STREAM does: bytes that must cross the bus, over the best time.

Byte conventions (what moves between memory and the cores, 8-byte float64 elements):

* ``copy``  ``a[:] = b``: reads ``b``, writes ``a``: ``2·n·8`` bytes.
* ``triad`` ``a = b + s·c``: reads ``b`` and ``c``, writes ``a``: ``3·n·8`` bytes. NumPy
  would build ``s·c`` in a temporary array (two more passes over memory), so the kernel
  works in cache-sized blocks: ``a_blk = s·c_blk`` then ``a_blk += b_blk`` while the block
  is still in cache, and only the three arrays cross the memory bus.
* ``dot``   ``a·b`` (a read-only kernel, BLAS): reads both arrays: ``2·n·8`` bytes.

>>> bw = measure_bandwidth(size_mib=1, repeats=1)
>>> [r.kernel for r in bw], all(r.bandwidth > 0 for r in bw)
(['copy', 'triad', 'dot'], True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from ..core.errors import WorkloadError, positive_int
from .timing import best_seconds

#: Bandwidth kernels, in the order they run.
KERNELS: tuple[str, ...] = ("copy", "triad", "dot")
#: Arrays each kernel reads plus arrays it writes, per element (see the module docstring).
KERNEL_ARRAYS_MOVED: Mapping[str, int] = MappingProxyType({"copy": 2, "triad": 3, "dot": 2})
#: Bytes of one float64 element, the bandwidth kernels' element type.
FLOAT64_BYTES = 8
#: Elements per block of the blocked triad: 512 KiB of float64, well inside a core's cache.
TRIAD_BLOCK = 65_536


def stream_bytes(kernel: str, elements: int) -> int:
    """Bytes one pass of a bandwidth kernel moves over ``elements`` float64 values.

    >>> stream_bytes("copy", 1000), stream_bytes("triad", 1000), stream_bytes("dot", 1000)
    (16000, 24000, 16000)
    """
    if kernel not in KERNEL_ARRAYS_MOVED:
        raise WorkloadError(f"unknown bandwidth kernel {kernel!r}; choose from "
                            f"{', '.join(KERNELS)}")
    return KERNEL_ARRAYS_MOVED[kernel] * positive_int("elements", elements) * FLOAT64_BYTES


@dataclass(frozen=True, slots=True)
class BandwidthResult:
    """One bandwidth kernel: the bytes a pass moves and the best time of a pass."""

    kernel: str
    elements: int
    bytes_moved: int
    seconds: float
    repeats: int

    @property
    def bandwidth(self) -> float:
        """Bytes per second.

        >>> BandwidthResult("copy", 10**6, 16 * 10**6, 0.001, 1).bandwidth
        16000000000.0
        """
        return self.bytes_moved / self.seconds

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, bandwidth in bytes/s and GB/s (10⁹).

        >>> BandwidthResult("copy", 10**6, 16 * 10**6, 0.001, 1).to_dict()["gb_per_s"]
        16.0
        """
        return {"kernel": self.kernel, "elements": self.elements,
                "bytes_moved": self.bytes_moved, "seconds": self.seconds,
                "repeats": self.repeats, "bytes_per_s": self.bandwidth,
                "gb_per_s": self.bandwidth / 1e9}


def _triad(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64],
           c: npt.NDArray[np.float64], scalar: float, block: int) -> None:
    for lo in range(0, a.size, block):
        part = a[lo:lo + block]
        np.multiply(c[lo:lo + block], scalar, out=part)
        np.add(part, b[lo:lo + block], out=part)


def measure_bandwidth(size_mib: int = 256, repeats: int = 5,
                      kernels: Iterable[str] = KERNELS) -> tuple[BandwidthResult, ...]:
    """Time the bandwidth kernels over float64 arrays of ``size_mib`` MiB each.

    Choose ``size_mib`` well beyond the last-level cache (the default, 256 MiB, is), or
    the result is the cache's bandwidth, not memory's. ``copy`` and ``triad`` run on one
    core (NumPy's element-wise loops are single-threaded); ``dot`` runs in BLAS, which may
    use every core. The byte conventions are in the module docstring.

    >>> [r.bytes_moved for r in measure_bandwidth(size_mib=1, repeats=1)]   # 2, 3, 2 MiB
    [2097152, 3145728, 2097152]
    """
    positive_int("size_mib", size_mib)
    positive_int("repeats", repeats)
    chosen = tuple(kernels)
    for kernel in chosen:
        stream_bytes(kernel, 1)  # validates the name
    n = size_mib * 2**20 // FLOAT64_BYTES
    # Distinct values on every page: a virtual machine may merge identical pages, and
    # reading one shared page many times would measure a cache, not memory.
    a = np.zeros(n)
    b = np.arange(n, dtype=np.float64)
    c = b * 0.5
    runs: dict[str, Callable[[], object]] = {
        "copy": lambda: np.copyto(a, b),
        "triad": lambda: _triad(a, b, c, 3.0, TRIAD_BLOCK),
        "dot": lambda: np.dot(b, c),
    }
    return tuple(
        BandwidthResult(kernel, n, stream_bytes(kernel, n),
                        best_seconds(runs[kernel], repeats), repeats)
        for kernel in chosen)
