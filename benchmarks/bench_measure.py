"""This machine: memory bandwidth, GEMM and GEMV FLOP/s, its roofline, reference decode speed.

Prints a report and returns the figures (``run()``), for ``benchmarks/run.py``. Every rate
is the median of its samples, with the first and third quartiles in brackets. Bandwidth is
STREAM's four kernels on one thread per core, bytes counted with write-allocate (see
:mod:`ai_workloads.measure.bandwidth`).
"""

from __future__ import annotations

from typing import Any

from ai_workloads.measure.decode import decode_probe_config
from ai_workloads.measure.decode_profile import DecodeProfile, profile_decode
from ai_workloads.measure.matmul import MatmulPoint
from ai_workloads.measure.report import MachineReport, measure_machine
from ai_workloads.measure.roofline import MachineRoofline
from ai_workloads.measure.timing import Spread

#: Ops shown in the decode profile (the rest are summed as "other").
PROFILE_TOP = 8


def _giga(spread: Spread) -> str:
    g = spread.scaled(1e-9)
    return f"{g.median:8.1f} [{g.low:.1f}, {g.high:.1f}]"


def _matmul_rows(points: tuple[MatmulPoint, ...], roof: MachineRoofline) -> list[str]:
    return [f"  {p.kind:4}  n={p.size:5d}  {_giga(p.spread)} GFLOP/s  "
            f"I={p.intensity:7.2f} FLOP/B  {roof.share(p.intensity, p.flop_rate):6.0%} "
            "of roofline" for p in points]


def report(result: MachineReport) -> str:
    """The human-readable report of one measurement."""
    m, roof = result.machine, result.roofline
    lines = [f"machine: {m.cpu}, {m.cores} cores, {m.memory_bytes / 2**30:.1f} GiB, "
             f"NumPy {m.numpy} with {m.blas}"]
    if m.blas_env:
        lines.append("BLAS environment: " + ", ".join(f"{k}={v}" for k, v in m.blas_env.items()))
    lines.append(f"load average {m.load_average:.2f} when the measurement began")
    array_mib = result.bandwidth[0].elements * 8 // 2**20
    lines.append(f"memory bandwidth (STREAM, {array_mib} MiB float64 arrays, "
                 "write-allocate counted; median [quartiles]):")
    lines += [f"  {r.kernel:5}  {r.threads:2d} thread{'s' if r.threads > 1 else ' '}  "
              f"{_giga(r.spread)} GB/s  "
              f"({r.bytes_moved / 2**20:.0f} MiB moved per pass, {r.spread.count} samples)"
              for r in (*result.bandwidth, *result.one_thread)]
    lines.append(f"roofline: peak {roof.peak_flops / 1e9:.1f} GFLOP/s fp32 ({roof.peak_from}), "
                 f"bandwidth {roof.bandwidth / 1e9:.1f} GB/s ({roof.bandwidth_from}), "
                 f"ridge {roof.ridge_point:.2f} FLOP/byte")
    lines.append("matmuls (fp32):")
    lines += _matmul_rows(result.gemm, roof)
    lines += _matmul_rows(result.gemv, roof)
    d = result.decode
    if d is not None:
        lines.append(
            f"reference decode, {d.model} ({d.params / 1e6:.1f}M params, "
            f"{d.bytes_per_step / 1e6:.0f} MB fp32 read per step), batch 1, "
            f"{d.steps} steps after a {d.prompt}-token prompt:")
        t = d.tokens_spread
        lines.append(f"  measured {t.median:.1f} [{t.low:.1f}, {t.high:.1f}] tokens/s over "
                     f"{t.count} runs; bandwidth bound "
                     f"{d.bound_tokens_per_s:.1f} tokens/s; the median run achieved "
                     f"{d.fraction:.0%} of the bound "
                     f"({d.achieved_bandwidth / 1e9:.1f} GB/s)")
    return "\n".join(lines)


def profile_report(prof: DecodeProfile) -> str:
    """Where a decode step's time goes, largest share first."""
    shares = prof.shares()
    shown = list(shares.items())[:PROFILE_TOP]
    rest = 1.0 - sum(share for _, share in shown)
    lines = [f"decode profile ({prof.steps} steps, {1e3 * prof.seconds / prof.steps:.2f} ms per "
             f"step with the op clock; matmuls {prof.matmul_share:.0%} of the time):"]
    lines += [f"  {name:8} {prof.op_kinds[name]:11} {share:6.1%}" for name, share in shown]
    lines.append(f"  {'other':8} {'':11} {rest:6.1%}")
    return "\n".join(lines)


def figures(result: MachineReport) -> dict[str, Any]:
    """The headline figures, then every measurement in full."""
    roof = result.roofline
    best_gemv = max(result.gemv, key=lambda p: p.flop_rate)
    out: dict[str, Any] = {
        **{f"bandwidth_{r.kernel}_gb_s": r.bandwidth / 1e9 for r in result.bandwidth},
        **{f"bandwidth_{r.kernel}_one_thread_gb_s": r.bandwidth / 1e9
           for r in result.one_thread},
        "memory_roof_gb_s": roof.bandwidth / 1e9,
        "memory_roof_from": roof.bandwidth_from,
        "compute_roof_gflop_s": roof.peak_flops / 1e9,
        "compute_roof_from": roof.peak_from,
        "gemv_best_gflop_s": best_gemv.flop_rate / 1e9,
        "gemv_best_n": best_gemv.size,
        "gemm_gflop_s_by_n": {str(p.size): p.flop_rate / 1e9 for p in result.gemm},
        "gemv_gflop_s_by_n": {str(p.size): p.flop_rate / 1e9 for p in result.gemv},
        "ridge_point_flop_per_byte": roof.ridge_point,
    }
    if result.decode is not None:
        out["decode_tokens_per_s"] = result.decode.tokens_per_s
        out["decode_bound_tokens_per_s"] = result.decode.bound_tokens_per_s
        out["decode_fraction_of_bound"] = result.decode.fraction
    out["full"] = result.to_dict()
    return out


def run() -> dict[str, Any]:
    """Measure in bench mode (longer, steadier than the site's quick mode) and report.

    A reference run for the site is written by ``python -m ai_workloads.measure.reference_run``.
    """
    result = measure_machine(quick=False)
    print(report(result))
    out = figures(result)
    prof = profile_decode(decode_probe_config(result.settings.decode_layers))
    print(profile_report(prof))
    out["decode_matmul_share"] = prof.matmul_share
    out["decode_profile"] = prof.to_dict()
    return out


if __name__ == "__main__":
    run()
