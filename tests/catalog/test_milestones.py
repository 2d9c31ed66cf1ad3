"""The training-compute milestones: every entry loads with its source, and carries the facts
its paper published (checked here against the papers, not against the loader)."""

from __future__ import annotations

import datetime
import json
from importlib import resources
from typing import Any

import pytest

from ai_workloads.catalog import MilestoneRecord, TrainingRun, get_model, milestone_records
from ai_workloads.catalog.milestones import milestone_from_dict
from ai_workloads.core.errors import WorkloadError

RAW = json.loads(resources.files("ai_workloads.catalog").joinpath(
    "data", "milestones.json").read_text())["milestones"]


def by_name() -> dict[str, MilestoneRecord]:
    return {r.name: r for r in milestone_records()}


def test_every_milestone_loads_in_file_order_with_a_source() -> None:
    records = milestone_records()
    assert [r.name for r in records] == [raw["name"] for raw in RAW]
    assert len({r.name for r in records}) == len(records)
    for r in records:
        assert r.source
        assert 2017 <= datetime.date.fromisoformat(r.released).year <= 2030
        has_compute_inputs = (r.config is not None or r.params is not None) and (
            r.tokens is not None or r.training is not None)
        assert has_compute_inputs or r.estimate_flops is not None, r.name


def test_published_facts() -> None:
    m = by_name()
    # Brown et al. 2020, Table 2.2: 300B tokens; the model is the catalog's GPT-3.
    assert m["GPT-3 175B"].tokens == 300_000_000_000
    assert m["GPT-3 175B"].config is get_model("gpt-3")
    # Hoffmann et al. 2022: 70B parameters, 1.4T tokens.
    assert (m["Chinchilla 70B"].params, m["Chinchilla 70B"].tokens) == (70 * 10**9,
                                                                         1_400 * 10**9)
    # Devlin et al. 2019, Appendix A.2: 1M steps of 256 sequences, 90% at 128, 10% at 512.
    assert m["BERT-base"].training == TrainingRun(1_000_000, 256, ((0.9, 128), (0.1, 512)))
    assert m["BERT-base"].tokens is None
    # Nothing computable was published for GPT-4: Epoch AI's estimate, 2.1e25 FLOP, with
    # Epoch AI's range of 1e25 to 1e26; the lecture notes' unsourced 1e25 kept beside it.
    gpt4 = m["GPT-4"]
    assert (gpt4.config, gpt4.params, gpt4.tokens, gpt4.training) == (None, None, None, None)
    assert (gpt4.estimate_flops, gpt4.estimate_range) == (2.1e25, (1e25, 1e26))
    assert gpt4.notes_flops == 1e25
    assert "Epoch AI" in gpt4.source
    # GPT-2's estimate is the notes' own, and says it has no source.
    assert m["GPT-2 (1.5B)"].estimate_range is None
    assert "without a source" in m["GPT-2 (1.5B)"].source
    assert m["Llama 3.1 405B"].released == "2024-07-23"


def test_loader_computes_nothing() -> None:
    # Counts are stored as given; BERT's tokens are left for the analysis to work out.
    for r, raw in zip(milestone_records(), RAW, strict=True):
        assert r.tokens == raw.get("tokens")
        assert r.params == raw.get("params")
        assert r.estimate_flops == raw.get("estimate_flops")
        assert r.notes_flops == raw.get("notes_flops")
        assert r.estimate_range == (tuple(raw["estimate_range"]) if "estimate_range" in raw
                                    else None)


@pytest.mark.parametrize(("raw", "message"), [
    ({"name": "x", "released": "2021-02-30", "params": 1, "tokens": 1, "source": "s"},
     "ISO date"),
    ({"name": "x", "released": "2021-02-03", "tokens": 1, "source": "s"},
     "needs parameters and tokens"),
    ({"name": "x", "released": "2021-02-03", "model": "gpt2", "source": "s"},
     "needs parameters and tokens"),
    ({"name": "x", "released": "2021-02-03", "estimate_flops": 5, "estimate_range": [6, 9],
      "source": "s"}, "estimate_range must be"),
    ({"name": "x", "released": "2021-02-03", "params": 1, "tokens": 1,
      "estimate_range": [1, 2], "source": "s"}, "estimate_range must be"),
])
def test_bad_entries_are_refused(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(WorkloadError, match=message):
        milestone_from_dict(raw)


def test_unknown_model_is_refused() -> None:
    with pytest.raises(WorkloadError, match="unknown model 'gpt-9'"):
        milestone_from_dict({"name": "x", "released": "2021-02-03", "model": "gpt-9",
                             "tokens": 1, "source": "s"})
