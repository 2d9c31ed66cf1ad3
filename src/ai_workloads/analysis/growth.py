"""Training compute over time: milestones, a fitted growth rate, and Moore's-law lines.

Training compute of a milestone is ``6 · P · T_train`` (:func:`~ai_workloads.analysis.flops.six_nd`)
from its published parameter count ``P`` and training tokens ``T_train``; only where they are
not published is a published estimate used, and it is marked as one, with its range where
one was published. The published facts come from the caller (the catalog's
:func:`ai_workloads.catalog.milestones.milestone_records`).

>>> from ai_workloads.catalog import milestone_records
>>> ms = {m.name: m for m in milestones(milestone_records())}
>>> f"{ms['GPT-3 175B'].training_flops:.2e}", ms["GPT-3 175B"].estimated
('3.14e+23', False)
>>> fit = fit_growth(list(ms.values()))
>>> 2 < fit.factor_per_year < 20
True
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from ..core.config import TransformerConfig
from ..core.errors import WorkloadError
from .flops import six_nd
from .params import param_counts


class TrainingFacts(Protocol):
    """A training run as published: ``steps`` of ``batch`` sequences, and the share of steps
    at each sequence length (``(share, length)`` pairs); the catalog's
    :class:`ai_workloads.catalog.milestones.TrainingRun` is one."""

    @property
    def steps(self) -> int: ...

    @property
    def batch(self) -> int: ...

    @property
    def schedule(self) -> Sequence[tuple[float, int]]: ...


class MilestoneFacts(Protocol):
    """What was published about a milestone; the catalog's
    :class:`ai_workloads.catalog.milestones.MilestoneRecord` is one.

    ``config`` is the model whose exact parameter count is the model's (else ``params``);
    ``tokens`` the training tokens, or ``training`` the run they follow from;
    ``estimate_flops`` a published estimate, used only where the compute cannot be computed,
    and ``estimate_range`` its published ``(low, high)``; ``notes_flops`` the lecture notes'
    figure where it differs.
    """

    @property
    def name(self) -> str: ...

    @property
    def released(self) -> str: ...

    @property
    def config(self) -> TransformerConfig | None: ...

    @property
    def params(self) -> int | None: ...

    @property
    def tokens(self) -> int | None: ...

    @property
    def training(self) -> TrainingFacts | None: ...

    @property
    def estimate_flops(self) -> float | None: ...

    @property
    def source(self) -> str: ...

    @property
    def estimate_range(self) -> tuple[float, float] | None: ...

    @property
    def notes_flops(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class Milestone:
    """One model on the training-compute timeline; ``flops_range`` is the published range of
    an estimate, ``notes_flops`` the lecture notes' figure where it differs."""

    name: str
    year: float
    training_flops: float
    params: int | None
    tokens: int | None
    estimated: bool
    source: str
    flops_range: tuple[float, float] | None = None
    notes_flops: float | None = None


def training_tokens(facts: MilestoneFacts) -> int | None:
    """Training tokens: as published, or steps × batch × the mean sequence length.

    >>> from ai_workloads.catalog import milestone_records
    >>> bert = next(r for r in milestone_records() if r.name == "BERT-base")
    >>> training_tokens(bert)   # 1,000,000 · 256 · (0.9 · 128 + 0.1 · 512)
    42598400000
    """
    if facts.tokens is not None:
        return facts.tokens
    run = facts.training
    if run is not None:
        per_step = sum(share * length for share, length in run.schedule)
        tokens: float = run.steps * run.batch * per_step
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


def milestone_of(facts: MilestoneFacts) -> Milestone:
    """The milestone's place on the timeline: its compute from ``6 · P · T_train`` where the
    parameters P and training tokens are published (P exact from ``facts.config`` when
    given), else the published estimate, with its range.

    >>> from ai_workloads.catalog import milestone_records
    >>> gpt3 = next(r for r in milestone_records() if r.name == "GPT-3 175B")
    >>> m = milestone_of(gpt3)
    >>> m.params, m.training_flops == float(6 * m.params * 300 * 10**9), round(m.year, 2)
    (174604259328, True, 2020.4)
    >>> gpt4 = milestone_of(next(r for r in milestone_records() if r.name == "GPT-4"))
    >>> gpt4.training_flops, gpt4.flops_range, gpt4.estimated
    (2.1e+25, (1e+25, 1e+26), True)
    """
    tokens = training_tokens(facts)
    params = param_counts(facts.config).total if facts.config is not None else facts.params
    if params is not None and tokens is not None:
        flops, estimated = float(six_nd(params, tokens)), False
    elif facts.estimate_flops is not None:
        flops, estimated = float(facts.estimate_flops), True
    else:
        raise WorkloadError(f"milestone {facts.name!r} has neither parameters and tokens "
                            "nor a published estimate of its compute")
    return Milestone(facts.name, decimal_year(facts.released), flops, params, tokens,
                     estimated, facts.source,
                     facts.estimate_range if estimated else None, facts.notes_flops)


def milestones(records: Sequence[MilestoneFacts]) -> tuple[Milestone, ...]:
    """The timeline of ``records``, in order of year (see :func:`milestone_of`).

    >>> from ai_workloads.catalog import milestone_records
    >>> [m.name for m in milestones(milestone_records()) if m.estimated]
    ['GPT-2 (1.5B)', 'GPT-4']
    """
    return tuple(sorted((milestone_of(r) for r in records), key=lambda m: m.year))


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
