"""Display units: decimal GB against binary GiB, reading speed in tokens, SI prefixes."""

from __future__ import annotations

import pytest

from ai_workloads.core.units import TOKENS_PER_WORD, gb, gib, reading_tokens_per_s, si


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


@pytest.mark.parametrize(("value", "unit", "text"), [
    (3.35e12, "B/s", "3.35 TB/s"),
    (989.4e12, "FLOP/s", "989 TFLOP/s"),
    (1.9789e15, "FLOP/s", "1.98 PFLOP/s"),
    (3.8e18, "FLOP", "3.8 EFLOP"),
    (141e9, "B", "141 GB"),
    (2.5e6, "", "2.5 M"),
    (1e3, "B", "1 kB"),
    (42.0, "", "42"),
    (12.0, "s", "12 s"),
    (0.0, "B", "0 B"),
    (-2.5e9, "B", "-2.5 GB"),
])
def test_si_prefixes(value: float, unit: str, text: str) -> None:
    assert si(value, unit) == text


def test_si_digits() -> None:
    assert si(3.35e12, "B/s", digits=2) == "3.4 TB/s"
    assert si(989.4e12, "FLOP/s", digits=4) == "989.4 TFLOP/s"
