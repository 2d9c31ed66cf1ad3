"""The tiny configs keep each family's shape."""

from __future__ import annotations

import pytest

from ai_workloads.core.config import TransformerConfig
from ai_workloads.core.errors import WorkloadError
from ai_workloads.reference.configs import TINY_FAMILIES, tiny_config


@pytest.mark.parametrize("family", TINY_FAMILIES)
def test_tiny_configs_have_their_family_shape(family: str) -> None:
    cfg = tiny_config(family)
    assert isinstance(cfg, TransformerConfig)
    assert cfg.family == family.split("-")[0]
    expected_kind = {"llama-gqa": "GQA", "qwen2": "GQA", "mixtral": "GQA", "llama-mqa": "MQA",
                     "gemma": "MQA"}.get(family, "MHA")
    assert cfg.attention_kind == expected_kind
    assert (cfg.head_dim * cfg.n_heads != cfg.d_model) == (family == "gemma")


def test_the_features_each_family_brings() -> None:
    mixtral, gpt2, bert = tiny_config("mixtral"), tiny_config("gpt2"), tiny_config("bert")
    assert (mixtral.is_moe, mixtral.n_experts, mixtral.experts_per_token) == (True, 4, 2)
    assert (tiny_config("qwen2").qkv_bias, tiny_config("llama").qkv_bias) == (True, False)
    assert (gpt2.positions, gpt2.tied_embeddings, gpt2.gated_mlp) == ("learned", True, False)
    assert (bert.encoder, bert.pooler, bert.type_vocab_size) == (True, True, 2)
    assert tiny_config("gemma").embedding_scale == pytest.approx(48**0.5)


def test_overrides_apply_last() -> None:
    cfg = tiny_config("llama-gqa", n_layers=5, d_ff=96)
    assert (cfg.n_layers, cfg.d_ff, cfg.n_kv_heads, cfg.d_model) == (5, 96, 2, 64)


def test_unknown_tiny_family() -> None:
    with pytest.raises(WorkloadError, match="no tiny config for 't5'"):
        tiny_config("t5")
