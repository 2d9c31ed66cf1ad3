"""The NumPy reference model against independent computations.

Independent sources: attention and RoPE written as plain Python loops (see ``conftest.py``),
a Mixture-of-Experts combination written out by hand, and recomputation without a cache.
The model's building blocks are tested in ``test_ops.py``, ``test_rope.py``,
``test_cache.py`` and its weights in ``test_weights.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from ai_workloads.core.errors import WorkloadError
from ai_workloads.reference.configs import TINY_FAMILIES, tiny_config
from ai_workloads.reference.model import ReferenceModel
from ai_workloads.reference.tracer import Tracer

Array = np.ndarray[Any, Any]
NaiveAttention = Callable[..., list[list[float]]]
NaiveRope = Callable[[list[float], int, float], list[float]]
DECODERS = [f for f in TINY_FAMILIES if not tiny_config(f).encoder]
# Larger than the default 0.02 so that attention weights are far from uniform.
INIT = 0.1


def relative_error(got: Array, want: Array) -> float:
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


def model_of(family: str, **overrides: Any) -> ReferenceModel:
    return ReferenceModel(tiny_config(family, **overrides), seed=3, init_scale=INIT)


# ----------------------------------------------------------------------------- attention

@pytest.mark.parametrize("family", ["llama", "llama-gqa", "llama-mqa", "qwen2", "gemma",
                                    "phi3", "gpt2", "bert"])
def test_model_attention_matches_per_head_loop(family: str, naive_attention: NaiveAttention,
                                               naive_rope: NaiveRope) -> None:
    """The model's attention sub-layer equals a per-head loop with K < N sharing."""
    model = model_of(family)
    cfg = model.config
    w = model.layers[1]
    t, h, group = 5, cfg.head_dim, cfg.group_size
    x = np.random.default_rng(2).normal(size=(1, t, cfg.d_model)).astype(np.float32)
    got = model.attention(x, layer=1)[0]

    def project(name: str) -> Array:
        out: Array = x[0].astype(np.float64) @ w[f"{name}.weight"]
        return out + w[f"{name}.bias"] if f"{name}.bias" in w else out

    q, k, v = project("q"), project("k"), project("v")
    heads = []
    for n in range(cfg.n_heads):
        kv = n // group  # the KV head this query head shares
        qn = q[:, n * h:(n + 1) * h].tolist()
        kn = k[:, kv * h:(kv + 1) * h].tolist()
        vn = v[:, kv * h:(kv + 1) * h].tolist()
        if cfg.positions == "rope":
            qn = [naive_rope(row, p, cfg.rope_theta) for p, row in enumerate(qn)]
            kn = [naive_rope(row, p, cfg.rope_theta) for p, row in enumerate(kn)]
        heads.append(np.array(naive_attention(qn, kn, vn, causal=not cfg.encoder)))
    want = np.concatenate(heads, axis=1) @ w["o.weight"]
    if "o.bias" in w:
        want = want + w["o.bias"]
    assert relative_error(got, want) < 1e-5


# ----------------------------------------------------------------------------- cache and masks

@pytest.mark.parametrize("family", DECODERS)
def test_cached_decode_equals_recompute(family: str) -> None:
    model = model_of(family)
    rng = np.random.default_rng(5)
    seq = rng.integers(0, model.config.vocab_size, size=(2, 9))
    logits, cache = model.prefill(seq[:, :6])
    assert relative_error(logits, model.forward(seq[:, :6])) < 1e-5
    for end in range(6, 9):
        step = model.decode(seq[:, end], cache)  # [B, V]
        full = model.forward(seq[:, :end + 1])[:, -1]  # whole sequence, no cache
        assert step.shape == (2, model.config.vocab_size)
        assert relative_error(step, full) < 1e-5
    assert cache.length == 9


@pytest.mark.parametrize("family", ["llama-gqa", "gpt2", "mixtral"])
def test_chunked_prefill_equals_one_pass(family: str) -> None:
    model = model_of(family)
    seq = np.random.default_rng(6).integers(0, 97, size=(1, 10))
    cache = model.new_cache(1)
    parts = [model.forward(seq[:, a:b], cache) for a, b in ((0, 4), (4, 5), (5, 10))]
    assert relative_error(np.concatenate(parts, axis=1), model.forward(seq)) < 1e-5


@pytest.mark.parametrize("family", DECODERS)
def test_decoders_are_causal(family: str) -> None:
    model = model_of(family)
    a = np.array([[3, 1, 4, 1, 5]])
    b = a.copy()
    b[0, -1] = 9
    la, lb = model.forward(a), model.forward(b)
    np.testing.assert_array_equal(la[:, :-1], lb[:, :-1])
    assert not np.allclose(la[:, -1], lb[:, -1])


def test_encoder_is_bidirectional() -> None:
    model = model_of("bert")
    a = np.array([[3, 1, 4, 1, 5]])
    b = a.copy()
    b[0, -1] = 9
    ha, hb = model.forward(a, head=False), model.forward(b, head=False)
    assert not np.allclose(ha[:, 0], hb[:, 0])  # the first token sees the last
    pooled = model.forward(a)
    w = model.head
    np.testing.assert_allclose(pooled, np.tanh(ha[:, 0] @ w["pooler.weight"] + w["pooler.bias"]),
                               rtol=1e-6)


@pytest.mark.parametrize("family", ["llama-mqa", "bert"])
def test_batch_rows_are_independent(family: str) -> None:
    model = model_of(family)
    seq = np.random.default_rng(8).integers(0, 97, size=(3, 6))
    together = model.forward(seq)
    for row in range(3):
        alone = model.forward(seq[row:row + 1])
        assert relative_error(together[row:row + 1], alone) < 1e-5


# ----------------------------------------------------------------------------- mixture of experts

def naive_expert(x: Array, w: dict[str, Array], e: int) -> Array:
    gate = x @ w["gate.weight"][e]
    out: Array = (gate / (1 + np.exp(-gate)) * (x @ w["up.weight"][e])) @ w["down.weight"][e]
    return out


def test_moe_runs_exactly_the_routed_experts() -> None:
    model = model_of("mixtral", n_experts=6, experts_per_token=2)
    w = model.layers[0]
    x = np.random.default_rng(10).normal(size=(1, 1, 64)).astype(np.float32)
    tracer = Tracer()
    got = model.mlp(x, 0, tracer)[0, 0]
    logits = [float(np.dot(x[0, 0], w["router.weight"][:, e])) for e in range(6)]
    top = sorted(range(6), key=lambda e: -logits[e])[:2]
    assert {op.expert for op in tracer.ops if op.name in ("gate", "up", "down")} == set(top)
    exps = [math.exp(logits[e]) for e in top]
    want: Array = sum((exps[i] / sum(exps) * naive_expert(x[0, 0], w, e)
                       for i, e in enumerate(top)), np.zeros(64))
    assert relative_error(got, want) < 1e-5

    unchosen = [e for e in range(6) if e not in top]
    for name in ("gate.weight", "up.weight", "down.weight"):
        w[name][unchosen] = 123.0  # nothing routed there: the output cannot change
    np.testing.assert_array_equal(model.mlp(x, 0)[0, 0], got)
    w["down.weight"][top[0]] *= 2  # a chosen expert does change it
    assert not np.allclose(model.mlp(x, 0)[0, 0], got)


# ----------------------------------------------------------------------------- weights and inputs

def test_seed_makes_weights_reproducible() -> None:
    cfg = tiny_config("qwen2")
    a, b, c = ReferenceModel(cfg, seed=4), ReferenceModel(cfg, seed=4), ReferenceModel(cfg, seed=5)
    tokens = np.array([[1, 2, 3]])
    np.testing.assert_array_equal(a.forward(tokens), b.forward(tokens))
    assert not np.allclose(a.forward(tokens), c.forward(tokens))


@pytest.mark.parametrize(("tokens", "message"), [
    (np.array([1, 2]), "shape"),
    (np.array([[1.0, 2.0]]), "integer"),
    (np.zeros((1, 0), dtype=int), "T >= 1"),
    (np.array([[0, 97]]), r"\[0, 97\)"),
    (np.zeros((1, 65), dtype=int), "64 learned positions"),
])
def test_bad_tokens(tokens: Array, message: str) -> None:
    with pytest.raises(WorkloadError, match=message):
        model_of("gpt2").forward(tokens)


def test_encoder_has_no_cache() -> None:
    model = model_of("bert")
    with pytest.raises(WorkloadError, match="encoder"):
        model.new_cache(1)


def test_cache_must_match_batch() -> None:
    model = model_of("llama")
    _, cache = model.prefill(np.zeros((2, 3), dtype=int))
    with pytest.raises(WorkloadError, match="cache holds 2 sequences"):
        model.decode(np.array([1, 2, 3]), cache)


def test_non_float_dtype_refused() -> None:
    with pytest.raises(WorkloadError, match="floating"):
        ReferenceModel(tiny_config("llama"), dtype=np.int32)


# ----------------------------------------------------------------------------- activations

def test_unknown_activation_refused_before_allocating() -> None:
    with pytest.raises(WorkloadError, match="unsupported activation"):
        ReferenceModel(tiny_config("llama", activation="mish"))
