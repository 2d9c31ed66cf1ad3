"""Tests of the measuring module: sizes, byte counts, intensities and the roofline.

Timed values are only checked to be positive and finite: speed is never asserted.
Expected counts are derived by hand from the array and matrix shapes.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ai_workloads.analysis.roofline import matmul_intensity
from ai_workloads.core.errors import WorkloadError
from ai_workloads.measure import machine as measure
from ai_workloads.measure.machine import (
    BandwidthResult,
    DecodeResult,
    MachineRoofline,
    MatmulPoint,
    MeasureSettings,
)

TINY = MeasureSettings(bandwidth_mib=1, bandwidth_repeats=1, gemm_sizes=(16, 32),
                       gemv_sizes=(16, 32), matmul_repeats=1, matmul_min_seconds=0.0,
                       decode_layers=1, decode_prompt=2, decode_steps=2, decode_repeats=1)


def _positive_finite(value: float) -> bool:
    return math.isfinite(value) and value > 0


# --------------------------------------------------------------------------- timing

def test_best_seconds_runs_a_warmup_then_one_call_per_sample() -> None:
    calls: list[int] = []
    seconds = measure.best_seconds(lambda: calls.append(1), repeats=4, min_seconds=0.0)
    assert len(calls) == 1 + 4
    assert _positive_finite(seconds)


def test_best_seconds_rejects_zero_repeats() -> None:
    with pytest.raises(WorkloadError, match="repeats must be a positive integer"):
        measure.best_seconds(lambda: None, repeats=0)


# --------------------------------------------------------------------------- bandwidth

@pytest.mark.parametrize(("kernel", "arrays"), [("copy", 2), ("triad", 3), ("dot", 2)])
def test_stream_bytes_counts_arrays_read_and_written(kernel: str, arrays: int) -> None:
    # copy reads b, writes a; triad reads b and c, writes a; dot reads a and b.
    assert measure.stream_bytes(kernel, 1_000_000) == arrays * 1_000_000 * 8


def test_stream_bytes_rejects_unknown_kernel() -> None:
    with pytest.raises(WorkloadError, match="unknown bandwidth kernel 'scale'"):
        measure.stream_bytes("scale", 10)


def test_bandwidth_results_are_positive_and_sized_from_the_arrays() -> None:
    results = measure.measure_bandwidth(size_mib=2, repeats=1)
    elements = 2 * 1024 * 1024 // 8  # 2 MiB of float64
    assert [r.kernel for r in results] == ["copy", "triad", "dot"]
    assert [r.elements for r in results] == [elements] * 3
    assert [r.bytes_moved for r in results] == [2 * 2**21, 3 * 2**21, 2 * 2**21]
    for r in results:
        assert _positive_finite(r.seconds)
        assert _positive_finite(r.bandwidth)
        assert r.bandwidth == pytest.approx(r.bytes_moved / r.seconds)


def test_bandwidth_subset_and_bad_sizes() -> None:
    assert [r.kernel for r in measure.measure_bandwidth(1, 1, kernels=["triad"])] == ["triad"]
    with pytest.raises(WorkloadError, match="size_mib must be a positive integer"):
        measure.measure_bandwidth(size_mib=0)
    with pytest.raises(WorkloadError, match="unknown bandwidth kernel"):
        measure.measure_bandwidth(size_mib=1, kernels=["load"])


def test_blocked_triad_computes_b_plus_s_times_c() -> None:
    b = np.arange(10.0)
    c = np.arange(10.0) * 2
    a = np.zeros(10)
    measure._triad(a, b, c, 3.0, block=3)  # blocks that do not divide the length
    np.testing.assert_array_equal(a, b + 3.0 * c)


# --------------------------------------------------------------------------- matmuls

@pytest.mark.parametrize("n", [1, 2, 64, 1000, 2048])
def test_gemm_intensity_is_n_over_6(n: int) -> None:
    # 2n³ FLOPs over 4 bytes · 3 matrices of n² elements.
    point = MatmulPoint("gemm", n, n, n, 1.0, 1)
    assert point.flops == 2 * n**3
    assert point.min_bytes == 12 * n * n
    assert point.intensity == pytest.approx(n / 6)


@pytest.mark.parametrize("n", [1, 2, 64, 1000, 8192])
def test_gemv_intensity_is_about_half_a_flop_per_byte(n: int) -> None:
    # 2n² FLOPs over 4 bytes · (n² matrix + n input + n output).
    point = MatmulPoint("gemv", n, n, 1, 1.0, 1)
    assert point.flops == 2 * n * n
    assert point.min_bytes == 4 * (n * n + 2 * n)
    assert point.intensity == pytest.approx(n / (2 * (n + 2)))


@given(st.integers(1, 5000), st.integers(1, 5000), st.integers(1, 5000))
def test_intensity_agrees_with_the_roofline_module(m: int, k: int, n: int) -> None:
    point = MatmulPoint("gemm", m, k, n, 1.0, 1)
    assert point.intensity == pytest.approx(matmul_intensity(m, k, n, "fp32"))


def test_measured_matmuls_have_the_requested_shapes_and_positive_rates() -> None:
    gemm = measure.measure_matmul("gemm", [8, 24], repeats=1, min_seconds=0.0)
    gemv = measure.measure_matmul("gemv", [8, 24], repeats=1, min_seconds=0.0)
    assert [(p.m, p.k, p.n) for p in gemm] == [(8, 8, 8), (24, 24, 24)]
    assert [(p.m, p.k, p.n) for p in gemv] == [(8, 8, 1), (24, 24, 1)]
    for p in (*gemm, *gemv):
        assert _positive_finite(p.seconds)
        assert p.flop_rate == pytest.approx(p.flops / p.seconds)


def test_matmul_shape_rejects_bad_input() -> None:
    with pytest.raises(WorkloadError, match="unknown matmul kind 'gemm3'"):
        measure.matmul_shape("gemm3", 8)
    with pytest.raises(WorkloadError, match="size must be a positive integer"):
        measure.measure_matmul("gemm", [0])


# --------------------------------------------------------------------------- roofline

@given(st.floats(1e6, 1e15), st.floats(1e6, 1e13), st.floats(1e-3, 1e5))
def test_attainable_is_min_of_peak_and_intensity_times_bandwidth(
        peak: float, bandwidth: float, intensity: float) -> None:
    roof = MachineRoofline(peak, bandwidth, 2**30)
    assert roof.attainable(intensity) == min(peak, intensity * bandwidth)


def test_roofline_on_arrays_and_at_the_ridge() -> None:
    roof = MachineRoofline(peak_flops=200e9, bandwidth=40e9, memory_bytes=2**34)
    assert roof.ridge_point == 5.0
    np.testing.assert_allclose(roof.attainable(np.array([0.5, 5.0, 50.0])),
                               [20e9, 200e9, 200e9])


def test_machine_roofline_takes_the_best_bandwidth_and_gemm() -> None:
    bw = [BandwidthResult("copy", 10, 160, 1e-8, 1),    # 16 GB/s
          BandwidthResult("triad", 10, 240, 1e-8, 1),   # 24 GB/s
          BandwidthResult("dot", 10, 160, 2e-8, 1)]     # 8 GB/s
    mm = [MatmulPoint("gemm", 100, 100, 100, 1e-3, 1),     # 2e6 FLOPs: 2 GFLOP/s
          MatmulPoint("gemm", 200, 200, 200, 2e-3, 1)]     # 1.6e7 FLOPs: 8 GFLOP/s
    roof = measure.machine_roofline(bw, mm, memory_bytes=2**30)
    assert roof.bandwidth == pytest.approx(24e9)
    assert roof.peak_flops == pytest.approx(8e9)
    assert (roof.bandwidth_from, roof.peak_from) == ("triad", "gemm n=200")


def test_roofline_rejects_empty_or_bad_inputs() -> None:
    with pytest.raises(WorkloadError, match="at least one bandwidth result"):
        measure.machine_roofline([], [MatmulPoint("gemm", 2, 2, 2, 1.0, 1)])
    with pytest.raises(WorkloadError, match="bandwidth must be a positive number"):
        MachineRoofline(1e9, 0.0, 1)
    with pytest.raises(WorkloadError, match="peak_flops must be a positive number"):
        MachineRoofline(math.nan, 1e9, 1)


# --------------------------------------------------------------------------- decode

def test_probe_config_parameters_by_hand() -> None:
    cfg = measure.decode_probe_config(4)
    d, f, v, kv = 768, 2048, 32_000, 4 * 64
    per_layer = 2 * d + 2 * d * d + 2 * d * kv + 3 * d * f  # norms, q, o, k, v, MLP
    params = v * d + 4 * per_layer + d                     # tied embedding, final norm
    from ai_workloads.analysis.params import param_counts

    assert param_counts(cfg).total == params
    assert params * 4 > 64 * 2**20  # fp32 weights far beyond a CPU's last-level cache


def test_decode_bound_sums_weights_and_growing_kv_over_bandwidth() -> None:
    cfg = measure.decode_probe_config(1)
    params = 32_000 * 768 + (2 * 768 + 2 * 768 * 768 + 2 * 768 * 256 + 3 * 768 * 2048) + 768
    kv_per_token = 2 * 1 * 256 * 4            # key and value, 1 layer, K·H = 256, fp32
    roof = MachineRoofline(peak_flops=1e15, bandwidth=1e10, memory_bytes=2**30)
    prompt, steps = 10, 3
    moved = steps * 4 * params + kv_per_token * sum(prompt + i + 1 for i in range(steps))
    expected = moved / 1e10
    assert measure.decode_bound_seconds(cfg, roof, prompt, steps) == pytest.approx(expected)
    assert sum(measure.decode_bytes(cfg, prompt + i + 1) for i in range(steps)) == moved


def test_decode_result_figures() -> None:
    res = DecodeResult("m", 10, 4, steps=20, seconds=2.0, bound_seconds=1.5, flops=6000,
                       bytes_read=3000, bandwidth=1e9, step_seconds=(0.1,) * 20)
    assert res.tokens_per_s == 10.0
    assert res.bound_tokens_per_s == pytest.approx(20 / 1.5)
    assert res.fraction == 0.75
    assert res.intensity == 2.0
    assert res.flop_rate == 3000.0
    assert res.achieved_bandwidth == 1500.0
    assert json.loads(json.dumps(res.to_dict()))["fraction"] == 0.75


def test_measure_decode_on_a_tiny_model() -> None:
    tiny = measure.decode_probe_config(1).replace(
        d_model=32, n_heads=4, n_kv_heads=2, head_dim=8, d_ff=64, vocab_size=97)
    roof = MachineRoofline(1e10, 1e9, 2**30)
    res = measure.measure_decode(roof, tiny, prompt=3, steps=4, repeats=2)
    assert (res.steps, res.prompt, len(res.step_seconds)) == (4, 3, 4)
    assert _positive_finite(res.tokens_per_s)
    assert _positive_finite(res.fraction)
    assert res.seconds == pytest.approx(sum(res.step_seconds))


def test_profile_decode_charges_every_matmul_of_the_step() -> None:
    tiny = measure.decode_probe_config(2).replace(
        d_model=32, n_heads=4, n_kv_heads=2, head_dim=8, d_ff=64, vocab_size=97)
    prof = measure.profile_decode(tiny, prompt=3, steps=2)
    matmuls = {name for name, kind in prof.op_kinds.items() if kind == "matmul"}
    assert matmuls == {"q", "k", "v", "scores", "attn_v", "o", "gate", "up", "down",
                       "lm_head"}
    assert all(seconds >= 0 for seconds in prof.op_seconds.values())
    assert sum(prof.op_seconds.values()) <= prof.seconds
    assert 0 < prof.matmul_share <= 1
    assert list(prof.shares().values()) == sorted(prof.shares().values(), reverse=True)


def test_decode_profile_shares_by_hand() -> None:
    prof = measure.DecodeProfile("m", 2, 10.0, {"up": 4.0, "norm": 1.0, "q": 5.0},
                                 {"up": "matmul", "norm": "reduction", "q": "matmul"})
    assert prof.shares() == {"q": 0.5, "up": 0.4, "norm": 0.1}
    assert prof.matmul_share == pytest.approx(0.9)


def test_measure_decode_rejects_bad_input() -> None:
    roof = MachineRoofline(1e10, 1e9, 2**30)
    short = measure.decode_probe_config(1).replace(max_position=8)
    with pytest.raises(WorkloadError, match="exceeds"):
        measure.measure_decode(roof, short, prompt=4, steps=8)
    with pytest.raises(WorkloadError, match="steps must be a positive integer"):
        measure.measure_decode(roof, short, prompt=4, steps=0)
    moe = short.replace(n_experts=4, experts_per_token=2)
    with pytest.raises(WorkloadError, match="mixture of experts"):
        measure.measure_decode(roof, moe, prompt=2, steps=2)


# --------------------------------------------------------------------------- everything

def test_machine_info_describes_this_machine() -> None:
    info = measure.machine_info()
    assert info.cores >= 1
    assert info.numpy == np.__version__
    assert info.cpu
    assert info.blas
    assert all(key.startswith(measure.BLAS_ENV_PREFIXES) for key in info.blas_env)


def test_measure_machine_report_is_json_and_finite() -> None:
    report = measure.measure_machine(settings=TINY, decode=False)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["decode"] is None
    assert [p["n"] for p in data["gemv"]] == [1, 1]
    assert [p["m"] for p in data["gemm"]] == [16, 32]
    assert _positive_finite(data["roofline"]["ridge_point"])
    assert data["settings"]["gemm_sizes"] == [16, 32]
    best_gemm = max(p["flop_per_s"] for p in data["gemm"])
    assert data["roofline"]["peak_flop_per_s"] == best_gemm


def test_rounds_keep_one_fastest_result_per_kernel_and_size() -> None:
    settings = dataclasses.replace(TINY, rounds=3, decode_steps=3)
    report = measure.measure_machine(settings=settings)
    assert [r.kernel for r in report.bandwidth] == ["copy", "triad", "dot"]
    assert [p.size for p in report.gemm] == [16, 32]
    assert report.decode is not None
    assert (report.decode.steps, report.decode.repeats) == (3, 3)  # 1 repeat in each round


def test_fastest_picks_the_smallest_time() -> None:
    runs = [MatmulPoint("gemm", 8, 8, 8, 3.0, 1), MatmulPoint("gemm", 16, 16, 16, 5.0, 1),
            MatmulPoint("gemm", 8, 8, 8, 1.0, 1), MatmulPoint("gemm", 16, 16, 16, 7.0, 1)]
    assert [(p.size, p.seconds) for p in measure._fastest(runs, lambda p: p.size)] == [
        (8, 1.0), (16, 5.0)]


def test_quick_settings_stay_small() -> None:
    # The site build runs the quick settings: sizes, not times, keep it fast.
    quick = measure.QUICK
    assert quick.bandwidth_mib <= 64
    assert max(quick.gemm_sizes) <= 1024
    assert quick.decode_layers * quick.decode_steps <= 32
