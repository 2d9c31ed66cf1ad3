"""Property tests of the layer parts: windows, latent attention, recurrent state, MoE."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ai_workloads.analysis.flops import decode_flops, prefill_flops
from ai_workloads.analysis.memory import cache_values, kv_cache_bytes
from ai_workloads.analysis.params import param_counts
from ai_workloads.core.config import TransformerConfig
from ai_workloads.core.parts import DeltaNet, LatentAttention, Mamba2

small = st.integers(min_value=1, max_value=16)


@st.composite
def base(draw: st.DrawFn) -> TransformerConfig:
    kv = draw(st.integers(1, 4))
    return TransformerConfig(
        name="random", family="llama", d_model=draw(small) * 16, n_layers=draw(st.integers(2, 8)),
        n_heads=kv * draw(st.integers(1, 4)), n_kv_heads=kv,
        head_dim=draw(st.integers(1, 8)) * 8, d_ff=draw(small) * 16,
        vocab_size=draw(st.integers(10, 500)))


@st.composite
def windowed(draw: st.DrawFn) -> TransformerConfig:
    cfg = draw(base())
    mixers = draw(st.lists(st.sampled_from(["full", "sliding", "chunked"]),
                           min_size=cfg.n_layers, max_size=cfg.n_layers))
    return cfg.replace(layer_types=tuple(mixers), sliding_window=draw(st.integers(1, 64)),
                       attention_chunk=draw(st.integers(1, 64)))


@given(windowed(), st.integers(1, 512))
def test_windows_never_cost_more_than_full_attention(cfg: TransformerConfig, s: int) -> None:
    full = cfg.replace(layer_types=())
    assert kv_cache_bytes(cfg, s) <= kv_cache_bytes(full, s)
    assert decode_flops(cfg, s) <= decode_flops(full, s)
    assert prefill_flops(cfg, s, causal=True) <= prefill_flops(full, s, causal=True)
    # Masked scores are still computed: without --causal a prefill costs the same.
    assert prefill_flops(cfg, s) == prefill_flops(full, s)
    assert param_counts(cfg).total == param_counts(full).total


@given(windowed(), st.integers(1, 512))
def test_a_window_stops_the_cache_from_growing(cfg: TransformerConfig, s: int) -> None:
    longest = max(cfg.sliding_window, cfg.attention_chunk)
    if "full" not in cfg.layer_types:
        assert kv_cache_bytes(cfg, longest + s) == kv_cache_bytes(cfg, longest)
    assert kv_cache_bytes(cfg, s + 1) >= kv_cache_bytes(cfg, s)


@given(base(), st.integers(1, 64), st.integers(1, 32), st.integers(1, 32),
       st.integers(0, 64), st.integers(1, 2048))
def test_latent_cache_is_smaller_than_the_heads_it_replaces(
        cfg: TransformerConfig, rank: int, rope: int, nope: int, q_rank: int, s: int) -> None:
    rope, nope = 2 * rope, 2 * nope
    mla = cfg.replace(latent=LatentAttention(q_rank, rank, nope, rope, nope + rope),
                      n_kv_heads=cfg.n_heads, head_dim=nope + rope)
    mha = mla.replace(latent=None)  # the same heads, each with its own key and value
    if rank + rope < 2 * cfg.n_heads * (nope + rope):
        assert kv_cache_bytes(mla, s) < kv_cache_bytes(mha, s)
    # Weight absorption never adds FLOPs when the latent is narrower than the heads.
    if rank < nope and rank < nope + rope:
        assert decode_flops(mla, s, absorbed=True) <= decode_flops(mla, s)


@given(base(), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4096))
def test_a_recurrent_state_is_constant_in_the_context(
        cfg: TransformerConfig, heads: int, group: int, kernel: int, s: int) -> None:
    types = ("linear", "mamba") * (cfg.n_layers // 2) + ("linear",) * (cfg.n_layers % 2)
    hybrid = cfg.replace(
        layer_types=types, deltanet=DeltaNet(heads, heads * group, 8, 8, kernel),
        mamba=Mamba2(heads * group, 8, 16, heads, kernel))
    assert cache_values(hybrid, s) == cache_values(hybrid, 1)
    assert kv_cache_bytes(hybrid, s + 100) == kv_cache_bytes(hybrid, s)
    # Each new key adds nothing to a recurrent decode step.
    assert decode_flops(hybrid, s + 1) == decode_flops(hybrid, s)


@given(base(), st.integers(2, 16), st.integers(1, 16), st.integers(0, 64))
def test_active_params_count_shared_experts_and_k_routed_ones(
        cfg: TransformerConfig, experts: int, k: int, shared: int) -> None:
    k = min(k, experts)
    moe = cfg.replace(n_experts=experts, experts_per_token=k, shared_d_ff=shared * 8,
                      moe_layers=tuple(range(1, cfg.n_layers)), dense_d_ff=cfg.d_ff * 2)
    counts = param_counts(moe)
    per_expert = 3 * moe.d_model * moe.d_ff
    assert counts.total - counts.active == (cfg.n_layers - 1) * (experts - k) * per_expert
    assert counts.active <= counts.total
