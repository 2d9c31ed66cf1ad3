"""The operations the reference model is built from, and how each one reports itself.

Activations (by their Hugging Face names), softmax, scaled dot-product attention and
Mixture-of-Experts routing, on NumPy arrays; and the :class:`Recorder` protocol through which
the model tells a tracer what each op read and wrote. Shapes are in the Notation page's
letters (``T`` queries, ``S`` keys, ``H`` head dimension, ``E`` experts).

>>> out, weights = scaled_dot_product_attention(np.zeros((2, 4)), np.zeros((4, 4)),
...                                             np.arange(16.0).reshape(4, 4))
>>> weights.tolist()[0], out.tolist()[0]   # equal scores: every key weighs 1/4
([0.25, 0.25, 0.25, 0.25], [6.0, 7.0, 8.0, 9.0])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ..core.errors import WorkloadError

Array = npt.NDArray[Any]


class Recorder(Protocol):
    """What the model tells a tracer about each op it runs.

    :class:`ai_workloads.reference.tracer.Tracer` implements it; the model never imports the
    tracer.

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
