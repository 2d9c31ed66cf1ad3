"""The errata as the page shows them: each reproduction prints exactly what the notes print,
and every value that cannot be recomputed says so."""

from __future__ import annotations

import pytest

from ai_workloads.catalog import notes_quotes
from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.errata import (
    causes_markdown,
    errata,
    erratum,
    notes_config,
    notes_crossover_on_grid,
    notes_flops_comparison,
    notes_flops_contexts,
    notes_flops_models,
    quoted,
    status_counts,
    status_table,
    statuses,
)

# What the lecture notes print, as printed (their text export, by section): the independent
# source here, typed from the notes rather than read from the package's data file.
PRINTED = {
    "params-gqa-70b": "78.4B", "params-gqa-405b": "469.3B", "attention-share-70b": "27.4%",
    "fp16-weights-70b": "156.7 GB", "fp16-weights-405b": "938.5 GB",
    "flops-per-token-70b": "0.24 TFLOPs", "crossover-7b": "7,906",
    "intensity-batch-1": "2 FLOP/byte", "utilization-batch-1": "0.7%", "batch-for-ridge": "148",
    "roofline-batch-32": "64", "kv-cache-gqa-70b": "85.9 GB", "kv-cache-gqa-405b": "270.6 GB",
    "total-memory-70b": "231 GB", "h100-nvl": "188 GB, 7.8 TB/s",
    "batch-plot-empty": "49", "gqa-factor-70b": "4x",
    "mlp-share-70b": "71.9%", "embeddings-share-70b": "0.7%", "int8-weights-70b": "78.4 GB",
    "attention-share-405b": "28.8%", "mlp-share-405b": "70.3%", "embeddings-share-405b": "0.9%",
    "int8-weights-405b": "469.3 GB", "ridge-a100": "156 FLOP/byte", "ridge-h100": "296 FLOP/byte",
    "utilization-approx": "1%", "attainable-batch-1": "6.7 TFLOP/s", "reading-label": "4 tokens/s",
    "moe-compute": "25%", "moe-params": "8x",
}
#: Printed in a form that is not the reproduction's: the notes' fraction against a percent.
PRINTED_AS = {"ffn-share": ("2/3", "67%")}
#: Typed into the notes' code or written in words: nothing to recompute.
CONSISTENT = {"moore-line": "2x per step", "reading-speed": "250 tokens/s",
              "flash-1m-context": "4 PB", "larger-models-latency": "lower",
              "rope-extrapolation": "Naturally handles extrapolation to longer sequences",
              "attention-dominates": ">10K", "attention-scaling": "O(Lnd) for attention"}
#: Figures that no simplification of the model or workload gives.
UNREPRODUCIBLE = {"kv-per-token-70b": "10 MB", "roofline-training": "200 FLOP/byte"}
#: The notes' numbered sections, as they head them.
HEADINGS = {"1. Why Transformers Matter for Hardware", "3. Transformer Block Architecture",
            "4. Matrix Dimensions and Shapes", "5. Computational Complexity Analysis",
            "6. Memory Requirements and the Memory Wall", "7. Modern Architectural Variations",
            "8. Summary"}


@pytest.mark.parametrize(("key", "printed"), PRINTED.items())
def test_reproduction_prints_what_the_notes_print(key: str, printed: str) -> None:
    item = erratum(key)
    assert item.notes_value == printed
    assert item.reproduced == printed
    assert item.reproduces
    assert item.status == "reproduced"
    assert item.correct != printed


def test_a_fraction_is_reproduced_at_its_digits() -> None:
    for key, (printed, reproduced) in PRINTED_AS.items():
        item = erratum(key)
        assert (item.notes_value, item.reproduced, item.status) == (printed, reproduced,
                                                                    "reproduced")


@pytest.mark.parametrize(("key", "printed"), (CONSISTENT | UNREPRODUCIBLE).items())
def test_values_with_nothing_recomputed_show_only_the_correction(key: str, printed: str) -> None:
    item = erratum(key)
    assert (item.notes_value, item.reproduced, item.reproduces) == (printed, None, False)
    assert item.status == ("consistent" if key in CONSISTENT else "unreproducible")


def test_every_erratum_is_listed_once_with_a_cause_and_a_correction() -> None:
    keys = [e.key for e in errata()]
    assert sorted(keys) == sorted(PRINTED | PRINTED_AS | CONSISTENT | UNREPRODUCIBLE)
    assert len(keys) >= 30
    assert len(keys) == len(set(keys))
    for e in errata():
        assert e.cause
        assert e.correct
        assert e.section in HEADINGS
        assert e.status in statuses()
    assert [e.line for e in errata()] == sorted(e.line for e in errata())
    counts = status_counts()
    assert counts == {"reproduced": len(PRINTED) + len(PRINTED_AS),
                      "consistent": len(CONSISTENT), "unreproducible": len(UNREPRODUCIBLE),
                      "mismatch": 0}
    assert {q.section for q in notes_quotes()} <= HEADINGS


def test_corrections_worked_by_hand() -> None:
    # Llama 2 70B's KV cache at 32,768 tokens in fp16: 2·80·8·128·32,768·2 bytes = 10.7 GB.
    assert erratum("kv-cache-gqa-70b").correct == "10.7 GB"
    # Meta's checkpoint: 68,976,648,192 parameters.
    assert erratum("params-gqa-70b").correct == "69.0B"
    # NVIDIA's H100 NVL sheet, per GPU: 94 GiB of HBM3 ("94GB"), 3,938 GB/s.
    assert erratum("h100-nvl").correct == "94 GiB, 3.9 TB/s per GPU"
    # 250 words per minute at 4/3 tokens per word: 5.56 tokens per second.
    assert erratum("reading-speed").correct == "5.6 tokens/s"
    assert erratum("gqa-factor-70b").correct == "8x"
    # D/(D + 2) FLOP/byte at 3.35 TB/s: 3.35 TFLOP/s, 0.34% of 989.4 TFLOP/s.
    assert erratum("attainable-batch-1").correct == "3.3 TFLOP/s"
    assert erratum("utilization-approx").correct == "0.34%"
    # Mixtral 8x7B over Mistral 7B: 46,702,792,704 / 7,241,732,096 = 6.449.
    assert erratum("moe-params").correct.startswith("6.45x (Mixtral 8x7B")
    # Whole-model MLP shares: 4,328,521,728 / 6,738,415,616 and 56,371,445,760 / 68,976,648,192.
    assert erratum("ffn-share").correct == "64% of Llama 2 7B, 82% of Llama 2 70B (whole models)"
    # (6·D·F − 2·(2·D·N·H + 2·D·K·H)) / (4·N·H) + 1 for Llama 2 70B: 33,792 + 1.
    assert "33,793 for Llama 2 70B" in erratum("attention-dominates").correct
    assert "never for Mistral 7B" in erratum("attention-dominates").correct
    # 312 / 2.039 and 989.4 / 3.35.
    assert (erratum("ridge-a100").correct, erratum("ridge-h100").correct) == (
        "153 FLOP/byte", "295 FLOP/byte")
    ridge = erratum("batch-for-ridge").correct
    assert ridge.startswith("297 at a context of 1 token")
    assert "at 2,048 tokens of context none" in ridge


def test_the_words_around_the_numbers() -> None:
    empty = erratum("batch-plot-empty")
    assert empty.claim == "'Max batch' of Llama 70B (FP16) on one 80 GiB H100"
    assert "never fit in its 79.65 GiB of usable memory" in empty.cause   # 81,559 MiB
    # Two H100s of 81,559 MiB, less 2 · 68,976,648,192 bytes of weights, over the KV cache
    # of one 2,048-token sequence, 2 · 80 · 8 · 128 · 2,048 · 2 bytes.
    assert empty.correct == "0 on one H100; 49 on two H100s at 2,048 tokens"
    assert "batch_sizes[0 - 1] then picks the last batch, 49" in empty.cause
    assert erratum("params-gqa-405b").cause.endswith("; vocabulary rounded to 128,000")
    assert "vocabulary" not in erratum("params-gqa-70b").cause
    assert erratum("total-memory-70b").claim.startswith("Llama 2 70B at 32K context")
    assert erratum("params-gqa-70b").claim == "Llama 2 70B total parameters"
    moore = erratum("moore-line").cause
    assert "(2018, 2019, 2020, 2022, 2023, 2024)" in moore
    # Five steps of 2x: 32x; 2018 to 2024 is six years, three doublings: 8x.
    assert moore.endswith("rises 32x, where doubling every two years from 2018 to 2024 gives 8x")
    assert erratum("kv-cache-gqa-405b").cause == ("cache sized with n_heads (128) KV heads; "
                                                  "the model stores only 8")
    assert "18 of the 64 rotation pairs" in erratum("rope-extrapolation").cause
    assert "YaRN, 40x from 4,096 to 163,840 positions" in erratum("rope-extrapolation").correct


def test_repeats_and_the_page_text() -> None:
    intensity = erratum("intensity-batch-1")
    assert [(r.section, r.line) for r in intensity.also] == [
        ("6. Memory Requirements and the Memory Wall", 621),
        ("6. Memory Requirements and the Memory Wall", 672), ("8. Summary", 948),
        ("8. Summary", 958)]
    assert [r.section for r in erratum("utilization-approx").also] == ["8. Summary"]
    table = status_table()
    assert len(table.rows) == len(errata())
    assert {row[5] for row in table.rows} == {"reproduced", "consistent", "unreproducible"}
    causes = causes_markdown().splitlines()
    assert len(causes) == len(errata())
    assert "The notes repeat it in 8. Summary" in causes[[e.key for e in errata()].index(
        "utilization-approx")]


def test_unknown_erratum() -> None:
    with pytest.raises(WorkloadError, match="no erratum 'nothing'"):
        erratum("nothing")


def test_the_notes_wired() -> None:
    assert notes_config("llama-3.1-405b").vocab_size == 128000
    assert notes_config("llama-2-70b").n_kv_heads == 64
    assert notes_crossover_on_grid() == 7906
    assert quoted("summary/tokens") == "~24 tokens/s"
    assert quoted("ridge/h100") == "296 FLOP/byte"
    assert quoted("crossover/llama-2-7b") == "~7,906"
    assert quoted("ffn-share") == "~2/3"
    assert notes_flops_contexts() == [512, 2048, 8192, 32768]
    assert notes_flops_models() == ["llama-2-7b", "llama-2-13b", "llama-2-70b", "llama-3.1-405b"]
    rows = notes_flops_comparison(["llama-2-7b"], [512])
    assert [(r.model, r.context) for r in rows] == [("llama-2-7b", 512)]
