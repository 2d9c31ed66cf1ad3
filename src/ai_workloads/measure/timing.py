"""Timing primitives: the best of several timed samples, and the fastest of several rounds.

Every measurement of this layer times its work with :func:`best_seconds` (the least
disturbed of ``repeats`` samples, after an untimed warm-up call) and, when the whole set of
measurements runs several rounds, keeps each point's fastest round with :func:`fastest`.

>>> best_seconds(lambda: sorted(range(1000)), repeats=3) > 0
True
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

from ..core.errors import positive_int


def best_seconds(fn: Callable[[], object], repeats: int = 3, min_seconds: float = 0.0) -> float:
    """Seconds of one call of ``fn``: the best of ``repeats`` timed samples.

    A first, untimed call warms caches and decides how many calls one sample holds, so
    that a sample lasts at least ``min_seconds`` (short calls are averaged over many).

    >>> best_seconds(lambda: sum(range(1000)), repeats=2) > 0
    True
    """
    positive_int("repeats", repeats)
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-9)
    calls = max(1, math.ceil(min_seconds / once))
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


class Timed(Protocol):
    """A measured result: anything with the ``seconds`` it took."""

    @property
    def seconds(self) -> float:
        """Seconds the measured work took."""
        ...


_Timed = TypeVar("_Timed", bound=Timed)


def fastest(results: Iterable[_Timed], key: Callable[[_Timed], object]) -> tuple[_Timed, ...]:
    """The fastest result of each key (a kernel, a size), in first-seen order.

    >>> from collections import namedtuple
    >>> Run = namedtuple("Run", "size seconds")
    >>> fastest([Run(8, 3.0), Run(16, 5.0), Run(8, 1.0)], key=lambda r: r.size)
    (Run(size=8, seconds=1.0), Run(size=16, seconds=5.0))
    """
    best: dict[object, _Timed] = {}
    for result in results:
        k = key(result)
        if k not in best or result.seconds < best[k].seconds:
            best[k] = result
    return tuple(best.values())
