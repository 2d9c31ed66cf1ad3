"""Training compute of the milestones and its fitted growth, against the papers' published
parameters, tokens and training schedules and against closed forms of the fit."""

from __future__ import annotations

import pytest

from ai_workloads.analysis.growth import (
    Milestone,
    decimal_year,
    fit_growth,
    milestone_of,
    milestones,
    training_tokens,
)
from ai_workloads.analysis.model_scale import growth_curves
from ai_workloads.catalog import MilestoneRecord, TrainingRun, get_model, milestone_records
from ai_workloads.core.config import TransformerConfig
from ai_workloads.core.errors import WorkloadError


def record(*, released: str = "2020-01-01", config: TransformerConfig | None = None,
           params: int | None = None, tokens: int | None = None,
           training: TrainingRun | None = None,
           estimate_flops: float | None = None) -> MilestoneRecord:
    return MilestoneRecord("x", released, config, params, tokens, training, estimate_flops,
                           "a source")


def test_bert_tokens_from_its_training_schedule() -> None:
    # Devlin et al. 2019, Appendix A.2: 1M steps of 256 sequences, 90% at 128, 10% at 512.
    bert = next(r for r in milestone_records() if r.name == "BERT-base")
    assert training_tokens(bert) == 1_000_000 * 256 * (128 * 9 + 512) // 10 == 42_598_400_000


def test_compute_is_six_n_d_where_both_are_published() -> None:
    points = {m.name: m for m in milestones(milestone_records())}
    # Hoffmann et al. 2022: 70B parameters, 1.4T tokens.
    assert points["Chinchilla 70B"].training_flops == 6 * 70e9 * 1.4e12
    assert not points["Chinchilla 70B"].estimated
    # Touvron et al. 2023: Llama 2 70B, 2.0T tokens; the checkpoint's 68,976,648,192 weights.
    assert points["Llama 2 70B"].params == 68_976_648_192
    assert points["Llama 2 70B"].training_flops == float(6 * 68_976_648_192 * 2 * 10**12)
    # Neither parameters nor tokens published: the estimates stay, marked, with a range
    # where one is published (Epoch AI: 2.1e25 FLOP, between 1e25 and 1e26).
    gpt4 = points["GPT-4"]
    assert (gpt4.training_flops, gpt4.estimated, gpt4.flops_range) == (2.1e25, True,
                                                                      (1e25, 1e26))
    assert points["GPT-2 (1.5B)"].flops_range is None
    assert points["Chinchilla 70B"].flops_range is None
    assert [m.name for m in points.values()] == sorted(points, key=lambda n: points[n].year)


def test_milestone_of_takes_the_exact_count_of_a_config() -> None:
    cfg = get_model("gpt2")   # 124,439,808 parameters (the checkpoint's count)
    m = milestone_of(record(config=cfg, tokens=1000, released="2019-07-02"))
    assert (m.params, m.training_flops, m.estimated) == (124_439_808, 6 * 124_439_808 * 1000,
                                                         False)
    assert m.year == pytest.approx(2019 + 182 / 365)   # July 2 is day 182 of 365
    run = TrainingRun(steps=10, batch=4, schedule=((0.5, 8), (0.5, 24)))
    assert milestone_of(record(params=3, training=run)).tokens == 10 * 4 * 16
    assert milestone_of(record(params=3, estimate_flops=2e20)).estimated
    with pytest.raises(WorkloadError, match="neither parameters and tokens"):
        milestone_of(record(params=3))


def test_decimal_year_and_the_fit() -> None:
    assert decimal_year("2024-01-01") == 2024.0
    assert decimal_year("2023-07-02") == pytest.approx(2023 + 182 / 365)
    pts = [Milestone("a", 2000.0, 1e20, None, None, False, ""),
           Milestone("b", 2001.0, 1e21, None, None, False, ""),
           Milestone("c", 2003.0, 1e23, None, None, False, "")]
    fit = fit_growth(pts)
    assert fit.factor_per_year == pytest.approx(10.0)
    assert fit.doubling_time_years == pytest.approx(0.30103, rel=1e-4)   # log10(2)


def test_moore_line_doubles_every_two_years() -> None:
    pts = [Milestone("a", 2018.0, 1e20, None, None, False, ""),
           Milestone("b", 2024.0, 1e26, None, None, False, "")]
    c = growth_curves(pts, doubling_years=2.0)
    assert c.moore_span_factor == pytest.approx(2 ** 3)
    assert c.fit.factor_per_year == pytest.approx(10.0)


def test_growth_curves_closed_form() -> None:
    pts = [Milestone("a", 2010.0, 1e18, None, None, False, ""),
           Milestone("b", 2012.0, 1e20, None, None, False, ""),
           Milestone("c", 2016.0, 1e24, None, None, False, "")]
    c = growth_curves(pts, doubling_years=2.0)
    assert c.fit.factor_per_year == pytest.approx(10.0)
    assert c.fitted_span_factor == pytest.approx(1e6)
    assert c.moore_span_factor == pytest.approx(8.0)  # 6 years = 3 doublings
    assert c.moore[0] == pytest.approx(1e18)
    assert c.span_years == pytest.approx(6.0)
    with pytest.raises(WorkloadError):
        growth_curves(pts[:1])
    with pytest.raises(WorkloadError):
        growth_curves(pts, doubling_years=0)


def test_growth_of_the_milestones() -> None:
    c = growth_curves(milestones(milestone_records()))
    assert c.moore_span_factor == pytest.approx(2 ** (c.span_years / 2))
    assert c.fit.factor_per_year > 2 ** 0.5  # far faster than Moore's law

