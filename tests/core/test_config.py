"""TransformerConfig: validation, reading Hugging Face configs, and one-line errors.

The config dicts below are written by hand from the published ``config.json`` of each model
on the Hugging Face Hub; the expected values follow from them by hand (for example
Llama 2 7B's head_dim is 4096 / 32 = 128) or from the family's architecture.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from ai_workloads.core.config import (
    SUPPORTED_FAMILIES,
    TransformerConfig,
    from_hf_dict,
    load_config,
    read_json,
)
from ai_workloads.core.errors import WorkloadError

LLAMA_2_7B: dict[str, Any] = {
    "_name_or_path": "meta-llama/Llama-2-7b-hf", "architectures": ["LlamaForCausalLM"],
    "model_type": "llama", "hidden_size": 4096, "intermediate_size": 11008,
    "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
    "max_position_embeddings": 4096, "rms_norm_eps": 1e-05, "hidden_act": "silu",
    "tie_word_embeddings": False, "vocab_size": 32000, "torch_dtype": "float16",
}
LLAMA_3_8B: dict[str, Any] = {
    "model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336,
    "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
    "max_position_embeddings": 8192, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
    "tie_word_embeddings": False, "vocab_size": 128256,
}
MIXTRAL_8X7B: dict[str, Any] = {
    "model_type": "mixtral", "hidden_size": 4096, "intermediate_size": 14336,
    "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
    "num_local_experts": 8, "num_experts_per_tok": 2, "max_position_embeddings": 32768,
    "rope_theta": 1e6, "sliding_window": None, "vocab_size": 32000,
}
QWEN2_5_7B: dict[str, Any] = {
    "model_type": "qwen2", "hidden_size": 3584, "intermediate_size": 18944,
    "num_attention_heads": 28, "num_hidden_layers": 28, "num_key_value_heads": 4,
    "max_position_embeddings": 131072, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
    "tie_word_embeddings": False, "vocab_size": 152064, "use_sliding_window": False,
}
GEMMA_2B: dict[str, Any] = {
    "model_type": "gemma", "hidden_size": 2048, "intermediate_size": 16384,
    "num_attention_heads": 8, "num_hidden_layers": 18, "num_key_value_heads": 1,
    "head_dim": 256, "max_position_embeddings": 8192, "hidden_act": "gelu",
    "vocab_size": 256000,
}
PHI_3_MINI: dict[str, Any] = {
    "model_type": "phi3", "hidden_size": 3072, "intermediate_size": 8192,
    "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
    "max_position_embeddings": 4096, "rms_norm_eps": 1e-05, "vocab_size": 32064,
    "tie_word_embeddings": False,
}
GPT2: dict[str, Any] = {
    "model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "n_positions": 1024,
    "n_ctx": 1024, "vocab_size": 50257, "activation_function": "gelu_new",
    "layer_norm_epsilon": 1e-05,
}
BERT_BASE: dict[str, Any] = {
    "model_type": "bert", "hidden_size": 768, "num_attention_heads": 12,
    "num_hidden_layers": 12, "intermediate_size": 3072, "max_position_embeddings": 512,
    "type_vocab_size": 2, "vocab_size": 30522, "hidden_act": "gelu",
    "layer_norm_eps": 1e-12,
}

#: (config, D, L, N, K, H = D/N unless given, F, V, attention kind)
SHAPES = {
    "llama-2-7b": (LLAMA_2_7B, 4096, 32, 32, 32, 4096 // 32, 11008, 32000, "MHA"),
    "llama-3-8b": (LLAMA_3_8B, 4096, 32, 32, 8, 4096 // 32, 14336, 128256, "GQA"),
    "mixtral-8x7b": (MIXTRAL_8X7B, 4096, 32, 32, 8, 4096 // 32, 14336, 32000, "GQA"),
    "qwen2.5-7b": (QWEN2_5_7B, 3584, 28, 28, 4, 3584 // 28, 18944, 152064, "GQA"),
    "gemma-2b": (GEMMA_2B, 2048, 18, 8, 1, 256, 16384, 256000, "MQA"),
    "phi-3-mini": (PHI_3_MINI, 3072, 32, 32, 32, 3072 // 32, 8192, 32064, "MHA"),
    "gpt2": (GPT2, 768, 12, 12, 12, 768 // 12, 4 * 768, 50257, "MHA"),
    "bert-base": (BERT_BASE, 768, 12, 12, 12, 768 // 12, 3072, 30522, "MHA"),
}


def tiny(**changes: Any) -> TransformerConfig:
    fields: dict[str, Any] = {"name": "tiny", "family": "llama", "d_model": 64, "n_layers": 2,
                              "n_heads": 4, "n_kv_heads": 2, "head_dim": 16, "d_ff": 128,
                              "vocab_size": 100}
    return TransformerConfig(**(fields | changes))


# --------------------------------------------------------------------------- the dataclass

def test_derived_sizes_of_a_small_gqa_model() -> None:
    cfg = tiny()
    assert (cfg.group_size, cfg.q_dim, cfg.kv_dim) == (4 // 2, 4 * 16, 2 * 16)
    assert cfg.attention_kind == "GQA"
    assert not cfg.is_moe


def test_attention_kind_follows_the_kv_heads() -> None:
    assert tiny(n_kv_heads=4).attention_kind == "MHA"
    assert tiny(n_kv_heads=1).attention_kind == "MQA"
    assert tiny(n_kv_heads=1).group_size == 4


def test_defaults_describe_a_llama_style_decoder() -> None:
    cfg = tiny()
    assert (cfg.norm, cfg.positions, cfg.gated_mlp, cfg.tied_embeddings) == (
        "rms", "rope", True, False)
    assert (cfg.n_experts, cfg.experts_per_token, cfg.encoder) == (1, 1, False)


def test_config_is_immutable() -> None:
    cfg = tiny()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.d_model = 128  # type: ignore[misc]


def test_replace_and_with_mha_validate_again() -> None:
    cfg = tiny()
    assert cfg.replace(n_layers=3).n_layers == 3
    assert cfg.n_layers == 2
    assert cfg.with_mha().n_kv_heads == 4
    with pytest.raises(WorkloadError, match=r"num_attention_heads \(4\) must be divisible"):
        cfg.replace(n_kv_heads=3)


SIZE_FIELDS = ("d_model", "n_layers", "n_heads", "n_kv_heads", "head_dim", "d_ff",
               "vocab_size", "max_position", "n_experts", "experts_per_token")


@pytest.mark.parametrize("field", SIZE_FIELDS)
@pytest.mark.parametrize("bad", [0, -8, True, 64.0, "64", None])
def test_sizes_must_be_positive_integers(field: str, bad: object) -> None:
    with pytest.raises(WorkloadError) as info:
        tiny(**{field: bad})
    assert str(info.value) == f"tiny: {field} must be a positive integer, got {bad!r}"


def test_query_heads_must_divide_among_kv_heads() -> None:
    with pytest.raises(WorkloadError) as info:
        tiny(n_heads=32, n_kv_heads=5)
    assert str(info.value) == ("tiny: num_attention_heads (32) must be divisible by "
                               "num_key_value_heads (5)")


def test_more_routed_experts_than_experts_is_an_error() -> None:
    assert tiny(n_experts=8, experts_per_token=2).is_moe
    with pytest.raises(WorkloadError, match=r"experts per token \(3\) exceeds .* \(2\)"):
        tiny(n_experts=2, experts_per_token=3)


@pytest.mark.parametrize(("field", "value"), [("norm", "batch"), ("positions", "alibi")])
def test_norm_and_positions_are_checked(field: str, value: str) -> None:
    with pytest.raises(WorkloadError, match=f"{field} must be .* got '{value}'"):
        tiny(**{field: value})


def test_token_type_vocabulary_may_be_zero_but_not_negative() -> None:
    assert tiny(type_vocab_size=0).type_vocab_size == 0
    with pytest.raises(WorkloadError, match="type_vocab_size must be >= 0"):
        tiny(type_vocab_size=-1)


# --------------------------------------------------------------------------- from_hf_dict

@pytest.mark.parametrize("name", SHAPES)
def test_shapes_of_published_configs(name: str) -> None:
    raw, d, layers, n, k, h, f, v, kind = SHAPES[name]
    cfg = from_hf_dict(raw, name=name)
    assert (cfg.name, cfg.family) == (name, raw["model_type"])
    assert (cfg.d_model, cfg.n_layers, cfg.n_heads, cfg.n_kv_heads) == (d, layers, n, k)
    assert (cfg.head_dim, cfg.d_ff, cfg.vocab_size) == (h, f, v)
    assert cfg.attention_kind == kind


def test_llama_2_7b_in_full() -> None:
    cfg = from_hf_dict(LLAMA_2_7B)
    assert cfg.name == "meta-llama/Llama-2-7b-hf"  # from _name_or_path
    assert cfg.head_dim == 4096 // 32 == 128
    assert (cfg.max_position, cfg.gated_mlp, cfg.activation) == (4096, True, "silu")
    assert (cfg.norm, cfg.positions, cfg.tied_embeddings) == ("rms", "rope", False)
    assert (cfg.qkv_bias, cfg.out_bias, cfg.mlp_bias) == (False, False, False)
    assert (cfg.rope_theta, cfg.norm_eps) == (10_000.0, 1e-5)


def test_llama_3_groups_four_query_heads_per_kv_head() -> None:
    cfg = from_hf_dict(LLAMA_3_8B)
    assert cfg.group_size == 32 // 8 == 4
    assert cfg.kv_dim == 8 * 128
    assert cfg.rope_theta == 500_000.0
    assert cfg.name == "llama"  # no _name_or_path: the model_type


def test_mixtral_routes_two_of_eight_experts() -> None:
    cfg = from_hf_dict(MIXTRAL_8X7B)
    assert cfg.is_moe
    assert (cfg.n_experts, cfg.experts_per_token) == (8, 2)


def test_qwen2_has_qkv_bias_only() -> None:
    cfg = from_hf_dict(QWEN2_5_7B)
    assert (cfg.qkv_bias, cfg.out_bias) == (True, False)
    assert cfg.norm_eps == 1e-6


def test_attention_bias_adds_qkv_and_output_bias() -> None:
    cfg = from_hf_dict(LLAMA_2_7B | {"attention_bias": True, "mlp_bias": True})
    assert (cfg.qkv_bias, cfg.out_bias, cfg.mlp_bias) == (True, True, True)


def test_gemma_ties_embeddings_and_scales_them() -> None:
    cfg = from_hf_dict(GEMMA_2B)
    assert cfg.tied_embeddings
    assert cfg.embedding_scale == math.sqrt(2048)
    assert cfg.q_dim == 8 * 256 == 2048
    assert cfg.activation == "gelu"
    assert cfg.norm_eps == 1e-6  # Gemma's default
    assert not from_hf_dict(GEMMA_2B | {"tie_word_embeddings": False}).tied_embeddings


def test_gemma_hidden_activation_wins_over_hidden_act() -> None:
    raw = GEMMA_2B | {"hidden_activation": "gelu_pytorch_tanh"}
    assert from_hf_dict(raw).activation == "gelu_pytorch_tanh"


def test_gpt2_is_a_tied_learned_position_layer_norm_model() -> None:
    cfg = from_hf_dict(GPT2)
    assert cfg.d_ff == 4 * 768
    assert (cfg.max_position, cfg.positions, cfg.norm) == (1024, "learned", "layer")
    assert (cfg.gated_mlp, cfg.tied_embeddings) == (False, True)
    assert (cfg.qkv_bias, cfg.out_bias, cfg.mlp_bias) == (True, True, True)
    assert cfg.activation == "gelu_new"
    assert from_hf_dict(GPT2 | {"n_inner": 1024}).d_ff == 1024


def test_bert_is_an_encoder_with_token_types_and_pooler() -> None:
    cfg = from_hf_dict(BERT_BASE)
    assert cfg.encoder
    assert (cfg.type_vocab_size, cfg.pooler, cfg.embedding_norm) == (2, True, True)
    assert not cfg.final_norm
    assert (cfg.max_position, cfg.norm_eps) == (512, 1e-12)


def test_extra_keys_are_ignored_and_null_counts_as_absent() -> None:
    raw = LLAMA_2_7B | {"num_key_value_heads": None, "rope_scaling": None, "anything": [1]}
    assert from_hf_dict(raw).n_kv_heads == 32  # absent K means K = N


def test_explicit_head_dim_when_heads_do_not_divide_the_width() -> None:
    raw = LLAMA_2_7B | {"num_attention_heads": 30, "num_key_value_heads": 10, "head_dim": 128}
    cfg = from_hf_dict(raw)
    assert (cfg.head_dim, cfg.q_dim, cfg.kv_dim) == (128, 30 * 128, 10 * 128)


def test_every_supported_family_reads() -> None:
    families = {raw["model_type"] for raw, *_ in SHAPES.values()}
    assert families <= set(SUPPORTED_FAMILIES)
    mistral = from_hf_dict(LLAMA_3_8B | {"model_type": "mistral", "vocab_size": 32000})
    assert mistral.family == "mistral"


# --------------------------------------------------------------------------- bad input

def one_line_error(raw: object, **kwargs: str) -> str:
    with pytest.raises(WorkloadError) as info:
        from_hf_dict(raw, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    return message


def test_unknown_model_type_lists_the_supported_families() -> None:
    message = one_line_error({"model_type": "t5", "d_model": 512}, where="t5/config.json")
    assert message.startswith("t5/config.json: unsupported model_type 't5'; supported families:")
    for family in ("llama", "mistral", "mixtral", "qwen2", "gemma", "phi3", "gpt2", "bert"):
        assert family in message


def test_missing_model_type_says_so() -> None:
    message = one_line_error({"hidden_size": 4096})
    assert message.startswith("config: unsupported model_type missing;")


def test_a_config_must_be_an_object() -> None:
    assert one_line_error([1, 2], where="x.json") == "x.json: a config must be a JSON object"


@pytest.mark.parametrize("key", ["hidden_size", "num_hidden_layers", "num_attention_heads",
                                 "intermediate_size", "vocab_size"])
def test_missing_required_key_names_key_and_family(key: str) -> None:
    raw = {k: v for k, v in LLAMA_2_7B.items() if k != key}
    message = one_line_error(raw, where="llama/config.json")
    assert message.startswith(
        f"llama/config.json: missing key '{key}' required for model_type 'llama'")


def test_missing_expert_count_of_mixtral() -> None:
    raw = {k: v for k, v in MIXTRAL_8X7B.items() if k != "num_local_experts"}
    assert "missing key 'num_local_experts'" in one_line_error(raw)


def test_gpt2_missing_width() -> None:
    raw = {k: v for k, v in GPT2.items() if k != "n_embd"}
    assert "missing key 'n_embd' required for model_type 'gpt2'" in one_line_error(raw)


def test_heads_not_dividing_kv_heads() -> None:
    message = one_line_error(LLAMA_3_8B | {"num_key_value_heads": 5}, where="cfg.json")
    assert message == ("cfg.json: num_attention_heads (32) must be divisible by "
                       "num_key_value_heads (5)")


def test_width_not_dividing_into_heads_asks_for_head_dim() -> None:
    message = one_line_error(LLAMA_2_7B | {"num_attention_heads": 30}, where="cfg.json")
    assert message == ("cfg.json: hidden size 4096 is not divisible by 30 heads; "
                       "give 'head_dim' explicitly")


@pytest.mark.parametrize("bad", [0, -4096, "4096", 4096.0, True])
def test_non_positive_or_non_integer_sizes(bad: object) -> None:
    message = one_line_error(LLAMA_2_7B | {"hidden_size": bad}, where="cfg.json")
    assert message == f"cfg.json: key 'hidden_size' must be a positive integer, got {bad!r}"


def test_more_routed_experts_than_experts_in_a_config() -> None:
    message = one_line_error(MIXTRAL_8X7B | {"num_experts_per_tok": 9}, where="m.json")
    assert message == "m.json: experts per token (9) exceeds the number of experts (8)"


def test_flags_must_be_booleans_and_floats_numbers() -> None:
    message = one_line_error(LLAMA_2_7B | {"tie_word_embeddings": "yes"}, where="c")
    assert message == "c: key 'tie_word_embeddings' must be true or false, got 'yes'"
    message = one_line_error(LLAMA_2_7B | {"rope_theta": "1e4"}, where="c")
    assert message == "c: key 'rope_theta' must be a number, got '1e4'"


def test_error_names_the_model_when_no_source_is_given() -> None:
    message = one_line_error(LLAMA_2_7B | {"vocab_size": 0}, name="mine")
    assert message.startswith("mine: key 'vocab_size' must be a positive integer")


# --------------------------------------------------------------------------- files

def write(path: Path, raw: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(raw))
    return path


def test_load_config_from_the_file_or_its_folder(tmp_path: Path) -> None:
    path = write(tmp_path / "Llama-2-7b-hf" / "config.json", LLAMA_2_7B)
    from_file, from_folder = load_config(path), load_config(path.parent)
    assert from_file == from_folder
    assert from_file.name == "Llama-2-7b-hf"  # a config.json is named after its folder
    assert from_file.head_dim == 128
    assert load_config(str(path)).d_model == 4096


def test_load_config_names_other_files_by_their_stem(tmp_path: Path) -> None:
    path = write(tmp_path / "gemma-2b.json", GEMMA_2B)
    assert load_config(path).name == "gemma-2b"
    assert load_config(path, name="given").name == "given"


def test_load_config_errors_name_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "bad" / "config.json", LLAMA_2_7B | {"num_key_value_heads": 5})
    with pytest.raises(WorkloadError) as info:
        load_config(path)
    assert str(info.value) == (f"{path}: num_attention_heads (32) must be divisible by "
                               "num_key_value_heads (5)")


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "none" / "config.json"
    with pytest.raises(WorkloadError, match=re.escape(f"cannot read {missing}: no such file")):
        load_config(missing)


def test_folder_without_a_config(tmp_path: Path) -> None:
    with pytest.raises(WorkloadError, match="it is a directory, not a file"):
        load_config(tmp_path)


def test_invalid_json_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"model_type": "llama",\n  "hidden_size": }')
    with pytest.raises(WorkloadError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path} is not valid JSON: ")
    assert message.endswith("at line 2, column 18")
    assert "\n" not in message


def test_a_file_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(b"\xff\xfe\x00{")
    with pytest.raises(WorkloadError, match=re.escape(f"cannot read {path}: ")):
        read_json(path)


def test_a_json_array_is_not_a_config(tmp_path: Path) -> None:
    path = write(tmp_path / "config.json", [LLAMA_2_7B])
    with pytest.raises(WorkloadError, match="a config must be a JSON object"):
        load_config(path)


def test_read_json_returns_the_parsed_value(tmp_path: Path) -> None:
    assert read_json(write(tmp_path / "x.json", {"a": [1, 2.5, None]})) == {"a": [1, 2.5, None]}
