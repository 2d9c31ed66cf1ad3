"""The KV cache: what it holds after each append, its size, and its growing buffers."""

from __future__ import annotations

import numpy as np

from ai_workloads.reference.cache import KVCache
from ai_workloads.reference.configs import tiny_config
from ai_workloads.reference.model import ReferenceModel


def empty(layers: int, b: int, kv: int, h: int) -> KVCache:
    return KVCache([np.zeros((b, kv, 0, h)) for _ in range(layers)],
                   [np.zeros((b, kv, 0, h)) for _ in range(layers)])


def test_appends_are_kept_in_order_per_layer() -> None:
    cache = empty(layers=2, b=1, kv=2, h=3)
    for step, t in enumerate((4, 1, 1, 3)):  # a prefill of 4, two decode steps, 3 more
        k = np.full((1, 2, t, 3), float(step))
        keys, values = cache.append(1, k, -k)
        assert keys.shape == values.shape == (1, 2, sum((4, 1, 1, 3)[:step + 1]), 3)
    assert cache.keys[1][0, 0, :, 0].tolist() == [0, 0, 0, 0, 1, 2, 3, 3, 3]
    assert cache.values[1][0, 1, :, 2].tolist() == [0, 0, 0, 0, -1, -2, -3, -3, -3]
    assert cache.keys[0].shape == (1, 2, 0, 3)  # the other layer is untouched


def test_length_batch_and_bytes() -> None:
    cache = empty(layers=3, b=2, kv=1, h=4)
    for layer in range(3):
        cache.append(layer, np.ones((2, 1, 5, 4)), np.ones((2, 1, 5, 4)))
    assert (cache.length, cache.batch) == (5, 2)
    assert cache.nbytes == 2 * 3 * 2 * 1 * 5 * 4 * 8   # K and V, L, B, K, S, H, float64


def test_a_decode_step_writes_into_the_buffer_without_copying() -> None:
    cache = empty(layers=1, b=1, kv=1, h=2)
    cache.append(0, np.ones((1, 1, 4, 2)), np.ones((1, 1, 4, 2)))   # buffer of 4
    cache.append(0, np.ones((1, 1, 1, 2)), np.ones((1, 1, 1, 2)))   # full: doubles to 8
    base = cache.keys[0].base
    assert base is not None
    assert base.shape[2] == 8
    for _ in range(3):                                              # 6, 7, 8 fit in place
        cache.append(0, np.ones((1, 1, 1, 2)), np.ones((1, 1, 1, 2)))
        assert cache.keys[0].base is base
    assert cache.length == 8


def test_a_replaced_view_starts_a_new_buffer() -> None:
    cache = empty(layers=1, b=1, kv=1, h=1)
    cache.append(0, np.zeros((1, 1, 2, 1)), np.zeros((1, 1, 2, 1)))
    cache.keys[0] = np.full((1, 1, 2, 1), 7.0)   # set from outside: the buffer is stale
    cache.values[0] = np.full((1, 1, 2, 1), 8.0)
    keys, values = cache.append(0, np.ones((1, 1, 1, 1)), np.ones((1, 1, 1, 1)))
    assert keys[0, 0, :, 0].tolist() == [7.0, 7.0, 1.0]
    assert values[0, 0, :, 0].tolist() == [8.0, 8.0, 1.0]


def test_cache_size_is_two_l_b_k_s_h() -> None:
    model = ReferenceModel(tiny_config("llama-gqa"), seed=3, init_scale=0.1)
    _, cache = model.prefill(np.zeros((3, 7), dtype=np.int64))
    assert cache.nbytes == 2 * 2 * 3 * 2 * 7 * 16 * 4
