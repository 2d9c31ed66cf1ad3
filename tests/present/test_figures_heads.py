"""The head-configuration table and the attention-layer figure: what they show of the
layouts given, and that the figure stays legible on a phone."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ai_workloads.analysis.variants import HeadLayout, head_layout
from ai_workloads.catalog import get_model
from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.figures import render
from ai_workloads.present.figures.heads import head_config_table, mha_figure

PHONE_PX = 350  # a figure's width on a 390 px screen, margins taken off
SMALLEST_PX = 7.0


def smallest_label_px(fig: Figure) -> float:
    """The smallest text of ``fig`` in CSS pixels when the figure is shown PHONE_PX wide."""
    width_in = render(fig, "png").width_px / fig.dpi  # cropped, as the page shows it
    texts = []
    for ax in fig.axes:
        texts += [*ax.texts, ax.title]
        if ax.get_legend() is not None:
            texts += ax.get_legend().get_texts()
        if ax.axison:
            texts += [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.xaxis.label,
                      ax.yaxis.label]
    sizes = [t.get_fontsize() for t in texts if t.get_visible() and t.get_text().strip()]
    return min(sizes) * PHONE_PX / (width_in * 72)


def labels_outside_their_boxes(fig: Figure) -> list[str]:
    """Texts that start inside a box but spill over its edge."""
    fig.draw_without_rendering()
    spilled = []
    for ax in fig.axes:
        boxes = [p.get_window_extent() for p in ax.patches if isinstance(p, FancyBboxPatch)]
        for text in ax.texts:
            extent = text.get_window_extent()
            for box in boxes:
                if box.contains(*extent.get_points().mean(axis=0)) and not (
                        box.x0 <= extent.x0 and extent.x1 <= box.x1
                        and box.y0 <= extent.y0 and extent.y1 <= box.y1):
                    spilled.append(text.get_text())
    return spilled


def test_head_config_table_of_gpt3() -> None:
    # GPT-3 175B (Brown et al., 2020, Table 2.1): D = 12,288, 96 heads of 128.
    table = head_config_table([head_layout(get_model("gpt-3"))], ["GPT-3"])
    assert table.rows[0] == ("GPT-3", "12,288", "96", "128", "12,288", "96", "1", "MHA")


def test_head_config_table_shows_heads_wider_than_the_model() -> None:
    # Gemma 7B (google/gemma-7b config.json): hidden 3072, 16 heads of head_dim 256.
    row = head_config_table([head_layout(get_model("gemma-7b"))], ["Gemma 7B"]).rows[0]
    assert row[1:5] == ("3,072", "16", "256", f"{16 * 256:,}")
    # Llama 2 70B: N/K is a ratio, 64 query heads over 8 KV heads.
    assert head_config_table([head_layout(get_model("llama-2-70b"))], ["x"]).rows[0][6] == "8"


def test_mha_figure_draws_one_box_per_head() -> None:
    fig = mha_figure(HeadLayout(256, 4, 4, 64, "MHA"))
    # input, two projections, 4 KV heads, 4 query heads, concat, output
    assert len(fig.axes[0].patches) == 1 + 2 + 4 + 4 + 2
    assert fig.axes[0].get_title().startswith("Multi-head attention (MHA)")


def test_gqa_is_drawn_as_a_labelled_variant() -> None:
    fig = mha_figure(HeadLayout(256, 4, 2, 64, "GQA"))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "concatenate: N·H = 4 × 64 = 256" in texts
    assert "$W_Q$: [D, N·H]\n→ 4 query heads" in texts
    assert fig.axes[0].get_title().startswith("Variant: grouped-query attention (GQA)")
    assert len(fig.axes[0].patches) == 1 + 2 + 2 + 4 + 2
    with pytest.raises(WorkloadError, match="small configuration"):
        mha_figure(head_layout(get_model("llama-2-70b")))


@pytest.mark.parametrize("kv_heads", [4, 2, 1])
def test_mha_figure_is_legible_on_a_phone(kv_heads: int) -> None:
    kind = {4: "MHA", 2: "GQA", 1: "MQA"}[kv_heads]
    fig = mha_figure(HeadLayout(256, 4, kv_heads, 64, kind))
    assert smallest_label_px(fig) >= SMALLEST_PX
    assert labels_outside_their_boxes(fig) == []
