"""The FLOP figures and tables: cells against per-op formulas written out from the models'
config.json files, artists against the curves and crossovers given."""

from __future__ import annotations

import numpy as np
import pytest

from ai_workloads.analysis.scaling import (
    context_grid,
    crossover,
    crossovers,
    decode_flops_curve,
    prefill_cost,
    training_cost,
)
from ai_workloads.catalog import get_model
from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.figures.flops import (
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
from ai_workloads.present.style import render

# Llama 2 70B (config.json).
LLAMA2_70B = {"D": 8192, "L": 80, "N": 64, "K": 8, "H": 128, "F": 28672, "V": 32000}


def layer_attention(m: dict[str, int], s: int) -> int:
    """q and o (2·D·N·H each), k and v (2·D·K·H each), scores and A·V (2·N·H·S each)."""
    return 4 * m["D"] * m["N"] * m["H"] + 4 * m["D"] * m["K"] * m["H"] + 4 * m["N"] * m["H"] * s


def layer_mlp(m: dict[str, int]) -> int:
    """Gate, up and down: 2·D·F each."""
    return 6 * m["D"] * m["F"]


def per_token(m: dict[str, int], s: int) -> int:
    """One decode token at context ``s``: every layer's attention and MLP, and the LM head."""
    return m["L"] * (layer_attention(m, s) + layer_mlp(m)) + 2 * m["D"] * m["V"]


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

