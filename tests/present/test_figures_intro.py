"""Tests of the figures of intro: values against hand derivations and independent sources."""

from __future__ import annotations

import numpy as np
import pytest

from ai_workloads.analysis.attention import (
    attention_flow,
)
from ai_workloads.analysis.growth import Milestone, milestones
from ai_workloads.analysis.model_scale import (
    growth_curves,
    scale_rows,
)
from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.figures.attention import attention_flow_figure
from ai_workloads.present.figures.intro import growth_figure, scale_table
from ai_workloads.present.format import sci


def test_figures_and_sci() -> None:
    fig = attention_flow_figure(attention_flow(4, 8, 3))
    assert len(fig.axes) == 1
    pts = [Milestone("a", 2018.0, 1e20, None, None, False, ""),
           Milestone("b", 2024.0, 1e26, None, None, True, "")]
    fig2 = growth_figure(pts, growth_curves(pts))
    assert fig2.axes[0].get_yscale() == "log"
    assert sci(2.5e21) == "2.5 × 10²¹"


def test_sci_and_scale_table() -> None:
    assert [sci(3.14e23), sci(1e22), sci(9.99e5, 2), sci(2.5e-3)] == [
        "3.1 × 10²³", "10²²", "10⁶", "2.5 × 10⁻³"]
    with pytest.raises(WorkloadError):
        sci(0)
    table = scale_table(scale_rows())
    cells = {row[0]: row for row in table.rows}
    assert cells["GPT-4"][2] == "~1.8T (unconfirmed estimate)"
    assert cells["Llama 3.1 405B"][3] == "15.6T"
    assert "estimate" in cells["GPT-2 (1.5B)"][4]
    assert "6·N·D" in cells["GPT-3 175B"][4]


def test_growth_figure_marks_estimates() -> None:
    points = milestones()
    fig = growth_figure(points, growth_curves(points))
    ax = fig.axes[0]
    computed, estimated = ax.lines[2], ax.lines[3]
    assert np.asarray(computed.get_xdata()).size == sum(not p.estimated for p in points)
    assert np.asarray(estimated.get_xdata()).size == sum(p.estimated for p in points)
    assert computed.get_marker() != estimated.get_marker()
    first = float(np.asarray(ax.lines[0].get_xdata()).min())
    assert first == pytest.approx(min(p.year for p in points))

