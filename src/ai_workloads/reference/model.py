"""A NumPy reference transformer, built from any :class:`TransformerConfig`.

It runs the same shapes the analyses count: decoders (Llama, Mistral, Mixtral, Qwen2, Gemma,
Phi-3, GPT-2) with a KV cache, and BERT-style encoders. Weights are random (from a seed):
the model exists to show, and to let :mod:`ai_workloads.reference.tracer` record, what data flows
through each op, not to produce text. Shapes are in the Notation page's letters: ``B``
batch, ``T`` new tokens, ``S`` keys attended, ``D``, ``N``, ``K``, ``H``, ``F``, ``V``, ``E``.

>>> cfg = tiny_config("llama-gqa")
>>> model = ReferenceModel(cfg, seed=0)
>>> tokens = np.array([[1, 2, 3, 4]])
>>> logits, cache = model.prefill(tokens)
>>> logits.shape, cache.length
((1, 4, 97), 4)
>>> model.decode(np.array([5]), cache).shape
(1, 97)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ..analysis.params import param_counts
from ..core.config import TransformerConfig
from ..core.errors import WorkloadError

Array = npt.NDArray[Any]

#: Weights larger than this (bytes) are refused unless ``max_bytes`` is raised (2 GiB).
DEFAULT_MAX_BYTES = 2 * 2**30


class Recorder(Protocol):
    """What the model tells a tracer about each op it runs.

    :class:`ai_workloads.reference.tracer.Tracer` implements it; the model never imports the tracer.

    ``nominal`` is the arithmetic an elementwise or reduction op does per output element
    (for example 1 for an add); matmul FLOPs are counted by the recorder from the shapes.
    """

    def matmul(self, name: str, a: Array, b: Array, out: Array, layer: int | None, *,
               weight: bool = False, expert: int | None = None) -> None:
        """Record ``out = a @ b``; ``weight`` says ``b`` is a parameter."""

    def elementwise(self, name: str, kind: str, inputs: Sequence[Array], out: Array,
                    layer: int | None, *, nominal: int, weights: Sequence[Array] = (),
                    expert: int | None = None) -> None:
        """Record a non-matmul op reading ``inputs`` and parameters ``weights``."""

    def gather(self, name: str, ids: Array, table: Array, out: Array,
               layer: int | None) -> None:
        """Record ``out = table[ids]`` (only the gathered rows are read)."""


# ----------------------------------------------------------------------------- activations

def _silu(x: Array) -> Array:
    out: Array = x / (1 + np.exp(-x))
    return out


def _gelu_tanh(x: Array) -> Array:
    c = math.sqrt(2 / math.pi)
    out: Array = 0.5 * x * (1 + np.tanh(c * (x + 0.044715 * x**3)))
    return out


def _gelu_erf(x: Array) -> Array:
    erf = np.vectorize(math.erf, otypes=[x.dtype])
    out: Array = 0.5 * x * (1 + erf(x / math.sqrt(2)))
    return out


def _relu(x: Array) -> Array:
    return np.maximum(x, 0)


#: Activation by Hugging Face name: (function, nominal FLOPs per element).
ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], int]] = {
    "silu": (_silu, 4),
    "swish": (_silu, 4),
    "gelu": (_gelu_erf, 5),
    "gelu_new": (_gelu_tanh, 8),
    "gelu_pytorch_tanh": (_gelu_tanh, 8),
    "gelu_fast": (_gelu_tanh, 8),
    "relu": (_relu, 1),
}


def activation(name: str) -> Callable[[Array], Array]:
    """The activation function called ``name`` in a Hugging Face config.

    ``gelu`` is the exact (erf) form; ``gelu_new`` and ``gelu_pytorch_tanh`` the tanh
    approximation.

    >>> act = activation("silu")
    >>> [round(float(v), 4) for v in act(np.array([-1.0, 0.0, 2.0]))]
    [-0.2689, 0.0, 1.7616]
    >>> activation("mish")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: unsupported activation 'mish'; supported: silu, ...
    """
    if name not in ACTIVATIONS:
        raise WorkloadError(
            f"unsupported activation {name!r}; supported: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name][0]


# ----------------------------------------------------------------------------- building blocks

def softmax(x: Array) -> Array:
    """Softmax over the last axis, shifted by the row maximum for stability.

    >>> softmax(np.array([0.0, np.log(3.0)])).round(3).tolist()
    [0.25, 0.75]
    """
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    out: Array = e / e.sum(axis=-1, keepdims=True)
    return out


def scaled_dot_product_attention(
        q: Array, k: Array, v: Array, causal: bool = False, *,
        tracer: Recorder | None = None, layer: int | None = None) -> tuple[Array, Array]:
    """``softmax(Q Kᵀ / √H) V``: returns the output ``[..., T, H]`` and weights ``[..., T, S]``.

    ``q`` is ``[..., T, H]``, ``k`` and ``v`` are ``[..., S, H]`` (leading axes broadcast,
    which is how a KV head serves its group of query heads). The full ``T × S`` score matrix
    is computed; ``causal=True`` then masks it so that query ``i``, the ``(S - T + i)``-th
    position, sees only keys up to its own.

    The lecture's worked example (four tokens, ``H = 3``):

    >>> np.random.seed(42)
    >>> Q, K, V = (np.random.randn(4, 3).round(2) for _ in range(3))
    >>> out, weights = scaled_dot_product_attention(Q, K, V)
    >>> weights.round(3)[0].tolist(), out.round(2)[0].tolist()
    ([0.176, 0.278, 0.401, 0.146], [-0.38, 0.71, -0.46])
    >>> _, causal = scaled_dot_product_attention(Q, K, V, causal=True)
    >>> causal.round(3)[1].tolist()
    [0.749, 0.251, 0.0, 0.0]
    """
    t, s = q.shape[-2], k.shape[-2]
    if causal and t > s:
        raise WorkloadError(f"causal attention needs queries ({t}) <= keys ({s})")
    k_t = np.swapaxes(k, -1, -2)  # [..., H, S]
    scores = q @ k_t  # [..., T, S]
    if tracer is not None:
        tracer.matmul("scores", q, k_t, scores, layer)
    scaled = scores * (1 / math.sqrt(q.shape[-1]))
    if causal and t > 1:  # a single query is the last position: it sees every key
        query_pos = np.arange(s - t, s)[:, None]  # absolute position of each new token
        scaled = np.where(np.arange(s)[None, :] > query_pos, -np.inf, scaled)
    weights = softmax(scaled).astype(q.dtype, copy=False)  # [..., T, S]
    if tracer is not None:  # scale, mask, max, exp, sum, divide: ~5 per score
        tracer.elementwise("softmax", "reduction", [scores], weights, layer, nominal=5)
    out = weights @ v  # [..., T, H]
    if tracer is not None:
        tracer.matmul("attn_v", weights, v, out, layer)
    return out, weights


def rope_tables(positions: Array, head_dim: int, theta: float,
                dtype: npt.DTypeLike = np.float64) -> tuple[Array, Array]:
    """RoPE's ``cos`` and signed ``sin`` tables for ``positions``, each ``[T, H]``.

    Column ``i`` and ``i + H/2`` share the angle ``position · theta^(-2i/H)`` (computed in
    float64, then cast to ``dtype``); the first half of ``sin`` is negated, so that
    :func:`apply_rope` needs only a swap of the halves.

    >>> cos, sin = rope_tables(np.array([1]), 2, 10000.0)
    >>> cos.round(4).tolist(), sin.round(4).tolist()
    ([[0.5403, 0.5403]], [[-0.8415, 0.8415]])
    """
    if head_dim % 2:
        raise WorkloadError(f"RoPE needs an even head_dim, got {head_dim}")
    inv_freq = theta ** (-np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)  # [H/2]
    angles = np.asarray(positions, dtype=np.float64)[:, None] * inv_freq[None, :]  # [T, H/2]
    cos = np.cos(angles)
    sin = np.sin(angles)
    return (np.concatenate([cos, cos], axis=-1).astype(dtype),  # [T, H]
            np.concatenate([-sin, sin], axis=-1).astype(dtype))  # [T, H]


def apply_rope(x: Array, cos: Array, sin: Array) -> Array:
    """Rotate ``x`` ``[..., T, H]`` by tables from :func:`rope_tables`: ``x·cos + swap(x)·sin``.

    ``swap`` exchanges the two halves of the last axis; with ``sin``'s first half negated
    this is the rotate-half form ``x·cos + [-x₂, x₁]·sin``.

    >>> cos, sin = rope_tables(np.array([1]), 2, 10000.0)
    >>> apply_rope(np.array([[1.0, 0.0]]), cos, sin).round(4).tolist()
    [[0.5403, 0.8415]]
    """
    half = x.shape[-1] // 2
    swapped = np.concatenate([x[..., half:], x[..., :half]], axis=-1)  # [x₂, x₁]
    out: Array = x * cos + swapped * sin
    return out


def rope(x: Array, positions: Array, theta: float) -> Array:
    """Rotary position embedding, rotate-half convention (as Hugging Face Llama).

    ``x`` is ``[..., T, H]``; dimension ``i < H/2`` pairs with ``i + H/2`` and turns by
    ``position · theta^(-2i/H)``.

    >>> x = np.array([[1.0, 0.0]])   # one token, H = 2: a single pair
    >>> rope(x, np.array([0]), 10000.0).tolist(), rope(x, np.array([1]), 10000.0).round(4).tolist()
    ([[1.0, 0.0]], [[0.5403, 0.8415]])
    """
    cos, sin = rope_tables(positions, x.shape[-1], theta, x.dtype)
    return apply_rope(x, cos, sin)


def route(logits: Array, k: int) -> tuple[Array, Array]:
    """Mixtral-style routing: each token's top-``k`` experts and their weights.

    ``logits`` is ``[n, E]``; returns expert ids ``[n, k]`` (best first) and weights ``[n, k]``,
    the softmax over the chosen logits only (they sum to 1).

    >>> experts, weights = route(np.array([[0.0, 2.0, 1.0, np.log(2.0) + 1.0]]), k=2)
    >>> experts.tolist(), weights.round(4).tolist()
    ([[1, 3]], [[0.5761, 0.4239]])
    """
    experts = np.argsort(-logits, axis=-1, kind="stable")[:, :k]  # [n, k]
    chosen = np.take_along_axis(logits, experts, axis=-1)  # [n, k]
    return experts, softmax(chosen).astype(logits.dtype, copy=False)


# ----------------------------------------------------------------------------- KV cache

@dataclass
class KVCache:
    """Keys and values of every position seen so far, per layer: ``[B, K, S, H]`` each.

    ``keys[layer]`` and ``values[layer]`` are views of the first ``S`` positions of larger
    buffers whose capacity doubles when full, so that a decode step writes only its own
    position instead of copying the whole cache.

    >>> cache = KVCache([np.zeros((1, 1, 0, 2))], [np.zeros((1, 1, 0, 2))])   # B = K = 1, H = 2
    >>> for pos in range(5):
    ...     _ = cache.append(0, np.full((1, 1, 1, 2), pos), np.full((1, 1, 1, 2), -pos))
    >>> cache.keys[0][0, 0, :, 0].tolist(), cache.values[0][0, 0, :, 1].tolist()
    ([0.0, 1.0, 2.0, 3.0, 4.0], [0.0, -1.0, -2.0, -3.0, -4.0])
    """

    keys: list[Array]
    values: list[Array]
    #: Per layer, the (keys, values) buffers ``[B, K, capacity, H]`` behind the views.
    _buffers: dict[int, tuple[Array, Array]] = field(default_factory=dict, init=False,
                                                     repr=False, compare=False)

    @property
    def length(self) -> int:
        """Positions cached (``S`` after the last step)."""
        return int(self.keys[0].shape[2])

    @property
    def batch(self) -> int:
        """Sequences in the cache (``B``)."""
        return int(self.keys[0].shape[0])

    @property
    def nbytes(self) -> int:
        """Bytes of the cached positions: ``2 · L · B · K · S · H`` elements.

        >>> model = ReferenceModel(tiny_config("llama-mqa"))
        >>> _, cache = model.prefill(np.zeros((3, 5), dtype=int))
        >>> cache.nbytes == 2 * 2 * 3 * 1 * 5 * 16 * 4
        True
        """
        return sum(a.nbytes for a in (*self.keys, *self.values))

    def append(self, layer: int, k: Array, v: Array) -> tuple[Array, Array]:
        """Add ``[B, K, T, H]`` new keys and values to ``layer``; return all of them.

        >>> cache = ReferenceModel(tiny_config("llama-gqa")).new_cache(batch=1)
        >>> k, v = cache.append(0, np.ones((1, 2, 3, 16)), np.ones((1, 2, 3, 16)))
        >>> k.shape, cache.keys[1].shape   # layer 1 untouched
        ((1, 2, 3, 16), (1, 2, 0, 16))
        """
        held = self.keys[layer].shape[2]
        end = held + k.shape[2]
        keys, values = self._buffers.get(layer, (self.keys[layer], self.values[layer]))
        replaced = self.keys[layer].base is not keys or self.values[layer].base is not values
        if replaced or keys.shape[2] < end:  # a new buffer: the old one is full or stale
            capacity = max(end, 2 * held)
            keys = _grown(self.keys[layer], capacity)  # [B, K, capacity, H]
            values = _grown(self.values[layer], capacity)
            self._buffers[layer] = keys, values
        keys[:, :, held:end] = k
        values[:, :, held:end] = v
        self.keys[layer], self.values[layer] = keys[:, :, :end], values[:, :, :end]
        return self.keys[layer], self.values[layer]


def _grown(cached: Array, capacity: int) -> Array:
    """A ``[B, K, capacity, H]`` buffer that starts with the ``[B, K, S, H]`` ``cached``."""
    b, kv, s, h = cached.shape
    out = np.empty((b, kv, capacity, h), cached.dtype)
    out[:, :, :s] = cached
    return out


# ----------------------------------------------------------------------------- tiny configs

_TINY: dict[str, dict[str, Any]] = {
    "llama": {"family": "llama"},
    "llama-gqa": {"family": "llama", "n_kv_heads": 2},
    "llama-mqa": {"family": "llama", "n_kv_heads": 1},
    "qwen2": {"family": "qwen2", "n_kv_heads": 2, "qkv_bias": True, "rope_theta": 1e6},
    "gemma": {"family": "gemma", "d_model": 48, "n_kv_heads": 1, "head_dim": 32,
              "activation": "gelu_pytorch_tanh", "tied_embeddings": True,
              "embedding_scale": math.sqrt(48), "norm_eps": 1e-6},
    "phi3": {"family": "phi3", "d_model": 48, "n_heads": 4, "n_kv_heads": 4, "head_dim": 12},
    "gpt2": {"family": "gpt2", "d_ff": 256, "gated_mlp": False, "activation": "gelu_new",
             "norm": "layer", "positions": "learned", "tied_embeddings": True,
             "qkv_bias": True, "out_bias": True, "mlp_bias": True},
    "mixtral": {"family": "mixtral", "n_kv_heads": 2, "n_experts": 4, "experts_per_token": 2},
    "bert": {"family": "bert", "d_ff": 256, "gated_mlp": False, "activation": "gelu",
             "norm": "layer", "positions": "learned", "tied_embeddings": True,
             "qkv_bias": True, "out_bias": True, "mlp_bias": True, "encoder": True,
             "type_vocab_size": 2, "pooler": True, "embedding_norm": True,
             "final_norm": False, "norm_eps": 1e-12},
}
#: Names :func:`tiny_config` accepts.
TINY_FAMILIES: tuple[str, ...] = tuple(_TINY)


def tiny_config(family: str = "llama", **overrides: Any) -> TransformerConfig:
    """A small config of one family's shape, for tests and examples (``D = 64``, ``L = 2``).

    Families: ``llama`` (MHA), ``llama-gqa``, ``llama-mqa``, ``qwen2`` (qkv bias, GQA),
    ``gemma`` (MQA, ``H = 32 != D/N``, tied), ``phi3``, ``gpt2`` (learned positions, tied),
    ``mixtral`` (4 experts, 2 per token), ``bert`` (encoder with pooler).

    >>> cfg = tiny_config("gemma")
    >>> cfg.d_model, cfg.n_heads, cfg.head_dim, cfg.attention_kind
    (48, 4, 32, 'MQA')
    >>> tiny_config("mixtral", n_layers=1).n_layers
    1
    """
    if family not in _TINY:
        raise WorkloadError(
            f"no tiny config for {family!r}; choose one of: {', '.join(TINY_FAMILIES)}")
    fields: dict[str, Any] = {
        "name": f"tiny-{family}", "d_model": 64, "n_layers": 2, "n_heads": 4,
        "n_kv_heads": 4, "head_dim": 16, "d_ff": 128, "vocab_size": 97, "max_position": 64,
    }
    fields.update(_TINY[family])
    fields.update(overrides)
    return TransformerConfig(**fields)


# ----------------------------------------------------------------------------- the model

def _transposed(a: Array, rows: int = 64) -> Array:
    """A row-major copy of ``a`` ``[..., m, n]`` with its last two axes swapped: ``[..., n, m]``.

    Copied ``rows`` rows of ``a`` at a time, which keeps both sides of the copy in cache and
    runs several times faster than one strided copy of a large matrix.

    >>> a = np.arange(6).reshape(2, 3)
    >>> _transposed(a, rows=1).tolist(), _transposed(a).flags.c_contiguous
    ([[0, 3], [1, 4], [2, 5]], True)
    """
    out = np.empty((*a.shape[:-2], a.shape[-1], a.shape[-2]), a.dtype)
    for start in range(0, a.shape[-2], rows):
        out[..., start:start + rows] = np.swapaxes(a[..., start:start + rows, :], -1, -2)
    return out


def weight_nbytes(cfg: TransformerConfig, layers: int | None = None,
                 dtype: npt.DTypeLike = np.float32) -> int:
    """Bytes of the weights :class:`ReferenceModel` allocates for ``layers`` layers.

    >>> from ai_workloads.catalog import get_model
    >>> weight_nbytes(get_model("gpt2"), layers=1)  # 4 bytes × 46,473,216 parameters
    185892864
    """
    layers = _check_layers(cfg, layers)
    itemsize = np.dtype(dtype).itemsize
    return param_counts(cfg.replace(n_layers=layers)).total * itemsize


def _check_layers(cfg: TransformerConfig, layers: int | None) -> int:
    if layers is None:
        return cfg.n_layers
    if isinstance(layers, bool) or not isinstance(layers, int) or not 1 <= layers <= cfg.n_layers:
        raise WorkloadError(
            f"layers must be an integer from 1 to {cfg.n_layers} for {cfg.name}, got {layers!r}")
    return layers


def _check_size(cfg: TransformerConfig, layers: int, dtype: np.dtype[Any],
                max_bytes: int) -> None:
    needed = weight_nbytes(cfg, layers, dtype)
    if needed <= max_bytes:
        return
    one = weight_nbytes(cfg, 1, dtype)
    per_layer = param_counts(cfg).layer_total * dtype.itemsize
    fit = (max_bytes - one) // per_layer + 1 if one <= max_bytes else 0
    how = (f"trace fewer layers with layers=N (CLI: --layers N); up to {fit} fit"
           if fit else f"even 1 layer needs {one:,} bytes; pass a larger max_bytes")
    raise WorkloadError(
        f"{cfg.name} is too large to instantiate: {layers} layers of {dtype.name} weights "
        f"need {needed:,} bytes ({needed / 2**30:.1f} GiB), over the {max_bytes:,}-byte "
        f"limit; {how}")


class ReferenceModel:
    """A transformer with random weights that runs a config's exact shapes in NumPy.

    ``layers`` builds only the first ``layers`` blocks (the embedding and head are kept), so
    that a large config can still be traced. Weights are drawn from
    ``np.random.default_rng(seed)`` with standard deviation ``init_scale``; norm weights are
    near 1. Construction refuses configs whose weights exceed ``max_bytes``.

    Weight matrices are indexed ``[in, out]``, so a linear layer is ``x @ W`` as in the
    formulas, and a MoE layer's expert weights carry a leading ``E`` axis. In memory each
    matrix is laid out ``[out, in]`` (row-major, as a PyTorch ``nn.Linear`` weight): the
    arrays are transposed views, and for one token each output is then a dot product over
    contiguous memory, which is how batch-1 decode streams its weights fastest.

    >>> model = ReferenceModel(tiny_config("gpt2"), seed=1)
    >>> model.nbytes == 4 * param_counts(model.config).total
    True
    >>> from ai_workloads.catalog import get_model
    >>> ReferenceModel(get_model("llama-2-70b"))
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: llama-2-70b is too large to instantiate: ...
    """

    def __init__(self, cfg: TransformerConfig, seed: int = 0, dtype: npt.DTypeLike = np.float32,
                 layers: int | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 init_scale: float = 0.02) -> None:
        self.dtype: np.dtype[Any] = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise WorkloadError(f"dtype must be a floating type, got {self.dtype.name}")
        self.n_layers = _check_layers(cfg, layers)
        _check_size(cfg, self.n_layers, self.dtype, max_bytes)
        activation(cfg.activation)  # fail early on an unknown activation
        self.config = cfg.replace(n_layers=self.n_layers)
        self._rng = np.random.default_rng(seed)
        self._scale = init_scale
        self.embeddings: dict[str, Array] = self._embedding_weights()
        self.layers: list[dict[str, Array]] = [self._layer_weights()
                                               for _ in range(self.n_layers)]
        self.head: dict[str, Array] = self._head_weights()
        self._rope_cache: tuple[Array, Array] | None = None  # cos, sin: see _rope_tables

    # -- weights -------------------------------------------------------------------------

    def _normal(self, *shape: int) -> Array:
        draw = self._rng.standard_normal(shape, dtype=np.float32)
        draw *= np.float32(self._scale)  # in place: large embeddings are not copied
        return draw.astype(self.dtype, copy=False)

    def _norm_weights(self, prefix: str) -> dict[str, Array]:
        d = self.config.d_model
        out = {f"{prefix}.weight": (1 + self._normal(d)).astype(self.dtype)}
        if self.config.norm == "layer":
            out[f"{prefix}.bias"] = self._normal(d)
        return out

    def _matrix(self, *shape: int) -> Array:
        """A weight ``[..., in, out]`` held as ``[..., out, in]`` in memory (see the class)."""
        drawn = self._normal(*shape)  # [..., in, out]: the draws of a plain [in, out] matrix
        return np.swapaxes(_transposed(drawn), -1, -2)  # [..., in, out] view of [..., out, in]

    def _linear_weights(self, name: str, n_in: int, n_out: int, bias: bool,
                        experts: int | None = None) -> dict[str, Array]:
        lead = () if experts is None else (experts,)
        out = {f"{name}.weight": self._matrix(*lead, n_in, n_out)}
        if bias:
            out[f"{name}.bias"] = self._normal(*lead, n_out)
        return out

    def _embedding_weights(self) -> dict[str, Array]:
        cfg = self.config
        w = {"embedding": self._normal(cfg.vocab_size, cfg.d_model)}  # [V, D]
        if cfg.positions == "learned":
            w["positions"] = self._normal(cfg.max_position, cfg.d_model)
        if cfg.type_vocab_size:
            w["token_types"] = self._normal(cfg.type_vocab_size, cfg.d_model)
        if cfg.embedding_norm:
            w.update(self._norm_weights("embedding_norm"))
        return w

    def _layer_weights(self) -> dict[str, Array]:
        cfg = self.config
        d, f = cfg.d_model, cfg.d_ff
        e = cfg.n_experts if cfg.is_moe else None  # experts get a leading [E] axis
        w = self._norm_weights("attn_norm")
        w.update(self._linear_weights("q", d, cfg.q_dim, cfg.qkv_bias))
        w.update(self._linear_weights("k", d, cfg.kv_dim, cfg.qkv_bias))
        w.update(self._linear_weights("v", d, cfg.kv_dim, cfg.qkv_bias))
        w.update(self._linear_weights("o", cfg.q_dim, d, cfg.out_bias))
        w.update(self._norm_weights("mlp_norm"))
        if cfg.is_moe:
            w["router.weight"] = self._matrix(d, cfg.n_experts)  # [D, E], no bias
        if cfg.gated_mlp:
            w.update(self._linear_weights("gate", d, f, cfg.mlp_bias, experts=e))
        w.update(self._linear_weights("up", d, f, cfg.mlp_bias, experts=e))
        w.update(self._linear_weights("down", f, d, cfg.mlp_bias, experts=e))
        return w

    def _head_weights(self) -> dict[str, Array]:
        cfg = self.config
        w: dict[str, Array] = {}
        if cfg.final_norm:
            w.update(self._norm_weights("final_norm"))
        if not cfg.encoder and not cfg.tied_embeddings:
            w["lm_head.weight"] = self._matrix(cfg.d_model, cfg.vocab_size)  # [D, V]
        if cfg.pooler:
            w.update(self._linear_weights("pooler", cfg.d_model, cfg.d_model, bias=True))
        return w

    @property
    def nbytes(self) -> int:
        """Bytes of all weights (tied embeddings once)."""
        arrays = [*self.embeddings.values(), *self.head.values()]
        arrays += [a for layer in self.layers for a in layer.values()]
        return sum(a.nbytes for a in arrays)

    # -- small ops, each reported to the tracer -----------------------------------------

    def _linear(self, x: Array, w: dict[str, Array], name: str, layer: int | None,
                tracer: Recorder | None, expert: int | None = None) -> Array:
        weight = w[f"{name}.weight"] if expert is None else w[f"{name}.weight"][expert]
        out = x @ weight  # [..., in] @ [in, out] -> [..., out]
        if tracer is not None:
            tracer.matmul(name, x, weight, out, layer, weight=True, expert=expert)
        if f"{name}.bias" in w:
            bias = w[f"{name}.bias"] if expert is None else w[f"{name}.bias"][expert]
            with_bias = out + bias
            if tracer is not None:
                tracer.elementwise("bias", "elementwise", [out], with_bias, layer, nominal=1,
                                   weights=[bias], expert=expert)
            out = with_bias
        return out

    def _norm(self, x: Array, w: dict[str, Array], name: str, layer: int | None,
              tracer: Recorder | None) -> Array:
        eps = self.config.norm_eps
        weight = w[f"{name}.weight"]
        params = [weight]
        out: Array
        if self.config.norm == "rms":  # x / sqrt(mean(x²) + eps) · w
            rms = np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
            out = x / rms * weight
            nominal = 4
        else:  # (x - mean) / sqrt(var + eps) · w + b
            centred = x - x.mean(axis=-1, keepdims=True)
            var = np.mean(centred * centred, axis=-1, keepdims=True)
            out = centred / np.sqrt(var + eps) * weight + w[f"{name}.bias"]
            params.append(w[f"{name}.bias"])
            nominal = 7
        out = out.astype(self.dtype, copy=False)
        if tracer is not None:
            tracer.elementwise("norm", "reduction", [x], out, layer, nominal=nominal,
                               weights=params)
        return out

    def _add(self, name: str, a: Array, b: Array, layer: int | None,
             tracer: Recorder | None) -> Array:
        out = a + b
        if tracer is not None:
            tracer.elementwise(name, "elementwise", [a, b], out, layer, nominal=1)
        return out

    def _gather(self, name: str, ids: Array, tracer: Recorder | None) -> Array:
        table = self.embeddings[name]
        out = table[ids]  # [..., D]
        if tracer is not None:
            tracer.gather(name, ids, table, out, None)
        return out

    # -- the model ------------------------------------------------------------------------

    def embed(self, tokens: Array, start: int = 0, token_types: Array | None = None,
              tracer: Recorder | None = None) -> Array:
        """Token ids ``[B, T]`` at positions ``start…start+T-1`` to vectors ``[B, T, D]``.

        >>> model = ReferenceModel(tiny_config("gemma"))   # scaled by sqrt(D)
        >>> x = model.embed(np.array([[7]]))
        >>> bool(np.allclose(x[0, 0], model.embeddings["embedding"][7] * np.sqrt(48)))
        True
        """
        cfg = self.config
        x = self._gather("embedding", tokens, tracer)  # [B, T, D]
        if cfg.embedding_scale != 1.0:
            scaled = x * self.dtype.type(cfg.embedding_scale)
            if tracer is not None:
                tracer.elementwise("scale", "elementwise", [x], scaled, None, nominal=1)
            x = scaled
        if cfg.positions == "learned":
            positions = np.arange(start, start + tokens.shape[1])[None, :]  # [1, T]
            x = self._add("add", x, self._gather("positions", positions, tracer), None, tracer)
        if cfg.type_vocab_size:
            types = np.zeros_like(tokens) if token_types is None else token_types
            x = self._add("add", x, self._gather("token_types", types, tracer), None, tracer)
        if cfg.embedding_norm:
            x = self._norm(x, self.embeddings, "embedding_norm", None, tracer)
        return x

    def attention(self, x: Array, layer: int, cache: KVCache | None = None,
                  tracer: Recorder | None = None) -> Array:
        """Self-attention of layer ``layer`` on normalized input ``[B, T, D]`` -> ``[B, T, D]``.

        With a cache, the new keys and values are appended and the ``T`` new queries attend
        all ``S`` cached positions (their own included).

        >>> model = ReferenceModel(tiny_config("llama-mqa"))
        >>> model.attention(np.ones((2, 5, 64), np.float32), layer=0).shape
        (2, 5, 64)
        """
        cfg = self.config
        w = self.layers[layer]
        b, t, _ = x.shape
        n, kv, h = cfg.n_heads, cfg.n_kv_heads, cfg.head_dim
        start = int(cache.keys[layer].shape[2]) if cache is not None else 0  # positions before x
        q = self._linear(x, w, "q", layer, tracer)  # [B, T, N·H]
        k = self._linear(x, w, "k", layer, tracer)  # [B, T, K·H]
        v = self._linear(x, w, "v", layer, tracer)  # [B, T, K·H]
        q = q.reshape(b, t, n, h).transpose(0, 2, 1, 3)  # [B, N, T, H]
        k = k.reshape(b, t, kv, h).transpose(0, 2, 1, 3)  # [B, K, T, H]
        v = v.reshape(b, t, kv, h).transpose(0, 2, 1, 3)  # [B, K, T, H]
        if cfg.positions == "rope":
            cos, sin = self._rope_tables(start + t)  # [P, H] for positions 0…P-1
            cos, sin = cos[start:start + t], sin[start:start + t]  # [T, H]
            q, k = (self._rotate(a, cos, sin, layer, tracer) for a in (q, k))
        if cache is not None:
            if tracer is not None:
                for new in (k, v):
                    tracer.elementwise("kv_cache", "copy", [new], new, layer, nominal=0)
            k, v = cache.append(layer, k, v)  # [B, K, S, H]
        # Each KV head serves a group of N/K query heads: [B, K, N/K, T, H] against [B, K, 1, S, H].
        grouped = q.reshape(b, kv, cfg.group_size, t, h)
        out, _ = scaled_dot_product_attention(grouped, k[:, :, None], v[:, :, None],
                                              causal=not cfg.encoder, tracer=tracer,
                                              layer=layer)  # [B, K, N/K, T, H]
        out = out.reshape(b, n, t, h).transpose(0, 2, 1, 3).reshape(b, t, n * h)  # [B, T, N·H]
        return self._linear(out, w, "o", layer, tracer)  # [B, T, D]

    def _rope_tables(self, end: int) -> tuple[Array, Array]:
        """RoPE tables ``[P, H]`` for positions ``0…P-1``, ``P >= end``; grown by doubling."""
        held = 0 if self._rope_cache is None else len(self._rope_cache[0])
        if self._rope_cache is None or held < end:
            cfg = self.config
            positions = np.arange(max(end, 2 * held))
            self._rope_cache = rope_tables(positions, cfg.head_dim, cfg.rope_theta, self.dtype)
        return self._rope_cache

    def _rotate(self, x: Array, cos: Array, sin: Array, layer: int,
                tracer: Recorder | None) -> Array:
        out = apply_rope(x, cos, sin)
        if tracer is not None:  # x·cos + rotate_half(x)·sin
            tracer.elementwise("rope", "elementwise", [x], out, layer, nominal=3)
        return out

    def mlp(self, x: Array, layer: int, tracer: Recorder | None = None) -> Array:
        """The MLP (or mixture of experts) of layer ``layer``: ``[B, T, D]`` -> ``[B, T, D]``.

        A MoE layer sends each token to its top-``k`` experts (:func:`route`) and sums their
        outputs weighted by the router; an expert that no token chose is not run.

        >>> model = ReferenceModel(tiny_config("mixtral"))
        >>> model.mlp(np.ones((1, 3, 64), np.float32), layer=1).shape
        (1, 3, 64)
        """
        cfg = self.config
        w = self.layers[layer]
        b, t, d = x.shape
        flat = x.reshape(b * t, d)  # [B·T, D]
        if not cfg.is_moe:
            return self._expert(flat, layer, None, tracer).reshape(b, t, d)
        router = w["router.weight"]
        logits = flat @ router  # [B·T, E]
        if tracer is not None:
            tracer.matmul("router", flat, router, logits, layer, weight=True)
        experts, gates = route(logits, cfg.experts_per_token)  # [B·T, k] each
        if tracer is not None:  # top-k and a softmax over k logits
            tracer.elementwise("route", "reduction", [logits], gates, layer, nominal=5)
        out = np.zeros_like(flat)  # [B·T, D]
        for e in range(cfg.n_experts):
            rows, slot = np.nonzero(experts == e)  # tokens routed to expert e
            if rows.size == 0:
                continue
            y = self._expert(flat[rows], layer, e, tracer)  # [tokens_e, D]
            weighted = y * gates[rows, slot][:, None]
            out[rows] += weighted
            if tracer is not None:  # multiply by the gate, add into the output
                tracer.elementwise("combine", "elementwise", [y], weighted, layer, nominal=2,
                                   expert=e)
        return out.reshape(b, t, d)

    def _expert(self, x: Array, layer: int, expert: int | None,
                tracer: Recorder | None) -> Array:
        """One MLP on rows ``[n, D]``: ``(act(x Wg) * (x Wu)) Wd`` or ``act(x W1 + b1) W2 + b2``."""
        cfg = self.config
        w = self.layers[layer]
        act, nominal = ACTIVATIONS[cfg.activation]
        if cfg.gated_mlp:
            gate = self._linear(x, w, "gate", layer, tracer, expert)  # [n, F]
            up = self._linear(x, w, "up", layer, tracer, expert)  # [n, F]
            hidden = act(gate) * up
            inputs, nominal = [gate, up], nominal + 1
        else:
            up = self._linear(x, w, "up", layer, tracer, expert)  # [n, F]
            hidden = act(up)
            inputs = [up]
        hidden = hidden.astype(self.dtype, copy=False)
        if tracer is not None:
            tracer.elementwise("act", "elementwise", inputs, hidden, layer, nominal=nominal,
                               expert=expert)
        return self._linear(hidden, w, "down", layer, tracer, expert)  # [n, D]

    def block(self, x: Array, layer: int, cache: KVCache | None = None,
              tracer: Recorder | None = None) -> Array:
        """One transformer layer: pre-norm for decoders, post-norm (as BERT) for encoders.

        >>> model = ReferenceModel(tiny_config("bert"))
        >>> y = model.block(np.ones((1, 4, 64), np.float32), layer=0)
        >>> y.shape, bool(abs(y.mean(axis=-1)).max() < 0.1)   # ends in a LayerNorm
        ((1, 4, 64), True)
        """
        w = self.layers[layer]
        if self.config.encoder:  # BertLayer: LayerNorm(x + attention(x)), then the MLP likewise
            x = self._add("residual", x, self.attention(x, layer, cache, tracer), layer, tracer)
            x = self._norm(x, w, "attn_norm", layer, tracer)
            x = self._add("residual", x, self.mlp(x, layer, tracer), layer, tracer)
            return self._norm(x, w, "mlp_norm", layer, tracer)
        h = self.attention(self._norm(x, w, "attn_norm", layer, tracer), layer, cache, tracer)
        x = self._add("residual", x, h, layer, tracer)
        h = self.mlp(self._norm(x, w, "mlp_norm", layer, tracer), layer, tracer)
        return self._add("residual", x, h, layer, tracer)

    def _check_tokens(self, tokens: Array, start: int) -> Array:
        cfg = self.config
        tokens = np.asarray(tokens)
        if tokens.ndim != 2 or tokens.shape[1] == 0 or tokens.dtype.kind not in "iu":
            raise WorkloadError(
                f"tokens must be integer ids of shape [B, T] with T >= 1, got "
                f"{tokens.dtype.name}{list(tokens.shape)}")
        if tokens.size and (tokens.min() < 0 or tokens.max() >= cfg.vocab_size):
            raise WorkloadError(f"token ids must lie in [0, {cfg.vocab_size}) for {cfg.name}")
        end = start + tokens.shape[1]
        if cfg.positions == "learned" and end > cfg.max_position:
            raise WorkloadError(
                f"{cfg.name} has {cfg.max_position} learned positions; {end} requested")
        return tokens

    def forward(self, tokens: Array, cache: KVCache | None = None,
                tracer: Recorder | None = None, *, token_types: Array | None = None,
                head: bool = True) -> Array:
        """Run ids ``[B, T]`` through the model.

        Decoders return logits ``[B, T, V]``; with a ``cache`` the tokens follow the cached
        positions and are appended to it. Encoders return the pooler output ``[B, D]`` (the
        last hidden states ``[B, T, D]`` when there is no pooler). ``head=False`` returns the
        final hidden states ``[B, T, D]`` and skips the LM head and pooler.

        >>> model = ReferenceModel(tiny_config("bert"))
        >>> model.forward(np.array([[5, 6, 7]])).shape
        (1, 64)
        """
        cfg = self.config
        if cache is not None and cfg.encoder:
            raise WorkloadError(f"{cfg.name} is an encoder: it has no KV cache")
        start = cache.length if cache is not None else 0
        tokens = self._check_tokens(tokens, start)
        if cache is not None and (cache.batch, len(cache.keys)) != (len(tokens), self.n_layers):
            raise WorkloadError(
                f"the cache holds {cache.batch} sequences and {len(cache.keys)} layers; "
                f"tokens have {len(tokens)} sequences and the model {self.n_layers} layers")
        x = self.embed(tokens, start, token_types, tracer)  # [B, T, D]
        for layer in range(self.n_layers):
            x = self.block(x, layer, cache, tracer)
        if cfg.final_norm:
            x = self._norm(x, self.head, "final_norm", None, tracer)
        if not head:
            return x
        if cfg.encoder:
            if not cfg.pooler:
                return x
            first = x[:, 0]  # [B, D]: the first ([CLS]) token
            dense = self._linear(first, self.head, "pooler", None, tracer)
            pooled: Array = np.tanh(dense)
            if tracer is not None:
                tracer.elementwise("act", "elementwise", [dense], pooled, None, nominal=1)
            return pooled
        table = self.head.get("lm_head.weight")
        if table is None:
            table = self.embeddings["embedding"].T  # tied: [D, V] view of the embedding
        logits = x @ table  # [B, T, V]
        if tracer is not None:
            tracer.matmul("lm_head", x, table, logits, None, weight=True)
        return logits

    def new_cache(self, batch: int) -> KVCache:
        """An empty KV cache for ``batch`` sequences.

        >>> ReferenceModel(tiny_config("qwen2")).new_cache(3).keys[0].shape   # [B, K, 0, H]
        (3, 2, 0, 16)
        """
        cfg = self.config
        if cfg.encoder:
            raise WorkloadError(f"{cfg.name} is an encoder: it has no KV cache")
        shape = (batch, cfg.n_kv_heads, 0, cfg.head_dim)
        return KVCache([np.zeros(shape, self.dtype) for _ in range(self.n_layers)],
                       [np.zeros(shape, self.dtype) for _ in range(self.n_layers)])

    def prefill(self, tokens: Array, tracer: Recorder | None = None) -> tuple[Array, KVCache]:
        """Process prompts ``[B, T]`` from empty: logits ``[B, T, V]`` and the filled cache.

        >>> logits, cache = ReferenceModel(tiny_config("phi3")).prefill(np.ones((2, 6), int))
        >>> logits.shape, cache.length
        ((2, 6, 97), 6)
        """
        cache = self.new_cache(np.shape(tokens)[0])
        return self.forward(tokens, cache, tracer), cache

    def decode(self, next_tokens: Array, cache: KVCache,
               tracer: Recorder | None = None) -> Array:
        """One decode step: one new token per sequence (``[B]``) -> logits ``[B, V]``.

        >>> model = ReferenceModel(tiny_config("gpt2"))
        >>> _, cache = model.prefill(np.array([[1, 2], [3, 4]]))
        >>> model.decode(np.array([5, 6]), cache).shape, cache.length
        ((2, 97), 3)
        """
        ids = np.asarray(next_tokens)
        if ids.ndim != 1:
            raise WorkloadError(f"next_tokens must have shape [B], got {list(ids.shape)}")
        logits: Array = self.forward(ids[:, None], cache, tracer)[:, -1]
        return logits
