"""Property tests: monotonicity, GQA savings, vectorized = scalar, and clean errors."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_workloads.analysis.flops import decode_flops, matmul_flops, op_flops, prefill_flops
from ai_workloads.analysis.memory import kv_cache_bytes
from ai_workloads.analysis.params import EXPERT_COMPONENTS, param_counts
from ai_workloads.analysis.roofline import decode_step, matmul_intensity
from ai_workloads.analysis.serving import matmul_cost
from ai_workloads.analysis.sweep import decode_grid
from ai_workloads.catalog import get_accelerator
from ai_workloads.core.config import TransformerConfig, from_hf_dict
from ai_workloads.core.errors import WorkloadError

small = st.integers(min_value=1, max_value=64)


@st.composite
def configs(draw: st.DrawFn) -> TransformerConfig:
    kv = draw(st.integers(1, 8))
    group = draw(st.integers(1, 4))
    experts = draw(st.sampled_from([1, 1, 4, 8]))
    return TransformerConfig(
        name="random", family="llama", d_model=draw(small) * 8, n_layers=draw(small),
        n_heads=kv * group, n_kv_heads=kv, head_dim=draw(st.integers(1, 32)) * 4,
        d_ff=draw(small) * 8, vocab_size=draw(st.integers(10, 5000)),
        gated_mlp=draw(st.booleans()), tied_embeddings=draw(st.booleans()),
        qkv_bias=draw(st.booleans()), n_experts=experts,
        experts_per_token=draw(st.integers(1, experts)))


GROWABLE = ("d_model", "n_layers", "head_dim", "d_ff", "vocab_size")


@given(configs(), st.sampled_from(GROWABLE), st.integers(1, 16))
def test_counts_grow_with_every_size(cfg: TransformerConfig, field: str, extra: int) -> None:
    bigger = cfg.replace(**{field: getattr(cfg, field) + extra})
    assert param_counts(bigger).total > param_counts(cfg).total
    assert decode_flops(bigger, 16) > decode_flops(cfg, 16)
    assert prefill_flops(bigger, 8) > prefill_flops(cfg, 8)


@given(configs(), st.integers(1, 4096), st.integers(1, 8))
def test_flops_grow_with_context_and_batch(cfg: TransformerConfig, s: int, b: int) -> None:
    assert decode_flops(cfg, s + 1, b) > decode_flops(cfg, s, b)
    assert decode_flops(cfg, s, b + 1) > decode_flops(cfg, s, b)
    assert kv_cache_bytes(cfg, s + 1, b) > kv_cache_bytes(cfg, s, b)


@given(configs(), st.integers(1, 10_000))
def test_gqa_never_stores_more_kv_than_mha(cfg: TransformerConfig, s: int) -> None:
    assert kv_cache_bytes(cfg, s) <= kv_cache_bytes(cfg.with_mha(), s)
    assert param_counts(cfg).total <= param_counts(cfg.with_mha()).total


@given(configs(), st.lists(st.integers(1, 10**6), min_size=1, max_size=4),
       st.lists(st.integers(1, 512), min_size=1, max_size=4))
@settings(max_examples=50)
def test_vectorized_equals_scalar(cfg: TransformerConfig, contexts: list[int],
                                  batches: list[int]) -> None:
    chip = get_accelerator("h100-sxm")
    grid = decode_grid([cfg], [chip], contexts, batches)
    for k, s in enumerate(contexts):
        for m, b in enumerate(batches):
            step = decode_step(cfg, chip, s, b)
            assert np.isclose(grid.time[0, 0, k, m], step.time, rtol=1e-12, atol=0)
            assert np.isclose(grid.bytes[0, 0, k, m], step.bytes, rtol=1e-12, atol=0)


@given(small, small, small)
def test_every_matmul_cost_is_the_one_rule(m: int, k: int, n: int) -> None:
    assert matmul_flops(m, k, n) == 2 * m * k * n
    cost = matmul_cost(m, k, n, "fp32")
    assert cost.flops == matmul_flops(m, k, n)
    assert matmul_intensity(m, k, n, "fp32") == cost.flops / cost.bytes


@given(configs(), st.integers(1, 64))
def test_projection_flops_are_matmuls_of_the_weights(cfg: TransformerConfig, t: int) -> None:
    # A projection of t tokens is [t, in] @ [in, out]: 2·t FLOPs per weight of its matrix.
    ops = op_flops(cfg, t, t)
    layers, d = cfg.n_layers, cfg.d_model
    assert ops["q"] == layers * 2 * t * d * cfg.n_heads * cfg.head_dim
    assert ops["k"] == ops["v"] == layers * 2 * t * d * cfg.n_kv_heads * cfg.head_dim
    assert ops["up"] == layers * 2 * t * d * cfg.d_ff * cfg.experts_per_token


@given(configs())
def test_active_parameters_leave_out_the_idle_experts(cfg: TransformerConfig) -> None:
    counts = param_counts(cfg)
    experts = cfg.n_layers * sum(counts.per_layer[c] for c in EXPERT_COMPONENTS)
    assert counts.expert_params == experts
    idle = experts * (cfg.n_experts - cfg.experts_per_token) // cfg.n_experts
    assert counts.active == counts.total - idle
    assert counts.active <= counts.total


json_values = (st.integers(1, 64) | st.integers(-5, 0) | st.none() | st.booleans()
               | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=4)
               | st.lists(st.integers(), max_size=2))
KEYS = ["model_type", "hidden_size", "num_hidden_layers", "num_attention_heads",
        "num_key_value_heads", "intermediate_size", "vocab_size", "head_dim", "n_embd",
        "n_layer", "n_head", "num_local_experts", "num_experts_per_tok", "tie_word_embeddings"]


@given(st.dictionaries(st.sampled_from(KEYS), json_values | st.sampled_from(
    ["llama", "gpt2", "mixtral", "gemma", "bert"]), min_size=3))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_random_bad_configs_raise_only_workload_error(raw: dict[str, Any]) -> None:
    try:
        cfg = from_hf_dict(json.loads(json.dumps(raw)), where="random.json")
    except WorkloadError as err:
        message = str(err)
    else:
        assert param_counts(cfg).total > 0
        return
    assert "\n" not in message
    assert message.startswith("random.json: ")
