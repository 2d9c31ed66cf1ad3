"""The Errata page's list: the notes' quoted values, the catalog's models, the errata analyses.

This is the one place the errata are assembled: each entry takes the quoted value from
:mod:`ai_workloads.catalog.notes`, the models and chips from the catalog, hands them to its
analysis (:mod:`ai_workloads.analysis.errata` and :mod:`~ai_workloads.analysis.errata_serving`)
and writes the numbers it gets back into the page's words. The Errata page, the chapters'
"the notes say" and the command's ``ai-workloads errata`` all read :func:`errata`.

>>> e = erratum("kv-cache-gqa-70b")
>>> e.notes_value, e.reproduced, e.correct
('85.9 GB', '85.9 GB', '10.7 GB')
>>> all(e.reproduces for e in errata() if e.reproduced is not None)
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from ..analysis import errata as ea
from ..analysis import errata_serving as es
from ..analysis.errata import FlopsComparison, Reproduction, flops_comparison
from ..catalog import (
    get_accelerator,
    get_model,
    model_entry,
    notes_model,
    notes_models,
    notes_quote,
)
from ..core.config import TransformerConfig
from ..core.errors import WorkloadError
from ..core.units import Quantity
from .format import number, quantity


@dataclass(frozen=True, slots=True)
class Erratum:
    """One wrong value of the notes as the Errata page shows it: where, what is claimed, the
    notes' value, the cause, the package's reproduction (``None`` when no simplification
    gives it), the right value, and whether the reproduction reads exactly as the notes.
    ``numbers`` keeps the analysis's result behind the words."""

    key: str
    section: str
    claim: str
    notes_value: str
    cause: str
    reproduced: str | None
    correct: str
    reproduces: bool
    numbers: Reproduction


# ------------------------------------------------------------------ the notes, wired


def notes_config(name: str) -> TransformerConfig:
    """A catalog model as the notes' formulas see it: ``K = N``, and the notes' own fields
    (Llama 3 405B's vocabulary rounded to 128,000).

    >>> notes_config("llama-2-70b").n_kv_heads, notes_config("llama-3.1-405b").vocab_size
    (64, 128000)
    """
    return ea.notes_config(get_model(name), notes_model(name).config)


def _grid(key: str) -> tuple[float, float, int]:
    q = notes_quote(key)
    return (q.quantity("low_exponent").value, q.quantity("high_exponent").value,
            int(q.quantity("points").value))


def notes_crossover_on_grid() -> int:
    """Llama 2 7B's crossover as the notes find it, on their grid.

    >>> notes_crossover_on_grid()
    7906
    """
    return ea.crossover_on_grid(get_model("llama-2-7b"), *_grid("crossover-grid"))


def quoted(key: str, name: str | None = None) -> str:
    """A quoted value as the notes print it, tilde included.

    >>> quoted("summary/tokens"), quoted("h100-nvl", "bandwidth"), quoted("latency")
    ('~24 tokens/s', '7.8 TB/s', 'lower')
    """
    q = notes_quote(key)
    text = q.words if q.words is not None and not q.values else quantity(q.quantity(name))
    return f"~{text}" if q.approx else str(text)


def notes_flops_models() -> list[str]:
    """The catalog names of the models of the notes' FLOPs-per-token table.

    >>> notes_flops_models()[-1]
    'llama-3.1-405b'
    """
    return [m.catalog for m in notes_models()]


def notes_flops_contexts() -> list[int]:
    """The contexts of the notes' FLOPs-per-token table.

    >>> notes_flops_contexts()
    [512, 2048, 8192, 32768]
    """
    return [int(q.value) for q in notes_quote("flops-table-contexts").values]


def notes_flops_comparison(models: Sequence[str] | None = None,
                           contexts: Sequence[int] | None = None) -> list[FlopsComparison]:
    """Every cell of the notes' FLOPs-per-token table, under their formula and exactly.

    >>> rows = notes_flops_comparison()
    >>> len(rows), rows[0].model, rows[0].context
    (16, 'llama-2-7b', 512)
    """
    return [flops_comparison(get_model(name), notes_config(name), context)
            for name in (models or notes_flops_models())
            for context in (contexts or notes_flops_contexts())]


# ------------------------------------------------------------------ the entries


def _q(key: str, name: str | None = None) -> Quantity:
    return notes_quote(key).quantity(name)


def _display(name: str) -> str:
    return model_entry(name).display


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str
    quote: str  # the notes' quote whose section the erratum sits in
    claim: str
    cause: str
    build: Callable[[], Reproduction]
    correct: str | None = None  # a template over {0}, {1}, ...; None: values joined by ", "
    words: dict[str, str] | None = None  # more fields for the templates


def _params(name: str, label: str) -> _Entry:
    cfg, notes = get_model(name), notes_config(name)
    cause = ("W_K and W_V sized d_model × d_model, as if every query head had its own KV "
             "head (MHA); the model uses grouped-query attention with {kv_heads} KV heads")

    def build() -> Reproduction:
        return ea.params_reproduction(cfg, notes, _q(f"params/{name}"))

    if "vocab" in build().facts:
        cause += "; vocabulary rounded to {vocab}"
    return _Entry(f"params-gqa-{label}", f"params/{name}", "{name} total parameters", cause,
                  build, words={"name": cfg.name})


def _weights(name: str, label: str) -> _Entry:
    return _Entry(f"fp16-weights-{label}", f"fp16-weights/{name}", "{name} weights in FP16",
                  "follows from the MHA parameter count above ({bytes_per_param} bytes per "
                  "parameter)",
                  lambda: ea.weights_reproduction(get_model(name), notes_config(name),
                                                  _q(f"fp16-weights/{name}")),
                  words={"name": name})


def _kv(name: str, label: str) -> _Entry:
    context = int(_q("memory-context").value)
    heads = " or ".join(str(get_model(n).n_heads) for n in ("llama-2-70b", "llama-3.1-405b"))
    return _Entry(f"kv-cache-gqa-{label}", f"kv-cache/{name}",
                  "{name} KV cache, {context} tokens, FP16, batch 1",
                  "cache sized with n_heads ({heads}) KV heads; the model stores only "
                  "{kv_heads}",
                  lambda: es.kv_cache_reproduction(get_model(name), notes_config(name), context,
                                                   _q(f"kv-cache/{name}")),
                  words={"name": name, "heads": heads})


def _entries() -> list[_Entry]:
    l7, l70 = "llama-2-7b", "llama-2-70b"
    h100 = get_accelerator("h100-sxm")
    d70 = get_model(l70).d_model
    long = int(notes_quote("flops-table-contexts").values[-1].value)
    plot = notes_quote("batch-plot-batches")
    years = ", ".join(number(y, grouped=False) for y in notes_quote("moore-bar-years").values)
    return [
        _Entry("moore-line", "moore-doubling", "Moore's-law line labelled '{label}'",
               "the line doubles per bar (per unit of x), and bars are not years ({years})",
               lambda: ea.moore_reproduction(_q("moore-doubling")),
               words={"label": str(notes_quote("moore-label").words), "years": years}),
        _params(l70, "70b"),
        _params("llama-3.1-405b", "405b"),
        _Entry("attention-share-70b", f"attention-share/{l70}",
               "{model}: share of parameters in attention", "the MHA parameter count (K = N)",
               lambda: ea.attention_share_reproduction(get_model(l70), notes_config(l70),
                                                       _q(f"attention-share/{l70}")),
               words={"model": _display(l70)}),
        _weights(l70, "70b"),
        _weights("llama-3.1-405b", "405b"),
        _Entry("flops-per-token-70b", f"flops-per-token/{l70}/{long}",
               "{model} FLOPs per token at {context} context",
               "the formula L(8d² + 4nd + 6d·d_ff) assumes K = N (MHA), so K and V "
               "projections are {group}× too large and the scores use all heads; it also "
               "leaves out the LM head",
               lambda: ea.flops_per_token_reproduction(
                   get_model(l70), notes_config(l70), long,
                   _q(f"flops-per-token/{l70}/{long}", "total")),
               words={"model": _display(l70)}),
        _Entry("crossover-7b", f"crossover/{l7}",
               "{model}: context at which attention FLOPs overtake the FFN's",
               "read off the nearest of {points} log-spaced grid points instead of solved: "
               "8d² + 4Sd = 6d·d_ff gives S = (6·d_ff − 8d)/4 exactly",
               lambda: ea.crossover_reproduction(get_model(l7), _grid("crossover-grid"),
                                                 _q(f"crossover/{l7}")),
               words={"model": _display(l7)}),
        _Entry("intensity-batch-1", "intensity-batch-1",
               "Arithmetic intensity of a batch-1 decode matmul with FP16 weights",
               "bytes counted as one per weight; an FP16 weight is two bytes, so the 2d² FLOPs "
               "meet 2d² bytes",
               lambda: es.intensity_reproduction(d70, _q("intensity-batch-1"))),
        _Entry("utilization-batch-1", "utilization-batch-1", "H100 utilization at batch 1",
               "the {intensity} intensity above",
               lambda: es.utilization_reproduction(h100, d70, _q("utilization-batch-1")),
               words={"intensity": quoted("intensity-batch-1")}),
        _Entry("batch-for-ridge", "batch-for-ridge",
               "Batch size at which decode reaches the H100's ridge point",
               "the ridge point divided by {notes_intensity} per sequence instead of "
               "~{intensity}",
               lambda: es.ridge_batch_reproduction(get_model(l70), h100, _q("batch-for-ridge")),
               correct="{0} ({model}, FP16, KV reads included)", words={"model": _display(l70)}),
        _Entry("roofline-batch-32", "roofline-batch-32",
               "Intensity of batch-{batch} decode placed on the roofline",
               "{notes_intensity} per sequence",
               lambda: es.batch_intensity_reproduction(
                   d70, int(_q("roofline-batch-32", "batch").value),
                   _q("roofline-batch-32", "intensity")),
               words={"batch": quoted("roofline-batch-32", "batch")}),
        _kv(l70, "70b"),
        _kv("llama-3.1-405b", "405b"),
        _Entry("total-memory-70b", f"total-memory/{l70}",
               "{model} at {context_k} context: weights + KV cache + activations",
               "{rounded} rounded parameters, the MHA-sized KV cache, and a guessed "
               "{activations} of activations",
               lambda: es.total_memory_reproduction(
                   get_model(l70), notes_config(l70), int(_q("memory-context").value),
                   _q(f"rounded-params/{l70}"), _q(f"activations/{l70}"),
                   _q(f"total-memory/{l70}")),
               words={"model": _display(l70), "rounded": quantity(_q(f"rounded-params/{l70}")),
                      "activations": quantity(_q(f"activations/{l70}"))}),
        _Entry("h100-nvl", "h100-nvl",
               "H100 NVL memory and bandwidth, compared per GPU with A100 and H100",
               "the figures of the two-GPU NVL pair, set beside single GPUs",
               lambda: es.pair_reproduction(get_accelerator("h100-nvl"),
                                            _q("h100-nvl", "capacity"),
                                            _q("h100-nvl", "bandwidth")),
               correct="{0}, {1} per GPU"),
        _Entry("reading-speed", "reading-line",
               "Human reading speed line on the tokens-per-second axis",
               "{wpm} words per minute drawn as {wpm} tokens per second",
               lambda: es.reading_speed_reproduction(_q("reading-wpm"), _q("reading-line"))),
        _Entry("kv-per-token-70b", f"kv-per-token/{l70}", "KV cache per token of {notes_name}",
               "a rough guess; no simplification of the model gives it (MHA in FP16 gives "
               "{mha})",
               lambda: es.kv_per_token_reproduction(get_model(l70), _q(f"kv-per-token/{l70}")),
               words={"notes_name": str(notes_quote("batch-plot-model").words)}),
        _Entry("batch-plot-empty", "batch-plot-max",
               "'Max batch' of {notes_name} (FP16) on one {capacity} H100",
               "the {weights} of weights never fit in its {fit} of {basis} memory, so no batch "
               "fits and the curve has no point; indexing batch_sizes[{fitting} - 1] then "
               "picks the last batch, {last}",
               lambda: es.empty_batch_plot_reproduction(
                   get_model(l70), h100, int(_q("batch-plot-context").value),
                   (int(plot.quantity("start").value), int(plot.quantity("stop").value)),
                   _q("batch-plot-max")),
               correct="{0} on one H100; {1} on two H100s at {context} tokens",
               words={"notes_name": str(notes_quote("batch-plot-model").words),
                      "basis": h100.fit_basis}),
        _Entry("larger-models-latency", "latency", "'{claim}'",
               "the bar chart shows tokens/s falling with size; time per token rises",
               lambda: es.latency_reproduction(get_model(l7), get_model(l70), h100,
                                               int(_q("batch-plot-context").value)),
               correct="higher: {0} per token for {small} against {1} for {large} (H100 "
                       "bandwidth bound, ignoring that 70B needs two GPUs)",
               words={"claim": str(notes_quote("latency-claim").words),
                      "small": _display(l7), "large": _display(l70)}),
        _Entry("flash-1m-context", "flash-1m",
               "Memory of one {context} × {context} FP32 attention matrix",
               "the value in GB ({gb_value}) read as thousands of terabytes; {gigabytes} is "
               "{0}",
               lambda: es.score_matrix_reproduction(_grid("flash-contexts"), _q("flash-1m"))),
        _Entry("gqa-factor-70b", f"gqa-factor/{l70}", "KV-cache reduction of GQA in {model}",
               "the figure's example ({example_heads} query heads, {example_kv_heads} KV "
               "heads) taken for {model}, which has {heads} query heads and {kv_heads} KV "
               "heads",
               lambda: es.gqa_factor_reproduction(
                   get_model(l70), int(_q("gqa-figure-heads").value),
                   int(_q("gqa-figure-groups").value), _q(f"gqa-factor/{l70}")),
               words={"model": _display(l70)}),
    ]


def _render(entry: _Entry) -> Erratum:
    numbers = entry.build()
    fields = {name: quantity(q) for name, q in numbers.facts.items()} | (entry.words or {})
    correct = [quantity(q) for q in numbers.correct]

    def values(qs: Sequence[Quantity], template: str | None) -> str:
        texts = [quantity(q) for q in qs]
        return ", ".join(texts) if template is None else template.format(*texts, **fields)

    notes = notes_quote(entry.quote)
    notes_value = (values(numbers.notes, None) if numbers.notes else str(notes.words))
    return Erratum(
        key=entry.key, section=notes.section, claim=entry.claim.format(**fields),
        notes_value=notes_value, cause=entry.cause.format(*correct, **fields),
        reproduced=values(numbers.reproduced, None) if numbers.reproduced else None,
        correct=values(numbers.correct, entry.correct), reproduces=numbers.reproduces,
        numbers=numbers)


@cache
def errata() -> tuple[Erratum, ...]:
    """Every erratum, in the order of the notes.

    >>> len(errata()) >= 20, errata()[0].section
    (True, '1. Why Transformers Matter')
    """
    return tuple(_render(entry) for entry in _entries())


def erratum(key: str) -> Erratum:
    """One erratum by key.

    >>> erratum("params-gqa-70b").correct
    '69.0B'
    >>> erratum("nothing")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: no erratum 'nothing'; known: moore-line, ...
    """
    for item in errata():
        if item.key == key:
            return item
    raise WorkloadError(f"no erratum {key!r}; known: {', '.join(e.key for e in errata())}")
