"""Tables: text, Markdown and HTML rendering, alignment, notes, escaping, and the builders.

The builders' expected cells are derived by hand from the published shapes (GPT-2: V = 50257,
D = 768, 12 layers, F = 4·D, biases everywhere) and spec sheets (H100 SXM: 989.4 TFLOP/s dense
bf16, 3.35 TB/s).
"""

from __future__ import annotations

import dataclasses

import pytest

from ai_workloads.catalog import get_accelerator, get_model, model_names
from ai_workloads.core.accelerator import Accelerator
from ai_workloads.present.tables import (
    Table,
    bytes_cell,
    capacity_table,
    hardware_table,
    models_table,
    params_table,
)

DEMO = Table("Demo", ("model", "params"), (("gpt2", "124M"), ("llama-2-70b", "69B")),
             ("l", "r"))


# --------------------------------------------------------------------------- text

def test_text_pads_columns_to_the_widest_cell() -> None:
    assert DEMO.to_text().splitlines() == [
        "Demo",
        "model        params",
        "-----------  ------",
        "gpt2           124M",
        "llama-2-70b     69B",
    ]


def test_text_header_wider_than_every_cell() -> None:
    t = Table("T", ("a long header", "n"), (("x", "1"),), ("r", "l"))
    assert t.to_text().splitlines()[1:] == [
        "a long header  n",
        "-------------  -",
        "            x  1",
    ]


def test_text_default_alignment_is_left_and_lines_carry_no_trailing_spaces() -> None:
    t = Table("T", ("name", "note"), (("a", "x"), ("bbbb", "")))
    lines = t.to_text().splitlines()
    assert lines[3:] == ["a     x", "bbbb"]
    assert all(line == line.rstrip() for line in lines)


def test_text_notes_follow_the_rows() -> None:
    t = dataclasses.replace(DEMO, notes=("Counts are exact.", "Source: the Hub."))
    assert t.to_text().splitlines()[-3:] == ["llama-2-70b     69B", "Counts are exact.",
                                             "Source: the Hub."]


def test_text_of_a_table_without_rows() -> None:
    t = Table("Empty", ("name", "value"), ())
    assert t.to_text() == "Empty\nname  value\n----  -----"


# --------------------------------------------------------------------------- markdown

def test_markdown_pipe_table_without_title() -> None:
    assert DEMO.to_markdown() == (
        "| model | params |\n"
        "| :-- | --: |\n"
        "| gpt2 | 124M |\n"
        "| llama-2-70b | 69B |")
    assert "Demo" not in DEMO.to_markdown()


def test_markdown_default_alignment_is_left() -> None:
    t = Table("T", ("a", "b", "c"), (("1", "2", "3"),))
    assert t.to_markdown().splitlines()[1] == "| :-- | :-- | :-- |"


def test_markdown_escapes_pipes_in_cells() -> None:
    t = Table("T", ("expr", "value"), (("a|b", "|x|"),))
    assert t.to_markdown().splitlines()[2] == r"| a\|b | \|x\| |"


# --------------------------------------------------------------------------- html

def test_html_table_with_aligned_cells() -> None:
    assert DEMO.to_html() == (
        '<table class="table aiw-table"><thead><tr>'
        '<th style="text-align:left">model</th><th style="text-align:right">params</th>'
        "</tr></thead><tbody>"
        '<tr><td style="text-align:left">gpt2</td><td style="text-align:right">124M</td></tr>'
        '<tr><td style="text-align:left">llama-2-70b</td>'
        '<td style="text-align:right">69B</td></tr>'
        "</tbody></table>")


def test_html_escapes_cells_and_headers() -> None:
    t = Table("T", ("<b>", 'say "hi"'), (("a < b & c", "x > y"),))
    out = t.to_html()
    assert "<th style=\"text-align:left\">&lt;b&gt;</th>" in out
    assert "say &quot;hi&quot;" in out
    assert "a &lt; b &amp; c" in out
    assert "x &gt; y" in out
    assert "<b>" not in out


def test_html_of_a_table_without_rows() -> None:
    t = Table("T", ("a",), ())
    assert t.to_html().endswith("<tbody></tbody></table>")


def test_notebooks_show_the_html_and_markdown_forms() -> None:
    assert DEMO._repr_html_() == DEMO.to_html()
    assert DEMO._repr_markdown_() == DEMO.to_markdown()


def test_table_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEMO.title = "Other"  # type: ignore[misc]


# --------------------------------------------------------------------------- builders

def test_gpt2_parameter_table_by_hand() -> None:
    table = params_table(get_model("gpt2"))
    assert table.title == "GPT-2 (124M) parameters (gpt2)"
    assert table.columns == ("component", "count", "share")
    assert table.align == ("l", "r", "r")
    counts = {name: count for name, count, _ in table.rows}
    assert counts == {
        "embedding": f"{50257 * 768:,}",                    # 38,597,376
        "positions": f"{1024 * 768:,}",
        "attn_norm": f"{12 * 2 * 768:,}",                   # weight and bias, 12 layers
        "q": f"{12 * (768 * 768 + 768):,}",
        "k": f"{12 * (768 * 768 + 768):,}",
        "v": f"{12 * (768 * 768 + 768):,}",
        "o": f"{12 * (768 * 768 + 768):,}",
        "mlp_norm": f"{12 * 2 * 768:,}",
        "up": f"{12 * (768 * 3072 + 3072):,}",
        "down": f"{12 * (3072 * 768 + 768):,}",
        "final_norm": f"{2 * 768:,}",
        "total": "124,439,808",                             # the checkpoint's count
    }
    shares = {name: share for name, _, share in table.rows}
    # 38,597,376 / 124,439,808 = 31.02 %; 28,348,416 / 124,439,808 = 22.78 %.
    assert (shares["embedding"], shares["up"], shares["total"]) == ("31.0%", "22.8%", "100.0%")
    assert (shares["positions"], shares["final_norm"]) == ("0.6%", "0.0%")


def test_parameter_table_leaves_out_empty_components() -> None:
    rows = {name: count for name, count, _ in params_table(get_model("llama-2-7b")).rows}
    assert "positions" not in rows  # RoPE: no learned positions
    assert rows["lm_head"] == f"{32000 * 4096:,}"  # untied
    assert rows["total"] == "6,738,415,616"


def test_moe_parameter_table_ends_with_the_active_count() -> None:
    last = params_table(get_model("mixtral-8x7b")).rows[-1]
    # 12,879,925,248 of 46,702,792,704 = 27.58 %.
    assert last == ("active per token", "12,879,925,248", "27.6%")


def test_parameter_table_of_a_model_outside_the_catalog() -> None:
    cfg = get_model("gpt2").replace(name="my-gpt")
    assert params_table(cfg).title == "my-gpt parameters"


def test_models_table_has_one_row_per_catalog_model() -> None:
    table = models_table()
    assert [row[0] for row in table.rows] == model_names()
    rows = {row[0]: row for row in table.rows}
    assert rows["llama-2-70b"] == ("llama-2-70b", "Llama 2 70B", "llama", "8,192", "80",
                                   "64", "8", "128", "28,672", "32,000", "GQA",
                                   "68,976,648,192")
    assert rows["gpt-3"][-1] == "175B"  # no checkpoint: the paper's label
    assert len(table.align) == len(table.columns) == 12


def test_hardware_table_h100_row() -> None:
    table = hardware_table(dtype="bf16")
    rows = {row[0]: row for row in table.rows}
    # 989.4 TFLOP/s over 3.35 TB/s = 295.3 FLOP per byte; five 16 GiB stacks, nvidia-smi's
    # 81,559 MiB; NVLink 4, 18 links × 25 GB/s each way; 700 W.
    assert rows["h100-sxm"] == ("h100-sxm", "NVIDIA H100 SXM", "989.4", "3.35", "80 GiB",
                                f"{81559 / 1024:.2f} GiB", "295", "900", "700")
    assert rows["tpu-v4"][4:6] == ("32 GiB", "–")
    assert rows["tpu-v4"][7:] == ("–", "–")       # no ICI or power figure published
    assert table.title == "Accelerators (bf16 dense peaks)"
    assert any("usable" in note for note in table.notes)


def test_hardware_table_marks_formats_a_chip_lacks() -> None:
    table = hardware_table([get_accelerator("tpu-v4"), get_accelerator("h100-sxm")], "fp8")
    assert table.columns[2] == "fp8 TFLOP/s"
    tpu, h100 = table.rows
    assert (tpu[2], tpu[6]) == ("–", "–")
    # 1,978.9 TFLOP/s over 3.35 TB/s = 590.7 FLOP per byte.
    assert (h100[2], h100[6]) == ("1,978.9", "591")


def test_hardware_table_fp4() -> None:
    rows = {r[0]: r for r in hardware_table(dtype="fp4").rows}
    # GB300 NVL72: 1,080 PFLOPS fp4 without sparsity for 72 GPUs, 8 TB/s each.
    assert rows["gb300"][2] == f"{1_080_000 / 72:,.1f}"
    assert rows["gb300"][6] == f"{15e15 / 8e12:,.0f}"
    assert rows["h100-sxm"][2] == "–"


def test_hardware_table_of_a_chip_outside_the_catalog() -> None:
    chip = Accelerator(name="mine", peak_flops={"bf16": 100e12}, bandwidth=0.5e12,
                       capacity_bytes=64 * 2**30, capacity_value=64, capacity_unit="GiB")
    (row,) = hardware_table([chip]).rows
    assert row == ("mine", "mine", "100.0", "0.50", "64 GiB", "–", "200", "–", "–")


def test_capacity_table() -> None:
    rows = {r[0]: r for r in capacity_table().rows}
    h100, mi300x, tpu = rows["NVIDIA H100 SXM"], rows["AMD Instinct MI300X"], rows["Google TPU v4"]
    assert h100[1:5] == ("80GB HBM3", f"{5 * 16 * 2**30:,} (80 GiB)",
                         f"{81559 * 2**20:,} ({81559 / 1024:.2f} GiB)", "usable")
    assert mi300x[3].startswith("206,141,652,992 ")     # rocm-smi, in bytes
    assert tpu[3:6] == ("–", "nominal", "–")
    assert h100[5].startswith("[driver total](https://")


@pytest.mark.parametrize(("n_bytes", "text"), [
    (80 * 10**9, "80,000,000,000 (80.00 GB)"),
    (2**30, "1,073,741,824 (1.07 GB)"),
    (10_737_418_240, "10,737,418,240 (10.74 GB)"),   # Llama 2 70B's KV cache at 32k
    (0, "0 (0.00 GB)"),
])
def test_bytes_cell(n_bytes: int, text: str) -> None:
    assert bytes_cell(n_bytes) == text
