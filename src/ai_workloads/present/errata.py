"""The Errata page's list: every wrong value of the notes, computed and put into words.

This is the one place the errata are assembled: each entry of
``ai_workloads.present.errata_entries`` takes the quoted value from
:mod:`ai_workloads.catalog.notes`, the models and chips from the catalog, hands them to its
analysis (:mod:`ai_workloads.analysis.errata`, :mod:`~ai_workloads.analysis.errata_serving`
and ``errata_variants``) and writes the numbers it gets back into
the page's words. The Errata page, the chapters' "the notes say" and the command's
``ai-workloads errata`` all read :func:`errata`.

Each erratum has a status (:data:`~ai_workloads.analysis.errata.STATUSES`): ``reproduced``
(the package computes the notes' value from its cause), ``consistent`` (nothing to
recompute: typed in or words) or ``unreproducible`` (no cause gives it).

>>> e = erratum("kv-cache-gqa-70b")
>>> e.notes_value, e.reproduced, e.correct, e.status
('85.9 GB', '85.9 GB', '10.7 GB', 'reproduced')
>>> sorted({e.status for e in errata()})
['consistent', 'reproduced', 'unreproducible']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from ..analysis.errata import STATUSES, Reproduction
from ..catalog import get_model, model_entry, notes_quote
from ..core.errors import WorkloadError
from ..core.units import Quantity
from .errata_entries import Entry, entries
from .errata_notes import (
    notes_config,
    notes_crossover_on_grid,
    notes_flops_comparison,
    notes_flops_contexts,
    notes_flops_models,
    notes_kv_comparison,
    quoted,
)
from .format import number, quantity
from .tables import Table

__all__ = ["Erratum", "Repeat", "causes_markdown", "errata", "erratum", "notes_config",
           "notes_crossover_on_grid", "notes_flops_comparison", "notes_flops_contexts",
           "notes_flops_models", "notes_kv_comparison", "notes_kv_table", "quoted", "status_counts",
           "status_table", "statuses"]


@dataclass(frozen=True, slots=True)
class Repeat:
    """Another place the notes print the same wrong value: its section and text."""

    section: str
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Erratum:
    """One wrong value of the notes as the Errata page shows it: where (the notes' section
    heading and the line of their text export), what is claimed, the notes' value, the
    cause, the package's reproduction (``None`` when nothing is recomputed), the right
    value, the status (:data:`~ai_workloads.analysis.errata.STATUSES`), and the other
    places the notes repeat it (``also``). ``numbers`` keeps the analysis's result behind
    the words."""

    key: str
    section: str
    line: int
    claim: str
    notes_value: str
    cause: str
    reproduced: str | None
    correct: str
    status: str
    also: tuple[Repeat, ...]
    numbers: Reproduction

    @property
    def reproduces(self) -> bool:
        """Whether the package's reproduction reads exactly as the notes print it."""
        return self.status == "reproduced"


def _render(entry: Entry) -> Erratum:
    numbers = entry.build()
    fields = {name: quantity(q) for name, q in numbers.facts.items()} | (entry.words or {})

    def values(qs: Sequence[Quantity], template: str | None) -> str:
        texts = [quantity(q) for q in qs]
        return ", ".join(texts) if template is None else template.format(*texts, **fields)

    notes = notes_quote(entry.quote)
    if notes.printed is not None:
        notes_value = notes.printed
    else:
        notes_value = values(numbers.notes, None) if numbers.notes else str(notes.words)
    also = tuple(Repeat(q.section, q.line, q.text) for q in map(notes_quote, entry.also))
    return Erratum(
        key=entry.key, section=notes.section, line=notes.line,
        claim=entry.claim.format(**fields), notes_value=notes_value,
        cause=entry.cause.format(*[quantity(q) for q in numbers.correct], **fields),
        reproduced=values(numbers.reproduced, None) if numbers.reproduced else None,
        correct=values(numbers.correct, entry.correct), status=numbers.status, also=also,
        numbers=numbers)


@cache
def errata() -> tuple[Erratum, ...]:
    """Every erratum, in the order of the notes.

    >>> len(errata()) >= 30, errata()[0].section
    (True, '1. Why Transformers Matter for Hardware')
    """
    return tuple(_render(entry) for entry in entries())


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


# ------------------------------------------------------------------ the page's table and list


def statuses() -> dict[str, str]:
    """Each status an erratum can have, with what it means, as the page explains them.

    >>> list(statuses())
    ['reproduced', 'consistent', 'unreproducible', 'mismatch']
    """
    return dict(STATUSES)


def status_counts() -> dict[str, int]:
    """How many errata have each status (every status listed, zeros included).

    >>> counts = status_counts()
    >>> sum(counts.values()) == len(errata()), counts["mismatch"]
    (True, 0)
    """
    counts = dict.fromkeys(STATUSES, 0)
    for e in errata():
        counts[e.status] += 1
    return counts


def status_table() -> Table:
    """Every erratum: the notes' section, the claim, the notes' value, the package's
    reproduction, the status and the right value.

    >>> t = status_table()
    >>> len(t.rows) == len(errata()), t.columns[-2:]
    (True, ('status', 'correct value'))
    """
    rows = tuple((str(i), e.section, e.claim, e.notes_value, e.reproduced or "–", e.status,
                  e.correct) for i, e in enumerate(errata(), start=1))
    return Table("Errata of the lecture notes",
                 ("#", "section of the notes", "claim", "notes say", "reproduced", "status",
                  "correct value"), rows, ("r", "l", "l", "r", "r", "l", "l"))


def causes_markdown() -> str:
    """A numbered Markdown list: for each erratum, its claim in bold, the cause, its status,
    and where else the notes repeat it. The numbers match :func:`status_table`'s ``#``.

    >>> lines = causes_markdown().splitlines()
    >>> lines[0].startswith("1. **"), len(lines) == len(errata())
    (True, True)
    """
    lines = []
    for i, e in enumerate(errata(), start=1):
        repeats = "; ".join(f"{r.section}, “{r.text}”" for r in e.also)
        also = f" The notes repeat it in {repeats}." if repeats else ""
        lines.append(f"{i}. **{e.claim}**: {e.cause}. Notes: {e.notes_value}; {e.status}; "
                     f"correct: {e.correct}.{also}")
    return "\n".join(lines)


def notes_kv_table() -> Table:
    """The notes' KV-cache table, cell by cell (GB = 10⁹ bytes, FP16, batch 1): quoted,
    reproduced with ``K = N``, and the right value; the last column says where the notes
    are right (a model with ``K = N``) and where a context lies past what the model was
    trained for.

    >>> t = notes_kv_table()
    >>> len(t.rows), t.rows[4][:2], t.rows[4][-1]
    (12, ('Llama 2 70B', '2,048'), '')
    """
    rows = []
    for name, context, r in notes_kv_comparison():
        (notes,), (mine,), (right,) = r.notes, r.reproduced, r.correct
        remarks = ["right: K = N"] if notes.matches(right) else []
        if context > get_model(name).max_position:
            remarks.append(f"past its {get_model(name).max_position:,} positions")
        rows.append((model_entry(name).display, f"{context:,}", number(notes), number(mine),
                     "yes" if r.reproduces else "no", number(right), "; ".join(remarks)))
    return Table("KV cache per sequence: the notes' table and the right values",
                 ("model", "S", "notes: GB", "reproduced", "exact", "correct GB", "note"),
                 tuple(rows), ("l", "r", "r", "r", "l", "r", "l"))
