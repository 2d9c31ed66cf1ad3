"""Timing primitives: timed samples of a call, and the median and quartiles of many samples.

Every measurement of this layer times its work with :func:`time_samples` (an untimed
warm-up call, then ``repeats`` timed samples) and reports the samples' :class:`Spread`: the
median, which one disturbed sample cannot move far, and the first and third quartiles,
whose distance (the interquartile range) says how steady the machine was.

>>> len(time_samples(lambda: sorted(range(1000)), repeats=3))
3
>>> Spread.of([4.0, 1.0, 3.0, 2.0, 5.0])
Spread(median=3.0, low=2.0, high=4.0, count=5)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import WorkloadError, positive_int


def calls_per_sample(fn: Callable[[], object], min_seconds: float = 0.0) -> int:
    """Call ``fn`` once, untimed as a sample (it warms caches), and say how many calls
    one sample needs to last at least ``min_seconds`` (a short call is averaged over many).

    >>> calls_per_sample(lambda: None, min_seconds=0.0)
    1
    """
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-9)
    return max(1, math.ceil(min_seconds / once))


def time_samples(fn: Callable[[], object], repeats: int = 3, min_seconds: float = 0.0,
                 calls: int | None = None) -> tuple[float, ...]:
    """Seconds of one call of ``fn``, once per timed sample: ``repeats`` values.

    Unless ``calls`` (calls per sample) is given, a first, untimed call warms caches and
    decides it (:func:`calls_per_sample`).

    >>> samples = time_samples(lambda: sum(range(1000)), repeats=4)
    >>> len(samples), all(s > 0 for s in samples)
    (4, True)
    """
    positive_int("repeats", repeats)
    if calls is None:
        calls = calls_per_sample(fn, min_seconds)
    positive_int("calls", calls)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append(max(time.perf_counter() - start, 1e-9) / calls)
    return tuple(samples)


@dataclass(frozen=True, slots=True)
class Spread:
    """The median of ``count`` samples and their first (``low``) and third (``high``) quartiles.

    Quartiles are interpolated linearly between the sorted samples (NumPy's default
    percentile, the "inclusive" method of ``statistics.quantiles``).
    """

    median: float
    low: float
    high: float
    count: int

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        """The spread of ``values`` (at least one).

        >>> Spread.of([10.0, 30.0, 20.0, 40.0])
        Spread(median=25.0, low=17.5, high=32.5, count=4)
        >>> Spread.of([7.0])
        Spread(median=7.0, low=7.0, high=7.0, count=1)
        """
        data = np.asarray(list(values), dtype=np.float64)
        if data.size == 0:
            raise WorkloadError("a spread needs at least one sample")
        low, median, high = np.percentile(data, [25.0, 50.0, 75.0])
        return cls(float(median), float(low), float(high), int(data.size))

    @property
    def iqr(self) -> float:
        """The interquartile range, ``high - low``.

        >>> Spread(25.0, 17.5, 32.5, 4).iqr
        15.0
        """
        return self.high - self.low

    @property
    def relative_iqr(self) -> float:
        """The interquartile range as a fraction of the median.

        >>> Spread(20.0, 19.0, 21.0, 9).relative_iqr
        0.1
        """
        return self.iqr / self.median

    def scaled(self, factor: float) -> Spread:
        """The same spread in another unit (every figure times ``factor``, positive).

        >>> Spread(2e9, 1e9, 3e9, 5).scaled(1e-9)
        Spread(median=2.0, low=1.0, high=3.0, count=5)
        """
        return Spread(self.median * factor, self.low * factor, self.high * factor, self.count)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict.

        >>> Spread(2.0, 1.0, 3.0, 5).to_dict()
        {'median': 2.0, 'low': 1.0, 'high': 3.0, 'count': 5}
        """
        return {"median": self.median, "low": self.low, "high": self.high,
                "count": self.count}


def rate_spread(work: float, seconds: Iterable[float]) -> Spread:
    """The spread of the rates ``work / s`` over timed samples ``s``.

    >>> rate_spread(100.0, [1.0, 2.0, 4.0])
    Spread(median=50.0, low=37.5, high=75.0, count=3)
    """
    return Spread.of(work / s for s in seconds)
