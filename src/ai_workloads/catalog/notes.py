"""The lecture notes' values, quoted: what the notes print or use, where, and in which unit.

``data/notes.json`` holds every value of the notes that the site quotes (the errata, the
chapters' "the notes say" and the key-numbers table), each with the notes' numbered section
heading, the line of the text export it stands on and the text around it, so that a test
can find each one in the notes themselves. It also holds the notes' own configurations of the
four Llama models. This module reads and checks that file; it computes nothing but the
value of a fraction the notes write as n/d.

>>> notes_quote("kv-cache/llama-2-70b").quantity()
Quantity(value=85.9, unit='GB', digits=1)
>>> notes_quote("roofline-batch-32").quantity("batch").value
32
>>> notes_model("llama-3.1-405b").config["vocab_size"]
128000
>>> q = notes_quote("ffn-share")          # the notes write it as a fraction
>>> q.printed, round(q.quantity().value, 2), q.section
('2/3', 66.67, '3. Transformer Block Architecture')
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from ..core.errors import WorkloadError
from ..core.units import Quantity


@dataclass(frozen=True, slots=True)
class NotesQuote:
    """One quoted value (or phrase) of the notes.

    ``heading`` is the notes' numbered section it sits in, as the notes title it; ``line``
    and ``text`` where it stands in the text export (whitespace collapsed), ``row`` the label
    of the table row the text follows, when in a table. ``values`` are the numbers, each a
    :class:`~ai_workloads.core.units.Quantity` in the unit the site shows it in and to the
    digits the notes print; ``names`` names them when there are several. ``words`` is a
    quoted word or phrase, ``printed`` how the notes write a value that is not a plain
    number (``"2/3"``, ``">10K"``), ``approx`` marks a value the notes print with a tilde,
    ``derived`` says how the notes' code fills in a value that the text export does not show.
    """

    key: str
    heading: str
    line: int
    where: str
    text: str
    values: tuple[Quantity, ...]
    names: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    words: str | None = None
    approx: bool = False
    row: str | None = None
    derived: str | None = None
    printed: str | None = None

    @property
    def section(self) -> str:
        """The section the quote sits in, as the notes head it.

        >>> notes_quote("batch-plot-max").section
        '6. Memory Requirements and the Memory Wall'
        """
        return self.heading

    def quantity(self, name: str | None = None) -> Quantity:
        """The quoted number: the only one, or the one called ``name``.

        >>> notes_quote("h100-nvl").quantity("bandwidth")
        Quantity(value=7.8, unit='TB/s', digits=1)
        >>> notes_quote("h100-nvl").quantity()
        Traceback (most recent call last):
        ...
        ai_workloads.core.errors.WorkloadError: notes quote 'h100-nvl' holds 2 values; name one ...
        """
        if name is None:
            if len(self.values) != 1:
                raise WorkloadError(
                    f"notes quote {self.key!r} holds {len(self.values)} values; name one of "
                    f"{', '.join(self.names) or '(none)'}")
            return self.values[0]
        if name not in self.names:
            raise WorkloadError(f"notes quote {self.key!r} has no value {name!r}; "
                                f"it has {', '.join(self.names) or 'no named values'}")
        return self.values[self.names[name]]


@dataclass(frozen=True, slots=True)
class NotesModel:
    """A model as the notes configure it: their name for it, the catalog model it is, and
    the fields they give (``d_model``, ``n_layers``, ``n_heads``, ``d_ff``, ``vocab_size``)."""

    name: str
    catalog: str
    line: int
    config: Mapping[str, int]


def _load() -> Any:
    text = resources.files("ai_workloads.catalog").joinpath("data", "notes.json").read_text()
    return json.loads(text)


def _fraction(raw: Any, unit: str, where: str) -> float:
    """A value the notes write as ``n/d``, in ``unit`` (a percentage when ``unit`` is ``%``)."""
    if (not isinstance(raw, list) or len(raw) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in raw) or raw[1] <= 0):
        raise WorkloadError(f"{where}: fraction must be [numerator, denominator], got {raw!r}")
    numerator, denominator = int(raw[0]), int(raw[1])
    return (100 if unit == "%" else 1) * numerator / denominator


def _quantity(raw: Mapping[str, Any], where: str) -> Quantity:
    value, digits = raw.get("value"), raw.get("digits", 0)
    if "fraction" in raw:
        value = _fraction(raw["fraction"], str(raw.get("unit", "")), where)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WorkloadError(f"{where}: value must be a number, got {value!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 0:
        raise WorkloadError(f"{where}: digits must be a whole number >= 0, got {digits!r}")
    return Quantity(value, str(raw.get("unit", "")), digits)


def _quote(raw: Mapping[str, Any]) -> NotesQuote:
    key = raw["key"]
    values = tuple(_quantity(v, f"notes:{key}") for v in raw.get("values", ()))
    names = {v["name"]: i for i, v in enumerate(raw.get("values", ())) if "name" in v}
    if not values and raw.get("words") is None:
        raise WorkloadError(f"notes:{key}: a quote needs values or words")
    return NotesQuote(key=key, heading=raw["heading"], line=int(raw["line"]),
                      where=raw["where"], text=raw["text"], values=values,
                      names=MappingProxyType(names), words=raw.get("words"),
                      approx=bool(raw.get("approx", False)), row=raw.get("row"),
                      derived=raw.get("derived"), printed=raw.get("printed"))


@cache
def _quotes() -> dict[str, NotesQuote]:
    found: dict[str, NotesQuote] = {}
    for raw in _load()["quotes"]:
        item = _quote(raw)
        if item.key in found:
            raise WorkloadError(f"notes: quote {item.key!r} appears twice")
        found[item.key] = item
    return found


@cache
def _models() -> dict[str, NotesModel]:
    return {raw["catalog"]: NotesModel(raw["name"], raw["catalog"], int(raw["line"]),
                                       MappingProxyType(dict(raw["config"])))
            for raw in _load()["models"]}


def notes_source() -> str:
    """What the quoted notes are, and where their line numbers come from.

    >>> notes_source().startswith("Lecture 13: AI Workloads & Dataflow")
    True
    """
    return str(_load()["source"])


def notes_quotes() -> tuple[NotesQuote, ...]:
    """Every quoted value, in the order of the notes' sections.

    >>> len(notes_quotes()) > 50, notes_quotes()[0].key
    (True, 'moore-label')
    """
    return tuple(_quotes().values())


def notes_quote(key: str) -> NotesQuote:
    """One quoted value by key.

    >>> q = notes_quote("crossover/llama-2-7b")
    >>> q.text, q.approx, q.line
    ('attention dominates when sequence length > ~7,906', True, 602)
    >>> notes_quote("flops-per-token/llama-9/512")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: no notes quote 'flops-per-token/llama-9/512'
    """
    try:
        return _quotes()[key]
    except KeyError:
        raise WorkloadError(f"no notes quote {key!r}") from None


def notes_models() -> tuple[NotesModel, ...]:
    """The models the notes configure, in their order.

    >>> [m.catalog for m in notes_models()]
    ['llama-2-7b', 'llama-2-13b', 'llama-2-70b', 'llama-3.1-405b']
    """
    return tuple(_models().values())


def notes_model(catalog_name: str) -> NotesModel:
    """The notes' configuration of a catalog model.

    >>> notes_model("llama-2-70b").name, notes_model("llama-2-70b").config["n_heads"]
    ('Llama 2 70B', 64)
    >>> notes_model("gpt2")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: the notes configure no model 'gpt2'; they have ...
    """
    try:
        return _models()[catalog_name]
    except KeyError:
        raise WorkloadError(f"the notes configure no model {catalog_name!r}; they have "
                            f"{', '.join(_models())}") from None
