"""The calculator's answer against the command line's JSON, to the byte.

Each quantity's ``value`` must be the JSON text of the same key in what the command line
prints with ``--json`` for the same inputs (``params``, ``memory``, and the first step and
``max_batch`` of ``roofline``), so a reader can check the page against the tool. The cases
are a fixed random draw over the catalog's decoder models and chips, sizes and formats; a
pasted config and a typed chip go to the command line as files. A few values are derived
by hand: Meta's published count of Llama 2 7B, and Mistral 7B's cache under its 4,096-token
sliding window.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
from pathlib import Path
from typing import Any

import pytest

from ai_workloads.calculator import QUANTITIES, answer, answer_json
from ai_workloads.calculator.form import model_choices
from ai_workloads.calculator.query import chip_file
from ai_workloads.catalog import accelerator_names, model_entry
from ai_workloads.cli import PROG, main
from ai_workloads.core.formats import KV_FORMATS

#: Weight formats drawn: the default (empty), plain, fp8, integer and 4-bit float formats.
WEIGHTS = ("", "bf16", "fp16", "fp8", "fp8-b128", "int8", "int4", "int4-g64", "nvfp4", "mxfp4")
#: How many random cases, and the seed that fixes them.
CASES, SEED = 40, 20240611


def draw_cases() -> list[dict[str, str]]:
    rng = random.Random(SEED)
    models = [name for name, _ in model_choices()]
    chips = accelerator_names()
    cases = []
    for _ in range(CASES):
        model = rng.choice(models)
        quantized = model_entry(model).config.quantization is not None
        # "checkpoint" (as stored) means something only for a quantized checkpoint.
        weights = (*WEIGHTS, "checkpoint") if quantized else WEIGHTS
        cases.append({"model": model, "hardware": rng.choice(chips),
                      "devices": str(rng.randint(1, 8)), "batch": str(rng.randint(1, 512)),
                      "context": str(rng.randint(1, 131072)), "dtype": rng.choice(weights),
                      "kv_dtype": rng.choice(("", *KV_FORMATS))})
    return cases


#: Fixed cases beside the draw: quantized checkpoints as stored, one chip of each vendor.
FIXED = [
    {"model": "deepseek-v3", "hardware": "b200", "devices": "8", "batch": "64",
     "context": "32768", "dtype": "checkpoint", "kv_dtype": ""},
    {"model": "gpt-oss-120b", "hardware": "mi355x", "devices": "1", "batch": "16",
     "context": "131072", "dtype": "", "kv_dtype": "fp8"},
    {"model": "llama-2-70b", "hardware": "tpu-v5p", "devices": "2", "batch": "1",
     "context": "2048", "dtype": "", "kv_dtype": ""},
    {"model": "qwen3-next-80b-a3b", "hardware": "gaudi3", "devices": "3", "batch": "100",
     "context": "65536", "dtype": "nvfp4", "kv_dtype": "fp8-e5m2"},
]


def cli_json(*args: str) -> tuple[Any, str]:
    """What ``ai-workloads ARGS --json`` prints: (its JSON, or None; its error, or "")."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([*args, "--json"])
    if status:
        assert status == 2
        assert out.getvalue() == ""
        line = err.getvalue().rstrip("\n")
        assert "\n" not in line
        assert line.startswith(f"{PROG}: error: ")
        return None, line.removeprefix(f"{PROG}: error: ")
    return json.loads(out.getvalue()), ""


def command_line(fields: dict[str, str], model: str, hardware: str) -> dict[str, Any]:
    """The three commands' JSON for ``fields`` (``model``, ``hardware``: names or paths),
    keyed as :data:`QUANTITIES` names its sources; or ``{"error": <first error>}``."""
    formats = [*(["--dtype", fields["dtype"]] if fields.get("dtype") else []),
               *(["--kv-dtype", fields["kv_dtype"]] if fields.get("kv_dtype") else [])]
    context, batch = fields.get("context", "4096"), fields.get("batch", "1")
    runs = [cli_json("params", model),
            cli_json("memory", model, "--context", context, "--batch", batch, *formats,
                     "--hardware", hardware),
            cli_json("roofline", model, "--hardware", hardware, "--context", context,
                     "--batch", batch, "--devices", fields.get("devices", "1"), *formats)]
    for data, error in runs:
        if data is None:
            return {"error": error}
    params, memory, roofline = (data for data, _ in runs)
    return {"params": params, "memory": memory, "roofline": roofline,
            "step": roofline["steps"][0]}


def check_against(got: dict[str, Any], expected: dict[str, Any]) -> None:
    if "error" in expected:
        # The sizes and format names here are all valid, so the command line's argument
        # parser accepts them and any refusal is the package's own error (a chip without
        # the drawn compute format's peak, say): the same text, without the argument
        # prefix argparse would add to its own errors.
        assert got == {"error": expected["error"]}
        return
    assert "error" not in got, got.get("error")
    assert set(got["quantities"]) == {name for name, *_ in QUANTITIES}
    for name, source, key, _ in QUANTITIES:
        assert got["quantities"][name]["value"] == json.dumps(expected[source][key]), name


@pytest.mark.parametrize("fields", draw_cases() + FIXED,
                         ids=lambda f: "-".join(v or "default" for v in f.values()))
def test_each_value_is_the_command_lines_json(fields: dict[str, str]) -> None:
    check_against(answer(fields), command_line(fields, fields["model"], fields["hardware"]))


def test_the_draw_covers_errors_and_formats() -> None:
    # The draw is fixed; this says what it exercises, so a changed seed keeps the coverage.
    cases = draw_cases()
    assert len({c["model"] for c in cases}) >= 20
    assert len({c["hardware"] for c in cases}) >= 12
    assert {"int4", "nvfp4", "fp8", "bf16"} <= {c["dtype"] for c in cases}
    assert set(KV_FORMATS) <= {c["kv_dtype"] for c in cases}
    refused = [c for c in cases + FIXED if "error" in answer(c)]
    assert 1 <= len(refused) < len(cases) // 4


FP8_BLOCK_LLAMA = {
    "model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32,
    "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
    "vocab_size": 128256, "torch_dtype": "bfloat16",
    "quantization_config": {"quant_method": "fp8", "fmt": "e4m3",
                            "activation_scheme": "dynamic", "weight_block_size": [128, 128]}}


@pytest.mark.parametrize(("raw", "extra"), [
    (model_entry("mistral-7b").hf_config, {"batch": "4", "context": "20000"}),
    (FP8_BLOCK_LLAMA, {"hardware": "h200", "devices": "2", "batch": "33", "kv_dtype": "fp8"}),
    (FP8_BLOCK_LLAMA, {"hardware": "a100-sxm-80gb", "dtype": "int4"}),
], ids=["mistral-7b", "fp8-block-checkpoint", "fp8-block-as-int4"])
def test_a_pasted_config_is_the_command_lines_config_file(
        raw: dict[str, Any], extra: dict[str, str], tmp_path: Path) -> None:
    text = json.dumps(raw, indent=2)
    (tmp_path / "config.json").write_text(text)
    fields = {"model": "", "config": text, "hardware": "h100-sxm", **extra}
    check_against(answer(fields),
                  command_line(fields, str(tmp_path / "config.json"), fields["hardware"]))


TYPED = {"hardware": "custom", "chip_name": "design-x", "chip_bf16": "1500.5",
         "chip_fp8": "3001", "chip_fp4": "", "chip_bandwidth": "7200",
         "chip_capacity": "160"}


@pytest.mark.parametrize("extra", [
    {"model": "llama-3-70b", "devices": "4", "batch": "128", "context": "8192"},
    {"model": "qwen3-30b-a3b", "dtype": "fp8", "batch": "256"},
    {"model": "gemma-2-9b", "dtype": "nvfp4", "context": "100000"},   # no fp4 peak: fp8
], ids=["dense", "moe-fp8", "nvfp4-without-fp4-peak"])
def test_a_typed_chip_is_the_command_lines_hardware_file(
        extra: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "chip.json"
    path.write_text(json.dumps(chip_file(TYPED)))
    fields = {**TYPED, **extra}
    check_against(answer(fields), command_line(fields, fields["model"], str(path)))


def test_a_link_chip_is_the_command_lines_hardware_file(tmp_path: Path) -> None:
    # A hardware file with more than the form shows: decimal GB, a usable capacity.
    raw = {"name": "link-chip", "peak_flops": {"bf16": 8.5e14, "fp8": 1.7e15},
           "bandwidth": 4.1e12, "capacity": {"value": 192, "unit": "GB"},
           "usable": {"value": 170, "unit": "GiB"}}
    path = tmp_path / "chip.json"
    path.write_text(json.dumps(raw))
    fields = {"model": "llama-3.1-405b", "chip": json.dumps(raw), "devices": "8",
              "batch": "12", "context": "16384", "dtype": "fp8"}
    check_against(answer(fields), command_line(fields, fields["model"], str(path)))


# ----------------------------------------------------------------------------- by hand


def test_llama_2_7b_is_metas_published_count() -> None:
    quantities = answer({"model": "llama-2-7b"})["quantities"]
    assert quantities["params_total"]["value"] == "6738415616"  # Meta's model card
    assert quantities["params_active"]["value"] == "6738415616"  # dense
    assert quantities["params_total"]["text"] == "6,738,415,616 (6.74B)"


def test_mistral_7b_cache_is_capped_by_its_sliding_window() -> None:
    # K and V, 32 layers, 8 KV heads of 128, bf16: the cache holds the last 4,096 tokens
    # of a 32,768-token context.
    got = answer({"model": "mistral-7b", "context": "32768"})["quantities"]["kv_cache"]
    assert got["value"] == str(2 * 32 * 8 * 128 * 4096 * 2)
    bigger = answer({"model": "mistral-7b", "context": "65536"})["quantities"]["kv_cache"]
    assert bigger["value"] == got["value"]


@pytest.mark.parametrize("fields", [
    {"batch": "0"}, {"model": "llama-9"}, {"model": "", "config": "{bad"},
    {"hardware": "custom", "chip_bf16": "1"}, {"dtype": "fp12"}, {"kv_dtype": "int4"},
    {"model": "gemma-2b", "hardware": "tpu-v4", "dtype": "fp16"},
])
def test_a_bad_question_gives_only_its_error(fields: dict[str, str]) -> None:
    got = answer(fields)
    assert list(got) == ["error"]
    assert isinstance(got["error"], str)
    assert got["error"]
    assert "\n" not in got["error"]


def test_an_encoder_is_refused_in_one_line() -> None:
    got = answer({"model": "bert-base"})
    _, cli_error = cli_json("roofline", "bert-base", "--hardware", "h100-sxm")
    assert got == {"error": "bert-base is an encoder: it has no decode step; use prefill "
                            "instead"}
    assert got["error"] == cli_error


@pytest.mark.parametrize("fields", [
    {"model": "mixtral-8x7b", "hardware": "h200", "devices": "2", "batch": "17"},
    {"batch": "-3"},
])
def test_answer_json_is_answer_through_json(fields: dict[str, str]) -> None:
    text = answer_json(json.dumps(fields))
    assert json.loads(text) == json.loads(json.dumps(answer(fields)))
    assert text == json.dumps(answer(fields))


def test_answer_json_wants_an_object() -> None:
    assert json.loads(answer_json("[1, 2]")) == {
        "error": "the calculator's fields must be a JSON object"}


def test_an_answer_carries_the_link_and_the_form() -> None:
    got = answer({"model": "llama-2-70b", "hardware": "h100-sxm", "devices": "2"})
    assert got["query"] == {"model": "llama-2-70b", "hardware": "h100-sxm", "devices": "2",
                            "batch": "1", "context": "4096"}
    assert (got["model"], got["hardware"]) == ("llama-2-70b", "h100-sxm")
    assert got["fields"]["devices"] == "2"
    assert got["chart"].startswith("<svg")
    assert any("ideal tensor parallelism" in note for note in got["notes"])
