"""Errata of the lecture notes: each wrong value reproduced from the simplification behind it.

Every :class:`Erratum` quotes what the notes print (``notes_value``), recomputes that value
with the package under the notes' simplification (``reproduced``), and computes the right
value (``correct``). When ``reproduced`` equals the quotation, the cause is proven.

>>> e = erratum("kv-cache-gqa-70b")
>>> e.notes_value, e.reproduced, e.correct
('85.9 GB', '85.9 GB', '10.7 GB')
>>> all(e.reproduces for e in errata() if e.reproduced is not None)
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..catalog import get_accelerator, get_model
from ..core.config import TransformerConfig
from ..core.errors import WorkloadError
from ..core.units import reading_tokens_per_s
from .flops import attention_overtakes_mlp, blocks_only_decode_flops, sublayer_decode_flops
from .growth import doubling_line
from .memory import kv_cache_bytes, max_batch, serving_memory, weight_bytes
from .params import param_counts
from .roofline import (
    attainable_flops,
    critical_batch,
    decode_step,
    matmul_intensity,
    ridge_point,
)


@dataclass(frozen=True, slots=True)
class Erratum:
    """One wrong value in the notes, its cause, and the right value."""

    key: str
    section: str
    claim: str
    notes_value: str
    cause: str
    reproduced: str | None
    correct: str

    @property
    def reproduces(self) -> bool:
        """True when the package, under the notes' simplification, prints the notes' value."""
        return self.reproduced == self.notes_value


# ------------------------------------------------------------------ the notes' simplifications

def notes_config(model: str) -> TransformerConfig:
    """A model as the notes' formulas see it: one KV head per query head (``K = N``).

    The notes also round Llama 3 405B's vocabulary to 128,000 (the checkpoint has 128,256).

    >>> notes_config("llama-2-70b").n_kv_heads, notes_config("llama-3.1-405b").vocab_size
    (64, 128000)
    """
    cfg = get_model(model).with_mha()
    return cfg.replace(vocab_size=128_000) if model == "llama-3.1-405b" else cfg


def notes_crossover_on_grid(model: str = "llama-2-7b", points: int = 50) -> int:
    """The notes' crossover: the point of a log-spaced grid (100 to 100,000) nearest to 50%.

    The notes never solve for the crossover; they pick the nearest of 50 grid points.

    >>> notes_crossover_on_grid()
    7906
    """
    cfg = get_model(model)
    grid = np.logspace(2, 5, points)
    shares = []
    for context in grid:
        parts = sublayer_decode_flops(cfg, int(context))
        shares.append(parts["attention"] / (parts["attention"] + parts["mlp"]))
    return int(grid[int(np.argmin(np.abs(np.array(shares) - 0.5)))])


# ------------------------------------------------------------------ formatting

def _billions(n: float) -> str:
    return f"{n / 1e9:.1f}B"


def _gb(n: float, digits: int = 1) -> str:
    return f"{n / 1e9:.{digits}f} GB"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


# ------------------------------------------------------------------ the errata

def _params(model: str, label: str) -> Erratum:
    wrong = param_counts(notes_config(model)).total
    right = param_counts(get_model(model)).total
    quoted = {"llama-2-70b": "78.4B", "llama-3.1-405b": "469.3B"}[model]
    return Erratum(
        key=f"params-gqa-{label}", section="4. Matrix Dimensions and Shapes",
        claim=f"{get_model(model).name} total parameters", notes_value=quoted,
        cause="W_K and W_V sized d_model × d_model, as if every query head had its own KV "
              "head (MHA); the model uses grouped-query attention with 8 KV heads"
              + ("; vocabulary rounded to 128,000" if model == "llama-3.1-405b" else ""),
        reproduced=_billions(wrong), correct=_billions(right))


def _fp16_weights(model: str, label: str) -> Erratum:
    wrong = weight_bytes(notes_config(model), "fp16")
    right = weight_bytes(get_model(model), "fp16")
    quoted = {"llama-2-70b": "156.7 GB", "llama-3.1-405b": "938.5 GB"}[model]
    return Erratum(
        key=f"fp16-weights-{label}", section="4. Matrix Dimensions and Shapes",
        claim=f"{get_model(model).name} weights in FP16", notes_value=quoted,
        cause="follows from the MHA parameter count above (2 bytes per parameter)",
        reproduced=_gb(wrong), correct=_gb(right))


def _attention_share_70b() -> Erratum:
    cfg, notes = get_model("llama-2-70b"), notes_config("llama-2-70b")

    def share(c: TransformerConfig) -> float:
        parts = param_counts(c).by_category()
        return parts["attention"] / param_counts(c).total

    return Erratum(
        key="attention-share-70b", section="4. Matrix Dimensions and Shapes",
        claim="Llama 2 70B: share of parameters in attention", notes_value="27.4%",
        cause="the MHA parameter count (K = N)", reproduced=_pct(share(notes)),
        correct=_pct(share(cfg)))


def _flops_table_70b() -> Erratum:
    context = 32768
    notes = blocks_only_decode_flops(notes_config("llama-2-70b"), context)
    right = sum(sublayer_decode_flops(get_model("llama-2-70b"), context)[k]
                for k in ("attention", "mlp", "lm_head"))
    return Erratum(
        key="flops-per-token-70b", section="5. Computational Complexity Analysis",
        claim="Llama 2 70B FLOPs per token at 32,768 context", notes_value="0.24 TFLOPs",
        cause="the formula L(8d² + 4nd + 6d·d_ff) assumes K = N (MHA), so K and V "
              "projections are 8× too large and the scores use all heads; it also leaves "
              "out the LM head",
        reproduced=f"{notes / 1e12:.2f} TFLOPs", correct=f"{right / 1e12:.2f} TFLOPs")


def _crossover() -> Erratum:
    exact = attention_overtakes_mlp(get_model("llama-2-7b"), include_projections=True)
    return Erratum(
        key="crossover-7b", section="5. Computational Complexity Analysis",
        claim="Llama 2 7B: context at which attention FLOPs overtake the FFN's",
        notes_value="7,906",
        cause="read off the nearest of 50 log-spaced grid points instead of solved: "
              "8d² + 4Sd = 6d·d_ff gives S = (6·d_ff − 8d)/4 exactly",
        reproduced=f"{notes_crossover_on_grid():,}", correct=f"{exact:,}")


def _kv(model: str, label: str) -> Erratum:
    context = 32768
    quoted = {"llama-2-70b": "85.9 GB", "llama-3.1-405b": "270.6 GB"}[model]
    return Erratum(
        key=f"kv-cache-gqa-{label}", section="6. Memory Requirements",
        claim=f"{get_model(model).name} KV cache, 32,768 tokens, FP16, batch 1",
        notes_value=quoted,
        cause="cache sized with n_heads (64 or 128) KV heads; the model stores only 8",
        reproduced=_gb(kv_cache_bytes(notes_config(model), context)),
        correct=_gb(kv_cache_bytes(get_model(model), context)))


def _total_memory() -> Erratum:
    context = 32768
    notes_total = 70 * 2 * 10**9 + kv_cache_bytes(notes_config("llama-2-70b"), context) \
        + 5 * 10**9
    right = serving_memory(get_model("llama-2-70b"), context).total
    return Erratum(
        key="total-memory-70b", section="6. Memory Requirements",
        claim="Llama 2 70B at 32K context: weights + KV cache + activations",
        notes_value="231 GB",
        cause="70B rounded parameters, the MHA-sized KV cache, and a guessed 5 GB of "
              "activations",
        reproduced=_gb(notes_total, 0), correct=_gb(right, 0))


def _intensity() -> Erratum:
    d = get_model("llama-2-70b").d_model
    return Erratum(
        key="intensity-batch-1", section="6. Arithmetic Intensity",
        claim="Arithmetic intensity of a batch-1 decode matmul with FP16 weights",
        notes_value="2 FLOP/byte",
        cause="bytes counted as one per weight; an FP16 weight is two bytes, so the "
              "2d² FLOPs meet 2d² bytes",
        reproduced=f"{matmul_intensity(1, d, d, 'fp8'):.0f} FLOP/byte",
        correct=f"{matmul_intensity(1, d, d, 'fp16'):.0f} FLOP/byte")


def _utilization() -> Erratum:
    h100, d = get_accelerator("h100-sxm"), get_model("llama-2-70b").d_model

    def share(dtype: str) -> float:
        return attainable_flops(h100, matmul_intensity(1, d, d, dtype), "fp16") / \
            h100.peak("fp16")

    return Erratum(
        key="utilization-batch-1", section="6. The roofline",
        claim="H100 utilization at batch 1", notes_value="0.7%",
        cause="the 2 FLOP/byte intensity above", reproduced=_pct(share("fp8")),
        correct=_pct(share("fp16")))


def _batch_for_ridge() -> Erratum:
    h100, cfg = get_accelerator("h100-sxm"), get_model("llama-2-70b")
    wrong = ridge_point(h100, "fp16") / matmul_intensity(1, cfg.d_model, cfg.d_model, "fp8")
    right = critical_batch(cfg, h100, 1, "fp16")
    return Erratum(
        key="batch-for-ridge", section="6. The roofline",
        claim="Batch size at which decode reaches the H100's ridge point",
        notes_value="148",
        cause="the ridge point divided by 2 FLOP/byte per sequence instead of ~1",
        reproduced=f"{wrong:.0f}",
        correct=f"{right} (Llama 2 70B, FP16, KV reads included)")


def _batch32_point() -> Erratum:
    d = get_model("llama-2-70b").d_model
    return Erratum(
        key="roofline-batch-32", section="6. The roofline",
        claim="Intensity of batch-32 decode placed on the roofline", notes_value="64",
        cause="2 FLOP/byte per sequence",
        reproduced=f"{matmul_intensity(32, d, d, 'fp8'):.0f}",
        correct=f"{matmul_intensity(32, d, d, 'fp16'):.0f}")


def _h100_nvl() -> Erratum:
    nvl = get_accelerator("h100-nvl")
    pair = f"{2 * nvl.capacity_value:.0f} GB, {2 * nvl.bandwidth / 1e12:.1f} TB/s"
    one = f"{nvl.capacity_value:.0f} GB, {nvl.bandwidth / 1e12:.1f} TB/s"
    return Erratum(
        key="h100-nvl", section="6. The Memory Bandwidth Crisis",
        claim="H100 NVL memory and bandwidth, compared per GPU with A100 and H100",
        notes_value="188 GB, 7.8 TB/s",
        cause="the figures of the two-GPU NVL pair, set beside single GPUs",
        reproduced=pair, correct=one + " per GPU")


def _reading_speed() -> Erratum:
    return Erratum(
        key="reading-speed", section="6. The Memory Bandwidth Crisis",
        claim="Human reading speed line on the tokens-per-second axis",
        notes_value="250 tokens/s",
        cause="250 words per minute drawn as 250 tokens per second",
        reproduced=f"{250:.0f} tokens/s",
        correct=f"{reading_tokens_per_s(250):.1f} tokens/s")


def _empty_batch_plot() -> Erratum:
    cfg, h100 = get_model("llama-2-70b"), get_accelerator("h100-sxm")
    batch_sizes = np.arange(1, 50)
    fitting = max_batch(cfg, h100, 2048, dtype="fp16")
    annotated = int(batch_sizes[fitting - 1])  # the notes' index arithmetic
    two = max_batch(cfg, h100, 2048, n_devices=2, dtype="fp16")
    return Erratum(
        key="batch-plot-empty", section="6. The Memory Bandwidth Crisis",
        claim="'Max batch' of Llama 70B (FP16) on one 80 GB H100", notes_value="49",
        cause="the 138 GB of weights never fit in 80 GB, so no batch fits and the curve "
              "has no point; indexing batch_sizes[0 - 1] then picks the last batch, 49",
        reproduced=f"{annotated}",
        correct=f"{fitting} on one H100; {two} on two H100s at 2,048 tokens")


def _kv_per_token() -> Erratum:
    cfg = get_model("llama-2-70b")
    per_token = kv_cache_bytes(cfg, 1, dtype="fp16")
    return Erratum(
        key="kv-per-token-70b", section="6. The Memory Bandwidth Crisis",
        claim="KV cache per token of Llama 70B", notes_value="10 MB",
        cause="a rough guess; no simplification of the model gives it (MHA in FP16 gives "
              f"{kv_cache_bytes(cfg.with_mha(), 1, dtype='fp16') / 1e6:.1f} MB)",
        reproduced=None, correct=f"{per_token / 1e6:.2f} MB")


def _flash_units() -> Erratum:
    from .memory import attention_memory_bytes
    scores = attention_memory_bytes(1_000_000, 128) - 4 * 1_000_000 * 128  # the n² matrix
    in_gb = scores / 1e9
    return Erratum(
        key="flash-1m-context", section="7. Modern Architectural Variations",
        claim="Memory of one 1M × 1M FP32 attention matrix", notes_value="4 PB",
        cause="the value in GB (4,000) read as thousands of terabytes; 4,000 GB is 4 TB",
        reproduced=f"{in_gb / 1e3:.0f} PB", correct=f"{scores / 1e12:.0f} TB")


def _gqa_factor() -> Erratum:
    cfg = get_model("llama-2-70b")
    return Erratum(
        key="gqa-factor-70b", section="7. Modern Architectural Variations",
        claim="KV-cache reduction of GQA in Llama 2 70B", notes_value="4x",
        cause="the figure's example (32 query heads, 8 KV heads) taken for Llama 2 70B, "
              "which has 64 query heads and 8 KV heads",
        reproduced=f"{32 // 8}x", correct=f"{cfg.group_size}x")


def _moore() -> Erratum:
    per_unit = doubling_line(0, 1.0, [1.0], doubling_years=1.0)[0]
    per_year = doubling_line(0, 1.0, [1.0], doubling_years=2.0)[0]
    return Erratum(
        key="moore-line", section="1. Why Transformers Matter",
        claim="Moore's-law line labelled '2x/2yr'", notes_value="2x per step",
        cause="the line doubles per bar (per unit of x), and bars are not years "
              "(2018, 2019, 2020, 2022, 2023, 2024)",
        reproduced=f"{per_unit:.0f}x per step", correct=f"{per_year:.2f}x per year")


def _latency() -> Erratum:
    h100 = get_accelerator("h100-sxm")
    small = decode_step(get_model("llama-2-7b"), h100, 2048, dtype="fp16")
    large = decode_step(get_model("llama-2-70b"), h100, 2048, dtype="fp16")
    return Erratum(
        key="larger-models-latency", section="6. The Memory Bandwidth Crisis",
        claim="'Larger models have lower per-user latency'", notes_value="lower",
        cause="the bar chart shows tokens/s falling with size; time per token rises",
        reproduced=None,
        correct=f"higher: {small.time * 1e3:.1f} ms per token for Llama 2 7B against "
                f"{large.time * 1e3:.1f} ms for Llama 2 70B (H100 bandwidth bound, ignoring "
                "that 70B needs two GPUs)")


_BUILDERS: tuple[Callable[[], Erratum], ...] = (
    _moore,
    lambda: _params("llama-2-70b", "70b"),
    lambda: _params("llama-3.1-405b", "405b"),
    _attention_share_70b,
    lambda: _fp16_weights("llama-2-70b", "70b"),
    lambda: _fp16_weights("llama-3.1-405b", "405b"),
    _flops_table_70b,
    _crossover,
    _intensity,
    _utilization,
    _batch_for_ridge,
    _batch32_point,
    lambda: _kv("llama-2-70b", "70b"),
    lambda: _kv("llama-3.1-405b", "405b"),
    _total_memory,
    _h100_nvl,
    _reading_speed,
    _kv_per_token,
    _empty_batch_plot,
    _latency,
    _flash_units,
    _gqa_factor,
)


@cache
def errata() -> tuple[Erratum, ...]:
    """Every erratum, in the order of the notes.

    >>> len(errata()) >= 20
    True
    """
    return tuple(build() for build in _BUILDERS)


def erratum(key: str) -> Erratum:
    """One erratum by key.

    >>> erratum("params-gqa-70b").correct
    '69.0B'
    """
    for item in errata():
        if item.key == key:
            return item
    raise WorkloadError(f"no erratum {key!r}; known: {', '.join(e.key for e in errata())}")
