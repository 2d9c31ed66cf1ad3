"""What a chip must supply to decode a model at a target speed, and which chips do.

A decode step of ``B`` sequences at context ``S`` does ``F`` FLOPs and moves ``Q`` bytes
(:func:`~ai_workloads.analysis.roofline.decode_step`: the weights the batch touches, read
once, and every sequence's KV cache). Each step gives every sequence one token, so a target
of ``r`` tokens/s per sequence is ``r`` steps per second, and the chips must supply

* bandwidth ``≥ Q · r`` bytes/s,
* compute ``≥ F · r`` FLOP/s,
* capacity ``≥`` weights + KV cache + activations bytes
  (:func:`~ai_workloads.analysis.memory.serving_memory`).

With ``n`` devices each needs ``1/n`` of each (ideal tensor parallelism: the work, the bytes
and the memory split evenly; the links between the chips are not modelled). On a roofline a
requirement is one point, its intensity ``F/Q`` and its FLOP/s per device: a chip meets the
speed exactly when the point lies on or under its roof.

>>> from ai_workloads.catalog import get_model, get_accelerator
>>> need = requirement(get_model("llama-2-70b"), 20.0, context=2048, dtype="fp16")
>>> round(need.bandwidth / 1e12, 3), round(need.capacity / 1e9, 1)   # TB/s, GB
(2.772, 138.9)
>>> fit = chip_fit(need, get_accelerator("h100-sxm"))
>>> fit.meets, fit.binding, fit.devices_needed
(False, 'capacity', 2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from ..core.accelerator import Accelerator
from ..core.config import TransformerConfig
from ..core.errors import WorkloadError, positive_int
from ..core.quantization import WeightScheme, kv_format, weight_scheme
from .flops import decode_flops
from .memory import kv_cache_bytes, serving_memory
from .roofline import moe_weight_bytes_read

Limit = Literal["bandwidth", "capacity", "compute"]

#: The three things a chip supplies, in the order ties are broken when naming the binding one.
LIMITS: tuple[Limit, ...] = ("bandwidth", "capacity", "compute")


def _rate(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and value > 0):
        raise WorkloadError(f"{name} must be a positive number of tokens/s, got {value!r}")
    return float(value)


def _factor(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and value > 0):
        raise WorkloadError(f"{name} must be a positive factor, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class Requirement:
    """What ``n_devices`` chips must supply to decode ``batch`` sequences of one model at
    ``context`` tokens, each sequence at ``tokens_per_s``.

    ``flops_per_step`` and ``bytes_per_step`` are one decode step of the whole batch;
    ``weights``, ``kv_cache`` and ``activations`` the bytes held. The properties without
    ``total_`` are per device: what one chip of the group needs.
    """

    model: str
    context: int
    batch: int
    tokens_per_s: float
    n_devices: int
    weight_format: str
    kv_dtype: str
    flops_per_step: int
    bytes_per_step: float
    weights: int
    kv_cache: int
    activations: int
    #: How the weights are stored: sets the format each chip computes them in.
    scheme: WeightScheme

    @property
    def steps_per_s(self) -> float:
        """Decode steps per second: one token per sequence each step."""
        return self.tokens_per_s

    @property
    def aggregate_tokens_per_s(self) -> float:
        """Tokens per second of all sequences together."""
        return self.batch * self.tokens_per_s

    @property
    def intensity(self) -> float:
        """FLOPs per byte of the decode step (where the need sits on a roofline)."""
        return self.flops_per_step / self.bytes_per_step

    @property
    def total_bandwidth(self) -> float:
        """Bytes/s all the devices together must read: bytes per step × steps per second."""
        return self.bytes_per_step * self.steps_per_s

    @property
    def total_compute(self) -> float:
        """FLOP/s all the devices together must do: FLOPs per step × steps per second."""
        return self.flops_per_step * self.steps_per_s

    @property
    def total_capacity(self) -> int:
        """Bytes all the devices together must hold: weights + KV cache + activations."""
        return self.weights + self.kv_cache + self.activations

    @property
    def bandwidth(self) -> float:
        """Bytes/s one device must read."""
        return self.total_bandwidth / self.n_devices

    @property
    def compute(self) -> float:
        """FLOP/s one device must do."""
        return self.total_compute / self.n_devices

    @property
    def capacity(self) -> int:
        """Bytes one device must hold (its even share, rounded up to a whole byte)."""
        return -(-self.total_capacity // self.n_devices)

    def compute_format(self, hw: Accelerator) -> str:
        """The format ``hw`` computes these weights in (its peak is the compute it offers).

        >>> from ai_workloads.catalog import get_model, get_accelerator
        >>> need = requirement(get_model("deepseek-v3"), 20.0, context=8192,
        ...                    dtype="checkpoint")
        >>> need.compute_format(get_accelerator("h200")), need.compute_format(
        ...     get_accelerator("a100-sxm-80gb"))
        ('fp8', 'bf16')
        """
        return self.scheme.compute_dtype(hw.peak_flops)


def requirement(cfg: TransformerConfig, tokens_per_s: float | None = None, *, context: int,
                batch: int = 1, aggregate_tokens_per_s: float | None = None,
                dtype: str = "bf16", kv_dtype: str | None = None, n_devices: int = 1,
                absorbed: bool = False, prefill_chunk: int | None = None) -> Requirement:
    """The bandwidth, compute and capacity that decoding ``cfg`` at a target speed needs.

    Give the target per sequence (``tokens_per_s``, what one user sees) or for the whole
    batch (``aggregate_tokens_per_s``, shared evenly by the ``batch`` sequences), not both.
    Bytes per step are :func:`~ai_workloads.analysis.roofline.decode_step`'s (for an MoE
    model, the experts a batch of ``batch`` tokens touches under uniform routing); FLOPs are
    :func:`~ai_workloads.analysis.flops.decode_flops`, with ``absorbed`` counting latent
    (MLA) layers in the weight-absorbed form serving engines run. Capacity is
    :func:`~ai_workloads.analysis.memory.serving_memory` (the activations of prefilling
    ``prefill_chunk`` tokens, by default the whole context).

    Llama 2 70B in fp16 at 2,048 tokens, by hand: 2 bytes × 68,976,648,192 weights
    + 2·80·8·128 values × 2 bytes × 2,048 tokens of cache, read 20 times a second.

    >>> from ai_workloads.catalog import get_model
    >>> need = requirement(get_model("llama-2-70b"), 20.0, context=2048, dtype="fp16")
    >>> need.bytes_per_step == 2 * 68_976_648_192 + 2 * 80 * 8 * 128 * 2 * 2048
    True
    >>> need.total_bandwidth == 20 * need.bytes_per_step
    True
    >>> requirement(get_model("llama-2-70b"), context=2048, batch=8,
    ...             aggregate_tokens_per_s=160.0).tokens_per_s
    20.0
    """
    positive_int("context", context)
    positive_int("batch", batch)
    positive_int("n_devices", n_devices)
    if (tokens_per_s is None) == (aggregate_tokens_per_s is None):
        raise WorkloadError("give the target as tokens_per_s (per sequence) or as "
                            "aggregate_tokens_per_s (all sequences), not both or neither")
    if tokens_per_s is None:
        per_sequence = _rate("aggregate_tokens_per_s", aggregate_tokens_per_s) / batch
    else:
        per_sequence = _rate("tokens_per_s", tokens_per_s)
    kv = kv_format(cfg, kv_dtype, dtype)
    scheme = weight_scheme(cfg, dtype)
    memory = serving_memory(cfg, context, batch, dtype, kv, prefill_chunk)
    return Requirement(
        model=cfg.name, context=context, batch=batch, tokens_per_s=per_sequence,
        n_devices=n_devices, weight_format=scheme.label or scheme.weights.name, kv_dtype=kv,
        flops_per_step=decode_flops(cfg, context, batch, absorbed=absorbed),
        bytes_per_step=moe_weight_bytes_read(cfg, batch, dtype)
        + kv_cache_bytes(cfg, context, batch, kv),
        weights=memory.weights, kv_cache=memory.kv_cache, activations=memory.activations,
        scheme=scheme)


def _devices(need: float | int, have: float | int) -> int:
    """The fewest devices of ``have`` each that add up to ``need`` (exact, no rounding)."""
    return max(1, math.ceil(Fraction(need) / Fraction(have)))


@dataclass(frozen=True, slots=True)
class ChipFit:
    """One chip against a :class:`Requirement`: what it offers over what a device needs.

    A margin of 2 means the chip has twice what the target needs; below 1 it falls short.
    """

    hardware: str
    display: str
    compute_format: str
    bandwidth_margin: float
    compute_margin: float
    capacity_margin: float
    #: The fewest of these chips that meet all three needs together.
    devices_needed: int
    #: The roofline at the requirement's intensity, FLOP/s of one chip.
    attainable_flops: float
    #: Tokens/s per sequence the requirement's devices reach (bandwidth and compute; the
    #: memory must hold the work as well: see ``capacity_margin``).
    attainable_tokens_per_s: float

    @property
    def margins(self) -> dict[Limit, float]:
        """Each limit's margin, by name (:data:`LIMITS`)."""
        return {"bandwidth": self.bandwidth_margin, "capacity": self.capacity_margin,
                "compute": self.compute_margin}

    @property
    def margin(self) -> float:
        """The smallest margin: the factor by which the chip clears (or misses) the target."""
        return min(self.margins.values())

    @property
    def binding(self) -> Limit:
        """The limit with the smallest margin (bandwidth first on a tie)."""
        margins = self.margins
        return min(LIMITS, key=lambda limit: margins[limit])

    @property
    def meets(self) -> bool:
        """Whether the chip meets every need (all margins at least 1)."""
        return self.margin >= 1.0

    @property
    def fast_enough(self) -> bool:
        """Whether bandwidth and compute suffice for the speed, memory aside: the
        requirement lies on or under the chip's roof."""
        return min(self.bandwidth_margin, self.compute_margin) >= 1.0


def chip_fit(need: Requirement, hw: Accelerator) -> ChipFit:
    """How ``hw`` measures up to one device's share of ``need``.

    The bandwidth and compute margins are the chip's bandwidth and peak (in the format it
    computes the weights in) over the per-device needs; the capacity margin counts on the
    memory the fit answers use (:attr:`~ai_workloads.core.accelerator.Accelerator.fit_bytes`).
    The tokens/s the devices reach are the target times the smaller of the first two: the
    decode step's own bound.

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> need = requirement(get_model("llama-2-70b"), 20.0, context=2048, dtype="fp16",
    ...                    n_devices=2)
    >>> fit = chip_fit(need, get_accelerator("h100-sxm"))
    >>> fit.meets, fit.binding, round(fit.bandwidth_margin, 3)   # 3.35 TB/s over 1.386
    (True, 'capacity', 2.417)
    >>> round(fit.attainable_tokens_per_s, 1)                   # as decode_step finds
    48.3
    """
    fmt = need.compute_format(hw)
    peak = hw.peak(fmt)
    bandwidth_margin = hw.bandwidth / need.bandwidth
    compute_margin = peak / need.compute
    return ChipFit(
        hardware=hw.name, display=hw.display, compute_format=fmt,
        bandwidth_margin=bandwidth_margin, compute_margin=compute_margin,
        capacity_margin=hw.fit_bytes / need.capacity,
        devices_needed=max(_devices(need.total_bandwidth, hw.bandwidth),
                           _devices(need.total_compute, peak),
                           _devices(need.total_capacity, hw.fit_bytes)),
        attainable_flops=hw.attainable(need.intensity, fmt),
        attainable_tokens_per_s=need.tokens_per_s * min(bandwidth_margin, compute_margin))


def chip_fits(need: Requirement, chips: Sequence[Accelerator]) -> tuple[ChipFit, ...]:
    """:func:`chip_fit` for each chip, in the order given.

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> need = requirement(get_model("llama-3-8b"), 100.0, context=8192)
    >>> [f.meets for f in chip_fits(need, [get_accelerator("tpu-v5e"),
    ...                                    get_accelerator("h100-sxm")])]
    [False, True]
    """
    return tuple(chip_fit(need, hw) for hw in chips)


def chips_meeting(need: Requirement, chips: Sequence[Accelerator]) -> tuple[ChipFit, ...]:
    """The chips that meet ``need`` (on ``need.n_devices`` devices), best margin first.

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> need = requirement(get_model("llama-3-8b"), 100.0, context=8192)
    >>> chips = [get_accelerator(n) for n in ("tpu-v5e", "h100-sxm", "b200")]
    >>> [f.hardware for f in chips_meeting(need, chips)]
    ['b200', 'h100-sxm']
    """
    fits = [fit for fit in chip_fits(need, chips) if fit.meets]
    return tuple(sorted(fits, key=lambda fit: (-fit.margin, fit.hardware)))


def binding_counts(needs: Sequence[Requirement], chips: Sequence[Accelerator],
                   ) -> dict[Limit, int]:
    """How often each limit is the binding one, over every pair of a need and a chip.

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> needs = [requirement(get_model("llama-3-8b"), rate, context=8192, batch=batch)
    ...          for rate, batch in ((100.0, 1), (1.0, 256))]   # 16 GB + 1 GB a sequence
    >>> binding_counts(needs, [get_accelerator("h100-sxm")])
    {'bandwidth': 1, 'capacity': 1, 'compute': 0}
    """
    counts: dict[Limit, int] = dict.fromkeys(LIMITS, 0)
    for need in needs:
        for fit in chip_fits(need, chips):
            counts[fit.binding] += 1
    return counts


def targets_met(needs: Sequence[Requirement], hw: Accelerator) -> int:
    """How many of ``needs`` the chip ``hw`` meets (each on its ``n_devices``).

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> needs = [requirement(get_model("llama-3-8b"), rate, context=8192)
    ...          for rate in (100.0, 1000.0)]
    >>> targets_met(needs, get_accelerator("h100-sxm"))
    1
    """
    return sum(chip_fit(need, hw).meets for need in needs)


# ------------------------------------------------------------------ design-study chips


def scaled_chip(base: Accelerator, *, bandwidth: float = 1.0, compute: float = 1.0,
                capacity: float = 1.0, name: str = "", display: str = "") -> Accelerator:
    """A hypothetical chip: ``base`` with its bandwidth, every peak and its memory
    (nominal and usable) multiplied by the factors given.

    It keeps the base's scale-up links and drops what a design study does not know (year,
    power, sources).

    >>> from ai_workloads.catalog import get_accelerator
    >>> h100 = get_accelerator("h100-sxm")
    >>> chip = scaled_chip(h100, bandwidth=10, name="h100-x10")
    >>> chip.bandwidth == 10 * h100.bandwidth, chip.peak("bf16") == h100.peak("bf16")
    (True, True)
    >>> round(chip.ridge_point("bf16"), 2)                 # a tenth of the H100's
    29.53
    """
    bw, flops, mem = (_factor(label, value) for label, value in
                      (("bandwidth", bandwidth), ("compute", compute), ("capacity", capacity)))
    usable = None if base.usable_bytes is None else round(base.usable_bytes * mem)
    label = name or f"{base.name}-design"
    return Accelerator(
        name=label, display=display or label,
        peak_flops={fmt: peak * flops for fmt, peak in base.peak_flops.items()},
        bandwidth=base.bandwidth * bw, capacity_bytes=round(base.capacity_bytes * mem),
        usable_bytes=usable, interconnect=base.interconnect,
        notes=(f"Design study, not a product: the {base.display} with {bw:g}x its bandwidth, "
               f"{flops:g}x its peaks and {mem:g}x its memory."))


def smallest_chip(needs: Sequence[Requirement], name: str = "smallest-chip",
                  display: str = "", formats: Sequence[str] = ("bf16",)) -> Accelerator:
    """The least chip that meets every one of ``needs`` on its own share: the largest
    per-device bandwidth, capacity and compute among them, the compute as the peak of each
    of ``formats``.

    >>> from ai_workloads.catalog import get_model
    >>> needs = [requirement(get_model("llama-3-8b"), rate, context=8192)
    ...          for rate in (20.0, 100.0)]
    >>> chip = smallest_chip(needs)
    >>> chip.bandwidth == needs[1].bandwidth, chip.capacity_bytes == needs[1].capacity
    (True, True)
    >>> [chip_fit(need, chip).meets for need in needs]
    [True, True]
    """
    if not needs:
        raise WorkloadError("give at least one requirement")
    peak = max(need.compute for need in needs)
    return Accelerator(
        name=name, display=display or name, peak_flops=dict.fromkeys(formats, peak),
        bandwidth=max(need.bandwidth for need in needs),
        capacity_bytes=max(need.capacity for need in needs),
        notes="The least chip that meets every requirement given, on its own share.")
