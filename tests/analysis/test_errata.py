"""The errata analyses: each reproduction and correction against values worked out by hand.

The quoted values are the notes' own (their text export, section by section); every other
number below is derived here from the checkpoints' shapes and the spec sheets.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from ai_workloads.analysis import errata_serving as es
from ai_workloads.analysis import errata_variants as ev
from ai_workloads.analysis.errata import (
    STATUSES,
    Reproduction,
    attention_share_reproduction,
    category_share_reproduction,
    crossover_on_grid,
    crossover_reproduction,
    flops_comparison,
    flops_per_token_reproduction,
    mlp_share_reproduction,
    moore_reproduction,
    notes_config,
    params_reproduction,
    weights_reproduction,
)
from ai_workloads.catalog import get_accelerator, get_model
from ai_workloads.core.config import TransformerConfig
from ai_workloads.core.errors import WorkloadError
from ai_workloads.core.units import Quantity

# Llama 2 70B (config.json): D = 8,192, L = 80, N = 64, K = 8, H = 128, F = 28,672.
D, L, N, K, H, F = 8192, 80, 64, 8, 128, 28672
PARAMS_70B = 68_976_648_192          # Meta's checkpoint, sum of numel()
PARAMS_405B = 405_853_388_800
PARAMS_7B = 6_738_415_616
# The 70B's parts: q and o, k and v; gate, up and down; the rest (embeddings, head, norms).
ATTN_70B = L * (2 * D * N * H + 2 * D * K * H)
MLP_70B = L * 3 * D * F
MHA_70B = PARAMS_70B + 2 * L * D * (D - K * H)     # W_K, W_V as D × D
# Llama 3.1 405B: D = 16,384, L = 126, N = 128, K = 8, H = 128, F = 53,248, V = 128,256.
D4, L4, F4 = 16384, 126, 53248
ATTN_405B = L4 * (2 * D4 * D4 + 2 * D4 * 8 * 128)
MLP_405B = L4 * 3 * D4 * F4
MHA_405B = PARAMS_405B + 2 * L4 * D4 * (D4 - 1024) - 2 * D4 * 256   # and V = 128,000
H100_PEAK, H100_BW = 989.4e12, 3.35e12      # NVIDIA's sheet: dense fp16, HBM3


@pytest.fixture
def l70() -> TransformerConfig:
    return get_model("llama-2-70b")


def test_notes_config_is_mha_with_the_notes_fields() -> None:
    cfg = get_model("llama-3.1-405b")
    notes = notes_config(cfg, {"vocab_size": 128000, "d_model": 16384})
    assert (notes.n_kv_heads, notes.n_heads, notes.vocab_size) == (128, 128, 128000)
    assert notes.d_model == cfg.d_model
    assert notes_config(cfg).vocab_size == cfg.vocab_size == 128256


def test_params_mha_and_rounded_vocabulary() -> None:
    # 70B: W_K and W_V of D × D instead of D × K·H: 2·L·D·(D − K·H) more weights.
    mha_70b = PARAMS_70B + 2 * L * D * (D - K * H)
    r = params_reproduction(get_model("llama-2-70b"), notes_config(get_model("llama-2-70b")),
                            Quantity(78.4, "B", 1))
    assert r.reproduced == (Quantity(mha_70b / 1e9, "B", 1),)
    assert r.correct == (Quantity(PARAMS_70B / 1e9, "B", 1),)
    assert r.reproduces
    assert "vocab" not in r.facts
    # 405B: the same with D = 16,384, L = 126, K·H = 1,024, and a vocabulary 256 shorter in
    # both the embedding and the untied LM head.
    big = get_model("llama-3.1-405b")
    mha_405b = PARAMS_405B + 2 * 126 * 16384 * (16384 - 1024) - 2 * 16384 * 256
    r = params_reproduction(big, notes_config(big, {"vocab_size": 128000}),
                            Quantity(469.3, "B", 1))
    assert r.reproduced[0].value == mha_405b / 1e9
    assert r.reproduces
    assert r.facts["vocab"] == Quantity(128000)


def test_attention_share(l70: TransformerConfig) -> None:
    gqa = L * (2 * D * D + 2 * D * K * H)     # q and o, k and v
    mha = L * 4 * D * D
    r = attention_share_reproduction(l70, notes_config(l70), Quantity(27.4, "%", 1))
    assert r.correct[0].value == pytest.approx(100 * gqa / PARAMS_70B)
    assert r.correct[0].rounded() == 17.5
    assert r.reproduced[0].value == pytest.approx(100 * mha / (PARAMS_70B + 2 * L * D * 7168))
    assert r.reproduces


def test_fp16_weights(l70: TransformerConfig) -> None:
    r = weights_reproduction(l70, notes_config(l70), Quantity(156.7, "GB", 1))
    assert r.correct[0].value == 2 * PARAMS_70B / 1e9
    assert r.reproduces


def test_flops_per_token_and_the_notes_formula(l70: TransformerConfig) -> None:
    s = 32768
    notes = L * (8 * D * D + 4 * s * D + 6 * D * F)          # the notes' L(8D² + 4SD + 6DF)
    attention = L * (2 * 2 * D * D + 2 * 2 * D * K * H + 2 * 2 * N * H * s)
    mlp = L * 6 * D * F
    correct = attention + mlp + 2 * D * 32000                 # plus the LM head
    row = flops_comparison(l70, notes_config(l70), s)
    assert (row.notes_total, row.correct_total) == (notes, correct)
    assert row.correct_share == attention / (attention + mlp)
    assert row.overcount == notes / correct
    r = flops_per_token_reproduction(l70, notes_config(l70), s, Quantity(0.24, "TFLOPs", 2))
    assert r.reproduced == (Quantity(notes / 1e12, "TFLOPs", 2),)
    assert r.reproduces
    assert r.facts["group"] == Quantity(8)
    cell = row.reproduction(Quantity(0.24, "TFLOPs", 2), Quantity(53.3, "%", 1))
    assert cell.reproduces
    assert cell.correct[0] == Quantity(correct / 1e12, "TFLOPs", 3)


def test_crossover_grid_artifact() -> None:
    cfg = get_model("llama-2-7b")
    # Solved: 8D² + 4SD > 6DF  <=>  S > (6F − 8D)/4 = (66,048 − 32,768)/4 = 8,320.
    r = crossover_reproduction(cfg, (2, 5, 50), Quantity(7906))
    assert r.correct == (Quantity(8321),)
    assert r.reproduces
    # A finer grid moves the 'crossover', which an exact answer would not do.
    assert crossover_on_grid(cfg, 2, 5, 400) != 7906


def test_intensity_utilization_and_ridge_batch(l70: TransformerConfig) -> None:
    h100 = get_accelerator("h100-sxm")   # NVIDIA's sheet: 989.4 TFLOP/s fp16 dense, 3.35 TB/s
    # [1, D] @ [D, D]: 2D² FLOPs over D + D² + D elements; 2 bytes each, or 1 as the notes.
    right, notes = D / (D + 2), 2 * D / (D + 2)
    r = es.intensity_reproduction(D, Quantity(2, "FLOP/byte"))
    assert r.correct[0].value == pytest.approx(right)
    assert r.reproduced[0].value == pytest.approx(notes)
    assert r.reproduces
    u = es.utilization_reproduction(h100, D, Quantity(0.7, "%", 1))
    assert u.correct[0].value == pytest.approx(100 * right * 3.35 / 989.4)
    assert u.reproduces
    b = es.ridge_batch_reproduction(l70, h100, Quantity(148))
    assert b.reproduced[0].value == pytest.approx(989.4 / 3.35 / notes)
    assert b.reproduces
    b32 = es.batch_intensity_reproduction(D, 32, Quantity(64))
    assert b32.correct[0].value == pytest.approx(32 * D / (D + 64))   # 31.75
    assert b32.reproduces


def test_kv_cache_and_total_memory(l70: TransformerConfig) -> None:
    s = 32768
    r = es.kv_cache_reproduction(l70, notes_config(l70), s, Quantity(85.9, "GB", 1))
    assert r.reproduced == (Quantity(2 * L * N * H * s * 2 / 1e9, "GB", 1),)
    assert r.correct == (Quantity(2 * L * K * H * s * 2 / 1e9, "GB", 1),)
    assert r.reproduces
    notes_total = 70 * 10**9 * 2 + 2 * L * N * H * s * 2 + 5 * 10**9
    # Weights, KV cache, and a FlashAttention prefill of the whole context: the residual
    # stream and the gate and up outputs, 2 bytes · S · (D + 2F).
    right = 2 * PARAMS_70B + 2 * L * K * H * s * 2 + 2 * s * (D + 2 * F)
    t = es.total_memory_reproduction(l70, notes_config(l70), s, Quantity(70, "B"),
                                     Quantity(5, "GB"), Quantity(231, "GB"))
    assert t.reproduced == (Quantity(notes_total / 1e9, "GB", 0),)
    assert t.correct == (Quantity(right / 1e9, "GB", 0),)
    assert t.reproduces
    assert t.facts["context_k"] == Quantity(32.0, "K")


def test_per_token_and_the_empty_batch_plot(l70: TransformerConfig) -> None:
    r = es.kv_per_token_reproduction(l70, Quantity(10, "MB"))
    assert r.reproduced == ()
    assert not r.reproduces
    assert r.correct == (Quantity(2 * L * K * H * 2 / 1e6, "MB", 2),)      # 0.33 MB
    assert r.facts["mha"] == Quantity(2 * L * N * H * 2 / 1e6, "MB", 1)    # 2.6 MB
    h100 = get_accelerator("h100-sxm")
    p = es.empty_batch_plot_reproduction(l70, h100, 2048, (1, 50), Quantity(49))
    per_sequence = 2 * L * K * H * 2048 * 2
    # Two H100s of 81,559 MiB each (the usable memory nvidia-smi reports).
    two = (2 * 81559 * 2**20 - 2 * PARAMS_70B) // per_sequence
    assert [q.value for q in p.correct] == [0, two] == [0, 49]
    assert p.facts["fit"] == Quantity(81559 / 1024, "GiB", 2)
    assert p.reproduced == (Quantity(49),)   # batch_sizes[0 - 1]: the last of 1..49
    assert p.reproduces


def test_bandwidth_and_variants() -> None:
    # NVIDIA's H100 NVL brief: 94 GiB ("94GB") and 3,938 GB/s per GPU; the pair's figures
    # are twice the sheet's: 188 GB and 2 · 3.9 = 7.8 TB/s.
    nvl = get_accelerator("h100-nvl")
    r = es.pair_reproduction(nvl, Quantity(188, "GB"), Quantity(7.8, "TB/s", 1))
    assert [(q.value, q.unit) for q in r.correct] == [(94, "GiB"), (3.938, "TB/s")]
    assert [q.value for q in r.reproduced] == [188, 7.8]
    assert r.reproduces
    # The reading line is typed in at the words-per-minute figure: nothing to recompute.
    reading = es.reading_speed_reproduction(Quantity(250, "words/min"),
                                            Quantity(250, "tokens/s"))
    assert reading.correct[0].value == pytest.approx(250 * 4 / 3 / 60)     # 5.6 tokens/s
    assert (reading.reproduced, reading.status) == ((), "consistent")
    # Its label divides by 60 only: 4.17 words per second, printed "4 tok/s".
    label = es.reading_label_reproduction(Quantity(250, "words/min"), Quantity(4, "tokens/s"))
    assert label.reproduced[0].value == pytest.approx(250 / 60)
    assert label.correct[0].value == pytest.approx(250 * 4 / 3 / 60)
    assert label.status == "reproduced"
    # One fp32 score matrix at 10⁶ tokens: 10¹² · 4 bytes = 4,000 GB = 4 TB; "4 PB" is a label.
    flash = ev.score_matrix_reproduction((2, 6, 100), Quantity(4, "PB"))
    assert flash.correct == (Quantity(4.0, "TB", 0),)
    assert flash.facts["gigabytes"].value == 10**12 * 4 / 1e9
    assert (flash.reproduced, flash.status) == ((), "consistent")
    assert ev.score_matrix_reproduction((2, 6, 100), Quantity(3, "PB")).status == "unreproducible"
    # KV cache with K = N over the cache with K: 32/8 for the figure's heads, 64/8 for 70B.
    gqa = ev.gqa_factor_reproduction(get_model("llama-2-70b"), 32, 8, Quantity(4, "x"))
    assert gqa.reproduced == (Quantity(32 / 8, "x"),)
    assert gqa.correct == (Quantity(64 / 8, "x"),)
    assert gqa.reproduces


def test_moore_line_is_typed_in() -> None:
    years = [2018, 2019, 2020, 2022, 2023, 2024]
    moore = moore_reproduction(Quantity(2, "x per step"), years)
    assert moore.correct[0].value == pytest.approx(2**0.5)
    assert moore.facts["drawn_rise"].value == 2**5            # six bars, five steps
    assert moore.facts["moore_rise"].value == pytest.approx(2 ** ((2024 - 2018) / 2))
    assert (moore.reproduced, moore.status) == ((), "consistent")


def test_parameter_shares_and_weights_by_hand(l70: TransformerConfig) -> None:
    notes70 = notes_config(l70)
    cases = [("mlp", 71.9, MLP_70B / MHA_70B, MLP_70B / PARAMS_70B),
             ("rest", 0.7, 1 - (L * 4 * D * D + MLP_70B) / MHA_70B,
              1 - (ATTN_70B + MLP_70B) / PARAMS_70B)]
    for category, printed, notes, right in cases:
        r = category_share_reproduction(l70, notes70, category, Quantity(printed, "%", 1))
        assert r.reproduced[0].value == pytest.approx(100 * notes)
        assert r.correct[0].value == pytest.approx(100 * right)
        assert r.reproduces
    # The rest is the embedding and the LM head (2 · 32,000 · 8,192) and the norms.
    assert PARAMS_70B - ATTN_70B - MLP_70B == 2 * 32000 * D + (2 * L + 1) * D
    big = get_model("llama-3.1-405b")
    notes405 = notes_config(big, {"vocab_size": 128000})
    mha_attention = L4 * 4 * D4 * D4
    for category, printed, notes, right in [
            ("attention", 28.8, mha_attention / MHA_405B, ATTN_405B / PARAMS_405B),
            ("mlp", 70.3, MLP_405B / MHA_405B, MLP_405B / PARAMS_405B),
            ("rest", 0.9, 1 - (mha_attention + MLP_405B) / MHA_405B,
             1 - (ATTN_405B + MLP_405B) / PARAMS_405B)]:
        r = category_share_reproduction(big, notes405, category, Quantity(printed, "%", 1))
        assert r.reproduced[0].value == pytest.approx(100 * notes)
        assert r.correct[0].value == pytest.approx(100 * right)
        assert r.reproduces
    with pytest.raises(WorkloadError, match="no parameter category"):
        category_share_reproduction(l70, notes70, "heads", Quantity(1, "%"))


def test_int8_weights_as_stored(l70: TransformerConfig) -> None:
    # INT8 as stored: the blocks' linear weights at one byte, one 16-bit scale per output
    # channel of each (q N·H, k and v K·H, o D, gate and up F, down D), and everything else
    # (embeddings, LM head, norms) in 16 bits.
    channels = N * H + 2 * K * H + D + 2 * F + D
    right = ATTN_70B + MLP_70B + 2 * L * channels + 2 * (PARAMS_70B - ATTN_70B - MLP_70B)
    r = weights_reproduction(l70, notes_config(l70), Quantity(78.4, "GB", 1), "int8")
    assert r.reproduced[0].value == MHA_70B / 1e9           # one byte per MHA parameter
    assert r.correct[0].value == right / 1e9
    assert r.reproduces
    big = get_model("llama-3.1-405b")
    channels = D4 + 2 * 1024 + D4 + 2 * F4 + D4
    right = (ATTN_405B + MLP_405B + 2 * L4 * channels
             + 2 * (PARAMS_405B - ATTN_405B - MLP_405B))
    r = weights_reproduction(big, notes_config(big, {"vocab_size": 128000}),
                             Quantity(469.3, "GB", 1), "int8")
    assert r.correct[0].value == right / 1e9
    assert r.reproduces


def test_ffn_two_thirds() -> None:
    seven, seventy = get_model("llama-2-7b"), get_model("llama-2-70b")
    # One layer of Llama 2 7B (K = N): 3·D·F of MLP in 4·D² + 3·D·F + 2·D, about 2/3.
    d, f = 4096, 11008
    layer = 3 * d * f / (4 * d * d + 3 * d * f + 2 * d)
    r = mlp_share_reproduction(notes_config(seven), [seven, seventy],
                               Quantity(200 / 3, "%", 0))
    assert r.reproduced[0].value == pytest.approx(100 * layer)
    assert [q.value for q in r.correct] == pytest.approx(
        [100 * 32 * 3 * d * f / PARAMS_7B, 100 * MLP_70B / PARAMS_70B])       # 64%, 82%
    assert r.reproduces
    with pytest.raises(WorkloadError, match="at least one model"):
        mlp_share_reproduction(notes_config(seven), [], Quantity(67, "%"))


def test_roofline_corrections_by_hand(l70: TransformerConfig) -> None:
    h100 = get_accelerator("h100-sxm")
    right, notes = D / (D + 2), 2 * D / (D + 2)       # FLOP/byte of [1, D] @ [D, D]
    a = es.attainable_reproduction(h100, D, Quantity(6.7, "TFLOP/s", 1))
    assert a.reproduced[0].value == pytest.approx(notes * H100_BW / 1e12)
    assert a.correct[0].value == pytest.approx(right * H100_BW / 1e12)      # 3.35 TFLOP/s
    assert a.reproduces
    u = es.utilization_reproduction(h100, D, Quantity(1, "%"), digits=2)
    assert u.correct[0].value == pytest.approx(100 * right * H100_BW / H100_PEAK)
    assert (u.correct[0].digits, u.correct[0].rounded()) == (2, 0.34)
    assert u.reproduces
    # The hardware table's ratios from its rounded figures, and from the sheets'.
    a100 = get_accelerator("a100-sxm-80gb")       # 312 TFLOP/s fp16 dense, 2,039 GB/s
    r = es.ridge_rounding_reproduction(a100, Quantity(312, "TFLOP/s"), Quantity(2.0, "TB/s", 1),
                                       Quantity(156, "FLOP/byte"))
    assert r.reproduced[0].value == pytest.approx(312 / 2.0)
    assert r.correct[0].value == pytest.approx(312 / 2.039)
    assert r.reproduces
    r = es.ridge_rounding_reproduction(h100, Quantity(990, "TFLOP/s"), Quantity(3.35, "TB/s", 2),
                                       Quantity(296, "FLOP/byte"))
    assert r.reproduced[0].value == pytest.approx(990 / 3.35)               # 295.5
    assert r.correct[0].rounded() == round(989.4 / 3.35) == 295
    assert r.reproduces
    # Training: the up projection over one 4,096-token sequence in bf16, 2·S·D·F FLOPs over
    # 2·(S·D + D·F + S·F) bytes; nothing gives the notes' 200.
    s = 4096
    t = es.training_intensity_reproduction(l70, h100, Quantity(200, "FLOP/byte"))
    assert t.correct[0].value == pytest.approx(s * D * F / (s * D + D * F + s * F))
    assert t.correct[0].value > t.facts["ridge"].value == pytest.approx(H100_PEAK / H100_BW)
    assert (t.reproduced, t.status) == ((), "unreproducible")


def test_the_critical_batch_holds_at_one_token(l70: TransformerConfig) -> None:
    h100 = get_accelerator("h100-sxm")
    linear = ATTN_70B + MLP_70B + D * 32000               # the layers' matmuls and the head

    def per_sequence(context: int) -> tuple[int, int]:   # FLOPs and KV bytes of one sequence
        return 2 * linear + 4 * L * N * H * context, 2 * L * K * H * context * 2

    flops, kv = per_sequence(1)
    batch = math.ceil((2 * PARAMS_70B / H100_BW) / (flops / H100_PEAK - kv / H100_BW))
    r = es.ridge_batch_reproduction(l70, h100, Quantity(148), long_context=2048)
    assert r.correct == (Quantity(batch),) == (Quantity(297),)
    assert r.facts["context"] == Quantity(1)
    flops, kv = per_sequence(2048)
    assert kv / H100_BW > flops / H100_PEAK         # the KV reads alone outlast the FLOPs
    assert "long_batch" not in r.facts
    assert r.facts["long_context"] == Quantity(2048)


def test_moe_corrections_by_hand() -> None:
    mix = get_model("mixtral-8x7b")
    # Mixtral 8x7B: D = 4,096, F = 14,336, L = 32, N = 32, K = 8, H = 128, V = 32,000, E = 8,
    # k = 2; Mistral AI's counts: 46,702,792,704 in all, 12,879,925,248 active; one expert
    # per layer is Mistral 7B's 7,241,732,096.
    d, f, layers, e, k, v = 4096, 14336, 32, 8, 2, 32000
    total, active, dense = 46_702_792_704, 12_879_925_248, 7_241_732_096
    r = ev.moe_params_reproduction(mix, Quantity(8, "x"))
    assert r.reproduced == (Quantity(layers * e * 3 * d * f / (layers * 3 * d * f), "x"),)
    assert r.correct[0].value == pytest.approx(total / dense)              # 6.45
    assert r.facts["active"].value == pytest.approx(active / dense)
    assert r.reproduces
    # FLOPs of a token at context 1: attention 2·(2·D·N·H + 2·D·K·H) + 4·N·H per layer, the
    # router 2·D·E, each expert 6·D·F, the LM head 2·D·V.
    attention = 2 * (2 * d * 32 * 128 + 2 * d * 8 * 128) + 4 * 32 * 128
    router, expert, head = 2 * d * e, 6 * d * f, 2 * d * v

    def token(experts: int) -> int:
        return layers * (attention + router + experts * expert) + head

    c = ev.moe_compute_reproduction(mix, Quantity(25, "%"))
    assert c.reproduced[0].value == pytest.approx(
        100 * (router + k * expert) / (router + e * expert))
    assert c.correct[0].value == pytest.approx(100 * token(k) / token(e))   # 27.4%
    assert c.reproduces


def test_rope_and_the_crossover_claims() -> None:
    seven = get_model("llama-2-7b")
    # Pair i of a 128-wide head turns 10,000^(-2i/128) radians per position; it completes a
    # turn within 4,096 positions only if 2π · 10,000^(2i/128) <= 4,096.
    unturned = sum(2 * math.pi * 10000 ** (2 * i / 128) > 4096 for i in range(64))
    r = ev.rope_reproduction(seven, get_model("llama-3.1-405b"), get_model("deepseek-v3"),
                             40, 4096)
    assert r.facts["unturned"] == Quantity(unturned) == Quantity(18)
    assert [q.value for q in r.correct] == [500000.0, 131072, 40, 4096 * 40]
    assert (r.reproduced, r.status) == ((), "consistent")
    with pytest.raises(WorkloadError, match="not its"):
        ev.rope_reproduction(seven, seven, get_model("deepseek-v3"), 8, 4096)
    # Attention (projections included) passes the MLP where 2·(2·D·N·H + 2·D·K·H) + 4·N·H·S
    # exceeds 6·D·F: the first whole S past (6DF − attention projections)/(4NH).

    def crossing(d: int, n: int, k: int, f: int) -> int:
        return (6 * d * f - 2 * (2 * d * n * 128 + 2 * d * k * 128)) // (4 * n * 128) + 1

    models = [seven, get_model("llama-2-70b"), get_model("llama-3.1-405b")]
    c = ev.attention_dominates_reproduction(seven, (2, 5, 50), models, get_model("mistral-7b"),
                                            Quantity(10, "K"))
    assert [q.value for q in c.correct] == [crossing(4096, 32, 32, 11008),
                                            crossing(D, N, K, F), crossing(D4, 128, 8, F4)]
    assert [q.value for q in c.correct] == [8321, 33793, 62465]
    # Mistral 7B's window of 4,096 keys caps attention below its MLP's 6·D·F.
    assert 2 * (2 * 4096 * 32 * 128 + 2 * 4096 * 8 * 128) + 4 * 32 * 128 * 4096 < 6 * 4096 * 14336
    assert c.facts["window"] == Quantity(4096)
    assert (c.reproduced, c.status) == ((), "consistent")
    with pytest.raises(WorkloadError, match="does overtake"):
        ev.attention_dominates_reproduction(seven, (2, 5, 50), models, seven, Quantity(10, "K"))
    with pytest.raises(WorkloadError, match="never overtakes"):
        ev.attention_dominates_reproduction(seven, (2, 5, 50), [get_model("mistral-7b")],
                                            get_model("mistral-7b"), Quantity(10, "K"))


def test_attention_projections_are_not_o_lnd(l70: TransformerConfig) -> None:
    # Per decode token of Llama 2 70B: projections 2·(2·D·N·H + 2·D·K·H) per layer, scores
    # and A·V 4·N·H per key per layer; equal at S = projections / (4·N·H) = 9,216 keys.
    projections = L * 2 * (2 * D * N * H + 2 * D * K * H)
    per_key = L * 4 * N * H
    r = ev.attention_scaling_reproduction(l70, 2048)
    assert r.correct[0].value == pytest.approx(
        100 * projections / (projections + 2048 * per_key))
    assert r.correct[1] == Quantity(projections // per_key) == Quantity(9216)
    assert (r.reproduced, r.status) == ((), "consistent")


# Each reproduction recomputes the notes' value: handed a different quoted value, it
# recomputes the same number (it never copies the quote back).
REPRODUCTIONS: dict[str, Callable[[Quantity], Reproduction]] = {
    "params": lambda q: params_reproduction(get_model("llama-2-70b"),
                                            notes_config(get_model("llama-2-70b")), q),
    "weights": lambda q: weights_reproduction(get_model("llama-2-70b"),
                                              notes_config(get_model("llama-2-70b")), q, "int8"),
    "intensity": lambda q: es.intensity_reproduction(D, q),
    "attainable": lambda q: es.attainable_reproduction(get_accelerator("h100-sxm"), D, q),
    "ridge": lambda q: es.ridge_rounding_reproduction(
        get_accelerator("h100-sxm"), Quantity(990, "TFLOP/s"), Quantity(3.35, "TB/s", 2), q),
    "reading-label": lambda q: es.reading_label_reproduction(Quantity(250, "words/min"), q),
    "gqa": lambda q: ev.gqa_factor_reproduction(get_model("llama-2-70b"), 32, 8, q),
    "moe-params": lambda q: ev.moe_params_reproduction(get_model("mixtral-8x7b"), q),
    "moe-compute": lambda q: ev.moe_compute_reproduction(get_model("mixtral-8x7b"), q),
}
QUOTED = {"params": Quantity(78.4, "B", 1), "weights": Quantity(78.4, "GB", 1),
          "intensity": Quantity(2, "FLOP/byte"), "attainable": Quantity(6.7, "TFLOP/s", 1),
          "ridge": Quantity(296, "FLOP/byte"), "reading-label": Quantity(4, "tokens/s"),
          "gqa": Quantity(4, "x"), "moe-params": Quantity(8, "x"),
          "moe-compute": Quantity(25, "%")}


@pytest.mark.parametrize("name", REPRODUCTIONS)
def test_a_reproduction_does_not_read_the_quote(name: str) -> None:
    quote = QUOTED[name]
    right = REPRODUCTIONS[name](quote)
    other = REPRODUCTIONS[name](quote.like(quote.value * 3 + 1))
    assert right.reproduced == other.reproduced
    assert right.status == "reproduced"
    assert other.status == "mismatch"


def test_status_vocabulary() -> None:
    assert list(STATUSES) == ["reproduced", "consistent", "unreproducible", "mismatch"]
    with pytest.raises(WorkloadError, match="nothing reproduced"):
        Reproduction((Quantity(1),), (Quantity(1),), (Quantity(2),), consistent=True)


def test_latency_rises_with_size() -> None:
    h100 = get_accelerator("h100-sxm")
    r = es.latency_reproduction(get_model("llama-2-7b"), get_model("llama-2-70b"), h100, 2048)
    # Bandwidth bound: weights and the KV cache at 2,048 tokens, both in fp16, at 3.35 TB/s.
    small = (2 * 6_738_415_616 + 2 * 32 * 4096 * 2048 * 2) / 3.35e12
    large = (2 * PARAMS_70B + 2 * L * K * H * 2048 * 2) / 3.35e12
    assert [q.value for q in r.correct] == pytest.approx([small * 1e3, large * 1e3])
    assert r.notes == ()
    assert not r.reproduces
    assert r.status == "consistent"


def test_reproduces_needs_the_same_unit_and_reading() -> None:
    quoted = (Quantity(85.9, "GB", 1),)
    assert Reproduction(quoted, (Quantity(85.94, "GB", 1),), quoted).reproduces
    assert not Reproduction(quoted, (Quantity(85.96, "GB", 1),), quoted).reproduces
    assert not Reproduction(quoted, (Quantity(85.9, "GiB", 1),), quoted).reproduces
    assert not Reproduction(quoted, (), quoted).reproduces


def test_quoted_values_in_the_wrong_unit_are_refused(l70: TransformerConfig) -> None:
    with pytest.raises(WorkloadError, match="expected a value in 'GB'"):
        es.kv_cache_reproduction(l70, notes_config(l70), 32768, Quantity(85.9, "GiB", 1))
