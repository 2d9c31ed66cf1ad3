"""The reference model's weights: every name and shape, their size, and how they are drawn.

The weights of one model are listed here once, in three parts: the embedding tables
(:func:`embedding_weights`), one transformer block (:func:`block_weights`) and the head
(:func:`head_weights`). Matrices are indexed ``[in, out]`` (with a leading ``E`` for a MoE
layer's experts), so that a linear layer is ``x @ W`` as in the formulas. Tied embeddings
have no head matrix: the LM head reads the embedding table.

:func:`weight_nbytes` sums these shapes, so that the model
(:class:`~ai_workloads.reference.model.ReferenceModel`) can refuse a config before it
allocates anything. The sizes come from the shapes the model really builds, never from the
parameter formulas of :mod:`ai_workloads.analysis.params`; the tests hold the two equal.

>>> from ai_workloads.reference.configs import tiny_config
>>> [(w.name, w.shape) for w in block_weights(tiny_config("llama-gqa"))][1:3]
[('q.weight', (64, 64)), ('k.weight', (64, 32))]
>>> weight_nbytes(tiny_config("llama-gqa"), layers=1) == 4 * sum(
...     w.size for w in (*embedding_weights(tiny_config("llama-gqa")),
...                      *block_weights(tiny_config("llama-gqa")),
...                      *head_weights(tiny_config("llama-gqa"))))
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from ..core.config import TransformerConfig
from ..core.errors import WorkloadError
from .ops import Array

#: Weights larger than this (bytes) are refused unless ``max_bytes`` is raised (2 GiB).
DEFAULT_MAX_BYTES = 2 * 2**30

#: How a weight is drawn: ``matrix`` ``[..., in, out]`` (held ``[..., out, in]`` in memory),
#: ``norm`` a scale near 1, ``vector`` a bias or an embedding table (a plain draw).
WeightKind = Literal["matrix", "norm", "vector"]


@dataclass(frozen=True, slots=True)
class WeightSpec:
    """One weight of the model: its name, its shape (``[in, out]`` for a matrix) and kind.

    >>> spec = WeightSpec("up.weight", (4, 64, 128), "matrix")   # E = 4 experts
    >>> spec.size
    32768
    """

    name: str
    shape: tuple[int, ...]
    kind: WeightKind

    @property
    def size(self) -> int:
        """Elements of the weight."""
        return math.prod(self.shape)


def _norm(cfg: TransformerConfig, prefix: str) -> list[WeightSpec]:
    """A norm's scale, and its shift for a LayerNorm."""
    specs = [WeightSpec(f"{prefix}.weight", (cfg.d_model,), "norm")]
    if cfg.norm == "layer":
        specs.append(WeightSpec(f"{prefix}.bias", (cfg.d_model,), "vector"))
    return specs


def _linear(name: str, n_in: int, n_out: int, bias: bool,
            experts: int | None = None) -> list[WeightSpec]:
    """A linear layer ``[in, out]`` (``[E, in, out]`` for experts) and its bias."""
    lead = () if experts is None else (experts,)
    specs = [WeightSpec(f"{name}.weight", (*lead, n_in, n_out), "matrix")]
    if bias:
        specs.append(WeightSpec(f"{name}.bias", (*lead, n_out), "vector"))
    return specs


def embedding_weights(cfg: TransformerConfig) -> tuple[WeightSpec, ...]:
    """The embedding tables (``[V, D]``, learned positions, token types) and their norm.

    >>> from ai_workloads.reference.configs import tiny_config
    >>> [w.name for w in embedding_weights(tiny_config("bert"))]
    ['embedding', 'positions', 'token_types', 'embedding_norm.weight', 'embedding_norm.bias']
    """
    specs = [WeightSpec("embedding", (cfg.vocab_size, cfg.d_model), "vector")]  # [V, D]
    if cfg.positions == "learned":
        specs.append(WeightSpec("positions", (cfg.max_position, cfg.d_model), "vector"))
    if cfg.type_vocab_size:
        specs.append(WeightSpec("token_types", (cfg.type_vocab_size, cfg.d_model), "vector"))
    if cfg.embedding_norm:
        specs += _norm(cfg, "embedding_norm")
    return tuple(specs)


def block_weights(cfg: TransformerConfig) -> tuple[WeightSpec, ...]:
    """The weights of one transformer block, in the order they are drawn.

    >>> from ai_workloads.reference.configs import tiny_config
    >>> moe = {w.name: w.shape for w in block_weights(tiny_config("mixtral"))}
    >>> moe["router.weight"], moe["gate.weight"]   # [D, E]; [E, D, F]
    ((64, 4), (4, 64, 128))
    """
    d, f = cfg.d_model, cfg.d_ff
    experts = cfg.n_experts if cfg.is_moe else None  # experts get a leading [E] axis
    specs = _norm(cfg, "attn_norm")
    specs += _linear("q", d, cfg.q_dim, cfg.qkv_bias)
    specs += _linear("k", d, cfg.kv_dim, cfg.qkv_bias)
    specs += _linear("v", d, cfg.kv_dim, cfg.qkv_bias)
    specs += _linear("o", cfg.q_dim, d, cfg.out_bias)
    specs += _norm(cfg, "mlp_norm")
    if cfg.is_moe:
        specs.append(WeightSpec("router.weight", (d, cfg.n_experts), "matrix"))  # no bias
    if cfg.gated_mlp:
        specs += _linear("gate", d, f, cfg.mlp_bias, experts)
    specs += _linear("up", d, f, cfg.mlp_bias, experts)
    specs += _linear("down", f, d, cfg.mlp_bias, experts)
    return tuple(specs)


def head_weights(cfg: TransformerConfig) -> tuple[WeightSpec, ...]:
    """The final norm, the LM head ``[D, V]`` (untied decoders only) and an encoder's pooler.

    >>> from ai_workloads.reference.configs import tiny_config
    >>> [w.name for w in head_weights(tiny_config("llama"))]
    ['final_norm.weight', 'lm_head.weight']
    >>> [w.name for w in head_weights(tiny_config("gpt2"))]   # tied: the head reads the table
    ['final_norm.weight', 'final_norm.bias']
    """
    specs: list[WeightSpec] = []
    if cfg.final_norm:
        specs += _norm(cfg, "final_norm")
    if not cfg.encoder and not cfg.tied_embeddings:
        specs.append(WeightSpec("lm_head.weight", (cfg.d_model, cfg.vocab_size), "matrix"))
    if cfg.pooler:
        specs += _linear("pooler", cfg.d_model, cfg.d_model, bias=True)
    return tuple(specs)


def check_layers(cfg: TransformerConfig, layers: int | None) -> int:
    """How many blocks to build: ``layers``, checked against the config (``None``: all).

    >>> from ai_workloads.reference.configs import tiny_config
    >>> check_layers(tiny_config("llama"), None), check_layers(tiny_config("llama"), 1)
    (2, 1)
    >>> check_layers(tiny_config("llama"), 3)
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: layers must be an integer from 1 to 2 for ...
    """
    if not cfg.plain_layers:
        raise WorkloadError(
            f"the reference model builds plain decoders; {cfg.name} has "
            f"{', '.join(k.label for k, _ in cfg.layer_groups)} layers with parts it does not "
            "model")
    if layers is None:
        return cfg.n_layers
    if isinstance(layers, bool) or not isinstance(layers, int) or not 1 <= layers <= cfg.n_layers:
        raise WorkloadError(
            f"layers must be an integer from 1 to {cfg.n_layers} for {cfg.name}, got {layers!r}")
    return layers


def _elements(specs: Iterable[WeightSpec]) -> int:
    return sum(spec.size for spec in specs)


def block_nbytes(cfg: TransformerConfig, dtype: npt.DTypeLike = np.float32) -> int:
    """Bytes of one transformer block's weights, without the embedding and LM head.

    >>> from ai_workloads.catalog import get_model
    >>> block_nbytes(get_model("gpt2"))   # 4 bytes × 7,087,872 parameters
    28351488
    """
    check_layers(cfg, None)
    return _elements(block_weights(cfg)) * np.dtype(dtype).itemsize


def weight_nbytes(cfg: TransformerConfig, layers: int | None = None,
                  dtype: npt.DTypeLike = np.float32) -> int:
    """Bytes of the weights the reference model allocates for ``layers`` blocks.

    >>> from ai_workloads.catalog import get_model
    >>> weight_nbytes(get_model("gpt2"), layers=1)  # 4 bytes × 46,473,216 parameters
    185892864
    """
    layers = check_layers(cfg, layers)
    fixed = _elements(embedding_weights(cfg)) + _elements(head_weights(cfg))
    return (fixed + layers * _elements(block_weights(cfg))) * np.dtype(dtype).itemsize


def check_size(cfg: TransformerConfig, layers: int, dtype: npt.DTypeLike,
               max_bytes: int) -> None:
    """Refuse, before allocating, weights over ``max_bytes``; say how many layers would fit.

    >>> from ai_workloads.catalog import get_model
    >>> check_size(get_model("gpt2"), 12, np.float32, 2**30)   # 498 MB: fits
    >>> check_size(get_model("llama-2-7b"), 32, np.float32, 2**30)
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: llama-2-7b is too large to instantiate: ...
    """
    chosen = np.dtype(dtype)
    needed = weight_nbytes(cfg, layers, chosen)
    if needed <= max_bytes:
        return
    one = weight_nbytes(cfg, 1, chosen)
    per_layer = _elements(block_weights(cfg)) * chosen.itemsize
    fit = (max_bytes - one) // per_layer + 1 if one <= max_bytes else 0
    how = (f"trace fewer layers with layers=N (CLI: --layers N); up to {fit} fit"
           if fit else f"even 1 layer needs {one:,} bytes; pass a larger max_bytes")
    raise WorkloadError(
        f"{cfg.name} is too large to instantiate: {layers} layers of {chosen.name} weights "
        f"need {needed:,} bytes ({needed / 2**30:.1f} GiB), over the {max_bytes:,}-byte "
        f"limit; {how}")


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


def draw_weights(specs: Iterable[WeightSpec], rng: np.random.Generator,
                 dtype: npt.DTypeLike = np.float32, scale: float = 0.02) -> dict[str, Array]:
    """Random weights for ``specs``, drawn from ``rng`` in order (standard deviation ``scale``).

    Norm scales are ``1`` plus a draw. A matrix is drawn as a plain ``[..., in, out]`` array
    and then held ``[..., out, in]`` in memory (row-major, as a PyTorch ``nn.Linear``
    weight), returned as an ``[..., in, out]`` view: for one token each output is then a dot
    product over contiguous memory, which is how batch-1 decode streams its weights fastest.

    >>> w = draw_weights([WeightSpec("q.weight", (3, 2), "matrix")], np.random.default_rng(0))
    >>> w["q.weight"].shape, w["q.weight"].T.flags.c_contiguous
    ((3, 2), True)
    """
    chosen = np.dtype(dtype)
    out: dict[str, Array] = {}
    for spec in specs:
        draw: Array = rng.standard_normal(spec.shape, dtype=np.float32)
        draw *= np.float32(scale)  # in place: large embeddings are not copied
        drawn = draw.astype(chosen, copy=False)
        if spec.kind == "norm":
            out[spec.name] = (1 + drawn).astype(chosen)
        elif spec.kind == "matrix":
            out[spec.name] = np.swapaxes(_transposed(drawn), -1, -2)
        else:
            out[spec.name] = drawn
    return out

