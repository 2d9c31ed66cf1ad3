"""Timing primitives: warm-up, samples, and the median and quartiles of samples.

Timed values are only checked to be positive and finite: speed is never asserted. The
quartiles are checked against :func:`statistics.quantiles` (its "inclusive" method is the
linear interpolation NumPy's percentile uses) and against values worked out by hand.
"""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ai_workloads.core.errors import WorkloadError
from ai_workloads.measure.timing import Spread, calls_per_sample, rate_spread, time_samples


def _positive_finite(value: float) -> bool:
    return math.isfinite(value) and value > 0


def test_time_samples_runs_a_warmup_then_one_call_per_sample() -> None:
    calls: list[int] = []
    samples = time_samples(lambda: calls.append(1), repeats=4, min_seconds=0.0)
    assert len(calls) == 1 + 4
    assert len(samples) == 4
    assert all(_positive_finite(s) for s in samples)


def test_given_calls_skip_the_warmup() -> None:
    calls: list[int] = []
    samples = time_samples(lambda: calls.append(1), repeats=3, calls=2)
    assert (len(calls), len(samples)) == (6, 3)


def test_min_seconds_averages_many_short_calls() -> None:
    calls: list[int] = []
    time_samples(lambda: calls.append(1), repeats=2, min_seconds=1e-3)
    assert len(calls) > 1 + 2   # each sample held more than one call
    assert calls_per_sample(lambda: None, min_seconds=0.0) == 1


def test_bad_repeats_and_calls() -> None:
    with pytest.raises(WorkloadError, match="repeats must be a positive integer"):
        time_samples(lambda: None, repeats=0)
    with pytest.raises(WorkloadError, match="calls must be a positive integer"):
        time_samples(lambda: None, repeats=1, calls=0)


def test_spread_by_hand() -> None:
    # Sorted 1, 2, 3, 4: quartile positions 0.75, 1.5, 2.25 between them.
    assert Spread.of([4.0, 2.0, 1.0, 3.0]) == Spread(2.5, 1.75, 3.25, 4)
    assert Spread.of([5.0]) == Spread(5.0, 5.0, 5.0, 1)
    spread = Spread(10.0, 8.0, 13.0, 7)
    assert (spread.iqr, spread.relative_iqr) == (5.0, 0.5)
    assert spread.scaled(2.0) == Spread(20.0, 16.0, 26.0, 7)
    with pytest.raises(WorkloadError, match="at least one sample"):
        Spread.of([])


@given(st.lists(st.floats(1e-6, 1e6), min_size=2, max_size=40))
def test_spread_agrees_with_the_statistics_module(values: list[float]) -> None:
    spread = Spread.of(values)
    low, median, high = statistics.quantiles(values, n=4, method="inclusive")
    assert spread.median == pytest.approx(statistics.median(values))
    assert spread.median == pytest.approx(median)
    assert (spread.low, spread.high) == (pytest.approx(low), pytest.approx(high))
    assert min(values) <= spread.low <= spread.median <= spread.high <= max(values)
    assert spread.count == len(values)


def test_rate_spread_is_the_spread_of_work_over_each_sample() -> None:
    # 12 units of work in 1, 2, 3 and 6 seconds: rates 12, 6, 4, 2.
    assert rate_spread(12.0, [1.0, 2.0, 3.0, 6.0]) == Spread.of([12.0, 6.0, 4.0, 2.0])
    assert rate_spread(12.0, [1.0, 2.0, 3.0, 6.0]).median == 5.0
