"""The scale table's parameters and compute against GPT-2's closed-form count, the papers'
published tokens and compute, and the ratios they imply."""

from __future__ import annotations

import pytest

from ai_workloads.analysis.growth import Milestone, milestones
from ai_workloads.analysis.model_scale import (
    LECTURE_SCALE_MODELS,
    ScaleRow,
    compare_scale,
    milestone,
    scale_row,
    scale_rows,
)
from ai_workloads.catalog import get_model, milestone_records
from ai_workloads.core.errors import WorkloadError


def points() -> tuple[Milestone, ...]:
    return milestones(milestone_records())


def lecture_rows() -> dict[str, ScaleRow]:
    models = [(name, get_model(m) if m else None) for name, m in LECTURE_SCALE_MODELS]
    return {r.name: r for r in scale_rows(points(), models)}


def gpt2_closed_form(d: int, layers: int, vocab: int, positions: int) -> int:
    """GPT-2 parameters: per layer 12D² + 13D, token and position embeddings, final norm."""
    return layers * (12 * d * d + 13 * d) + vocab * d + positions * d + 2 * d


def test_scale_rows_and_ratio() -> None:
    rows = lecture_rows()
    gpt3 = rows["GPT-3 175B"]
    # GPT-3 paper (Brown et al., 2020): 300B tokens; 6·N·D with the catalog's N.
    assert gpt3.tokens == 300_000_000_000
    assert gpt3.training_flops == pytest.approx(6 * 175e9 * 300e9, rel=0.01)
    c = compare_scale(rows["GPT-4"], rows["Llama 3.1 405B"])
    assert c.params_ratio == pytest.approx(1.8e12 / rows["Llama 3.1 405B"].params)
    assert c.estimated


def test_scale_rows_parameters_and_compute() -> None:
    rows = lecture_rows()
    assert rows["GPT-2 (1.5B)"].params == gpt2_closed_form(1600, 48, 50257, 1024)
    gpt3 = rows["GPT-3 175B"]
    assert gpt3.params == gpt2_closed_form(12288, 96, 50257, 2048)
    assert gpt3.training_flops == float(6 * gpt3.params * 300 * 10**9)  # Brown et al.: 300B
    # Llama Team 2024 reports 3.8e25 FLOPs for the 405B model's pre-training.
    assert rows["Llama 3.1 405B"].training_flops == pytest.approx(3.8e25, rel=0.01)
    assert (rows["GPT-4"].params, rows["GPT-4"].params_estimated) == (1_800_000_000_000, True)
    assert rows["GPT-4"].flops_estimated
    assert rows["GPT-2 (1.5B)"].flops_estimated
    assert not rows["GPT-3 175B"].flops_estimated


def test_llama_405b_against_gpt4_ratios() -> None:
    rows = lecture_rows()
    fewer = compare_scale(rows["GPT-4"], rows["Llama 3.1 405B"])
    more = compare_scale(rows["Llama 3.1 405B"], rows["GPT-4"])
    assert pytest.approx(fewer.params_ratio, rel=0.002) == 1.8e12 / 406e9
    assert more.compute_ratio == pytest.approx(3.8e25 / 1e25, rel=0.01)
    assert more.estimated
    assert fewer.estimated


def test_tokens_per_parameter() -> None:
    chinchilla = scale_row(milestone("Chinchilla 70B", points()))
    assert chinchilla.tokens_per_param == pytest.approx(20.0)  # 1.4T / 70B
    assert scale_row(milestone("GPT-4", points())).tokens_per_param is None
    with pytest.raises(WorkloadError, match="unknown milestone"):
        milestone("GPT-5", points())
    with pytest.raises(WorkloadError, match="no parameter count"):
        scale_row(milestone("GPT-2 (1.5B)", points()))

