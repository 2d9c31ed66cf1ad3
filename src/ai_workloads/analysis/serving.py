"""Serving under the memory wall: workloads on the roofline, decode rates, batch curves.

Built on :mod:`~ai_workloads.analysis.roofline`, :mod:`~ai_workloads.analysis.memory` and the
vectorized :func:`~ai_workloads.analysis.sweep.decode_grid`; every number here is derived from them.

>>> from ai_workloads.catalog import get_model, get_accelerator
>>> cfg, h100 = get_model("llama-2-70b"), get_accelerator("h100-sxm")
>>> curve = throughput_curve(cfg, h100, context=2048, batches=[1, 49, 50], n_devices=2)
>>> curve.max_batch, curve.fits.tolist(), curve.critical_batch is None, curve.fit_basis
(49, [True, True, False], True, 'usable')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from ..core.accelerator import Accelerator
from ..core.config import TransformerConfig
from ..core.dtypes import check_dtype, nbytes
from ..core.errors import WorkloadError, positive_int
from ..core.quantization import kv_format, weight_scheme
from .flops import decode_flops, matmul_flops, prefill_flops
from .memory import kv_cache_bytes, kv_scale_bytes, max_batch, weight_bytes
from .params import param_counts
from .roofline import attainable_flops, critical_batch, decode_coefficients, ridge_point
from .sweep import decode_grid

Array = npt.NDArray[np.float64]


# ------------------------------------------------------------------ intensity of a matmul


@dataclass(frozen=True, slots=True)
class MatmulCost:
    """FLOPs and bytes of one ``[m, k] @ [k, n]`` matmul, each operand moved once."""

    m: int
    k: int
    n: int
    flops: int
    bytes: int

    @property
    def intensity(self) -> float:
        """FLOPs per byte moved."""
        return self.flops / self.bytes


def matmul_cost(m: int, k: int, n: int, dtype: str = "bf16") -> MatmulCost:
    """Exact FLOPs ``2mkn`` and bytes ``(mk + kn + mn)·size`` of ``[m, k] @ [k, n]``.

    The intensity agrees with :func:`~ai_workloads.analysis.roofline.matmul_intensity`.

    >>> from ai_workloads.analysis.roofline import matmul_intensity
    >>> cost = matmul_cost(1, 8192, 8192, "fp16")   # batch-1 decode through a D×D weight
    >>> cost.flops, cost.bytes
    (134217728, 134250496)
    >>> cost.intensity == matmul_intensity(1, 8192, 8192, "fp16")
    True
    """
    flops = matmul_flops(m, k, n)  # checks the sizes
    check_dtype(dtype)
    return MatmulCost(m, k, n, flops=flops, bytes=nbytes(m * k + k * n + m * n, dtype))


# ------------------------------------------------------------------ workloads on the roofline


@dataclass(frozen=True, slots=True)
class WorkloadPoint:
    """A workload placed on a chip's roofline: its intensity and what the chip attains."""

    name: str
    intensity: float
    attainable: float
    peak: float

    @property
    def bound(self) -> Literal["memory", "compute"]:
        """Which roof caps the workload: the sloped memory roof or the flat compute roof."""
        return "compute" if self.attainable >= self.peak else "memory"

    @property
    def share_of_peak(self) -> float:
        """Attainable FLOP/s as a fraction of the chip's peak."""
        return self.attainable / self.peak


def workload_point(name: str, intensity: float, hw: Accelerator,
                   dtype: str = "bf16") -> WorkloadPoint:
    """Place a workload of ``intensity`` FLOP/byte on the roofline of ``hw``.

    >>> from ai_workloads.catalog import get_accelerator
    >>> point = workload_point("decode", 1.0, get_accelerator("h100-sxm"))
    >>> point.bound, point.attainable / 1e12, round(point.share_of_peak, 4)
    ('memory', 3.35, 0.0034)
    """
    if not intensity > 0:
        raise WorkloadError(f"intensity must be a positive number of FLOP/byte, got {intensity}")
    return WorkloadPoint(name, float(intensity), float(attainable_flops(hw, intensity, dtype)),
                         hw.peak(dtype))


def prefill_intensity(cfg: TransformerConfig, tokens: int, dtype: str = "bf16") -> float:
    """FLOPs per byte of prefilling ``tokens`` tokens of one sequence.

    FLOPs are :func:`~ai_workloads.analysis.flops.prefill_flops` (full score matrix); bytes are the
    least a pass must move: every weight read once and the new KV cache written once
    (activations kept on chip), so this is an upper bound on the real intensity.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("llama-2-7b")
    >>> prefill_intensity(cfg, 1) == decode_flops(cfg, 1) / (
    ...     weight_bytes(cfg) + kv_cache_bytes(cfg, 1))
    True
    """
    positive_int("tokens", tokens)
    moved = weight_bytes(cfg, dtype) + kv_cache_bytes(cfg, tokens, 1,
                                                      kv_format(cfg, None, dtype))
    return prefill_flops(cfg, tokens) / moved


@dataclass(frozen=True, slots=True)
class RooflineCurve:
    """A chip's roofline sampled on a log-spaced intensity grid, ready to draw."""

    hardware: str
    dtype: str
    intensity: Array
    attainable: Array
    peak: float
    bandwidth: float
    ridge: float


def roofline_curve(hw: Accelerator, dtype: str = "bf16", low: float = 0.1,
                   high: float = 1e4, points: int = 200) -> RooflineCurve:
    """Sample ``min(peak, I·bandwidth)`` for ``I`` from ``low`` to ``high`` FLOP/byte.

    >>> from ai_workloads.catalog import get_accelerator
    >>> curve = roofline_curve(get_accelerator("h100-sxm"), points=5, low=1.0, high=1e4)
    >>> curve.intensity.tolist()
    [1.0, 10.0, 100.0, 1000.0, 10000.0]
    >>> (curve.attainable / 1e12).round(1).tolist()
    [3.4, 33.5, 335.0, 989.4, 989.4]
    """
    if not 0 < low < high:
        raise WorkloadError(f"need 0 < low < high for the intensity range, got {low}, {high}")
    if points < 2:
        raise WorkloadError(f"a roofline curve needs at least 2 points, got {points}")
    grid = np.logspace(np.log10(low), np.log10(high), points)
    return RooflineCurve(hardware=hw.display, dtype=dtype, intensity=grid,
                         attainable=attainable_flops(hw, grid, dtype), peak=hw.peak(dtype),
                         bandwidth=hw.bandwidth, ridge=ridge_point(hw, dtype))


# ------------------------------------------------------------------ decode rates per model


@dataclass(frozen=True, slots=True)
class DecodeRate:
    """The bandwidth-bound decode rate of one model at batch 1 on one device."""

    model: str
    params: int
    tokens_per_s: float
    fits: bool

    @property
    def ms_per_token(self) -> float:
        """Milliseconds between two tokens of the sequence (the per-user latency)."""
        return 1e3 / self.tokens_per_s


def decode_rates(models: Sequence[TransformerConfig], hw: Accelerator, context: int,
                 dtype: str = "bf16") -> tuple[DecodeRate, ...]:
    """Batch-1 decode tokens/s of each model on one ``hw`` (its bytes over the bandwidth).

    ``fits`` says whether the weights and the KV cache fit in the device's memory; the rate
    is the bound the bandwidth sets either way.

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> rate = decode_rates([get_model("llama-2-70b")], get_accelerator("h100-sxm"), 2048)[0]
    >>> round(rate.tokens_per_s, 2), rate.fits
    (24.17, False)
    """
    positive_int("context", context)
    grid = decode_grid(list(models), [hw], [context], [1], dtype=dtype)
    return tuple(
        DecodeRate(model=cfg.name, params=param_counts(cfg).total,
                   tokens_per_s=float(grid.tokens_per_s[i, 0, 0, 0]),
                   fits=bool(grid.fits[i, 0, 0, 0]))
        for i, cfg in enumerate(models))


# ------------------------------------------------------------------ throughput against batch


@dataclass(frozen=True, slots=True)
class ThroughputCurve:
    """Decode throughput of one model against the batch size, with its limits.

    ``compute_ceiling`` and ``kv_ceiling`` are the tokens/s the compute and the KV-cache
    reads allow as the batch grows without bound; the weights' share of each step's bytes
    vanishes then, so throughput tends to the smaller of the two.
    """

    model: str
    hardware: str
    n_devices: int
    context: int
    batches: npt.NDArray[np.int64]
    tokens_per_s: Array
    kv_bytes: npt.NDArray[np.int64]
    fits: npt.NDArray[np.bool_]
    memory_bound: npt.NDArray[np.bool_]
    max_batch: int
    critical_batch: int | None
    compute_ceiling: float
    kv_ceiling: float
    intensity_limit: float
    #: Which capacity ``fits`` and ``max_batch`` count on: ``"usable"`` or ``"nominal"``.
    fit_basis: str = "nominal"

    @property
    def tokens_per_s_per_sequence(self) -> Array:
        """Tokens/s each sequence (each user) sees."""
        return self.tokens_per_s / self.batches

    @property
    def ms_per_token(self) -> Array:
        """Milliseconds between two tokens of one sequence (the per-user latency)."""
        return 1e3 / self.tokens_per_s_per_sequence

    def at(self, batch: int) -> int:
        """Index of ``batch`` in ``batches``; a clear error if it was not swept.

        >>> from ai_workloads.catalog import get_model, get_accelerator
        >>> curve = throughput_curve(get_model("llama-2-7b"), get_accelerator("h100-sxm"),
        ...                          2048, [1, 8, 32])
        >>> curve.at(8)
        1
        """
        hits = np.flatnonzero(self.batches == batch)
        if hits.size == 0:
            raise WorkloadError(f"batch {batch} is not on the curve; sweep it in `batches`")
        return int(hits[0])


def throughput_curve(cfg: TransformerConfig, hw: Accelerator, context: int,
                     batches: Sequence[int] | npt.ArrayLike, n_devices: int = 1,
                     dtype: str = "bf16", kv_dtype: str | None = None) -> ThroughputCurve:
    """Decode tokens/s against batch size on ``n_devices`` of ``hw`` (ideal tensor parallel).

    ``max_batch`` is the largest batch whose weights and KV cache fit
    (:func:`~ai_workloads.analysis.memory.max_batch`, on the usable capacity when it is known,
    else the nominal one: ``fit_basis`` says which); ``critical_batch`` the smallest that is
    compute-bound (:func:`~ai_workloads.analysis.roofline.critical_batch`; splitting work and
    bandwidth evenly over devices leaves it unchanged), ``None`` when the KV reads keep
    every batch memory-bound. ``intensity_limit`` is the FLOP/byte a decode step tends to
    as the batch grows: one sequence's FLOPs over its KV bytes. ``kv_dtype`` stores the
    cache in another format than the weights (default: ``dtype``).

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> cfg, h100 = get_model("llama-2-70b"), get_accelerator("h100-sxm")
    >>> curve = throughput_curve(cfg, h100, 128, [1, 2, 4], n_devices=2)
    >>> curve.max_batch, curve.critical_batch, bool(curve.memory_bound.all())
    (788, 325, True)
    """
    positive_int("context", context)
    positive_int("n_devices", n_devices)
    if cfg.is_moe:
        raise WorkloadError(f"{cfg.name} is a mixture of experts; throughput_curve models "
                            "dense decoders only (use sweep.decode_grid for MoE)")
    kv_dtype = kv_format(cfg, kv_dtype, dtype)
    grid = decode_grid([cfg], [hw], [context], batches, dtype=dtype, kv_dtype=kv_dtype,
                       n_devices=n_devices)
    batch_ints = np.asarray(batches, dtype=np.int64)
    per_sequence_kv = kv_cache_bytes(cfg, context, 1, kv_dtype) - kv_scale_bytes(cfg, kv_dtype)
    per_sequence_flops = decode_flops(cfg, context)
    compute = weight_scheme(cfg, dtype).compute_dtype(hw.peak_flops)
    return ThroughputCurve(
        model=cfg.name, hardware=hw.name, n_devices=n_devices, context=context,
        batches=batch_ints, tokens_per_s=grid.tokens_per_s[0, 0, 0].copy(),
        kv_bytes=batch_ints * per_sequence_kv,
        fits=grid.fits[0, 0, 0].copy(), memory_bound=grid.memory_bound[0, 0, 0].copy(),
        max_batch=max_batch(cfg, hw, context, n_devices, dtype, kv_dtype),
        critical_batch=critical_batch(cfg, hw, context, dtype, kv_dtype),
        compute_ceiling=n_devices * hw.peak(compute) / per_sequence_flops,
        kv_ceiling=n_devices * hw.bandwidth / per_sequence_kv,
        intensity_limit=per_sequence_flops / per_sequence_kv,
        fit_basis=hw.fit_basis,
    )


def longest_compute_bound_context(cfg: TransformerConfig, hw: Accelerator,
                                  dtype: str = "bf16") -> int:
    """The longest context at which some batch makes a dense model's decode compute-bound.

    A sequence's decode FLOPs ``dense + S·per_key`` must take longer at peak than reading its
    KV cache ``S·kv_per_token`` bytes takes at full bandwidth; solved for ``S``. Returns 0
    when even one token of context is too many.

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> cfg, h100 = get_model("llama-2-70b"), get_accelerator("h100-sxm")
    >>> s = longest_compute_bound_context(cfg, h100)
    >>> s, critical_batch(cfg, h100, s) is None, critical_batch(cfg, h100, s + 1) is None
    (1459, False, True)
    """
    if cfg.is_moe:
        raise WorkloadError(f"{cfg.name} is a mixture of experts; this solves dense models only")
    c = decode_coefficients(cfg, dtype)
    peak = hw.peak(weight_scheme(cfg, dtype).compute_dtype(hw.peak_flops))
    bandwidth = hw.bandwidth
    # (dense + S·per_key)/peak > S·kv/bandwidth  <=>  S·(kv·peak/bandwidth − per_key) < dense
    slope = c["kv_per_token"] * peak / bandwidth - c["per_key"]
    if slope <= 0:
        raise WorkloadError(f"{cfg.name} on {hw.name}: compute-bound at every context; "
                            "the KV reads never set the limit")
    limit = c["dense"] / slope
    context = int(np.ceil(limit)) - 1
    return max(context, 0)
