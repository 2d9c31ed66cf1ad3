"""Training compute over time: milestones, a fitted growth rate, and Moore's-law lines.

Training compute of a milestone is ``6·N·D`` (:func:`~ai_workloads.analysis.flops.six_nd`) from its
published parameter count ``N`` and training tokens ``D``; only where neither is published
is a quoted estimate used, and it is marked as one.

>>> ms = {m.name: m for m in milestones()}
>>> f"{ms['GPT-3 175B'].training_flops:.2e}", ms["GPT-3 175B"].estimated
('3.14e+23', False)
>>> fit = fit_growth(milestones())
>>> 2 < fit.factor_per_year < 20
True
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from ..catalog import model_entry
from .flops import six_nd
from .params import param_counts


@dataclass(frozen=True, slots=True)
class Milestone:
    """One model on the training-compute timeline."""

    name: str
    year: float
    training_flops: float
    params: int | None
    tokens: int | None
    estimated: bool
    source: str


def _tokens(raw: dict[str, Any]) -> int | None:
    """Training tokens: given directly, or steps × batch × the mean sequence length."""
    if "tokens" in raw:
        return int(raw["tokens"])
    training = raw.get("training")
    if isinstance(training, dict):
        per_step = sum(share * length for share, length in training["schedule"])
        tokens: float = training["steps"] * training["batch"] * per_step
        return round(tokens)
    return None


def decimal_year(iso_date: str) -> float:
    """A date as a fractional year, for plotting on a real time axis.

    >>> decimal_year("2020-01-01"), round(decimal_year("2020-07-02"), 3)
    (2020.0, 2020.5)
    """
    day = datetime.date.fromisoformat(iso_date)
    start = datetime.date(day.year, 1, 1)
    length = (datetime.date(day.year + 1, 1, 1) - start).days
    return day.year + (day - start).days / length


@cache
def milestones() -> tuple[Milestone, ...]:
    """The timeline, in order of year; compute from ``6·N·D`` wherever N and D are published.

    >>> [m.name for m in milestones() if m.estimated]
    ['GPT-2 (1.5B)', 'GPT-4']
    """
    raw_all = json.loads(resources.files("ai_workloads.catalog").joinpath(
        "data", "milestones.json").read_text())["milestones"]
    out: list[Milestone] = []
    for raw in raw_all:
        tokens = _tokens(raw)
        params: int | None = None
        if "model" in raw:
            params = param_counts(model_entry(raw["model"]).config).total
        elif "params" in raw:
            params = int(raw["params"])
        if params is not None and tokens is not None:
            flops, estimated = float(six_nd(params, tokens)), False
        else:
            flops, estimated = float(raw["estimate_flops"]), True
        out.append(Milestone(raw["name"], decimal_year(raw["released"]), flops, params, tokens,
                             estimated, raw["source"]))
    return tuple(sorted(out, key=lambda m: m.year))


@dataclass(frozen=True, slots=True)
class GrowthFit:
    """A least-squares line through ``log10(FLOPs)`` against year."""

    slope_log10_per_year: float
    intercept_log10: float

    @property
    def factor_per_year(self) -> float:
        """Growth factor per year."""
        return float(10**self.slope_log10_per_year)

    @property
    def doubling_time_years(self) -> float:
        """Years to double."""
        return math.log10(2) / self.slope_log10_per_year

    def predict(self, years: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """FLOPs on the fitted line at ``years``.

        >>> GrowthFit(1.0, 0.0).predict([2.0])
        array([100.])
        """
        return np.power(10.0, self.intercept_log10 + self.slope_log10_per_year
                        * np.asarray(years, dtype=np.float64))


def fit_growth(points: Sequence[Milestone]) -> GrowthFit:
    """Fit ``log10(FLOPs) = a + b·year`` by least squares.

    >>> pts = [Milestone("a", 2000.0, 1e20, None, None, False, ""),
    ...        Milestone("b", 2002.0, 1e22, None, None, False, "")]
    >>> round(fit_growth(pts).factor_per_year, 6)
    10.0
    """
    years = np.array([p.year for p in points])
    logs = np.log10([p.training_flops for p in points])
    slope, intercept = np.polyfit(years, logs, 1)
    return GrowthFit(float(slope), float(intercept))


def doubling_line(start_year: float, start_flops: float, years: npt.ArrayLike,
                  doubling_years: float = 2.0) -> npt.NDArray[np.float64]:
    """FLOPs that double every ``doubling_years`` from ``(start_year, start_flops)``.

    Moore's law, as the lecture uses it, is a doubling every two years:

    >>> doubling_line(2018, 1.0, [2018, 2020, 2024])
    array([1., 2., 8.])
    """
    elapsed = np.asarray(years, dtype=np.float64) - start_year
    return start_flops * np.power(2.0, elapsed / doubling_years)
