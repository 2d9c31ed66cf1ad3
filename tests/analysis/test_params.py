"""Parameter counts against published checkpoint counts and hand-derived formulas."""

from __future__ import annotations

import pytest

from ai_workloads.analysis.params import param_counts
from ai_workloads.catalog import get_model, model_entry, model_names
from ai_workloads.core.config import load_config

# Published parameter counts (sum of p.numel() of the released checkpoints, tied weights
# once), as listed on each model's Hugging Face page; independent of this package.
PUBLISHED = {
    "gpt2": 124_439_808,
    "gpt2-xl": 1_557_611_200,
    "bert-base": 109_482_240,
    "llama-2-7b": 6_738_415_616,
    "llama-2-13b": 13_015_864_320,
    "llama-2-70b": 68_976_648_192,
    "llama-3-8b": 8_030_261_248,
    "llama-3-70b": 70_553_706_496,
    "llama-3.1-405b": 405_853_388_800,
    "llama-3.2-1b": 1_235_814_400,
    "mistral-7b": 7_241_732_096,
    "mixtral-8x7b": 46_702_792_704,
    "qwen2.5-7b": 7_615_616_512,
    "gemma-2b": 2_506_172_416,
    "gemma-7b": 8_537_680_896,
    "phi-3-mini": 3_821_079_552,
}


@pytest.mark.parametrize(("name", "expected"), PUBLISHED.items())
def test_total_equals_published_checkpoint(name: str, expected: int) -> None:
    assert param_counts(get_model(name)).total == expected


@pytest.mark.parametrize(("name", "expected"), PUBLISHED.items())
def test_total_from_config_json_file(name: str, expected: int, write_config) -> None:  # type: ignore[no-untyped-def]
    cfg = load_config(write_config(name))
    assert param_counts(cfg).total == expected


@pytest.mark.parametrize("name", [n for n in model_names()
                                  if model_entry(n).published_params is not None])
def test_catalog_published_counts_agree_with_this_table(name: str) -> None:
    # Models without an exact published count (GPT-3, never released; vendors that publish
    # rounded figures only) are held to transformers' build instead
    # (test_against_transformers.py).
    assert model_entry(name).published_params == PUBLISHED[name]


def test_mixtral_active_parameters() -> None:
    counts = param_counts(get_model("mixtral-8x7b"))
    assert counts.active == 12_879_925_248  # Mistral AI's announced ~12.9B active


def test_mixtral_expert_parameters_by_hand() -> None:
    # Mixtral 8x7B: 32 layers of 8 SwiGLU experts, each three 4,096 × 14,336 matrices.
    counts = param_counts(get_model("mixtral-8x7b"))
    assert counts.expert_params == 32 * 8 * 3 * 4096 * 14336
    assert counts.idle_expert_params == 32 * (8 - 2) * 3 * 4096 * 14336  # 6 experts unused
    assert counts.active == counts.total - counts.idle_expert_params


def test_a_dense_model_has_one_expert_and_no_idle_one() -> None:
    # Llama 2 7B: 32 layers, gate, up and down of 4,096 × 11,008 each.
    counts = param_counts(get_model("llama-2-7b"))
    assert counts.expert_params == 32 * 3 * 4096 * 11008
    assert counts.idle_expert_params == 0


def test_gpt3_rounds_to_paper_175b() -> None:
    total = param_counts(get_model("gpt-3")).total
    assert round(total / 1e9) == 175


def test_llama2_7b_per_layer_shapes_by_hand() -> None:
    d, f = 4096, 11008
    per_layer = param_counts(get_model("llama-2-7b")).per_layer
    assert per_layer["q"] == per_layer["k"] == per_layer["v"] == per_layer["o"] == d * d
    assert per_layer["gate"] == per_layer["up"] == per_layer["down"] == d * f
    assert per_layer["attn_norm"] == per_layer["mlp_norm"] == d


def test_gpt2_closed_form() -> None:
    # GPT-2: 12D² + 13D per layer (4 biased linears, 2 LayerNorms), wte + wpe, ln_f; tied.
    d, layers, v, p = 768, 12, 50257, 1024
    expected = layers * (12 * d * d + 13 * d) + v * d + p * d + 2 * d
    assert param_counts(get_model("gpt2")).total == expected


def test_qwen_qkv_bias_only() -> None:
    cfg = get_model("qwen2.5-7b")
    per_layer = param_counts(cfg).per_layer
    assert per_layer["q"] == 3584 * 3584 + 3584
    assert per_layer["k"] == 3584 * 512 + 512
    assert per_layer["o"] == 3584 * 3584


def test_gemma_head_dim_differs_from_d_over_n() -> None:
    cfg = get_model("gemma-7b")  # D = 3072, N = 16, H = 256 (not 3072 / 16 = 192)
    assert cfg.head_dim == 256 != cfg.d_model // cfg.n_heads
    assert param_counts(cfg).per_layer["q"] == 3072 * 16 * 256
    assert param_counts(cfg).per_layer["o"] == 16 * 256 * 3072


def test_tied_embeddings_counted_once() -> None:
    tied = get_model("llama-3.2-1b")
    untied = tied.replace(tied_embeddings=False)
    assert param_counts(untied).total - param_counts(tied).total == 128256 * 2048


def test_by_category_sums_to_total(catalog_name: str) -> None:
    counts = param_counts(get_model(catalog_name))
    assert sum(counts.by_category().values()) == counts.total
    assert sum(counts.by_component().values()) == counts.total
