"""Chapter 8 and the reference pages (errata, notation, CLI) against hand-derived values."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.patches import Rectangle

from ai_workloads.catalog import accelerator_names, get_accelerator, get_model
from ai_workloads.cli import build_parser
from ai_workloads.errors import WorkloadError
from ai_workloads.plotting.reference_pages import (
    NOTES_FLOPS_QUOTED,
    cli_commands,
    peaks_table,
)
from ai_workloads.plotting.variants import kv_flash_figure, variants_table
from ai_workloads.variants import (
    attention_memory_curve,
    catalog_groups,
    dense_counterpart,
    kv_variants,
    moe_summary,
)

DOCS = Path(__file__).resolve().parents[1] / "docs"

# Mixtral 8x7B / Mistral 7B shape, from their config.json files (Jiang et al., 2023; 2024).
D, L, N, K, H, F, V, E, TOP_K = 4096, 32, 32, 8, 128, 14336, 32000, 8, 2


def test_catalog_groups_by_attention_kind() -> None:
    kinds = catalog_groups(lambda cfg: cfg.attention_kind)
    # Gemma 2B: 8 query heads, 1 KV head; GPT-3: 96 and 96; Llama 2 70B: 64 and 8.
    assert "Gemma 2B" in kinds["MQA"]
    assert "GPT-3 175B" in kinds["MHA"]
    assert "Llama 2 70B" in kinds["GQA"]
    positions = catalog_groups(lambda cfg: cfg.positions, ["gpt2", "llama-2-7b"])
    assert positions == {"learned": ["GPT-2 (124M)"], "rope": ["Llama 2 7B"]}


def test_dense_counterpart_is_mistral_7b_by_hand() -> None:
    # Untied embedding and LM head, per layer q, k, v, o, a gated MLP and two RMSNorms.
    attention = D * N * H + 2 * D * K * H + N * H * D
    per_layer = attention + 3 * D * F + 2 * D
    mistral = 2 * V * D + L * per_layer + D
    assert mistral == 7_241_732_096   # the Mistral 7B v0.1 checkpoint's parameter count
    m = moe_summary(get_model("mixtral-8x7b"))
    assert m.dense_total == mistral
    assert not dense_counterpart(get_model("mixtral-8x7b")).is_moe
    # All eight experts plus a [D, E] router per layer.
    assert m.total == mistral + L * (7 * 3 * D * F + D * E)
    assert m.expert_share == pytest.approx(L * 8 * 3 * D * F / m.total)
    assert m.total_over_dense == pytest.approx(m.total / mistral)


def test_moe_flops_per_token_by_hand() -> None:
    # One token at context 1: q, o are D×NH; k, v D×KH; scores and A·V 2·N·H each.
    def per_token(experts: int) -> int:
        layer = (2 * 2 * D * N * H + 2 * 2 * D * K * H + 2 * 2 * N * H
                 + 2 * D * E + experts * 3 * 2 * D * F)
        return L * layer + 2 * D * V

    m = moe_summary(get_model("mixtral-8x7b"))
    assert m.flops_per_token == per_token(TOP_K)
    assert m.flops_all_experts == per_token(E)
    assert m.routed_fraction == TOP_K / E
    assert m.flops_fraction > m.routed_fraction   # the shared part does not shrink


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
    assert "H100 memory (80 GB)" in [t.get_text() for t in legend.get_texts()]
    # bar heights in GB: 2 · 80 · K · 128 · 2 bytes · 4096 tokens
    heights = [p.get_height() for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert np.allclose(heights, [2 * 80 * k * 128 * 2 * 4096 / 1e9 for k in (64, 8, 1)])


@pytest.mark.parametrize(("model", "context", "d", "f", "layers"), [
    ("llama-2-7b", 512, 4096, 11008, 32),
    ("llama-2-70b", 32768, 8192, 28672, 80),
])
def test_quoted_notes_cells_follow_their_formula(model: str, context: int, d: int, f: int,
                                                 layers: int) -> None:
    # The notes' cells, recomputed here from L(8D² + 4SD + 6DF) with their rounding.
    attention = layers * (8 * d * d + 4 * context * d)
    total = attention + layers * 6 * d * f
    tflops, share = NOTES_FLOPS_QUOTED[(model, context)]
    assert f"{total / 1e12:.2f}" == tflops
    assert f"{100 * attention / total:.1f}%" == share


def test_every_catalog_chip_cites_its_spec_sheet() -> None:
    table = peaks_table()
    assert len(table.rows) == len(accelerator_names())
    assert all(row[-1].startswith("[spec sheet](http") for row in table.rows)


def test_cli_page_documents_every_command() -> None:
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    sections = re.findall(r"^### (\S+)$", page, flags=re.M)
    assert sections == cli_commands(build_parser())
    for command in sections:
        assert f'cli_help(parser, "{command}")' in page


def test_pages_carry_their_labels() -> None:
    for page, label in [("errata.md", "errata"), ("notation.md", "notation"),
                        ("cli.md", "cli"), ("chapters/08-modern-variants.md", "ch08")]:
        text = (DOCS / page).read_text(encoding="utf-8")
        assert f"({label})=\n# " in text
