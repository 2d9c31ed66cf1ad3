"""The notes' quoted values: each found in the notes themselves, where the data file says.

The independent source here is the lecture notes' text export, ``seed/`` in the shared folder
beside the repository (``../shared/seed`` from the repository root). The seed tests skip
when that folder is absent (a clone without the notes); the loader tests always run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ai_workloads.catalog import (
    get_model,
    notes_model,
    notes_models,
    notes_quote,
    notes_quotes,
    notes_source,
)
from ai_workloads.catalog.notes import NotesQuote
from ai_workloads.core.errors import WorkloadError
from ai_workloads.core.units import Quantity

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seed" / "lecture-13-ai-workloads-and-dataflow.txt"
needs_seed = pytest.mark.skipif(not SEED.is_file(),
                                reason=f"the lecture notes' text ({SEED.name}) is not beside "
                                       "this checkout (../shared/seed)")


def seed_lines() -> list[str]:
    return SEED.read_text(encoding="utf-8").splitlines()


def collapse(text: str) -> str:
    return " ".join(text.split())


def number_texts(q: Quantity) -> set[str]:
    """How a quoted number may be written: with or without thousands separators."""
    return {f"{q.value:,.{q.digits}f}", f"{q.value:.{q.digits}f}"}


# ------------------------------------------------------------------ against the notes


@needs_seed
@pytest.mark.parametrize("quote", notes_quotes(), ids=lambda q: q.key)
def test_each_quote_stands_in_the_notes_where_the_file_says(quote: NotesQuote) -> None:
    lines = seed_lines()
    line = collapse(lines[quote.line - 1])
    start = 0
    if quote.row is not None:
        assert quote.row in line, f"row {quote.row!r} not on line {quote.line}"
        start = line.index(quote.row) + len(quote.row)
    found = line.find(quote.text, start)
    assert found >= 0, f"{quote.text!r} not on line {quote.line}: {line[:120]!r}"
    if quote.row is not None:
        # The text belongs to its row: no other row of the table starts in between.
        between = line[start:found]
        others = [m.name for m in notes_models() if f"{m.name}:" != quote.row]
        assert not any(f"{name}:" in between for name in others), between
    if quote.printed is not None:
        assert quote.printed in quote.text
    for value in quote.values if quote.derived is None and not is_fraction(quote) else ():
        assert any(t in quote.text for t in number_texts(value)), (value, quote.text)
    if quote.words is not None:
        assert quote.words in quote.text


def is_fraction(quote: NotesQuote) -> bool:
    return quote.printed is not None and "/" in quote.printed


@pytest.mark.parametrize("quote", [q for q in notes_quotes() if is_fraction(q)],
                         ids=lambda q: q.key)
def test_a_fraction_holds_its_value(quote: NotesQuote) -> None:
    # "2/3" in percent is 200/3; read off the printed text here, not from the loader.
    numerator, denominator = (int(x) for x in str(quote.printed).split("/"))
    scale = 100 if quote.quantity().unit == "%" else 1
    assert quote.quantity().value == pytest.approx(scale * numerator / denominator)


@needs_seed
@pytest.mark.parametrize("quote", notes_quotes(), ids=lambda q: q.key)
def test_each_quote_sits_in_its_section(quote: NotesQuote) -> None:
    lines = seed_lines()
    headings = [(i + 1, line.rstrip("¶")) for i, line in enumerate(lines)
                if re.match(r"^\d+\. .*¶$", line)]
    numbers = [title for _, title in headings]
    assert quote.heading in numbers, f"no section {quote.heading!r} in the notes"
    begin = next(n for n, title in headings if title == quote.heading)
    after = [n for n, _ in headings if n > begin]
    end = after[0] if after else len(lines) + 1
    assert begin < quote.line < end
    # The Errata page names the section exactly as the notes head it.
    assert quote.section == quote.heading


@needs_seed
def test_the_notes_model_configurations_are_the_notes() -> None:
    lines = seed_lines()
    for model in notes_models():
        line = lines[model.line - 1]
        assert line.startswith(f"'{model.name}': {{")
        for field, value in model.config.items():
            assert f"'{field}': {value}" in line


@needs_seed
def test_a_derived_value_follows_from_the_notes_code() -> None:
    # The batching figure annotates batch_sizes[fits - 1] with batch_sizes = 1..49 and, with
    # 140 GB of weights on an 80 GB card, no batch fitting: index -1, the last batch, 49.
    batches = notes_quote("batch-plot-batches")
    start, stop = batches.quantity("start").value, batches.quantity("stop").value
    last = list(range(int(start), int(stop)))[0 - 1]
    assert notes_quote("batch-plot-max").quantity().value == last == 49
    assert "batch_sizes = np.arange(1, 50)" in seed_lines()[batches.line - 1]


# ------------------------------------------------------------------ the loader


def test_keys_are_unique_and_every_quote_holds_something() -> None:
    keys = [q.key for q in notes_quotes()]
    assert len(keys) == len(set(keys))
    assert all(q.values or q.words for q in notes_quotes())


def test_a_fraction_must_be_two_whole_numbers() -> None:
    from ai_workloads.catalog.notes import _quantity

    assert _quantity({"fraction": [1, 4], "unit": "%", "digits": 0}, "t").value == 25
    assert _quantity({"fraction": [1, 4], "unit": "", "digits": 2}, "t").value == 0.25
    for bad in ([1], [1, 0], [1.5, 2], "1/4"):
        with pytest.raises(WorkloadError, match="fraction must be"):
            _quantity({"fraction": bad, "unit": "%"}, "t")


def test_named_values() -> None:
    nvl = notes_quote("h100-nvl")
    assert nvl.quantity("capacity") == Quantity(188, "GB", 0)
    assert nvl.quantity("bandwidth") == Quantity(7.8, "TB/s", 1)
    with pytest.raises(WorkloadError, match="holds 2 values"):
        nvl.quantity()
    with pytest.raises(WorkloadError, match="no value 'latency'"):
        nvl.quantity("latency")


def test_the_flops_table_has_every_model_and_context() -> None:
    contexts = [int(q.value) for q in notes_quote("flops-table-contexts").values]
    assert contexts == [512, 2048, 8192, 32768]
    for model in notes_models():
        for context in contexts:
            cell = notes_quote(f"flops-per-token/{model.catalog}/{context}")
            assert cell.quantity("total").unit == "TFLOPs"
            assert cell.quantity("attention").unit == "%"


def test_notes_models_are_catalog_models_with_the_notes_changes() -> None:
    # The notes' configurations agree with the checkpoints except Llama 3 405B's vocabulary,
    # which they round to 128,000 (the checkpoint has 128,256).
    for model in notes_models():
        cfg = get_model(model.catalog)
        differs = {k: v for k, v in model.config.items() if getattr(cfg, k) != v}
        expected = {"vocab_size": 128000} if model.catalog == "llama-3.1-405b" else {}
        assert differs == expected


def test_unknown_keys_say_so() -> None:
    with pytest.raises(WorkloadError, match="no notes quote"):
        notes_quote("nothing")
    with pytest.raises(WorkloadError, match="configure no model"):
        notes_model("gpt2")


def test_source_names_the_notes() -> None:
    assert "AI Workloads & Dataflow" in notes_source()
