"""The errata, wired: each wrong value of the notes with its quote, its analysis and its words.

The notes' quoted values come from :mod:`ai_workloads.catalog.notes` (read through
``ai_workloads.present.errata_notes``), the models and chips from the catalog; each entry
hands them to its analysis (:mod:`ai_workloads.analysis.errata`,
:mod:`~ai_workloads.analysis.errata_serving`, ``errata_variants``)
and holds the templates the Errata page fills with the numbers it gets back
(:func:`ai_workloads.present.errata.errata` renders them).

>>> [e.key for e in entries()][:2]
['moore-line', 'ffn-share']
>>> notes_config("llama-2-70b").n_kv_heads
64
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..analysis import errata as ea
from ..analysis import errata_serving as es
from ..analysis import errata_variants as ev
from ..analysis.errata import Reproduction
from ..catalog import get_accelerator, get_model, model_entry, notes_quote
from ..core.units import Quantity
from .errata_notes import notes_config, notes_grid, quoted
from .format import number, quantity

# ------------------------------------------------------------------ the entries


def _q(key: str, name: str | None = None) -> Quantity:
    return notes_quote(key).quantity(name)


def _display(name: str) -> str:
    return model_entry(name).display


@dataclass(frozen=True, slots=True)
class Entry:
    """One erratum before it is computed: its key, the notes' quote it stands on (and the
    quotes that repeat it, ``also``), the templates of its claim, cause and correct value
    (over the analysis's ``{0}``, ``{1}``, ... correct values, its facts and ``words``),
    and the analysis that computes it (``build``)."""

    key: str
    quote: str
    claim: str
    cause: str
    build: Callable[[], Reproduction]
    correct: str | None = None  # None: the correct values joined by ", "
    words: dict[str, str] | None = None
    also: tuple[str, ...] = ()


#: How a config's ``rope_scaling`` type is written in prose.
ROPE_SCALING = {"yarn": "YaRN", "linear": "linear interpolation", "dynamic": "dynamic NTK",
                "llama3": "Llama 3's scaling"}

_MHA = ("W_K and W_V sized d_model × d_model, as if every query head had its own KV head "
        "(MHA); the model uses grouped-query attention with {kv_heads} KV heads")


def _params(name: str, label: str) -> Entry:
    cfg, notes = get_model(name), notes_config(name)

    def build() -> Reproduction:
        return ea.params_reproduction(cfg, notes, _q(f"params/{name}"))

    cause = _MHA + ("; vocabulary rounded to {vocab}" if "vocab" in build().facts else "")
    return Entry(f"params-gqa-{label}", f"params/{name}", "{name} total parameters", cause,
                 build, words={"name": _display(name)})


def _share(name: str, label: str, category: str, what: str) -> list[Entry]:
    cfg, notes = get_model(name), notes_config(name)
    words = {"model": _display(name), "kv_heads": str(cfg.n_kv_heads)}
    cause = "the MHA parameter count (K = N), so attention and the total are too large"
    if notes.vocab_size != cfg.vocab_size:
        words["vocab"] = f"{notes.vocab_size:,}"
        cause += "; vocabulary rounded to {vocab}"
    key = {"attention": "attention-share", "mlp": "mlp-share", "rest": "embeddings-share"}
    return [Entry(f"{key[category]}-{label}", f"{key[category]}/{name}",
                  "{model}: share of parameters " + what, cause,
                  lambda: ea.category_share_reproduction(
                      cfg, notes, category, _q(f"{key[category]}/{name}")), words=words)]


def _weights(name: str, label: str, dtype: str) -> Entry:
    cause = {"fp16": "follows from the MHA parameter count above ({bytes_per_param} bytes "
                     "per parameter)",
             "int8": "one byte per parameter of the MHA count; an INT8 checkpoint stores a "
                     "16-bit scale per output channel and keeps embeddings, LM head and "
                     "norms in 16 bits"}[dtype]
    return Entry(f"{dtype}-weights-{label}", f"{dtype}-weights/{name}",
                 "{name} weights in " + dtype.upper(), cause,
                 lambda: ea.weights_reproduction(get_model(name), notes_config(name),
                                                 _q(f"{dtype}-weights/{name}"), dtype),
                 words={"name": _display(name)})


def _kv(name: str, label: str) -> Entry:
    context = int(_q("memory-context").value)
    return Entry(f"kv-cache-gqa-{label}", f"kv-cache/{name}",
                 "{name} KV cache, {context} tokens, FP16, batch 1",
                 "cache sized with n_heads ({heads}) KV heads; the model stores only "
                 "{kv_heads}",
                 lambda: es.kv_cache_reproduction(get_model(name), notes_config(name), context,
                                                  _q(f"kv-cache/{name}")),
                 words={"name": _display(name)})


def _ridge(chip: str, label: str, rounded: str) -> Entry:
    hw = get_accelerator(chip)
    table = f"hardware-table/{label}"
    return Entry(f"ridge-{label}", f"ridge/{label}", "{chip}: compute/bandwidth ratio (FP16)",
                 f"the {rounded} rounded to {{printed}}; the spec sheet gives {{{rounded}}}",
                 lambda: es.ridge_rounding_reproduction(hw, _q(table, "peak"),
                                                        _q(table, "bandwidth"),
                                                        _q(f"ridge/{label}")),
                 words={"chip": hw.display, "printed": quoted(table, rounded)})


def _scale_entries() -> list[Entry]:
    """Sections 1 to 5: growth, the FFN's share, parameters and weights, FLOPs."""
    l7, l70, l405 = "llama-2-7b", "llama-2-70b", "llama-3.1-405b"
    years = notes_quote("moore-bar-years").values
    long = int(notes_quote("flops-table-contexts").values[-1].value)
    return [
        Entry("moore-line", "moore-doubling", "Moore's-law line labelled '{label}'",
              "the line's code doubles it at every bar (each unit of x), and bars are not "
              "years ({years}): across its {steps} steps it rises {drawn_rise}, where "
              "doubling every two years from {first} to {last} gives {moore_rise}",
              lambda: ea.moore_reproduction(_q("moore-doubling"), [y.value for y in years]),
              words={"label": str(notes_quote("moore-label").words),
                     "years": ", ".join(number(y, grouped=False) for y in years),
                     "first": number(years[0], grouped=False),
                     "last": number(years[-1], grouped=False)}),
        Entry("ffn-share", "ffn-share", "The FFN's share of a model's parameters",
              "the share of one layer of a model with one KV head per query head and F ≈ 8D/3 "
              "(the notes' {example}), embeddings left out; grouped-query attention and wider "
              "MLPs raise it, large vocabularies lower it",
              lambda: ea.mlp_share_reproduction(notes_config(l7), [get_model(l7), get_model(l70)],
                                                _q("ffn-share")),
              correct="{0} of {small}, {1} of {large} (whole models)",
              words={"example": _display(l7), "small": _display(l7), "large": _display(l70)},
              also=("ffn-share-printed", "ffn-share-summary")),
        _params(l70, "70b"),
        Entry("attention-share-70b", f"attention-share/{l70}",
              "{model}: share of parameters in attention", "the MHA parameter count (K = N)",
              lambda: ea.attention_share_reproduction(get_model(l70), notes_config(l70),
                                                      _q(f"attention-share/{l70}")),
              words={"model": _display(l70)}),
        *_share(l70, "70b", "mlp", "in the FFN"),
        *_share(l70, "70b", "rest", "outside attention and FFN (the notes' 'Embeddings')"),
        _weights(l70, "70b", "fp16"), _weights(l70, "70b", "int8"),
        _params(l405, "405b"),
        *_share(l405, "405b", "attention", "in attention"),
        *_share(l405, "405b", "mlp", "in the FFN"),
        *_share(l405, "405b", "rest", "outside attention and FFN (the notes' 'Embeddings')"),
        _weights(l405, "405b", "fp16"), _weights(l405, "405b", "int8"),
        Entry("flops-per-token-70b", f"flops-per-token/{l70}/{long}",
              "{model} FLOPs per token at {context} context",
              "the formula L(8d² + 4nd + 6d·d_ff) assumes K = N (MHA), so K and V "
              "projections are {group}× too large and the scores use all heads; it also "
              "leaves out the LM head",
              lambda: ea.flops_per_token_reproduction(
                  get_model(l70), notes_config(l70), long,
                  _q(f"flops-per-token/{l70}/{long}", "total")),
              words={"model": _display(l70)}),
        Entry("crossover-7b", f"crossover/{l7}",
              "{model}: context at which attention FLOPs overtake the FFN's",
              "read off the nearest of {points} log-spaced grid points instead of solved: "
              "8d² + 4Sd = 6d·d_ff gives S = (6·d_ff − 8d)/4 exactly",
              lambda: ea.crossover_reproduction(get_model(l7), notes_grid("crossover-grid"),
                                                _q(f"crossover/{l7}")),
              words={"model": _display(l7)}),
    ]


def _serving_entries() -> list[Entry]:
    """Section 6: intensity, the roofline, memory and bandwidth."""
    l7, l70 = "llama-2-7b", "llama-2-70b"
    h100 = get_accelerator("h100-sxm")
    d70 = get_model(l70).d_model
    plot = notes_quote("batch-plot-batches")
    plot_context = int(_q("batch-plot-context").value)
    one_byte = {"intensity": quoted("intensity-batch-1")}

    def ridge_batch() -> Reproduction:
        return es.ridge_batch_reproduction(get_model(l70), h100, _q("batch-for-ridge"),
                                           long_context=plot_context)

    at_long = ("{long_batch} at {long_context} tokens" if "long_batch" in ridge_batch().facts
               else "at {long_context} tokens of context none: the KV reads, growing with the "
                    "batch, keep decode memory-bound")
    return [
        Entry("intensity-batch-1", "intensity-batch-1",
              "Arithmetic intensity of a batch-1 decode matmul with FP16 weights",
              "bytes counted as one per weight; an FP16 weight is two bytes, so the 2d² FLOPs "
              "meet 2d² bytes",
              lambda: es.intensity_reproduction(d70, _q("intensity-batch-1")),
              also=("intensity-hardware-wants", "intensity-printed", "intensity-summary",
                    "intensity-key-numbers")),
        _ridge("a100-sxm-80gb", "a100", "bandwidth"),
        _ridge("h100-sxm", "h100", "peak"),
        Entry("utilization-approx", "utilization-approx",
              "Utilization of LLM inference at batch 1, in round figures",
              "the {intensity} intensity (one byte per 16-bit weight) on the H100, said as "
              "about one percent",
              lambda: es.utilization_reproduction(h100, d70, _q("utilization-approx"), digits=2),
              words=one_byte, also=("utilization-summary",)),
        Entry("roofline-batch-32", "roofline-batch-32",
              "Intensity of batch-{batch} decode placed on the roofline",
              "{notes_intensity} per sequence",
              lambda: es.batch_intensity_reproduction(
                  d70, int(_q("roofline-batch-32", "batch").value),
                  _q("roofline-batch-32", "intensity")),
              words={"batch": quoted("roofline-batch-32", "batch")}),
        Entry("roofline-training", "roofline-training", "'LLM Training' placed on the roofline",
              "placed by hand on the sloped, memory-bound roof, left of the H100's {ridge} "
              "ridge; no workload gives it: a training step multiplies whole sequences, each "
              "matmul at least [S, D] × [D, F] with S = {tokens}",
              lambda: es.training_intensity_reproduction(get_model(l70), h100,
                                                         _q("roofline-training")),
              correct="{0} ({model}'s up projection over one {tokens}-token sequence, BF16): "
                      "compute-bound, right of the ridge",
              words={"model": _display(l70)}),
        Entry("attainable-batch-1", "attainable-batch-1",
              "Throughput of a batch-1 decode matmul on the H100",
              "the {intensity} intensity above times the H100's bandwidth",
              lambda: es.attainable_reproduction(h100, d70, _q("attainable-batch-1")),
              words=one_byte),
        Entry("utilization-batch-1", "utilization-batch-1", "H100 utilization at batch 1",
              "the {intensity} intensity above",
              lambda: es.utilization_reproduction(h100, d70, _q("utilization-batch-1")),
              words=one_byte),
        Entry("batch-for-ridge", "batch-for-ridge",
              "Batch size at which decode reaches the H100's ridge point",
              "the ridge point divided by {notes_intensity} per sequence instead of "
              "~{intensity}", ridge_batch,
              correct="{0} at a context of {context} token ({model}, FP16, KV reads included); "
                      + at_long,
              words={"model": _display(l70)}),
        _kv(l70, "70b"),
        _kv("llama-3.1-405b", "405b"),
        Entry("total-memory-70b", f"total-memory/{l70}",
              "{model} at {context_k} context: weights + KV cache + activations",
              "{rounded} rounded parameters, the MHA-sized KV cache, and a guessed "
              "{activations} of activations (and Llama 2 70B was trained for {positions} "
              "positions, not {context_k})",
              lambda: es.total_memory_reproduction(
                  get_model(l70), notes_config(l70), int(_q("memory-context").value),
                  _q(f"rounded-params/{l70}"), _q(f"activations/{l70}"),
                  _q(f"total-memory/{l70}")),
              words={"model": _display(l70), "rounded": quantity(_q(f"rounded-params/{l70}")),
                     "activations": quantity(_q(f"activations/{l70}")),
                     "positions": f"{get_model(l70).max_position:,}"}),
        Entry("h100-nvl", "h100-nvl",
              "H100 NVL memory and bandwidth, compared per GPU with A100 and H100",
              "the figures of the two-GPU NVL pair, set beside single GPUs",
              lambda: es.pair_reproduction(get_accelerator("h100-nvl"),
                                           _q("h100-nvl", "capacity"),
                                           _q("h100-nvl", "bandwidth")),
              correct="{0}, {1} per GPU"),
        Entry("reading-speed", "reading-line",
              "Human reading speed line on the tokens-per-second axis",
              "{wpm} words per minute drawn as {wpm} tokens per second",
              lambda: es.reading_speed_reproduction(_q("reading-wpm"), _q("reading-line"))),
        Entry("reading-label", "reading-label", "Label of the reading-speed line",
              "{wpm} words per minute divided by 60: words per second, one token per word",
              lambda: es.reading_label_reproduction(_q("reading-wpm"), _q("reading-label"))),
        Entry("kv-per-token-70b", f"kv-per-token/{l70}", "KV cache per token of {notes_name}",
              "a rough guess; no simplification of the model gives it (MHA in FP16 gives "
              "{mha})",
              lambda: es.kv_per_token_reproduction(get_model(l70), _q(f"kv-per-token/{l70}")),
              words={"notes_name": str(notes_quote("batch-plot-model").words)}),
        Entry("batch-plot-empty", "batch-plot-max",
              "'Max batch' of {notes_name} (FP16) on one {capacity} H100",
              "the {weights} of weights never fit in its {fit} of {basis} memory, so no batch "
              "fits and the curve has no point; indexing batch_sizes[{fitting} - 1] then "
              "picks the last batch, {last}",
              lambda: es.empty_batch_plot_reproduction(
                  get_model(l70), h100, plot_context,
                  (int(plot.quantity("start").value), int(plot.quantity("stop").value)),
                  _q("batch-plot-max")),
              correct="{0} on one H100; {1} on two H100s at {context} tokens",
              words={"notes_name": str(notes_quote("batch-plot-model").words),
                     "basis": h100.fit_basis}),
        Entry("larger-models-latency", "latency", "'{claim}'",
              "the bar chart shows tokens/s falling with size; time per token rises",
              lambda: es.latency_reproduction(get_model(l7), get_model(l70), h100, plot_context),
              correct="higher: {0} per token for {small} against {1} for {large} (H100 "
                      "bandwidth bound, ignoring that 70B needs two GPUs)",
              words={"claim": str(notes_quote("latency-claim").words),
                     "small": _display(l7), "large": _display(l70)}),
    ]


def _variant_entries() -> list[Entry]:
    """Sections 7 and 8: RoPE, GQA, FlashAttention, MoE, the summary."""
    l7, l70, l405, mix = "llama-2-7b", "llama-2-70b", "llama-3.1-405b", "mixtral-8x7b"
    scaled = "deepseek-v3"
    rope = model_entry(scaled).hf_config["rope_scaling"]
    plot_context = int(_q("batch-plot-context").value)
    return [
        Entry("rope-extrapolation", "rope-extrapolation", "RoPE and longer sequences",
              "RoPE encodes relative position, but a model knows only the angles of the "
              "positions it trained on: {unturned} of the {pairs} rotation pairs of a {short} "
              "head never complete a turn in its {context} positions",
              lambda: ev.rope_reproduction(get_model(l7), get_model(l405), get_model(scaled),
                                           rope["factor"],
                                           rope["original_max_position_embeddings"]),
              correct="not by itself: models raise the base ({raised}: {0} for {1} positions, "
                      "against {base}) or rescale the angles ({scaled}: {kind}, {2} from "
                      "{original} to {3} positions)",
              words={"short": _display(l7), "raised": _display(l405),
                     "scaled": _display(scaled), "kind": ROPE_SCALING[rope["type"]]}),
        Entry("flash-1m-context", "flash-1m",
              "Memory of one {context} × {context} FP32 attention matrix",
              "a typed label: the notes' own curve ends at {gigabytes}, which is {0}; the "
              "label puts petabytes for terabytes",
              lambda: ev.score_matrix_reproduction(notes_grid("flash-contexts"), _q("flash-1m"))),
        Entry("gqa-factor-70b", f"gqa-factor/{l70}", "KV-cache reduction of GQA in {model}",
              "the figure's example ({example_heads} query heads, {example_kv_heads} KV "
              "heads) taken for {model}, which has {heads} query heads and {kv_heads} KV "
              "heads",
              lambda: ev.gqa_factor_reproduction(
                  get_model(l70), int(_q("gqa-figure-heads").value),
                  int(_q("gqa-figure-groups").value), _q(f"gqa-factor/{l70}")),
              words={"model": _display(l70)}),
        Entry("moe-compute", "moe-compute",
              "Compute of a token routed to {k} of {experts} experts",
              "k/E counts the expert MLPs only; attention and the LM head run in full for "
              "every token",
              lambda: ev.moe_compute_reproduction(get_model(mix), _q("moe-compute")),
              correct="{0} of the FLOPs with every expert run ({model} at a context of "
                      "{context} token, attention and LM head included)",
              words={"model": _display(mix)}),
        Entry("moe-params", "moe-params",
              "Size of an MoE model with {experts} experts against a dense model of its shape",
              "E experts against one counts the MLP weights only; attention, norms, "
              "embeddings and the LM head are shared",
              lambda: ev.moe_params_reproduction(get_model(mix), _q("moe-params")),
              correct="{0} ({model} against its shape with one expert); a token uses {active} "
                      "the dense model's parameters",
              words={"model": _display(mix)}),
        Entry("attention-scaling", "attention-scaling", "How attention's FLOPs grow",
              "the scores and A·V only; the attention projections, O(Ld²), come on top and "
              "outweigh them at short contexts",
              lambda: ev.attention_scaling_reproduction(get_model(l70), plot_context),
              correct="O(L(d² + nd)): the projections are {0} of {model}'s attention FLOPs "
                      "at {context} keys, and the O(Lnd) part catches up only at {1} keys",
              words={"model": _display(l70)}),
        Entry("attention-dominates", "attention-dominates",
              "Context beyond which attention dominates compute",
              "a round figure: the notes' own {small} crossover is {grid}, and where attention "
              "(projections included) overtakes the MLP depends on the model's width, its KV "
              "heads and its windows",
              lambda: ev.attention_dominates_reproduction(
                  notes_config(l7), notes_grid("crossover-grid"),
                  [get_model(l7), get_model(l70), get_model(l405)], get_model("mistral-7b"),
                  _q("attention-dominates")),
              correct="{0} keys for {small}, {1} for {large}, {2} for {largest}; never for "
                      "{windowed}, whose {window}-key window caps attention",
              words={"small": _display(l7), "large": _display(l70), "largest": _display(l405),
                     "windowed": _display("mistral-7b")}),
    ]


def entries() -> list[Entry]:
    """Every erratum, in the order of the notes (by the line of its quote).

    >>> keys = [e.key for e in entries()]
    >>> len(keys) == len(set(keys)), keys[-1]
    (True, 'attention-dominates')
    """
    found = [*_scale_entries(), *_serving_entries(), *_variant_entries()]
    return sorted(found, key=lambda e: notes_quote(e.quote).line)
