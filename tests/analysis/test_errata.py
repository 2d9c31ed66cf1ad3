"""The errata analyses: each reproduction and correction against values worked out by hand.

The quoted values are the notes' own (their text export, section by section); every other
number below is derived here from the checkpoints' shapes and the spec sheets.
"""

from __future__ import annotations

import pytest

from ai_workloads.analysis import errata_serving as es
from ai_workloads.analysis.errata import (
    Reproduction,
    attention_share_reproduction,
    crossover_on_grid,
    crossover_reproduction,
    flops_comparison,
    flops_per_token_reproduction,
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
    reading = es.reading_speed_reproduction(Quantity(250, "words/min"),
                                            Quantity(250, "tokens/s"))
    assert reading.correct[0].value == pytest.approx(250 * 4 / 3 / 60)     # 5.6 tokens/s
    assert reading.reproduces
    flash = es.score_matrix_reproduction((2, 6, 100), Quantity(4, "PB"))
    assert flash.correct == (Quantity(4.0, "TB", 0),)                  # 10¹² scores · 4 bytes
    assert flash.reproduces
    gqa = es.gqa_factor_reproduction(get_model("llama-2-70b"), 32, 8, Quantity(4, "x"))
    assert gqa.correct == (Quantity(8, "x"),)
    assert gqa.reproduces
    moore = moore_reproduction(Quantity(2, "x per step"))
    assert moore.correct[0].value == pytest.approx(2**0.5)
    assert moore.reproduces


def test_latency_rises_with_size() -> None:
    h100 = get_accelerator("h100-sxm")
    r = es.latency_reproduction(get_model("llama-2-7b"), get_model("llama-2-70b"), h100, 2048)
    # Bandwidth bound: weights and the KV cache at 2,048 tokens, both in fp16, at 3.35 TB/s.
    small = (2 * 6_738_415_616 + 2 * 32 * 4096 * 2048 * 2) / 3.35e12
    large = (2 * PARAMS_70B + 2 * L * K * H * 2048 * 2) / 3.35e12
    assert [q.value for q in r.correct] == pytest.approx([small * 1e3, large * 1e3])
    assert r.notes == ()
    assert not r.reproduces


def test_reproduces_needs_the_same_unit_and_reading() -> None:
    quoted = (Quantity(85.9, "GB", 1),)
    assert Reproduction(quoted, (Quantity(85.94, "GB", 1),), quoted).reproduces
    assert not Reproduction(quoted, (Quantity(85.96, "GB", 1),), quoted).reproduces
    assert not Reproduction(quoted, (Quantity(85.9, "GiB", 1),), quoted).reproduces
    assert not Reproduction(quoted, (), quoted).reproduces


def test_quoted_values_in_the_wrong_unit_are_refused(l70: TransformerConfig) -> None:
    with pytest.raises(WorkloadError, match="expected a value in 'GB'"):
        es.kv_cache_reproduction(l70, notes_config(l70), 32768, Quantity(85.9, "GiB", 1))
