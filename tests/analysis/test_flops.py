"""FLOP counts against hand-derived closed forms and the lecture notes' table."""

from __future__ import annotations

import itertools

import pytest

from ai_workloads.analysis.flops import (
    attention_overtakes_mlp,
    blocks_only_decode_flops,
    decode_flops,
    matmul_flops,
    op_flops,
    prefill_flops,
    sublayer_decode_flops,
    training_flops,
)
from ai_workloads.catalog import get_model
from ai_workloads.core.errors import WorkloadError


def naive_matmul_ops(m: int, k: int, n: int) -> int:
    """Multiplications and additions of the schoolbook algorithm, counted one by one."""
    ops = 0
    for _row, _col in itertools.product(range(m), range(n)):
        for term in range(k):
            ops += 1                      # the multiplication
            if term > 0:
                ops += 1                  # adding it to the running sum
    return ops


@pytest.mark.parametrize(("m", "k", "n"), [(1, 1, 1), (2, 3, 4), (3, 7, 2), (1, 16, 5)])
def test_matmul_flops_exact_matches_a_brute_force_count(m: int, k: int, n: int) -> None:
    assert matmul_flops(m, k, n, exact_adds=True) == naive_matmul_ops(m, k, n)
    assert matmul_flops(m, k, n) == 2 * m * k * n


@pytest.mark.parametrize(("m", "k", "n"), [(0, 1, 1), (1, 0, 1), (1, 1, -3)])
def test_matmul_flops_rejects_empty_shapes(m: int, k: int, n: int) -> None:
    with pytest.raises(WorkloadError):
        matmul_flops(m, k, n)


def decode_closed_form(d: int, layers: int, n: int, k: int, h: int, f: int, v: int, s: int,
                       gated: bool = True, experts: int = 1, routed: int = 1,
                       lm_head: bool = True) -> int:
    """One decode token, written out from the shapes (an independent derivation)."""
    attn = 2 * d * n * h + 2 * 2 * d * k * h + 2 * n * h * d + 2 * 2 * n * h * s
    mlp = (3 if gated else 2) * 2 * d * f * routed + (2 * d * experts if experts > 1 else 0)
    return layers * (attn + mlp) + (2 * d * v if lm_head else 0)


def test_mha_gpt2_decode() -> None:
    # GPT-2: MHA, plain MLP, tied LM head (still a matmul).
    expected = decode_closed_form(768, 12, 12, 12, 64, 3072, 50257, 1024, gated=False)
    assert decode_flops(get_model("gpt2"), 1024) == expected


def test_gqa_llama2_70b_decode() -> None:
    expected = decode_closed_form(8192, 80, 64, 8, 128, 28672, 32000, 4096)
    assert decode_flops(get_model("llama-2-70b"), 4096) == expected


def test_mqa_gemma_decode() -> None:
    expected = decode_closed_form(2048, 18, 8, 1, 256, 16384, 256000, 8192)
    assert decode_flops(get_model("gemma-2b"), 8192) == expected


def test_head_dim_not_d_over_n() -> None:
    expected = decode_closed_form(3072, 28, 16, 16, 256, 24576, 256000, 100)
    assert decode_flops(get_model("gemma-7b"), 100) == expected


def test_moe_mixtral_decode_counts_routed_experts() -> None:
    expected = decode_closed_form(4096, 32, 32, 8, 128, 14336, 32000, 2048, experts=8,
                                  routed=2)
    assert decode_flops(get_model("mixtral-8x7b"), 2048) == expected


def test_tied_model_still_pays_lm_head() -> None:
    cfg = get_model("llama-3.2-1b")
    assert op_flops(cfg, 1, 10)["lm_head"] == 2 * 2048 * 128256


def test_decode_scales_with_batch() -> None:
    cfg = get_model("mistral-7b")
    assert decode_flops(cfg, 777, batch=5) == 5 * decode_flops(cfg, 777)


def test_prefill_full_attention_closed_form() -> None:
    d, layers, n, h, f, v, t = 4096, 32, 32, 128, 11008, 32000, 2048
    dense = t * (layers * (4 * 2 * d * d + 3 * 2 * d * f) + 2 * d * v)
    core = layers * 2 * 2 * n * h * t * t
    assert prefill_flops(get_model("llama-2-7b"), t) == dense + core


def test_prefill_causal_counts_lower_triangle() -> None:
    cfg = get_model("llama-2-7b")
    t = 1000
    full = prefill_flops(cfg, t)
    causal = prefill_flops(cfg, t, causal=True)
    masked_pairs = t * t - t * (t + 1) // 2
    assert full - causal == 32 * 4 * 32 * 128 * masked_pairs


def test_prefill_then_decode_is_consistent_with_causal_prefill() -> None:
    # A causal prefill of T tokens attends exactly what T decode steps at 1..T attend.
    cfg = get_model("llama-3.2-1b")
    t = 50
    steps = sum(decode_flops(cfg, s) for s in range(1, t + 1))
    assert prefill_flops(cfg, t, causal=True) == steps


def test_bert_encoder_prefill_has_pooler_and_no_lm_head() -> None:
    ops = op_flops(get_model("bert-base"), 128, 128)
    assert ops["lm_head"] == 0
    assert ops["pooler"] == 2 * 768 * 768
    with pytest.raises(WorkloadError, match="encoder"):
        decode_flops(get_model("bert-base"), 128)


def test_blocks_only_is_notes_formula_for_mha() -> None:
    cfg = get_model("llama-2-13b")
    d, f, layers = 5120, 13824, 40
    for s in (512, 2048, 8192, 32768):
        assert blocks_only_decode_flops(cfg, s) == layers * (8 * d * d + 4 * s * d + 6 * d * f)


# The notes' "FLOPs per output token" table, printed as TFLOPs/token and attention share.
NOTES_TABLE = {
    "llama-2-7b": [("0.01", "34.5"), ("0.01", "38.3"), ("0.02", "49.8"), ("0.03", "71.3")],
    "llama-2-13b": [("0.03", "34.1"), ("0.03", "37.2"), ("0.03", "47.1"), ("0.05", "67.5")],
    "llama-2-70b": [("0.16", "28.2"), ("0.16", "30.0"), ("0.18", "36.4"), ("0.24", "53.3")],
    "llama-3.1-405b": [("0.93", "29.4"), ("0.95", "30.4"), ("1.00", "33.9"), ("1.20", "45.1")],
}


@pytest.mark.parametrize("name", NOTES_TABLE)
def test_notes_flops_table_reproduced_by_blocks_only_mha(name: str) -> None:
    cfg = get_model(name).with_mha()  # the notes' formula has no KV heads: K = N
    for s, (tflops, attention_pct) in zip((512, 2048, 8192, 32768), NOTES_TABLE[name],
                                          strict=True):
        total = blocks_only_decode_flops(cfg, s)
        parts = sublayer_decode_flops(cfg, s)
        assert f"{total / 1e12:.2f}" == tflops
        assert f"{100 * parts['attention'] / total:.1f}" == attention_pct


def test_crossover_exact() -> None:
    cfg = get_model("llama-2-7b")
    d, f = 4096, 11008
    # With projections: 8d² + 4Sd > 6 d f  <=>  S > (6f - 8d) / 4 = 8320.
    assert attention_overtakes_mlp(cfg, include_projections=True) == (6 * f - 8 * d) // 4 + 1
    # Core only: 4 S d > 6 d f  <=>  S > 1.5 f = 16512.
    assert attention_overtakes_mlp(cfg) == 3 * f // 2 + 1
    s = attention_overtakes_mlp(cfg)
    before, at = sublayer_decode_flops(cfg, s - 1), sublayer_decode_flops(cfg, s)
    assert before["attention_core"] <= before["mlp"] < at["attention_core"]


def test_training_is_three_forward_passes() -> None:
    cfg = get_model("gpt2")
    assert training_flops(cfg, 4 * 1024, 1024) == 3 * 4 * prefill_flops(cfg, 1024, causal=True)


def test_training_close_to_6nd_for_gpt3() -> None:
    cfg = get_model("gpt-3")
    flops = training_flops(cfg, 300 * 10**9, 2048)
    # The paper's Table D.1 reports 3.14e23 FLOPs for GPT-3 175B (6ND, attention excluded).
    assert 3.1e23 < flops < 3.3e23


@pytest.mark.parametrize(("tokens", "context"), [(0, 5), (5, 0), (6, 5)])
def test_bad_sizes_raise(tokens: int, context: int) -> None:
    with pytest.raises(WorkloadError):
        op_flops(get_model("gpt2"), tokens, context)
