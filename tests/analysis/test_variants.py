"""Head layouts, RoPE, KV sharing, FlashAttention memory and MoE, against hand derivations,
the models' config.json files and published checkpoint sizes; RoPE also against the
reference model's independent implementation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ai_workloads.analysis.variants import (
    attention_flops,
    attention_memory_curve,
    catalog_groups,
    dense_counterpart,
    head_layout,
    kv_variants,
    longest_standard_context,
    moe_summary,
    rope_frequencies,
    rope_rotate,
    rope_scores,
    score_matrix_bytes,
    single_head,
)
from ai_workloads.catalog import get_model, model_entries
from ai_workloads.core.errors import WorkloadError
from ai_workloads.reference.rope import rope

# Mixtral 8x7B / Mistral 7B shape, from their config.json files (Jiang et al., 2023; 2024).
D, L, N, K, H, F, V, E, TOP_K = 4096, 32, 32, 8, 128, 14336, 32000, 8, 2


def test_head_layouts_match_published_configs() -> None:
    # Llama 2 70B: 64 query heads, 8 KV heads of 128 (Touvron et al., 2023, config.json).
    h = head_layout(get_model("llama-2-70b"))
    assert (h.d_model, h.n_heads, h.n_kv_heads, h.head_dim, h.group_size) == (8192, 64, 8, 128, 8)
    assert (h.q_width, h.kind) == (8192, "GQA")
    # Gemma 2B config.json: D = 2048, 8 query heads of H = 256, 1 KV head (MQA).
    g = head_layout(get_model("gemma-2b"))
    assert (g.n_heads, g.n_kv_heads, g.head_dim, g.kind) == (8, 1, 256, "MQA")
    assert (g.group_size, g.q_width, g.width_per_head) == (8, 2048, 256.0)


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


@pytest.mark.parametrize(("head_dim", "base"), [(2, 10000.0), (8, 500.0), (128, 500000.0)])
def test_rope_rotate_agrees_with_the_reference_model(head_dim: int, base: float) -> None:
    rng = np.random.default_rng(head_dim)
    x = rng.normal(size=(6, head_dim))
    positions = rng.integers(0, 100_000, size=6)
    np.testing.assert_allclose(rope_rotate(x, positions, base), rope(x, positions, base),
                               rtol=1e-12, atol=1e-12)


def test_rope_rotate_turns_each_pair_by_position_times_theta() -> None:
    # H = 4: pairs (0, 2) and (1, 3) turn by m·1 and m·base^(-1/2) radians.
    m, base = 3, 100.0
    got = rope_rotate([[1.0, 0.0, 0.0, 1.0]], [m], base)[0]
    slow = m / math.sqrt(base)
    np.testing.assert_allclose(got, [math.cos(m), -math.sin(slow), math.sin(m),
                                     math.cos(slow)], atol=1e-15)
    with pytest.raises(WorkloadError):
        rope_rotate(np.ones(4), [0])


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


def test_catalog_groups_by_attention_kind() -> None:
    catalog = [(e.display, e.config) for e in model_entries()]
    kinds = catalog_groups(lambda cfg: cfg.attention_kind, catalog)
    # Gemma 2B: 8 query heads, 1 KV head; GPT-3: 96 and 96; Llama 2 70B: 64 and 8.
    assert "Gemma 2B" in kinds["MQA"]
    assert "GPT-3 175B" in kinds["MHA"]
    assert "Llama 2 70B" in kinds["GQA"]
    two = [("GPT-2 (124M)", get_model("gpt2")), ("Llama 2 7B", get_model("llama-2-7b"))]
    positions = catalog_groups(lambda cfg: cfg.positions, two)
    assert positions == {"learned": ["GPT-2 (124M)"], "rope": ["Llama 2 7B"]}


def test_dense_counterpart_is_mistral_7b_by_hand() -> None:
    # Untied embedding and LM head, per layer q, k, v, o, a gated MLP and two RMSNorms.
    attention = D * N * H + 2 * D * K * H + N * H * D
    per_layer = attention + 3 * D * F + 2 * D
    mistral = 2 * V * D + L * per_layer + D
    assert mistral == 7_241_732_096   # the Mistral 7B v0.1 checkpoint's parameter count
    m = moe_summary(get_model("mixtral-8x7b"))
    assert m.dense_total == mistral
    assert not dense_counterpart(get_model("mixtral-8x7b")).is_moe
    # All eight experts plus a [D, E] router per layer.
    assert m.total == mistral + L * (7 * 3 * D * F + D * E)
    assert m.expert_share == pytest.approx(L * 8 * 3 * D * F / m.total)
    assert m.total_over_dense == pytest.approx(m.total / mistral)


def test_moe_flops_per_token_by_hand() -> None:
    # One token at context 1: q, o are D×NH; k, v D×KH; scores and A·V 2·N·H each.
    def per_token(experts: int) -> int:
        layer = (2 * 2 * D * N * H + 2 * 2 * D * K * H + 2 * 2 * N * H
                 + 2 * D * E + experts * 3 * 2 * D * F)
        return L * layer + 2 * D * V

    m = moe_summary(get_model("mixtral-8x7b"))
    assert m.flops_per_token == per_token(TOP_K)
    assert m.flops_all_experts == per_token(E)
    assert m.routed_fraction == TOP_K / E
    assert m.flops_fraction > m.routed_fraction   # the shared part does not shrink

