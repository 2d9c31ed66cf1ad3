"""The calculator's answer: each quantity the page shows, as the command line prints it.

:func:`answer` reads a question (:mod:`ai_workloads.calculator.query`), asks the same
functions the command line's ``params``, ``memory`` and ``roofline`` commands ask
(:mod:`ai_workloads.present.answers`), and returns what the page writes: for each quantity
its ``value`` (the JSON the command line prints for it, to the byte) and its ``text`` for
the reader, notes on formats and memory, the roofline drawn as SVG, and the canonical query
for the URL. A bad question gives ``{"error": "<one line>"}`` and nothing else.

>>> out = answer({"model": "llama-2-70b", "hardware": "h100-sxm", "devices": "2",
...               "context": "2048"})
>>> out["quantities"]["params_total"]["value"], out["quantities"]["bound"]["value"]
('68976648192', '"memory"')
>>> answer({"model": "llama-9"})["error"]
"unknown model 'llama-9'; ..."
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..core.errors import WorkloadError
from ..present.answers import formats, memory_answer, params_answer, roofline_answer
from ..present.format import gigabytes, short_count
from ..present.tables import bytes_cell
from .chart import roofline_svg, sweep_batches
from .query import Question, read_question

#: Each quantity the page shows: (name, where in the command line's JSON it is, label).
#: ``params`` is ``params --json``; ``memory`` is ``memory --json``; ``step`` is the first
#: entry of ``steps`` and ``roofline`` the top level of ``roofline --json`` for the batch.
QUANTITIES: tuple[tuple[str, str, str, str], ...] = (
    ("params_total", "params", "total", "Parameters"),
    ("params_active", "params", "active", "Active per token"),
    ("weights", "memory", "weights", "Weights"),
    ("kv_cache", "memory", "kv_cache", "KV cache"),
    ("activations", "memory", "activations", "Activations (estimate)"),
    ("fits", "step", "fits", "Fits in memory"),
    ("time_s", "step", "time_s", "Decode step, lower bound"),
    ("bound", "step", "bound", "Bound by"),
    ("tokens_per_s_per_sequence", "step", "tokens_per_s_per_sequence",
     "Tokens/s per sequence"),
    ("tokens_per_s", "step", "tokens_per_s", "Tokens/s in total"),
    ("max_batch", "roofline", "max_batch", "Largest batch that fits"),
)


def _text(name: str, value: Any) -> str:
    """What the reader sees of one quantity."""
    if name in ("params_total", "params_active"):
        return f"{value:,} ({short_count(value)})"
    if name in ("weights", "kv_cache", "activations"):
        return bytes_cell(value)
    if name == "fits":
        return "yes" if value else "no"
    if name == "time_s":
        return f"{value * 1e3:,.3f} ms"
    if name.startswith("tokens_per_s"):
        return f"{value:,.1f}"
    if name == "bound":
        return f"{value} bandwidth" if value == "memory" else f"{value} peak"
    return f"{value:,}"


def answers(q: Question) -> dict[str, dict[str, Any]]:
    """The command line's three JSON objects for question ``q``: ``params``, ``memory``
    (with the chip) and ``roofline`` (at the question's batch), and ``step`` (its step).

    >>> got = answers(read_question({"model": "llama-2-70b", "devices": "2",
    ...                              "context": "2048"}))
    >>> got["roofline"]["max_batch"], got["step"]["bound"]
    (49, 'memory')
    """
    roofline = roofline_answer(q.model, q.chip, q.context, (q.batch,), q.dtype, q.kv_dtype,
                               devices=q.devices)
    return {"params": params_answer(q.model),
            "memory": memory_answer(q.model, q.context, q.batch, q.dtype, q.kv_dtype, q.chip),
            "roofline": roofline, "step": roofline["steps"][0]}


def _notes(q: Question, got: Mapping[str, dict[str, Any]]) -> list[str]:
    roofline = got["roofline"]
    notes = list(formats(q.model, q.dtype, q.kv_dtype)[2])
    notes.append(f"Weights {roofline['weights_format']}, KV cache {roofline['kv_dtype']}, "
                 f"compute in {roofline['compute_dtype']}.")
    each = f"{q.devices} × " if q.devices > 1 else ""
    notes.append(f"Memory counted: {each}{gigabytes(q.chip.fit_bytes, 2)}, the "
                 f"{q.chip.fit_basis} capacity of one {q.chip.name}.")
    if q.devices > 1:
        notes.append("The devices share weights, cache and work evenly (ideal tensor "
                     "parallelism).")
    if q.model.latent is not None:
        notes.append("Latent attention (MLA) is counted as transformers runs it, expanded; "
                     "the weight-absorbed form serving engines run needs fewer FLOPs.")
    if q.model.text_of:
        notes.append(f"The text model of this {q.model.text_of} config.")
    return notes


def answer(given: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the page writes for the form's fields or a URL's query ``given``."""
    try:
        q = read_question(given)
        got = answers(q)
        sweep = roofline_answer(q.model, q.chip, q.context,
                                sweep_batches(q.batch, got["roofline"]["max_batch"]),
                                q.dtype, q.kv_dtype, devices=q.devices)
    except WorkloadError as err:
        return {"error": str(err)}
    quantities = {}
    for name, source, key, label in QUANTITIES:
        value = got[source][key]
        quantities[name] = {"value": json.dumps(value), "text": _text(name, value),
                            "label": label}
    return {"quantities": quantities, "notes": _notes(q, got), "query": q.query(),
            "fields": q.fields, "model": q.model.name, "hardware": q.chip.name,
            "chart": roofline_svg(q.chip, got["roofline"], sweep, q.devices)}


def answer_json(given_json: str) -> str:
    """:func:`answer` from and to JSON text (what the page's script calls).

    >>> json.loads(answer_json('{"model": "gpt2", "batch": "0"}'))
    {'error': "batch: expected a positive integer, got '0'"}
    """
    given = json.loads(given_json)
    if not isinstance(given, dict):
        return json.dumps({"error": "the calculator's fields must be a JSON object"})
    return json.dumps(answer(given))
