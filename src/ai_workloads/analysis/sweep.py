"""Vectorized decode sweeps over (model, hardware, context, batch), with no loop per point.

Each model contributes the exact integers its decode step is linear in
(:func:`~ai_workloads.analysis.roofline.decode_terms`); each chip its bandwidth, peak and
the capacity fits count on (usable when known, else nominal); NumPy broadcasting does the
rest. Results agree with the scalar :func:`~ai_workloads.analysis.roofline.decode_step`
point by point.

>>> from ai_workloads.catalog import get_model, get_accelerator
>>> grid = decode_grid([get_model("llama-2-7b"), get_model("llama-2-70b")],
...                    [get_accelerator("h100-sxm")], contexts=[2048, 8192], batches=[1, 64])
>>> grid.time.shape
(2, 1, 2, 2)
>>> bool(grid.fits[1, 0, 0, 0])    # 70B in bf16 does not fit one 80 GiB H100
False
>>> grid.fit_basis                  # the H100's usable capacity is known
('usable',)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..core.accelerator import Accelerator
from ..core.config import TransformerConfig
from ..core.errors import WorkloadError
from ..core.quantization import weight_scheme
from .memory import expert_weight_bytes
from .roofline import decode_terms

Array = npt.NDArray[np.float64]


def _positive_ints(name: str, values: Sequence[int] | npt.ArrayLike) -> Array:
    array = np.asarray(values)
    if array.ndim != 1 or array.size == 0:
        raise WorkloadError(f"{name} must be a non-empty 1-D sequence of integers")
    if not np.issubdtype(array.dtype, np.integer) or (array <= 0).any():
        raise WorkloadError(f"{name} must hold positive integers only")
    return array.astype(np.float64)


@dataclass(frozen=True, slots=True)
class DecodeGrid:
    """Decode-step bounds on a 4-D grid indexed ``[model, hardware, context, batch]``."""

    models: tuple[str, ...]
    hardware: tuple[str, ...]
    contexts: Array
    batches: Array
    flops: Array
    bytes: Array
    memory_time: Array
    compute_time: Array
    fits: npt.NDArray[np.bool_]
    #: Per chip, which capacity ``fits`` counts on: ``"usable"`` or ``"nominal"``.
    fit_basis: tuple[str, ...] = ()

    @property
    def time(self) -> Array:
        """Seconds per decode step."""
        return np.maximum(self.memory_time, self.compute_time)

    @property
    def tokens_per_s(self) -> Array:
        """Tokens per second, all sequences together."""
        return self.batches / self.time

    @property
    def memory_bound(self) -> npt.NDArray[np.bool_]:
        """True where reading bytes, not doing FLOPs, sets the step time."""
        return self.memory_time >= self.compute_time

    @property
    def size(self) -> int:
        """Number of grid points."""
        return int(self.memory_time.size)


def decode_grid(models: Sequence[TransformerConfig], hardware: Sequence[Accelerator],
                contexts: Sequence[int] | npt.ArrayLike, batches: Sequence[int] | npt.ArrayLike,
                dtype: str = "bf16", kv_dtype: str | None = None,
                compute_dtype: str | None = None, n_devices: int = 1) -> DecodeGrid:
    """Decode-step time, tokens/s and fit for every combination, in one broadcast.

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> from ai_workloads.analysis.roofline import decode_step
    >>> cfg, chip = get_model("mixtral-8x7b"), get_accelerator("h200")
    >>> grid = decode_grid([cfg], [chip], [4096], [1, 8])
    >>> step = decode_step(cfg, chip, 4096, 8)
    >>> bool(np.isclose(grid.time[0, 0, 0, 1], step.time, rtol=1e-12))
    True
    """
    if not models or not hardware:
        raise WorkloadError("give at least one model and one accelerator")
    s = _positive_ints("contexts", contexts)[None, None, :, None]
    b = _positive_ints("batches", batches)[None, None, None, :]

    terms = [decode_terms(cfg, dtype, kv_dtype) for cfg in models]

    def column(values: Sequence[float] | Array) -> Array:
        return np.asarray(values, dtype=float).reshape(-1, 1, 1, 1)

    dense = column([t.dense for t in terms])
    weights = column([t.weights for t in terms])
    kv_scales = column([t.kv_scales for t in terms])
    # Per sequence, at each context: FLOPs and cache bytes summed over each model's windows.
    contexts = s.ravel().astype(float)
    keys_flops = column(np.array([
        sum(k * (np.minimum(contexts, w) if w else contexts) for w, k, _ in t.terms)
        for t in terms])).reshape(len(models), 1, s.size, 1)
    kv_seq = column(np.array([
        t.state + sum(b * (np.minimum(contexts, w) if w else contexts) for w, _, b in t.terms)
        for t in terms])).reshape(len(models), 1, s.size, 1)
    expert_bytes = np.array([float(expert_weight_bytes(cfg, dtype))
                             for cfg in models])[:, None, None, None]
    untouched = np.array([1.0 - cfg.experts_per_token / cfg.n_experts
                          for cfg in models])[:, None, None, None]

    bw = np.array([chip.bandwidth for chip in hardware])[None, :, None, None] * n_devices
    peak = np.array([[chip.peak(compute_dtype or weight_scheme(cfg, dtype).compute_dtype(
        chip.peak_flops)) for chip in hardware] for cfg in models])[:, :, None, None]
    capacity = np.array([float(chip.fit_bytes) for chip in hardware])[None, :, None, None]

    flops = b * (dense + keys_flops)
    kv = b * kv_seq + kv_scales
    read = weights - expert_bytes * untouched**b + kv
    shape = (len(models), len(hardware), s.size, b.size)
    return DecodeGrid(
        models=tuple(cfg.name for cfg in models),
        hardware=tuple(chip.name for chip in hardware),
        contexts=s.ravel().copy(), batches=b.ravel().copy(),
        flops=np.broadcast_to(flops, shape), bytes=np.broadcast_to(read, shape),
        memory_time=np.broadcast_to(read / bw, shape),
        compute_time=np.broadcast_to(flops / (peak * n_devices), shape),
        fits=np.broadcast_to(weights + kv <= capacity * n_devices, shape),
        fit_basis=tuple(chip.fit_basis for chip in hardware),
    )
