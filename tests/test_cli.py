"""The command line: outputs, JSON contract, and one-line errors with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ai_workloads.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ai_workloads", *args], capture_output=True,
                          text=True, check=False)


def json_out(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict)
    return data


def test_params_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = json_out(capsys, "params", "mixtral-8x7b")
    assert data["total"] == 46_702_792_704
    assert data["active"] == 12_879_925_248


def test_params_from_config_file(capsys: pytest.CaptureFixture[str],
                                 write_config: Callable[[str], Path]) -> None:
    path = write_config("llama-2-70b")
    assert json_out(capsys, "params", str(path))["total"] == 68_976_648_192
    assert json_out(capsys, "params", str(path.parent))["total"] == 68_976_648_192


def test_flops_decode_and_prefill(capsys: pytest.CaptureFixture[str]) -> None:
    decode = json_out(capsys, "flops", "llama-2-7b", "--context", "4096")
    # 2 · matmul weights + 4 L N H S, by hand: 2·6,607,077,376 + 4·32·32·128·4096
    assert decode["total"] == 2 * 6_607_077_376 + 4 * 32 * 32 * 128 * 4096
    full = json_out(capsys, "flops", "gpt2", "--prefill", "100")
    causal = json_out(capsys, "flops", "gpt2", "--prefill", "100", "--causal")
    assert full["total"] - causal["total"] == 12 * 4 * 768 * (100 * 100 - 100 * 101 // 2)


def test_memory_and_roofline(capsys: pytest.CaptureFixture[str]) -> None:
    mem = json_out(capsys, "memory", "llama-2-70b", "--context", "32768", "--batch", "1")
    assert mem["kv_cache"] == 10_737_418_240
    roof = json_out(capsys, "roofline", "llama-2-70b", "--hardware", "h100-sxm",
                    "--devices", "2", "--batch", "1", "64")
    steps = roof["steps"]
    assert isinstance(steps, list)
    assert [s["batch"] for s in steps] == [1, 64]


def test_custom_hardware_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    chip = tmp_path / "chip.json"
    chip.write_text(json.dumps({"name": "design-x", "peak_tflops": {"bf16": 1000},
                                "bandwidth_gb_s": 10000,
                                "capacity": {"value": 256, "unit": "GB"}}))
    roof = json_out(capsys, "roofline", "llama-2-70b", "--hardware", str(chip))
    assert roof["ridge_point"] == pytest.approx(100.0)


def test_tables_are_printed(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["models"], ["hardware"], ["params", "gpt2"], ["errata"],
                 ["flops", "gpt2", "--context", "10"]):
        assert main(args) == 0
        assert capsys.readouterr().out.strip()


BAD = [
    (["params", "{missing}"], "no such file"),
    (["params", "{badjson}"], "not valid JSON"),
    (["params", "{t5}"], "unsupported model_type 't5'"),
    (["params", "{nokey}"], "missing key 'num_attention_heads'"),
    (["params", "{nk}"], "divisible"),
    (["params", "llama-9"], "unknown model"),
    (["flops", "gpt2", "--context", "0"], "positive integer"),
    (["flops", "gpt2", "--context", "2.5"], "positive integer"),
    (["flops", "gpt2", "--context", "-3"], "positive integer"),
    (["memory", "gpt2", "--context", "8", "--dtype", "fp12"], "unknown format 'fp12'"),
    (["memory", "gpt2", "--context", "8", "--dtype", "int4-g0"], "unknown format 'int4-g0'"),
    (["memory", "gpt2", "--context", "8", "--kv-dtype", "int4"],
     "unknown KV-cache format 'int4'"),
    (["roofline", "gpt2", "--hardware", "h100-sxm", "--compute-dtype", "nvfp4"],
     "unknown compute format 'nvfp4'"),
    (["params", "{awq3}"], "AWQ checkpoints are read for 4-bit GEMM layout"),
    (["params", "{bnb}"], "quant_method 'bitsandbytes' is not supported"),
    (["roofline", "gpt2", "--hardware", "h300"], "unknown hardware"),
    (["roofline", "gemma-2b", "--hardware", "tpu-v4", "--dtype", "fp16"], "no fp16 peak"),
    (["flops", "bert-base", "--context", "8"], "encoder"),
    (["flops", "gpt2"], "required"),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_input_one_line_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    files = {"missing": tmp_path / "nope.json", "badjson": tmp_path / "bad.json",
             "t5": tmp_path / "t5.json", "nokey": tmp_path / "nokey.json",
             "nk": tmp_path / "nk.json", "awq3": tmp_path / "awq3.json",
             "bnb": tmp_path / "bnb.json"}
    small = {"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100}
    files["awq3"].write_text(json.dumps({**small, "quantization_config": {
        "quant_method": "awq", "bits": 3, "group_size": 32}}))
    files["bnb"].write_text(json.dumps({**small, "quantization_config": {
        "quant_method": "bitsandbytes", "load_in_4bit": True}}))
    files["badjson"].write_text("{bad")
    files["t5"].write_text('{"model_type": "t5"}')
    files["nokey"].write_text('{"model_type": "llama", "hidden_size": 64}')
    files["nk"].write_text(json.dumps({
        "model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 3, "intermediate_size": 128,
        "vocab_size": 100}))
    argv = [a.format(**{k: str(v) for k, v in files.items()}) for a in args]
    result = run(*argv)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr


# ----------------------------------------------------------------------------- formats

FP8_BLOCK = {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
             "weight_block_size": [128, 128]}


def test_a_checkpoint_quantization_config_is_the_default(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Llama 3 8B with fp8 weights in 128×128 blocks: 7 matrices a layer, in fp8, each with
    # ceil(out/128)·ceil(in/128) fp32 scales; embeddings, LM head and norms in bf16.
    raw = {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32,
           "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
           "vocab_size": 128256, "torch_dtype": "bfloat16", "quantization_config": FP8_BLOCK}
    (tmp_path / "config.json").write_text(json.dumps(raw))
    matrices = [(4096, 4096), (1024, 4096), (1024, 4096), (4096, 4096), (14336, 4096),
                (14336, 4096), (4096, 14336)]
    layer = sum(o * i + 4 * (o // 128) * (i // 128) for o, i in matrices)
    expected = 32 * layer + 2 * (2 * 128256 * 4096 + 65 * 4096)
    mem = json_out(capsys, "memory", str(tmp_path), "--context", "1024")
    assert mem["weights"] == expected
    assert mem["dtype"] == "checkpoint"
    assert mem["weights_format"] == "fp8 block 128×128"
    assert mem["kv_dtype"] == "bf16"
    assert main(["memory", str(tmp_path), "--context", "1024"]) == 0
    assert "weights: as the checkpoint stores them (fp8 block 128×128)" in capsys.readouterr().out
    # --dtype overrides the checkpoint
    assert json_out(capsys, "memory", str(tmp_path), "--context", "1024",
                    "--dtype", "bf16")["weights"] == 2 * 8_030_261_248


def test_fp8_weights_compute_in_fp8_where_the_chip_can(
        capsys: pytest.CaptureFixture[str]) -> None:
    h100 = json_out(capsys, "roofline", "llama-2-7b", "--hardware", "h100-sxm",
                    "--dtype", "fp8", "--batch", "1")
    a100 = json_out(capsys, "roofline", "llama-2-7b", "--hardware", "a100-sxm-80gb",
                    "--dtype", "fp8", "--batch", "1")
    forced = json_out(capsys, "roofline", "llama-2-7b", "--hardware", "h100-sxm",
                      "--dtype", "fp8", "--batch", "1", "--compute-dtype", "bf16")
    # NVIDIA's sheets: H100 SXM 1,978.9 dense fp8 TFLOP/s over 3.35 TB/s; A100 has no fp8
    # tensor cores, so its 312 TFLOP/s bf16 over 2,039 GB/s.
    assert (h100["compute_dtype"], a100["compute_dtype"], forced["compute_dtype"]) == (
        "fp8", "bf16", "bf16")
    assert h100["ridge_point"] == pytest.approx(1978.9e12 / 3.35e12)
    assert a100["ridge_point"] == pytest.approx(312e12 / 2039e9)
    assert h100["kv_dtype"] == "bf16"        # the cache stays in the unquantized format


@pytest.mark.parametrize(("dtype", "weights"), [
    ("int4", 3_889_307_648),     # int4 values + fp16 scales and 4-bit zeros per 128 + bf16 rest
    ("fp16", 13_476_831_232),    # 2 bytes · 6,738,415,616
])
def test_weight_formats_by_name(capsys: pytest.CaptureFixture[str], dtype: str,
                                weights: int) -> None:
    mem = json_out(capsys, "memory", "llama-2-7b", "--context", "16", "--dtype", dtype,
                   "--kv-dtype", "fp8")
    assert mem["weights"] == weights
    # fp8 cache: 2 · 32 · 4096 values a token, one byte each, and 2 · 32 fp32 scales
    assert mem["kv_cache"] == 2 * 32 * 4096 * 16 + 2 * 32 * 4

