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
    (["memory", "gpt2", "--context", "8", "--dtype", "fp12"], "unknown dtype"),
    (["roofline", "gpt2", "--hardware", "h300"], "unknown hardware"),
    (["roofline", "gemma-2b", "--hardware", "tpu-v4", "--dtype", "fp16"], "no fp16 peak"),
    (["flops", "bert-base", "--context", "8"], "encoder"),
    (["flops", "gpt2"], "required"),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_input_one_line_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    files = {"missing": tmp_path / "nope.json", "badjson": tmp_path / "bad.json",
             "t5": tmp_path / "t5.json", "nokey": tmp_path / "nokey.json",
             "nk": tmp_path / "nk.json"}
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
