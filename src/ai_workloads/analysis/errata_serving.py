"""Errata of the lecture notes in numbers, sections 6 and 7: intensity, the roofline, memory,
bandwidth and architectural variants.

The companion of :mod:`ai_workloads.analysis.errata` (which defines :class:`Reproduction`
and covers the notes' sections 1 to 5): each function takes the configurations, chips and
quoted values it needs and returns the notes' value, the value under the notes'
simplification and the right value, each a :class:`~ai_workloads.core.units.Quantity`.

>>> from ai_workloads.catalog import get_accelerator
>>> r = utilization_reproduction(get_accelerator("h100-sxm"), 8192, Quantity(0.7, "%", 1))
>>> r.reproduces, r.notes[0].value, r.correct[0].rounded()
(True, 0.7, 0.3)
"""

from __future__ import annotations

import numpy as np

from ..core.accelerator import Accelerator
from ..core.config import TransformerConfig
from ..core.dtypes import nbytes
from ..core.errors import WorkloadError
from ..core.units import Quantity, gb, reading_tokens_per_s
from .errata import Reproduction
from .memory import kv_cache_bytes, max_batch, serving_memory, weight_bytes
from .roofline import attainable_flops, critical_batch, decode_step, matmul_intensity, ridge_point
from .variants import score_matrix_bytes

# ------------------------------------------------------------------ intensity and the roofline


def _one_byte_intensity(d_model: int, batch: int = 1) -> float:
    """The notes' intensity: bytes counted as one per weight (an 8-bit format)."""
    return matmul_intensity(batch, d_model, d_model, "fp8")


def intensity_reproduction(d_model: int, quoted: Quantity, dtype: str = "fp16") -> Reproduction:
    """FLOP/byte of a batch-1 decode matmul through a ``D × D`` weight of ``dtype``.

    >>> r = intensity_reproduction(8192, Quantity(2, "FLOP/byte"))
    >>> r.reproduces, r.correct[0].rounded()
    (True, 1.0)
    """
    quoted.require("FLOP/byte")
    return Reproduction((quoted,), (quoted.like(_one_byte_intensity(d_model)),),
                        (quoted.like(matmul_intensity(1, d_model, d_model, dtype)),))


def utilization_reproduction(hw: Accelerator, d_model: int, quoted: Quantity,
                             dtype: str = "fp16") -> Reproduction:
    """Percent of ``hw``'s ``dtype`` peak that a batch-1 decode matmul attains.

    >>> from ai_workloads.catalog import get_accelerator
    >>> r = utilization_reproduction(get_accelerator("h100-sxm"), 8192, Quantity(0.7, "%", 1))
    >>> r.reproduces, r.correct[0].rounded()
    (True, 0.3)
    """
    quoted.require("%")

    def share(intensity: float) -> float:
        return 100 * (attainable_flops(hw, intensity, dtype) / hw.peak(dtype))

    return Reproduction((quoted,), (quoted.like(share(_one_byte_intensity(d_model))),),
                        (quoted.like(share(matmul_intensity(1, d_model, d_model, dtype))),))


def ridge_batch_reproduction(cfg: TransformerConfig, hw: Accelerator, quoted: Quantity,
                             dtype: str = "fp16") -> Reproduction:
    """The batch at which decode reaches ``hw``'s ridge point: the ridge over the notes'
    per-sequence intensity, against the critical batch (KV reads included, context 1).

    >>> from ai_workloads.catalog import get_accelerator, get_model
    >>> r = ridge_batch_reproduction(get_model("llama-2-70b"), get_accelerator("h100-sxm"),
    ...                              Quantity(148))
    >>> r.reproduces, r.correct[0].value
    (True, 297)
    """
    notes_intensity = _one_byte_intensity(cfg.d_model)
    right = critical_batch(cfg, hw, 1, dtype)
    if right is None:
        raise WorkloadError(f"{cfg.name} never turns compute-bound on {hw.name}")
    return Reproduction(
        (quoted,), (quoted.like(ridge_point(hw, dtype) / notes_intensity),),
        (quoted.like(right),),
        {"notes_intensity": Quantity(notes_intensity, "FLOP/byte"),
         "intensity": Quantity(matmul_intensity(1, cfg.d_model, cfg.d_model, dtype))})


def batch_intensity_reproduction(d_model: int, batch: int, quoted: Quantity,
                                 dtype: str = "fp16") -> Reproduction:
    """The intensity of a batch-``batch`` decode matmul, as the notes place it.

    >>> r = batch_intensity_reproduction(8192, 32, Quantity(64))
    >>> r.reproduces, r.correct[0].rounded()
    (True, 32.0)
    """
    return Reproduction(
        (quoted,), (quoted.like(_one_byte_intensity(d_model, batch)),),
        (quoted.like(matmul_intensity(batch, d_model, d_model, dtype)),),
        {"notes_intensity": Quantity(_one_byte_intensity(d_model), "FLOP/byte")})


# ------------------------------------------------------------------ memory


def kv_cache_reproduction(cfg: TransformerConfig, notes_cfg: TransformerConfig, context: int,
                          quoted: Quantity, dtype: str = "fp16") -> Reproduction:
    """KV cache of one sequence of ``context`` tokens, in GB.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.errata import notes_config
    >>> cfg = get_model("llama-3.1-405b")
    >>> r = kv_cache_reproduction(cfg, notes_config(cfg), 32768, Quantity(270.6, "GB", 1))
    >>> r.reproduces, r.correct[0].rounded(), r.facts["heads"].value, r.facts["kv_heads"].value
    (True, 16.9, 128, 8)
    """
    quoted.require("GB")
    return Reproduction(
        (quoted,), (quoted.like(gb(kv_cache_bytes(notes_cfg, context, dtype=dtype))),),
        (quoted.like(gb(kv_cache_bytes(cfg, context, dtype=dtype))),),
        {"heads": Quantity(cfg.n_heads), "kv_heads": Quantity(cfg.n_kv_heads),
         "context": Quantity(context)})


def total_memory_reproduction(cfg: TransformerConfig, notes_cfg: TransformerConfig,
                              context: int, rounded_params: Quantity, activations: Quantity,
                              quoted: Quantity, dtype: str = "fp16") -> Reproduction:
    """Weights, KV cache and activations of serving one sequence, in GB: the notes' sum
    (``rounded_params`` billions of weights, their KV cache, their ``activations`` guess)
    against :func:`~ai_workloads.analysis.memory.serving_memory`.

    >>> from ai_workloads.catalog import get_model
    >>> from ai_workloads.analysis.errata import notes_config
    >>> cfg = get_model("llama-2-70b")
    >>> r = total_memory_reproduction(cfg, notes_config(cfg), 32768, Quantity(70, "B"),
    ...                               Quantity(5, "GB"), Quantity(231, "GB"))
    >>> r.reproduces, r.correct[0].rounded()
    (True, 153.0)
    """
    for q, unit in ((quoted, "GB"), (rounded_params, "B"), (activations, "GB")):
        q.require(unit)
    weights = nbytes(round(rounded_params.value * 10**9), dtype)
    notes_total = (weights + kv_cache_bytes(notes_cfg, context, dtype=dtype)
                   + round(activations.value * 10**9))
    right = serving_memory(cfg, context, dtype=dtype).total
    return Reproduction((quoted,), (quoted.like(gb(notes_total)),), (quoted.like(gb(right)),),
                        {"context_k": Quantity(context / 1024, "K")})


def kv_per_token_reproduction(cfg: TransformerConfig, quoted: Quantity,
                              dtype: str = "fp16") -> Reproduction:
    """KV cache per token, in MB; no simplification of the model gives the notes' guess.

    >>> from ai_workloads.catalog import get_model
    >>> r = kv_per_token_reproduction(get_model("llama-2-70b"), Quantity(10, "MB"))
    >>> r.reproduced, r.correct[0].rounded(), r.facts["mha"].rounded()
    ((), 0.33, 2.6)
    """
    quoted.require("MB")
    per_token = kv_cache_bytes(cfg, 1, dtype=dtype)
    mha = kv_cache_bytes(cfg.with_mha(), 1, dtype=dtype)
    return Reproduction((quoted,), (), (Quantity(per_token / 1e6, "MB", 2),),
                        {"mha": Quantity(mha / 1e6, "MB", 1)})


def empty_batch_plot_reproduction(cfg: TransformerConfig, hw: Accelerator, context: int,
                                  batches: tuple[int, int], quoted: Quantity,
                                  dtype: str = "fp16") -> Reproduction:
    """The "max batch" of a batch range ``start..stop-1`` on one ``hw``: the notes index
    ``batch_sizes[fitting - 1]``, which is the last batch when none fits; the right answer
    is the largest batch that fits, on one device and on two, each device holding
    ``hw.fit_bytes`` (usable capacity when known, else nominal; fact ``fit``, in GiB).

    >>> from ai_workloads.catalog import get_accelerator, get_model
    >>> r = empty_batch_plot_reproduction(get_model("llama-2-70b"), get_accelerator("h100-sxm"),
    ...                                   2048, (1, 50), Quantity(49))
    >>> r.reproduces, [q.value for q in r.correct], r.facts["fit"].rounded()
    (True, [0, 49], 79.65)
    """
    batch_sizes = np.arange(*batches)
    fitting = max_batch(cfg, hw, context, dtype=dtype)
    annotated = int(batch_sizes[fitting - 1])  # the notes' index arithmetic
    two = max_batch(cfg, hw, context, n_devices=2, dtype=dtype)
    return Reproduction(
        (quoted,), (quoted.like(annotated),), (Quantity(fitting), Quantity(two)),
        {"weights": Quantity(gb(weight_bytes(cfg, dtype)), "GB"),
         "capacity": Quantity(hw.capacity_value, hw.capacity_unit),
         "fit": Quantity(hw.fit_bytes / 2**30, "GiB", 2),
         "fitting": Quantity(fitting), "last": Quantity(annotated),
         "context": Quantity(context)})


# ------------------------------------------------------------------ bandwidth and chips


def pair_reproduction(chip: Accelerator, capacity: Quantity, bandwidth: Quantity,
                      devices: int = 2) -> Reproduction:
    """Memory and bandwidth of ``devices`` chips sold as one (H100 NVL), against one chip.

    The pair's figures are the vendor's: ``devices`` times one chip's capacity number (a
    sheet prints N GiB of HBM as "N GB") and ``devices`` times one chip's bandwidth as the
    sheet prints it, to the quoted precision (3,938 GB/s printed as 3.9 TB/s). The right
    values are one chip's, capacity in its real unit.

    >>> from ai_workloads.catalog import get_accelerator
    >>> r = pair_reproduction(get_accelerator("h100-nvl"), Quantity(188, "GB"),
    ...                       Quantity(7.8, "TB/s", 1))
    >>> r.reproduces, [(q.rounded(), q.unit) for q in r.correct]
    (True, [(94.0, 'GiB'), (3.9, 'TB/s')])
    """
    bandwidth.require("TB/s")
    if capacity.unit not in ("GB", chip.capacity_unit):
        raise WorkloadError(f"expected a capacity in GB or {chip.capacity_unit}, "
                            f"got {capacity.value} {capacity.unit!r}")
    printed_bandwidth = round(chip.bandwidth / 1e12, bandwidth.digits)
    return Reproduction(
        (capacity, bandwidth),
        (capacity.like(devices * chip.capacity_value),
         bandwidth.like(devices * printed_bandwidth)),
        (Quantity(chip.capacity_value, chip.capacity_unit, capacity.digits),
         bandwidth.like(chip.bandwidth / 1e12)))


def reading_speed_reproduction(words_per_minute: Quantity, quoted: Quantity) -> Reproduction:
    """A reading speed in words per minute drawn on a tokens-per-second axis, against the
    same speed converted to tokens per second.

    >>> r = reading_speed_reproduction(Quantity(250, "words/min"), Quantity(250, "tokens/s"))
    >>> r.reproduces, r.correct[0].rounded()
    (True, 5.6)
    """
    quoted.require("tokens/s")
    words_per_minute.require("words/min")
    return Reproduction((quoted,), (quoted.like(words_per_minute.value),),
                        (quoted.like(reading_tokens_per_s(words_per_minute.value), 1),),
                        {"wpm": Quantity(words_per_minute.value)})


def latency_reproduction(small: TransformerConfig, large: TransformerConfig, hw: Accelerator,
                         context: int, dtype: str = "fp16") -> Reproduction:
    """Time per token of a smaller and a larger model (bandwidth bound, batch 1), in ms; the
    notes' claim is words, so there is nothing to reproduce.

    >>> from ai_workloads.catalog import get_accelerator, get_model
    >>> r = latency_reproduction(get_model("llama-2-7b"), get_model("llama-2-70b"),
    ...                          get_accelerator("h100-sxm"), 2048)
    >>> [q.rounded() for q in r.correct]
    [4.3, 41.4]
    """
    times = [decode_step(cfg, hw, context, dtype=dtype).time for cfg in (small, large)]
    return Reproduction((), (), tuple(Quantity(t * 1e3, "ms", 1) for t in times))


# ------------------------------------------------------------------ architectural variants


def score_matrix_reproduction(grid: tuple[float, float, int], quoted: Quantity) -> Reproduction:
    """One fp32 ``S × S`` score matrix at the longest context ``S`` of a log-spaced grid
    (``low exponent, high exponent, points``): its gigabytes read as thousands of terabytes
    (petabytes), against terabytes.

    >>> r = score_matrix_reproduction((2, 6, 100), Quantity(4, "PB"))
    >>> r.reproduces, r.correct[0].value, r.facts["gigabytes"].value, r.facts["context"].value
    (True, 4.0, 4000.0, 1.0)
    """
    quoted.require("PB")
    context = round(float(np.logspace(*grid)[-1]))
    in_gb = gb(score_matrix_bytes(context))
    return Reproduction((quoted,), (quoted.like(in_gb / 1e3),),
                        (Quantity(in_gb / 1e3, "TB", quoted.digits),),
                        {"gigabytes": Quantity(in_gb, "GB"), "gb_value": Quantity(in_gb),
                         "context": Quantity(context / 1e6, "M")})


def gqa_factor_reproduction(cfg: TransformerConfig, example_heads: int, example_kv_heads: int,
                            quoted: Quantity) -> Reproduction:
    """The KV-cache reduction of grouped-query attention, ``N / K``: an example's heads
    against the model's.

    >>> from ai_workloads.catalog import get_model
    >>> r = gqa_factor_reproduction(get_model("llama-2-70b"), 32, 8, Quantity(4, "x"))
    >>> r.reproduces, r.correct[0].value
    (True, 8)
    """
    quoted.require("x")
    return Reproduction((quoted,), (quoted.like(example_heads // example_kv_heads),),
                        (quoted.like(cfg.group_size),),
                        {"example_heads": Quantity(example_heads),
                         "example_kv_heads": Quantity(example_kv_heads),
                         "heads": Quantity(cfg.n_heads), "kv_heads": Quantity(cfg.n_kv_heads)})
