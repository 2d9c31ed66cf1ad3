"""The errata as the page shows them: each reproduction prints exactly what the notes print."""

from __future__ import annotations

import pytest

from ai_workloads.catalog import notes_quotes
from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.errata import (
    errata,
    erratum,
    notes_config,
    notes_crossover_on_grid,
    notes_flops_comparison,
    notes_flops_contexts,
    notes_flops_models,
    quoted,
)

# What the lecture notes print, as printed (their text export, by section): the independent
# source here, typed from the notes rather than read from the package's data file.
PRINTED = {
    "moore-line": "2x per step",
    "params-gqa-70b": "78.4B", "params-gqa-405b": "469.3B", "attention-share-70b": "27.4%",
    "fp16-weights-70b": "156.7 GB", "fp16-weights-405b": "938.5 GB",
    "flops-per-token-70b": "0.24 TFLOPs", "crossover-7b": "7,906",
    "intensity-batch-1": "2 FLOP/byte", "utilization-batch-1": "0.7%", "batch-for-ridge": "148",
    "roofline-batch-32": "64", "kv-cache-gqa-70b": "85.9 GB", "kv-cache-gqa-405b": "270.6 GB",
    "total-memory-70b": "231 GB", "h100-nvl": "188 GB, 7.8 TB/s", "reading-speed": "250 tokens/s",
    "batch-plot-empty": "49", "flash-1m-context": "4 PB", "gqa-factor-70b": "4x",
}
#: The two the notes print that no simplification of the model gives.
UNREPRODUCIBLE = {"kv-per-token-70b": "10 MB", "larger-models-latency": "lower"}


@pytest.mark.parametrize(("key", "printed"), PRINTED.items())
def test_reproduction_prints_what_the_notes_print(key: str, printed: str) -> None:
    item = erratum(key)
    assert item.notes_value == printed
    assert item.reproduced == printed
    assert item.reproduces
    assert item.correct != printed


@pytest.mark.parametrize(("key", "printed"), UNREPRODUCIBLE.items())
def test_unreproducible_values_show_only_the_correction(key: str, printed: str) -> None:
    item = erratum(key)
    assert (item.notes_value, item.reproduced, item.reproduces) == (printed, None, False)


def test_every_erratum_is_listed_once_with_a_cause_and_a_correction() -> None:
    keys = [e.key for e in errata()]
    assert sorted(keys) == sorted(PRINTED | UNREPRODUCIBLE)
    assert len(keys) == len(set(keys))
    sections = {q.section for q in notes_quotes()}
    for e in errata():
        assert e.cause
        assert e.correct
        assert e.section in sections


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
    assert erratum("moore-line").cause.endswith("(2018, 2019, 2020, 2022, 2023, 2024)")


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
    assert notes_flops_contexts() == [512, 2048, 8192, 32768]
    assert notes_flops_models() == ["llama-2-7b", "llama-2-13b", "llama-2-70b", "llama-3.1-405b"]
    rows = notes_flops_comparison(["llama-2-7b"], [512])
    assert [(r.model, r.context) for r in rows] == [("llama-2-7b", 512)]
