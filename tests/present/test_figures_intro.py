"""The opening chapter's table and figure: what they show of the rows and points given."""

from __future__ import annotations

import numpy as np
import pytest

from ai_workloads.analysis.growth import Milestone, milestones
from ai_workloads.analysis.model_scale import LECTURE_SCALE_MODELS, growth_curves, scale_rows
from ai_workloads.catalog import get_model, milestone_records
from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.figures.intro import growth_figure, scale_table
from ai_workloads.present.format import sci


def test_sci() -> None:
    assert [sci(3.14e23), sci(1e22), sci(9.99e5, 2), sci(2.5e-3), sci(2.5e21)] == [
        "3.1 × 10²³", "10²²", "10⁶", "2.5 × 10⁻³", "2.5 × 10²¹"]
    with pytest.raises(WorkloadError):
        sci(0)


def test_scale_table() -> None:
    models = [(name, get_model(m) if m else None) for name, m in LECTURE_SCALE_MODELS]
    table = scale_table(scale_rows(milestones(milestone_records()), models))
    cells = {row[0]: row for row in table.rows}
    assert cells["GPT-4"][2] == "~1.8T (unconfirmed estimate)"
    assert cells["Llama 3.1 405B"][3] == "15.6T"
    assert "estimate" in cells["GPT-2 (1.5B)"][4]
    assert "6·N·D" in cells["GPT-3 175B"][4]


def test_growth_figure_of_two_points() -> None:
    pts = [Milestone("a", 2018.0, 1e20, None, None, False, ""),
           Milestone("b", 2024.0, 1e26, None, None, True, "")]
    fig = growth_figure(pts, growth_curves(pts))
    assert fig.axes[0].get_yscale() == "log"
    assert [t.get_text() for t in fig.axes[0].texts] == ["a", "b"]


def test_growth_figure_marks_estimates() -> None:
    points = milestones(milestone_records())
    fig = growth_figure(points, growth_curves(points))
    ax = fig.axes[0]
    computed, estimated = ax.lines[2], ax.lines[3]
    assert np.asarray(computed.get_xdata()).size == sum(not p.estimated for p in points)
    assert np.asarray(estimated.get_xdata()).size == sum(p.estimated for p in points)
    assert computed.get_marker() != estimated.get_marker()
    first = float(np.asarray(ax.lines[0].get_xdata()).min())
    assert first == pytest.approx(min(p.year for p in points))
    with pytest.raises(WorkloadError):
        growth_figure([], growth_curves(points))
