"""Weight shapes, block kinds and parameter shares, against hand derivations from each
model's config.json, the parameter counts of :mod:`ai_workloads.analysis.params` and the
published checkpoint sizes."""

from __future__ import annotations

import pytest

from ai_workloads.analysis.params import layer_params, model_params
from ai_workloads.analysis.shapes import (
    category_shares,
    group_counts,
    group_shares,
    layer_group_counts,
    layer_mlp_share,
    layer_weights,
    mlp_kind,
    model_weights,
    norm_placement,
    params_by_component,
    stack_totals,
)
from ai_workloads.catalog import get_model, model_entry, model_names

D7, F7, V7, L7 = 4096, 11008, 32000, 32  # Llama 2 7B, config.json


def test_llama_2_7b_layer_shapes_by_hand() -> None:
    shapes = {w.name: (w.symbolic, w.shape) for w in layer_weights(get_model("llama-2-7b"))}
    assert shapes == {
        "γ_attn": ("[D]", (D7,)),
        "W_Q": ("[D, N·H]", (D7, 32 * 128)),
        "W_K": ("[D, K·H]", (D7, 32 * 128)),
        "W_V": ("[D, K·H]", (D7, 32 * 128)),
        "W_O": ("[N·H, D]", (32 * 128, D7)),
        "γ_mlp": ("[D]", (D7,)),
        "W_gate": ("[D, F]", (D7, F7)),
        "W_up": ("[D, F]", (D7, F7)),
        "W_down": ("[F, D]", (F7, D7)),
    }


def test_llama_2_70b_kv_projections_use_kv_heads() -> None:
    w = {x.name: x for x in layer_weights(get_model("llama-2-70b"))}
    assert w["W_K"].shape == (8192, 8 * 128)  # K = 8 KV heads of H = 128
    assert w["W_K"].params == 8_388_608
    assert w["W_Q"].params == 8192 * 8192


def test_gpt2_layer_has_biases_and_layernorm_shift() -> None:
    w = {x.name: x for x in layer_weights(get_model("gpt2"))}
    assert w["b_Q"].shape == (768,)
    assert w["β_attn"].shape == (768,)
    assert "W_gate" not in w
    # 4 projections of 768² + 768, two LayerNorms of 2·768, MLP 2·768·3072 + 3072 + 768
    expected = 4 * (768 * 768 + 768) + 2 * 2 * 768 + 2 * 768 * 3072 + 3072 + 768
    assert sum(x.params for x in w.values()) == expected == 7_087_872


def test_mixtral_experts_carry_a_leading_e() -> None:
    w = {x.name: x for x in layer_weights(get_model("mixtral-8x7b"))}
    assert w["W_router"].shape == (4096, 8)
    assert w["W_gate"].shape == (8, 4096, 14336)
    assert w["W_down"].symbolic == "[E, F, D]"


def test_layer_weights_agree_with_layer_params(plain_catalog_name: str) -> None:
    cfg = get_model(plain_catalog_name)
    expected = {k: v for k, v in layer_params(cfg).items() if v}
    assert params_by_component(layer_weights(cfg)) == expected


def test_model_weights_agree_with_model_params(catalog_name: str) -> None:
    cfg = get_model(catalog_name)
    expected = {k: v for k, v in model_params(cfg).items() if v}
    assert params_by_component(model_weights(cfg)) == expected


@pytest.mark.parametrize("name", [n for n in model_names()
                                  if model_entry(n).published_params is not None])
def test_weights_sum_to_the_published_checkpoint(name: str) -> None:
    published = model_entry(name).published_params
    cfg = get_model(name)
    layer = sum(w.params for w in layer_weights(cfg))
    outside = sum(w.params for w in model_weights(cfg))
    assert cfg.n_layers * layer + outside == published


def test_stack_totals_llama_2_7b() -> None:
    layer = 4 * D7 * D7 + 3 * D7 * F7 + 2 * D7
    t = stack_totals(get_model("llama-2-7b"))
    assert t == {"layer": layer, "layers": L7 * layer, "outside": 2 * V7 * D7 + D7,
                 "total": 6_738_415_616}


def test_norm_placement_and_mlp_kind() -> None:
    assert norm_placement(get_model("bert-base")) == "post"
    assert all(norm_placement(get_model(n)) == "pre" for n in model_names()
               if n != "bert-base" and get_model(n).norm_layout == "pre")
    assert norm_placement(get_model("gemma-2-9b")) == "pre and post"
    assert norm_placement(get_model("olmo-2-7b")) == "post (in branch)"
    assert norm_placement(get_model("command-r")) == "pre (parallel)"
    assert mlp_kind(get_model("llama-2-7b")) == "SwiGLU"
    assert mlp_kind(get_model("gemma-7b")) == "GeGLU"
    assert mlp_kind(get_model("bert-base")) == "GELU"


def test_layer_groups_llama_2_7b() -> None:
    assert layer_group_counts(get_model("llama-2-7b")) == {
        "attention": 4 * D7 * D7, "mlp": 3 * D7 * F7, "embeddings": 0, "other": 2 * D7}


def test_group_counts_gpt2_ties_the_head() -> None:
    counts = group_counts(get_model("gpt2"))
    assert counts["embeddings"] == 50257 * 768 + 1024 * 768  # tokens + positions, no head


def test_layer_mlp_share_is_two_thirds_for_classic_mha() -> None:
    # GPT-2 layer: MLP 2·768·3072 + 3072 + 768 of 7,087,872
    assert layer_mlp_share(get_model("gpt2")) == pytest.approx(4_722_432 / 7_087_872)
    assert layer_mlp_share(get_model("llama-2-7b")) == pytest.approx(
        3 * D7 * F7 / (4 * D7 * D7 + 3 * D7 * F7 + 2 * D7))


def test_shares_sum_to_one(catalog_name: str) -> None:
    cfg = get_model(catalog_name)
    assert sum(group_shares(cfg).values()) == pytest.approx(1.0)
    assert sum(category_shares(cfg).values()) == pytest.approx(1.0)


def test_llama_2_7b_shares_match_the_notes() -> None:
    # The notes' (correct) 7B figures: attention 31.9%, FFN 64.2%, embeddings 3.9%.
    shares = group_shares(get_model("llama-2-7b"))
    assert round(100 * shares["attention"], 1) == 31.9
    assert round(100 * shares["mlp"], 1) == 64.2
    assert round(100 * shares["embeddings"], 1) == 3.9

