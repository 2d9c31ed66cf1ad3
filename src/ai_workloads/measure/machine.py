"""Measure the machine this code runs on: memory bandwidth, matmul FLOP/s, decode speed.

This is the only module of the package that times anything. Everything else is exact
arithmetic; here the numbers are measurements, different on every machine and every run.
Each measurement keeps the best of several repeats (the least disturbed run) and returns a
frozen result with a ``to_dict()`` for JSON.

Byte conventions (what moves between memory and the cores, 8-byte float64 elements):

* ``copy``  ``a[:] = b``: reads ``b``, writes ``a``: ``2·n·8`` bytes.
* ``triad`` ``a = b + s·c``: reads ``b`` and ``c``, writes ``a``: ``3·n·8`` bytes. NumPy
  would build ``s·c`` in a temporary array (two more passes over memory), so the kernel
  works in cache-sized blocks: ``a_blk = s·c_blk`` then ``a_blk += b_blk`` while the block
  is still in cache, and only the three arrays cross the memory bus.
* ``dot``   ``a·b`` (a read-only kernel, BLAS): reads both arrays: ``2·n·8`` bytes.

The machine's roofline takes the best of these bandwidths and the best square fp32 GEMM
rate. Measured GEMMs and GEMVs sit on or under it, except small ones whose operands fit in
a cache, which is faster than memory. A reference-model decode is timed against the
bandwidth bound of the bytes it must read (:func:`measure_decode`), and its time can be
split op by op (:func:`profile_decode`). :func:`measure_machine` runs everything.

>>> bw = measure_bandwidth(size_mib=1, repeats=1)
>>> [r.kernel for r in bw], all(r.bandwidth > 0 for r in bw)
(['copy', 'triad', 'dot'], True)
"""

from __future__ import annotations

import functools
import math
import os
import platform
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from ..analysis.memory import kv_cache_bytes, weight_bytes
from ..analysis.params import param_counts
from ..analysis.roofline import ArrayOrFloat, attainable_flops, decode_step
from ..core.accelerator import Accelerator
from ..core.config import TransformerConfig
from ..core.errors import WorkloadError, positive_int
from ..reference.model import ReferenceModel

#: Bandwidth kernels, in the order they run.
KERNELS: tuple[str, ...] = ("copy", "triad", "dot")
#: Arrays each kernel reads plus arrays it writes, per element (see the module docstring).
KERNEL_ARRAYS_MOVED: Mapping[str, int] = MappingProxyType({"copy": 2, "triad": 3, "dot": 2})
#: Bytes of one float64 element, the bandwidth kernels' element type.
FLOAT64_BYTES = 8
#: Bytes of one float32 element, the matmul and decode element type.
FLOAT32_BYTES = 4
#: Elements per block of the blocked triad: 512 KiB of float64, well inside a core's cache.
TRIAD_BLOCK = 65_536
#: Environment variables that change how BLAS runs; recorded (never changed) with results.
BLAS_ENV_PREFIXES: tuple[str, ...] = ("OPENBLAS_", "OMP_", "MKL_", "BLIS_", "GOTO_")

MatmulKind = Literal["gemm", "gemv"]


# --------------------------------------------------------------------------- timing

def best_seconds(fn: Callable[[], object], repeats: int = 3, min_seconds: float = 0.0) -> float:
    """Seconds of one call of ``fn``: the best of ``repeats`` timed samples.

    A first, untimed call warms caches and decides how many calls one sample holds, so
    that a sample lasts at least ``min_seconds`` (short calls are averaged over many).

    >>> best_seconds(lambda: sum(range(1000)), repeats=2) > 0
    True
    """
    positive_int("repeats", repeats)
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-9)
    calls = max(1, math.ceil(min_seconds / once))
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


# --------------------------------------------------------------------------- the machine

@dataclass(frozen=True, slots=True)
class MachineInfo:
    """What the measurements ran on: CPU, cores, memory, NumPy and its BLAS.

    ``load_average`` is the operating system's one-minute load average when the
    description was taken: near 0 on an idle machine, near ``cores`` or above when other
    work competes for the cores (and the measurements come out lower).
    """

    cpu: str
    cores: int
    memory_bytes: int
    system: str
    python: str
    numpy: str
    blas: str
    blas_env: Mapping[str, str] = field(default_factory=dict)
    load_average: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict.

        >>> machine_info().to_dict()["numpy"] == np.__version__
        True
        """
        return {"cpu": self.cpu, "cores": self.cores, "memory_bytes": self.memory_bytes,
                "system": self.system, "python": self.python, "numpy": self.numpy,
                "blas": self.blas, "blas_env": dict(self.blas_env),
                "load_average": self.load_average}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as lines:
            for line in lines:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 0


def _blas_name() -> str:
    try:
        config: Any = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except (TypeError, KeyError, AttributeError):
        return "unknown BLAS"


def machine_info() -> MachineInfo:
    """Describe this machine (nothing is timed).

    >>> info = machine_info()
    >>> info.cores >= 1 and info.numpy == np.__version__
    True
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    return MachineInfo(
        cpu=_cpu_model(),
        cores=cores or os.cpu_count() or 1,
        memory_bytes=_memory_bytes(),
        system=f"{platform.system()} {platform.machine()}",
        python=platform.python_version(),
        numpy=np.__version__,
        blas=_blas_name(),
        blas_env=MappingProxyType({k: v for k, v in sorted(os.environ.items())
                                   if k.startswith(BLAS_ENV_PREFIXES)}),
        load_average=os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0,
    )


# --------------------------------------------------------------------------- bandwidth

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


# --------------------------------------------------------------------------- matmuls

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
        return 2 * self.m * self.k * self.n

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


# --------------------------------------------------------------------------- roofline

@dataclass(frozen=True, slots=True)
class MachineRoofline:
    """This machine's fp32 roofline: measured peak FLOP/s and bandwidth (bytes/s).

    ``peak_from`` and ``bandwidth_from`` say which measurement set each roof.
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
        return self.peak_flops / self.bandwidth

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
        return attainable_flops(self.as_accelerator(), intensity, "fp32")

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


def machine_roofline(bandwidth: Iterable[BandwidthResult], gemm: Iterable[MatmulPoint],
                     memory_bytes: int | None = None) -> MachineRoofline:
    """The roofline of the best measured bandwidth and the best measured GEMM rate.

    >>> bw = [BandwidthResult("copy", 10**9, 16 * 10**9, 1.0, 1),
    ...       BandwidthResult("dot", 10**9, 16 * 10**9, 0.5, 1)]
    >>> mm = [MatmulPoint("gemm", 100, 100, 100, 1e-3, 1)]
    >>> roof = machine_roofline(bw, mm, memory_bytes=2**30)
    >>> roof.bandwidth, roof.peak_flops, roof.bandwidth_from, roof.peak_from
    (32000000000.0, 2000000000.0, 'dot', 'gemm n=100')
    """
    bandwidths = list(bandwidth)
    points = list(gemm)
    if not bandwidths or not points:
        raise WorkloadError("a roofline needs at least one bandwidth result and one GEMM point")
    best_bw = max(bandwidths, key=lambda r: r.bandwidth)
    best_mm = max(points, key=lambda p: p.flop_rate)
    return MachineRoofline(
        peak_flops=best_mm.flop_rate, bandwidth=best_bw.bandwidth,
        memory_bytes=_memory_bytes() if memory_bytes is None else memory_bytes,
        peak_from=f"{best_mm.kind} n={best_mm.size}", bandwidth_from=best_bw.kernel)


# --------------------------------------------------------------------------- decode

def decode_probe_config(n_layers: int = 8) -> TransformerConfig:
    """A small Llama-style model for timing decode: ~75M fp32 parameters at 8 layers.

    Its weights (about 300 MB at 8 layers, 150 MB at 2) dwarf any CPU cache, so each decode
    step streams them from memory. Embeddings are tied: the LM head reads the whole
    embedding matrix, so every weight byte is read once per step.

    >>> from ai_workloads.analysis.params import param_counts
    >>> param_counts(decode_probe_config()).total   # 32000·768 + 8·6292992 + 768
    74920704
    """
    positive_int("n_layers", n_layers)
    return TransformerConfig(
        name=f"decode-probe-{n_layers}l", family="llama", d_model=768, n_layers=n_layers,
        n_heads=12, n_kv_heads=4, head_dim=64, d_ff=2048, vocab_size=32_000,
        max_position=4096, tied_embeddings=True)


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """Measured batch-1 decode of a reference model against its bandwidth bound.

    ``seconds`` is the measured time of ``steps`` decode steps after a ``prompt``-token
    prefill. Over those steps the model does ``flops`` matmul FLOPs and must read
    ``bytes_read`` bytes (all fp32 weights once per step, plus the KV cache);
    ``bound_seconds`` is the time that takes at the roofline's ``bandwidth``.
    """

    model: str
    params: int
    prompt: int
    steps: int
    seconds: float
    bound_seconds: float
    flops: int
    bytes_read: int
    bandwidth: float
    repeats: int = 1
    step_seconds: tuple[float, ...] = ()

    @property
    def tokens_per_s(self) -> float:
        """Measured tokens per second.

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0).tokens_per_s
        20.0
        """
        return self.steps / self.seconds

    @property
    def bound_tokens_per_s(self) -> float:
        """Tokens per second if every step ran at the bandwidth bound.

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0).bound_tokens_per_s
        40.0
        """
        return self.steps / self.bound_seconds

    @property
    def fraction(self) -> float:
        """Achieved fraction of the bandwidth bound (1.0 would be the bound itself).

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0).fraction
        0.5
        """
        return self.bound_seconds / self.seconds

    @property
    def intensity(self) -> float:
        """FLOPs per byte read: where decode sits on the roofline.

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0).intensity
        1.25
        """
        return self.flops / self.bytes_read

    @property
    def flop_rate(self) -> float:
        """Achieved matmul FLOP/s.

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0).flop_rate
        200.0
        """
        return self.flops / self.seconds

    @property
    def bytes_per_step(self) -> float:
        """Mean bytes one step must read.

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0).bytes_per_step
        8.0
        """
        return self.bytes_read / self.steps

    @property
    def achieved_bandwidth(self) -> float:
        """Bytes read per second (the bytes the bound counts over the measured time).

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0).achieved_bandwidth
        160.0
        """
        return self.bytes_read / self.seconds

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the derived figures.

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0).to_dict()["fraction"]
        0.5
        """
        return {"model": self.model, "params": self.params, "prompt": self.prompt,
                "steps": self.steps, "seconds": self.seconds,
                "bound_seconds": self.bound_seconds, "flops": self.flops,
                "bytes_read": self.bytes_read, "bandwidth_bytes_per_s": self.bandwidth,
                "repeats": self.repeats, "tokens_per_s": self.tokens_per_s,
                "bound_tokens_per_s": self.bound_tokens_per_s, "fraction": self.fraction,
                "intensity": self.intensity, "flop_per_s": self.flop_rate,
                "achieved_bytes_per_s": self.achieved_bandwidth,
                "step_seconds": list(self.step_seconds)}


def decode_bytes(cfg: TransformerConfig, context: int) -> int:
    """fp32 bytes one batch-1 decode step at ``context`` must read: weights and KV cache.

    Every weight is read once per step (for a tied model the LM head reads the embedding
    matrix), plus the keys and values of ``context`` tokens.

    >>> cfg = decode_probe_config(2)
    >>> decode_bytes(cfg, 2)     # 4 · 37162752 parameters + 4 · 2 · 2 · 256 · 2 (K and V)
    148659200
    """
    return weight_bytes(cfg, "fp32") + kv_cache_bytes(cfg, context, 1, "fp32")


def decode_bound_seconds(cfg: TransformerConfig, roof: MachineRoofline, prompt: int,
                         steps: int) -> float:
    """Seconds ``steps`` fp32 decode steps need on ``roof`` after a ``prompt``-token prefill.

    Step ``i`` (from 0) attends ``prompt + i + 1`` keys; each step's bound is
    :func:`~ai_workloads.analysis.roofline.decode_step`'s (weights plus KV cache over bandwidth,
    or FLOPs over peak, whichever is longer).

    >>> cfg = decode_probe_config(2)
    >>> roof = MachineRoofline(1e12, 10e9, 2**30)
    >>> decode_bound_seconds(cfg, roof, prompt=1, steps=1)   # (148651008 + 8192) B / 10 GB/s
    0.01486592
    """
    positive_int("prompt", prompt)
    positive_int("steps", steps)
    hw = roof.as_accelerator()
    return sum(decode_step(cfg, hw, prompt + i + 1, dtype="fp32").time for i in range(steps))


def _decode_model(cfg: TransformerConfig, prompt: int, steps: int, repeats: int,
                  seed: int) -> tuple[ReferenceModel, npt.NDArray[np.int64]]:
    """Check a decode measurement's inputs; build the model and a random prompt."""
    positive_int("prompt", prompt)
    positive_int("steps", steps)
    positive_int("repeats", repeats)
    if cfg.encoder:
        raise WorkloadError(f"{cfg.name} is an encoder: it has no decode step to time")
    if cfg.is_moe:
        raise WorkloadError(f"{cfg.name} is a mixture of experts: the bytes a step reads "
                            "depend on routing; time a dense model instead")
    if prompt + steps > cfg.max_position:
        raise WorkloadError(f"prompt + steps ({prompt + steps}) exceeds {cfg.name}'s "
                            f"max_position ({cfg.max_position}); use fewer steps")
    model = ReferenceModel(cfg, seed=seed, dtype=np.float32)
    tokens = np.random.default_rng(seed).integers(0, cfg.vocab_size, size=(1, prompt))
    return model, tokens


def _next_tokens(logits: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
    """Greedy choice, one id per sequence ``[B]``, from prefill ``[B, T, V]`` or ``[B, V]``."""
    last = logits[:, -1] if logits.ndim == 3 else logits
    return np.asarray(last.argmax(axis=-1))


def measure_decode(roof: MachineRoofline, cfg: TransformerConfig | None = None,
                   prompt: int = 16, steps: int = 32, repeats: int = 3,
                   seed: int = 0) -> DecodeResult:
    """Time batch-1 greedy decode of the NumPy reference model and compare with the bound.

    A ``prompt``-token prefill builds the KV cache (not timed); then ``steps`` decode steps
    are timed one by one. The best of ``repeats`` runs is kept. The bound is
    :func:`decode_bound_seconds` at ``roof``'s bandwidth.

    >>> roof = MachineRoofline(1e11, 1e10, 2**30)
    >>> tiny = decode_probe_config(1).replace(vocab_size=512, d_model=64, d_ff=128,
    ...                                       n_heads=4, n_kv_heads=2, head_dim=16)
    >>> res = measure_decode(roof, tiny, prompt=4, steps=3, repeats=1)
    >>> res.steps, res.tokens_per_s > 0, res.fraction > 0
    (3, True, True)
    """
    cfg = cfg or decode_probe_config()
    model, tokens = _decode_model(cfg, prompt, steps, repeats, seed)
    best = min((_time_decode(model, tokens, steps) for _ in range(repeats)), key=sum)
    return _decode_result(cfg, roof, prompt, best, repeats)


def _time_decode(model: ReferenceModel, tokens: npt.NDArray[np.int64],
                 steps: int) -> list[float]:
    """Prefill ``tokens`` (untimed), then time ``steps`` greedy decode steps one by one."""
    logits, cache = model.prefill(tokens)
    seconds = []
    for _ in range(steps):
        nxt = _next_tokens(logits)
        start = time.perf_counter()
        logits = model.decode(nxt, cache)
        seconds.append(time.perf_counter() - start)
    return seconds


def _decode_result(cfg: TransformerConfig, roof: MachineRoofline, prompt: int,
                   step_seconds: Sequence[float], repeats: int) -> DecodeResult:
    """Pair measured step times with the bound of the same steps on ``roof``."""
    steps = len(step_seconds)
    hw = roof.as_accelerator()
    bounds = [decode_step(cfg, hw, prompt + i + 1, dtype="fp32") for i in range(steps)]
    return DecodeResult(
        model=cfg.name, params=param_counts(cfg).total, prompt=prompt, steps=steps,
        seconds=sum(step_seconds), bound_seconds=sum(step.time for step in bounds),
        flops=sum(step.flops for step in bounds),
        bytes_read=sum(decode_bytes(cfg, prompt + i + 1) for i in range(steps)),
        bandwidth=roof.bandwidth, repeats=repeats, step_seconds=tuple(step_seconds))


class _OpClock:
    """A tracer for :class:`~ai_workloads.reference.model.ReferenceModel` that times its ops.

    The model reports each op right after running it, so the time since the previous
    report (the op and the Python around it) is charged to that op's name.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.kinds: dict[str, str] = {}
        self.last = time.perf_counter()

    def start(self) -> None:
        self.last = time.perf_counter()

    def _charge(self, name: str, kind: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + (now - self.last)
        self.kinds.setdefault(name, kind)
        self.last = now

    def matmul(self, name: str, a: Any, b: Any, out: Any, layer: int | None, *,
               weight: bool = False, expert: int | None = None) -> None:
        self._charge(name, "matmul")

    def elementwise(self, name: str, kind: str, inputs: Any, out: Any, layer: int | None, *,
                    nominal: int, weights: Any = (), expert: int | None = None) -> None:
        self._charge(name, kind)

    def gather(self, name: str, ids: Any, table: Any, out: Any, layer: int | None) -> None:
        self._charge(name, "gather")


@dataclass(frozen=True, slots=True)
class DecodeProfile:
    """Where the time of the reference model's decode steps goes, op by op.

    ``op_seconds`` sums, over ``steps`` steps, the time charged to each op name (the op
    and the Python around it, since the op before); ``op_kinds`` says which are matmuls.
    """

    model: str
    steps: int
    seconds: float
    op_seconds: Mapping[str, float]
    op_kinds: Mapping[str, str]

    def shares(self) -> dict[str, float]:
        """Each op's fraction of the measured time, largest first.

        >>> prof = DecodeProfile("m", 1, 4.0, {"up": 1.0, "q": 3.0}, {"up": "matmul",
        ...                      "q": "matmul"})
        >>> prof.shares()
        {'q': 0.75, 'up': 0.25}
        """
        ranked = sorted(self.op_seconds.items(), key=lambda item: -item[1])
        return {name: seconds / self.seconds for name, seconds in ranked}

    @property
    def matmul_share(self) -> float:
        """Fraction of the measured time charged to matmuls.

        >>> DecodeProfile("m", 1, 4.0, {"up": 1.0, "norm": 3.0},
        ...               {"up": "matmul", "norm": "reduction"}).matmul_share
        0.25
        """
        return sum(seconds for name, seconds in self.op_seconds.items()
                   if self.op_kinds.get(name) == "matmul") / self.seconds

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (shares of the measured time, largest first).

        >>> DecodeProfile("m", 1, 2.0, {"up": 1.0}, {"up": "matmul"}).to_dict()["shares"]
        {'up': 0.5}
        """
        return {"model": self.model, "steps": self.steps, "seconds": self.seconds,
                "op_seconds": dict(self.op_seconds), "op_kinds": dict(self.op_kinds),
                "shares": self.shares(), "matmul_share": self.matmul_share}


def profile_decode(cfg: TransformerConfig | None = None, prompt: int = 16, steps: int = 16,
                   seed: int = 0) -> DecodeProfile:
    """Charge the time of ``steps`` batch-1 decode steps to the ops of the reference model.

    Reporting each op costs a little time of its own, so the steps run slightly slower
    than in :func:`measure_decode`; the shares, not the total, are the point.

    >>> tiny = decode_probe_config(1).replace(vocab_size=512, d_model=64, d_ff=128,
    ...                                       n_heads=4, n_kv_heads=2, head_dim=16)
    >>> prof = profile_decode(tiny, prompt=2, steps=2)
    >>> {"q", "up", "down", "lm_head"} <= set(prof.op_seconds), 0 < prof.matmul_share <= 1
    (True, True)
    """
    cfg = cfg or decode_probe_config()
    model, tokens = _decode_model(cfg, prompt, steps, 1, seed)
    logits, cache = model.prefill(tokens)
    clock = _OpClock()
    total = 0.0
    for _ in range(steps):
        nxt = _next_tokens(logits)
        start = time.perf_counter()
        clock.start()
        logits = model.decode(nxt, cache, tracer=clock)
        total += time.perf_counter() - start
    return DecodeProfile(cfg.name, steps, total, MappingProxyType(dict(clock.seconds)),
                         MappingProxyType(dict(clock.kinds)))


# --------------------------------------------------------------------------- everything

@dataclass(frozen=True, slots=True)
class MeasureSettings:
    """Sizes and repeats of a full measurement (see :data:`QUICK` and :data:`BENCH`).

    The whole set of measurements runs ``rounds`` times and each point keeps its best
    round: a burst of other work on the machine then spoils one round, not the result.
    """

    bandwidth_mib: int
    bandwidth_repeats: int
    gemm_sizes: tuple[int, ...]
    gemv_sizes: tuple[int, ...]
    matmul_repeats: int
    matmul_min_seconds: float
    decode_layers: int
    decode_prompt: int
    decode_steps: int
    decode_repeats: int
    rounds: int = 1


#: A few seconds in all: for the site build and quick looks.
QUICK = MeasureSettings(
    bandwidth_mib=64, bandwidth_repeats=3, gemm_sizes=(64, 128, 256, 512, 1024),
    gemv_sizes=(64, 128, 256, 512, 1024, 2048, 4096), matmul_repeats=3,
    matmul_min_seconds=0.005, decode_layers=2, decode_prompt=8, decode_steps=8,
    decode_repeats=1, rounds=3)
#: Longer and steadier: for ``make bench``.
BENCH = MeasureSettings(
    bandwidth_mib=256, bandwidth_repeats=10, gemm_sizes=(64, 128, 256, 384, 512, 768, 1024,
                                                         1536, 2048),
    gemv_sizes=(64, 128, 256, 512, 1024, 2048, 4096, 8192), matmul_repeats=5,
    matmul_min_seconds=0.05, decode_layers=8, decode_prompt=16, decode_steps=32,
    decode_repeats=2, rounds=3)


@dataclass(frozen=True, slots=True)
class MachineReport:
    """Everything measured on one machine, with the machine's description."""

    machine: MachineInfo
    bandwidth: tuple[BandwidthResult, ...]
    gemm: tuple[MatmulPoint, ...]
    gemv: tuple[MatmulPoint, ...]
    roofline: MachineRoofline
    decode: DecodeResult | None
    settings: MeasureSettings

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every result (see :func:`measure_machine`).

        >>> tiny = MeasureSettings(1, 1, (16,), (16,), 1, 0.0, 1, 2, 2, 1)
        >>> measure_machine(settings=tiny, decode=False).to_dict()["gemm"][0]["flops"]
        8192
        """
        return {
            "machine": self.machine.to_dict(),
            "bandwidth": [r.to_dict() for r in self.bandwidth],
            "gemm": [p.to_dict() for p in self.gemm],
            "gemv": [p.to_dict() for p in self.gemv],
            "roofline": self.roofline.to_dict(),
            "decode": None if self.decode is None else self.decode.to_dict(),
            "settings": {name: getattr(self.settings, name)
                         for name in MeasureSettings.__dataclass_fields__},
        }


def measure_machine(quick: bool = True, decode: bool = True,
                    settings: MeasureSettings | None = None) -> MachineReport:
    """Measure bandwidth, GEMM and GEMV rates, the roofline and (optionally) decode.

    ``quick`` picks :data:`QUICK` (a few seconds) or :data:`BENCH`; ``settings``
    overrides both. Every measurement runs once per round and keeps its fastest round;
    the roofline is built from those.

    >>> tiny = MeasureSettings(1, 1, (32,), (32,), 1, 0.0, 1, 2, 2, 1, rounds=2)
    >>> report = measure_machine(settings=tiny, decode=False)
    >>> sorted(report.to_dict()), report.roofline.ridge_point > 0
    (['bandwidth', 'decode', 'gemm', 'gemv', 'machine', 'roofline', 'settings'], True)
    """
    chosen = settings or (QUICK if quick else BENCH)
    positive_int("rounds", chosen.rounds)
    info = machine_info()
    if decode:
        cfg = decode_probe_config(chosen.decode_layers)
        model, tokens = _decode_model(cfg, chosen.decode_prompt, chosen.decode_steps,
                                      chosen.decode_repeats, seed=0)
    bandwidth: list[BandwidthResult] = []
    gemm: list[MatmulPoint] = []
    gemv: list[MatmulPoint] = []
    decode_runs: list[list[float]] = []
    for _ in range(chosen.rounds):
        bandwidth += measure_bandwidth(chosen.bandwidth_mib, chosen.bandwidth_repeats)
        gemm += measure_matmul("gemm", chosen.gemm_sizes, chosen.matmul_repeats,
                               chosen.matmul_min_seconds)
        gemv += measure_matmul("gemv", chosen.gemv_sizes, chosen.matmul_repeats,
                               chosen.matmul_min_seconds)
        if decode:
            decode_runs += [_time_decode(model, tokens, chosen.decode_steps)
                            for _ in range(chosen.decode_repeats)]
    best_bw = _fastest(bandwidth, lambda r: r.kernel)
    best_gemm = _fastest(gemm, lambda p: p.size)
    roof = machine_roofline(best_bw, best_gemm, info.memory_bytes)
    result = None
    if decode:
        result = _decode_result(cfg, roof, chosen.decode_prompt, min(decode_runs, key=sum),
                                len(decode_runs))
    return MachineReport(info, best_bw, best_gemm, _fastest(gemv, lambda p: p.size), roof,
                         result, chosen)


_Timed = TypeVar("_Timed", BandwidthResult, MatmulPoint)


def _fastest(results: Iterable[_Timed], key: Callable[[_Timed], object]) -> tuple[_Timed, ...]:
    """The fastest result of each key (a kernel, a size), in first-seen order."""
    best: dict[object, _Timed] = {}
    for result in results:
        k = key(result)
        if k not in best or result.seconds < best[k].seconds:
            best[k] = result
    return tuple(best.values())


__all__ = [
    "BENCH", "KERNELS", "QUICK", "BandwidthResult", "DecodeProfile", "DecodeResult",
    "MachineInfo",
    "MachineReport", "MachineRoofline", "MatmulPoint", "MeasureSettings", "best_seconds",
    "decode_bound_seconds", "decode_bytes", "decode_probe_config", "machine_info",
    "machine_roofline", "matmul_shape", "measure_bandwidth", "measure_decode",
    "measure_machine", "profile_decode", "stream_bytes",
]
