"""The vectorized decode sweep against decode steps worked out by hand from Llama 2 7B's
config.json and the H100 SXM spec sheet."""

from __future__ import annotations

import math

import pytest

from ai_workloads.analysis.sweep import decode_grid
from ai_workloads.catalog import get_accelerator, get_model
from ai_workloads.core.errors import WorkloadError

# Llama 2 7B (config.json): L = 32, N = K = 32, H = 128, D = 4096, V = 32,000; its
# checkpoint holds 6,738,415,616 weights. H100 SXM: 989.4 TFLOP/s dense bf16, 3.35 TB/s.
PARAMS, L, N, H, D, V = 6_738_415_616, 32, 32, 128, 4096, 32_000
MATMUL_WEIGHTS = PARAMS - V * D - (2 * L + 1) * D   # no embedding lookup, no norm weights
PEAK, BANDWIDTH = 989.4e12, 3.35e12


def test_llama_2_7b_on_h100_by_hand() -> None:
    s, batches = 4096, [1, 64]
    grid = decode_grid([get_model("llama-2-7b")], [get_accelerator("h100-sxm")], [s],
                       batches)
    for m, b in enumerate(batches):
        flops = b * (2 * MATMUL_WEIGHTS + 4 * L * N * H * s)   # weights, then scores and A·V
        read = 2 * PARAMS + b * 2 * L * N * H * s * 2           # bf16 weights, K and V cache
        assert grid.flops[0, 0, 0, m] == flops
        assert grid.bytes[0, 0, 0, m] == read
        assert math.isclose(grid.time[0, 0, 0, m], max(read / BANDWIDTH, flops / PEAK),
                            rel_tol=1e-12)
        assert math.isclose(grid.tokens_per_s[0, 0, 0, m], b / grid.time[0, 0, 0, m])
    assert bool(grid.memory_bound.all())   # far below the ridge at either batch
    # 64 sequences of 4,096 tokens: 13.5 GB of weights + 137 GB of KV cache > 80 GiB.
    assert grid.fits[0, 0, 0].tolist() == [True, False]
    assert grid.size == 2
    assert (grid.models, grid.hardware) == (("llama-2-7b",), ("h100-sxm",))


def test_sweep_rejects_bad_axes() -> None:
    with pytest.raises(WorkloadError):
        decode_grid([get_model("gpt2")], [get_accelerator("h200")], [0, 1], [1])
    with pytest.raises(WorkloadError):
        decode_grid([get_model("gpt2")], [get_accelerator("h200")], [1.5], [1])
    with pytest.raises(WorkloadError, match="at least one model"):
        decode_grid([], [get_accelerator("h200")], [1], [1])
