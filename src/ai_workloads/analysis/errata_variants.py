"""Errata of the lecture notes in numbers, sections 7 and 8: architectural variants (RoPE,
grouped-query attention, FlashAttention, mixture of experts) and the summary's round figures.

The companion of :mod:`ai_workloads.analysis.errata` (which defines :class:`Reproduction`
and its statuses): each function takes the configurations and quoted values it needs and
returns the notes' value, the value under the notes' simplification (none where nothing can
be recomputed) and the right value, each a :class:`~ai_workloads.core.units.Quantity`.

>>> from ai_workloads.catalog import get_model
>>> r = moe_params_reproduction(get_model("mixtral-8x7b"), Quantity(8, "x"))
>>> r.status, r.reproduced[0].value, r.correct[0].rounded()
('reproduced', 8.0, 6.45)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..core.config import TransformerConfig
from ..core.errors import WorkloadError
from ..core.units import Quantity, gb
from .errata import Reproduction, crossover_on_grid
from .flops import attention_flops_per_key, attention_overtakes_mlp, sublayer_decode_flops
from .memory import kv_cache_bytes
from .params import param_counts
from .variants import dense_counterpart, moe_summary, rope_frequencies, score_matrix_bytes

# ------------------------------------------------------------------ positions and attention


def rope_reproduction(short: TransformerConfig, raised: TransformerConfig,
                      stretched: TransformerConfig, factor: float,
                      original: int) -> Reproduction:
    """RoPE does not extrapolate by itself: the notes' claim is words (``consistent``); the
    numbers say why and what models do instead.

    ``facts``: of ``short``'s ``H/2`` rotation pairs, how many never complete a turn within
    its trained context (``2π/θ_i`` longer than ``max_position``), so positions past it give
    angles the model never saw. ``correct``: ``raised``'s larger base and context, then
    ``stretched``'s rescaling ``factor`` and the context it reaches from ``original``
    positions, checked against the positions it declares.

    >>> from ai_workloads.catalog import get_model
    >>> r = rope_reproduction(get_model("llama-2-7b"), get_model("llama-3.1-405b"),
    ...                       get_model("deepseek-v3"), 40, 4096)
    >>> r.status, r.facts["unturned"].value, r.facts["pairs"].value
    ('consistent', 18, 64)
    >>> [q.value for q in r.correct]
    [500000.0, 131072, 40, 163840]
    """
    frequencies = rope_frequencies(short.head_dim, short.rope_theta)
    wavelengths = 2 * math.pi / frequencies
    unturned = int(np.count_nonzero(wavelengths > short.max_position))
    extended = round(original * factor)
    if extended != stretched.max_position:
        raise WorkloadError(f"{stretched.name}: {original:,} positions × {factor:g} = "
                            f"{extended:,}, not its {stretched.max_position:,}")
    return Reproduction(
        (), (),
        (Quantity(raised.rope_theta), Quantity(raised.max_position), Quantity(factor, "x"),
         Quantity(extended)),
        {"unturned": Quantity(unturned), "pairs": Quantity(len(frequencies)),
         "context": Quantity(short.max_position), "base": Quantity(short.rope_theta),
         "original": Quantity(original)},
        consistent=True)


def gqa_factor_reproduction(cfg: TransformerConfig, example_heads: int, example_kv_heads: int,
                            quoted: Quantity) -> Reproduction:
    """The KV-cache reduction of grouped-query attention: the cache of ``cfg`` with ``K =
    N`` over its cache with its real ``K``, computed for the figure's example heads
    (``example_heads`` query heads sharing ``example_kv_heads``) and for ``cfg`` itself.

    >>> from ai_workloads.catalog import get_model
    >>> r = gqa_factor_reproduction(get_model("llama-2-70b"), 32, 8, Quantity(4, "x"))
    >>> r.reproduces, r.correct[0].value
    (True, 8.0)
    """
    quoted.require("x")

    def reduction(c: TransformerConfig) -> float:
        return kv_cache_bytes(c.with_mha(), 1) / kv_cache_bytes(c, 1)

    example = cfg.replace(name=f"{cfg.name}-figure", n_heads=example_heads,
                          n_kv_heads=example_kv_heads)
    return Reproduction((quoted,), (quoted.like(reduction(example)),),
                        (quoted.like(reduction(cfg)),),
                        {"example_heads": Quantity(example_heads),
                         "example_kv_heads": Quantity(example_kv_heads),
                         "heads": Quantity(cfg.n_heads), "kv_heads": Quantity(cfg.n_kv_heads)})


def score_matrix_reproduction(grid: tuple[float, float, int], quoted: Quantity) -> Reproduction:
    """One fp32 ``S × S`` score matrix at the longest context ``S`` of a log-spaced grid
    (``low exponent, high exponent, points``), in TB. The notes' figure is a typed label:
    ``consistent`` when its number is the right one in TB with the unit a step of 10³ too
    large; ``facts`` hold the matrix in GB (the unit the notes' own curve is in).

    >>> r = score_matrix_reproduction((2, 6, 100), Quantity(4, "PB"))
    >>> r.status, r.correct[0].value, r.facts["gigabytes"].value, r.facts["context"].value
    ('consistent', 4.0, 4000.0, 1.0)
    """
    quoted.require("PB")
    context = round(float(np.logspace(*grid)[-1]))
    in_gb = gb(score_matrix_bytes(context))
    right = Quantity(in_gb / 1e3, "TB", quoted.digits)
    return Reproduction((quoted,), (), (right,),
                        {"gigabytes": Quantity(in_gb, "GB"),
                         "context": Quantity(context / 1e6, "M")},
                        consistent=right.rounded() == quoted.rounded())


# ------------------------------------------------------------------ mixture of experts


def moe_params_reproduction(cfg: TransformerConfig, quoted: Quantity) -> Reproduction:
    """An MoE model's size over a dense model of its shape (one expert per layer): the MLP
    weights only, ``E`` experts against one, against the whole models (``facts``: the
    active parameters over the dense model's, and ``E``).

    >>> from ai_workloads.catalog import get_model
    >>> r = moe_params_reproduction(get_model("mixtral-8x7b"), Quantity(8, "x"))
    >>> r.reproduces, r.facts["active"].rounded()
    (True, 1.78)
    """
    quoted.require("x")
    summary = moe_summary(cfg)
    mlp = param_counts(cfg).by_category()["mlp"]
    dense_mlp = param_counts(dense_counterpart(cfg)).by_category()["mlp"]
    return Reproduction((quoted,), (quoted.like(mlp / dense_mlp),),
                        (quoted.like(summary.total_over_dense, 2),),
                        {"active": Quantity(summary.active_over_dense, "x", 2),
                         "experts": Quantity(cfg.n_experts)})


def moe_compute_reproduction(cfg: TransformerConfig, quoted: Quantity) -> Reproduction:
    """Percent of the all-experts FLOPs a token of an MoE model costs: the MLP (router
    included) with ``k`` of ``E`` experts against all ``E``, against the whole token at a
    one-token context, attention and LM head included
    (:attr:`~ai_workloads.analysis.variants.MoeSummary.flops_fraction`).

    >>> from ai_workloads.catalog import get_model
    >>> r = moe_compute_reproduction(get_model("mixtral-8x7b"), Quantity(25, "%"))
    >>> r.reproduces, r.correct[0].rounded(), r.facts["k"].value, r.facts["experts"].value
    (True, 27.4, 2, 8)
    """
    quoted.require("%")
    every = cfg.replace(experts_per_token=cfg.n_experts)
    mlp_share = sublayer_decode_flops(cfg, 1)["mlp"] / sublayer_decode_flops(every, 1)["mlp"]
    return Reproduction((quoted,), (quoted.like(100 * mlp_share),),
                        (quoted.like(100 * moe_summary(cfg).flops_fraction, 1),),
                        {"k": Quantity(cfg.experts_per_token), "experts": Quantity(cfg.n_experts),
                         "context": Quantity(1)})


# ------------------------------------------------------------------ the summary


def attention_dominates_reproduction(notes_example: TransformerConfig,
                                     grid: tuple[float, float, int],
                                     crossing: Sequence[TransformerConfig],
                                     windowed: TransformerConfig,
                                     quoted: Quantity) -> Reproduction:
    """"Attention dominates beyond a context": a round figure of the notes' summary, with
    nothing to recompute (``consistent``). ``facts``: the notes' own crossover of
    ``notes_example`` on their ``grid``; ``correct``: the exact context at which each of
    ``crossing`` has attention (projections included) overtake its MLP, while ``windowed``,
    whose windows cap attention, never does (fact ``window``).

    >>> from ai_workloads.catalog import get_model
    >>> seven, seventy = get_model("llama-2-7b"), get_model("llama-2-70b")
    >>> r = attention_dominates_reproduction(seven, (2, 5, 50), [seven, seventy],
    ...                                      get_model("mistral-7b"), Quantity(10, "K"))
    >>> r.status, [q.value for q in r.correct], r.facts["grid"].value, r.facts["window"].value
    ('consistent', [8321, 33793], 7906, 4096)
    """
    quoted.require("K")
    exact = []
    for cfg in crossing:
        context = attention_overtakes_mlp(cfg, include_projections=True)
        if context is None:
            raise WorkloadError(f"{cfg.name}: attention never overtakes the MLP")
        exact.append(Quantity(context))
    if attention_overtakes_mlp(windowed, include_projections=True) is not None:
        raise WorkloadError(f"{windowed.name}: attention does overtake the MLP")
    if not windowed.sliding_window:
        raise WorkloadError(f"{windowed.name} has no sliding window")
    low, high, points = grid
    return Reproduction(
        (quoted,), (), tuple(exact),
        {"grid": Quantity(crossover_on_grid(notes_example, low, high, points)),
         "window": Quantity(windowed.sliding_window)},
        consistent=True)


def attention_scaling_reproduction(cfg: TransformerConfig, context: int) -> Reproduction:
    """"Attention FLOPs scale as O(Lnd)": words (``consistent``) that leave out the
    attention projections, ``O(Ld²)``. ``correct``: the projections' share of one decode
    token's attention FLOPs at ``context`` keys, and the context from which the scores and
    A·V (``O(Lnd)``) are at least as large as the projections.

    >>> from ai_workloads.catalog import get_model
    >>> r = attention_scaling_reproduction(get_model("llama-2-70b"), 2048)
    >>> r.status, r.correct[0].rounded(), r.correct[1].value
    ('consistent', 82.0, 9216)
    """
    parts = sublayer_decode_flops(cfg, context)
    projections = parts["attention"] - parts["attention_core"]
    per_key = attention_flops_per_key(cfg)
    if not per_key:
        raise WorkloadError(f"{cfg.name}: no layer attends to past keys")
    return Reproduction((), (), (Quantity(100 * projections / parts["attention"], "%"),
                                 Quantity(-(-projections // per_key))),
                        {"context": Quantity(context)}, consistent=True)
