"""The scale of frontier models: parameters, training tokens, training compute, and its growth.

A row joins a training-compute milestone (:func:`ai_workloads.analysis.growth.milestones`,
``6 · P · T_train`` where the parameters P and training tokens T_train are published) with
the exact parameter count of the model's config, where the caller has one from the catalog.
GPT-4's size was never published, and its row has none: the figure that circulates (and
that the lecture notes quote) is a rumour.

>>> from ai_workloads.catalog import get_model, milestone_records
>>> from ai_workloads.analysis.growth import milestones
>>> models = [(name, get_model(m) if m else None) for name, m in LECTURE_SCALE_MODELS]
>>> rows = {r.name: r for r in scale_rows(milestones(milestone_records()), models)}
>>> rows["GPT-3 175B"].params, rows["GPT-4"].params
(174604259328, None)
>>> round(compare_scale(rows["Llama 3.1 405B"], rows["PaLM 540B"]).compute_ratio, 1)
15.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..core.config import TransformerConfig
from ..core.errors import WorkloadError, positive_int
from .growth import GrowthFit, Milestone, doubling_line, fit_growth
from .params import param_counts

#: The scale table: (milestone name, catalog model whose exact count to use, or None): the
#: lecture's four models and PaLM 540B, a larger model trained on fewer tokens.
LECTURE_SCALE_MODELS: tuple[tuple[str, str | None], ...] = (
    ("GPT-2 (1.5B)", "gpt2-xl"),
    ("GPT-3 175B", "gpt-3"),
    ("PaLM 540B", None),
    ("GPT-4", None),
    ("Llama 3.1 405B", "llama-3.1-405b"),
)


@dataclass(frozen=True, slots=True)
class ScaleRow:
    """One model: parameters (``None`` where unpublished), training tokens and training
    compute, marked if estimated, with an estimate's published range and the lecture
    notes' figure where it differs."""

    name: str
    year: float
    params: int | None
    tokens: int | None
    training_flops: float
    flops_estimated: bool
    source: str
    flops_range: tuple[float, float] | None = None
    notes_flops: float | None = None

    @property
    def tokens_per_param(self) -> float | None:
        """Training tokens per parameter (``None`` where either is unpublished).

        >>> from ai_workloads.catalog import milestone_records
        >>> from ai_workloads.analysis.growth import milestones
        >>> chinchilla = milestone("Chinchilla 70B", milestones(milestone_records()))
        >>> round(scale_row(chinchilla).tokens_per_param, 1)
        20.0
        """
        if self.tokens is None or self.params is None:
            return None
        return self.tokens / self.params


def milestone(name: str, points: Sequence[Milestone]) -> Milestone:
    """The milestone called ``name`` among ``points``.

    >>> from ai_workloads.catalog import milestone_records
    >>> from ai_workloads.analysis.growth import milestones
    >>> points = milestones(milestone_records())
    >>> milestone("GPT-3 175B", points).tokens
    300000000000
    >>> milestone("GPT-5", points)
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: unknown milestone 'GPT-5'; known: BERT-base, ...
    """
    for m in points:
        if m.name == name:
            return m
    known = ", ".join(m.name for m in points)
    raise WorkloadError(f"unknown milestone {name!r}; known: {known}")


def scale_row(m: Milestone, config: TransformerConfig | None = None) -> ScaleRow:
    """Milestone ``m``, with the exact parameters of ``config`` when given (else the
    published count, or ``None``).

    >>> from ai_workloads.catalog import get_model, milestone_records
    >>> from ai_workloads.analysis.growth import milestones
    >>> points = milestones(milestone_records())
    >>> r = scale_row(milestone("GPT-2 (1.5B)", points), get_model("gpt2-xl"))
    >>> r.params, r.flops_estimated
    (1557611200, True)
    >>> scale_row(milestone("GPT-4", points)).params is None
    True
    """
    params = param_counts(config).total if config is not None else m.params
    return ScaleRow(m.name, m.year, params, m.tokens, m.training_flops, m.estimated,
                    m.source, m.flops_range, m.notes_flops)


def scale_rows(points: Sequence[Milestone],
               models: Sequence[tuple[str, TransformerConfig | None]]) -> tuple[ScaleRow, ...]:
    """Rows of the scale table: each named milestone of ``points``, with the exact
    parameters of its config where one is given (see :data:`LECTURE_SCALE_MODELS`).

    >>> from ai_workloads.catalog import get_model, milestone_records
    >>> from ai_workloads.analysis.growth import milestones
    >>> models = [(name, get_model(m) if m else None) for name, m in LECTURE_SCALE_MODELS]
    >>> [r.name for r in scale_rows(milestones(milestone_records()), models)]
    ['GPT-2 (1.5B)', 'GPT-3 175B', 'PaLM 540B', 'GPT-4', 'Llama 3.1 405B']
    """
    return tuple(scale_row(milestone(name, points), config) for name, config in models)


@dataclass(frozen=True, slots=True)
class ScaleComparison:
    """Model ``a`` against model ``b``: ratios of parameters (``None`` where either is
    unpublished), of training tokens (likewise) and of training compute; the compute ratio
    also over the published ranges of estimates (``compute_ratio_range``, ``None`` when
    neither has one) and with the lecture notes' figures where they differ
    (``notes_compute_ratio``)."""

    a: str
    b: str
    params_ratio: float | None
    tokens_ratio: float | None
    compute_ratio: float
    compute_ratio_range: tuple[float, float] | None
    notes_compute_ratio: float
    estimated: bool


def compare_scale(a: ScaleRow, b: ScaleRow) -> ScaleComparison:
    """``a``'s parameters, training tokens and training compute as multiples of ``b``'s.

    ``estimated`` is true when either compute is an estimate.

    >>> from ai_workloads.catalog import milestone_records
    >>> from ai_workloads.analysis.growth import milestones
    >>> points = milestones(milestone_records())
    >>> c = compare_scale(scale_row(milestone("Llama 3.1 405B", points)),
    ...                   scale_row(milestone("GPT-4", points)))
    >>> round(c.compute_ratio, 2), round(c.notes_compute_ratio, 2), c.params_ratio, c.estimated
    (1.81, 3.8, None, True)
    >>> [round(r, 2) for r in c.compute_ratio_range]   # over GPT-4's range, 1e25 to 1e26
    [0.38, 3.8]
    """
    def ratio(x: int | None, y: int | None) -> float | None:
        return None if x is None or y is None else x / y

    notes_a = a.notes_flops if a.notes_flops is not None else a.training_flops
    notes_b = b.notes_flops if b.notes_flops is not None else b.training_flops
    span = None
    if a.flops_range is not None or b.flops_range is not None:
        low_a, high_a = a.flops_range or (a.training_flops, a.training_flops)
        low_b, high_b = b.flops_range or (b.training_flops, b.training_flops)
        span = (low_a / high_b, high_a / low_b)
    return ScaleComparison(
        a.name, b.name, ratio(a.params, b.params), ratio(a.tokens, b.tokens),
        a.training_flops / b.training_flops, span, notes_a / notes_b,
        a.flops_estimated or b.flops_estimated)


# ----------------------------------------------------------------------------- growth


@dataclass(frozen=True)
class GrowthCurves:
    """The milestones' fitted trend and a Moore's-law line over the same years."""

    fit: GrowthFit
    years: npt.NDArray[np.float64]
    fitted: npt.NDArray[np.float64]
    moore: npt.NDArray[np.float64]
    doubling_years: float
    fitted_span_factor: float
    moore_span_factor: float

    @property
    def span_years(self) -> float:
        """Years from the first point to the last.

        >>> from ai_workloads.catalog import milestone_records
        >>> from ai_workloads.analysis.growth import milestones
        >>> round(growth_curves(milestones(milestone_records())).span_years, 2)
        5.78
        """
        return float(self.years[-1] - self.years[0])


def growth_curves(points: Sequence[Milestone], doubling_years: float = 2.0,
                  samples: int = 50) -> GrowthCurves:
    """A least-squares trend through ``points`` and a Moore's-law line from the first one.

    The Moore's-law line doubles every ``doubling_years`` on the real year axis, starting
    at the first point's compute. ``*_span_factor`` is how much each grows over the
    points' years.

    >>> c = growth_curves([Milestone("a", 2000.0, 1e20, None, None, False, ""),
    ...                    Milestone("b", 2004.0, 1e24, None, None, False, "")])
    >>> round(c.fit.factor_per_year, 6), round(c.fitted_span_factor), c.moore_span_factor
    (10.0, 10000, 4.0)
    """
    if len(points) < 2:
        raise WorkloadError(f"fitting a growth rate needs at least 2 points, got {len(points)}")
    if doubling_years <= 0:
        raise WorkloadError(f"doubling_years must be positive, got {doubling_years}")
    positive_int("samples", samples)
    ordered = sorted(points, key=lambda p: p.year)
    first, last = ordered[0], ordered[-1]
    fit = fit_growth(ordered)
    years = np.linspace(first.year, last.year, max(samples, 2))
    fitted = fit.predict(years)
    moore = doubling_line(first.year, first.training_flops, years, doubling_years)
    return GrowthCurves(fit, years, fitted, moore, doubling_years,
                        float(fitted[-1] / fitted[0]), float(moore[-1] / moore[0]))
