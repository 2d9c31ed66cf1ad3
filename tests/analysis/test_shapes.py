"""Tests of shapes: values against hand derivations and independent sources."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ai_workloads import WorkloadError, get_model, model_entry, model_names
from ai_workloads.analysis.params import layer_params, model_params
from ai_workloads.analysis.shapes import (
    category_shares,
    classic_mlp_params,
    ffn_param_ratio,
    group_counts,
    group_shares,
    layer_group_counts,
    layer_mlp_share,
    layer_weights,
    llama_ffn_checks,
    mlp_kind,
    model_weights,
    norm_placement,
    params_by_component,
    stack_totals,
    swiglu_hidden_size,
    swiglu_sizing,
)

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


def test_layer_weights_agree_with_layer_params(catalog_name: str) -> None:
    cfg = get_model(catalog_name)
    expected = {k: v for k, v in layer_params(cfg).items() if v}
    assert params_by_component(layer_weights(cfg)) == expected


def test_model_weights_agree_with_model_params(catalog_name: str) -> None:
    cfg = get_model(catalog_name)
    expected = {k: v for k, v in model_params(cfg).items() if v}
    assert params_by_component(model_weights(cfg)) == expected


def test_weights_sum_to_the_published_checkpoint(catalog_name: str) -> None:
    published = model_entry(catalog_name).published_params
    if published is None:
        pytest.skip("no exact published count")
    cfg = get_model(catalog_name)
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
    assert all(norm_placement(get_model(n)) == "pre" for n in model_names() if n != "bert-base")
    assert mlp_kind(get_model("llama-2-7b")) == "SwiGLU"
    assert mlp_kind(get_model("gemma-7b")) == "GeGLU"
    assert mlp_kind(get_model("bert-base")) == "GELU"


@pytest.mark.parametrize(("d_model", "multiple_of", "multiplier", "expected"), [
    (4096, 256, None, 11008),     # 8·4096/3 = 10922.7 -> 43·256
    (5120, 256, None, 13824),     # 13653 -> 54·256
    (8192, 4096, 1.3, 28672),     # int(1.3·21845) = 28398 -> 7·4096
    (4096, 1024, 1.3, 14336),     # int(1.3·10922) = 14198 -> 14·1024
    (16384, 4096, 1.2, 53248),    # int(1.2·43690) = 52428 -> 13·4096
    (2048, 256, 1.5, 8192),       # int(1.5·5461) = 8191 -> 32·256
])
def test_swiglu_hidden_size_by_hand(d_model: int, multiple_of: int, multiplier: float | None,
                                    expected: int) -> None:
    assert swiglu_hidden_size(d_model, multiple_of, multiplier) == expected


def test_rule_matches_every_llama_checkpoint() -> None:
    checks = llama_ffn_checks()
    assert len(checks) == 7
    assert all(c.matches for c in checks)


@given(st.integers(1, 50_000), st.sampled_from([1, 8, 64, 256, 1024, 4096]))
def test_rule_rounds_up_to_the_nearest_multiple(d_model: int, multiple_of: int) -> None:
    s = swiglu_sizing(d_model, multiple_of)
    assert s.two_thirds == math.floor(8 * d_model / 3)
    assert s.d_ff % multiple_of == 0
    assert s.two_thirds <= s.d_ff < s.two_thirds + multiple_of


@given(st.integers(1, 20_000))
def test_eight_thirds_keeps_the_classic_budget(third: int) -> None:
    d = 3 * third  # 8D/3 is a whole number
    assert 3 * d * (8 * d // 3) == classic_mlp_params(d)


@pytest.mark.parametrize(("args", "message"), [
    ((0,), "d_model must be a positive integer"),
    ((4096, 0), "multiple_of must be a positive integer"),
    ((4096, 256, -1.0), "ffn_dim_multiplier must be a positive number"),
    ((4096, 256, True), "ffn_dim_multiplier must be a positive number"),
])
def test_swiglu_sizing_rejects_bad_input(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(WorkloadError, match=message):
        swiglu_sizing(*args)  # type: ignore[arg-type]


def test_ffn_param_ratio() -> None:
    assert ffn_param_ratio(get_model("llama-2-7b")) == pytest.approx(3 * F7 / (2 * 4 * D7))
    assert ffn_param_ratio(get_model("gpt2")) == pytest.approx(1.0)


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

