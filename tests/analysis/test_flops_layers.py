"""FLOPs of the modern parts, derived by hand: windows, MLA both ways, recurrent layers."""

from __future__ import annotations

import pytest

from ai_workloads.analysis.flops import layer_op_flops, op_flops, window_pairs
from ai_workloads.catalog import get_model
from ai_workloads.core.parts import LayerKind


def brute_pairs(tokens: int, context: int, window: int, chunked: bool) -> int:
    """Count (query, key) pairs inside each query's window one by one."""
    pairs = 0
    for p in range(context - tokens + 1, context + 1):  # 1-based positions of new tokens
        for key in range(1, p + 1):
            inside = (p - 1) // window == (key - 1) // window if chunked else p - key < window
            pairs += inside
    return pairs


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize(("tokens", "context", "window"),
                         [(1, 1, 4), (8, 8, 4), (5, 20, 6), (1, 100, 7), (30, 30, 30),
                          (13, 40, 1), (40, 40, 64)])
def test_window_pairs_causal_equal_brute_force(tokens: int, context: int, window: int,
                                               chunked: bool) -> None:
    assert window_pairs(tokens, context, window, True, chunked) == brute_pairs(
        tokens, context, window, chunked)


def test_window_pairs_computed_are_the_keys_the_cache_holds() -> None:
    # A decode step sees the window; a prefill from empty computes all T×T scores.
    assert window_pairs(1, 32768, 4096, causal=False) == 4096
    assert window_pairs(2048, 2048, 4096, causal=False) == 2048 * 2048
    assert window_pairs(4, 100, 8, causal=False) == 4 * (8 - 1 + 4)


def test_mla_decode_by_hand_one_layer() -> None:
    cfg = get_model("deepseek-v3")  # D 7168, N 128, q_rank 1536, kv_rank 512, 128+64, v 128
    kind = cfg.layer_kinds[0]
    s = 4096
    expanded = layer_op_flops(cfg, kind, 1, s)
    absorbed = layer_op_flops(cfg, kind, 1, s, absorbed=True)
    assert expanded["q_a"] == 2 * 7168 * 1536
    assert expanded["q"] == 2 * 1536 * 128 * 192
    assert expanded["kv_a"] == 2 * 7168 * (512 + 64)
    assert expanded["kv_b"] == 2 * s * 512 * 128 * (128 + 128)  # every cached latent
    assert expanded["scores"] == 128 * s * 2 * 192
    assert expanded["attn_v"] == 128 * s * 2 * 128
    assert absorbed["kv_b"] == 2 * 512 * 128 * (128 + 128)  # folded into q and o: once
    assert absorbed["scores"] == 128 * s * 2 * (512 + 64)  # against the latent + RoPE key
    assert absorbed["attn_v"] == 128 * s * 2 * 512
    assert expanded["o"] == absorbed["o"] == 2 * 128 * 128 * 7168


def test_deltanet_layer_by_hand() -> None:
    cfg = get_model("qwen3-next-80b-a3b")
    net = cfg.deltanet
    assert net is not None
    d, t = cfg.d_model, 10
    ops = layer_op_flops(cfg, LayerKind("linear", True), t, t)
    assert ops["mixer_in"] == 2 * t * d * (2 * net.key_width + 2 * net.value_width) \
        + 2 * t * d * 2 * net.value_heads
    assert ops["conv"] == 2 * t * net.conv_channels * net.conv_kernel
    # per token and value head: k·S, the k⊗δ update and q·S, d_k × d_v each
    assert ops["state"] == t * net.value_heads * 3 * 2 * net.key_dim * net.value_dim
    assert ops["mixer_out"] == 2 * t * net.value_width * d
    assert ops["scores"] == ops["attn_v"] == 0


def test_mamba_layer_by_hand() -> None:
    cfg = get_model("granite-4.0-h-small")
    block = cfg.mamba
    assert block is not None
    ops = layer_op_flops(cfg, LayerKind("mamba", True), 1, 5000)
    assert ops["mixer_in"] == 2 * cfg.d_model * (2 * block.inner + 2 * block.groups *
                                                 block.state_size + block.heads)
    assert ops["state"] == 4 * block.inner * block.state_size  # x⊗B written, read with C
    assert ops["scores"] == 0  # no keys: the context does not matter


def test_moe_counts_routed_and_shared_experts_per_token() -> None:
    cfg = get_model("deepseek-v3")  # 8 of 256 routed experts of 2048 and one shared
    ops = op_flops(cfg, 1, 1)
    moe_layers = 61 - 3
    assert ops["router"] == moe_layers * 2 * 7168 * 256
    assert ops["shared_up"] == moe_layers * 2 * 7168 * 2048
    dense_up = 3 * 2 * 7168 * 18432  # the three dense layers' MLP
    assert ops["up"] == moe_layers * 8 * 2 * 7168 * 2048 + dense_up
