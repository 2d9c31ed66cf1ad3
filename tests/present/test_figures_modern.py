"""The figures and tables of the 2026 architectures: what they draw of the curves and rows
given, and the tables' cells against hand derivations from the published configs."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.patches import Rectangle

from ai_workloads.analysis.by_layer_type import mla_decode
from ai_workloads.analysis.modern import (
    cache_curve,
    catalog_cache,
    mla_cache,
    mla_layer_decode,
    moe_counts,
)
from ai_workloads.catalog import get_model, model_entry
from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.figures.modern import (
    CACHE_COLOR,
    KIND_LABELS,
    catalog_cache_figure,
    layer_cache_figure,
    layer_cache_table,
    mla_figure,
    mla_layer_table,
    moe_table,
    short_name,
)
from ai_workloads.present.style import OKABE_ITO


def _product(cell: str) -> int:
    """Evaluate a cell such as ``2 · 128 · 4,096 · (128 + 64)``."""
    return int(eval(cell.replace(",", "").replace("·", "*")))


def test_mla_layer_table_shows_arithmetic_that_gives_its_flops() -> None:
    ds = get_model("deepseek-v3")
    table = mla_layer_table(mla_cache(ds), mla_layer_decode(ds, 4096))
    assert [r[0] for r in table.rows] == ["up-projection", "scores", "A·V", "together"]
    for row in table.rows[:3]:
        assert _product(row[1]) == int(row[2].replace(",", ""))
        assert _product(row[3]) == int(row[4].replace(",", ""))
    # kv_b re-expands 4,096 latents of 512 into 128 heads of 128 + 128, each step.
    assert table.rows[0][2] == f"{2 * 4096 * 512 * 128 * 256:,}"
    assert table.rows[3][2] == f"{sum(_product(r[1]) for r in table.rows[:3]):,}"


def test_mla_figure_draws_the_cache_and_both_forms() -> None:
    ds = get_model("deepseek-v3")
    steps = [mla_decode(ds, s) for s in (1024, 4096, 16384)]
    fig = mla_figure(mla_cache(ds), steps, 4096)
    heights = [p.get_height() for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert heights == [128 * 320, 8 * 320, 512 + 64]
    expanded, absorbed = fig.axes[1].lines[:2]
    assert np.allclose(np.asarray(expanded.get_ydata()), [s.expanded / 1e12 for s in steps])
    assert np.allclose(np.asarray(absorbed.get_ydata()), [s.absorbed / 1e12 for s in steps])
    assert absorbed.get_color() == CACHE_COLOR
    assert expanded.get_color() == OKABE_ITO["black"]
    assert any(t.get_text().endswith("at S = 4,096") for t in fig.axes[1].texts)
    with pytest.raises(WorkloadError, match="marked context"):
        mla_figure(mla_cache(ds), steps, 2048)


def test_layer_cache_figure_draws_parts_total_and_all_full() -> None:
    contexts = [256, 1024, 65536]
    curve = cache_curve(get_model("gemma-3-12b"), contexts)
    fig = layer_cache_figure([curve, curve], ["a", "b"], [131072, 8192])
    ax = fig.axes[0]
    lines = ax.lines
    # sliding part, full part, whole cache, all layers full (GB)
    assert np.allclose(np.asarray(lines[0].get_ydata()),
                       [40 * 2 * 8 * 256 * min(s, 1024) * 2 / 1e9 for s in contexts])
    assert np.allclose(np.asarray(lines[1].get_ydata()),
                       [8 * 2 * 8 * 256 * s * 2 / 1e9 for s in contexts])
    assert np.allclose(np.asarray(lines[3].get_ydata()),
                       [48 * 2 * 8 * 256 * s * 2 / 1e9 for s in contexts])
    assert lines[0].get_linestyle() == "-."
    assert lines[1].get_linestyle() == "-"
    assert {line.get_color() for line in lines[:2]} == {CACHE_COLOR}
    assert ax.get_title() == "a\n40 sliding + 8 full"
    # The second model's context (8,192) is inside the axis: a dotted line marks it.
    assert any(t.get_text() == "its context" for t in fig.axes[1].texts)
    assert not any(t.get_text() == "its context" for t in ax.texts)
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == [
        "full-attention layers", "sliding or chunked layers", "whole cache",
        "every layer full attention"]
    with pytest.raises(WorkloadError):
        layer_cache_figure([curve], ["a", "b"], [1])


def test_layer_cache_table_cells() -> None:
    names = ["mistral-7b", "llama-4-scout", "qwen3-next-80b-a3b"]
    curves = [cache_curve(get_model(n), [32768]) for n in names]
    table = layer_cache_table(curves, names)
    assert table.title == "Cache of one sequence at 32,768 tokens"
    mistral, scout, qwen = table.rows
    # Mistral 7B: 32 layers of 8 KV heads of 128, window 4,096; all full at 32,768.
    assert mistral == ("mistral-7b", "32 sliding", "W = 4,096",
                       f"{32 * 2 * 8 * 128 * 4096 * 2 / 1e9:.2f}",
                       f"{32 * 2 * 8 * 128 * 32768 * 2 / 1e9:.2f}", "12.5%")
    assert scout[1:3] == ("36 chunked + 12 full", "C = 8,192")
    assert qwen[1:3] == ("36 linear + 12 full", "fixed state")
    with pytest.raises(WorkloadError, match="names"):
        layer_cache_table(curves, names[:1])


def test_catalog_cache_figure_groups_by_kind() -> None:
    names = ["llama-2-7b", "llama-3-8b", "deepseek-v3", "mistral-7b", "granite-4.0-h-small"]
    rows = catalog_cache([(n, get_model(n)) for n in names], 32768,
                         unknown_context={"granite-4.0-h-small"})
    fig = catalog_cache_figure(rows)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "llama-2-7b", "llama-3-8b", "deepseek-v3", "mistral-7b", "granite-4.0-h-small"]
    heads = [t.get_text() for t in ax.texts if t.get_fontweight() == "bold"]
    assert heads == [KIND_LABELS[k] for k in ("MHA", "GQA", "MLA", "window", "hybrid")]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert bars[0].get_width() == pytest.approx(2 * 32 * 32 * 128 * 32768 * 2 / 1e9)
    # Llama 2 7B (4,096) and Llama 3 8B (8,192) are shown beyond their contexts.
    assert [bool(b.get_hatch()) for b in bars] == [True, True, False, False, False]
    with pytest.raises(WorkloadError):
        catalog_cache_figure([])


def test_moe_table_sets_ours_beside_the_vendors() -> None:
    names = ["mixtral-8x7b", "gpt-oss-20b", "llama-4-maverick"]
    entries = [model_entry(n) for n in names]
    table = moe_table(entries, [moe_counts(e.config) for e in entries])
    mixtral, oss, maverick = table.rows
    # Mixtral's published counts are exact: 46,702,792,704 and 12,879,925,248.
    assert mixtral[1:] == ("8", "2", "none", "32 of 32", "46.70B", "46.70B", "12.88B", "12.88B")
    assert oss[1:5] == ("32", "4", "none", "24 of 24")
    assert oss[7:] == ("4.19B", "3.61B (card: 3.6B)")
    assert maverick[1:5] == ("128", "1", "8,192", "24 of 48")
    with pytest.raises(WorkloadError):
        moe_table(entries, [])


def test_short_name() -> None:
    assert short_name("Qwen3-Next-80B-A3B (Instruct)") == "Qwen3-Next-80B-A3B"
    assert short_name("GPT-2 XL (1.5B)") == "GPT-2 XL"
