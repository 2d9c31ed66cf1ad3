"""Heads and modern variants (chapters 3 and 8) against hand-derived values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ai_workloads.catalog import get_accelerator, get_model
from ai_workloads.errors import WorkloadError
from ai_workloads.plotting.heads import head_config_table, mha_figure
from ai_workloads.plotting.variants import kv_flash_figure, moe_figure, rope_figure, variants_table
from ai_workloads.variants import (
    HeadLayout,
    attention_flops,
    attention_memory_curve,
    head_layout,
    kv_variants,
    longest_standard_context,
    moe_summary,
    rope_frequencies,
    rope_scores,
    score_matrix_bytes,
    single_head,
)


def test_head_layouts_match_published_configs() -> None:
    # Llama 2 70B: 64 query heads, 8 KV heads of 128 (Touvron et al., 2023, config.json).
    h = head_layout(get_model("llama-2-70b"))
    assert (h.d_model, h.n_heads, h.n_kv_heads, h.head_dim, h.group_size) == (8192, 64, 8, 128, 8)
    g = head_layout(get_model("gemma-2b"))
    assert (g.n_kv_heads, g.head_dim, g.width_per_head, g.kind) == (1, 256, 256.0, "MQA")
    table = head_config_table([head_layout(get_model("gpt-3"))], ["GPT-3"])
    assert table.rows[0] == ("GPT-3", "12,288", "96", "96", "128", "128", "1", "MHA")


def test_multi_head_flops_equal_single_head_closed_form() -> None:
    cfg = get_model("llama-2-7b")
    t, d, layers = 1024, 4096, 32
    closed = layers * (4 * 2 * t * d * d + 2 * 2 * t * t * d)
    assert attention_flops(cfg, t) == closed == attention_flops(single_head(cfg), t)
    with pytest.raises(WorkloadError):
        single_head(get_model("llama-2-70b"))


def test_rope_frequencies_closed_form() -> None:
    h, base = 128, 10000.0
    expected = base ** (-2.0 * np.arange(h // 2) / h)
    assert np.allclose(rope_frequencies(h, base), expected)
    with pytest.raises(WorkloadError):
        rope_frequencies(7)


def test_rope_scores_are_relative() -> None:
    # q = k = ones: q·k after rotation = sum over pairs of 2·cos(d·θ_i).
    h, base = 16, 10000.0
    d = np.array([0, 1, 5, 40])
    theta = base ** (-2.0 * np.arange(h // 2) / h)
    expected = (2 * np.cos(d[:, None] * theta[None, :])).sum(axis=1) / h
    assert np.allclose(rope_scores(d, h, base), expected)
    assert np.allclose(rope_scores(d, h, base, query_position=77), expected)


def test_kv_variants_llama_70b_shape() -> None:
    cfg = get_model("llama-2-70b")   # L = 80, H = 128
    v = kv_variants(cfg, [64, 8, 1], context=4096)
    per_token = [2 * 80 * k * 128 * 2 for k in (64, 8, 1)]   # bf16: 2 bytes
    assert [x.bytes_per_token for x in v] == per_token
    assert [x.cache_bytes for x in v] == [p * 4096 for p in per_token]
    assert [x.reduction for x in v] == [1, 8, 64]
    assert [x.kind for x in v] == ["MHA", "GQA", "MQA"]
    with pytest.raises(WorkloadError):
        kv_variants(cfg, [3])


def test_attention_memory_and_erratum_value() -> None:
    # One million tokens, fp32: 10**12 scores · 4 bytes = 4 TB (not 4 PB).
    assert score_matrix_bytes(1_000_000) == 4 * 10**12
    curve = attention_memory_curve([10, 100], head_dim=4)
    assert curve.standard.tolist() == [4 * (100 + 40), 4 * (10_000 + 400)]
    assert curve.flash.tolist() == [4 * 10 * 6, 4 * 100 * 6]
    # largest T with 4·(T² + 128·T) <= 80e9, solved by the quadratic formula
    t = math.floor((-128 + math.sqrt(128**2 + 4 * 20e9)) / 2)
    assert longest_standard_context(80 * 10**9, 128) == t


def test_moe_summary_mixtral() -> None:
    m = moe_summary(get_model("mixtral-8x7b"), large_batch=64)
    # Published checkpoint sizes: 46,702,792,704 total (safetensors); active = shared + 2/8 experts
    assert m.total == 46_702_792_704
    shared = m.total - m.expert_params
    assert m.active == shared + m.expert_params * 2 // 8
    assert m.read_batch_1 == 2 * m.active
    untouched = (1 - 2 / 8) ** 64
    assert m.read_large_batch == pytest.approx(2 * (m.total - m.expert_params * untouched))
    with pytest.raises(WorkloadError):
        moe_summary(get_model("llama-2-7b"))


def test_figures_draw_what_they_are_given() -> None:
    fig = mha_figure(HeadLayout(256, 4, 4, 64, "MHA"))
    assert len(fig.axes[0].patches) == 1 + 2 + 4 + 4 + 2
    with pytest.raises(WorkloadError):
        mha_figure(HeadLayout(4096, 32, 8, 128, "GQA"))
    fig = moe_figure(8, [0, 7], [0.5, 0.5])
    assert len(fig.axes[0].patches) == 11
    fig = rope_figure([1.0, 0.1], [0, 1], [1.0, 0.5], 4, 10000.0)
    assert len(fig.axes) == 2
    kv = kv_variants(get_model("llama-2-7b"))
    h100 = get_accelerator("h100-sxm")
    fig = kv_flash_figure(kv, 4096, attention_memory_curve([100, 1000]), h100.capacity_bytes,
                          h100.capacity_label)
    assert len(fig.axes[0].patches) == 3
    assert variants_table(kv, ["a", "b", "c"]).rows[1][5] == "4x"
