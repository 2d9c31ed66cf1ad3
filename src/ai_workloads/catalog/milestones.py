"""The training-compute milestones: what was published about each landmark model.

A record holds the published facts only: the release date, the parameter count (or the
catalog model whose exact count it is), the training tokens (or the training schedule they
follow from), a published estimate of the compute where neither was published (with its
range where one was published), and the source. What follows from them, the compute
``6 · parameters · tokens``, is :func:`ai_workloads.analysis.growth.milestones`' work.

>>> records = {r.name: r for r in milestone_records()}
>>> gpt3 = records["GPT-3 175B"]
>>> gpt3.released, gpt3.config.name, gpt3.tokens
('2020-05-28', 'gpt-3', 300000000000)
>>> records["BERT-base"].training
TrainingRun(steps=1000000, batch=256, schedule=((0.9, 128), (0.1, 512)))
>>> records["GPT-4"].estimate_flops, records["GPT-4"].estimate_range
(2.1e+25, (1e+25, 1e+26))
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ..core.config import TransformerConfig
from ..core.errors import WorkloadError
from .entries import model_entry


@dataclass(frozen=True, slots=True)
class TrainingRun:
    """A training run as its paper describes it: ``steps`` steps of ``batch`` sequences,
    ``schedule`` the share of steps spent at each sequence length, as
    ``(share, length)`` pairs."""

    steps: int
    batch: int
    schedule: tuple[tuple[float, int], ...]


@dataclass(frozen=True, slots=True)
class MilestoneRecord:
    """One milestone as published.

    ``released`` is an ISO date. ``config`` is the catalog model whose exact parameter count
    is the model's (else ``params`` is the published count, or neither is known).
    ``tokens`` is the published training-token count; ``training`` the schedule it follows
    from where only that was published. ``estimate_flops`` is a quoted estimate, given only
    where the compute cannot be computed, ``estimate_range`` its published ``(low, high)``
    where there is one. ``notes_flops`` is the lecture notes' figure where it differs from
    the one used.
    """

    name: str
    released: str
    config: TransformerConfig | None
    params: int | None
    tokens: int | None
    training: TrainingRun | None
    estimate_flops: float | None
    source: str
    estimate_range: tuple[float, float] | None = None
    notes_flops: float | None = None


def _training(raw: Mapping[str, Any]) -> TrainingRun:
    schedule = tuple((float(share), int(length)) for share, length in raw["schedule"])
    return TrainingRun(int(raw["steps"]), int(raw["batch"]), schedule)


def _estimate_range(name: str, raw: Mapping[str, Any]) -> tuple[float, float] | None:
    if "estimate_range" not in raw:
        return None
    low, high = (float(x) for x in raw["estimate_range"])
    estimate = raw.get("estimate_flops")
    if estimate is None or not 0 < low <= float(estimate) <= high:
        raise WorkloadError(f"milestone {name!r}: estimate_range must be [low, high] around "
                            f"its estimate_flops, got {list(raw['estimate_range'])} for "
                            f"{estimate}")
    return low, high


def milestone_from_dict(raw: Mapping[str, Any]) -> MilestoneRecord:
    """One milestone from its entry in the data file, checked for what the compute needs.

    >>> milestone_from_dict({"name": "x", "released": "2021-02-03", "params": 10,
    ...                      "tokens": 200, "source": "a paper"}).params
    10
    >>> milestone_from_dict({"name": "x", "released": "2021-02-03", "params": 10,
    ...                      "source": "a paper"})
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: milestone 'x' needs parameters and tokens, ...
    >>> milestone_from_dict({"name": "x", "released": "2021-02-03", "estimate_flops": 5.0,
    ...                      "estimate_range": [1, 4], "source": "a paper"})
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: milestone 'x': estimate_range must be [low, high] ...
    """
    name = raw["name"]
    try:
        datetime.date.fromisoformat(raw["released"])
    except ValueError:
        raise WorkloadError(f"milestone {name!r}: released must be an ISO date "
                            f"(YYYY-MM-DD), got {raw['released']!r}") from None
    training = _training(raw["training"]) if "training" in raw else None
    known_size = "model" in raw or "params" in raw
    known_tokens = "tokens" in raw or training is not None
    if not (known_size and known_tokens) and "estimate_flops" not in raw:
        raise WorkloadError(f"milestone {name!r} needs parameters and tokens, or an "
                            "estimate_flops with its source")
    return MilestoneRecord(
        name=name, released=raw["released"],
        config=model_entry(raw["model"]).config if "model" in raw else None,
        params=int(raw["params"]) if "params" in raw else None,
        tokens=int(raw["tokens"]) if "tokens" in raw else None,
        training=training,
        estimate_flops=float(raw["estimate_flops"]) if "estimate_flops" in raw else None,
        source=raw["source"], estimate_range=_estimate_range(name, raw),
        notes_flops=float(raw["notes_flops"]) if "notes_flops" in raw else None)


@cache
def milestone_records() -> tuple[MilestoneRecord, ...]:
    """Every milestone of the data file, in file order.

    >>> [r.name for r in milestone_records() if r.estimate_flops is not None]
    ['GPT-2 (1.5B)', 'GPT-4']
    """
    raw_all = json.loads(resources.files("ai_workloads.catalog").joinpath(
        "data", "milestones.json").read_text())["milestones"]
    return tuple(milestone_from_dict(raw) for raw in raw_all)
