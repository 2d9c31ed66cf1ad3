"""Bytes: weights by format, KV cache, activations, and what fits on how many devices.

Counts are exact integers (bytes, not GB); convert only for display. Weights are summed
tensor by tensor (:func:`ai_workloads.analysis.tensors.stored_bytes`), so the block and
tensor scales of a quantized format are counted with the shape of each tensor.

>>> from ai_workloads.catalog import get_model
>>> cfg = get_model("llama-2-70b")
>>> kv_cache_bytes(cfg, context=32768, batch=1, dtype="bf16")
10737418240
>>> weight_bytes(cfg, "bf16")
137953296384
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.accelerator import Accelerator
from ..core.config import TransformerConfig
from ..core.dtypes import nbytes
from ..core.errors import WorkloadError, positive_int
from ..core.formats import KV_SCALES, SCALE_BITS
from ..core.parts import ATTENTION_MIXERS
from ..core.quantization import kv_format, weight_scheme
from .layer_parts import RECURRENT_STATE_DTYPE, cached_values, recurrent_state_values
from .tensors import stored_bytes


def weight_bytes(cfg: TransformerConfig, dtype: str = "bf16") -> int:
    """Exact bytes of every stored tensor in ``dtype``, scales included.

    ``dtype`` is a format of :func:`ai_workloads.core.formats.weight_format` or
    ``"checkpoint"`` (the config's ``quantization_config``). Plain formats store every
    tensor alike; quantized ones the blocks' linear weights, with norms, biases,
    embeddings, LM head and routers in bf16 (:mod:`ai_workloads.core.quantization`).

    >>> from ai_workloads.catalog import get_model
    >>> weight_bytes(get_model("llama-2-7b"), "fp16")     # 2 bytes · 6,738,415,616
    13476831232
    >>> weight_bytes(get_model("llama-2-7b"), "int4")    # int4 + scales + bf16 embeddings
    3889307648
    """
    return stored_bytes(cfg, dtype)


def expert_weight_bytes(cfg: TransformerConfig, dtype: str = "bf16") -> int:
    """Exact bytes of the routed experts' weights in ``dtype`` (0 for a dense model).

    >>> from ai_workloads.catalog import get_model
    >>> expert_weight_bytes(get_model("mixtral-8x7b"))   # 2 · 32 · 8 · 3 · 4096 · 14336
    90194313216
    """
    return stored_bytes(cfg, dtype, role="experts")


def cache_values(cfg: TransformerConfig, context: int) -> dict[str, int]:
    """Values one sequence's cache holds at ``context`` tokens, per kind of layer.

    Full layers hold ``S`` tokens, sliding and chunked ones ``min(S, W)`` (what a static
    cache allocates), MLA layers the latent and RoPE key, recurrent layers their fixed state.

    >>> from ai_workloads.catalog import get_model
    >>> cache_values(get_model("mistral-7b"), 32768)    # 32 layers · 2 · 8 · 128 · 4,096
    {'sliding': 268435456}
    """
    if cfg.encoder:
        raise WorkloadError(f"{cfg.name} is an encoder: it keeps no KV cache")
    positive_int("context", context)
    return {kind.key: count * cached_values(cfg, kind, context)
            for kind, count in cfg.layer_groups}


def cache_bytes(cfg: TransformerConfig, context: int, batch: int = 1,
                dtype: str = "bf16") -> dict[str, int]:
    """Bytes of ``batch`` sequences' caches at ``context``, per kind of layer, scales not
    included: keys, values and convolution windows in the KV format ``dtype``, recurrent
    state matrices in fp32, as transformers keeps them.

    >>> from ai_workloads.catalog import get_model
    >>> cache_bytes(get_model("gemma-2-9b"), 8192)
    {'sliding': 704643072, 'full': 1409286144}
    """
    positive_int("batch", batch)
    kv = kv_format(cfg, dtype, dtype)
    values = cache_values(cfg, context)
    out = {}
    for kind, count in cfg.layer_groups:
        state = count * recurrent_state_values(cfg, kind)
        out[kind.key] = (nbytes((values[kind.key] - state) * batch, kv)
                         + nbytes(state * batch, RECURRENT_STATE_DTYPE))
    return out


def window_saving(cfg: TransformerConfig, context: int, dtype: str = "bf16") -> float:
    """How many times smaller a model's cache is at ``context`` than it would be with every
    layer full attention (1.0 without windows or recurrent layers).

    >>> from ai_workloads.catalog import get_model
    >>> window_saving(get_model("mistral-7b"), 32768)   # a 4,096-token window at 32,768
    8.0
    """
    return kv_cache_bytes(cfg.replace(layer_types=()), context, 1, dtype) / kv_cache_bytes(
        cfg, context, 1, dtype)


def kv_elements_per_token(cfg: TransformerConfig) -> int:
    """Cached values per token: a key and a value of ``K·H`` in each of ``L`` layers (MLA:
    the latent and RoPE key). Only for caches that grow by the same amount with every token:
    no windows, no recurrent layers.

    >>> from ai_workloads.catalog import get_model
    >>> kv_elements_per_token(get_model("llama-2-70b"))    # 2 · 80 · 8 · 128
    163840
    """
    if cfg.encoder:
        raise WorkloadError(f"{cfg.name} is an encoder: it keeps no KV cache")
    if any(kind.mixer != "full" for kind, _ in cfg.layer_groups):
        raise WorkloadError(
            f"{cfg.name}: its cache does not grow alike with every token (windows or "
            "recurrent layers); use cache_values")
    return sum(cache_values(cfg, 1).values())


def kv_scale_bytes(cfg: TransformerConfig, dtype: str = "bf16") -> int:
    """Bytes of a KV cache's scales: for fp8, one fp32 for each attention layer's K and one
    for its V (shared by every sequence); 0 for fp32, bf16 and fp16.

    >>> from ai_workloads.catalog import get_model
    >>> kv_scale_bytes(get_model("llama-2-70b"), "fp8")   # 2 · 80 layers · 4 bytes
    640
    """
    scale = KV_SCALES.get(kv_format(cfg, dtype, dtype))
    attention = sum(count for kind, count in cfg.layer_groups
                    if kind.mixer in ATTENTION_MIXERS)
    return 2 * attention * SCALE_BITS[scale] // 8 if scale else 0


def kv_cache_bytes(cfg: TransformerConfig, context: int, batch: int = 1,
                   dtype: str = "bf16") -> int:
    """Bytes of KV cache for ``batch`` sequences of ``context`` tokens (GQA-, window- and
    MLA-aware, recurrent states included), its per-layer scales (:func:`kv_scale_bytes`)
    included.

    ``dtype`` is a KV format (:data:`ai_workloads.core.formats.KV_FORMATS`) or
    ``"checkpoint"`` (the unquantized format of the checkpoint's weights). Recurrent layers'
    state matrices are counted in fp32, as transformers keeps them (:func:`cache_bytes`).

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("llama-2-70b")
    >>> kv_cache_bytes(cfg, 32768) * 8 == kv_cache_bytes(cfg.with_mha(), 32768)
    True
    >>> kv_cache_bytes(cfg, 32768, dtype="fp8")   # 163,840 values a token, 640 bytes of scales
    5368709760
    >>> kv_cache_bytes(get_model("mistral-7b"), 32768)   # its window keeps 4,096 tokens
    536870912
    """
    positive_int("context", context)
    positive_int("batch", batch)
    kv = kv_format(cfg, dtype, dtype)
    return sum(cache_bytes(cfg, context, batch, kv).values()) + kv_scale_bytes(cfg, kv)


def activation_bytes(cfg: TransformerConfig, tokens: int, batch: int = 1,
                     dtype: str = "bf16", materialize_scores: bool = False) -> int:
    """An estimate of the peak activation memory of an inference forward pass.

    Activations are freed layer by layer, so the peak is one layer's worth: the residual
    stream ``B·T·D`` plus the widest intermediate (the MLP's gate and up outputs, ``2·B·T·F``
    per routed expert, or the q/k/v outputs), plus ``B·N·T·T`` attention scores when they
    are materialized (no FlashAttention). It is an estimate, not an exact count: frameworks
    add workspace and fragmentation on top.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("llama-2-7b")
    >>> activation_bytes(cfg, tokens=4096)   # 2 bytes · 4096 · (4096 + 2 · 11008)
    213909504
    """
    positive_int("tokens", tokens)
    positive_int("batch", batch)
    rows = batch * tokens
    mlp = (2 if cfg.gated_mlp else 1) * cfg.d_ff * cfg.experts_per_token
    widest = max(mlp, cfg.q_dim + 2 * cfg.kv_dim)
    elements = rows * (cfg.d_model + widest)
    if materialize_scores:
        elements += batch * cfg.n_heads * tokens * tokens
    return nbytes(elements, dtype)


def attention_memory_bytes(tokens: int, head_dim: int, heads: int = 1,
                           dtype: str = "fp32", flash: bool = False) -> int:
    """Working memory of one attention call beyond its Q, K, V inputs.

    Standard attention materializes the ``T×T`` score matrix per head (plus the ``T×H``
    output); FlashAttention streams tiles and keeps only the output and two softmax
    statistics (running max and sum) per query: ``T·(H + 2)`` per head.

    >>> attention_memory_bytes(1_000_000, 128)   # 4 bytes · (10**12 + 1.28·10**8)
    4000512000000
    >>> attention_memory_bytes(1_000_000, 128, flash=True)
    520000000
    """
    positive_int("tokens", tokens)
    positive_int("head_dim", head_dim)
    positive_int("heads", heads)
    per_head = tokens * (head_dim + 2) if flash else tokens * tokens + tokens * head_dim
    return nbytes(heads * per_head, dtype)


@dataclass(frozen=True, slots=True)
class ServingMemory:
    """Memory of a model being served: weights, KV cache and activations, in bytes."""

    weights: int
    kv_cache: int
    activations: int

    @property
    def total(self) -> int:
        """Weights + KV cache + activations."""
        return self.weights + self.kv_cache + self.activations


def serving_memory(cfg: TransformerConfig, context: int, batch: int = 1,
                   dtype: str = "bf16", kv_dtype: str | None = None,
                   prefill_chunk: int | None = None) -> ServingMemory:
    """Weights, KV cache and peak activations of serving ``batch`` sequences at ``context``.

    Activations are those of prefilling one chunk of ``prefill_chunk`` tokens (default: the
    whole context) of one sequence with FlashAttention, the largest pass a server runs; they
    are in the weights' unquantized format (bf16 for quantized weights), as is the KV cache
    unless ``kv_dtype`` says otherwise (:func:`ai_workloads.core.quantization.kv_format`).

    >>> from ai_workloads.catalog import get_model
    >>> mem = serving_memory(get_model("llama-2-70b"), context=32768)
    >>> mem.weights, mem.kv_cache
    (137953296384, 10737418240)
    """
    kv_dtype = kv_format(cfg, kv_dtype, dtype)
    chunk = prefill_chunk or context
    return ServingMemory(
        weights=weight_bytes(cfg, dtype),
        kv_cache=kv_cache_bytes(cfg, context, batch, kv_dtype),
        activations=activation_bytes(cfg, chunk, 1, weight_scheme(cfg, dtype).base),
    )


def devices_needed(cfg: TransformerConfig, hw: Accelerator, context: int, batch: int = 1,
                   dtype: str = "bf16", kv_dtype: str | None = None) -> int:
    """The fewest devices of ``hw`` whose memory holds :func:`serving_memory`.

    Each device holds :attr:`~ai_workloads.core.accelerator.Accelerator.fit_bytes`: its
    usable capacity where a source gives it, else its nominal one (``hw.fit_basis`` says
    which). The same rule holds for :func:`fits` and :func:`max_batch`.

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> devices_needed(get_model("llama-2-70b"), get_accelerator("h100-sxm"), 32768)
    2
    """
    total = serving_memory(cfg, context, batch, dtype, kv_dtype).total
    return -(-total // hw.fit_bytes)


def fits(cfg: TransformerConfig, hw: Accelerator, context: int, batch: int = 1,
         n_devices: int = 1, dtype: str = "bf16", kv_dtype: str | None = None) -> bool:
    """Whether weights, KV cache and activations fit in ``n_devices`` of ``hw`` (each
    holding ``hw.fit_bytes``: usable capacity when known, else nominal).

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> fits(get_model("llama-2-70b"), get_accelerator("h100-sxm"), 4096)
    False
    """
    positive_int("n_devices", n_devices)
    total = serving_memory(cfg, context, batch, dtype, kv_dtype).total
    return total <= n_devices * hw.fit_bytes


def max_batch(cfg: TransformerConfig, hw: Accelerator, context: int, n_devices: int = 1,
              dtype: str = "bf16", kv_dtype: str | None = None) -> int:
    """The largest batch whose weights and KV cache fit (0 if the weights alone do not).

    Each device holds ``hw.fit_bytes`` (usable capacity when known, else nominal). Decode
    activations (one token per sequence) are negligible and not counted.

    >>> from ai_workloads.catalog import get_model, get_accelerator
    >>> cfg, h100 = get_model("llama-2-70b"), get_accelerator("h100-sxm")
    >>> max_batch(cfg, h100, context=2048), max_batch(cfg, h100, context=2048, n_devices=2)
    (0, 49)
    >>> h100.fit_basis    # 81,559 MiB each, as nvidia-smi reports
    'usable'
    """
    positive_int("n_devices", n_devices)
    kv = kv_format(cfg, kv_dtype, dtype)
    free = n_devices * hw.fit_bytes - weight_bytes(cfg, dtype) - kv_scale_bytes(cfg, kv)
    if free <= 0:
        return 0
    per_sequence = kv_cache_bytes(cfg, context, 1, kv) - kv_scale_bytes(cfg, kv)
    return free // per_sequence
