"""FLOP scaling (chapter 6) and the key numbers (chapter 9) against hand-derived values.

Expected values come from closed forms written out here with the shapes of the published
``config.json`` files, from a brute-force count of a naive matmul, from the NumPy reference
model's traced FLOPs, or from the lecture notes' own printout (where the notes are right).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ai_workloads.catalog import get_model, model_entry, model_names
from ai_workloads.errors import WorkloadError
from ai_workloads.plotting.flops import (
    KeyNumber,
    attention_ops_table,
    attention_share_figure,
    crossover_figure,
    crossover_table,
    flops_per_token_table,
    flops_vs_context_figure,
    key_numbers_table,
    mlp_ops_table,
    prefill_table,
    training_table,
)
from ai_workloads.plotting.style import render
from ai_workloads.reference import tiny_config
from ai_workloads.scaling import (
    context_grid,
    crossover,
    crossovers,
    decode_flops_curve,
    matmul_flops,
    per_layer_ops,
    prefill_cost,
    training_cost,
)
from ai_workloads.trace import trace_forward

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
    return m["L"] * (layer_attention(m, s) + layer_mlp(m)) + 2 * m["D"] * m["V"]


def naive_matmul_ops(m: int, k: int, n: int) -> int:
    """Multiplications and additions of the schoolbook algorithm, counted one by one."""
    ops = 0
    for _row, _col in itertools.product(range(m), range(n)):
        for term in range(k):
            ops += 1                      # the multiplication
            if term > 0:
                ops += 1                  # adding it to the running sum
    return ops


# ------------------------------------------------------------------ matmul convention


@pytest.mark.parametrize(("m", "k", "n"), [(1, 1, 1), (2, 3, 4), (3, 7, 2), (1, 16, 5)])
def test_matmul_flops_exact_matches_a_brute_force_count(m: int, k: int, n: int) -> None:
    assert matmul_flops(m, k, n, exact_adds=True) == naive_matmul_ops(m, k, n)
    assert matmul_flops(m, k, n) == 2 * m * k * n


@pytest.mark.parametrize(("m", "k", "n"), [(0, 1, 1), (1, 0, 1), (1, 1, -3)])
def test_matmul_flops_rejects_empty_shapes(m: int, k: int, n: int) -> None:
    with pytest.raises(WorkloadError):
        matmul_flops(m, k, n)


# ------------------------------------------------------------------ per-layer ops


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


@pytest.mark.parametrize("family", ["llama", "llama-gqa", "gemma", "mixtral", "gpt2"])
def test_per_layer_ops_match_the_traced_reference_model(family: str) -> None:
    cfg = tiny_config(family)
    context = 9
    traced = trace_forward(cfg, context=context).flops_by_name()
    ops = per_layer_ops(cfg, context)
    for name in ("q", "k", "v", "scores", "attn_v", "o", "up", "down"):
        assert ops[name] * cfg.n_layers == traced[name], name


# ------------------------------------------------------------------ curves and shares


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


@pytest.mark.parametrize("family", ["llama-gqa", "qwen2", "mixtral"])
def test_curve_matches_the_traced_reference_model(family: str) -> None:
    cfg = tiny_config(family)
    contexts = [1, 5, 17]
    curve = decode_flops_curve(cfg, contexts)
    traced = [trace_forward(cfg, context=s).matmul_flops for s in contexts]
    assert curve.total.tolist() == traced


# The notes' printout (section 5), right for MHA models; 70B and 405B as the notes'
# formula sees them, i.e. with K = N.
NOTES_SHARES = {
    "llama-2-7b": [34.5, 38.3, 49.8, 71.3],
    "llama-2-13b": [34.1, 37.2, 47.1, 67.5],
    "llama-2-70b": [28.2, 30.0, 36.4, 53.3],
    "llama-3.1-405b": [29.4, 30.4, 33.9, 45.1],
}


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


# ------------------------------------------------------------------ crossovers


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


def first_context_above(cfg_shape: dict[str, int], fixed: int, mlp: int) -> int:
    """Brute force: the first S with fixed + 4·N·H·S > mlp (per layer)."""
    s = 1
    while fixed + 4 * cfg_shape["N"] * cfg_shape["H"] * s <= mlp:
        s += 1
    return s


def test_crossover_of_plain_mlp_by_brute_force() -> None:
    d = 768
    shape = {"N": 12, "H": 64}
    # GPT-2: up and down only (4·D·F), MHA projections 8·D²
    assert crossover(get_model("gpt2")).with_projections == first_context_above(
        shape, 8 * d * d, 4 * d * 3072)


def test_gqa_never_moves_the_crossover_earlier() -> None:
    for c in crossovers([get_model(n) for n in model_names()]):
        assert c.with_projections >= c.mha_with_projections
        assert c.core_only > c.with_projections


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


# ------------------------------------------------------------------ prefill and training


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


# ------------------------------------------------------------------ tables


def test_attention_ops_table_values() -> None:
    m = LLAMA2_70B
    table = attention_ops_table([get_model("llama-2-70b")], 4096)
    assert len(table.rows) == 7
    assert table.rows[1][-1] == f"{2 * m['D'] * m['K'] * m['H']:,}"
    assert table.rows[-1][-1] == f"{layer_attention(m, 4096):,}"


def test_mlp_ops_table_values() -> None:
    table = mlp_ops_table([get_model("mixtral-8x7b")])
    assert table.rows[0][-1] == f"{2 * 4096 * 8:,}"               # router 2·D·E
    assert table.rows[2][-1] == f"{2 * 2 * 4096 * 14336:,}"       # up, k = 2 experts


def test_flops_per_token_table_values() -> None:
    m = LLAMA2_70B
    row = flops_per_token_table([get_model("llama-2-70b")], [32768]).rows[0]
    assert row[2] == f"{per_token(m, 32768) / 1e9:,.1f}"
    mha = dict(m, K=m["N"])
    assert row[4] == f"{m['L'] * (layer_attention(mha, 32768) + layer_mlp(mha)) / 1e9:,.1f}"
    assert row[5] == "53.3%"                                        # the notes' printout


def test_crossover_prefill_training_and_key_tables() -> None:
    points = crossovers([get_model("llama-2-7b")])
    assert crossover_table(points).rows[0][5] == "8,321"
    assert len(prefill_table([prefill_cost(get_model("gpt2"), 8)]).rows) == 1
    gpt3 = training_cost(get_model("gpt-3"), 300 * 10**9, 2048)
    assert training_table([gpt3]).columns[-1] == "counted / rule"
    row = key_numbers_table([KeyNumber("x", 0.0034, "", ".2%", None, "here")]).rows[0]
    assert row == ("x", "0.34%", "–", "here")


# ------------------------------------------------------------------ figures


def test_flops_vs_context_figure() -> None:
    curve = decode_flops_curve(get_model("llama-2-7b"), context_grid(100, 100_000, 30))
    fig = flops_vs_context_figure(curve)
    ax = fig.axes[0]
    assert len(ax.collections) == 4
    assert ax.get_xscale() == "log"
    assert ax.get_xlim() == (100.0, 100_000.0)
    # the same inputs give the same bytes (a fresh figure each time, as in a site build)
    assert render(fig).data == render(flops_vs_context_figure(curve)).data


def test_attention_share_figure_marks_the_exact_crossovers() -> None:
    cfg = get_model("llama-2-7b")
    cross = crossover(cfg)
    fig = attention_share_figure(decode_flops_curve(cfg, [100, 1000, 100_000]), cross, 7906)
    xs = [np.asarray(line.get_xdata(), dtype=float) for line in fig.axes[0].lines
          if line.get_linestyle() == ":"]
    verticals = [float(x[0]) for x in xs if np.all(x == x[0])]
    assert sorted(verticals) == [cross.with_projections, cross.core_only]


def test_crossover_figure_rows() -> None:
    points = crossovers([get_model(n) for n in ("gpt2", "llama-2-7b", "mixtral-8x7b")])
    fig = crossover_figure(points)
    assert len(fig.axes[0].patches) == 3
    with pytest.raises(WorkloadError):
        crossover_figure([])
