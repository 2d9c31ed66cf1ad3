"""Figures and tables of the architectures of 2026: latent attention, windows, recurrent
hybrids, the cache across the catalog, and fine-grained experts.

Functions draw or format results of :mod:`ai_workloads.analysis.modern`; their only
arithmetic is unit scaling for display. A cache is attention's memory, so every cache series
takes the site's attention colour (:data:`CACHE_COLOR`); kinds of layer differ by line style
(:data:`MIXER_STYLES`), kinds of cache by the group a bar stands in, and references (the
same model with every layer full, the expanded MLA form) are black.

>>> from ai_workloads.catalog import get_model
>>> from ai_workloads.analysis.modern import cache_curve
>>> layer_cache_table([cache_curve(get_model("mistral-7b"), [32768])], ["Mistral 7B"]).rows[0]
('Mistral 7B', '32 sliding', 'W = 4,096', '0.54', '4.29', '12.5%')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from ...analysis.by_layer_type import MlaDecode
from ...analysis.modern import (
    CACHE_KINDS,
    CacheCurve,
    CacheRow,
    MlaCache,
    MlaLayerDecode,
    MoeCounts,
)
from ...catalog.entries import ModelEntry
from ...core.errors import WorkloadError
from ...core.units import gb
from ..format import pct
from ..style import CONCEPT_COLORS, OKABE_ITO, label_axes, new_figure
from ..tables import Table

#: The site's colour of attention, which every cache series takes.
CACHE_COLOR: str = CONCEPT_COLORS["attention"]
#: How legends and group headers name the kinds of cache.
KIND_LABELS: dict[str, str] = {
    "MHA": "MHA", "GQA": "GQA", "MQA": "MQA", "MLA": "MLA (latent)",
    "window": "sliding or chunked windows", "hybrid": "recurrent hybrids",
}
#: One line style per kind of layer in the cache figures (all in :data:`CACHE_COLOR`).
MIXER_STYLES: dict[str, Literal["-", "-.", ":"]] = {
    "full": "-", "sliding": "-.", "chunked": "-.", "linear": ":", "mamba": ":"}
_MIXER_LABELS: dict[str, str] = {
    "full": "full-attention layers", "sliding": "sliding or chunked layers",
    "chunked": "sliding or chunked layers", "linear": "recurrent state (fixed)",
    "mamba": "recurrent state (fixed)",
}


def short_name(display: str) -> str:
    """A model's display name without its parenthesized detail, for crowded axes.

    >>> short_name("Llama 4 Scout (17B-16E Instruct)"), short_name("DeepSeek-V3")
    ('Llama 4 Scout', 'DeepSeek-V3')
    """
    return display.split(" (")[0]


def _k_tokens(value: float, _position: object = None) -> str:
    return "0" if value == 0 else f"{value / 1024:.0f}K"


# --------------------------------------------------------------------------- latent attention

def mla_figure(cache: MlaCache, steps: Sequence[MlaDecode], marked: int) -> Figure:
    """Top: values one layer caches per token with MHA and GQA of the same heads and with
    MLA; bottom: one decode token's FLOPs against context, expanded and absorbed, with the
    ratio written at the context ``marked``.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.by_layer_type import mla_decode
    >>> from ai_workloads.analysis.modern import mla_cache
    >>> ds = get_model("deepseek-v3")
    >>> fig = mla_figure(mla_cache(ds), [mla_decode(ds, s) for s in (1024, 4096)], 4096)
    >>> len(fig.axes[0].patches), len(fig.axes[1].lines)
    (3, 3)
    """
    at = [s for s in steps if s.context == marked]
    if not at:
        raise WorkloadError(f"no step at the marked context {marked}")
    fig, (top, bottom) = new_figure(2, 1, figsize=(5.2, 6.6))  # stacked: legible on phones
    names = ["MHA", f"GQA\n({cache.gqa_heads} KV)", "MLA"]
    values = [cache.mha, cache.gqa, cache.latent]
    top.bar(names, values, color=CACHE_COLOR, hatch=[None, "//", "xx"], edgecolor="white",
            linewidth=0.0)
    top.set_yscale("log")
    for i, v in enumerate(values):
        top.text(i, v * 1.25, f"{v:,}", ha="center", va="bottom", fontsize=9.5)
    top.set_ylim(top=max(values) * 6)
    top.grid(axis="x", visible=False)
    label_axes(top, ylabel="values cached per token, one layer",
               title=f"cache, {cache.n_heads} heads")
    contexts = [s.context for s in steps]
    tera = 1e12
    bottom.loglog(contexts, [s.expanded / tera for s in steps], color=OKABE_ITO["black"],
                  linestyle="--", label="expanded: every cached latent up-projected")
    bottom.loglog(contexts, [s.absorbed / tera for s in steps], color=CACHE_COLOR,
                  label="absorbed: up-projection folded into q and output")
    bottom.axvline(marked, color=OKABE_ITO["black"], linestyle=":", linewidth=0.9)
    bottom.annotate(f"{at[0].ratio:.0f}× at S = {marked:,}", (marked, at[0].expanded / tera),
                    xytext=(6, -4), textcoords="offset points", fontsize=9.5, va="top")
    bottom.legend(loc="upper left", fontsize=9)
    label_axes(bottom, xlabel="context S (tokens)", ylabel="TFLOPs per decode token",
               title="decode compute")
    return fig


def mla_layer_table(cache: MlaCache, step: MlaLayerDecode) -> Table:
    """One MLA layer's decode ops that change with the form: the arithmetic with the
    model's sizes written in, and its FLOPs, expanded and absorbed.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.modern import mla_cache, mla_layer_decode
    >>> ds = get_model("deepseek-v3")
    >>> mla_layer_table(mla_cache(ds), mla_layer_decode(ds, 4096)).rows[2]
    ('A·V', '2 · 128 · 4,096 · 128', '134,217,728', '2 · 128 · 4,096 · 512', '536,870,912')
    """
    s, r, n = f"{step.context:,}", f"{cache.kv_rank:,}", f"{cache.n_heads:,}"
    nope, rope, v = f"{cache.nope_dim:,}", f"{cache.rope_dim:,}", f"{cache.v_dim:,}"
    ex, ab = step.expanded, step.absorbed
    rows = (
        ("up-projection", f"2 · {s} · {r} · {n} · ({nope} + {v})", f"{ex['kv_b']:,}",
         f"2 · {r} · {n} · ({nope} + {v})", f"{ab['kv_b']:,}"),
        ("scores", f"2 · {n} · {s} · ({nope} + {rope})", f"{ex['scores']:,}",
         f"2 · {n} · {s} · ({r} + {rope})", f"{ab['scores']:,}"),
        ("A·V", f"2 · {n} · {s} · {v}", f"{ex['attn_v']:,}", f"2 · {n} · {s} · {r}",
         f"{ab['attn_v']:,}"),
        ("together", "", f"{step.expanded_total:,}", "", f"{step.absorbed_total:,}"),
    )
    return Table(f"One MLA layer, one decode token at S = {s}",
                 ("op", "expanded", "FLOPs", "absorbed", "FLOPs"), rows,
                 ("l", "l", "r", "l", "r"))


# --------------------------------------------------------------------------- cache by layer kind

def _pattern(curve: CacheCurve) -> str:
    """``"40 sliding + 8 full"``: the layers of each kind, windowed ones first."""
    order = sorted(curve.layers, key=lambda m: m == "full")
    return " + ".join(f"{curve.layers[m]} {m}" for m in order)


def _parts(ax: Axes, curve: CacheCurve, title: str, max_context: int | None) -> None:
    xs = list(curve.contexts)
    for mixer in sorted(curve.by_mixer, key=lambda m: m == "full"):
        ax.loglog(xs, [gb(v) for v in curve.by_mixer[mixer]], color=CACHE_COLOR,
                  linestyle=MIXER_STYLES[mixer], linewidth=2.4)
    ax.loglog(xs, [gb(v) for v in curve.totals], color=OKABE_ITO["black"], linewidth=1.2)
    ax.loglog(xs, [gb(v) for v in curve.all_full], color=OKABE_ITO["black"], linestyle="--",
              linewidth=1.2)
    if max_context is not None and max_context < xs[-1]:
        ax.axvline(max_context, color=OKABE_ITO["black"], linestyle=":", linewidth=1.0)
        ax.annotate("its context", (max_context, 0.03), xycoords=("data", "axes fraction"),
                    xytext=(-3, 0), textcoords="offset points", fontsize=8.5, ha="right",
                    va="bottom")
    ax.set_xlim(xs[0], xs[-1])
    ax.xaxis.set_major_formatter(FuncFormatter(_k_tokens))
    ax.set_xticks([x for x in (1024, 8192, 65536, 262144) if xs[0] <= x <= xs[-1]])
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda _v, _p: ""))
    label_axes(ax, title=f"{title}\n{_pattern(curve)}")
    ax.title.set_fontsize(10)
    ax.tick_params(labelsize=9.5)


def layer_cache_figure(curves: Sequence[CacheCurve], titles: Sequence[str],
                       max_contexts: Sequence[int | None], ncols: int = 2) -> Figure:
    """Small multiples (log-log): each model's cache of one sequence against context (GB),
    each kind of layer's part in its line style, the whole cache in black, the same model with
    every layer full attention dashed, and a dotted line at the model's own context where
    it is shorter than the axis (``None``: not known).

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.modern import cache_curve
    >>> fig = layer_cache_figure([cache_curve(get_model("gemma-3-12b"), [1024, 65536])],
    ...                          ["Gemma 3 12B"], [131072], ncols=1)
    >>> fig.axes[0].get_title(), len(fig.axes[0].lines)   # two parts, total, all full
    ('Gemma 3 12B\\n40 sliding + 8 full', 4)
    """
    if not curves or not len(curves) == len(titles) == len(max_contexts):
        raise WorkloadError("give one title and one context length per curve")
    nrows = -(-len(curves) // ncols)
    fig, axes = new_figure(nrows, ncols, figsize=(5.6, 0.8 + 2.5 * nrows))
    grid = list(axes.flat) if hasattr(axes, "flat") else [axes]
    for ax, curve, title, longest in zip(grid, curves, titles, max_contexts, strict=False):
        _parts(ax, curve, title, longest)
    for ax in grid[len(curves):]:
        ax.set_visible(False)
    for ax in grid[-ncols:]:
        ax.set_xlabel("context S (tokens)")
    for ax in grid[::ncols]:
        ax.set_ylabel(f"cache, {curves[0].dtype} (GB)")
    mixers = [m for m in _MIXER_LABELS if any(m in c.by_mixer for c in curves)]
    labels = {_MIXER_LABELS[m]: m for m in reversed(mixers)}  # one entry per label
    handles = [Line2D([], [], color=CACHE_COLOR, linestyle=MIXER_STYLES[m], linewidth=2.4,
                      label=label) for label, m in reversed(labels.items())]
    handles += [Line2D([], [], color=OKABE_ITO["black"], linewidth=1.2, label="whole cache"),
                Line2D([], [], color=OKABE_ITO["black"], linestyle="--", linewidth=1.2,
                       label="every layer full attention")]
    fig.legend(handles=handles, loc="outside upper center", ncol=2, fontsize=9.5)
    return fig


def layer_cache_table(curves: Sequence[CacheCurve], names: Sequence[str],
                      at: int = 0) -> Table:
    """Each model's layers, their window, and its cache at the ``at``-th context of its
    curve beside the same model with every layer full attention.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.modern import cache_curve
    >>> t = layer_cache_table([cache_curve(get_model("granite-4.0-h-small"), [32768])], ["G"])
    >>> t.rows[0][:3]
    ('G', '36 mamba + 4 full', 'fixed state')
    """
    if len(curves) != len(names):
        raise WorkloadError(f"{len(curves)} curves but {len(names)} names")
    rows = []
    for curve, name in zip(curves, names, strict=True):
        limits = [f"{'W' if m == 'sliding' else 'C'} = {w:,}"
                  for m, w in curve.windows.items() if w]
        if any(m in ("linear", "mamba") for m in curve.layers):
            limits.append("fixed state")
        rows.append((name, _pattern(curve), ", ".join(limits) or "none",
                     f"{gb(curve.totals[at]):.2f}", f"{gb(curve.all_full[at]):.2f}",
                     pct(curve.shares[at])))
    context = curves[0].contexts[at] if curves else 0
    return Table(f"Cache of one sequence at {context:,} tokens",
                 ("model", "layers", "window or state", "cache (GB)", "all layers full (GB)",
                  "share"),
                 tuple(rows), ("l", "l", "l", "r", "r", "r"))


# --------------------------------------------------------------------------- the catalog

def catalog_cache_figure(rows: Sequence[CacheRow], dtype: str = "bf16") -> Figure:
    """Horizontal bars (log scale): one sequence's cache of each model, grouped by kind of
    cache under a header, largest first in each group; models whose own context is shorter
    than the one shown are hatched.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.modern import catalog_cache
    >>> rows = catalog_cache([(n, get_model(n)) for n in ("deepseek-v3", "llama-2-7b")], 32768)
    >>> fig = catalog_cache_figure(rows)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['llama-2-7b', 'deepseek-v3']
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_fontweight() == "bold"]
    ['MHA', 'MLA (latent)']
    """
    if not rows:
        raise WorkloadError("give at least one model")
    context = rows[0].context
    groups = [(k, [r for r in rows if r.kind == k]) for k in CACHE_KINDS]
    groups = [(k, members) for k, members in groups if members]
    slots = sum(1 + len(members) for _, members in groups)
    fig, ax = new_figure(figsize=(5.6, 1.1 + 0.27 * slots))
    ys: list[int] = []
    shown: list[CacheRow] = []
    y = slots
    heads: list[tuple[str, int]] = []
    for kind, members in groups:
        y -= 1
        heads.append((KIND_LABELS[kind], y))
        for row in sorted(members, key=lambda r: -r.bytes):
            y -= 1
            ys.append(y)
            shown.append(row)
    values = [gb(r.bytes) for r in shown]
    ax.barh(ys, values, height=0.72, color=CACHE_COLOR,
            hatch=["///" if r.beyond_context else None for r in shown], edgecolor="white",
            linewidth=0.0)
    for y_bar, v in zip(ys, values, strict=True):
        ax.text(v * 1.08, y_bar, f"{v:.3g}", va="center", fontsize=9)
    for label, y_head in heads:
        ax.text(0.0, y_head, label, transform=ax.get_yaxis_transform(), ha="left",
                va="center", fontsize=10, fontweight="bold")
    ax.set_xscale("log")
    ax.set_xlim(min(values) / 2, max(values) * 4)
    ax.set_ylim(-0.6, slots - 0.4)
    ax.set_yticks(ys, [r.model for r in shown], fontsize=10)
    ax.grid(axis="y", visible=False)
    if any(r.beyond_context for r in shown):
        ax.legend(handles=[Patch(facecolor=CACHE_COLOR, edgecolor="white", hatch="///",
                                 label="longer than its own context")],
                  loc="lower right", fontsize=9, frameon=True, framealpha=0.95,
                  edgecolor="white")
    label_axes(ax, xlabel=f"cache of one sequence at S = {context:,}, {dtype} (GB, log scale)")
    return fig


# --------------------------------------------------------------------------- experts

def _billions(n: int) -> str:
    return f"{n / 1e9:.2f}B"


def moe_table(entries: Sequence[ModelEntry], counts: Sequence[MoeCounts]) -> Table:
    """Experts, total and active parameters of MoE models, ours beside the vendor's.

    >>> from ai_workloads.catalog import model_entry
    >>> from ai_workloads.analysis.modern import moe_counts
    >>> e = model_entry("deepseek-v3")
    >>> moe_table([e], [moe_counts(e.config)]).rows[0]
    ('DeepSeek-V3', '256', '8', '2,048', '58 of 61', '671.03B', '671B', '37.55B', '37B')
    """
    if len(entries) != len(counts):
        raise WorkloadError(f"{len(entries)} entries but {len(counts)} counts")
    rows = tuple(
        (e.display, f"{c.n_experts:,}", str(c.experts_per_token),
         f"{c.shared_width:,}" if c.shared_width else "none", f"{c.moe_layers} of {c.layers}",
         _billions(c.total),
         e.published_label or (_billions(e.published_params) if e.published_params else ""),
         _billions(c.active),
         e.published_active_label or (_billions(e.published_active_params)
                                      if e.published_active_params else ""))
        for e, c in zip(entries, counts, strict=True))
    return Table("Mixtures of experts: ours and the vendors' counts",
                 ("model", "experts E", "per token k", "shared width", "MoE layers",
                  "total", "published", "active", "published active"),
                 rows, ("l", "r", "r", "r", "r", "r", "r", "r", "r"))
