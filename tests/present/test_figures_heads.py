"""Tests of the figures of heads: values against hand derivations and independent sources."""

from __future__ import annotations

from ai_workloads.analysis.variants import (
    head_layout,
)
from ai_workloads.catalog import get_model
from ai_workloads.present.figures.heads import head_config_table


def test_head_layouts_match_published_configs() -> None:
    # Llama 2 70B: 64 query heads, 8 KV heads of 128 (Touvron et al., 2023, config.json).
    h = head_layout(get_model("llama-2-70b"))
    assert (h.d_model, h.n_heads, h.n_kv_heads, h.head_dim, h.group_size) == (8192, 64, 8, 128, 8)
    g = head_layout(get_model("gemma-2b"))
    assert (g.n_kv_heads, g.head_dim, g.width_per_head, g.kind) == (1, 256, 256.0, "MQA")
    table = head_config_table([head_layout(get_model("gpt-3"))], ["GPT-3"])
    assert table.rows[0] == ("GPT-3", "12,288", "96", "96", "128", "128", "1", "MHA")

