"""The command line on modern architectures: per-layer-type breakdowns and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ai_workloads.catalog import model_entry, model_names
from ai_workloads.cli import main


def json_out(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("name", model_names())
@pytest.mark.parametrize("command", [
    ["params"], ["flops", "--context", "4096"], ["flops", "--prefill", "512"],
    ["memory", "--context", "8192", "--hardware", "h200"],
    ["roofline", "--hardware", "h200", "--batch", "1", "64"],
])
def test_every_command_works_for_every_catalog_model(
        capsys: pytest.CaptureFixture[str], name: str, command: list[str]) -> None:
    if model_entry(name).config.encoder and command[0] != "params" and \
            command[1:2] != ["--prefill"]:
        pytest.skip("an encoder has no decode step")
    data = json_out(capsys, command[0], name, *command[1:])
    assert data["model"] == name


def test_params_by_layer_type(capsys: pytest.CaptureFixture[str]) -> None:
    data = json_out(capsys, "params", "deepseek-v3")
    groups = {g["kind"]: g for g in data["by_layer_type"]}
    assert (groups["full"]["layers"], groups["full_moe"]["layers"]) == (3, 58)
    assert "per_layer" not in data  # the layers differ: no one layer stands for all
    assert sum(g["layers"] * g["params_per_layer"] for g in groups.values()) + sum(
        v for k, v in data["by_component"].items()
        if k in ("embedding", "final_norm", "lm_head")) == data["total"]
    gemma = json_out(capsys, "params", "gemma-3-4b")
    assert gemma["text_model_of"] == "gemma3"


def test_memory_by_layer_type_mistral_window(capsys: pytest.CaptureFixture[str]) -> None:
    data = json_out(capsys, "memory", "mistral-7b", "--context", "32768")
    # 32 layers · 2 (K, V) · 8 heads · 128 · 4,096 tokens (the window) · 2 bytes
    assert data["kv_cache"] == 32 * 2 * 8 * 128 * 4096 * 2 == 536_870_912
    [sliding] = data["kv_cache_by_layer_type"]
    assert (sliding["kind"], sliding["cached_tokens"]) == ("sliding", 4096)


def test_memory_of_a_hybrid_counts_a_fixed_state(capsys: pytest.CaptureFixture[str]) -> None:
    short = json_out(capsys, "memory", "qwen3-next-80b-a3b", "--context", "1024")
    long = json_out(capsys, "memory", "qwen3-next-80b-a3b", "--context", "65536")
    state = {p["kind"]: p for p in short["kv_cache_by_layer_type"]}["linear_moe"]
    assert state["cached_tokens"] is None
    assert state == {p["kind"]: p for p in long["kv_cache_by_layer_type"]}["linear_moe"]


def test_mla_decode_both_forms(capsys: pytest.CaptureFixture[str]) -> None:
    expanded = json_out(capsys, "flops", "deepseek-v3", "--context", "4096")
    absorbed = json_out(capsys, "flops", "deepseek-v3", "--context", "4096", "--absorbed")
    assert expanded["mla"]["expanded"] == expanded["total"]
    assert absorbed["mla"]["absorbed"] == absorbed["total"]
    assert 55 < expanded["total"] / absorbed["total"] < 65  # "a factor of about 60"
    # Expanded: kv_b re-expands all 4,096 cached latents in each of the 61 layers:
    # 2 · 4096 · 512 · 128 heads · (128 + 128)
    assert expanded["by_op"]["kv_b"] == 61 * 2 * 4096 * 512 * 128 * 256


def test_windowed_prefill_causal_pairs(capsys: pytest.CaptureFixture[str]) -> None:
    full = json_out(capsys, "flops", "mistral-7b", "--prefill", "8192")
    causal = json_out(capsys, "flops", "mistral-7b", "--prefill", "8192", "--causal")
    # Causal in a window of 4,096: positions 1..4096 see p keys, the rest 4,096 each.
    pairs = 4096 * 4097 // 2 + (8192 - 4096) * 4096
    per_pair = 32 * 32 * 4 * 128  # layers · heads · (scores + A·V) · 2·H/2
    assert full["total"] - causal["total"] == (8192 * 8192 - pairs) * per_pair


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ai_workloads", *args], capture_output=True,
                          text=True, check=False)


BASE = {"model_type": "deepseek_v3", "hidden_size": 256, "num_hidden_layers": 4,
        "num_attention_heads": 4, "intermediate_size": 512, "vocab_size": 1000,
        "kv_lora_rank": 64, "qk_rope_head_dim": 16, "qk_nope_head_dim": 32, "v_head_dim": 32,
        "q_lora_rank": None, "n_routed_experts": 8, "num_experts_per_tok": 2,
        "moe_intermediate_size": 128, "n_shared_experts": 1, "first_k_dense_replace": 1}


@pytest.mark.parametrize(("change", "message"), [
    ({"qk_rope_head_dim": None}, "kv_lora_rank is given but qk_rope_head_dim is missing"),
    ({"num_experts_per_tok": 9}, "experts per token (9) exceeds the number of experts (8)"),
    ({"model_type": "gemma2", "head_dim": 64, "layer_types": ["sliding_attention"] * 3,
      "sliding_window": 128}, "layer_types has 3 entries but num_hidden_layers is 4"),
    ({"model_type": "gemma2", "head_dim": 64, "layer_types": ["local_sliding"] * 4},
     "unknown layer type 'local_sliding'"),
    ({"model_type": "llama4_text", "num_local_experts": 4, "attention_chunk_size": None},
     "missing key 'attention_chunk_size'"),
    ({"model_type": "qwen3_next", "num_experts": 4, "linear_num_key_heads": 3,
      "linear_num_value_heads": 4, "linear_key_head_dim": 8, "linear_value_head_dim": 8,
      "linear_conv_kernel_dim": 4}, "must be divisible by linear_num_key_heads"),
    ({"q_lora_rank": 0}, "q_lora_rank must be a positive integer or null"),
])
def test_bad_modern_config_one_line_exit_2(tmp_path: Path, change: dict[str, Any],
                                           message: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**BASE, **change}))
    result = _run("params", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_unknown_family_names_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**BASE, "model_type": "rwkv"}))
    result = _run("params", str(path))
    assert result.returncode == 2
    assert "unsupported model_type 'rwkv'" in result.stderr
    assert "deepseek_v3" in result.stderr
    assert "gemma3" in result.stderr
