"""Weight bytes as checkpoints store them, against the sizes their repositories publish."""

from __future__ import annotations

import pytest

from ai_workloads.analysis.memory import weight_bytes
from ai_workloads.analysis.params import param_counts
from ai_workloads.catalog import get_model


@pytest.mark.parametrize(("name", "published"), [
    # model.safetensors.index.json, metadata.total_size, of openai/gpt-oss-20b and
    # openai/gpt-oss-120b: MoE experts in MXFP4 (4-bit values and one 8-bit scale per 32),
    # attention, router, embeddings and LM head in bf16 (modules_to_not_convert).
    ("gpt-oss-20b", 13_761_264_768),
    ("gpt-oss-120b", 65_248_815_744),
])
def test_mxfp4_checkpoints_match_their_published_size(name: str, published: int) -> None:
    assert weight_bytes(get_model(name), "checkpoint") == published


def test_mxfp4_experts_by_hand() -> None:
    cfg = get_model("gpt-oss-20b")  # 24 layers, 32 experts of gate_up [2·2880, 2880] ...
    counts = param_counts(cfg)
    experts = counts.expert_params  # weights and biases of all routed experts
    biases = cfg.n_layers * cfg.n_experts * (2 * cfg.d_ff + cfg.d_model)
    matrices = experts - biases
    # 4 bits a value plus one 8-bit scale per block of 32: 4.25 bits, biases in bf16
    expected = matrices // 2 + matrices // 32 + 2 * biases + 2 * (counts.total - experts)
    assert weight_bytes(cfg, "checkpoint") == expected


def _fp8_block(out_features: int, in_features: int, block: int = 128) -> int:
    """An fp8 weight with one fp32 scale per 128×128 block (DeepSeek's weight_scale_inv)."""
    blocks = -(-out_features // block) * -(-in_features // block)
    return out_features * in_features + 4 * blocks


def test_deepseek_v3_fp8_checkpoint_by_hand() -> None:
    # DeepSeek-V3 as stored: every linear map of the layers in fp8 e4m3 with 128×128 block
    # scales; routers, norms, embeddings and the LM head in bf16 (the MTP layer, which
    # transformers does not build, left out).
    d, heads, q_rank, kv_rank, nope, rope, v = 7168, 128, 1536, 512, 128, 64, 128
    vocab, dense_f, expert_f, experts, layers, dense_layers = 129280, 18432, 2048, 256, 61, 3
    attention = (_fp8_block(q_rank, d) + _fp8_block(heads * (nope + rope), q_rank)
                 + _fp8_block(kv_rank + rope, d) + _fp8_block(heads * (nope + v), kv_rank)
                 + _fp8_block(d, heads * v) + 2 * (q_rank + kv_rank))  # + latent norms
    mlp = 3 * _fp8_block(dense_f, d)  # gate and up [F, D], down [D, F]: same block count
    moe = ((experts + 1) * 3 * _fp8_block(expert_f, d)  # routed experts and the shared one
           + 2 * experts * d)  # the router in bf16
    norms = 2 * 2 * d
    total = (dense_layers * (attention + mlp + norms)
             + (layers - dense_layers) * (attention + moe + norms)
             + 2 * vocab * d * 2 + 2 * d)  # embedding, LM head, final norm
    assert weight_bytes(get_model("deepseek-v3"), "checkpoint") == total
