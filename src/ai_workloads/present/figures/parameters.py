"""Figures and tables of the parameters of a transformer and of its blocks.

Figures take counts and shares computed by :mod:`ai_workloads.analysis.params` and
:mod:`ai_workloads.analysis.shapes` and only draw them; tables only format them. The
diagram of the block itself is :mod:`ai_workloads.present.figures.block`.

>>> fig = category_pie({"attention": 0.3, "mlp": 0.6, "embedding": 0.1})
>>> len(fig.axes[0].patches)
3
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

from ...analysis.memory import weight_bytes
from ...analysis.params import param_counts
from ...analysis.shapes import (
    ffn_expansion,
    group_shares,
    layer_mlp_share,
    layer_weights,
    mlp_kind,
    model_weights,
    norm_placement,
    stack_totals,
)
from ...analysis.swiglu import FfnRuleCheck
from ...catalog import model_entry
from ...core.config import TransformerConfig
from ...core.errors import WorkloadError
from ...core.units import gb
from ..format import pct
from ..style import CONCEPT_COLORS, OKABE_ITO, label_axes, new_figure
from ..tables import Table

#: One colour per parameter category or group, the same in every figure: the site's
#: concept colours (:data:`ai_workloads.present.palette.CONCEPT_COLORS`).
CATEGORY_COLORS: dict[str, str] = {
    "attention": CONCEPT_COLORS["attention"],
    "mlp": CONCEPT_COLORS["mlp"],
    "router": CONCEPT_COLORS["router"],
    "embedding": CONCEPT_COLORS["embedding"],
    "embeddings": CONCEPT_COLORS["embedding"],
    "lm_head": CONCEPT_COLORS["lm_head"],
    "norms": CONCEPT_COLORS["norms"],
    "other": CONCEPT_COLORS["norms"],
    "pooler": CONCEPT_COLORS["pooler"],
}
#: How categories and groups are named in legends and tables.
CATEGORY_LABELS: dict[str, str] = {
    "attention": "attention",
    "mlp": "MLP",
    "router": "router",
    "embedding": "embedding",
    "embeddings": "embeddings + LM head",
    "lm_head": "LM head",
    "norms": "norms",
    "other": "norms + other",
    "pooler": "pooler",
}


_GREEK = {"γ": "\\gamma", "β": "\\beta"}


def tensor_label(name: str) -> str:
    r"""A weight's name as inline maths for a Markdown cell (``W_gate`` → ``$W_\mathrm{gate}$``).

    One-letter subscripts stay italic, as in the chapters' ``$W_Q$``.

    >>> tensor_label("W_Q"), tensor_label("W_gate"), tensor_label("γ_attn")
    ('$W_Q$', '$W_\\mathrm{gate}$', '$\\gamma_\\mathrm{attn}$')
    """
    base, _, sub = name.partition("_")
    base = _GREEK.get(base, base)
    if not sub:
        return f"${base}$"
    return f"${base}_{sub}$" if len(sub) == 1 else f"${base}_\\mathrm{{{sub}}}$"


def _nowrap(shape: str) -> str:
    """A shape whose spaces do not break, so a table cell keeps it on one line."""
    return shape.replace(" ", "\u00a0")


def _color(key: str) -> str:
    if key not in CATEGORY_COLORS:
        raise WorkloadError(
            f"no colour for category {key!r}; use one of {', '.join(CATEGORY_COLORS)}")
    return CATEGORY_COLORS[key]


# --------------------------------------------------------------------------- charts

def category_pie(shares: Mapping[str, float], title: str = "") -> Figure:
    """A pie of parameter shares by category, each share also given in the legend.

    Zero shares are left out; wedges under 5% carry no label on the pie itself.

    >>> fig = category_pie({"attention": 0.3, "mlp": 0.6, "norms": 0.0, "lm_head": 0.1})
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['attention (30.0%)', 'MLP (60.0%)', 'LM head (10.0%)']
    """
    shown = {k: v for k, v in shares.items() if v > 0}
    if not shown:
        raise WorkloadError("a pie needs at least one positive share")
    fig, ax = new_figure(figsize=(6.4, 3.8))
    wedges, _, autotexts = ax.pie(
        list(shown.values()), colors=[_color(k) for k in shown], startangle=90,
        counterclock=False, autopct=lambda p: f"{p:.1f}%" if p >= 5 else "",
        pctdistance=0.7, wedgeprops={"edgecolor": "white", "linewidth": 1.0},
        textprops={"fontsize": 9.5})
    for text in autotexts:
        text.set_bbox({"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.85,
                       "edgecolor": "none"})
    names = [f"{CATEGORY_LABELS.get(k, k)} "
             f"({pct(v) if v >= 0.001 else f'{100 * v:.2g}%'})" for k, v in shown.items()]
    ax.legend(wedges, names, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=10)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return fig


def share_bars(labels: Sequence[str], shares: Sequence[Mapping[str, float]],
               title: str = "") -> Figure:
    """Horizontal stacked bars: each model's parameter shares by group (each row sums to 1).

    Segments of 6% or more carry their percentage.

    >>> fig = share_bars(["a", "b"], [{"attention": 0.3, "mlp": 0.7},
    ...                                {"attention": 0.5, "mlp": 0.5}])
    >>> len(fig.axes[0].patches)
    4
    """
    if len(labels) != len(shares) or not labels:
        raise WorkloadError(
            f"share_bars needs one share mapping per label, got {len(labels)} labels and "
            f"{len(shares)} mappings")
    groups = list(shares[0])
    fig, ax = new_figure(figsize=(6.4, 0.9 + 0.42 * len(labels)))
    rows = list(range(len(labels)))[::-1]
    left = [0.0] * len(labels)
    for group in groups:
        widths = [100 * s[group] for s in shares]
        bars = ax.barh(rows, widths, left=left, color=_color(group), height=0.68,
                       label=CATEGORY_LABELS.get(group, group), edgecolor="white", lw=0.6)
        ax.bar_label(bars, labels=[f"{w:.0f}%" if w >= 6 else "" for w in widths],
                     label_type="center", fontsize=9.5,
                     color="white" if group in ("attention", "other") else "black")
        left = [a + w for a, w in zip(left, widths, strict=True)]
    ax.set_yticks(rows, list(labels))
    ax.set_xlim(0, 100)
    ax.grid(axis="y", visible=False)
    label_axes(ax, xlabel="share of parameters (%)", title=title)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False,
              fontsize=10)
    return fig


def mlp_share_figure(labels: Sequence[str], model_shares: Sequence[float],
                     layer_shares: Sequence[float], reference: float,
                     reference_label: str = "2/3 rule of thumb") -> Figure:
    """Bars: the MLP's share of each model; dots: its share of one layer; a reference line.

    >>> fig = mlp_share_figure(["a", "b"], [0.6, 0.9], [0.66, 0.92], 2 / 3)
    >>> len(fig.axes[0].patches), len(fig.axes[0].lines)
    (2, 2)
    """
    if not len(labels) == len(model_shares) == len(layer_shares) or not labels:
        raise WorkloadError("mlp_share_figure needs one model share and one layer share "
                            "per label")
    fig, ax = new_figure(figsize=(6.4, 0.9 + 0.3 * len(labels)))
    rows = list(range(len(labels)))[::-1]
    ax.barh(rows, [100 * s for s in model_shares], height=0.62, color=CATEGORY_COLORS["mlp"],
            label="whole model")
    ax.plot([100 * s for s in layer_shares], rows, "D", color=OKABE_ITO["black"], ms=4.5,
            label="one layer", ls="none")
    ax.axvline(100 * reference, color="#555555", ls="--", lw=1.2,
               label=reference_label)
    ax.set_yticks(rows, list(labels))
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.grid(axis="y", visible=False)
    label_axes(ax, xlabel="MLP share of parameters (%)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False,
              fontsize=10)
    return fig


# --------------------------------------------------------------------------- tables

def ffn_rule_table(checks: Sequence[FfnRuleCheck]) -> Table:
    """Llama's SwiGLU size rule, step by step, beside each checkpoint's ``F``.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.swiglu import llama_ffn_checks
    >>> ffn_rule_table(llama_ffn_checks([get_model("llama-2-7b")])).rows[0]
    ('Llama 2 7B', '4,096', '10,922', '–', '10,922', '256', '11,008', '11,008', 'yes')
    """
    rows = []
    for c in checks:
        s = c.sizing
        rows.append((model_entry(c.model).display, f"{s.d_model:,}", f"{s.two_thirds:,}",
                     "–" if s.ffn_dim_multiplier is None else f"{s.ffn_dim_multiplier}",
                     f"{s.scaled:,}", f"{s.multiple_of:,}", f"{s.d_ff:,}",
                     f"{c.catalog_d_ff:,}", "yes" if c.matches else "NO"))
    return Table("SwiGLU hidden size rule",
                 ("model", "D", "⌊8D/3⌋", "multiplier", "scaled", "multiple of",
                  "F by the rule", "F of the checkpoint", "match"),
                 tuple(rows), ("l", "r", "r", "r", "r", "r", "r", "r", "l"))


def _experts(cfg: TransformerConfig) -> str:
    if not cfg.is_moe:
        return "–"
    text = f"{cfg.n_experts}, {cfg.experts_per_token} per token"
    if cfg.shared_d_ff:
        text += ", + shared"
    if cfg.moe_layers is not None and len(cfg.moe_layers) < cfg.n_layers:
        text += f", in {len(cfg.moe_layers)} of {cfg.n_layers} layers"
    return text


def block_catalog_table(cfgs: Sequence[TransformerConfig]) -> Table:
    """Each model's block: norm type and placement, MLP kind, experts, ``F/D``, MLP shares.

    The placement is :func:`~ai_workloads.analysis.shapes.norm_placement`'s; "experts" gives
    the routed experts of an MoE layer and how many a token uses, whether shared experts
    run beside them, and in how many layers the MLP is MoE when not in all.

    >>> from ai_workloads.catalog import get_model
    >>> block_catalog_table([get_model("bert-base")]).rows[0]
    ('BERT-base', 'LayerNorm', 'post', 'GELU', '–', '4.00', '66.6%', '51.8%')
    >>> block_catalog_table([get_model("deepseek-v3")]).rows[0][3:5]
    ('SwiGLU', '256, 8 per token, + shared, in 58 of 61 layers')
    """
    rows = []
    for cfg in cfgs:
        rows.append((model_entry(cfg.name).display,
                     "RMSNorm" if cfg.norm == "rms" else "LayerNorm",
                     norm_placement(cfg), mlp_kind(cfg).split(" MoE")[0], _experts(cfg),
                     f"{ffn_expansion(cfg):.2f}", pct(layer_mlp_share(cfg)),
                     pct(group_shares(cfg)["mlp"])))
    return Table("Transformer blocks of the catalog",
                 ("model", "norm", "placement", "MLP", "experts", "F/D",
                  "MLP share of the layers", "MLP share of the model"),
                 tuple(rows), ("l", "l", "l", "l", "l", "r", "r", "r"))


def config_table(cfg: TransformerConfig) -> Table:
    """A model's configuration: each quantity with its symbol and value.

    >>> from ai_workloads.catalog import get_model
    >>> config_table(get_model("llama-2-7b")).rows[0]
    ('model width (hidden size)', 'D', '4,096')
    """
    rows = (
        ("model width (hidden size)", "D", f"{cfg.d_model:,}"),
        ("layers", "L", f"{cfg.n_layers:,}"),
        ("query heads", "N", f"{cfg.n_heads:,}"),
        ("key/value heads", "K", f"{cfg.n_kv_heads:,}"),
        ("head dimension", "H", f"{cfg.head_dim:,}"),
        ("MLP hidden size", "F", f"{cfg.d_ff:,}"),
        ("vocabulary", "V", f"{cfg.vocab_size:,}"),
        ("context length (positions)", "S max", f"{cfg.max_position:,}"),
        ("attention", "", cfg.attention_kind),
        ("MLP", "", mlp_kind(cfg)),
        ("norm", "", "RMSNorm" if cfg.norm == "rms" else "LayerNorm"),
        ("embeddings tied to the LM head", "", "yes" if cfg.tied_embeddings else "no"),
    )
    return Table(f"{model_entry(cfg.name).display} configuration",
                 ("quantity", "symbol", "value"), rows, ("l", "l", "r"))


def layer_shapes_table(cfgs: Sequence[TransformerConfig]) -> Table:
    """One layer's weights: symbolic shape, then each model's shape and parameter count.

    The models must have the same kinds of weights (e.g. all Llama-style).

    >>> from ai_workloads.catalog import get_model
    >>> t = layer_shapes_table([get_model("llama-2-7b")])
    >>> t.rows[1]   # shapes with no-break spaces
    ('$W_Q$', '[D,\xa0N·H]', '[4,096,\xa04,096]', '16,777,216')
    >>> t.rows[-1]
    ('one layer', '', '', '202,383,360')
    """
    if not cfgs:
        raise WorkloadError("layer_shapes_table needs at least one model")
    per_model = [layer_weights(cfg) for cfg in cfgs]
    names = [[w.name for w in ws] for ws in per_model]
    if any(n != names[0] for n in names):
        raise WorkloadError("these models have different weights; tabulate them separately")
    rows = []
    for i, first in enumerate(per_model[0]):
        row = [tensor_label(first.name), _nowrap(first.symbolic)]
        for ws in per_model:
            row += [_nowrap(ws[i].numeric), f"{ws[i].params:,}"]
        rows.append(tuple(row))
    total = ["one layer", ""]
    for cfg in cfgs:
        total += ["", f"{stack_totals(cfg)['layer']:,}"]
    rows.append(tuple(total))
    columns = ["tensor", "shape"]
    for cfg in cfgs:
        name = model_entry(cfg.name).display
        columns += [f"{name}: shape", f"{name}: parameters"]
    return Table("Weights of one layer", tuple(columns), tuple(rows),
                 ("l", "l", *("r" for _ in range(2 * len(cfgs)))))


def totals_table(cfg: TransformerConfig) -> Table:
    r"""From one layer to the whole model: the layers, each weight outside them, the total.

    The last row is the parameter count the model's publisher reports, when known.

    >>> from ai_workloads.catalog import get_model
    >>> for row in totals_table(get_model("llama-2-7b")).rows: print(row)
    ('one layer', '', '202,383,360')
    ('32 layers', 'L × one layer', '6,476,267,520')
    ('$W_\\mathrm{emb}$', '[V,\xa0D]', '131,072,000')
    ('$\\gamma_\\mathrm{final}$', '[D]', '4,096')
    ('$W_\\mathrm{lm}$', '[D,\xa0V]', '131,072,000')
    ('total', '', '6,738,415,616')
    ('published', '', '6,738,415,616')
    """
    totals = stack_totals(cfg)
    rows = [("one layer", "", f"{totals['layer']:,}"),
            (f"{cfg.n_layers} layers", "L × one layer", f"{totals['layers']:,}")]
    rows += [(tensor_label(w.name), _nowrap(w.symbolic), f"{w.params:,}")
             for w in model_weights(cfg)]
    rows.append(("total", "", f"{totals['total']:,}"))
    published = model_entry(cfg.name).published_params if cfg.name else None
    if published is not None:
        rows.append(("published", "", f"{published:,}"))
    name = model_entry(cfg.name).display if cfg.name else "model"
    return Table(f"{name} parameters, layer by layer", ("part", "shape", "parameters"),
                 tuple(rows), ("l", "l", "r"))


def shape_summary_table(cfgs: Sequence[TransformerConfig]) -> Table:
    """Per model: the dimensions that set its parameter count, and its attention kind.

    ``N/K`` is a ratio, query heads per KV head, as in every table of the site.

    >>> from ai_workloads.catalog import get_model
    >>> shape_summary_table([get_model("llama-2-70b")]).rows[0]
    ('Llama 2 70B', '8,192', '80', '64', '8', '8', '128', '28,672', '32,000', 'GQA')
    """
    rows = tuple((model_entry(c.name).display, f"{c.d_model:,}", f"{c.n_layers}",
                  f"{c.n_heads}", f"{c.n_kv_heads}", f"{c.group_size}", f"{c.head_dim}",
                  f"{c.d_ff:,}", f"{c.vocab_size:,}", c.attention_kind) for c in cfgs)
    return Table("Model dimensions",
                 ("model", "D", "L", "N", "K", "N/K", "H", "F", "V", "attention"),
                 rows, ("l", "r", "r", "r", "r", "r", "r", "r", "r", "l"))


def breakdown_table(cfgs: Sequence[TransformerConfig]) -> Table:
    """Per model: computed and published totals, shares by group, FP16 and INT8 weights
    (INT8 with its scales, norms and embeddings in bf16, by
    :func:`~ai_workloads.analysis.memory.weight_bytes`).

    >>> from ai_workloads.catalog import get_model
    >>> breakdown_table([get_model("llama-2-7b")]).rows[0]
    ('Llama 2 7B', '6,738,415,616', '6,738,415,616', '31.9%', '64.2%', '3.9%', '13.48', '7.00')
    """
    rows = []
    for cfg in cfgs:
        entry = model_entry(cfg.name)
        shares = group_shares(cfg)
        published = (f"{entry.published_params:,}" if entry.published_params
                     else entry.published_label or "–")
        rows.append((entry.display, f"{param_counts(cfg).total:,}", published,
                     pct(shares["attention"]), pct(shares["mlp"]),
                     pct(shares["embeddings"]), f"{gb(weight_bytes(cfg, 'fp16')):.2f}",
                     f"{gb(weight_bytes(cfg, 'int8')):.2f}"))
    return Table("Parameter breakdown",
                 ("model", "parameters (computed)", "published", "attention", "MLP",
                  "embeddings + head", "FP16 GB", "INT8 GB"),
                 tuple(rows), ("l", "r", "r", "r", "r", "r", "r", "r"))
