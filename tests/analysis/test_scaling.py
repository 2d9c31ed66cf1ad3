"""FLOPs against context, crossovers, prefill and training costs, against per-op formulas
written out from the models' config.json files, brute-force searches, the notes' printed
shares (reproduced with K = N) and the published training runs."""

from __future__ import annotations

import numpy as np
import pytest

from ai_workloads.analysis.scaling import (
    context_grid,
    crossover,
    crossovers,
    decode_flops_curve,
    per_layer_ops,
    prefill_cost,
    training_cost,
)
from ai_workloads.catalog import get_model, model_entry, model_names
from ai_workloads.core.errors import WorkloadError

# Shapes from the checkpoints' config.json files.
LLAMA2_7B = {"D": 4096, "L": 32, "N": 32, "K": 32, "H": 128, "F": 11008, "V": 32000}
LLAMA2_13B = {"D": 5120, "L": 40, "N": 40, "K": 40, "H": 128, "F": 13824, "V": 32000}
LLAMA2_70B = {"D": 8192, "L": 80, "N": 64, "K": 8, "H": 128, "F": 28672, "V": 32000}
LLAMA31_405B = {"D": 16384, "L": 126, "N": 128, "K": 8, "H": 128, "F": 53248, "V": 128256}


def layer_attention(m: dict[str, int], s: int) -> int:
    """q and o (2·D·N·H each), k and v (2·D·K·H each), scores and A·V (2·N·H·S each)."""
    return 4 * m["D"] * m["N"] * m["H"] + 4 * m["D"] * m["K"] * m["H"] + 4 * m["N"] * m["H"] * s


def layer_mlp(m: dict[str, int]) -> int:
    """Gate, up and down: 2·D·F each."""
    return 6 * m["D"] * m["F"]


def per_token(m: dict[str, int], s: int) -> int:
    """One decode token at context ``s``: every layer's attention and MLP, and the LM head."""
    return m["L"] * (layer_attention(m, s) + layer_mlp(m)) + 2 * m["D"] * m["V"]


# The notes' printout (section 5), right for MHA models; 70B and 405B as the notes'
# formula sees them, i.e. with K = N.
NOTES_SHARES = {
    "llama-2-7b": [34.5, 38.3, 49.8, 71.3],
    "llama-2-13b": [34.1, 37.2, 47.1, 67.5],
    "llama-2-70b": [28.2, 30.0, 36.4, 53.3],
    "llama-3.1-405b": [29.4, 30.4, 33.9, 45.1],
}


def first_context_above(cfg_shape: dict[str, int], fixed: int, mlp: int) -> int:
    """Brute force: the first S with fixed + 4·N·H·S > mlp (per layer)."""
    s = 1
    while fixed + 4 * cfg_shape["N"] * cfg_shape["H"] * s <= mlp:
        s += 1
    return s



def test_per_layer_ops_of_llama_2_70b_by_hand() -> None:
    m, s = LLAMA2_70B, 4096
    ops = per_layer_ops(get_model("llama-2-70b"), s)
    assert ops["q"] == ops["o"] == 2 * m["D"] * m["N"] * m["H"]
    assert ops["k"] == ops["v"] == 2 * m["D"] * m["K"] * m["H"]
    assert ops["scores"] == ops["attn_v"] == 2 * m["N"] * m["H"] * s
    assert ops["gate"] == ops["up"] == ops["down"] == 2 * m["D"] * m["F"]
    assert ops["router"] == 0
    assert ops["attention"] == layer_attention(m, s)
    assert ops["mlp"] == layer_mlp(m)


def test_mha_attention_is_8d2_plus_4sd() -> None:
    m, s = LLAMA2_7B, 1000
    d = m["D"]
    assert per_layer_ops(get_model("llama-2-7b"), s)["attention"] == 8 * d * d + 4 * s * d


@pytest.mark.parametrize(("name", "shape"), [("llama-2-7b", LLAMA2_7B),
                                             ("llama-2-13b", LLAMA2_13B),
                                             ("llama-2-70b", LLAMA2_70B),
                                             ("llama-3.1-405b", LLAMA31_405B)])
def test_curve_totals_match_the_closed_form(name: str, shape: dict[str, int]) -> None:
    contexts = [1, 512, 2048, 8192, 32768, 100_000]
    curve = decode_flops_curve(get_model(name), contexts)
    assert curve.total.tolist() == [per_token(shape, s) for s in contexts]
    assert curve.lm_head == 2 * shape["D"] * shape["V"]
    assert curve.per_key == 4 * shape["L"] * shape["N"] * shape["H"]


@pytest.mark.parametrize("name", list(NOTES_SHARES))
def test_notes_attention_shares_are_reproduced_with_mha(name: str) -> None:
    curve = decode_flops_curve(get_model(name).with_mha(), [512, 2048, 8192, 32768])
    got = np.round(100 * curve.attention_share(), 1).tolist()
    assert got == NOTES_SHARES[name]


def test_gqa_share_of_70b_at_32k_by_hand() -> None:
    m, s = LLAMA2_70B, 32768
    share = layer_attention(m, s) / (layer_attention(m, s) + layer_mlp(m))
    curve = decode_flops_curve(get_model("llama-2-70b"), [s])
    assert float(curve.attention_share()[0]) == pytest.approx(share, rel=1e-12)
    assert share < 0.5


def test_core_only_share_by_hand() -> None:
    m, s = LLAMA2_7B, 10_000
    core = m["L"] * 4 * m["N"] * m["H"] * s
    mlp = m["L"] * layer_mlp(m)
    curve = decode_flops_curve(get_model("llama-2-7b"), [s])
    assert float(curve.attention_share(False)[0]) == pytest.approx(core / (core + mlp))


@pytest.mark.parametrize("bad", [[], [0, 5], [[1, 2]], [1.5, 2.0]])
def test_curve_rejects_bad_contexts(bad: object) -> None:
    with pytest.raises(WorkloadError):
        decode_flops_curve(get_model("gpt2"), bad)  # type: ignore[arg-type]


def test_context_grid() -> None:
    grid = context_grid(100, 100_000, 200)
    assert grid[0] == 100
    assert grid[-1] == 100_000
    assert np.all(np.diff(grid) > 0)
    assert grid.dtype == np.int64
    with pytest.raises(WorkloadError):
        context_grid(10, 10)


def test_llama_2_7b_crossovers_by_hand() -> None:
    m = LLAMA2_7B
    # 8D² + 4SD > 6DF  <=>  S > 1.5F - 2D (an integer here, so the first S is one more)
    assert crossover(get_model("llama-2-7b")).with_projections == 3 * m["F"] // 2 - 2 * m["D"] + 1
    assert crossover(get_model("llama-2-7b")).core_only == 3 * m["F"] // 2 + 1


def test_gqa_crossover_closed_form_for_70b() -> None:
    m = LLAMA2_70B
    c = crossover(get_model("llama-2-70b"))
    # S > 1.5F - D(1 + K/N) with N·H = D
    assert c.with_projections == 3 * m["F"] // 2 - m["D"] - m["D"] * m["K"] // m["N"] + 1
    assert c.mha_with_projections == 3 * m["F"] // 2 - 2 * m["D"] + 1
    assert c.core_only == 3 * m["F"] // 2 + 1
    assert not c.inside_window


def test_crossover_of_plain_mlp_by_brute_force() -> None:
    d = 768
    shape = {"N": 12, "H": 64}
    # GPT-2: up and down only (4·D·F), MHA projections 8·D²
    assert crossover(get_model("gpt2")).with_projections == first_context_above(
        shape, 8 * d * d, 4 * d * 3072)


def _at(context: int | None) -> float:
    return float("inf") if context is None else context  # None: never


def test_gqa_never_moves_the_crossover_earlier() -> None:
    for c in crossovers([get_model(n) for n in model_names()]):
        assert _at(c.with_projections) >= _at(c.mha_with_projections)
        assert _at(c.core_only) > _at(c.with_projections) or c.core_only is None


def test_a_window_can_keep_attention_below_the_mlp() -> None:
    # Mistral 7B: every layer attends at most 4,096 keys; at 4,096 keys attention (with
    # projections) is still below the MLP, so it never overtakes it.
    mistral = crossover(get_model("mistral-7b"))
    assert mistral.with_projections is None
    assert mistral.windows == "4,096"
    full = crossover(get_model("mistral-7b").replace(layer_types=()))
    assert full.with_projections is not None
    assert full.with_projections > 4096


def test_core_only_crossover_does_not_depend_on_kv_heads() -> None:
    for name in ("llama-2-70b", "mistral-7b", "gemma-2b", "qwen2.5-7b"):
        cfg = get_model(name)
        assert crossover(cfg).core_only == crossover(cfg.with_mha()).core_only


def test_crossovers_skip_encoders_and_find_long_context_models() -> None:
    points = crossovers([get_model(n) for n in model_names()])
    assert "bert-base" not in [p.model for p in points]
    inside = {p.model for p in points if p.inside_window}
    # Llama 3.1 405B: 1.5·53248 - 16384·(1 + 8/128) + 1 = 62,465 <= 131,072 positions
    assert "llama-3.1-405b" in inside
    assert "llama-2-7b" not in inside


def test_mixtral_crossover_by_hand() -> None:
    d, f, k, e, kv = 4096, 14336, 2, 8, 1024
    mlp = k * 6 * d * f + 2 * d * e
    fixed = 4 * d * d + 4 * d * kv
    c = crossover(get_model("mixtral-8x7b"))
    assert c.with_projections == first_context_above({"N": 32, "H": 128}, fixed, mlp)


@pytest.mark.parametrize(("name", "shape", "tokens"), [("llama-2-7b", LLAMA2_7B, 4096),
                                                       ("llama-2-70b", LLAMA2_70B, 777)])
def test_prefill_cost_by_hand(name: str, shape: dict[str, int], tokens: int) -> None:
    dense = per_token(shape, 0)
    per_key = 4 * shape["L"] * shape["N"] * shape["H"]
    cost = prefill_cost(get_model(name), tokens)
    assert cost.full == tokens * dense + per_key * tokens * tokens
    assert cost.causal == tokens * dense + per_key * tokens * (tokens + 1) // 2
    assert cost.decode_steps == cost.causal
    assert cost.causal_fraction == pytest.approx(cost.causal / cost.full)


def test_training_cost_by_hand_against_published_parameters() -> None:
    m, tokens, seq = LLAMA2_7B, 2 * 10**12, 4096
    dense = per_token(m, 0)
    per_key = 4 * m["L"] * m["N"] * m["H"]
    forward = seq * dense + per_key * seq * (seq + 1) // 2
    cost = training_cost(get_model("llama-2-7b"), tokens, seq)
    assert cost.counted == 3 * (tokens // seq) * forward
    published = model_entry("llama-2-7b").published_params
    assert published is not None
    assert cost.rule == 6 * published * tokens
    assert 1.0 < cost.ratio < 1.1


def test_training_cost_rejects_ragged_sequences() -> None:
    with pytest.raises(WorkloadError):
        training_cost(get_model("gpt2"), 1000, 3)

