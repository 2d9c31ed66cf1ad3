"""Figures and tables of FLOP counts: per-op tables, attention against MLP, crossovers.

Figures take results of :mod:`ai_workloads.analysis.scaling` (and
:mod:`ai_workloads.analysis.flops`) and only
draw them; tables only format them. The one arithmetic is unit scaling for display.

>>> from ai_workloads.catalog import get_model
>>> from ai_workloads.analysis.scaling import context_grid, decode_flops_curve
>>> curve = decode_flops_curve(get_model("llama-2-7b"), context_grid(points=20))
>>> len(flops_vs_context_figure(curve).axes)
1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ...analysis.errata import flops_comparison
from ...analysis.scaling import (
    Crossover,
    DecodeFlopsCurve,
    PrefillCost,
    TrainingCost,
    per_layer_ops,
)
from ...catalog import model_entry
from ...core.config import TransformerConfig
from ...core.errors import WorkloadError
from ..format import pct, sci, thousands
from ..style import CONCEPT_COLORS, OKABE_ITO, label_axes, new_figure
from ..tables import Table

#: One colour per part of a token's FLOPs, the site's colour of its concept: the attention
#: core and the projections are both attention (blue), told apart by hatch and line style.
PART_COLORS: dict[str, str] = {
    "mlp": CONCEPT_COLORS["mlp"],
    "lm_head": CONCEPT_COLORS["lm_head"],
    "projections": CONCEPT_COLORS["attention"],
    "core": CONCEPT_COLORS["attention"],
}
#: Hatches that tell parts of one colour apart.
PART_HATCHES: dict[str, str] = {"core": "////"}
#: How the parts are named in legends.
PART_LABELS: dict[str, str] = {
    "mlp": "MLP",
    "lm_head": "LM head",
    "projections": "attention projections (q, k, v, o)",
    "core": "attention core (scores, A·V)",
}

GIGA = 1e9


def _display(name: str) -> str:
    try:
        return model_entry(name).display
    except ValueError:
        return name


# ------------------------------------------------------------------ figures


def flops_vs_context_figure(curve: DecodeFlopsCurve) -> Figure:
    """Stacked areas of one decode token's FLOPs against context (log axis): MLP, LM head,
    attention projections and attention core, in GFLOP.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.scaling import decode_flops_curve
    >>> fig = flops_vs_context_figure(decode_flops_curve(get_model("gpt2"), [10, 100, 1000]))
    >>> ax = fig.axes[0]
    >>> len(ax.collections), ax.get_xscale()
    (4, 'log')
    """
    fig, ax = new_figure(figsize=(6.4, 3.8))
    x = curve.contexts
    layers = [
        ("mlp", np.full_like(x, curve.mlp)),
        ("lm_head", np.full_like(x, curve.lm_head)),
        ("projections", np.full_like(x, curve.projections)),
        ("core", curve.core),
    ]
    areas = ax.stackplot(x, *[values / GIGA for _, values in layers],
                         labels=[PART_LABELS[key] for key, _ in layers],
                         colors=[PART_COLORS[key] for key, _ in layers], alpha=0.85,
                         linewidth=0)
    for (key, _), area in zip(layers, areas, strict=True):
        if key in PART_HATCHES:  # the core: attention's colour, hatched, lighter
            area.set_hatch(PART_HATCHES[key])
            area.set_edgecolor("white")
            area.set_alpha(0.55)
    ax.set_xscale("log")
    ax.set_xlim(float(x[0]), float(x[-1]))
    ax.set_ylim(0, float(curve.total[-1]) / GIGA * 1.05)
    ax.xaxis.set_major_formatter(FuncFormatter(thousands))
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", fontsize=8)
    label_axes(ax, xlabel="context S (keys attended)", ylabel="GFLOP per decode token",
               title=f"{_display(curve.model)}: matmul FLOPs of one decode token")
    return fig


def attention_share_figure(curve: DecodeFlopsCurve, crossover: Crossover,
                           notes_point: int | None = None) -> Figure:
    """Attention's share of attention + MLP FLOPs against context (log axis), with and
    without the projections, the exact crossovers, and optionally the notes' grid point.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.scaling import crossover, decode_flops_curve
    >>> cfg = get_model("llama-2-7b")
    >>> fig = attention_share_figure(decode_flops_curve(cfg, [100, 10_000, 100_000]),
    ...                              crossover(cfg), notes_point=7906)
    >>> len(fig.axes[0].lines)
    6
    """
    fig, ax = new_figure(figsize=(6.4, 3.8))
    x = curve.contexts
    with_proj, core = PART_COLORS["projections"], PART_COLORS["core"]
    ax.axhline(0.5, color=OKABE_ITO["black"], linewidth=0.8, linestyle="--", alpha=0.6)
    ax.plot(x, curve.attention_share(True), color=with_proj,
            label="attention incl. projections, as in the lecture notes")
    ax.plot(x, curve.attention_share(False), color=core, linestyle="-.",
            label="attention core only (scores, A·V): core / (core + MLP)")
    for value, colour, dy in ((crossover.with_projections, with_proj, 0.16),
                              (crossover.core_only, core, -0.2)):
        if value is None:  # the windows cap attention below the MLP
            continue
        ax.axvline(value, color=colour, linestyle=":", linewidth=1.3)
        ax.annotate(f"S = {value:,}", xy=(value, 0.5), xytext=(value * 1.15, 0.5 + dy),
                    fontsize=9, color=colour,
                    arrowprops={"arrowstyle": "->", "color": colour, "linewidth": 0.8})
    if notes_point is not None:
        ax.plot([notes_point], [0.5], linestyle="none", marker="x", markersize=8,
                markeredgewidth=2, color=OKABE_ITO["black"],
                label=f"notes' grid point, S ≈ {notes_point:,}")
    ax.set_xscale("log")
    ax.set_xlim(float(x[0]), float(x[-1]))
    ax.set_ylim(0, 1)
    ax.xaxis.set_major_formatter(FuncFormatter(thousands))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.legend(loc="upper left", fontsize=8)
    label_axes(ax, xlabel="context S (keys attended)",
               ylabel="attention's share of attention + MLP",
               title=f"{_display(curve.model)}: when attention overtakes the MLP")
    return fig


def crossover_figure(points: Sequence[Crossover]) -> Figure:
    """Per model (one row each), both crossovers on a log axis, and a bar up to the model's
    context window.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.scaling import crossovers
    >>> fig = crossover_figure(crossovers([get_model("gpt2"), get_model("llama-2-70b")]))
    >>> len(fig.axes[0].patches), len(fig.axes[0].get_yticklabels())
    (2, 2)
    """
    if not points:
        raise WorkloadError("crossover_figure needs at least one model")
    fig, ax = new_figure(figsize=(6.4, 0.28 * len(points) + 1.3))
    rows = list(range(len(points)))[::-1]
    ax.barh(rows, [p.max_position for p in points], height=0.55,
            color=OKABE_ITO["bluish_green"], alpha=0.25, label="context window (max_position)")
    ax.plot([p.with_projections or np.nan for p in points], rows, linestyle="none", marker="o",
            color=PART_COLORS["projections"], label="crossover incl. projections")
    ax.plot([p.core_only or np.nan for p in points], rows, linestyle="none", marker="D",
            color=PART_COLORS["core"], markersize=4.5, label="crossover, core only")
    ax.set_yticks(rows, [f"{_display(p.model)} ({p.attention_kind})" for p in points],
                  fontsize=8)
    ax.grid(axis="y", visible=False)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(thousands))
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, fontsize=8)
    label_axes(ax, xlabel="context S (keys attended)")
    return fig


# ------------------------------------------------------------------ tables

_ATTENTION_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("q", "query projection", "[1, D] × [D, N·H]", "2·D·N·H"),
    ("k", "key projection", "[1, D] × [D, K·H]", "2·D·K·H"),
    ("v", "value projection", "[1, D] × [D, K·H]", "2·D·K·H"),
    ("scores", "scores q·kᵀ", "N × ([1, H] × [H, S])", "2·N·H·S"),
    ("attn_v", "A·V", "N × ([1, S] × [S, H])", "2·N·H·S"),
    ("o", "output projection", "[1, N·H] × [N·H, D]", "2·N·H·D"),
)
_MLP_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("router", "router (MoE)", "[1, D] × [D, E]", "2·D·E"),
    ("gate", "gate projection (gated MLP)", "k × ([1, D] × [D, F])", "2·D·F·k"),
    ("up", "up projection", "k × ([1, D] × [D, F])", "2·D·F·k"),
    ("down", "down projection", "k × ([1, F] × [F, D])", "2·D·F·k"),
)


def _ops_table(title: str, spec: Sequence[tuple[str, str, str, str]], total: tuple[str, str],
               cfgs: Sequence[TransformerConfig], context: int) -> Table:
    if not cfgs:
        raise WorkloadError("give at least one model")
    values = [per_layer_ops(cfg, context) for cfg in cfgs]
    rows = [(label, shapes, formula, *(f"{v[key]:,}" for v in values))
            for key, label, shapes, formula in spec]
    rows.append((total[0], "", total[1], *(f"{v[total[0]]:,}" for v in values)))
    columns = ("op", "shapes", "FLOPs", *(_display(cfg.name) for cfg in cfgs))
    return Table(title, columns, tuple(rows), ("l", "l", "l", *("r" for _ in cfgs)))


def attention_ops_table(cfgs: Sequence[TransformerConfig], context: int) -> Table:
    """Attention of one layer for one decode token at ``context``: each matmul's shapes,
    its FLOPs formula (general GQA form) and its value for each model.

    >>> from ai_workloads.catalog import get_model
    >>> t = attention_ops_table([get_model("llama-2-70b")], 4096)
    >>> t.rows[1], t.rows[-1][-1]
    (('key projection', '[1, D] × [D, K·H]', '2·D·K·H', '16,777,216'), '436,207,616')
    """
    spec = [(key, label, shapes, formula) for key, label, shapes, formula in _ATTENTION_ROWS]
    return _ops_table("Attention FLOPs per layer per decode token", spec,
                      ("attention", "4·D·N·H + 4·D·K·H + 4·N·H·S"), cfgs, context)


def mlp_ops_table(cfgs: Sequence[TransformerConfig]) -> Table:
    """The MLP of one layer for one token: shapes, FLOPs formula and each model's value
    (``k`` routed experts; ``k = 1`` for a dense model; rows a model lacks show 0).

    >>> from ai_workloads.catalog import get_model
    >>> t = mlp_ops_table([get_model("llama-2-7b"), get_model("gpt2")])
    >>> t.rows[1][-2:], t.rows[-1][-2:]
    (('90,177,536', '0'), ('270,532,608', '9,437,184'))
    """
    spec = [(key, label, shapes, formula) for key, label, shapes, formula in _MLP_ROWS]
    return _ops_table("MLP FLOPs per layer per token", spec,
                      ("mlp", "6·D·F·k gated, 4·D·F·k plain (+ 2·D·E)"), cfgs, 1)


def flops_per_token_table(cfgs: Sequence[TransformerConfig], contexts: Sequence[int]) -> Table:
    """Decode FLOPs per token (``flops.decode_flops``: GQA, LM head) and attention's share of
    attention + MLP, beside the notes' formula (layers only, every model as MHA).

    >>> from ai_workloads.catalog import get_model
    >>> flops_per_token_table([get_model("llama-2-70b")], [32768]).rows[0]
    ('Llama 2 70B', '32,768', '223.3', '49.4%', '241.6', '53.3%')
    """
    rows = []
    for cfg in cfgs:
        for context in contexts:
            r = flops_comparison(cfg, cfg.with_mha(), context)  # the notes' comparison
            rows.append((_display(cfg.name), f"{context:,}", f"{r.correct_total / GIGA:,.1f}",
                         pct(r.correct_share), f"{r.notes_total / GIGA:,.1f}",
                         pct(r.notes_share)))
    return Table("Matmul FLOPs per decode token",
                 ("model", "context S", "GFLOP/token", "attention share",
                  "notes' formula, GFLOP", "notes' share"),
                 tuple(rows), ("l", "r", "r", "r", "r", "r"))


def crossover_table(points: Sequence[Crossover]) -> Table:
    """Per model: attention kind, ``N/K``, MLP kind, ``F/D``, both crossovers and the
    context window.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.scaling import crossovers
    >>> crossover_table(crossovers([get_model("mixtral-8x7b")])).rows[0]
    ('Mixtral 8x7B', 'GQA', '4', 'gated, k = 2', '3.50', '37,893', '34,821', '43,013', 'all keys',
     '32,768')
    """
    rows = []
    for p in points:
        mlp = "gated" if p.gated_mlp else "plain"
        if p.experts_per_token > 1:
            mlp += f", k = {p.experts_per_token}"
        rows.append((_display(p.model), p.attention_kind, f"{p.group_size}", mlp,
                     f"{p.ffn_ratio:.2f}", _never(p.with_projections),
                     _never(p.mha_with_projections), _never(p.core_only),
                     p.windows or "all keys", f"{p.max_position:,}"))
    return Table("Contexts at which attention overtakes the MLP",
                 ("model", "attention", "N/K", "MLP", "F/D", "incl. projections",
                  "incl. projections, if MHA", "core only", "keys a layer sees",
                  "context window"),
                 tuple(rows), ("l", "l", "r", "l", "r", "r", "r", "r", "r", "r"))


def _never(context: int | None) -> str:
    return "never" if context is None else f"{context:,}"


def prefill_table(costs: Sequence[PrefillCost]) -> Table:
    """Prefill FLOPs: full score matrix, causal, causal per token, and ``T`` decode steps.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.scaling import prefill_cost
    >>> prefill_table([prefill_cost(get_model("llama-2-7b"), 4096)]).rows[0]
    ('Llama 2 7B', '4,096', '62.92', '58.52', '93.0%', '14.29', '58.52')
    """
    tera = 1e12
    rows = tuple((_display(c.model), f"{c.tokens:,}", f"{c.full / tera:,.2f}",
                  f"{c.causal / tera:,.2f}", pct(c.causal_fraction),
                  f"{c.causal_per_token / GIGA:,.2f}", f"{c.decode_steps / tera:,.2f}")
                 for c in costs)
    return Table("Prefill FLOPs",
                 ("model", "tokens T", "full, TFLOP", "causal, TFLOP", "causal / full",
                  "causal GFLOP/token", "T decode steps, TFLOP"),
                 rows, ("l", "r", "r", "r", "r", "r", "r"))


def training_table(costs: Sequence[TrainingCost]) -> Table:
    """Training FLOPs counted op by op (causal) beside the ``6·N·D`` rule, and their ratio.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.scaling import training_cost
    >>> training_table([training_cost(get_model("gpt-3"), 300 * 10**9, 2048)]).rows[0][3:]
    ('2,048', '3.19 × 10²³', '3.14 × 10²³', '1.014')
    """
    rows = tuple((_display(c.model), f"{c.params:,}", f"{c.tokens:,}", f"{c.seq_len:,}",
                  sci(c.counted, 3), sci(c.rule, 3), f"{c.ratio:.3f}") for c in costs)
    return Table("Training FLOPs",
                 ("model", "parameters N", "tokens", "sequence length", "counted, FLOPs",
                  "6·N·tokens, FLOPs", "counted / rule"),
                 rows, ("l", "r", "r", "r", "r", "r", "r"))


@dataclass(frozen=True, slots=True)
class KeyNumber:
    """One row of a key-numbers table: a computed value, its display format, and what the
    lecture notes print for it (``None``: the notes give no value)."""

    metric: str
    value: float
    unit: str
    spec: str
    notes: str | None = None
    where: str = ""

    @property
    def text(self) -> str:
        """The value as displayed: ``format(value, spec)`` and the unit.

        >>> KeyNumber("bandwidth", 3.35e12 / 1e12, "TB/s", ".2f").text
        '3.35 TB/s'
        """
        return f"{self.value:{self.spec}} {self.unit}".rstrip()


def key_numbers_table(items: Sequence[KeyNumber]) -> Table:
    """The key numbers, computed, beside the notes' values and where each is explained.

    >>> key_numbers_table([KeyNumber("ridge", 295.34, "FLOP/byte", ".0f", "296")]).rows
    (('ridge', '295 FLOP/byte', '296', ''),)
    """
    rows = tuple((k.metric, k.text, k.notes if k.notes is not None else "–", k.where)
                 for k in items)
    return Table("Key numbers", ("quantity", "value", "lecture notes", "see"), rows,
                 ("l", "r", "r", "l"))
