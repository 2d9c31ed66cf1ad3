"""Tests of growth: values against hand derivations and independent sources."""

from __future__ import annotations

import pytest

from ai_workloads.analysis.growth import Milestone, milestones
from ai_workloads.analysis.model_scale import (
    growth_curves,
)
from ai_workloads.core.errors import WorkloadError


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
    c = growth_curves(milestones())
    assert c.moore_span_factor == pytest.approx(2 ** (c.span_years / 2))
    assert c.fit.factor_per_year > 2 ** 0.5  # far faster than Moore's law

