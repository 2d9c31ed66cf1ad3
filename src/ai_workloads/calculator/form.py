"""The calculator page's HTML: the form with the catalog's choices, and empty results.

Written when the site builds, so the page paints at once with every choice in place (the
catalog's decoder models, its chips, the weight and KV formats) while Python loads. Each
result is an element with ``data-quantity`` (a name of
:data:`~ai_workloads.calculator.answer.QUANTITIES`) that the page's script fills with the
answer's text and its ``data-value``. Field names are the URL query's keys.

>>> html = form_html("_static/calculator/x.whl", "_static/pyodide/")
>>> html.count('data-quantity="'), 'name="kv_dtype"' in html
(11, True)
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from ..catalog import accelerator_names, get_accelerator, model_entry, model_names
from ..core.formats import KV_FORMATS, WEIGHT_FORMATS
from ..core.quantization import AS_STORED
from .answer import QUANTITIES
from .query import CHIP_FIELDS, CUSTOM, DEFAULTS, read_question


def _options(choices: Iterable[tuple[str, str]], selected: str = "") -> str:
    return "".join(f'<option value="{escape(value)}"'
                   + (" selected" if value == selected else "")
                   + f">{escape(label)}</option>" for value, label in choices)


def _field(name: str, label: str, control: str) -> str:
    return (f'<div class="calc-field"><label for="calc-{name}">{escape(label)}</label>'
            f"{control}</div>")


def _select(name: str, label: str, choices: Iterable[tuple[str, str]],
            selected: str = "") -> str:
    return _field(name, label, f'<select id="calc-{name}" name="{name}">'
                  f"{_options(choices, selected)}</select>")


def _number(name: str, label: str, value: str = "", mode: str = "numeric") -> str:
    # Text, not type="number": a browser empties a number field it cannot read, and the
    # reader must see the one-line error for what was typed, not a default.
    return _field(name, label, f'<input id="calc-{name}" name="{name}" type="text" '
                  f'inputmode="{mode}" autocomplete="off" value="{value}">')


def model_choices() -> list[tuple[str, str]]:
    """The catalog's decoder models (an encoder has no decode step), by display name.

    >>> model_choices()[0], "bert-base" in dict(model_choices())
    (('gpt2', 'GPT-2 (124M)'), False)
    """
    entries = [model_entry(name) for name in model_names()]
    return [(e.config.name, e.display) for e in entries if not e.config.encoder]


def form_html(wheel: str, runtime: str) -> str:
    """The calculator's HTML; ``wheel`` and ``runtime`` are the package's wheel and
    Pyodide's folder, relative to the page."""
    chips = [(name, get_accelerator(name).display) for name in accelerator_names()]
    weights = [("", "default: as a quantized checkpoint stores it, else bf16"),
               (AS_STORED, "as the checkpoint stores it"),
               *((name, name) for name in WEIGHT_FORMATS)]
    kv = [("", "default: the weights' unquantized format"),
          *((name, name) for name in KV_FORMATS)]
    custom = "".join(_number(name, label, mode="decimal") if name != "chip_name" else
                     _field(name, label, f'<input id="calc-{name}" name="{name}" '
                            'type="text" value="my-chip" autocomplete="off">')
                     for name, label in CHIP_FIELDS)
    results = "".join(f'<dt>{escape(label)}</dt><dd data-quantity="{name}">–</dd>'
                      for name, _, _, label in QUANTITIES)
    return f"""<div id="calc-app" class="calculator" data-wheel="{escape(wheel)}"
 data-runtime="{escape(runtime)}">
<form id="calc-form" class="calc-form" novalidate>
<fieldset><legend>Model</legend>
{_select("model", "Catalog model", [("", "my own config.json (below)"), *model_choices()],
         DEFAULTS["model"])}
<div class="calc-field calc-wide"><label for="calc-config">or paste a config.json here, or
drop the file on it</label><textarea id="calc-config" name="config" rows="4"
 spellcheck="false" autocomplete="off"
 placeholder='{{"model_type": "llama", "hidden_size": 4096, ...}}'></textarea></div>
<div class="calc-field calc-wide"><label for="calc-config-file">or choose the file</label>
<input id="calc-config-file" type="file" accept=".json,application/json"></div>
</fieldset>
<fieldset><legend>Chip</legend>
{_select("hardware", "Catalog chip", [*chips, (CUSTOM, "a chip of my own (below)")],
         DEFAULTS["hardware"])}
<div id="calc-chip" class="calc-chip" hidden>{custom}</div>
<input type="hidden" name="chip" value="">
</fieldset>
<fieldset><legend>Workload</legend>
{_number("devices", "Devices", DEFAULTS["devices"])}
{_number("batch", "Batch (sequences)", DEFAULTS["batch"])}
{_number("context", "Context (tokens)", DEFAULTS["context"])}
{_select("dtype", "Weights", weights)}
{_select("kv_dtype", "KV cache", kv)}
</fieldset>
<button type="submit" id="calc-go">Compute</button>
</form>
<div id="calc-status" class="calc-status" role="status" aria-live="polite">
<progress id="calc-progress" max="4" value="0" aria-label="Loading Python"></progress>
<span id="calc-status-text">The calculator runs Python in this page; it starts once the
page has loaded.</span></div>
<p id="calc-error" class="calc-error" role="alert" hidden></p>
<section class="calc-results" aria-label="Results"><h2 id="calc-title">Results</h2>
<dl>{results}</dl><ul id="calc-notes" class="calc-notes"></ul>
<figure id="calc-figure" class="calc-figure"><div id="calc-chart"></div>
<figcaption>The chip's roofline, per device, in the format the step computes in: below the
ridge a step is bound by memory bandwidth (shaded blue), beyond it by the compute peak
(shaded orange). The filled circle is this decode step; open circles are the same step at
other batches, up to the largest that fits.</figcaption></figure></section>
<p class="calc-link">Link to this view: <a id="calc-permalink" href="">this page</a></p>
</div>"""


def try_it(fields: dict[str, str], text: str, page: str = "../calculator.html") -> str:
    """A paragraph linking to the calculator opened on ``fields`` (checked first: a link
    to a question the calculator refuses fails here, when the site builds).

    >>> html = try_it({"model": "llama-2-70b", "hardware": "h100-sxm", "devices": "2"}, "Try")
    >>> html.split('"')[3]
    '../calculator.html?model=llama-2-70b&amp;hardware=h100-sxm&amp;devices=2&amp;batch=1&amp;...'
    """
    return (f'<p class="try-it"><a href="{escape(read_question(fields).link(page))}">'
            f"{escape(text)}</a></p>")
