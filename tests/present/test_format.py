"""Number formatting: each rule against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from ai_workloads.core.errors import WorkloadError
from ai_workloads.core.units import Quantity
from ai_workloads.present.format import (
    gigabytes,
    pct,
    quantity,
    sci,
    short_count,
    si,
    thousands,
)


@pytest.mark.parametrize(("share", "digits", "text"), [
    (0.345, 1, "34.5%"),
    (0.0, 1, "0.0%"),
    (1.0, 1, "100.0%"),
    (0.0067, 2, "0.67%"),
    (2 / 3, 0, "67%"),
    (1.5, 1, "150.0%"),            # a share may exceed the whole (a ratio)
])
def test_pct(share: float, digits: int, text: str) -> None:
    assert pct(share, digits) == text


@pytest.mark.parametrize(("value", "digits", "text"), [
    (48_900.0, 2, "4.9 × 10⁴"),         # the fitted growth of chapter 1's span
    (3.14e23, 2, "3.1 × 10²³"),          # GPT-3's 6·N·D
    (3.8e25, 1, "4 × 10²⁵"),
    (1e22, 2, "10²²"),                   # a mantissa of 1 is left out
    (9.99e5, 2, "10⁶"),                  # 9.99 rounds up to 10.0: the exponent moves
    (2.5e-3, 2, "2.5 × 10⁻³"),          # negative exponents
    (1.0, 3, "10⁰"),
    (123_456.0, 3, "1.23 × 10⁵"),
])
def test_sci_reads_as_a_power_of_ten(value: float, digits: int, text: str) -> None:
    assert sci(value, digits) == text


def test_sci_uses_a_real_times_sign_and_superscripts() -> None:
    text = sci(48_900.0)
    assert "e+" not in text
    assert "×" in text
    assert "x" not in text
    assert text.endswith("10⁴")


@pytest.mark.parametrize("value", [0.0, -1.0, math.inf, math.nan])
def test_sci_refuses_what_it_cannot_show(value: float) -> None:
    with pytest.raises(WorkloadError):
        sci(value)


def test_thousands_separators_and_tick_formatter_signature() -> None:
    assert thousands(32768) == "32,768"
    assert thousands(999.4) == "999"
    assert thousands(1_000_000, 3) == "1,000,000"   # matplotlib passes a tick position


def test_gigabytes_are_decimal() -> None:
    # Llama 2 70B's KV cache at 32,768 tokens if every head kept keys and values:
    # 2 · 80 · 64 · 128 · 32,768 · 2 bytes = 85,899,345,920 bytes.
    assert gigabytes(85_899_345_920) == "85.9 GB"
    assert gigabytes(85_899_345_920, 2) == "85.90 GB"
    assert gigabytes(153 * 10**9 + 4 * 10**8, 0) == "153 GB"
    assert gigabytes(2**30) == "1.1 GB"            # a GiB is 1.07 GB
    assert gigabytes(1234 * 10**9, 0, grouped=True) == "1,234 GB"


def test_short_count() -> None:
    assert short_count(1_557_611_200) == "1.56B"    # GPT-2 XL
    assert short_count(300 * 10**9) == "300B"
    assert short_count(15.6e12) == "15.6T"
    assert short_count(1.8e12) == "1.8T"


@pytest.mark.parametrize(("q", "text"), [
    (Quantity(78.38, "B", 1), "78.4B"),              # billions: no space
    (Quantity(27.44, "%", 1), "27.4%"),
    (Quantity(32, "K", 0), "32K"),
    (Quantity(4, "x", 0), "4x"),
    (Quantity(1.414, "x per year", 2), "1.41x per year"),
    (Quantity(85.899, "GB", 1), "85.9 GB"),          # a unit of its own: a space
    (Quantity(0.2416, "TFLOPs", 2), "0.24 TFLOPs"),
    (Quantity(7906, "", 0), "7,906"),
    (Quantity(1.0, "FLOP/byte", 0), "1 FLOP/byte"),
    (Quantity(5.5555, "tokens/s", 1), "5.6 tokens/s"),
])
def test_quantity(q: Quantity, text: str) -> None:
    assert quantity(q) == text


def test_quantity_without_grouping_for_years() -> None:
    assert quantity(Quantity(2024, "", 0), grouped=False) == "2024"
    assert quantity(Quantity(2024, "", 0)) == "2,024"


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
