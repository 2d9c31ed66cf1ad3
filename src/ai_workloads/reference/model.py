"""A NumPy reference transformer, built from any :class:`TransformerConfig`.

It runs the same shapes the analyses count: decoders (Llama, Mistral, Mixtral, Qwen2, Gemma,
Phi-3, GPT-2) with a KV cache, and BERT-style encoders. Weights are random (from a seed):
the model exists to show, and to let :mod:`ai_workloads.reference.tracer` record, what data
flows through each op, not to produce text. Shapes are in the Notation page's letters: ``B``
batch, ``T`` new tokens, ``S`` keys attended, ``D``, ``N``, ``K``, ``H``, ``F``, ``V``, ``E``.

The model is assembled from :mod:`~ai_workloads.reference.ops` (activations, attention,
routing), :mod:`~ai_workloads.reference.rope`, :mod:`~ai_workloads.reference.cache` and the
weight list of :mod:`~ai_workloads.reference.weights`.

>>> from ai_workloads.reference.configs import tiny_config
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

from typing import Any

import numpy as np
import numpy.typing as npt

from ..core.config import TransformerConfig
from ..core.errors import WorkloadError
from .cache import KVCache
from .ops import ACTIVATIONS, Array, Recorder, activation, route, scaled_dot_product_attention
from .rope import apply_rope, rope_tables
from .weights import (
    DEFAULT_MAX_BYTES,
    block_weights,
    check_layers,
    check_size,
    draw_weights,
    embedding_weights,
    head_weights,
)


class ReferenceModel:
    """A transformer with random weights that runs a config's exact shapes in NumPy.

    ``layers`` builds only the first ``layers`` blocks (the embedding and head are kept), so
    that a large config can still be traced. Weights are drawn from
    ``np.random.default_rng(seed)`` with standard deviation ``init_scale``; norm weights are
    near 1. Construction refuses configs whose weights exceed ``max_bytes``.

    Weight matrices are indexed ``[in, out]``, so a linear layer is ``x @ W`` as in the
    formulas, and a MoE layer's expert weights carry a leading ``E`` axis; their names,
    shapes and memory layout are those of :mod:`~ai_workloads.reference.weights`.

    >>> from ai_workloads.reference.configs import tiny_config
    >>> from ai_workloads.reference.weights import weight_nbytes
    >>> model = ReferenceModel(tiny_config("gpt2"), seed=1)
    >>> model.nbytes == weight_nbytes(model.config)
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
        self.n_layers = check_layers(cfg, layers)
        check_size(cfg, self.n_layers, self.dtype, max_bytes)
        activation(cfg.activation)  # fail early on an unknown activation
        self.config = cfg.replace(n_layers=self.n_layers)
        rng = np.random.default_rng(seed)
        self.embeddings: dict[str, Array] = draw_weights(
            embedding_weights(self.config), rng, self.dtype, init_scale)
        self.layers: list[dict[str, Array]] = [
            draw_weights(block_weights(self.config), rng, self.dtype, init_scale)
            for _ in range(self.n_layers)]
        self.head: dict[str, Array] = draw_weights(head_weights(self.config), rng, self.dtype,
                                                   init_scale)
        self._rope_cache: tuple[Array, Array] | None = None  # cos, sin: see _rope_tables

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

        >>> from ai_workloads.reference.configs import tiny_config
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

        >>> from ai_workloads.reference.configs import tiny_config
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

        >>> from ai_workloads.reference.configs import tiny_config
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

        >>> from ai_workloads.reference.configs import tiny_config
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

        >>> from ai_workloads.reference.configs import tiny_config
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

        >>> from ai_workloads.reference.configs import tiny_config
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

        >>> from ai_workloads.reference.configs import tiny_config
        >>> logits, cache = ReferenceModel(tiny_config("phi3")).prefill(np.ones((2, 6), int))
        >>> logits.shape, cache.length
        ((2, 6, 97), 6)
        """
        cache = self.new_cache(np.shape(tokens)[0])
        return self.forward(tokens, cache, tracer), cache

    def decode(self, next_tokens: Array, cache: KVCache,
               tracer: Recorder | None = None) -> Array:
        """One decode step: one new token per sequence (``[B]``) -> logits ``[B, V]``.

        >>> from ai_workloads.reference.configs import tiny_config
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
