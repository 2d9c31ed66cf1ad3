"""The NumPy reference model against independent computations.

Independent sources: the lecture notes' published worked example, attention and RoPE
written as plain Python loops, a Mixture-of-Experts combination written out by hand, the
parameter counts of :mod:`ai_workloads.analysis.params`, and recomputation without a cache.
"""

from __future__ import annotations

import cmath
import math
from typing import Any

import numpy as np
import pytest

from ai_workloads.analysis.params import param_counts
from ai_workloads.catalog import get_model
from ai_workloads.core.config import TransformerConfig
from ai_workloads.core.errors import WorkloadError
from ai_workloads.reference.model import (
    TINY_FAMILIES,
    ReferenceModel,
    activation,
    rope,
    route,
    scaled_dot_product_attention,
    tiny_config,
    weight_nbytes,
)
from ai_workloads.reference.tracer import Tracer

Array = np.ndarray[Any, Any]
DECODERS = [f for f in TINY_FAMILIES if not tiny_config(f).encoder]
# Larger than the default 0.02 so that attention weights are far from uniform.
INIT = 0.1


def relative_error(got: Array, want: Array) -> float:
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


def model_of(family: str, **overrides: Any) -> ReferenceModel:
    return ReferenceModel(tiny_config(family, **overrides), seed=3, init_scale=INIT)


# ----------------------------------------------------------------------------- attention

def test_lecture_worked_example() -> None:
    np.random.seed(42)
    q = np.random.randn(4, 3).round(2)
    k = np.random.randn(4, 3).round(2)
    v = np.random.randn(4, 3).round(2)
    out, weights = scaled_dot_product_attention(q, k, v)
    assert out.round(2).tolist() == [[-0.38, 0.71, -0.46], [-0.52, 0.35, -0.9],
                                     [-0.67, 0.46, -1.0], [-0.51, 0.37, -0.88]]
    assert weights.round(3).tolist() == [[0.176, 0.278, 0.401, 0.146],
                                         [0.488, 0.164, 0.109, 0.239],
                                         [0.328, 0.136, 0.06, 0.475],
                                         [0.48, 0.17, 0.124, 0.226]]


def naive_attention(q: list[list[float]], k: list[list[float]], v: list[list[float]],
                    causal: bool) -> list[list[float]]:
    """softmax(q kᵀ / √H) v, one query and one key at a time, in plain Python."""
    t, s, h = len(q), len(k), len(q[0])
    out = []
    for i in range(t):
        visible = range(s - t + i + 1) if causal else range(s)
        scores = [sum(q[i][c] * k[j][c] for c in range(h)) / math.sqrt(h) for j in visible]
        top = max(scores)
        exps = [math.exp(x - top) for x in scores]
        total = sum(exps)
        out.append([sum(exps[n] / total * v[j][c] for n, j in enumerate(visible))
                    for c in range(h)])
    return out


@pytest.mark.parametrize(("t", "s", "causal"), [(5, 5, False), (5, 5, True), (3, 7, True),
                                                (1, 6, True), (4, 6, False)])
def test_attention_matches_naive_loop(t: int, s: int, causal: bool) -> None:
    rng = np.random.default_rng(7)
    q, k, v = rng.normal(size=(2, t, 8)), rng.normal(size=(2, s, 8)), rng.normal(size=(2, s, 8))
    out, weights = scaled_dot_product_attention(q, k, v, causal=causal)
    for b in range(2):
        want = naive_attention(q[b].tolist(), k[b].tolist(), v[b].tolist(), causal)
        np.testing.assert_allclose(out[b], want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0)


def test_causal_queries_cannot_exceed_keys() -> None:
    x = np.zeros((3, 4))
    with pytest.raises(WorkloadError, match="queries"):
        scaled_dot_product_attention(x, x[:2], x[:2], causal=True)


def naive_rope(vec: list[float], pos: int, theta: float) -> list[float]:
    """Rotate each pair (i, i + H/2) as a complex number by pos · theta^(-2i/H)."""
    h = len(vec)
    out = [0.0] * h
    for i in range(h // 2):
        z = complex(vec[i], vec[i + h // 2]) * cmath.exp(1j * pos * theta ** (-2 * i / h))
        out[i], out[i + h // 2] = z.real, z.imag
    return out


def test_rope_is_a_rotation_by_position() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 8))
    positions = np.array([0, 1, 2, 10, 300])
    got = rope(x, positions, 500.0)
    for row, pos in enumerate(positions):
        np.testing.assert_allclose(got[row], naive_rope(x[row].tolist(), int(pos), 500.0),
                                   atol=1e-12)


def test_rope_scores_depend_on_relative_position() -> None:
    rng = np.random.default_rng(1)
    q, k = rng.normal(size=(1, 16)), rng.normal(size=(1, 16))
    near = rope(q, np.array([7]), 1e4) @ rope(k, np.array([4]), 1e4).T
    far = rope(q, np.array([103]), 1e4) @ rope(k, np.array([100]), 1e4).T
    assert near.item() == pytest.approx(far.item(), rel=1e-10)


@pytest.mark.parametrize("family", ["llama", "llama-gqa", "llama-mqa", "qwen2", "gemma",
                                    "phi3", "gpt2", "bert"])
def test_model_attention_matches_per_head_loop(family: str) -> None:
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


def test_cache_size_is_two_l_b_k_s_h() -> None:
    model = model_of("llama-gqa")
    _, cache = model.prefill(np.zeros((3, 7), dtype=np.int64))
    assert cache.nbytes == 2 * 2 * 3 * 2 * 7 * 16 * 4


# ----------------------------------------------------------------------------- mixture of experts

def naive_expert(x: Array, w: dict[str, Array], e: int) -> Array:
    gate = x @ w["gate.weight"][e]
    out: Array = (gate / (1 + np.exp(-gate)) * (x @ w["up.weight"][e])) @ w["down.weight"][e]
    return out


def test_router_choice_is_top_k() -> None:
    logits = np.random.default_rng(9).normal(size=(50, 8))
    experts, weights = route(logits, k=3)
    for row in range(50):
        ranked = sorted(range(8), key=lambda e, r=row: -logits[r, e])  # type: ignore[misc]
        assert experts[row].tolist() == ranked[:3]
        chosen = [math.exp(logits[row, e]) for e in ranked[:3]]
        np.testing.assert_allclose(weights[row], [c / sum(chosen) for c in chosen])


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


# ----------------------------------------------------------------------------- weights and sizes

@pytest.mark.parametrize("family", TINY_FAMILIES)
def test_weights_match_parameter_counts(family: str) -> None:
    cfg = tiny_config(family)
    assert ReferenceModel(cfg).nbytes == 4 * param_counts(cfg).total
    assert ReferenceModel(cfg, dtype=np.float64, layers=1).nbytes == \
        8 * param_counts(cfg.replace(n_layers=1)).total


def test_seed_makes_weights_reproducible() -> None:
    cfg = tiny_config("qwen2")
    a, b, c = ReferenceModel(cfg, seed=4), ReferenceModel(cfg, seed=4), ReferenceModel(cfg, seed=5)
    tokens = np.array([[1, 2, 3]])
    np.testing.assert_array_equal(a.forward(tokens), b.forward(tokens))
    assert not np.allclose(a.forward(tokens), c.forward(tokens))


def test_too_large_config_is_refused_before_allocating() -> None:
    cfg = get_model("llama-2-70b")
    needed = 4 * param_counts(cfg).total
    with pytest.raises(WorkloadError, match=f"too large to instantiate.*need {needed:,} bytes"
                       ) as err:
        ReferenceModel(cfg)
    assert "\n" not in str(err.value)
    assert weight_nbytes(cfg) == needed


def test_too_large_suggests_how_many_layers_fit() -> None:
    cfg = get_model("llama-2-7b")
    counts = param_counts(cfg)
    fixed = 4 * sum(counts.model.values())
    limit = 4 * 2**30
    fit = (limit - fixed) // (4 * counts.layer_total)  # whole layers left after the embeddings
    assert fit == 4
    with pytest.raises(WorkloadError, match=r"layers=N \(CLI: --layers N\); up to 4 fit"):
        ReferenceModel(cfg, layers=5, max_bytes=limit)


def test_vocabulary_too_large_for_any_layer() -> None:
    with pytest.raises(WorkloadError, match="even 1 layer"):
        ReferenceModel(get_model("llama-3.1-405b"), layers=1)


@pytest.mark.parametrize("layers", [0, 3, True, 1.5])
def test_bad_layer_counts(layers: Any) -> None:
    with pytest.raises(WorkloadError, match="layers must be an integer from 1 to 2"):
        ReferenceModel(tiny_config("llama"), layers=layers)


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


# ----------------------------------------------------------------------------- activations, configs

def test_activation_values() -> None:
    x = np.array([1.0])
    assert activation("silu")(x)[0] == pytest.approx(1 / (1 + math.exp(-1)))
    phi_1 = 0.5 * (1 + math.erf(1 / math.sqrt(2)))  # Φ(1), the exact GELU at 1
    assert activation("gelu")(x)[0] == pytest.approx(phi_1, rel=1e-12)
    tanh_form = 0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * (1 + 0.044715)))
    assert activation("gelu_new")(x)[0] == pytest.approx(tanh_form, rel=1e-12)
    assert activation("gelu_pytorch_tanh")(x)[0] == pytest.approx(tanh_form, rel=1e-12)
    with pytest.raises(WorkloadError, match="unsupported activation"):
        ReferenceModel(tiny_config("llama", activation="mish"))


@pytest.mark.parametrize("family", TINY_FAMILIES)
def test_tiny_configs_have_their_family_shape(family: str) -> None:
    cfg = tiny_config(family)
    assert isinstance(cfg, TransformerConfig)
    assert cfg.family == family.split("-")[0]
    expected_kind = {"llama-gqa": "GQA", "qwen2": "GQA", "mixtral": "GQA", "llama-mqa": "MQA",
                     "gemma": "MQA"}.get(family, "MHA")
    assert cfg.attention_kind == expected_kind
    assert (cfg.head_dim * cfg.n_heads != cfg.d_model) == (family == "gemma")


def test_unknown_tiny_family() -> None:
    with pytest.raises(WorkloadError, match="no tiny config for 't5'"):
        tiny_config("t5")
