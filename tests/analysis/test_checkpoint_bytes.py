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
