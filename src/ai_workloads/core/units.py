"""Display units and small conversions (decimal GB vs binary GiB, reading speed).

Turning numbers into text is :mod:`ai_workloads.present.format`'s work; here they stay numbers.

A :class:`Quantity` is a number in a named display unit with the decimals it is given to:
what an analysis hands to the presentation layer when the unit and the precision belong to
the result (a value quoted from a source, say "85.9 GB", and the values set beside it).

>>> gb(137953296384), round(gib(137953296384), 3)
(137.953296384, 128.479)
>>> round(reading_tokens_per_s(250), 2)
5.56
>>> Quantity(85.9, "GB", 1).matches(Quantity(85.899345920, "GB", 1))
True
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import WorkloadError

#: English tokens per word for GPT-style BPE tokenizers: "one token is about 3/4 of a word"
#: (OpenAI's tokenizer guidance, https://platform.openai.com/tokenizer).
TOKENS_PER_WORD = 4 / 3


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number in a display unit (``"GB"``, ``"%"``, ``"B"`` for billions, ``""`` for a
    plain count), with the decimals it is given to.

    The value is already in the unit: ``Quantity(27.4, "%", 1)`` is 27.4 percent.
    """

    value: float
    unit: str = ""
    digits: int = 0

    def rounded(self) -> float:
        """The value rounded to its digits, as it reads.

        >>> Quantity(0.2416, "TFLOPs", 2).rounded()
        0.24
        """
        return round(self.value, self.digits)

    def like(self, value: float, digits: int | None = None) -> Quantity:
        """Another value in this quantity's unit, to its digits (or to ``digits``).

        >>> Quantity(85.9, "GB", 1).like(10.74)
        Quantity(value=10.74, unit='GB', digits=1)
        """
        return Quantity(value, self.unit, self.digits if digits is None else digits)

    def require(self, unit: str) -> Quantity:
        """This quantity, checked to be in ``unit``.

        >>> Quantity(85.9, "GB", 1).require("GiB")
        Traceback (most recent call last):
        ...
        ai_workloads.core.errors.WorkloadError: expected a value in 'GiB', got 85.9 'GB'
        """
        if self.unit != unit:
            raise WorkloadError(f"expected a value in {unit!r}, got {self.value} {self.unit!r}")
        return self

    def matches(self, other: Quantity) -> bool:
        """Whether ``other``, rounded to this quantity's digits, reads the same, in the same
        unit: the test that a recomputed value reproduces a quoted one.

        >>> Quantity(7906, "", 0).matches(Quantity(7906.83, "", 0))
        False
        >>> Quantity(0.7, "%", 1).matches(Quantity(0.6769, "%", 1))
        True
        """
        return self.unit == other.unit and round(other.value, self.digits) == self.rounded()


def gb(n_bytes: float) -> float:
    """Bytes in decimal gigabytes (1 GB = 10⁹ bytes)."""
    return n_bytes / 1e9


def gib(n_bytes: float) -> float:
    """Bytes in binary gibibytes (1 GiB = 2³⁰ bytes)."""
    return n_bytes / 2**30


def reading_tokens_per_s(words_per_minute: float,
                         tokens_per_word: float = TOKENS_PER_WORD) -> float:
    """A reading speed in words per minute, as tokens per second.

    >>> round(reading_tokens_per_s(300, tokens_per_word=1.0), 1)
    5.0
    """
    return words_per_minute * tokens_per_word / 60

