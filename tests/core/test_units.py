"""Display units: decimal GB against binary GiB, reading speed in tokens, quantities."""

from __future__ import annotations

import pytest

from ai_workloads.core.units import TOKENS_PER_WORD, Quantity, gb, gib, reading_tokens_per_s


def test_gigabytes_are_decimal() -> None:
    assert gb(10**9) == 1.0
    assert gb(80 * 10**9) == 80.0
    assert gb(2**30) == 1.073741824


def test_gibibytes_are_binary() -> None:
    assert gib(2**30) == 1.0
    assert gib(80 * 2**30) == 80.0
    assert gib(10**9) == pytest.approx(0.931322574615478515625)


def test_an_80_gib_card_is_85_9_decimal_gigabytes() -> None:
    assert gb(80 * 2**30) == 85.89934592


def test_a_token_is_three_quarters_of_a_word() -> None:
    assert TOKENS_PER_WORD == 4 / 3


def test_reading_speed_in_tokens_per_second() -> None:
    # 300 words/min · 4/3 tokens/word / 60 s/min = 400 / 60 tokens/s.
    assert reading_tokens_per_s(300) == pytest.approx(400 / 60)
    assert reading_tokens_per_s(240) == pytest.approx(320 / 60)
    assert reading_tokens_per_s(300, tokens_per_word=1.0) == 5.0


def test_quantity_matches_at_the_quoted_precision() -> None:
    # The notes print 85.9 GB for 85,899,345,920 bytes; 10.7 GB is another value.
    quoted = Quantity(85.9, "GB", 1)
    assert quoted.matches(Quantity(85.899345920, "GB", 1))
    assert not quoted.matches(Quantity(10.737418240, "GB", 1))
    assert not quoted.matches(Quantity(85.9, "GiB", 1))     # same digits, other unit
    # 7,906.83 reads 7,907: a whole-number quotation is matched only by a rounding to it.
    assert not Quantity(7906, "", 0).matches(Quantity(7906.83))
    assert Quantity(0.24, "TFLOPs", 2).rounded() == 0.24
