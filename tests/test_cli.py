"""The command line: outputs, JSON contract, and one-line errors with exit 2."""

from __future__ import annotations

import json
import re
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


# ----------------------------------------------------------------------------- hardware and
# JSON numbers

def _no_display_strings(value: object, where: str = "") -> None:
    """Numbers stay numbers: no string that reads as a number with separators or units."""
    if isinstance(value, dict):
        for key, item in value.items():
            _no_display_strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _no_display_strings(item, f"{where}[{i}]")
    elif isinstance(value, str):
        assert not re.fullmatch(r"[\d.,]+( ?(GB|GiB|TB/s|%))?", value), where


def test_hardware_json_is_numbers_in_si_units(capsys: pytest.CaptureFixture[str]) -> None:
    data = json_out(capsys, "hardware")
    chips = {c["name"]: c for c in data["hardware"]}
    assert len(chips) == 17
    h100 = chips["h100-sxm"]
    # Whitepaper dense bf16 989.4 TFLOP/s; 3.35 TB/s; five 16 GiB stacks; nvidia-smi 81,559 MiB;
    # NVLink 18 × 25 GB/s each way; 700 W.
    assert h100["peak_flops"]["bf16"] == pytest.approx(989.4e12, rel=1e-15)
    assert (h100["bandwidth"], h100["capacity_bytes"], h100["usable_bytes"]) == (
        3.35e12, 5 * 16 * 2**30, 81559 * 2**20)
    assert (h100["fit_bytes"], h100["fit_basis"]) == (81559 * 2**20, "usable")
    assert (h100["interconnect"], h100["power_w"]) == (900e9, 700)
    assert h100["source"].startswith("https://")
    tpu = chips["tpu-v4"]
    assert (tpu["usable_bytes"], tpu["interconnect"], tpu["power_w"]) == (None, None, None)
    assert tpu["fit_basis"] == "nominal"
    for chip in chips.values():
        for key in ("name", "display", "peak_flops", "bandwidth", "capacity_bytes",
                    "usable_bytes", "interconnect", "power_w", "source"):
            assert key in chip
        assert isinstance(chip["capacity_bytes"], int)
        assert all(isinstance(v, float) for v in chip["peak_flops"].values())
    assert "bidirectional" in data["units"]["interconnect"] or \
        "both directions" in data["units"]["interconnect"]
    _no_display_strings(data)


def test_hardware_json_reads_back_as_a_hardware_file(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    b200 = next(c for c in json_out(capsys, "hardware")["hardware"] if c["name"] == "b200")
    (tmp_path / "b200.json").write_text(json.dumps(b200))
    mine = json_out(capsys, "memory", "llama-2-70b", "--context", "4096", "--hardware",
                    str(tmp_path / "b200.json"))
    ours = json_out(capsys, "memory", "llama-2-70b", "--context", "4096", "--hardware", "b200")
    assert mine["max_batch_one_device"] == ours["max_batch_one_device"]


@pytest.mark.parametrize("fmt", ["fp4", "fp8", "bf16"])
def test_hardware_table_by_compute_format(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    assert main(["hardware", "--dtype", fmt]) == 0
    out = capsys.readouterr().out
    assert f"{fmt} TFLOP/s" in out
    if fmt == "fp4":   # HGX B300: 108 PFLOPS dense FP4 for eight GPUs
        assert f"{108_000 / 8:,.1f}" in out


def test_memory_json_says_which_capacity(capsys: pytest.CaptureFixture[str]) -> None:
    # Llama 2 70B at 4,096 tokens: weights 2 · 68,976,648,192 bytes, KV 2·80·8·128·2 bytes per
    # token. Two H100s of 81,559 MiB hold 24 sequences; one H200 of 141 GiB (no usable
    # figure cited), 10.
    per_seq = 2 * 80 * 8 * 128 * 2 * 4096
    weights = 2 * 68_976_648_192
    h100 = json_out(capsys, "memory", "llama-2-70b", "--context", "4096", "--hardware",
                    "h100-sxm")
    assert (h100["fit_basis"], h100["fit_bytes"]) == ("usable", 81559 * 2**20)
    assert h100["max_batch_one_device"] == 0
    roof = json_out(capsys, "roofline", "llama-2-70b", "--hardware", "h100-sxm", "--context",
                    "4096", "--devices", "2", "--batch", "24", "25")
    assert roof["max_batch"] == (2 * 81559 * 2**20 - weights) // per_seq == 24
    assert [s["fits"] for s in roof["steps"]] == [True, False]
    assert roof["fit_basis"] == "usable"
    h200 = json_out(capsys, "memory", "llama-2-70b", "--context", "4096", "--hardware", "h200")
    assert h200["max_batch_one_device"] == (141 * 2**30 - weights) // per_seq == 10
    assert h200["fit_basis"] == "nominal"
    for data in (h100, roof, h200):
        _no_display_strings(data)


def test_models_and_errata_json_are_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    models = {m["name"]: m for m in json_out(capsys, "models")["models"]}
    llama = models["llama-2-70b"]
    assert (llama["d_model"], llama["n_layers"], llama["n_heads"], llama["n_kv_heads"],
            llama["d_ff"], llama["vocab_size"]) == (8192, 80, 64, 8, 28672, 32000)
    assert llama["published_params"] == 68_976_648_192
    _no_display_strings(models)
    errata = {e["key"]: e for e in json_out(capsys, "errata")["errata"]}
    empty = errata["batch-plot-empty"]["values"]
    assert [q["value"] for q in empty["correct"]] == [0, 49]
    nvl = errata["h100-nvl"]["values"]["correct"]
    assert [(q["value"], q["unit"]) for q in nvl] == [(94, "GiB"), (3.938, "TB/s")]


@pytest.mark.parametrize(("chip", "message"), [
    ({"peak_tflops": {"bf16": 1}, "capacity": {"value": 8, "unit": "GiB"}},
     "missing bandwidth: give 'bandwidth_gb_s'"),
    ({"peak_tflops": {"bf16": -1}, "bandwidth_gb_s": 1, "capacity": {"value": 8, "unit": "GiB"}},
     "peak_tflops.bf16 must be a positive number, got -1"),
    ({"peak_tflops": {"fp5": 1}, "bandwidth_gb_s": 1, "capacity": {"value": 8, "unit": "GiB"}},
     "unknown compute format 'fp5'"),
    ({"peak_tflops": {"bf16": 1}, "bandwidth_gb_s": 1, "capacity": {"value": 8, "unit": "GiB"},
      "power_w": -700}, "power_w must be a positive number, got -700"),
    ({"peak_tflops": {"bf16": 1}, "bandwidth_gb_s": 1, "capacity": {"value": 8, "unit": "GiB"},
      "usable": {"value": 9, "unit": "GiB"}}, "exceeds the nominal"),
])
def test_bad_chip_file_one_line_exit_2(chip: dict[str, Any], message: str,
                                       tmp_path: Path) -> None:
    path = tmp_path / "chip.json"
    path.write_text(json.dumps({"name": "bad-chip", **chip}))
    result = run("roofline", "gpt2", "--hardware", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"ai-workloads: error: {path}: ")
    assert lines[0].count(str(path)) == 1, "the file is named once"
    assert message in lines[0]
    assert "Traceback" not in result.stderr
