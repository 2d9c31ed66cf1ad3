"""The opening chapter's table and figure: what they show of the rows and points given, and
text that stays legible when a phone shrinks the figure."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.text import Text

from ai_workloads.analysis.growth import Milestone, milestones
from ai_workloads.analysis.model_scale import LECTURE_SCALE_MODELS, growth_curves, scale_rows
from ai_workloads.catalog import get_model, milestone_records
from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.figures.intro import growth_figure, params_text, scale_table
from ai_workloads.present.format import sci

#: A phone's text column (CSS px) and the smallest text worth drawing there (px).
PHONE_PX, MIN_TEXT_PX = 350, 7.0


def smallest_text_on_a_phone(fig: Figure) -> float:
    """The smallest text of ``fig`` in px once the page fits the figure to a phone: the
    page shows the figure ``width × dpi`` px wide, shrunk to ``PHONE_PX``."""
    width_px = fig.get_size_inches()[0] * fig.dpi
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_text() and t.get_visible()]
    return min(sizes) * fig.dpi / 72 * PHONE_PX / width_px


def test_sci() -> None:
    assert [sci(3.14e23), sci(1e22), sci(9.99e5, 2), sci(2.5e-3), sci(2.5e21)] == [
        "3.1 × 10²³", "10²²", "10⁶", "2.5 × 10⁻³", "2.5 × 10²¹"]
    with pytest.raises(WorkloadError):
        sci(0)


def test_scale_table() -> None:
    models = [(name, get_model(m) if m else None) for name, m in LECTURE_SCALE_MODELS]
    table = scale_table(scale_rows(milestones(milestone_records()), models))
    cells = {row[0]: row for row in table.rows}
    # The checkpoint's 405,853,388,800 parameters to four digits, as the chapter's text.
    assert table.columns == ("model", "parameters", "training tokens",
                             "training compute (FLOPs)")
    assert cells["Llama 3.1 405B"][1] == "405.9B" == params_text(405_853_388_800)
    assert cells["Llama 3.1 405B"][2] == "15.6T"
    assert cells["GPT-4"][1:3] == ("unpublished", "unpublished")
    assert cells["GPT-4"][3] == "~2.1 × 10²⁵ (10²⁵ to 10²⁶)"
    assert cells["GPT-2 (1.5B)"][3] == "~10²² (no source)"
    assert cells["GPT-3 175B"][3] == "3.1 × 10²³"
    assert "e+" not in "".join("".join(row) for row in table.rows)


def test_growth_figure_of_two_points() -> None:
    pts = [Milestone("a", 2018.0, 1e20, None, None, False, ""),
           Milestone("b", 2024.0, 1e26, None, None, True, "")]
    fig = growth_figure(pts, growth_curves(pts))
    assert fig.axes[0].get_yscale() == "log"
    assert [t.get_text() for t in fig.axes[0].texts] == ["a", "b"]
    assert not fig.axes[0].collections   # no range given, no bar drawn


def test_growth_figure_marks_estimates_and_their_range() -> None:
    points = milestones(milestone_records())
    fig = growth_figure(points, growth_curves(points))
    ax = fig.axes[0]
    computed, estimated = ax.lines[2], ax.lines[3]
    assert np.asarray(computed.get_xdata()).size == sum(not p.estimated for p in points)
    assert np.asarray(estimated.get_xdata()).size == sum(p.estimated for p in points)
    assert computed.get_marker() != estimated.get_marker()
    first = float(np.asarray(ax.lines[0].get_xdata()).min())
    assert first == pytest.approx(min(p.year for p in points))
    # One bar, GPT-4's, from 1e25 to 1e26 at its release date.
    (bars,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    (segment,) = bars.get_segments()
    gpt4 = next(p for p in points if p.name == "GPT-4")
    np.testing.assert_allclose(segment, [[gpt4.year, 1e25], [gpt4.year, 1e26]])
    assert ax.get_ylim()[1] > 1e26
    with pytest.raises(WorkloadError):
        growth_figure([], growth_curves(points))


def test_growth_figure_is_legible_on_a_phone() -> None:
    points = milestones(milestone_records())
    fig = growth_figure(points, growth_curves(points))
    assert smallest_text_on_a_phone(fig) >= MIN_TEXT_PX
