"""The head-configuration table and the attention-layer figure: what they show of the
layouts given."""

from __future__ import annotations

import pytest

from ai_workloads.analysis.variants import HeadLayout, head_layout
from ai_workloads.catalog import get_model
from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.figures.heads import head_config_table, mha_figure


def test_head_config_table_of_gpt3() -> None:
    # GPT-3 175B (Brown et al., 2020, Table 2.1): D = 12,288, 96 heads of 128.
    table = head_config_table([head_layout(get_model("gpt-3"))], ["GPT-3"])
    assert table.rows[0] == ("GPT-3", "12,288", "96", "96", "128", "128", "1", "MHA")


def test_mha_figure_draws_one_box_per_head() -> None:
    fig = mha_figure(HeadLayout(256, 4, 4, 64, "MHA"))
    # input, two projections, 4 KV heads, 4 query heads, concat, output
    assert len(fig.axes[0].patches) == 1 + 2 + 4 + 4 + 2


def test_mha_figure_names_the_concatenated_width() -> None:
    fig = mha_figure(HeadLayout(512, 8, 2, 64, "GQA"))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "concatenate: 8 heads × H = 512" in texts
    assert fig.axes[0].get_title().endswith("(4 per KV head)")
    with pytest.raises(WorkloadError, match="small configuration"):
        mha_figure(head_layout(get_model("llama-2-70b")))
