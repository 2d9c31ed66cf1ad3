"""Timing primitives: warm-up, samples, and the fastest of several rounds.

Timed values are only checked to be positive and finite: speed is never asserted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from ai_workloads.core.errors import WorkloadError
from ai_workloads.measure.matmul import MatmulPoint
from ai_workloads.measure.timing import best_seconds, fastest


def _positive_finite(value: float) -> bool:
    return math.isfinite(value) and value > 0


def test_best_seconds_runs_a_warmup_then_one_call_per_sample() -> None:
    calls: list[int] = []
    seconds = best_seconds(lambda: calls.append(1), repeats=4, min_seconds=0.0)
    assert len(calls) == 1 + 4
    assert _positive_finite(seconds)


def test_best_seconds_rejects_zero_repeats() -> None:
    with pytest.raises(WorkloadError, match="repeats must be a positive integer"):
        best_seconds(lambda: None, repeats=0)


def test_fastest_picks_the_smallest_time() -> None:
    runs = [MatmulPoint("gemm", 8, 8, 8, 3.0, 1), MatmulPoint("gemm", 16, 16, 16, 5.0, 1),
            MatmulPoint("gemm", 8, 8, 8, 1.0, 1), MatmulPoint("gemm", 16, 16, 16, 7.0, 1)]
    assert [(p.size, p.seconds) for p in fastest(runs, lambda p: p.size)] == [
        (8, 1.0), (16, 5.0)]



def test_min_seconds_averages_many_short_calls() -> None:
    calls: list[int] = []
    best_seconds(lambda: calls.append(1), repeats=2, min_seconds=1e-3)
    assert len(calls) > 1 + 2   # each sample held more than one call


@dataclass(frozen=True)
class _Run:
    name: str
    seconds: float


def test_fastest_keeps_first_seen_order_and_ties() -> None:
    runs = [_Run("b", 2.0), _Run("a", 1.0), _Run("b", 2.0), _Run("a", 0.5)]
    kept = fastest(runs, key=lambda r: r.name)
    assert [(r.name, r.seconds) for r in kept] == [("b", 2.0), ("a", 0.5)]
    assert kept[0] is runs[0]   # a tie keeps the earlier result
    assert fastest([], key=lambda r: r) == ()
