"""Tests of memory: values against hand derivations and independent sources."""

from __future__ import annotations

import math

import pytest

from ai_workloads.analysis.memory import (
    devices_needed,
    fits,
    kv_cache_bytes,
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


def test_kv_cache_llama2_70b_gqa() -> None:
    # 2 (K and V) · 80 layers · 8 KV heads · 128 · 32,768 tokens · 2 bytes
    assert kv_cache_bytes(get_model("llama-2-70b"), 32768, 1, "bf16") == 10_737_418_240


def test_kv_cache_notes_value_with_k_equal_n() -> None:
    mha = get_model("llama-2-70b").with_mha()
    assert f"{kv_cache_bytes(mha, 32768, 1, 'fp16') / 1e9:.1f}" == "85.9"


@pytest.mark.parametrize(("dtype", "bits"), [("fp32", 32), ("bf16", 16), ("fp8", 8),
                                              ("int8", 8), ("int4", 4)])
def test_weight_bytes_by_dtype(dtype: str, bits: int) -> None:
    assert weight_bytes(get_model("llama-2-7b"), dtype) == 6_738_415_616 * bits // 8


def test_kv_dtype_and_batch_scale_linearly() -> None:
    cfg = get_model("llama-3-8b")
    assert kv_cache_bytes(cfg, 1000, 4, "fp8") * 2 == kv_cache_bytes(cfg, 1000, 4, "bf16")
    assert kv_cache_bytes(cfg, 1000, 4) == 4 * kv_cache_bytes(cfg, 1000, 1)


def test_max_batch_by_hand() -> None:
    cfg, h100 = get_model("llama-2-70b"), get_accelerator("h100-sxm")
    free = 2 * 80 * 10**9 - 2 * 68_976_648_192
    per_seq = 2 * 80 * 8 * 128 * 2048 * 2
    assert max_batch(cfg, h100, 2048, n_devices=2) == free // per_seq
    assert max_batch(cfg, h100, 2048) == 0  # the weights alone exceed 80 GB


def test_fits_and_devices_needed_agree() -> None:
    cfg, h100 = get_model("llama-2-70b"), get_accelerator("h100-sxm")
    n = devices_needed(cfg, h100, 32768)
    assert fits(cfg, h100, 32768, n_devices=n)
    assert not fits(cfg, h100, 32768, n_devices=n - 1)
    assert serving_memory(cfg, 32768).total <= n * h100.capacity_bytes


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

