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


def test_scale_rows_parameters_and_compute() -> None:
    rows = lecture_rows()
    assert list(rows) == ["GPT-2 (1.5B)", "GPT-3 175B", "PaLM 540B", "GPT-4", "Llama 3.1 405B"]
    assert rows["GPT-2 (1.5B)"].params == gpt2_closed_form(1600, 48, 50257, 1024)
    gpt3 = rows["GPT-3 175B"]
    assert gpt3.params == gpt2_closed_form(12288, 96, 50257, 2048)
    assert gpt3.training_flops == float(6 * gpt3.params * 300 * 10**9)  # Brown et al.: 300B
    assert gpt3.training_flops == pytest.approx(6 * 175e9 * 300e9, rel=0.01)
    # Chowdhery et al. 2022: 540.35B parameters, 780B tokens.
    assert rows["PaLM 540B"].params == 540_350_000_000
    assert rows["PaLM 540B"].training_flops == pytest.approx(6 * 540.35e9 * 780e9)
    # Llama Team 2024 reports 3.8e25 FLOPs for the 405B model's pre-training.
    assert rows["Llama 3.1 405B"].training_flops == pytest.approx(3.8e25, rel=0.01)
    # GPT-4: nothing published about its size; the compute is an estimate with a range.
    gpt4 = rows["GPT-4"]
    assert (gpt4.params, gpt4.tokens, gpt4.tokens_per_param) == (None, None, None)
    assert (gpt4.flops_estimated, gpt4.flops_range) == (True, (1e25, 1e26))
    assert rows["GPT-2 (1.5B)"].flops_estimated
    assert not rows["GPT-3 175B"].flops_estimated


def test_llama_405b_against_palm_and_gpt4() -> None:
    rows = lecture_rows()
    llama, palm, gpt4 = rows["Llama 3.1 405B"], rows["PaLM 540B"], rows["GPT-4"]
    over_palm = compare_scale(llama, palm)
    # The checkpoint's 405,853,388,800 parameters against PaLM's 540.35B, 15.6T tokens
    # against 780B: a smaller model on 20 times the tokens.
    assert over_palm.params_ratio == pytest.approx(405_853_388_800 / 540.35e9)
    assert over_palm.tokens_ratio == pytest.approx(20.0)
    assert over_palm.compute_ratio == pytest.approx(20 * 405_853_388_800 / 540.35e9)
    assert not over_palm.estimated
    over_gpt4 = compare_scale(llama, gpt4)
    assert (over_gpt4.params_ratio, over_gpt4.tokens_ratio) == (None, None)
    assert over_gpt4.compute_ratio == pytest.approx(3.8e25 / 2.1e25, rel=0.01)
    # Over GPT-4's published range, 1e25 to 1e26 FLOPs.
    assert over_gpt4.compute_ratio_range == pytest.approx((3.8e25 / 1e26, 3.8e25 / 1e25),
                                                          rel=0.01)
    assert over_palm.compute_ratio_range is None
    back = compare_scale(gpt4, llama)
    assert back.compute_ratio_range == pytest.approx((1e25 / 3.8e25, 1e26 / 3.8e25), rel=0.01)
    # The notes' 1e25 for GPT-4 gives their "~4x more training compute".
    assert over_gpt4.notes_compute_ratio == pytest.approx(3.8, rel=0.01)
    assert round(over_gpt4.notes_compute_ratio) == 4
    assert over_gpt4.estimated
    # Without a notes figure on either side, the two ratios are the same.
    assert over_palm.notes_compute_ratio == over_palm.compute_ratio


def test_tokens_per_parameter() -> None:
    chinchilla = scale_row(milestone("Chinchilla 70B", points()))
    assert chinchilla.tokens_per_param == pytest.approx(20.0)  # 1.4T / 70B
    assert scale_row(milestone("GPT-4", points())).tokens_per_param is None
    # GPT-2's milestone publishes no size of its own; the table passes the catalog's config.
    assert scale_row(milestone("GPT-2 (1.5B)", points())).params is None
    with pytest.raises(WorkloadError, match="unknown milestone"):
        milestone("GPT-5", points())
