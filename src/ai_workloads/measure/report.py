"""Everything at once: bandwidth, GEMM and GEMV rates, the roofline and decode, in rounds.

:func:`measure_machine` runs every measurement of this layer, :data:`QUICK` for the site
build (a few seconds) or :data:`BENCH` for ``make bench``, and returns one
:class:`MachineReport` with the machine's description and a ``to_dict()`` for JSON. The whole
set runs ``rounds`` times and each point keeps its fastest round, so that a burst of other
work on the machine spoils one round, not the result.

>>> tiny = MeasureSettings(1, 1, (16,), (16,), 1, 0.0, 1, 2, 2, 1)
>>> report = measure_machine(settings=tiny, decode=False)
>>> [r.kernel for r in report.bandwidth], [p.size for p in report.gemm], report.decode
(['copy', 'triad', 'dot'], [16], None)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.errors import positive_int
from .bandwidth import BandwidthResult, measure_bandwidth
from .decode import DecodeResult, decode_probe_config, decode_result, prepare_decode, time_decode
from .machine import MachineInfo, machine_info
from .matmul import MatmulPoint, measure_matmul
from .roofline import MachineRoofline, machine_roofline
from .timing import fastest


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
        model, tokens = prepare_decode(cfg, chosen.decode_prompt, chosen.decode_steps,
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
            decode_runs += [time_decode(model, tokens, chosen.decode_steps)
                            for _ in range(chosen.decode_repeats)]
    best_bw = fastest(bandwidth, lambda r: r.kernel)
    best_gemm = fastest(gemm, lambda p: p.size)
    roof = machine_roofline(best_bw, best_gemm, info.memory_bytes)
    result = None
    if decode:
        result = decode_result(cfg, roof, chosen.decode_prompt, min(decode_runs, key=sum),
                               len(decode_runs))
    return MachineReport(info, best_bw, best_gemm, fastest(gemv, lambda p: p.size), roof,
                         result, chosen)
