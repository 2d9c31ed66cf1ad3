"""Display units and small conversions (decimal GB vs binary GiB, reading speed).

>>> gb(137953296384), round(gib(137953296384), 3)
(137.953296384, 128.479)
>>> round(reading_tokens_per_s(250), 2)
5.56
"""

from __future__ import annotations

#: English tokens per word for GPT-style BPE tokenizers: "one token is about 3/4 of a word"
#: (OpenAI's tokenizer guidance, https://platform.openai.com/tokenizer).
TOKENS_PER_WORD = 4 / 3


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


def si(value: float, unit: str = "", digits: int = 3) -> str:
    """A number with an SI prefix, for labels: ``si(3.35e12, "B/s") == '3.35 TB/s'``.

    >>> si(3.35e12, "B/s"), si(989.4e12, "FLOP/s"), si(42.0)
    ('3.35 TB/s', '989 TFLOP/s', '42')
    """
    prefixes = ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
    for scale, prefix in prefixes:
        if abs(value) >= scale:
            return f"{value / scale:.{digits}g} {prefix}{unit}".rstrip()
    return f"{value:.{digits}g} {unit}".rstrip()
