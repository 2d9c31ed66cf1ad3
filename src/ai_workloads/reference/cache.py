"""The KV cache of the reference model: every layer's keys and values of the positions so far.

Decode appends one position per step; the buffers behind the cache double when full, so a
step writes only its own keys and values.

>>> cache = KVCache([np.zeros((1, 2, 0, 4))], [np.zeros((1, 2, 0, 4))])   # B = 1, K = 2, H = 4
>>> _ = cache.append(0, np.ones((1, 2, 3, 4)), np.ones((1, 2, 3, 4)))
>>> cache.length, cache.batch, cache.nbytes   # 2 · 1 · 2 · 3 · 4 float64 values
(3, 1, 384)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .ops import Array


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

        >>> from ai_workloads.reference.configs import tiny_config
        >>> from ai_workloads.reference.model import ReferenceModel
        >>> model = ReferenceModel(tiny_config("llama-mqa"))
        >>> _, cache = model.prefill(np.zeros((3, 5), dtype=int))
        >>> cache.nbytes == 2 * 2 * 3 * 1 * 5 * 16 * 4
        True
        """
        return sum(a.nbytes for a in (*self.keys, *self.values))

    def append(self, layer: int, k: Array, v: Array) -> tuple[Array, Array]:
        """Add ``[B, K, T, H]`` new keys and values to ``layer``; return all of them.

        >>> from ai_workloads.reference.configs import tiny_config
        >>> from ai_workloads.reference.model import ReferenceModel
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
