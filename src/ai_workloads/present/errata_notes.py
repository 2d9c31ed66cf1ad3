"""The lecture notes wired to the catalog: their models as their formulas see them, their
quoted values as they print them, and their FLOPs-per-token and KV-cache tables cell by cell.

The Errata page's entries (``ai_workloads.present.errata_entries``) and chapters read the
notes through these.

>>> quoted("kv-cache/llama-2-70b"), notes_config("llama-2-70b").n_kv_heads
('85.9 GB', 64)
"""

from __future__ import annotations

from collections.abc import Sequence

from ..analysis import errata as ea
from ..analysis import errata_serving as es
from ..analysis.errata import FlopsComparison, Reproduction, flops_comparison
from ..catalog import get_model, notes_model, notes_models, notes_quote, notes_quotes
from ..core.config import TransformerConfig
from .format import quantity


def notes_config(name: str) -> TransformerConfig:
    """A catalog model as the notes' formulas see it: ``K = N``, and the notes' own fields
    (Llama 3 405B's vocabulary rounded to 128,000).

    >>> notes_config("llama-2-70b").n_kv_heads, notes_config("llama-3.1-405b").vocab_size
    (64, 128000)
    """
    return ea.notes_config(get_model(name), notes_model(name).config)


def notes_grid(key: str) -> tuple[float, float, int]:
    """A log-spaced grid of the notes' code: low exponent, high exponent, points.

    >>> notes_grid("crossover-grid")
    (2, 5, 50)
    """
    q = notes_quote(key)
    return (q.quantity("low_exponent").value, q.quantity("high_exponent").value,
            int(q.quantity("points").value))


def notes_crossover_on_grid() -> int:
    """Llama 2 7B's crossover as the notes find it, on their grid.

    >>> notes_crossover_on_grid()
    7906
    """
    return ea.crossover_on_grid(get_model("llama-2-7b"), *notes_grid("crossover-grid"))


def quoted(key: str, name: str | None = None) -> str:
    """A quoted value as the notes print it, tilde included.

    >>> quoted("summary/tokens"), quoted("h100-nvl", "bandwidth"), quoted("latency")
    ('~24 tokens/s', '7.8 TB/s', 'lower')
    >>> quoted("ffn-share"), quoted("attention-dominates")
    ('~2/3', '>10K')
    """
    q = notes_quote(key)
    if q.printed is not None and name is None:
        text = q.printed
    else:
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


def notes_kv_comparison() -> list[tuple[str, int, Reproduction]]:
    """Every cell of the notes' KV-cache table (FP16, batch 1): model, context, and the
    notes' value reproduced with ``K = N`` beside the model's real cache.

    >>> cells = notes_kv_comparison()
    >>> len(cells), cells[0][:2], all(r.reproduces for _, _, r in cells)
    (12, ('llama-2-7b', 2048), True)
    """
    contexts = [int(q.value) for q in notes_quote("kv-table-contexts").values]
    rows = [q for q in notes_quotes() if q.key.startswith("kv-table/")]
    return [(name, context, es.kv_cache_reproduction(get_model(name), notes_config(name),
                                                     context, row.quantity(str(context))))
            for row in rows for name in [row.key.removeprefix("kv-table/")]
            for context in contexts]


