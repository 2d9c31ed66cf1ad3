"""Memory bandwidth, measured as STREAM does, on every core at once, with write-allocate counted.

The four STREAM kernels run over float64 arrays ``a``, ``b``, ``c`` of ``n`` elements:

* ``copy``  ``c = a``         reads 1 array, writes 1
* ``scale`` ``b = s·c``       reads 1 array, writes 1
* ``add``   ``c = a + b``     reads 2 arrays, writes 1
* ``triad`` ``a = b + s·c``   reads 2 arrays, writes 1

Bytes are counted **with write-allocate**: before a core writes into a cache line, the
cache reads that line from memory, so an array written costs a read and a write. A copy
moves ``3·8·n`` bytes, not the ``2·8·n`` the STREAM benchmark's own report counts;
``stream_bytes(..., write_allocate=False)`` gives STREAM's count. (A kernel whose stores
bypass the cache would move fewer bytes than counted here; NumPy's element-wise loops,
which every kernel below runs, store through the cache.)

The kernels are NumPy ufuncs writing into preallocated arrays, so no temporary array is
made; the triad works in blocks small enough to stay in cache (``a_blk = s·c_blk``, then
``a_blk += b_blk``), so only the three arrays cross the memory bus. The arrays are split
into one contiguous slice per worker thread, one thread per core (NumPy releases Python's
lock while a ufunc runs, so the threads run at once); each thread writes its slice first,
so the operating system places the slice's pages near that thread's core. One sample is
one pass of every thread over its slice, timed from the start signal to the last thread
done.

>>> bw = measure_bandwidth(size_mib=1, repeats=2, threads=2)
>>> [r.kernel for r in bw], [r.threads for r in bw], all(r.bandwidth > 0 for r in bw)
(['copy', 'scale', 'add', 'triad'], [2, 2, 2, 2], True)
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt

from ..core.errors import WorkloadError, positive_int
from .machine import usable_cores
from .timing import Spread, rate_spread

#: STREAM's kernels, in the order they run.
KERNELS: tuple[str, ...] = ("copy", "scale", "add", "triad")
#: What each kernel computes, as STREAM writes it.
KERNEL_FORMULAS: Mapping[str, str] = MappingProxyType(
    {"copy": "c = a", "scale": "b = s·c", "add": "c = a + b", "triad": "a = b + s·c"})
#: Arrays each kernel reads and arrays it writes, per element.
KERNEL_TRAFFIC: Mapping[str, tuple[int, int]] = MappingProxyType(
    {"copy": (1, 1), "scale": (1, 1), "add": (2, 1), "triad": (2, 1)})
#: Bytes of one float64 element, the kernels' element type.
FLOAT64_BYTES = 8
#: Elements per block of the blocked triad: 512 KiB of float64, inside a core's cache.
TRIAD_BLOCK = 65_536
#: The scalar ``s`` of scale and triad (STREAM's).
SCALAR = 3.0

Array = npt.NDArray[np.float64]


def stream_bytes(kernel: str, elements: int, write_allocate: bool = True) -> int:
    """Bytes one pass of a STREAM kernel moves over ``elements`` float64 values.

    With ``write_allocate`` (the default) an array written counts twice: read into the
    cache, then written back.

    >>> [stream_bytes(k, 1000) for k in KERNELS]
    [24000, 24000, 32000, 32000]
    >>> [stream_bytes(k, 1000, write_allocate=False) for k in KERNELS]   # STREAM's report
    [16000, 16000, 24000, 24000]
    """
    if kernel not in KERNEL_TRAFFIC:
        raise WorkloadError(f"unknown bandwidth kernel {kernel!r}; choose from "
                            f"{', '.join(KERNELS)}")
    reads, writes = KERNEL_TRAFFIC[kernel]
    arrays = reads + writes * (2 if write_allocate else 1)
    return arrays * positive_int("elements", elements) * FLOAT64_BYTES


@dataclass(frozen=True, slots=True)
class BandwidthResult:
    """One STREAM kernel: the bytes a pass moves and the seconds of every timed pass."""

    kernel: str
    elements: int
    bytes_moved: int
    threads: int
    samples: tuple[float, ...]

    @property
    def spread(self) -> Spread:
        """Median and quartiles of the bandwidth, bytes per second, over the samples.

        >>> BandwidthResult("copy", 10**6, 24 * 10**6, 1, (0.001, 0.002, 0.004)).spread
        Spread(median=12000000000.0, low=9000000000.0, high=18000000000.0, count=3)
        """
        return rate_spread(self.bytes_moved, self.samples)

    @property
    def bandwidth(self) -> float:
        """The median bandwidth, bytes per second.

        >>> BandwidthResult("copy", 10**6, 24 * 10**6, 1, (0.001,)).bandwidth
        24000000000.0
        """
        return self.spread.median

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the samples, and the bandwidth's spread in bytes/s and GB/s.

        >>> BandwidthResult("copy", 10**6, 24 * 10**6, 1, (0.001,)).to_dict()["gb_per_s"]
        {'median': 24.0, 'low': 24.0, 'high': 24.0, 'count': 1}
        """
        return {"kernel": self.kernel, "elements": self.elements,
                "bytes_moved": self.bytes_moved, "threads": self.threads,
                "samples": list(self.samples), "bytes_per_s": self.spread.to_dict(),
                "gb_per_s": self.spread.scaled(1e-9).to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BandwidthResult:
        """The result that :meth:`to_dict` wrote (derived figures are recomputed).

        >>> r = BandwidthResult("add", 10, 320, 2, (1e-6, 2e-6))
        >>> BandwidthResult.from_dict(r.to_dict()) == r
        True
        """
        return cls(str(data["kernel"]), int(data["elements"]), int(data["bytes_moved"]),
                   int(data["threads"]), tuple(float(s) for s in data["samples"]))


class ThreadTeam:
    """Worker threads that run one job at once, each on its own index, timed as one pass.

    >>> with ThreadTeam(3) as team:
    ...     seen = []
    ...     seconds = team.run(seen.append)
    >>> sorted(seen), seconds > 0
    ([0, 1, 2], True)
    """

    def __init__(self, threads: int) -> None:
        self.threads = positive_int("threads", threads)
        self._job: Callable[[int], object] | None = None
        self._errors: list[BaseException] = []
        self._start = threading.Barrier(threads + 1)
        self._done = threading.Barrier(threads + 1)
        self._workers = [threading.Thread(target=self._work, args=(i,), daemon=True)
                         for i in range(threads)]
        for worker in self._workers:
            worker.start()

    def _work(self, index: int) -> None:
        while True:
            self._start.wait()
            job = self._job
            if job is None:
                return
            try:
                job(index)
            except BaseException as error:  # reported by run(), in the caller's thread
                self._errors.append(error)
            self._done.wait()

    def run(self, job: Callable[[int], object]) -> float:
        """Run ``job(i)`` on every worker ``i`` at once; seconds until the last one is done."""
        self._job = job
        self._errors.clear()
        start = time.perf_counter()
        self._start.wait()
        self._done.wait()
        seconds = time.perf_counter() - start
        if self._errors:
            raise self._errors[0]
        return max(seconds, 1e-9)

    def close(self) -> None:
        """Stop the workers (``with ThreadTeam(...)`` calls it on leaving).

        >>> team = ThreadTeam(2)
        >>> team.close()
        """
        self._job = None
        self._start.wait()
        for worker in self._workers:
            worker.join()

    def __enter__(self) -> ThreadTeam:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def _triad(a: Array, b: Array, c: Array, scalar: float, block: int) -> None:
    for lo in range(0, a.size, block):
        part = a[lo:lo + block]
        np.multiply(c[lo:lo + block], scalar, out=part)
        np.add(part, b[lo:lo + block], out=part)


def _kernel(name: str, a: Array, b: Array, c: Array) -> None:
    if name == "copy":
        np.positive(a, out=c)
    elif name == "scale":
        np.multiply(c, SCALAR, out=b)
    elif name == "add":
        np.add(a, b, out=c)
    else:
        _triad(a, b, c, SCALAR, TRIAD_BLOCK)


def stream_array_mib(minimum_mib: int, cache_bytes: int, cache_multiple: int = 4,
                     memory_bytes: int = 0) -> int:
    """MiB of each STREAM array: ``cache_multiple`` times the last-level cache, at least
    ``minimum_mib`` (STREAM asks for four times the cache, so that no pass finds its data
    there). The three arrays are kept under an eighth of ``memory_bytes`` where it is known.

    >>> stream_array_mib(64, 32 * 2**20), stream_array_mib(64, 8 * 2**20)
    (128, 64)
    >>> stream_array_mib(64, 2**30, memory_bytes=16 * 2**30)   # capped: 3 arrays in 2 GiB
    682
    >>> stream_array_mib(64, 32 * 2**20, cache_multiple=0)     # no growth
    64
    """
    positive_int("minimum_mib", minimum_mib)
    wanted = max(minimum_mib, -(-cache_multiple * cache_bytes // 2**20))
    if memory_bytes > 0:
        wanted = min(wanted, max(minimum_mib, memory_bytes // 8 // 3 // 2**20))
    return wanted


def slices(elements: int, parts: int) -> list[slice]:
    """``parts`` contiguous slices that cover ``range(elements)``, sizes differing by at most 1.

    >>> slices(10, 3)
    [slice(0, 3, None), slice(3, 6, None), slice(6, 10, None)]
    """
    positive_int("parts", parts)
    return [slice(i * elements // parts, (i + 1) * elements // parts) for i in range(parts)]


def measure_bandwidth(size_mib: int = 64, repeats: int = 5,
                      kernels: Iterable[str] = KERNELS, threads: int | None = None,
                      one_thread: Iterable[str] = ()) -> tuple[BandwidthResult, ...]:
    """Time the STREAM kernels over three float64 arrays of ``size_mib`` MiB each.

    Choose ``size_mib`` well beyond the last-level cache (STREAM asks for four times it),
    or the result is the cache's bandwidth, not memory's. ``threads`` workers share the
    arrays (default: one per usable core); the kernels named in ``one_thread`` also run on
    a single thread over the whole arrays, for comparison. Like STREAM, every repeat runs
    the kernels in turn; an untimed first pass warms up. The conventions are the module's.

    >>> [r.bytes_moved // r.elements for r in measure_bandwidth(1, 1, threads=1)]
    [24, 24, 32, 32]
    >>> [(r.kernel, r.threads) for r in measure_bandwidth(1, 1, ["add"], 2, ["triad"])]
    [('add', 2), ('triad', 1)]
    """
    positive_int("size_mib", size_mib)
    positive_int("repeats", repeats)
    chosen, alone = tuple(kernels), tuple(one_thread)
    for kernel in (*chosen, *alone):
        stream_bytes(kernel, 1)  # validates the name
    workers = usable_cores() if threads is None else positive_int("threads", threads)
    n = size_mib * 2**20 // FLOAT64_BYTES
    parts = slices(n, workers)
    a, b, c = np.empty(n), np.empty(n), np.empty(n)

    def first_touch(i: int) -> None:
        # Distinct values on every page: a virtual machine may merge identical pages,
        # and reading one shared page many times would measure a cache, not memory.
        part = parts[i]
        a[part] = np.arange(part.start, part.stop, dtype=np.float64) * 1e-9 + 1.0
        b[part] = 2.0
        c[part] = 0.0

    def on_slice(kernel: str, i: int) -> None:
        _kernel(kernel, a[parts[i]], b[parts[i]], c[parts[i]])

    def one_pass(kernel: str) -> float:
        start = time.perf_counter()
        _kernel(kernel, a, b, c)
        return max(time.perf_counter() - start, 1e-9)

    runs = list(dict.fromkeys([(kernel, workers) for kernel in chosen]
                              + [(kernel, 1) for kernel in alone]))
    samples: dict[tuple[str, int], list[float]] = {run: [] for run in runs}
    with ThreadTeam(workers) as team:
        team.run(first_touch)
        for repeat in range(repeats + 1):
            for kernel, count in runs:
                if count == 1 and workers > 1:
                    seconds = one_pass(kernel)
                else:
                    seconds = team.run(functools.partial(on_slice, kernel))
                if repeat:
                    samples[kernel, count].append(seconds)
    return tuple(BandwidthResult(kernel, n, stream_bytes(kernel, n), count,
                                 tuple(samples[kernel, count])) for kernel, count in runs)
