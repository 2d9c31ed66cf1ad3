"""The errata, notation and command-line pages' builders: cells against the notes' formula
worked by hand, the spec sheets, and the command line run in this process."""

from __future__ import annotations

import json
import sys

import pytest

from ai_workloads.catalog import accelerator_names, get_model, notes_quote
from ai_workloads.cli import PROG, build_parser, main
from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.errata import notes_flops_comparison
from ai_workloads.present.reference_pages import (
    CommandLine,
    cli_commands,
    cli_help,
    dtypes_table,
    notes_flops_table,
    peaks_table,
    shape_letters_table,
)


def test_notes_formula_by_hand() -> None:
    # L(8D² + 4SD + 6DF) for Llama 2 70B with K = N, written out from the notes' formula.
    d, f, layers, s = 8192, 28672, 80, 32768
    row = notes_flops_comparison(["llama-2-70b"], [s])[0]
    assert row.notes_total == layers * (8 * d * d + 4 * s * d + 6 * d * f)
    assert row.notes_attention == layers * (8 * d * d + 4 * s * d)
    assert row.notes_mlp == layers * 6 * d * f


def test_correct_flops_by_hand() -> None:
    # Llama 2 70B: N = 64, K = 8, H = 128, V = 32,000; q and o are D×D, k and v D×KH.
    d, f, layers, s, kv, v = 8192, 28672, 80, 4096, 8 * 128, 32000
    attention = layers * (2 * (2 * d * d) + 2 * (2 * d * kv) + 2 * 2 * s * d)
    mlp = layers * 6 * d * f
    row = notes_flops_comparison(["llama-2-70b"], [s])[0]
    assert row.correct_attention == attention
    assert row.correct_mlp == mlp
    assert row.correct_total == attention + mlp + 2 * d * v


def test_notes_table_reproduces_every_quoted_cell() -> None:
    table = notes_flops_table()
    assert len(table.rows) == 16   # four models at four contexts
    assert all(row[2] == row[3] and row[4] == "yes" for row in table.rows)


def test_mha_models_differ_only_by_lm_head() -> None:
    cfg = get_model("llama-2-7b")  # K = N already
    for row in notes_flops_comparison(["llama-2-7b"], [512, 8192]):
        assert row.correct_total - row.notes_total == 2 * cfg.d_model * cfg.vocab_size
        assert row.correct_attention == row.notes_attention


def test_notation_tables() -> None:
    letters = [row[0] for row in shape_letters_table().rows]
    assert letters == list("BTSDFNKHLVEk")
    assert ("int4", "4", "0.5") in dtypes_table().rows
    h100 = peaks_table(["h100-sxm"])
    bf16 = h100.columns.index("bf16")
    assert h100.rows[0][bf16] == "989.4"  # the H100 SXM sheet's 1,979 sparse, halved
    tpu = peaks_table(["tpu-v4"])
    assert "fp16" not in tpu.columns


def test_cli_help_is_fixed_width_and_complete() -> None:
    parser = build_parser()
    assert cli_commands(parser) == ["models", "hardware", "params", "flops", "memory",
                                    "roofline", "trace", "errata"]
    for command in [None, *cli_commands(parser)]:
        text = cli_help(parser, command, width=70)
        assert max(len(line) for line in text.splitlines()) <= 70
    assert "--prefill T" in cli_help(parser, "flops")


def test_command_line_runs_the_cli_json_and_errors() -> None:
    cli = CommandLine(PROG, main)
    data = json.loads(cli.run(["memory", "llama-2-70b", "--context", "32768",
                               "--dtype", "fp16", "--json"]))
    # 2 (K and V) × L × K × H × S × 2 bytes
    assert data["kv_cache"] == 2 * 80 * 8 * 128 * 32768 * 2
    bad = cli.run(["flops", "gpt2", "--context", "0"])
    assert bad.endswith("(exit status 2)")
    assert bad.count("\n") == 1
    assert cli.transcript(["models"]).startswith("$ ai-workloads models\n")


def test_command_line_keeps_stdout_then_stderr() -> None:
    def noisy(argv: list[str]) -> int:
        print("to stderr", file=sys.stderr)
        print("to stdout", *argv)
        return 0

    assert CommandLine("noisy", noisy).run(["x"]) == "to stdout x\nto stderr"
    assert CommandLine("noisy", noisy).transcript(["a b"]) == (
        "$ noisy 'a b'\nto stdout a b\nto stderr")


@pytest.mark.parametrize("command", ["nope"])
def test_cli_help_unknown_command(command: str) -> None:
    with pytest.raises(WorkloadError, match="no command 'nope'"):
        cli_help(build_parser(), command)


@pytest.mark.parametrize(("model", "context", "d", "f", "layers"), [
    ("llama-2-7b", 512, 4096, 11008, 32),
    ("llama-2-70b", 32768, 8192, 28672, 80),
])
def test_quoted_notes_cells_follow_their_formula(model: str, context: int, d: int, f: int,
                                                 layers: int) -> None:
    # The notes' cells, recomputed here from L(8D² + 4SD + 6DF) with their rounding.
    attention = layers * (8 * d * d + 4 * context * d)
    total = attention + layers * 6 * d * f
    cell = notes_quote(f"flops-per-token/{model}/{context}")
    assert round(total / 1e12, 2) == cell.quantity("total").value
    assert round(100 * attention / total, 1) == cell.quantity("attention").value


def test_every_catalog_chip_cites_its_spec_sheet() -> None:
    table = peaks_table()
    assert len(table.rows) == len(accelerator_names())
    assert all(row[-1].startswith("[spec sheet](http") for row in table.rows)

