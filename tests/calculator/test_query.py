"""Reading the calculator's form and a link's URL query into one question.

What is checked: the defaults; a chosen catalog model winning over a pasted config (and the
config read when no model is chosen); every mistake as one line naming the field; the
hardware file the chip fields describe; and that the query a question writes reads back as
the same question. Expected values are the catalog's (``get_model``, ``get_accelerator``,
a catalog entry's Hugging Face fields) and the documented rules of
:mod:`ai_workloads.calculator.query`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ai_workloads.calculator import QUERY_KEYS, Question, read_question
from ai_workloads.calculator.query import CHIP_FIELDS, CUSTOM, DEFAULTS, chip_file
from ai_workloads.catalog import get_accelerator, get_model, model_entry
from ai_workloads.core.accelerator import accelerator_from_dict
from ai_workloads.core.errors import WorkloadError

#: Llama 3 8B's config.json, as a reader would paste it.
LLAMA_3_8B = json.dumps(model_entry("llama-3-8b").hf_config)
#: A chip typed into the form: every field filled, a fractional bandwidth.
TYPED = {"hardware": CUSTOM, "chip_name": "design-x", "chip_bf16": "1200", "chip_fp8": "2400",
         "chip_fp4": "", "chip_bandwidth": "6500.5", "chip_capacity": "144"}


def error_of(fields: dict[str, Any]) -> str:
    with pytest.raises(WorkloadError) as info:
        read_question(fields)
    message = str(info.value)
    assert "\n" not in message, "one line"
    return message


# ----------------------------------------------------------------------------- defaults


def test_no_fields_is_the_default_question() -> None:
    q = read_question({})
    assert q.model == get_model(DEFAULTS["model"])
    assert q.chip == get_accelerator(DEFAULTS["hardware"])
    assert (q.devices, q.batch, q.context) == (1, 1, 4096)
    assert (q.dtype, q.kv_dtype) == (None, None)
    assert q.query() == {"model": "llama-3-8b", "hardware": "h100-sxm", "devices": "1",
                         "batch": "1", "context": "4096"}


def test_fields_are_stripped_and_formats_kept() -> None:
    q = read_question({"model": " gpt2 ", "batch": " 8 ", "dtype": "int4", "kv_dtype": "fp8",
                       "hardware": "b200", "devices": 4, "context": 128})
    assert q.model == get_model("gpt2")
    assert q.chip == get_accelerator("b200")
    assert (q.devices, q.batch, q.context, q.dtype, q.kv_dtype) == (4, 8, 128, "int4", "fp8")


def test_missing_keys_take_the_defaults_one_by_one() -> None:
    q = read_question({"model": "mistral-7b", "batch": "3"})
    assert (q.model.name, q.chip.name, q.devices, q.batch, q.context) == (
        "mistral-7b", "h100-sxm", 1, 3, 4096)


# ----------------------------------------------------------------------------- model or config


def test_a_chosen_model_wins_over_a_pasted_config() -> None:
    q = read_question({"model": "gpt2", "config": LLAMA_3_8B})
    assert q.model == get_model("gpt2")
    assert q.fields["config"] == ""          # not used, and not carried into the link
    assert "config" not in q.query()
    assert q.query()["model"] == "gpt2"


def test_the_config_is_read_when_no_model_is_chosen() -> None:
    q = read_question({"model": "", "config": LLAMA_3_8B})
    assert q.model.name == "pasted config"
    assert q.model.replace(name="llama-3-8b") == get_model("llama-3-8b")
    assert "model" not in q.query()
    assert q.query()["config"] == LLAMA_3_8B


# ----------------------------------------------------------------------------- one-line errors

BROKEN = "{bad"


@pytest.mark.parametrize(("fields", "message"), [
    ({"batch": "0"}, "batch: expected a positive integer, got '0'"),
    ({"batch": "x"}, "batch: expected a positive integer, got 'x'"),
    ({"batch": "2.5"}, "batch: expected a positive integer, got '2.5'"),
    ({"devices": "-1"}, "devices: expected a positive integer, got '-1'"),
    ({"context": "4k"}, "context: expected a positive integer, got '4k'"),
    ({"model": "", "config": BROKEN}, "the pasted config.json is not valid JSON: "),
    ({"model": "", "config": "[1, 2]"}, "the pasted config.json: a config must be a JSON object"),
    ({"model": "", "config": '{"model_type": "t5"}'},
     "the pasted config.json: unsupported model_type 't5'"),
    ({"model": "llama-9"}, "unknown model 'llama-9'"),
    ({"hardware": "h300"}, "unknown hardware 'h300'"),
    ({"hardware": CUSTOM, "chip_bf16": "100", "chip_capacity": "80"},
     "the chip: give at least one peak, the bandwidth and the capacity"),
    ({"hardware": CUSTOM}, "the chip: give at least one peak, the bandwidth and the capacity"),
    ({"hardware": CUSTOM, "chip_bf16": "lots", "chip_bandwidth": "1000",
      "chip_capacity": "80"}, "the chip: bf16 peak, TFLOP/s must be a number, got 'lots'"),
    ({"hardware": CUSTOM, "chip_bf16": "100", "chip_bandwidth": "fast",
      "chip_capacity": "80"}, "the chip: memory bandwidth, GB/s must be a number, got 'fast'"),
    ({"hardware": CUSTOM, "chip_bf16": "-5", "chip_bandwidth": "1000", "chip_capacity": "80"},
     "the chip: peak_tflops.bf16 must be a positive number, got -5"),
    ({"chip": BROKEN}, "the chip is not valid JSON: "),
    ({"chip": '{"name": "x", "peak_tflops": {"bf16": 1}, "capacity": '
              '{"value": 8, "unit": "GiB"}}'}, "the chip: missing bandwidth"),
])
def test_a_mistake_is_one_line_naming_the_field(fields: dict[str, Any], message: str) -> None:
    assert error_of(fields).startswith(message)


def test_an_emptied_size_field_is_a_mistake_and_a_missing_one_the_default() -> None:
    assert error_of({"model": "gpt2", "context": ""}) == (
        "context: expected a positive integer, got ''")
    assert error_of({"model": "gpt2", "batch": " "}).startswith("batch: ")
    assert read_question({"model": "gpt2"}).context == int(DEFAULTS["context"])


# ----------------------------------------------------------------------------- the chip


def test_chip_file_is_the_hardware_file_the_fields_say() -> None:
    assert chip_file(TYPED) == {"name": "design-x", "peak_tflops": {"bf16": 1200, "fp8": 2400},
                                "bandwidth_gb_s": 6500.5,
                                "capacity": {"value": 144, "unit": "GiB"}}
    # Whole numbers become ints (as a hand-written file has them); no name: "my-chip".
    raw = chip_file({"chip_fp4": "9000.0", "chip_bandwidth": "8000",
                     "chip_capacity": "180.5"})
    assert raw == {"name": "my-chip", "peak_tflops": {"fp4": 9000}, "bandwidth_gb_s": 8000,
                   "capacity": {"value": 180.5, "unit": "GiB"}}
    assert isinstance(raw["peak_tflops"]["fp4"], int)


def test_a_typed_chip_is_the_chip_its_file_describes() -> None:
    q = read_question(TYPED)
    assert q.chip == accelerator_from_dict(chip_file(TYPED), where="the chip")
    assert q.chip.bandwidth == pytest.approx(6500.5e9, rel=1e-15)
    assert q.chip.capacity_bytes == 144 * 2**30
    assert q.chip.peak("fp8") == pytest.approx(2400e12, rel=1e-15)
    # The link carries the chip as its file's JSON, not as the form's fields.
    query = q.query()
    assert "hardware" not in query
    assert json.loads(query["chip"]) == chip_file(TYPED)
    assert not any(key.startswith("chip_") for key in query)


def test_a_link_chip_fills_the_chip_fields() -> None:
    raw = {"name": "x1", "peak_tflops": {"bf16": 1000, "fp4": 4000.5}, "bandwidth_gb_s": 8000,
           "capacity": {"value": 192, "unit": "GiB"}}
    q = read_question({"model": "gpt2", "chip": json.dumps(raw)})
    assert q.fields["hardware"] == CUSTOM
    assert {key: q.fields[key] for key, _ in CHIP_FIELDS} == {
        "chip_name": "x1", "chip_bf16": "1000", "chip_fp8": "", "chip_fp4": "4000.5",
        "chip_bandwidth": "8000", "chip_capacity": "192"}
    assert q.chip == accelerator_from_dict(raw, where="the chip")


def test_a_link_chip_in_decimal_units_leaves_the_capacity_field_empty() -> None:
    # The form's capacity field is GiB; a file's 256 GB is not shown there as 256.
    raw = {"name": "y", "peak_tflops": {"bf16": 10}, "bandwidth_gb_s": 100,
           "capacity": {"value": 256, "unit": "GB"}}
    q = read_question({"chip": json.dumps(raw)})
    assert q.fields["chip_capacity"] == ""
    assert q.chip.capacity_bytes == 256 * 10**9


def test_a_catalog_chip_drops_a_link_chip() -> None:
    q = read_question({"hardware": "h200", "chip": '{"name": "ignored"}'})
    assert q.chip == get_accelerator("h200")
    assert q.fields["chip"] == ""
    assert "chip" not in q.query()


# ----------------------------------------------------------------------------- round trips


def same_question(a: Question, b: Question) -> None:
    assert (a.model, a.chip, a.devices, a.batch, a.context, a.dtype, a.kv_dtype) == (
        b.model, b.chip, b.devices, b.batch, b.context, b.dtype, b.kv_dtype)
    assert b.query() == a.query()


@pytest.mark.parametrize("fields", [
    {"model": "llama-2-70b", "hardware": "mi300x", "devices": "4", "batch": "32",
     "context": "8192", "dtype": "fp8", "kv_dtype": "fp8-e5m2"},
    {"model": "", "config": LLAMA_3_8B, "hardware": "b200", "batch": "7", "dtype": "int4"},
    {**TYPED, "model": "mixtral-8x7b", "devices": "2", "context": "32768", "kv_dtype": "fp16"},
], ids=["catalog", "pasted-config", "custom-chip"])
def test_the_query_asks_the_same_question_again(fields: dict[str, str]) -> None:
    q = read_question(fields)
    again = read_question(q.query())
    same_question(q, again)
    assert set(q.query()) <= set(QUERY_KEYS)
    assert q.link().startswith("calculator.html?")
