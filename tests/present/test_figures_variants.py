"""The figures and table of modern variants: what they draw of the KV variants, memory curves,
RoPE angles and routing given, and the table's cells against Llama 2 70B's config.json."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.patches import Rectangle

from ai_workloads.analysis.variants import attention_memory_curve, kv_variants
from ai_workloads.catalog import get_accelerator, get_model
from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.figures.variants import (
    kv_flash_figure,
    moe_figure,
    rope_figure,
    variants_table,
)


def test_figures_draw_what_they_are_given() -> None:
    fig = moe_figure(8, [0, 7], [0.5, 0.5])
    assert len(fig.axes[0].patches) == 11
    fig = rope_figure([1.0, 0.1], [0, 1], [1.0, 0.5], 4, 10000.0)
    assert len(fig.axes) == 2
    kv = kv_variants(get_model("llama-2-7b"))
    h100 = get_accelerator("h100-sxm")
    fig = kv_flash_figure(kv, 4096, attention_memory_curve([100, 1000]), h100.capacity_bytes,
                          h100.capacity_label)
    assert len(fig.axes[0].patches) == 3
    assert variants_table(kv, ["a", "b", "c"]).rows[1][5] == "4x"


def test_variants_table_example_column() -> None:
    rows = kv_variants(get_model("llama-2-70b"), [8])
    table = variants_table(rows, ["Llama 2 70B"], ["Llama 2 70B"])
    # 2 · L · K · H = 2 · 80 · 8 · 128 values; bf16 doubles it in bytes.
    assert table.rows[0] == ("GQA", "Llama 2 70B", "8",
                             "each K, V head is shared by a group of N/K query heads",
                             "163,840", "327,680", "8x", "Llama 2 70B")
    with pytest.raises(WorkloadError, match="examples"):
        variants_table(rows, ["a"], ["a", "b"])


def test_kv_flash_figure_labels() -> None:
    kv = kv_variants(get_model("llama-2-70b"), [64, 8, 1])
    chip = get_accelerator("h100-sxm")
    fig = kv_flash_figure(kv, 4096, attention_memory_curve([100, 1000]), chip.capacity_bytes,
                          chip.capacity_label, "H100")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["K = 64\nMHA: full size", "K = 8\n8× smaller", "K = 1\n64× smaller"]
    legend = fig.axes[1].get_legend()
    assert legend is not None
    assert "H100 memory (80 GiB)" in [t.get_text() for t in legend.get_texts()]
    # bar heights in GB: 2 · 80 · K · 128 · 2 bytes · 4096 tokens
    heights = [p.get_height() for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert np.allclose(heights, [2 * 80 * k * 128 * 2 * 4096 / 1e9 for k in (64, 8, 1)])

