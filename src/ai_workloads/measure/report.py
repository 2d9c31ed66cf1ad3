"""Everything at once: bandwidth, GEMM and GEMV rates, the roofline and decode, in rounds.

:func:`measure_machine` runs every measurement of this layer, :data:`QUICK` for the site
build (a few seconds) or :data:`BENCH` for ``make bench``, and returns one
:class:`MachineReport` with the machine's description and a ``to_dict()`` for JSON
(:meth:`MachineReport.from_dict` reads it back). Every measurement takes its samples in
``rounds`` rounds, each round going through all its kernels or sizes in turn, so that a
burst of other work on the machine lands in a few samples of many measurements, and each
one's median outvotes it; the quartiles show how much the samples spread.

>>> tiny = MeasureSettings(1, 1, (16,), (16,), 1, 0.0, 1, 2, 2, 1, bandwidth_cache_multiple=0)
>>> report = measure_machine(settings=tiny, decode=False)
>>> [r.kernel for r in report.bandwidth], [p.size for p in report.gemm], report.decode
(['copy', 'scale', 'add', 'triad'], [16], None)
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib.metadata
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.errors import WorkloadError, positive_int
from .bandwidth import BandwidthResult, measure_bandwidth, stream_array_mib
from .decode import (
    DecodeResult,
    decode_probe_config,
    decode_result,
    median_run,
    prepare_decode,
    time_decode,
)
from .machine import MachineInfo, machine_info
from .matmul import MatmulPoint, measure_matmul
from .roofline import MachineRoofline, machine_roofline

#: The kernel also run on a single thread, to show what one core alone draws from memory.
ONE_THREAD_KERNEL = "triad"


@dataclass(frozen=True, slots=True)
class MeasureSettings:
    """Sizes and repeats of a full measurement (see :data:`QUICK` and :data:`BENCH`).

    Every one of ``rounds`` rounds takes ``bandwidth_repeats`` samples of each STREAM
    kernel over arrays of at least ``bandwidth_mib`` MiB, grown to
    ``bandwidth_cache_multiple`` times the machine's last-level cache (0: not grown; see
    :func:`~ai_workloads.measure.bandwidth.stream_array_mib`), ``matmul_repeats``
    samples (each at least ``matmul_min_seconds`` long) of each GEMM and GEMV, and
    ``decode_repeats`` decode runs of ``decode_steps`` steps after a
    ``decode_prompt``-token prompt, through a reference model of ``decode_layers`` layers.
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
    bandwidth_cache_multiple: int = 4

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict.

        >>> QUICK.to_dict()["rounds"] == QUICK.rounds
        True
        """
        return {name: (list(value) if isinstance(value, tuple) else value)
                for name, value in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MeasureSettings:
        """The settings that :meth:`to_dict` wrote.

        >>> MeasureSettings.from_dict(BENCH.to_dict()) == BENCH
        True
        """
        return cls(
            bandwidth_mib=int(data["bandwidth_mib"]),
            bandwidth_repeats=int(data["bandwidth_repeats"]),
            gemm_sizes=tuple(int(n) for n in data["gemm_sizes"]),
            gemv_sizes=tuple(int(n) for n in data["gemv_sizes"]),
            matmul_repeats=int(data["matmul_repeats"]),
            matmul_min_seconds=float(data["matmul_min_seconds"]),
            decode_layers=int(data["decode_layers"]), decode_prompt=int(data["decode_prompt"]),
            decode_steps=int(data["decode_steps"]), decode_repeats=int(data["decode_repeats"]),
            rounds=int(data["rounds"]),
            bandwidth_cache_multiple=int(data.get("bandwidth_cache_multiple", 4)))


#: A few seconds in all: for the site build and quick looks.
QUICK = MeasureSettings(
    bandwidth_mib=64, bandwidth_repeats=2, gemm_sizes=(64, 128, 256, 512, 1024),
    gemv_sizes=(64, 256, 1024, 2048, 4096, 8192), matmul_repeats=2,
    matmul_min_seconds=0.002, decode_layers=2, decode_prompt=8, decode_steps=6,
    decode_repeats=1, rounds=3)
#: Longer and steadier: for ``make bench``.
BENCH = MeasureSettings(
    bandwidth_mib=256, bandwidth_repeats=10, gemm_sizes=(64, 128, 256, 512, 1024, 2048,
                                                         3072, 4096),
    gemv_sizes=(64, 256, 1024, 2048, 4096, 8192, 16384), matmul_repeats=5,
    matmul_min_seconds=0.05, decode_layers=8, decode_prompt=16, decode_steps=32,
    decode_repeats=2, rounds=3)


@dataclass(frozen=True, slots=True)
class MachineReport:
    """Everything measured on one machine, with the machine's description.

    ``one_thread`` is :data:`ONE_THREAD_KERNEL` on a single thread; ``measured_at`` is
    when the measurement began (UTC, ISO 8601) and ``package_version`` the version of
    this package that measured. The machine's ``load_average`` is the one-minute load
    average when the measurement began, ``load_average_after`` the one when it ended (the
    measurement's own threads raise it a little).
    """

    machine: MachineInfo
    bandwidth: tuple[BandwidthResult, ...]
    one_thread: tuple[BandwidthResult, ...]
    gemm: tuple[MatmulPoint, ...]
    gemv: tuple[MatmulPoint, ...]
    roofline: MachineRoofline
    decode: DecodeResult | None
    settings: MeasureSettings
    measured_at: str = ""
    package_version: str = ""
    load_average_after: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every result and sample (see :func:`measure_machine`).

        >>> tiny = MeasureSettings(1, 1, (16,), (16,), 1, 0.0, 1, 2, 2, 1, 1, 0)
        >>> measure_machine(settings=tiny, decode=False).to_dict()["gemm"][0]["flops"]
        8192
        """
        return {
            "measured_at": self.measured_at,
            "package_version": self.package_version,
            "load_average_after": self.load_average_after,
            "machine": self.machine.to_dict(),
            "settings": self.settings.to_dict(),
            "bandwidth": [r.to_dict() for r in self.bandwidth],
            "one_thread": [r.to_dict() for r in self.one_thread],
            "gemm": [p.to_dict() for p in self.gemm],
            "gemv": [p.to_dict() for p in self.gemv],
            "roofline": self.roofline.to_dict(),
            "decode": None if self.decode is None else self.decode.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MachineReport:
        """The report that :meth:`to_dict` wrote; the roofline is rebuilt from the samples.

        >>> tiny = MeasureSettings(1, 1, (16,), (16,), 1, 0.0, 1, 2, 2, 1, 1, 0)
        >>> report = measure_machine(settings=tiny)
        >>> MachineReport.from_dict(report.to_dict()) == report
        True
        """
        try:
            machine = MachineInfo.from_dict(data["machine"])
            bandwidth = tuple(BandwidthResult.from_dict(r) for r in data["bandwidth"])
            gemm = tuple(MatmulPoint.from_dict(p) for p in data["gemm"])
            decode = data.get("decode")
            return cls(
                machine=machine, bandwidth=bandwidth,
                one_thread=tuple(BandwidthResult.from_dict(r)
                                 for r in data.get("one_thread", ())),
                gemm=gemm, gemv=tuple(MatmulPoint.from_dict(p) for p in data["gemv"]),
                roofline=machine_roofline(bandwidth, gemm, machine.memory_bytes),
                decode=None if decode is None else DecodeResult.from_dict(decode),
                settings=MeasureSettings.from_dict(data["settings"]),
                measured_at=str(data.get("measured_at", "")),
                package_version=str(data.get("package_version", "")),
                load_average_after=float(data.get("load_average_after", 0.0)))
        except (KeyError, TypeError, ValueError) as error:
            raise WorkloadError(f"not a measurement report: {error!r}") from None


def _package_version() -> str:
    try:
        return importlib.metadata.version("ai-workloads")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def measure_machine(quick: bool = True, decode: bool = True,
                    settings: MeasureSettings | None = None) -> MachineReport:
    """Measure bandwidth, GEMM and GEMV rates, the roofline and (optionally) decode.

    ``quick`` picks :data:`QUICK` (a few seconds) or :data:`BENCH`; ``settings``
    overrides both. The roofline is built from the medians
    (:func:`~ai_workloads.measure.roofline.machine_roofline`), and decode keeps the run of
    median length.

    >>> tiny = MeasureSettings(1, 1, (32,), (32,), 1, 0.0, 1, 2, 2, 1, rounds=2,
    ...                        bandwidth_cache_multiple=0)
    >>> report = measure_machine(settings=tiny, decode=False)
    >>> sorted(report.to_dict())[:4], report.roofline.ridge_point > 0
    (['bandwidth', 'decode', 'gemm', 'gemv'], True)
    >>> [r.spread.count for r in report.bandwidth]   # 1 sample a round, 2 rounds
    [2, 2, 2, 2]
    >>> [(r.kernel, r.threads) for r in report.one_thread] == (
    ...     [("triad", 1)] if report.bandwidth[0].threads > 1 else [])
    True
    """
    chosen = settings or (QUICK if quick else BENCH)
    positive_int("rounds", chosen.rounds)
    started = datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()
    info = machine_info()
    if decode:
        cfg = decode_probe_config(chosen.decode_layers)
        model, tokens = prepare_decode(cfg, chosen.decode_prompt, chosen.decode_steps,
                                       chosen.decode_repeats, seed=0)
    array_mib = stream_array_mib(chosen.bandwidth_mib, info.last_level_cache_bytes,
                                 chosen.bandwidth_cache_multiple, info.memory_bytes)
    streams = measure_bandwidth(array_mib, chosen.bandwidth_repeats * chosen.rounds,
                                one_thread=(ONE_THREAD_KERNEL,))
    threads = max(r.threads for r in streams)
    bandwidth = tuple(r for r in streams if r.threads == threads)
    one_thread = tuple(r for r in streams if r.threads == 1 and threads > 1)
    gemm = measure_matmul("gemm", chosen.gemm_sizes, chosen.matmul_repeats,
                          chosen.matmul_min_seconds, chosen.rounds)
    gemv = measure_matmul("gemv", chosen.gemv_sizes, chosen.matmul_repeats,
                          chosen.matmul_min_seconds, chosen.rounds)
    roof = machine_roofline(bandwidth, gemm, info.memory_bytes)
    result = None
    if decode:
        runs = [time_decode(model, tokens, chosen.decode_steps)
                for _ in range(chosen.decode_repeats * chosen.rounds)]
        result = decode_result(cfg, roof, chosen.decode_prompt, median_run(runs),
                               len(runs), tuple(sum(run) for run in runs))
    after = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return MachineReport(info, bandwidth, one_thread, gemm, gemv, roof, result, chosen,
                         started, _package_version(), after)
