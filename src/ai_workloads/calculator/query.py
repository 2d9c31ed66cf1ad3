"""What the reader asked: the calculator's form and its URL query, read into one question.

The form's fields and the URL's query share their names (catalog names, as the command line
takes them): ``model`` or ``config`` (the text of a ``config.json``), ``hardware`` or ``chip``
(the JSON of a hardware file, as ``--hardware FILE`` reads it), ``devices``, ``batch``,
``context``, ``dtype`` and ``kv_dtype``. A chip of the reader's own is typed into the form as
``chip_*`` fields (``hardware=custom``) and travels in the URL as ``chip``. Every mistake is
one line naming the field.

>>> q = read_question({"model": "llama-3-8b", "hardware": "h100-sxm", "batch": "8"})
>>> q.model.name, q.chip.name, q.batch, q.context, q.devices
('llama-3-8b', 'h100-sxm', 8, 4096, 1)
>>> q.query()["batch"]
'8'
>>> read_question({"model": "llama-3-8b", "batch": "0"})
Traceback (most recent call last):
...
ai_workloads.core.errors.WorkloadError: batch: expected a positive integer, got '0'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ..catalog import get_accelerator, get_model
from ..core.accelerator import Accelerator, accelerator_from_dict
from ..core.config import TransformerConfig, from_hf_dict, parse_json
from ..core.errors import WorkloadError, parse_positive_int

#: The URL query's keys, in the order a link writes them.
QUERY_KEYS = ("model", "config", "hardware", "chip", "devices", "batch", "context", "dtype",
              "kv_dtype")
#: What the calculator shows before the reader chooses.
DEFAULTS = {"model": "llama-3-8b", "hardware": "h100-sxm", "devices": "1", "batch": "1",
            "context": "4096"}
#: The ``hardware`` value of a chip typed into the form.
CUSTOM = "custom"
#: The form's fields for a chip of the reader's own: (field, what it holds). Peaks are dense
#: TFLOP/s per compute format, bandwidth GB/s, capacity GiB (HBM is binary), as in a file.
CHIP_FIELDS = (("chip_name", "name"), ("chip_bf16", "bf16 peak, TFLOP/s"),
               ("chip_fp8", "fp8 peak, TFLOP/s"), ("chip_fp4", "fp4 peak, TFLOP/s"),
               ("chip_bandwidth", "memory bandwidth, GB/s"),
               ("chip_capacity", "memory capacity, GiB"))
#: Where a pasted config and a typed chip are said to come from, in errors.
PASTED_CONFIG = "the pasted config.json"
TYPED_CHIP = "the chip"


@dataclass(frozen=True, slots=True)
class Question:
    """One calculator question, read and checked: the model, the chip and the workload."""

    model: TransformerConfig
    chip: Accelerator
    devices: int
    batch: int
    context: int
    dtype: str | None  # None: the command line's default (as stored if quantized, else bf16)
    kv_dtype: str | None
    fields: dict[str, str]  # what the form shows for it (the chip's fields filled in)

    def query(self) -> dict[str, str]:
        """The URL query that asks this question again (empty fields left out).

        >>> read_question({"model": "gpt2", "dtype": "int4"}).query()
        ... # doctest: +NORMALIZE_WHITESPACE
        {'model': 'gpt2', 'hardware': 'h100-sxm', 'devices': '1', 'batch': '1',
         'context': '4096', 'dtype': 'int4'}
        """
        query = {key: self.fields[key] for key in QUERY_KEYS if self.fields.get(key)}
        if self.fields.get("config"):
            query.pop("model", None)
        if self.fields.get("hardware") == CUSTOM:
            query.pop("hardware")
        return query

    def link(self, page: str = "calculator.html") -> str:
        """A link to ``page`` that opens the calculator on this question.

        >>> read_question({"model": "gpt2", "batch": "8"}).link()
        'calculator.html?model=gpt2&hardware=h100-sxm&devices=1&batch=8&context=4096'
        """
        return f"{page}?{urlencode(self.query())}"


def _text(fields: Mapping[str, Any], key: str) -> str:
    value = fields.get(key)
    return "" if value is None else str(value).strip()


def _positive(fields: Mapping[str, str], key: str) -> int:
    try:
        return parse_positive_int(fields[key])
    except WorkloadError as err:
        raise WorkloadError(f"{key}: {err}") from None


def _number(fields: Mapping[str, str], key: str, label: str) -> float | None:
    text = fields.get(key, "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise WorkloadError(f"{TYPED_CHIP}: {label} must be a number, got {text!r}") from None
    return int(value) if value.is_integer() else value


def chip_file(fields: Mapping[str, str]) -> dict[str, Any]:
    """The hardware file (as ``--hardware FILE`` reads it) that the form's chip fields say.

    >>> chip_file({"chip_name": "my-chip", "chip_bf16": "1200", "chip_fp8": "",
    ...            "chip_fp4": "", "chip_bandwidth": "6000", "chip_capacity": "128"})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'name': 'my-chip', 'peak_tflops': {'bf16': 1200}, 'bandwidth_gb_s': 6000,
     'capacity': {'value': 128, 'unit': 'GiB'}}
    """
    labels = dict(CHIP_FIELDS)
    peaks = {key.removeprefix("chip_"): value for key in ("chip_bf16", "chip_fp8", "chip_fp4")
             if (value := _number(fields, key, labels[key])) is not None}
    bandwidth = _number(fields, "chip_bandwidth", labels["chip_bandwidth"])
    capacity = _number(fields, "chip_capacity", labels["chip_capacity"])
    if not peaks or bandwidth is None or capacity is None:
        raise WorkloadError(f"{TYPED_CHIP}: give at least one peak, the bandwidth and the "
                            "capacity")
    return {"name": fields.get("chip_name") or "my-chip", "peak_tflops": peaks,
            "bandwidth_gb_s": bandwidth, "capacity": {"value": capacity, "unit": "GiB"}}


def _chip_fields(raw: Mapping[str, Any]) -> dict[str, str]:
    """The form's chip fields for a hardware file, where the form can show it."""
    peaks = raw.get("peak_tflops", {})
    capacity = raw.get("capacity", {})
    fields = {"chip_name": str(raw.get("name", ""))}
    for fmt in ("bf16", "fp8", "fp4"):
        fields[f"chip_{fmt}"] = str(peaks.get(fmt, "")) if isinstance(peaks, Mapping) else ""
    fields["chip_bandwidth"] = str(raw.get("bandwidth_gb_s", ""))
    shown = isinstance(capacity, Mapping) and capacity.get("unit") == "GiB"
    fields["chip_capacity"] = str(capacity.get("value", "")) if shown else ""
    return fields


def _model(fields: dict[str, str]) -> TransformerConfig:
    if fields.get("model"):
        return get_model(fields["model"])
    if not fields.get("config"):
        raise WorkloadError("choose a catalog model, or paste or drop a config.json")
    raw = parse_json(fields["config"], PASTED_CONFIG)
    return from_hf_dict(raw, name="pasted config", where=PASTED_CONFIG)


def _chip(fields: dict[str, str]) -> Accelerator:
    if fields.get("chip"):  # from a link: a hardware file's JSON
        raw = parse_json(fields["chip"], TYPED_CHIP)
        chip = accelerator_from_dict(raw, where=TYPED_CHIP)
        fields.update(_chip_fields(raw) if isinstance(raw, Mapping) else {})
        fields["hardware"] = CUSTOM
        return chip
    if fields.get("hardware") == CUSTOM:
        raw = chip_file(fields)
        fields["chip"] = json.dumps(raw, separators=(",", ":"))
        return accelerator_from_dict(raw, where=TYPED_CHIP)
    return get_accelerator(fields.get("hardware") or DEFAULTS["hardware"])


def read_question(given: Mapping[str, Any]) -> Question:
    """Read the form's fields or a URL's query. Keys it leaves out take :data:`DEFAULTS`; a
    size field given empty is a mistake (a reader emptied it), not a default."""
    fields = {key: _text(given, key) for key in (*QUERY_KEYS, *dict(CHIP_FIELDS))}
    if not fields["config"] and not fields["model"]:
        fields["model"] = DEFAULTS["model"]
    if not fields["hardware"] and not fields["chip"]:
        fields["hardware"] = DEFAULTS["hardware"]
    for key in ("devices", "batch", "context"):  # absent: the default; emptied: a mistake
        if key not in given:
            fields[key] = DEFAULTS[key]
    if fields["model"]:
        fields["config"] = ""  # a catalog model was chosen: a pasted config is not used
    if fields["hardware"] and fields["hardware"] != CUSTOM:
        fields["chip"] = ""
    model = _model(fields)
    chip = _chip(fields)
    devices, batch, context = (_positive(fields, key) for key in ("devices", "batch",
                                                                   "context"))
    return Question(model=model, chip=chip, devices=devices, batch=batch, context=context,
                    dtype=fields["dtype"] or None, kv_dtype=fields["kv_dtype"] or None,
                    fields=fields)
