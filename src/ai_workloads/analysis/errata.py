"""Errata of the lecture notes in numbers: each wrong value recomputed from its cause.

Each function takes the configurations, chips and quoted values it needs (the caller fetches
them from the catalog) and returns a :class:`Reproduction`: the notes' value, the package's
value under the notes' simplification, the right value, each a
:class:`~ai_workloads.core.units.Quantity`, and the named numbers (``facts``) an explanation
of the cause refers to. When the reproduction, rounded to the notes' digits, equals the
quoted value, the cause is proven. A value with nothing behind it to recompute (a constant
typed into the notes' code, a label, a phrase) is not "reproduced" by copying it: it is
marked ``consistent`` with its cause, and one that no cause gives, ``unreproducible``
(:data:`STATUSES`). Nothing here formats text; the Errata page does.

This module covers the notes' sections 1 to 5; section 6 (intensity, the roofline, memory,
bandwidth) is in :mod:`ai_workloads.analysis.errata_serving`, sections 7 and 8 (variants and
the summary) in ``ai_workloads.analysis.errata_variants``.

>>> from ai_workloads.catalog import get_model
>>> cfg = get_model("llama-2-70b")
>>> r = params_reproduction(cfg, notes_config(cfg), Quantity(78.4, "B", 1))
>>> r.reproduces, round(r.reproduced[0].value, 3), round(r.correct[0].value, 3)
(True, 78.372, 68.977)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ..core.config import TransformerConfig
from ..core.dtypes import bytes_per_element, nbytes
from ..core.errors import WorkloadError
from ..core.units import Quantity, gb
from .flops import (
    attention_overtakes_mlp,
    blocks_only_decode_flops,
    decode_flops,
    sublayer_decode_flops,
)
from .growth import doubling_line
from .memory import weight_bytes
from .params import param_counts
from .shapes import group_shares, layer_mlp_share

#: What each status of a :class:`Reproduction` means; the Errata page prints these.
STATUSES: dict[str, str] = {
    "reproduced": "the package computes the notes' value from the stated cause (the notes' "
                  "simplification, applied with the package's own functions) and it reads as "
                  "the notes print it, digit for digit",
    "consistent": "there is nothing to recompute: the notes typed the value in (a constant in "
                  "their code, a label) or state it in words; it agrees with the stated cause, "
                  "and only the correct value is computed",
    "unreproducible": "the value stands for a property of a model or workload, but no "
                      "simplification of it gives the notes' figure; only the correct value "
                      "is computed",
    "mismatch": "a reproduction that does not read as the notes print it: the stated cause "
                "is not the whole story",
}


@dataclass(frozen=True, slots=True)
class Reproduction:
    """One erratum in numbers.

    ``notes`` is what the notes print (empty when they print words), ``reproduced`` the
    package's value under the notes' simplification (empty when nothing is recomputed),
    ``correct`` the right value; ``facts`` are the numbers the cause refers to.
    ``consistent`` marks a value with nothing behind it to recompute (typed in, or words)
    that agrees with the stated cause.
    """

    notes: tuple[Quantity, ...]
    reproduced: tuple[Quantity, ...]
    correct: tuple[Quantity, ...]
    facts: Mapping[str, Quantity] = field(default_factory=dict)
    consistent: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "facts", MappingProxyType(dict(self.facts)))
        if self.consistent and self.reproduced:
            raise WorkloadError("a consistent value has nothing reproduced")

    @property
    def status(self) -> str:
        """One of :data:`STATUSES`.

        >>> q = (Quantity(4, "x"),)
        >>> Reproduction(q, q, q).status, Reproduction(q, (), q, consistent=True).status
        ('reproduced', 'consistent')
        >>> Reproduction(q, (), q).status, Reproduction(q, (Quantity(5, "x"),), q).status
        ('unreproducible', 'mismatch')
        """
        if self.reproduced:
            return "reproduced" if self.reproduces else "mismatch"
        return "consistent" if self.consistent else "unreproducible"

    @property
    def reproduces(self) -> bool:
        """True when every reproduced value, at the notes' digits, reads as the notes print.

        >>> Reproduction((Quantity(148),), (Quantity(147.7),), (Quantity(297),)).reproduces
        True
        """
        if not self.reproduced or not self.notes:
            return False
        return len(self.notes) == len(self.reproduced) and all(
            n.matches(r) for n, r in zip(self.notes, self.reproduced, strict=True))


# ------------------------------------------------------------------ the notes' simplifications


def notes_config(cfg: TransformerConfig,
                 notes_fields: Mapping[str, int] | None = None) -> TransformerConfig:
    """A model as the notes' formulas see it: one KV head per query head (``K = N``), with
    the fields the notes give (``notes_fields``, e.g. a rounded vocabulary) where they differ.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = notes_config(get_model("llama-3.1-405b"), {"vocab_size": 128000, "n_heads": 128})
    >>> cfg.n_kv_heads, cfg.vocab_size
    (128, 128000)
    """
    changes = {k: v for k, v in (notes_fields or {}).items() if getattr(cfg, k) != v}
    return cfg.replace(**changes).with_mha()


def crossover_on_grid(cfg: TransformerConfig, low_exponent: float = 2.0,
                      high_exponent: float = 5.0, points: int = 50) -> int:
    """The context of a log-spaced grid (``10**low`` to ``10**high``) whose attention share
    of a decode token's FLOPs (projections included) is nearest to 50%, truncated to an int.

    This is how the notes find their crossover: they never solve for it.

    >>> from ai_workloads.catalog import get_model
    >>> crossover_on_grid(get_model("llama-2-7b"), 2, 5, 50)
    7906
    """
    grid = np.logspace(low_exponent, high_exponent, points)
    shares = []
    for context in grid:
        parts = sublayer_decode_flops(cfg, int(context))
        shares.append(parts["attention"] / (parts["attention"] + parts["mlp"]))
    return int(grid[int(np.argmin(np.abs(np.array(shares) - 0.5)))])


@dataclass(frozen=True, slots=True)
class FlopsComparison:
    """One decode token's FLOPs under the notes' formula (the notes' config, layers only)
    and exactly (the real config, LM head included).

    ``*_attention`` and ``*_mlp`` are the attention (projections, scores, A·V) and MLP
    (router included) FLOPs; the totals are layers only (notes) and everything (correct).
    """

    model: str
    context: int
    notes_total: int
    notes_attention: int
    notes_mlp: int
    correct_total: int
    correct_attention: int
    correct_mlp: int

    @property
    def notes_share(self) -> float:
        """The notes' attention share: attention over attention plus MLP."""
        return self.notes_attention / (self.notes_attention + self.notes_mlp)

    @property
    def correct_share(self) -> float:
        """The real attention share, attention over attention plus MLP."""
        return self.correct_attention / (self.correct_attention + self.correct_mlp)

    @property
    def overcount(self) -> float:
        """How many times too many FLOPs the notes' formula gives: notes over correct total."""
        return self.notes_total / self.correct_total

    def reproduction(self, total: Quantity, share: Quantity) -> Reproduction:
        """This cell against the notes' printed TFLOPs per token and attention share (%):
        the notes' formula at their digits, the right values to one more digit of TFLOPs.

        >>> from ai_workloads.catalog import get_model
        >>> cfg = get_model("llama-2-70b")
        >>> row = flops_comparison(cfg, notes_config(cfg), 32768)
        >>> r = row.reproduction(Quantity(0.24, "TFLOPs", 2), Quantity(53.3, "%", 1))
        >>> r.reproduces, [q.rounded() for q in r.correct]
        (True, [0.223, 49.4])
        """
        total.require("TFLOPs")
        share.require("%")
        return Reproduction(
            (total, share),
            (total.like(self.notes_total / 1e12), share.like(100 * self.notes_share)),
            (total.like(self.correct_total / 1e12, total.digits + 1),
             share.like(100 * self.correct_share)))


def flops_comparison(cfg: TransformerConfig, notes_cfg: TransformerConfig,
                     context: int) -> FlopsComparison:
    """The notes' FLOPs per token, ``L(8D² + 4SD + 6DF)`` (``notes_cfg``, layers only),
    beside the exact count of ``cfg`` (its real ``K``, LM head included): the one place the
    notes' FLOPs comparison is computed.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("llama-2-7b")
    >>> row = flops_comparison(cfg, notes_config(cfg), 512)
    >>> d, f, L = cfg.d_model, cfg.d_ff, cfg.n_layers
    >>> row.notes_total == L * (8 * d * d + 4 * 512 * d + 6 * d * f)
    True
    >>> row.correct_total - row.notes_total == 2 * d * cfg.vocab_size   # the LM head
    True
    """
    wrong = sublayer_decode_flops(notes_cfg, context)
    right = sublayer_decode_flops(cfg, context)
    return FlopsComparison(cfg.name, context, blocks_only_decode_flops(notes_cfg, context),
                           wrong["attention"], wrong["mlp"], decode_flops(cfg, context),
                           right["attention"], right["mlp"])


# ------------------------------------------------------------------ scale, parameters and weights


def moore_reproduction(quoted: Quantity, bar_years: Sequence[float],
                       doubling_years: float = 2.0) -> Reproduction:
    """Moore's-law growth: the notes' line, whose code multiplies by ``quoted`` per step of
    the bar index, against a line that doubles every ``doubling_years`` years. The factor is
    typed into their code, so it is ``consistent``, not recomputed; ``facts`` hold how far
    each line rises across the bars (``bar_years``, first to last).

    >>> r = moore_reproduction(Quantity(2, "x per step"), [2018, 2019, 2020, 2022, 2023, 2024])
    >>> r.status, r.correct[0].rounded(), r.facts["drawn_rise"].value, r.facts["moore_rise"].value
    ('consistent', 1.41, 32.0, 8.0)
    """
    quoted.require("x per step")
    steps = len(bar_years) - 1
    drawn = float(quoted.value ** steps)
    per_year = float(doubling_line(0, 1.0, [1.0], doubling_years=doubling_years)[0])
    moore = float(doubling_line(bar_years[0], 1.0, [bar_years[-1]], doubling_years)[0])
    return Reproduction((quoted,), (), (Quantity(per_year, "x per year", 2),),
                        {"drawn_rise": Quantity(drawn, "x"), "moore_rise": Quantity(moore, "x"),
                         "steps": Quantity(steps)}, consistent=True)




def params_reproduction(cfg: TransformerConfig, notes_cfg: TransformerConfig,
                        quoted: Quantity) -> Reproduction:
    """Total parameters in billions: the notes' config against the real one (``facts``: the
    model's KV heads and, when the notes change it, their vocabulary).

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("llama-2-70b")
    >>> r = params_reproduction(cfg, notes_config(cfg), Quantity(78.4, "B", 1))
    >>> r.reproduces, r.correct[0].rounded(), r.facts["kv_heads"].value, "vocab" in r.facts
    (True, 69.0, 8, False)
    """
    quoted.require("B")
    wrong, right = param_counts(notes_cfg).total, param_counts(cfg).total
    facts = {"kv_heads": Quantity(cfg.n_kv_heads)}
    if notes_cfg.vocab_size != cfg.vocab_size:
        facts["vocab"] = Quantity(notes_cfg.vocab_size)
    return Reproduction((quoted,), (quoted.like(wrong / 1e9),), (quoted.like(right / 1e9),),
                        facts)


def _category_share(cfg: TransformerConfig, category: str) -> float:
    counts = param_counts(cfg)
    cats = counts.by_category()
    if category == "rest":
        return 100 * (1 - (cats["attention"] + cats["mlp"]) / counts.total)
    if category not in cats:
        raise WorkloadError(f"no parameter category {category!r}; "
                            f"known: {', '.join(cats)}, rest")
    return 100 * (cats[category] / counts.total)


def category_share_reproduction(cfg: TransformerConfig, notes_cfg: TransformerConfig,
                                category: str, quoted: Quantity) -> Reproduction:
    """A parameter category's share of all parameters, in percent: ``"attention"``,
    ``"mlp"``, or ``"rest"`` (all but attention and MLP: what the notes call "Embeddings",
    100% less the other two, so norms included).

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("llama-2-70b")
    >>> r = category_share_reproduction(cfg, notes_config(cfg), "mlp", Quantity(71.9, "%", 1))
    >>> r.reproduces, r.correct[0].rounded()
    (True, 81.7)
    """
    quoted.require("%")
    return Reproduction((quoted,), (quoted.like(_category_share(notes_cfg, category)),),
                        (quoted.like(_category_share(cfg, category)),))


def attention_share_reproduction(cfg: TransformerConfig, notes_cfg: TransformerConfig,
                                 quoted: Quantity) -> Reproduction:
    """Attention's share of all parameters, in percent.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("llama-2-70b")
    >>> attention_share_reproduction(cfg, notes_config(cfg), Quantity(27.4, "%", 1)).reproduces
    True
    """
    return category_share_reproduction(cfg, notes_cfg, "attention", quoted)


def weights_reproduction(cfg: TransformerConfig, notes_cfg: TransformerConfig,
                         quoted: Quantity, dtype: str = "fp16") -> Reproduction:
    """Weight memory in GB at ``dtype``: the notes' rule, every parameter of the notes'
    config at ``dtype``'s bytes, against the checkpoint as stored at ``dtype``
    (:func:`~ai_workloads.analysis.memory.weight_bytes`: quantized formats add their scales
    and keep embeddings and norms in 16 bits).

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("llama-2-70b")
    >>> r = weights_reproduction(cfg, notes_config(cfg), Quantity(156.7, "GB", 1))
    >>> r.reproduces, r.correct[0].rounded(), r.facts["bytes_per_param"].value
    (True, 138.0, 2.0)
    >>> r = weights_reproduction(cfg, notes_config(cfg), Quantity(78.4, "GB", 1), "int8")
    >>> r.reproduces, r.correct[0].rounded()
    (True, 69.5)
    """
    quoted.require("GB")
    notes_bytes = nbytes(param_counts(notes_cfg).total, dtype)
    return Reproduction((quoted,), (quoted.like(gb(notes_bytes)),),
                        (quoted.like(gb(weight_bytes(cfg, dtype))),),
                        {"bytes_per_param": Quantity(bytes_per_element(dtype))})


def mlp_share_reproduction(notes_cfg: TransformerConfig, models: Sequence[TransformerConfig],
                           quoted: Quantity) -> Reproduction:
    """The MLP's share of the parameters, in percent: of one layer of ``notes_cfg`` (a
    model with ``K = N`` and ``F ≈ 8D/3``, whose layer is ``8D²`` of MLP in ``12D²``),
    against the whole of each of ``models`` (embeddings, GQA and wider MLPs included).

    >>> from ai_workloads.catalog import get_model
    >>> seven, seventy = get_model("llama-2-7b"), get_model("llama-2-70b")
    >>> r = mlp_share_reproduction(notes_config(seven), [seven, seventy], Quantity(66.7, "%"))
    >>> r.reproduces, round(r.reproduced[0].value, 2), [q.rounded() for q in r.correct]
    (True, 66.84, [64.0, 82.0])
    """
    quoted.require("%")
    if not models:
        raise WorkloadError("name at least one model to correct the share with")
    return Reproduction((quoted,), (quoted.like(100 * layer_mlp_share(notes_cfg)),),
                        tuple(quoted.like(100 * group_shares(c)["mlp"]) for c in models))


# ------------------------------------------------------------------ FLOPs


def flops_per_token_reproduction(cfg: TransformerConfig, notes_cfg: TransformerConfig,
                                 context: int, quoted: Quantity) -> Reproduction:
    """One decode token's TFLOPs: the notes' formula against the exact count.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("llama-2-70b")
    >>> r = flops_per_token_reproduction(cfg, notes_config(cfg), 32768,
    ...                                  Quantity(0.24, "TFLOPs", 2))
    >>> r.reproduces, r.correct[0].rounded(), r.facts["group"].value
    (True, 0.22, 8)
    """
    quoted.require("TFLOPs")
    row = flops_comparison(cfg, notes_cfg, context)
    return Reproduction((quoted,), (quoted.like(row.notes_total / 1e12),),
                        (quoted.like(row.correct_total / 1e12),),
                        {"group": Quantity(cfg.group_size), "context": Quantity(context)})


def crossover_reproduction(cfg: TransformerConfig, grid: tuple[float, float, int],
                           quoted: Quantity) -> Reproduction:
    """The context at which attention FLOPs (projections included) overtake the MLP's: read
    off the notes' grid (``low exponent, high exponent, points``) against solved exactly.

    >>> from ai_workloads.catalog import get_model
    >>> r = crossover_reproduction(get_model("llama-2-7b"), (2, 5, 50), Quantity(7906))
    >>> r.reproduces, r.correct[0].value
    (True, 8321)
    """
    low, high, points = grid
    exact = attention_overtakes_mlp(cfg, include_projections=True)
    if exact is None:
        raise WorkloadError(f"{cfg.name}: attention never overtakes the MLP")
    return Reproduction((quoted,), (quoted.like(crossover_on_grid(cfg, low, high, points)),),
                        (quoted.like(exact),),
                        {"points": Quantity(points)})
