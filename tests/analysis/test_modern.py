"""The architectures of 2026: latent attention, windows, hybrids, experts and sinks, against
hand derivations from the published configs and against what transformers builds (the
fixture's tiny models and catalog models)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from ai_workloads.analysis.modern import (
    CACHE_KINDS,
    all_full,
    cache_curve,
    cache_kind,
    catalog_cache,
    mla_cache,
    mla_layer_decode,
    moe_bias_params,
    moe_counts,
    reads_as,
    sink_softmax,
    state_as_tokens,
)
from ai_workloads.catalog import get_model, model_entries
from ai_workloads.core.config import TransformerConfig, from_hf_dict
from ai_workloads.core.errors import WorkloadError

FIXTURE = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "reference_counts.json").read_text())
MODELS: dict[str, dict[str, Any]] = FIXTURE["models"]
STATIC = FIXTURE["settings"]["static_cache_len"]


def _tiny(name: str) -> TransformerConfig:
    return from_hf_dict(MODELS[name]["config_as_built"], name=name)


# --------------------------------------------------------------------------- kinds of cache

@pytest.mark.parametrize(("name", "kind"), [
    ("llama-2-7b", "MHA"),            # 32 heads, 32 KV heads
    ("llama-2-70b", "GQA"),           # 64 heads, 8 KV heads
    ("gemma-2b", "MQA"),              # one KV head
    ("deepseek-v3", "MLA"),           # kv_lora_rank 512
    ("mistral-7b", "window"),         # sliding_window 4096 < 32768
    ("gemma-2-9b", "window"), ("gemma-3-12b", "window"), ("gpt-oss-20b", "window"),
    ("llama-4-scout", "window"),      # attention_chunk_size 8192
    ("phi-4-mini", "GQA"),            # sliding_window 262144 >= its 131072 positions
    ("qwen3-next-80b-a3b", "hybrid"), ("granite-4.0-h-small", "hybrid"),
])
def test_cache_kind_follows_the_config(name: str, kind: str) -> None:
    assert cache_kind(get_model(name)) == kind


def test_every_catalog_decoder_has_a_known_kind() -> None:
    assert {cache_kind(e.config) for e in model_entries()} <= set(CACHE_KINDS)


# --------------------------------------------------------------------------- latent attention

def test_mla_cache_of_deepseek_v3_by_hand() -> None:
    # config.json: kv_lora_rank 512, qk_rope_head_dim 64, qk_nope_head_dim 128,
    # v_head_dim 128, 128 heads, 61 layers.
    c = mla_cache(get_model("deepseek-v3"))
    assert (c.latent, c.qk_dim) == (512 + 64, 128 + 64)
    assert c.mha == 128 * (192 + 128)
    assert c.gqa == 8 * (192 + 128)
    assert c.bytes_per_token == 61 * 576 * 2
    assert c.mha_bytes_per_token == 61 * 40960 * 2
    assert c.mha_ratio == pytest.approx(40960 / 576)


def test_mla_cache_equals_the_static_cache_transformers_allocates() -> None:
    # The tiny DeepSeek-V3 caches, per layer and token, the latent as "keys" (32) and the
    # RoPE key as "values" (8); a static cache holds STATIC tokens.
    built = MODELS["tiny-deepseek_v3"]["static_cache"]
    tiny = _tiny("tiny-deepseek_v3")
    c = mla_cache(tiny, dtype="fp32")
    assert c.latent * c.layers * STATIC == built["total_elements"]
    assert c.bytes_per_token * STATIC == built["total_bytes"]


def test_mla_layer_decode_by_hand() -> None:
    step = mla_layer_decode(get_model("deepseek-v3"), 4096)
    s, r, n, nope, rope, v = 4096, 512, 128, 128, 64, 128
    assert dict(step.expanded) == {"scores": 2 * n * s * (nope + rope),
                                   "attn_v": 2 * n * s * v,
                                   "kv_b": 2 * s * r * n * (nope + v)}
    assert dict(step.absorbed) == {"scores": 2 * n * s * (r + rope), "attn_v": 2 * n * s * r,
                                   "kv_b": 2 * r * n * (nope + v)}
    assert step.ratio == pytest.approx(step.expanded_total / step.absorbed_total)


def test_latent_functions_refuse_other_models() -> None:
    with pytest.raises(WorkloadError, match="no multi-head latent attention"):
        mla_cache(get_model("llama-2-7b"))
    with pytest.raises(WorkloadError, match="no multi-head latent attention"):
        mla_layer_decode(get_model("llama-2-7b"), 10)


# --------------------------------------------------------------------------- windows and states

def test_gemma_3_cache_curve_by_hand() -> None:
    # 40 sliding layers (W = 1024) and 8 full ones, 8 KV heads of 256, bf16.
    c = cache_curve(get_model("gemma-3-12b"), [512, 1024, 32768])
    per_token = 2 * 8 * 256 * 2
    assert c.by_mixer["sliding"] == tuple(40 * per_token * min(s, 1024) for s in c.contexts)
    assert c.by_mixer["full"] == tuple(8 * per_token * s for s in c.contexts)
    assert c.all_full == tuple(48 * per_token * s for s in c.contexts)
    assert c.shares[0] == 1.0
    assert c.shares[2] == pytest.approx((40 * 1024 + 8 * 32768) / (48 * 32768))
    assert dict(c.layers) == {"full": 8, "sliding": 40}
    assert dict(c.windows) == {"full": 0, "sliding": 1024}


@pytest.mark.parametrize(("tiny", "mixers"), [
    ("tiny-gemma3_text", {"sliding": "sliding_attention", "full": "full_attention"}),
    ("tiny-qwen3_next", {"linear": "linear_attention", "full": "full_attention"}),
])
def test_cache_curve_equals_the_static_cache_transformers_allocates(
        tiny: str, mixers: dict[str, str]) -> None:
    built = MODELS[tiny]["static_cache"]
    c = cache_curve(_tiny(tiny), [STATIC], dtype="fp32")  # the tiny models run in fp32
    for mixer, layer_type in mixers.items():
        assert c.by_mixer[mixer] == (4 * built["by_layer_type"][layer_type]["elements"],)
    assert c.totals == (built["total_bytes"],)


def test_all_full_keeps_the_heads_and_drops_windows_and_states() -> None:
    for name in ("mistral-7b", "llama-4-scout", "granite-4.0-h-small"):
        cfg = get_model(name)
        full = all_full(cfg)
        assert {k.mixer for k in full.layer_kinds} == {"full"}
        assert (full.n_layers, full.n_kv_heads, full.head_dim) == \
            (cfg.n_layers, cfg.n_kv_heads, cfg.head_dim)
    # Mistral 7B with every layer full has Llama 3 8B's cache: 32 layers, 8 KV heads of 128.
    a, b = cache_curve(get_model("mistral-7b"), [32768]), cache_curve(get_model("llama-3-8b"),
                                                                       [32768])
    assert a.all_full == b.totals == (32 * 2 * 8 * 128 * 32768 * 2,)


def test_state_as_tokens_by_hand() -> None:
    # Qwen3-Next linear layer: 32 value heads of 128 x 128 in fp32, a convolution window of
    # (2 · 16 · 128 + 32 · 128) channels x 4 taps in bf16; a full layer: 2 KV heads of 256.
    state = 32 * 128 * 128 * 4 + (2 * 16 * 128 + 32 * 128) * 4 * 2
    assert state_as_tokens(get_model("qwen3-next-80b-a3b")) == state / (2 * 2 * 256 * 2)
    # Granite 4.0-H: 128 heads of 64 with a state of 128 in fp32, a convolution of
    # (8192 + 2 · 128) channels x 4 taps in bf16; a full layer: 8 KV heads of 128.
    state = 128 * 64 * 128 * 4 + (8192 + 2 * 128) * 4 * 2
    assert state_as_tokens(get_model("granite-4.0-h-small")) == state / (2 * 8 * 128 * 2)
    with pytest.raises(WorkloadError, match="not a hybrid"):
        state_as_tokens(get_model("llama-2-7b"))


def test_catalog_cache_sorts_and_flags() -> None:
    models = [(e.config.name, e.config) for e in model_entries()]
    rows = catalog_cache(models, 32768, unknown_context={"granite-4.0-h-small"})
    assert [r.bytes for r in rows] == sorted((r.bytes for r in rows), reverse=True)
    by_name = {r.model: r for r in rows}
    assert "bert-base" not in by_name  # an encoder keeps no cache
    assert by_name["llama-2-7b"].beyond_context  # 4,096 positions
    assert not by_name["mistral-7b"].beyond_context  # 32,768 positions
    assert not by_name["granite-4.0-h-small"].beyond_context  # its context is unknown
    assert by_name["llama-2-7b"].bytes == 2 * 32 * 32 * 128 * 32768 * 2


# --------------------------------------------------------------------------- experts

def test_moe_counts_equal_transformers() -> None:
    for name in ("deepseek-v3", "gpt-oss-20b", "qwen3-next-80b-a3b", "llama-4-maverick"):
        built, m = MODELS[name], moe_counts(get_model(name))
        assert (m.total, m.active) == (built["params"], built["active"])


def test_moe_layout_by_hand() -> None:
    ds = moe_counts(get_model("deepseek-v3"))
    # 256 routed experts of 2048, 8 per token, 1 shared of 2048; first_k_dense_replace 3,
    # dense intermediate_size 18432; the embedding is 129,280 x 7,168, untied.
    assert (ds.n_experts, ds.experts_per_token, ds.expert_width, ds.shared_width) == \
        (256, 8, 2048, 2048)
    assert (ds.moe_layers, ds.layers, ds.dense_width) == (58, 61, 18432)
    assert ds.active_width == 8 * 2048 + 2048 == ds.dense_width
    assert ds.input_embedding == ds.lm_head == 129280 * 7168
    assert ds.expert_sets == math.comb(256, 8)
    maverick = moe_counts(get_model("llama-4-maverick"))  # MoE on every other layer
    assert (maverick.moe_layers, maverick.dense_width, maverick.active_width) == \
        (24, 16384, 8192 + 8192)
    qwen = moe_counts(get_model("qwen3-30b-a3b"))
    assert (qwen.shared_width, qwen.dense_width, qwen.active_width) == (0, 0, 8 * 768)
    with pytest.raises(WorkloadError, match="dense"):
        moe_counts(get_model("llama-2-7b"))


def test_vendor_active_counts_by_their_own_rules() -> None:
    # gpt-oss's model card: 3.61B and 5.13B active, the input embedding left out.
    for name, card in (("gpt-oss-20b", "3.61B"), ("gpt-oss-120b", "5.13B")):
        m = moe_counts(get_model(name))
        assert reads_as(m.active_without_input_embedding, card)
        assert not reads_as(m.active, card)
    # Granite ties its embeddings: leaving both out removes the table once.
    granite = moe_counts(get_model("granite-4.0-h-small"))
    assert granite.lm_head == 0
    assert granite.active_without_embeddings == granite.active - 100352 * 4096


def test_moe_bias_params_by_hand() -> None:
    # gpt-oss-120b: 36 layers, 128 experts, width 2880; router bias E, gate_up bias 2F and
    # down bias D per expert.
    assert moe_bias_params(get_model("gpt-oss-120b")) == {
        "router": 36 * 128, "experts": 36 * 128 * (2 * 2880 + 2880)}


def test_reads_as() -> None:
    assert reads_as(671_026_404_352, "671B")
    assert reads_as(30_532_122_624, "30.5B")
    assert not reads_as(37_552_282_624, "37B")  # 37.55 rounds to 38
    with pytest.raises(WorkloadError, match="billions"):
        reads_as(1, "about seven")


# --------------------------------------------------------------------------- sinks

def test_sink_softmax_by_hand() -> None:
    weights = sink_softmax([1.0, 2.0, 3.0], sink=2.0)
    denominator = math.e ** 1 + math.e ** 2 + math.e ** 3 + math.e ** 2
    assert weights == pytest.approx([math.e ** s / denominator for s in (1, 2, 3)])
    assert sum(sink_softmax([0.0] * 128, sink=5.0)) == pytest.approx(128 / (128 + math.e ** 5))
    assert sum(sink_softmax([3.0, -1.0])) == pytest.approx(1.0)
    assert sink_softmax([1000.0, 1000.0], sink=-1000.0) == pytest.approx([0.5, 0.5])
    with pytest.raises(WorkloadError):
        sink_softmax([])
