"""Tables: rows of already-formatted cells, rendered as text, Markdown or HTML.

Table builders take results from the analysis modules and only format them; they do no
arithmetic of their own beyond unit conversion for display.

>>> from ai_workloads.catalog import get_model
>>> print(params_table(get_model("gpt2")).to_text())
GPT-2 (124M) parameters (gpt2)
component         count   share
----------  -----------  ------
embedding    38,597,376   31.0%
positions       786,432    0.6%
attn_norm        18,432    0.0%
q             7,087,104    5.7%
k             7,087,104    5.7%
v             7,087,104    5.7%
o             7,087,104    5.7%
mlp_norm         18,432    0.0%
up           28,348,416   22.8%
down         28,320,768   22.8%
final_norm        1,536    0.0%
total       124,439,808  100.0%
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..analysis.params import param_counts
from ..catalog import accelerator_names, get_accelerator, model_entry, model_names
from ..core.accelerator import Accelerator
from ..core.config import TransformerConfig
from ..core.units import gib
from .format import gigabytes, pct


@dataclass(frozen=True, slots=True)
class Table:
    """A titled table of string cells; ``align`` has one of 'l' or 'r' per column.

    >>> t = Table("Demo", ("name", "n"), (("a", "1"), ("bb", "22")), ("l", "r"))
    >>> print(t.to_text())
    Demo
    name   n
    ----  --
    a      1
    bb    22
    >>> print(t.to_markdown())
    | name | n |
    | :-- | --: |
    | a | 1 |
    | bb | 22 |
    >>> t.to_html().startswith('<table class="table aiw-table"><thead><tr><th')
    True
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def _alignments(self) -> tuple[str, ...]:
        return self.align or tuple("l" for _ in self.columns)

    def to_text(self) -> str:
        """Fixed-width text, for the terminal."""
        widths = [max(len(c), *(len(r[i]) for r in self.rows)) if self.rows else len(c)
                  for i, c in enumerate(self.columns)]

        def line(cells: Sequence[str]) -> str:
            parts = []
            for cell, width, how in zip(cells, widths, self._alignments(), strict=True):
                parts.append(cell.rjust(width) if how == "r" else cell.ljust(width))
            return "  ".join(parts).rstrip()

        out = [self.title, line(self.columns), "  ".join("-" * w for w in widths)]
        out += [line(r) for r in self.rows]
        out += list(self.notes)
        return "\n".join(out)

    def to_markdown(self) -> str:
        """A GitHub/MyST pipe table (no title)."""
        marks = {"l": ":--", "r": "--:"}
        head = "| " + " | ".join(self.columns) + " |"
        rule = "| " + " | ".join(marks[a] for a in self._alignments()) + " |"
        body = ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in self.rows]
        return "\n".join([head, rule, *body])

    def to_html(self) -> str:
        """An HTML table with a header row (no title; the page gives the caption)."""
        style = {"l": "left", "r": "right"}
        aligns = self._alignments()
        head = "".join(f'<th style="text-align:{style[a]}">{html.escape(c)}</th>'
                       for c, a in zip(self.columns, aligns, strict=True))
        body = "".join(
            "<tr>" + "".join(f'<td style="text-align:{style[a]}">{html.escape(c)}</td>'
                             for c, a in zip(r, aligns, strict=True)) + "</tr>"
            for r in self.rows)
        return (f'<table class="table aiw-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>")

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def params_table(cfg: TransformerConfig) -> Table:
    """Every component's parameter count and share, with the total.

    >>> from ai_workloads.catalog import get_model
    >>> params_table(get_model("mixtral-8x7b")).rows[-1]
    ('active per token', '12,879,925,248', '27.6%')
    """
    counts = param_counts(cfg)
    total = counts.total
    rows = [(name, f"{n:,}", pct(n / total))
            for name, n in counts.by_component().items() if n]
    rows.append(("total", f"{total:,}", "100.0%"))
    if cfg.is_moe:
        rows.append(("active per token", f"{counts.active:,}", pct(counts.active / total)))
    title = cfg.name
    try:
        title = f"{model_entry(cfg.name).display} parameters ({cfg.name})"
    except ValueError:
        title = f"{cfg.name} parameters"
    return Table(title, ("component", "count", "share"), tuple(rows), ("l", "r", "r"))


def models_table() -> Table:
    """The catalog's models: shape, attention kind and published parameter count.

    >>> models_table().rows[0][:3]
    ('gpt2', 'GPT-2 (124M)', 'gpt2')
    """
    rows = []
    for name in model_names():
        entry = model_entry(name)
        c = entry.config
        published = (f"{entry.published_params:,}" if entry.published_params
                     else entry.published_label or "")
        rows.append((name, entry.display, c.family, f"{c.d_model:,}", str(c.n_layers),
                     str(c.n_heads), str(c.n_kv_heads), str(c.head_dim), f"{c.d_ff:,}",
                     f"{c.vocab_size:,}", c.attention_kind, published))
    return Table("Catalog models",
                 ("name", "model", "family", "D", "L", "N", "K", "H", "F", "V", "attention",
                  "published params"),
                 tuple(rows), ("l", "l", "l", "r", "r", "r", "r", "r", "r", "r", "l", "r"))


def hardware_table(chips: Sequence[Accelerator] | None = None,
                   dtype: str = "bf16") -> Table:
    """Accelerators: dense peak for ``dtype``, bandwidth, memory (nominal, and usable where
    sourced), ridge point, scale-up bandwidth and board power ('–': not given).

    The fit answers count on the usable memory where it is given, else on the nominal one.

    >>> hardware_table(dtype="bf16").rows[1]
    ('h100-sxm', 'NVIDIA H100 SXM', '989.4', '3.35', '80 GiB', '79.65 GiB', '295', '900', '700')
    """
    from ..analysis.roofline import ridge_point

    chips = list(chips) if chips is not None else [get_accelerator(n)
                                                   for n in accelerator_names()]
    rows = []
    for chip in chips:
        has = dtype in chip.peak_flops
        rows.append((chip.name, chip.display,
                     f"{chip.peak(dtype) / 1e12:,.1f}" if has else "–",
                     f"{chip.bandwidth / 1e12:.2f}", chip.capacity_label, usable_cell(chip),
                     f"{ridge_point(chip, dtype):,.0f}" if has else "–",
                     f"{chip.interconnect / 1e9:,.0f}" if chip.interconnect else "–",
                     f"{chip.power_w:,.0f}" if chip.power_w else "–"))
    return Table(f"Accelerators ({dtype} dense peaks)",
                 ("name", "chip", f"{dtype} TFLOP/s", "TB/s", "memory", "usable",
                  "ridge FLOP/B", "link GB/s", "W"),
                 tuple(rows), ("l", "l", "r", "r", "r", "r", "r", "r", "r"),
                 ("memory: nominal HBM (binary); usable: the device total a driver reports, "
                  "where sourced; fits count on usable, else nominal. link: scale-up "
                  "bandwidth, both directions together.",))


def usable_cell(chip: Accelerator) -> str:
    """The usable memory of ``chip`` in GiB, to two decimals ('–' where not sourced).

    >>> from ai_workloads.catalog import get_accelerator
    >>> usable_cell(get_accelerator("h100-sxm")), usable_cell(get_accelerator("tpu-v4"))
    ('79.65 GiB', '–')
    """
    return "–" if chip.usable_bytes is None else f"{gib(chip.usable_bytes):,.2f} GiB"


def capacity_table(chips: Sequence[Accelerator] | None = None) -> Table:
    """Each chip's memory: the sheet's wording, nominal bytes, usable bytes where sourced, and
    which of the two the fit answers count on, with the page the usable figure comes from.

    >>> capacity_table().rows[1][2:5]
    ('85,899,345,920 (80 GiB)', '85,520,809,984 (79.65 GiB)', 'usable')
    """
    chips = list(chips) if chips is not None else [get_accelerator(n)
                                                   for n in accelerator_names()]
    rows = []
    for chip in chips:
        usable = ("–" if chip.usable_bytes is None
                  else f"{chip.usable_bytes:,} ({usable_cell(chip)})")
        source = chip.sources.get("usable_bytes")
        rows.append((chip.display, chip.printed_capacity or "–",
                     f"{chip.capacity_bytes:,} ({chip.capacity_label})", usable, chip.fit_basis,
                     f"[driver total]({source})" if source else "–"))
    return Table("Memory capacity", ("chip", "sheet says", "nominal bytes", "usable bytes",
                                     "fits use", "usable from"),
                 tuple(rows), ("l", "l", "r", "r", "l", "l"))


def bytes_cell(n_bytes: float) -> str:
    """Bytes for a table cell: exact count and decimal GB.

    >>> bytes_cell(10737418240)
    '10,737,418,240 (10.74 GB)'
    """
    return f"{round(n_bytes):,} ({gigabytes(n_bytes, 2)})"
