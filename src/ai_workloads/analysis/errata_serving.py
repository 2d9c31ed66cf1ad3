"""Errata of the lecture notes in numbers, section 6: intensity, the roofline, memory and
bandwidth.

The companion of :mod:`ai_workloads.analysis.errata` (which defines :class:`Reproduction`
and its statuses, and covers the notes' sections 1 to 5): each function takes the
configurations, chips and quoted values it needs and returns the notes' value, the value
under the notes' simplification (none where nothing can be recomputed) and the right value,
each a :class:`~ai_workloads.core.units.Quantity`. Sections 7 and 8 are in
``ai_workloads.analysis.errata_variants``.

>>> from ai_workloads.catalog import get_accelerator
>>> r = utilization_reproduction(get_accelerator("h100-sxm"), 8192, Quantity(0.7, "%", 1))
>>> r.reproduces, r.notes[0].value, r.correct[0].rounded()
(True, 0.7, 0.3)
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..core.accelerator import Accelerator
from ..core.config import TransformerConfig
from ..core.dtypes import nbytes
from ..core.errors import WorkloadError
from ..core.units import Quantity, gb, reading_tokens_per_s
from .errata import Reproduction
from .memory import kv_cache_bytes, max_batch, serving_memory, weight_bytes
from .roofline import attainable_flops, critical_batch, decode_step, matmul_intensity, ridge_point

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
                             dtype: str = "fp16", digits: int | None = None) -> Reproduction:
    """Percent of ``hw``'s ``dtype`` peak that a batch-1 decode matmul attains (the right
    value to ``digits``, default the quoted value's).

    >>> from ai_workloads.catalog import get_accelerator
    >>> r = utilization_reproduction(get_accelerator("h100-sxm"), 8192, Quantity(0.7, "%", 1))
    >>> r.reproduces, r.correct[0].rounded()
    (True, 0.3)
    >>> r = utilization_reproduction(get_accelerator("h100-sxm"), 8192, Quantity(1, "%"), digits=2)
    >>> r.reproduces, r.correct[0].rounded()
    (True, 0.34)
    """
    quoted.require("%")

    def share(intensity: float) -> float:
        return 100 * (attainable_flops(hw, intensity, dtype) / hw.peak(dtype))

    return Reproduction((quoted,), (quoted.like(share(_one_byte_intensity(d_model))),),
                        (quoted.like(share(matmul_intensity(1, d_model, d_model, dtype)),
                                     digits),))


def attainable_reproduction(hw: Accelerator, d_model: int, quoted: Quantity,
                            dtype: str = "fp16") -> Reproduction:
    """TFLOP/s a batch-1 decode matmul attains on ``hw``: the roofline at the notes'
    intensity (one byte per weight) against the real one.

    >>> from ai_workloads.catalog import get_accelerator
    >>> r = attainable_reproduction(get_accelerator("h100-sxm"), 8192, Quantity(6.7, "TFLOP/s", 1))
    >>> r.reproduces, r.correct[0].rounded()
    (True, 3.3)
    """
    quoted.require("TFLOP/s")

    def attained(intensity: float) -> float:
        return float(attainable_flops(hw, intensity, dtype)) / 1e12

    return Reproduction((quoted,), (quoted.like(attained(_one_byte_intensity(d_model))),),
                        (quoted.like(attained(matmul_intensity(1, d_model, d_model, dtype))),))


def ridge_rounding_reproduction(hw: Accelerator, peak: Quantity, bandwidth: Quantity,
                                quoted: Quantity, dtype: str = "fp16") -> Reproduction:
    """A chip's ridge point (FLOP/byte) from the ``peak`` (TFLOP/s) and ``bandwidth`` (TB/s)
    a table prints, rounded, against the spec sheet's (``facts``: the sheet's values).

    >>> from ai_workloads.catalog import get_accelerator
    >>> r = ridge_rounding_reproduction(get_accelerator("a100-sxm-80gb"), Quantity(312, "TFLOP/s"),
    ...                                 Quantity(2.0, "TB/s", 1), Quantity(156, "FLOP/byte"))
    >>> r.reproduces, r.correct[0].rounded(), r.facts["bandwidth"].value
    (True, 153.0, 2.039)
    """
    peak.require("TFLOP/s")
    bandwidth.require("TB/s")
    quoted.require("FLOP/byte")
    printed = dataclasses.replace(hw, peak_flops={dtype: peak.value * 1e12},
                                  bandwidth=bandwidth.value * 1e12)
    return Reproduction(
        (quoted,), (quoted.like(ridge_point(printed, dtype)),),
        (quoted.like(ridge_point(hw, dtype)),),
        {"peak": Quantity(hw.peak(dtype) / 1e12, "TFLOP/s", 1),
         "bandwidth": Quantity(hw.bandwidth / 1e12, "TB/s", 3)})


def training_intensity_reproduction(cfg: TransformerConfig, hw: Accelerator, quoted: Quantity,
                                    dtype: str = "bf16") -> Reproduction:
    """Where a training step sits on the roofline, in FLOP/byte. No workload gives the
    notes' placement, so nothing is reproduced; the right value is the intensity of the
    smallest matmul a training step of ``cfg`` does, its up projection over one sequence of
    its full context, ``[S, D] × [D, F]`` (a micro-batch holds at least one); ``facts``
    hold that context and ``hw``'s ridge point.

    >>> from ai_workloads.catalog import get_accelerator, get_model
    >>> r = training_intensity_reproduction(get_model("llama-2-70b"), get_accelerator("h100-sxm"),
    ...                                     Quantity(200, "FLOP/byte"))
    >>> r.status, r.correct[0].rounded(), r.facts["ridge"].rounded()
    ('unreproducible', 2493.0, 295.0)
    """
    quoted.require("FLOP/byte")
    intensity = matmul_intensity(cfg.max_position, cfg.d_model, cfg.d_ff, dtype)
    return Reproduction((quoted,), (), (quoted.like(intensity),),
                        {"tokens": Quantity(cfg.max_position),
                         "ridge": Quantity(ridge_point(hw, dtype), "FLOP/byte")})


def ridge_batch_reproduction(cfg: TransformerConfig, hw: Accelerator, quoted: Quantity,
                             dtype: str = "fp16", context: int = 1,
                             long_context: int | None = None) -> Reproduction:
    """The batch at which decode reaches ``hw``'s ridge point: the ridge over the notes'
    per-sequence intensity, against the critical batch at ``context`` (KV reads included,
    so it holds only at that context). ``facts`` hold the context and, for a
    ``long_context``, the critical batch there (``long_batch``; absent when no batch makes
    decode compute-bound, the KV reads growing with the batch).

    >>> from ai_workloads.catalog import get_accelerator, get_model
    >>> r = ridge_batch_reproduction(get_model("llama-2-70b"), get_accelerator("h100-sxm"),
    ...                              Quantity(148), long_context=2048)
    >>> r.reproduces, r.correct[0].value, r.facts["context"].value, "long_batch" in r.facts
    (True, 297, 1, False)
    """
    notes_intensity = _one_byte_intensity(cfg.d_model)
    right = critical_batch(cfg, hw, context, dtype)
    if right is None:
        raise WorkloadError(f"{cfg.name} never turns compute-bound on {hw.name} "
                            f"at {context:,} tokens of context")
    facts = {"notes_intensity": Quantity(notes_intensity, "FLOP/byte"),
             "intensity": Quantity(matmul_intensity(1, cfg.d_model, cfg.d_model, dtype)),
             "context": Quantity(context)}
    if long_context is not None:
        facts["long_context"] = Quantity(long_context)
        long_batch = critical_batch(cfg, hw, long_context, dtype)
        if long_batch is not None:
            facts["long_batch"] = Quantity(long_batch)
    return Reproduction((quoted,), (quoted.like(ridge_point(hw, dtype) / notes_intensity),),
                        (quoted.like(right),), facts)


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
    same speed converted to tokens per second. The line's height is typed into the notes'
    code: it is ``consistent`` with the cause when it is the words-per-minute figure itself.

    >>> r = reading_speed_reproduction(Quantity(250, "words/min"), Quantity(250, "tokens/s"))
    >>> r.status, r.correct[0].rounded()
    ('consistent', 5.6)
    >>> reading_speed_reproduction(Quantity(250, "words/min"), Quantity(4, "tokens/s")).status
    'unreproducible'
    """
    quoted.require("tokens/s")
    words_per_minute.require("words/min")
    return Reproduction((quoted,), (),
                        (quoted.like(reading_tokens_per_s(words_per_minute.value), 1),),
                        {"wpm": Quantity(words_per_minute.value)},
                        consistent=quoted.value == words_per_minute.value)


def reading_label_reproduction(words_per_minute: Quantity, quoted: Quantity) -> Reproduction:
    """A reading speed converted to "tokens per second" at one token per word (that is,
    words per second), against the conversion at the tokenizer's tokens per word.

    >>> r = reading_label_reproduction(Quantity(250, "words/min"), Quantity(4, "tokens/s"))
    >>> r.reproduces, round(r.reproduced[0].value, 2), r.correct[0].rounded()
    (True, 4.17, 5.6)
    """
    quoted.require("tokens/s")
    words_per_minute.require("words/min")
    return Reproduction(
        (quoted,), (quoted.like(reading_tokens_per_s(words_per_minute.value, 1.0)),),
        (quoted.like(reading_tokens_per_s(words_per_minute.value), 1),),
        {"wpm": Quantity(words_per_minute.value)})


def latency_reproduction(small: TransformerConfig, large: TransformerConfig, hw: Accelerator,
                         context: int, dtype: str = "fp16") -> Reproduction:
    """Time per token of a smaller and a larger model (bandwidth bound, batch 1), in ms; the
    notes' claim is words, so there is nothing to reproduce (``consistent``).

    >>> from ai_workloads.catalog import get_accelerator, get_model
    >>> r = latency_reproduction(get_model("llama-2-7b"), get_model("llama-2-70b"),
    ...                          get_accelerator("h100-sxm"), 2048)
    >>> [q.rounded() for q in r.correct], r.status
    ([4.3, 41.4], 'consistent')
    """
    times = [decode_step(cfg, hw, context, dtype=dtype).time for cfg in (small, large)]
    return Reproduction((), (), tuple(Quantity(t * 1e3, "ms", 1) for t in times),
                        consistent=True)
