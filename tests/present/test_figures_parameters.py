"""The parameter figures and tables: cells against the published checkpoints and the configs,
one artist per value given."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ai_workloads.analysis.shapes import category_shares, group_shares
from ai_workloads.analysis.swiglu import LLAMA_FFN_ARGS, llama_ffn_checks
from ai_workloads.catalog import get_model, model_names
from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.figures.parameters import (
    block_catalog_table,
    breakdown_table,
    category_pie,
    config_table,
    ffn_rule_table,
    layer_shapes_table,
    mlp_share_figure,
    shape_summary_table,
    share_bars,
    tensor_label,
    totals_table,
)

sys.path.insert(0, str(Path(__file__).parent))
from test_figures_heads import SMALLEST_PX, smallest_label_px


def test_breakdown_table_uses_exact_memory() -> None:
    row = breakdown_table([get_model("llama-2-70b")]).rows[0]
    assert row[1] == row[2] == "68,976,648,192"  # published checkpoint
    assert row[6] == f"{2 * 68_976_648_192 / 1e9:.2f}"
    # INT8 as checkpoints store it: the 80 layers' seven matrices one byte a value plus an
    # fp16 scale per output row (8192 + 2·1024 + 8192 + 2·28672 + 8192 rows a layer); the
    # embedding, LM head (2 · 32000 · 8192) and 161 norms of 8192 stay in bf16.
    rest = 2 * 32000 * 8192 + 161 * 8192
    linear = 68_976_648_192 - rest
    scales = 80 * 2 * (8192 + 2 * 1024 + 8192 + 2 * 28672 + 8192)
    assert row[7] == f"{(linear + scales + 2 * rest) / 1e9:.2f}" == "69.52"


def test_tables_have_the_expected_rows() -> None:
    llama = get_model("llama-2-7b")
    checks = llama_ffn_checks([get_model(name) for name in LLAMA_FFN_ARGS])
    rows = ffn_rule_table(checks).rows
    assert len(rows) == 7
    # Llama 2 70B: int(8·8192/3) = 21845, × 1.3 = 28398, up to 7 · 4096 = 28672.
    assert rows[2] == ("Llama 2 70B", "8,192", "21,845", "1.3", "28,398", "4,096", "28,672",
                       "28,672", "yes")
    assert len(block_catalog_table([get_model(n) for n in model_names()]).rows) == len(
        model_names())
    # Llama 2 70B (config.json): 64 attention heads, 8 key/value heads; N/K is their ratio.
    assert shape_summary_table([get_model("llama-2-70b")]).rows[0][3:6] == ("64", "8", "8")
    assert config_table(llama).rows[5] == ("MLP hidden size", "F", "11,008")
    assert totals_table(llama).rows[-1] == ("published", "", "6,738,415,616")
    table = layer_shapes_table([llama, get_model("llama-2-70b")])
    # Shapes keep to one line in a table cell: their spaces do not break.
    assert table.rows[2][2:] == ("[4,096,\u00a04,096]", "16,777,216", "[8,192,\u00a01,024]",
                                 "8,388,608")
    assert table.rows[2][0] == "$W_K$"
    assert table.columns[2:4] == ("Llama 2 7B: shape", "Llama 2 7B: parameters")


def test_block_catalog_table_names_what_its_moe_layers_hold() -> None:
    rows = {row[0]: row for row in block_catalog_table(
        [get_model(n) for n in ("mixtral-8x7b", "deepseek-v3", "gemma-2-9b", "gpt2")]).rows}
    # Mixtral (config.json): num_local_experts 8, num_experts_per_tok 2, no shared expert.
    assert rows["Mixtral 8x7B"][3:5] == ("SwiGLU", "8, 2 per token")
    # DeepSeek-V3 (config.json): 256 routed experts, 8 per token, 1 shared expert, the first
    # 3 of its 61 layers dense (first_k_dense_replace = 3).
    assert rows["DeepSeek-V3"][4] == "256, 8 per token, + shared, in 58 of 61 layers"
    # Gemma 2 normalizes each sub-layer's input and its output (pre- and post- norms).
    assert rows["Gemma 2 9B"][2] == "pre and post"
    assert rows["GPT-2 (124M)"][4] == "–"


def test_tensor_labels_are_maths() -> None:
    assert [tensor_label(n) for n in ("W_O", "b_Q", "W_down", "β_final")] == [
        "$W_O$", "$b_Q$", "$W_\\mathrm{down}$", "$\\beta_\\mathrm{final}$"]


def test_layer_shapes_table_rejects_different_structures() -> None:
    with pytest.raises(WorkloadError, match="different weights"):
        layer_shapes_table([get_model("gpt2"), get_model("llama-2-7b")])


def test_charts_draw_one_artist_per_value() -> None:
    pie = category_pie(category_shares(get_model("llama-2-7b")))
    assert len(pie.axes[0].patches) == 5  # attention, MLP, embedding, LM head, norms
    bars = share_bars(["a", "b", "c"], [group_shares(get_model(n))
                                        for n in ("gpt2", "llama-2-7b", "gemma-2b")])
    assert len(bars.axes[0].patches) == 3 * 4
    fig = mlp_share_figure(["a"], [0.5], [0.6], 2 / 3)
    assert len(fig.axes[0].patches) == 1


def test_charts_are_legible_on_a_phone() -> None:
    names = ("gpt2", "llama-2-7b", "gemma-2b", "mixtral-8x7b")
    figures = [
        category_pie(category_shares(get_model("llama-2-7b")), "Llama 2 7B"),
        share_bars(list(names), [group_shares(get_model(n)) for n in names]),
        mlp_share_figure(list(names), [0.5, 0.6, 0.7, 0.9], [0.66, 0.67, 0.9, 0.97], 2 / 3),
    ]
    for fig in figures:
        fig.draw_without_rendering()
        assert smallest_label_px(fig) >= SMALLEST_PX


def test_charts_reject_bad_input() -> None:
    with pytest.raises(WorkloadError, match="positive share"):
        category_pie({"attention": 0.0})
    with pytest.raises(WorkloadError, match="one share mapping per label"):
        share_bars(["a"], [])
    with pytest.raises(WorkloadError, match="no colour"):
        category_pie({"mystery": 1.0})

