"""Matmul intensity, rooflines, decode rates and serving throughput against closed forms
written out from Llama 2's config.json files and the H100 SXM spec sheet."""

from __future__ import annotations

import math

import pytest

from ai_workloads.analysis.serving import (
    decode_rates,
    longest_compute_bound_context,
    matmul_cost,
    prefill_intensity,
    roofline_curve,
    throughput_curve,
    workload_point,
)
from ai_workloads.catalog import get_accelerator, get_model
from ai_workloads.core.errors import WorkloadError

# Spec-sheet figures of the H100 SXM (dense bf16, bandwidth, memory) and the shapes of
# Llama 2 (config.json) with their checkpoints' parameter counts.
H100_PEAK = 989.4e12
H100_BW = 3.35e12
H100_BYTES = 81559 * 2**20     # usable: nvidia-smi's total (nominal: five 16 GiB stacks)
LLAMA2_7B = {"D": 4096, "L": 32, "N": 32, "K": 32, "H": 128, "F": 11008, "V": 32000,
             "params": 6_738_415_616}
LLAMA2_70B = {"D": 8192, "L": 80, "N": 64, "K": 8, "H": 128, "F": 28672, "V": 32000,
              "params": 68_976_648_192}


def kv_bytes_by_hand(m: dict[str, int], context: int) -> int:
    """K and V of ``K·H`` values per layer, 2 bytes each."""
    return 2 * m["L"] * m["K"] * m["H"] * context * 2


def dense_flops_by_hand(m: dict[str, int]) -> int:
    """Matmul FLOPs of one token through a Llama block stack and LM head (no attention core)."""
    d, kv = m["D"], m["K"] * m["H"]
    per_layer = 2 * d * d + 2 * 2 * d * kv + 2 * d * d + 3 * 2 * d * m["F"]
    return m["L"] * per_layer + 2 * d * m["V"]


def decode_flops_by_hand(m: dict[str, int], context: int) -> int:
    """One token attending ``context`` keys: dense part plus scores and A·V in every layer."""
    return dense_flops_by_hand(m) + m["L"] * 2 * (2 * m["N"] * m["H"] * context)


@pytest.mark.parametrize("batch", [1, 8, 32, 256])
def test_decode_matmul_intensity_closed_form(batch: int) -> None:
    d = LLAMA2_70B["D"]
    cost = matmul_cost(batch, d, d, "fp16")
    assert cost.flops == 2 * batch * d * d
    assert cost.bytes == 2 * (batch * d + d * d + batch * d)
    # 2BD² / (2D² + 4BD) = B / (1 + 2B/D): about B, not 2B
    assert cost.intensity == pytest.approx(batch / (1 + 2 * batch / d), rel=1e-12)


def test_int4_weights_are_half_a_byte() -> None:
    cost = matmul_cost(3, 5, 7, "int4")
    assert cost.bytes == math.ceil((15 + 35 + 21) / 2)


@pytest.mark.parametrize(("m", "k", "n"), [(0, 1, 1), (1, -1, 1), (1, 1, 0)])
def test_matmul_cost_rejects_bad_shapes(m: int, k: int, n: int) -> None:
    with pytest.raises(WorkloadError):
        matmul_cost(m, k, n)


def test_workload_points_on_both_roofs() -> None:
    h100 = get_accelerator("h100-sxm")
    low = workload_point("decode", 1.0, h100)
    assert low.attainable == pytest.approx(H100_BW)
    assert low.bound == "memory"
    assert low.share_of_peak == pytest.approx(H100_BW / H100_PEAK)
    high = workload_point("gemm", 1e4, h100)
    assert (high.attainable, high.bound, high.share_of_peak) == (H100_PEAK, "compute", 1.0)
    with pytest.raises(WorkloadError):
        workload_point("bad", 0.0, h100)


def test_prefill_intensity_by_hand() -> None:
    m, tokens = LLAMA2_7B, 2048
    flops = tokens * dense_flops_by_hand(m) + m["L"] * 2 * (2 * m["N"] * m["H"] * tokens**2)
    moved = 2 * m["params"] + kv_bytes_by_hand(m, tokens)
    assert prefill_intensity(get_model("llama-2-7b"), tokens) == pytest.approx(flops / moved,
                                                                               rel=1e-12)


def test_roofline_curve_by_hand() -> None:
    curve = roofline_curve(get_accelerator("h100-sxm"), low=0.1, high=1000.0, points=5)
    assert curve.intensity.tolist() == pytest.approx([0.1, 1.0, 10.0, 100.0, 1000.0])
    expected = [min(H100_PEAK, i * H100_BW) for i in (0.1, 1.0, 10.0, 100.0, 1000.0)]
    assert curve.attainable.tolist() == pytest.approx(expected)
    assert curve.ridge == pytest.approx(H100_PEAK / H100_BW)
    with pytest.raises(WorkloadError):
        roofline_curve(get_accelerator("h100-sxm"), low=10.0, high=1.0)
    with pytest.raises(WorkloadError):
        roofline_curve(get_accelerator("h100-sxm"), points=1)


def test_decode_rates_by_hand() -> None:
    h100 = get_accelerator("h100-sxm")
    rates = decode_rates([get_model("llama-2-7b"), get_model("llama-2-70b")], h100, 2048)
    for rate, m in zip(rates, (LLAMA2_7B, LLAMA2_70B), strict=True):
        seconds = (2 * m["params"] + kv_bytes_by_hand(m, 2048)) / H100_BW
        assert rate.tokens_per_s == pytest.approx(1 / seconds, rel=1e-12)
        assert rate.ms_per_token == pytest.approx(1e3 * seconds, rel=1e-12)
        assert rate.params == m["params"]
    assert [r.fits for r in rates] == [True, False]   # 138 GB of 70B weights > 85.5 GB
    # bigger model, fewer tokens per second: higher latency per user
    assert rates[1].ms_per_token > rates[0].ms_per_token


def test_throughput_curve_llama2_70b_two_h100() -> None:
    m, context, devices = LLAMA2_70B, 2048, 2
    batches = [1, 8, 32, 49, 50, 1024]
    curve = throughput_curve(get_model("llama-2-70b"), get_accelerator("h100-sxm"), context,
                             batches, n_devices=devices)
    weights, kv = 2 * m["params"], kv_bytes_by_hand(m, context)
    assert curve.max_batch == (devices * H100_BYTES - weights) // kv == 49
    assert curve.fits.tolist() == [b <= 49 for b in batches]
    assert curve.fit_basis == "usable"
    flops = decode_flops_by_hand(m, context)
    for i, b in enumerate(batches):
        step = max((weights + b * kv) / (devices * H100_BW), b * flops / (devices * H100_PEAK))
        assert curve.tokens_per_s[i] == pytest.approx(b / step, rel=1e-12)
        assert curve.kv_bytes[i] == b * kv
    assert curve.memory_bound.all()
    # per sequence, KV bytes outweigh the FLOPs at the ridge: no batch is compute-bound
    assert flops / kv < H100_PEAK / H100_BW
    assert curve.critical_batch is None
    assert curve.intensity_limit == pytest.approx(flops / kv, rel=1e-12)
    assert curve.compute_ceiling == pytest.approx(devices * H100_PEAK / flops, rel=1e-12)
    assert curve.kv_ceiling == pytest.approx(devices * H100_BW / kv, rel=1e-12)
    assert curve.tokens_per_s.max() < curve.kv_ceiling
    assert curve.ms_per_token[0] == pytest.approx(1e3 / curve.tokens_per_s[0], rel=1e-12)
    assert curve.at(50) == 4
    with pytest.raises(WorkloadError):
        curve.at(2)


def test_critical_batch_at_short_context_by_hand() -> None:
    m, context = LLAMA2_70B, 128
    curve = throughput_curve(get_model("llama-2-70b"), get_accelerator("h100-sxm"), context,
                             [1], n_devices=2)
    weights_time = 2 * m["params"] / H100_BW
    per_seq = decode_flops_by_hand(m, context) / H100_PEAK - kv_bytes_by_hand(m, context) / H100_BW
    assert curve.critical_batch == math.ceil(weights_time / per_seq)


def test_longest_compute_bound_context_by_hand() -> None:
    m = LLAMA2_70B
    kv_per_token = 2 * m["L"] * m["K"] * m["H"] * 2
    per_key = 2 * 2 * m["N"] * m["H"] * m["L"]
    limit = dense_flops_by_hand(m) / (kv_per_token * H100_PEAK / H100_BW - per_key)
    got = longest_compute_bound_context(get_model("llama-2-70b"), get_accelerator("h100-sxm"))
    assert got == math.floor(limit)
    assert got < limit < got + 1


def test_throughput_curve_rejects_moe() -> None:
    with pytest.raises(WorkloadError):
        throughput_curve(get_model("mixtral-8x7b"), get_accelerator("h100-sxm"), 2048, [1])
    with pytest.raises(WorkloadError):
        longest_compute_bound_context(get_model("mixtral-8x7b"), get_accelerator("h100-sxm"))


def test_throughput_curve_with_fp8_kv_cache() -> None:
    m, context = LLAMA2_70B, 2048
    curve = throughput_curve(get_model("llama-2-70b"), get_accelerator("h100-sxm"), context,
                             [1, 64], n_devices=2, kv_dtype="fp8")
    kv = kv_bytes_by_hand(m, context) // 2          # one byte per cached value
    assert curve.max_batch == (2 * H100_BYTES - 2 * m["params"]) // kv
    assert curve.intensity_limit == pytest.approx(decode_flops_by_hand(m, context) / kv)
    # the intensity limit now exceeds the ridge point, so a critical batch exists
    assert curve.intensity_limit > H100_PEAK / H100_BW
    assert curve.critical_batch is not None
    assert curve.critical_batch > curve.max_batch

