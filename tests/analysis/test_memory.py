"""Tests of memory: values against hand derivations and independent sources."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from ai_workloads.analysis.memory import (
    devices_needed,
    expert_weight_bytes,
    fits,
    kv_cache_bytes,
    kv_scale_bytes,
    max_batch,
    serving_memory,
    weight_bytes,
)
from ai_workloads.analysis.roofline import (
    decode_step,
    moe_weight_bytes_read,
)
from ai_workloads.analysis.sweep import decode_grid
from ai_workloads.catalog import get_accelerator, get_model
from ai_workloads.core.errors import WorkloadError


def test_kv_cache_llama2_70b_gqa() -> None:
    # 2 (K and V) · 80 layers · 8 KV heads · 128 · 32,768 tokens · 2 bytes
    assert kv_cache_bytes(get_model("llama-2-70b"), 32768, 1, "bf16") == 10_737_418_240


def test_kv_cache_notes_value_with_k_equal_n() -> None:
    mha = get_model("llama-2-70b").with_mha()
    assert f"{kv_cache_bytes(mha, 32768, 1, 'fp16') / 1e9:.1f}" == "85.9"


@pytest.mark.parametrize(("dtype", "bits"), [("fp32", 32), ("tf32", 32), ("bf16", 16),
                                              ("fp16", 16)])
def test_plain_weight_bytes_are_params_times_width(dtype: str, bits: int) -> None:
    assert weight_bytes(get_model("llama-2-7b"), dtype) == 6_738_415_616 * bits // 8


# Llama 2 7B by tensor kind: 32 layers of 4 attention matrices [4096, 4096] and 3 MLP
# matrices (gate and up [11008, 4096], down [4096, 11008]); embedding and LM head
# [32000, 4096] each; 65 RMSNorm vectors of 4096. Quantized formats store the 7·32 block
# matrices in their format and the rest in bf16, as AWQ, GPTQ and fp8 checkpoints do.
L7, D7, F7, V7 = 32, 4096, 11008, 32000
MATRICES_7B = [(D7, D7)] * 4 + [(F7, D7), (F7, D7), (D7, F7)]     # (out, in)
LINEAR_7B = L7 * sum(o * i for o, i in MATRICES_7B)                 # 6,476,005,376 values
BF16_REST_7B = 2 * (2 * V7 * D7 + 65 * D7)


def test_linear_values_of_llama_2_7b() -> None:
    assert LINEAR_7B + 2 * V7 * D7 + 65 * D7 == 6_738_415_616


@pytest.mark.parametrize(("dtype", "per_matrix"), [
    ("fp8", lambda o, i: o * i + 4),                                   # fp32 tensor scale
    ("int8", lambda o, i: o * i + 2 * o),                              # fp16 scale per row
    # int4: half a byte a value, an fp16 scale and a 4-bit zero per 128 inputs of a row
    ("int4", lambda o, i: o * i // 2 + o * (i // 128) * 2 + o * (i // 128) // 2),
    ("int4-g64", lambda o, i: o * i // 2 + o * (i // 64) * 2 + o * (i // 64) // 2),
    ("mxfp4", lambda o, i: o * i // 2 + o * (i // 32)),                # E8M0 per 32
    ("nvfp4", lambda o, i: o * i // 2 + o * (i // 16) + 4),            # E4M3 per 16 + fp32
    ("mxfp8", lambda o, i: o * i + o * (i // 32)),
])
def test_quantized_weight_bytes_of_llama_2_7b(dtype: str, per_matrix: Any) -> None:
    expected = L7 * sum(per_matrix(o, i) for o, i in MATRICES_7B) + BF16_REST_7B
    assert weight_bytes(get_model("llama-2-7b"), dtype) == expected


def test_int4_weights_by_hand() -> None:
    # 6,476,005,376 values at half a byte, 2.5 bytes of scale and zero per 128 of them, and
    # 262,676,480 values in bf16: 3,238,002,688 + 126,484,480 + 524,820,480.
    assert weight_bytes(get_model("llama-2-7b"), "int4") == 3_889_307_648


def test_expert_bytes_and_moe_reads_in_quantized_formats() -> None:
    cfg = get_model("mixtral-8x7b")
    # 32 layers · 8 experts · (2 · [14336, 4096] + [4096, 14336])
    values = 32 * 8 * 3 * 14336 * 4096
    per_expert_mxfp4 = 2 * (14336 * 4096 // 2 + 14336 * 128) + (4096 * 14336 // 2 + 4096 * 448)
    assert expert_weight_bytes(cfg, "bf16") == 2 * values
    assert expert_weight_bytes(cfg, "mxfp4") == 32 * 8 * per_expert_mxfp4
    assert expert_weight_bytes(get_model("llama-2-7b"), "int4") == 0
    # batch 1 reads 2 of 8 experts: everything but 6/8 of the experts
    total = weight_bytes(cfg, "mxfp4")
    assert moe_weight_bytes_read(cfg, 1, "mxfp4") == pytest.approx(
        total - 0.75 * expert_weight_bytes(cfg, "mxfp4"), rel=1e-15)


def test_kv_dtype_and_batch_scale_linearly() -> None:
    cfg = get_model("llama-3-8b")
    # fp8 stores one byte a value plus one fp32 scale for K and one for V in each of 32 layers
    assert kv_cache_bytes(cfg, 1000, 4, "fp8") == kv_cache_bytes(cfg, 1000, 4, "bf16") // 2 \
        + 2 * 32 * 4
    assert kv_cache_bytes(cfg, 1000, 4, "fp8-e5m2") == kv_cache_bytes(cfg, 1000, 4, "fp8")
    assert kv_scale_bytes(cfg, "fp8") == 256
    assert kv_scale_bytes(cfg, "bf16") == 0
    assert kv_cache_bytes(cfg, 1000, 4) == 4 * kv_cache_bytes(cfg, 1000, 1)
    with pytest.raises(WorkloadError, match="not a KV-cache format"):
        kv_cache_bytes(cfg, 1000, 1, "int4")


def test_kv_cache_and_activations_follow_the_unquantized_format() -> None:
    # int4 weights: the cache and the activations stay bf16 unless told otherwise
    cfg = get_model("llama-2-7b")
    mem = serving_memory(cfg, 4096, dtype="int4")
    bf16 = serving_memory(cfg, 4096, dtype="bf16")
    assert (mem.kv_cache, mem.activations) == (bf16.kv_cache, bf16.activations)
    assert mem.weights == 3_889_307_648
    fp8_kv = serving_memory(cfg, 4096, dtype="int4", kv_dtype="fp8")
    assert fp8_kv.kv_cache == 2 * 32 * 4096 * 4096 + 2 * 32 * 4
    assert serving_memory(cfg, 4096, dtype="fp16").kv_cache == bf16.kv_cache


# Llama 2 70B (config.json): L = 80 layers, K = 8 KV heads of H = 128, D = 8,192,
# F = 28,672; Meta's checkpoint holds 68,976,648,192 parameters. In bf16 each cached token
# is 2 (K and V) · 80 · 8 · 128 values of 2 bytes.
PARAMS_70B, L, K, H, D, F = 68_976_648_192, 80, 8, 128, 8192, 28672
WEIGHTS_70B = 2 * PARAMS_70B                    # 137,953,296,384 bytes
KV_TOKEN_70B = 2 * L * K * H * 2                # 327,680 bytes
GiB, MiB = 2**30, 2**20
H100_NOMINAL, H100_USABLE = 80 * GiB, 81559 * MiB   # five 16 GiB stacks; nvidia-smi
H200_NOMINAL = 141 * GiB


def test_max_batch_by_hand() -> None:
    cfg, h100 = get_model("llama-2-70b"), get_accelerator("h100-sxm")
    per_seq = KV_TOKEN_70B * 2048
    assert max_batch(cfg, h100, 2048, n_devices=2) == (2 * H100_USABLE - WEIGHTS_70B) // per_seq
    assert max_batch(cfg, h100, 2048) == 0  # the weights alone exceed 80 GiB


def test_llama_2_70b_at_4096_on_two_h100s() -> None:
    cfg, h100 = get_model("llama-2-70b"), get_accelerator("h100-sxm")
    per_seq = KV_TOKEN_70B * 4096               # 1,342,177,280 bytes
    # "80 GB" read as 10⁹ bytes: 16 sequences (the old answer).
    assert (2 * 80 * 10**9 - WEIGHTS_70B) // per_seq == 16
    # Read as HBM is, 80 GiB per GPU: 25; on what nvidia-smi reports, 81,559 MiB: 24.
    assert (2 * H100_NOMINAL - WEIGHTS_70B) // per_seq == 25
    assert (2 * H100_USABLE - WEIGHTS_70B) // per_seq == 24
    assert max_batch(cfg, h100, 4096, n_devices=2) == 24
    nominal_only = dataclasses.replace(h100, usable_bytes=None)
    assert max_batch(cfg, nominal_only, 4096, n_devices=2) == 25


def test_llama_2_70b_at_4096_on_one_h200() -> None:
    cfg, h200 = get_model("llama-2-70b"), get_accelerator("h200")
    per_seq = KV_TOKEN_70B * 4096
    assert (141 * 10**9 - WEIGHTS_70B) // per_seq == 2            # the old, decimal reading
    assert (H200_NOMINAL - WEIGHTS_70B) // per_seq == 10          # 141 GiB
    assert h200.fit_basis == "nominal"                             # no usable figure cited
    assert max_batch(cfg, h200, 4096) == 10
    # With the 143,771 MiB nvidia-smi shows in public logs it would be 9.
    assert max_batch(cfg, dataclasses.replace(h200, usable_bytes=143771 * MiB), 4096) == 9


def test_fits_at_the_largest_batch_and_not_one_more() -> None:
    cfg, h100 = get_model("llama-2-70b"), get_accelerator("h100-sxm")
    # Weights, 24 caches of 4,096 tokens and one prefill's activations, 2·4,096·(D + 2F)
    # bytes, against two GPUs' usable memory.
    activations = 2 * 4096 * (D + 2 * F)
    assert WEIGHTS_70B + 24 * KV_TOKEN_70B * 4096 + activations <= 2 * H100_USABLE
    assert WEIGHTS_70B + 25 * KV_TOKEN_70B * 4096 + activations > 2 * H100_USABLE
    assert fits(cfg, h100, 4096, batch=24, n_devices=2)
    assert not fits(cfg, h100, 4096, batch=25, n_devices=2)


def test_devices_needed_count_on_usable_capacity() -> None:
    cfg, h100 = get_model("llama-2-70b"), get_accelerator("h100-sxm")
    # One sequence: weights + S·(KV per token + 2·(D + 2F) activation bytes per token).
    # At S = 73,000 that is 171.44·10⁹ bytes: more than two GPUs' usable 171.04·10⁹,
    # less than their nominal 171.80·10⁹.
    s = 73_000
    total = WEIGHTS_70B + s * (KV_TOKEN_70B + 2 * (D + 2 * F))
    assert 2 * H100_USABLE < total <= 2 * H100_NOMINAL
    assert serving_memory(cfg, s).total == total
    assert devices_needed(cfg, h100, s) == 3
    assert devices_needed(cfg, dataclasses.replace(h100, usable_bytes=None), s) == 2


def test_fits_and_devices_needed_agree() -> None:
    cfg, h100 = get_model("llama-2-70b"), get_accelerator("h100-sxm")
    n = devices_needed(cfg, h100, 32768)
    assert fits(cfg, h100, 32768, n_devices=n)
    assert not fits(cfg, h100, 32768, n_devices=n - 1)
    assert serving_memory(cfg, 32768).total <= n * h100.fit_bytes


def test_moe_batch_one_reads_active_weights_only() -> None:
    cfg = get_model("mixtral-8x7b")
    assert moe_weight_bytes_read(cfg, 1, "bf16") == 2 * 12_879_925_248
    assert moe_weight_bytes_read(cfg, 10_000, "bf16") == pytest.approx(weight_bytes(cfg))


def test_sweep_equals_scalar_decode_step() -> None:
    models = [get_model(n) for n in ("llama-2-7b", "mixtral-8x7b", "gemma-2b", "gpt2")]
    chips = [get_accelerator(n) for n in ("a100-sxm-80gb", "h200", "mi300x")]
    contexts, batches = [1, 100, 4096], [1, 3, 64]
    grid = decode_grid(models, chips, contexts, batches)
    for i, cfg in enumerate(models):
        for j, chip in enumerate(chips):
            for k, s in enumerate(contexts):
                for m, b in enumerate(batches):
                    step = decode_step(cfg, chip, s, b)
                    assert math.isclose(grid.time[i, j, k, m], step.time, rel_tol=1e-12)
                    assert grid.flops[i, j, k, m] == step.flops
                    fit = b <= max_batch(cfg, chip, s)
                    assert bool(grid.fits[i, j, k, m]) == fit

