"""The roofline: arithmetic intensity, ridge points, and decode-step time bounds.

A kernel that does ``F`` FLOPs and moves ``Q`` bytes has intensity ``I = F / Q``. On a chip
with peak ``P`` FLOP/s and bandwidth ``W`` bytes/s it runs at most at ``min(P, I·W)``; the
ridge point ``P / W`` is the intensity at which the two limits meet.

>>> from ai_workloads.catalog import get_accelerator
>>> round(ridge_point(get_accelerator("h100-sxm"), "bf16"), 1)
295.3
>>> round(matmul_intensity(1, 8192, 8192, "bf16"), 4)   # batch-1 decode: ~1 FLOP/byte
0.9998
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ..core.accelerator import Accelerator, ArrayOrFloat
from ..core.config import TransformerConfig
from ..core.dtypes import bytes_per_element, nbytes
from ..core.errors import WorkloadError, positive_int
from ..core.quantization import kv_format, weight_scheme
from .flops import (
    CONTEXT_OPS,
    attention_flops_per_key,
    decode_flops,
    dense_flops_per_token,
    layer_op_flops,
    matmul_flops,
)
from .layer_parts import RECURRENT_STATE_DTYPE, cached_values, recurrent_state_values
from .memory import (
    expert_weight_bytes,
    kv_cache_bytes,
    kv_elements_per_token,
    kv_scale_bytes,
    weight_bytes,
)


def matmul_intensity(m: int, k: int, n: int, dtype: str = "bf16",
                     weight_dtype: str | None = None, out_dtype: str | None = None) -> float:
    """FLOPs per byte of ``[m, k] @ [k, n]``: :func:`~ai_workloads.analysis.flops.matmul_flops`
    (``2mkn``) over the bytes of A, B and C.

    Each operand is moved once (the ideal, fully reused case). ``weight_dtype`` is B's
    format (default ``dtype``); ``out_dtype`` is C's (default ``dtype``).

    >>> matmul_intensity(4096, 4096, 4096, "bf16")        # 2·4096³ / (3 · 2 · 4096²)
    1365.3333333333333
    >>> round(matmul_intensity(1, 4096, 4096, "bf16", weight_dtype="int4"), 3)
    3.992
    """
    flops = matmul_flops(m, k, n)  # checks the sizes
    a = bytes_per_element(dtype)
    b = bytes_per_element(weight_dtype or dtype)
    c = bytes_per_element(out_dtype or dtype)
    return flops / (m * k * a + k * n * b + m * n * c)


def gemv_batch_for_intensity(intensity: float, d_model: int) -> int:
    """The smallest batch ``B`` whose ``bf16[B, D] × bf16[D, D]`` product reaches
    ``intensity``: solves ``B / (1 + 2B/D) >= intensity`` exactly (``B ≈ intensity`` only
    when ``B ≪ D``).

    >>> gemv_batch_for_intensity(295.3, 8192), round(matmul_intensity(319, 8192, 8192), 1)
    (319, 296.0)
    >>> gemv_batch_for_intensity(5000, 8192)
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: no batch reaches 5000 FLOP/byte with D = 8192 ...
    """
    positive_int("d_model", d_model)
    if 2 * intensity >= d_model:
        raise WorkloadError(f"no batch reaches {intensity:g} FLOP/byte with D = {d_model} "
                            f"(the limit is D/2 = {d_model / 2:g})")
    # B / (1 + 2B/D) = I  <=>  B = I / (1 - 2I/D)
    batch = math.ceil(intensity / (1 - 2 * intensity / d_model))
    while batch > 1 and matmul_intensity(batch - 1, d_model, d_model) >= intensity:
        batch -= 1
    while matmul_intensity(batch, d_model, d_model) < intensity:
        batch += 1
    return batch


def ridge_point(hw: Accelerator, dtype: str = "bf16") -> float:
    """The intensity (FLOP/byte) at which ``hw`` turns from memory- to compute-bound.

    >>> from ai_workloads.catalog import get_accelerator
    >>> round(ridge_point(get_accelerator("a100-sxm-80gb"), "bf16"), 2)
    153.02
    """
    return hw.ridge_point(dtype)


def attainable_flops(hw: Accelerator, intensity: ArrayOrFloat,
                     dtype: str = "bf16") -> ArrayOrFloat:
    """The roofline: ``min(peak, intensity · bandwidth)`` FLOP/s (works on arrays).

    >>> from ai_workloads.catalog import get_accelerator
    >>> h100 = get_accelerator("h100-sxm")
    >>> attainable_flops(h100, 1.0) == h100.bandwidth
    True
    >>> import numpy as np
    >>> attainable_flops(h100, np.array([1.0, 1e4])) / 1e12
    array([  3.35,  989.4 ])
    """
    return hw.attainable(intensity, dtype)


def attained_flops(flops: float, seconds: float, n_devices: int = 1) -> float:
    """FLOP/s each of ``n_devices`` attains doing ``flops`` in ``seconds`` (split evenly):
    the height of a step's point on a roofline, on the roof when the time is its bound.

    >>> from ai_workloads.catalog import get_accelerator, get_model
    >>> h100 = get_accelerator("h100-sxm")
    >>> step = decode_step(get_model("llama-2-70b"), h100, 2048, 8, n_devices=2)
    >>> attained = attained_flops(step.flops, step.time, 2)
    >>> abs(attained - attainable_flops(h100, step.intensity)) < 1e-6 * attained
    True
    """
    positive_int("n_devices", n_devices)
    return flops / (seconds * n_devices)


def moe_weight_bytes_read(cfg: TransformerConfig, batch: int, dtype: str = "bf16") -> float:
    """Expected weight bytes one decode step reads, for ``batch`` tokens.

    Dense models read every weight. An MoE layer reads only the experts its tokens are
    routed to: under uniform routing of ``k`` of ``E`` experts per token, an expert is
    untouched by all ``B`` tokens with probability ``(1 - k/E)^B``.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("mixtral-8x7b")
    >>> moe_weight_bytes_read(cfg, 1) / 2 == 12879925248   # batch 1 reads the active params
    True
    >>> round(moe_weight_bytes_read(cfg, 64) / weight_bytes(cfg))
    1
    """
    positive_int("batch", batch)
    total = weight_bytes(cfg, dtype)
    if not cfg.is_moe:
        return float(total)
    touched = 1.0 - (1.0 - cfg.experts_per_token / cfg.n_experts) ** batch
    return total - expert_weight_bytes(cfg, dtype) * (1.0 - touched)


@dataclass(frozen=True, slots=True)
class DecodeStep:
    """The time bound of one decode step and what sets it.

    ``time = max(bytes / bandwidth, flops / peak)``: the step can go no faster than it
    can read its bytes, nor than it can do its FLOPs.
    """

    model: str
    hardware: str
    context: int
    batch: int
    flops: int
    bytes: float
    memory_time: float
    compute_time: float

    @property
    def time(self) -> float:
        """Seconds per step: the larger of the memory and compute times."""
        return max(self.memory_time, self.compute_time)

    @property
    def bound(self) -> Literal["memory", "compute"]:
        """Which limit sets the step time."""
        return "memory" if self.memory_time >= self.compute_time else "compute"

    @property
    def intensity(self) -> float:
        """FLOPs per byte moved in the step."""
        return self.flops / self.bytes

    @property
    def tokens_per_s(self) -> float:
        """Tokens per second, all sequences together."""
        return self.batch / self.time

    @property
    def tokens_per_s_per_sequence(self) -> float:
        """Tokens per second that one sequence (one user) sees."""
        return 1.0 / self.time

    @property
    def utilization(self) -> float:
        """Fraction of peak FLOP/s the step reaches at its bound."""
        return self.compute_time / self.time


def decode_step(cfg: TransformerConfig, hw: Accelerator, context: int, batch: int = 1,
                dtype: str = "bf16", kv_dtype: str | None = None,
                compute_dtype: str | None = None, n_devices: int = 1) -> DecodeStep:
    """Bound the time of one decode step of ``batch`` sequences at ``context`` on ``hw``.

    Bytes are the weights read once (for MoE, the experts the batch touches) plus each
    sequence's KV cache; FLOPs are :func:`~ai_workloads.analysis.flops.decode_flops`. With
    ``n_devices`` the work and the bandwidth split evenly (ideal tensor parallelism). The
    peak is that of ``compute_dtype``, by default the format the weights compute in on this
    chip (:func:`ai_workloads.core.dtypes.compute_dtype`).

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> step = decode_step(get_model("llama-2-70b"), get_accelerator("h100-sxm"), 2048,
    ...                    n_devices=2)
    >>> step.bound, round(step.tokens_per_s, 1)
    ('memory', 48.3)
    """
    kv_dtype = kv_format(cfg, kv_dtype, dtype)
    compute_dtype = compute_dtype or weight_scheme(cfg, dtype).compute_dtype(hw.peak_flops)
    positive_int("n_devices", n_devices)
    flops = decode_flops(cfg, context, batch)
    moved = moe_weight_bytes_read(cfg, batch, dtype) + kv_cache_bytes(cfg, context, batch,
                                                                       kv_dtype)
    return DecodeStep(
        model=cfg.name, hardware=hw.name, context=context, batch=batch, flops=flops,
        bytes=moved,
        memory_time=moved / (n_devices * hw.bandwidth),
        compute_time=flops / (n_devices * hw.peak(compute_dtype)),
    )


def critical_batch(cfg: TransformerConfig, hw: Accelerator, context: int,
                   dtype: str = "bf16", kv_dtype: str | None = None,
                   compute_dtype: str | None = None) -> int | None:
    """The smallest batch at which a dense model's decode step is compute-bound.

    Solves ``B·f/P >= (W + B·c)/BW`` for ``B`` with ``f`` FLOPs and ``c`` KV bytes per
    sequence and ``W`` weight bytes; ``None`` when the KV reads alone keep the step
    memory-bound at any batch (``c/BW >= f/P``). For MoE models the weight bytes read grow
    with the batch; the answer is then found by search over :func:`decode_step`.

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> critical_batch(get_model("llama-2-70b"), get_accelerator("h100-sxm"), 1)
    297
    >>> critical_batch(get_model("llama-2-7b"), get_accelerator("h100-sxm"), 32768) is None
    True
    """
    kv_dtype = kv_format(cfg, kv_dtype, dtype)
    compute_dtype = compute_dtype or weight_scheme(cfg, dtype).compute_dtype(hw.peak_flops)
    per_seq_time = decode_flops(cfg, context) / hw.peak(compute_dtype)
    scales = kv_scale_bytes(cfg, kv_dtype)  # once per cache, not per sequence
    per_seq_bytes_time = (kv_cache_bytes(cfg, context, 1, kv_dtype) - scales) / hw.bandwidth
    if per_seq_time <= per_seq_bytes_time:
        return None
    if cfg.is_moe:
        batch = 1
        while decode_step(cfg, hw, context, batch, dtype, kv_dtype, compute_dtype).bound \
                == "memory":
            batch *= 2
        low, high = batch // 2, batch
        while high - low > 1:
            mid = (low + high) // 2
            step = decode_step(cfg, hw, context, mid, dtype, kv_dtype, compute_dtype)
            low, high = (low, mid) if step.bound == "compute" else (mid, high)
        return high
    weights_time = (weight_bytes(cfg, dtype) + scales) / hw.bandwidth
    return max(1, math.ceil(weights_time / (per_seq_time - per_seq_bytes_time)))


@dataclass(frozen=True, slots=True)
class DecodeTerms:
    """The exact integers a decode step is made of, for vectorized sweeps.

    Per sequence at context ``S``: FLOPs ``dense + Σ per_key·min(S, W)`` and cache bytes
    ``state + Σ kv_per_token·min(S, W)``, one term per window ``W`` (0: no window, all
    ``S`` keys). Once per step: ``weights`` and ``kv_scales`` bytes.
    """

    dense: int
    weights: int
    kv_scales: int
    state: int
    #: ``(window, per_key FLOPs, kv bytes per token)`` for each window size.
    terms: tuple[tuple[int, int, int], ...]

    def flops(self, context: int) -> int:
        """One sequence's decode FLOPs at ``context``.

        >>> from ai_workloads.catalog import get_model
        >>> from ai_workloads.analysis.flops import decode_flops
        >>> cfg = get_model("mistral-7b")
        >>> decode_terms(cfg).flops(32768) == decode_flops(cfg, 32768)
        True
        """
        return self.dense + sum(k * (min(context, w) if w else context)
                                for w, k, _ in self.terms)

    def kv_bytes(self, context: int) -> int:
        """One sequence's cache bytes at ``context`` (scales not included).

        >>> from ai_workloads.catalog import get_model
        >>> decode_terms(get_model("mistral-7b")).kv_bytes(32768)
        536870912
        """
        return self.state + sum(b * (min(context, w) if w else context)
                                for w, _, b in self.terms)


def decode_terms(cfg: TransformerConfig, dtype: str = "bf16",
                 kv_dtype: str | None = None) -> DecodeTerms:
    """Split a decode step into the exact terms of :class:`DecodeTerms`.

    >>> from ai_workloads.catalog import get_model
    >>> t = decode_terms(get_model("llama-2-7b"))
    >>> t.terms, t.state
    (((0, 524288, 524288),), 0)
    """
    kv_dtype = kv_format(cfg, kv_dtype, dtype)
    windows: dict[int, list[int]] = {}
    state = 0
    for kind, count in cfg.layer_groups:
        if kind.mixer in ("linear", "mamba"):
            matrices = recurrent_state_values(cfg, kind)
            state += count * (nbytes(cached_values(cfg, kind, 1) - matrices, kv_dtype)
                              + nbytes(matrices, RECURRENT_STATE_DTYPE))
            continue
        one = layer_op_flops(cfg, kind, 1, 1)
        per_key = sum(one[name] for name in CONTEXT_OPS)
        entry = windows.setdefault(cfg.window(kind.mixer), [0, 0])
        entry[0] += count * per_key
        entry[1] += count * cached_values(cfg, kind, 1)
    return DecodeTerms(
        dense=dense_flops_per_token(cfg), weights=weight_bytes(cfg, dtype),
        kv_scales=kv_scale_bytes(cfg, kv_dtype), state=state,
        terms=tuple((w, k, nbytes(v, kv_dtype)) for w, (k, v) in sorted(windows.items())))


def attention_intensity(cfg: TransformerConfig, context: int, dtype: str = "bf16") -> float:
    """FLOPs per byte of a decode token's attention core: scores and ``A·V`` over its cache.

    Each cached key and value (``2·K·H`` values a layer) serves the ``N/K`` query heads of its
    group, ``4·N·H`` FLOPs, so in bf16 the intensity is ``N/K`` FLOP/byte, whatever the batch:
    every sequence reads its own cache.

    >>> from ai_workloads.catalog import get_model
    >>> attention_intensity(get_model("llama-2-70b"), 4096)   # 64 query heads over 8 KV heads
    8.0
    >>> attention_intensity(get_model("llama-2-7b"), 4096)    # MHA: 1 FLOP/byte
    1.0
    """
    terms = decode_terms(cfg, dtype, dtype)
    core = terms.flops(context) - terms.dense
    return core / terms.kv_bytes(context)


def decode_coefficients(cfg: TransformerConfig, dtype: str = "bf16",
                        kv_dtype: str | None = None) -> dict[str, int]:
    """The exact integers a decode step is linear in (no windows, no recurrent layers).

    ``flops(S, B) = B·(dense + S·per_key)``; ``bytes(S, B) = weights + kv_scales +
    B·S·kv_per_token`` (dense models; ``kv_scales`` is 0 unless the cache is fp8). Models with
    windows or recurrent layers are not linear in ``S``: see :func:`decode_terms`.

    >>> from ai_workloads.catalog import get_model
    >>> c = decode_coefficients(get_model("llama-2-7b"))
    >>> c["per_key"], c["kv_per_token"]
    (524288, 524288)
    """
    kv_dtype = kv_format(cfg, kv_dtype, dtype)
    return {
        "dense": dense_flops_per_token(cfg),
        "per_key": attention_flops_per_key(cfg),
        "weights": weight_bytes(cfg, dtype),
        "kv_per_token": nbytes(kv_elements_per_token(cfg), kv_dtype),  # 2·L·K·H is even
        "kv_scales": kv_scale_bytes(cfg, kv_dtype),
    }
