"""Tests of op_roofline: values against hand derivations and independent sources."""

from __future__ import annotations

import pytest

from ai_workloads.catalog import get_accelerator
from ai_workloads.core.accelerator import Accelerator
from ai_workloads.core.errors import WorkloadError
from ai_workloads.reference.configs import tiny_config
from ai_workloads.reference.op_roofline import (
    OpRoofline,
    block_ops,
    block_rooflines,
    compute_bound_tokens,
    names_by_bound,
    op_roofline,
    package_dtype,
    rescale_bytes,
)
from ai_workloads.reference.tracer import TracedOp, trace_forward

CHIP = Accelerator(name="test-chip", peak_flops={"bf16": 100e12, "fp32": 10e12},
                   bandwidth=1e12, capacity_bytes=80 * 10**9)


def brute_force_tokens(k: int, n: int, hw: Accelerator) -> int | None:
    ridge = hw.peak("bf16") / hw.bandwidth
    for t in range(1, 20_000):
        if 2 * t * k * n / (2 * (t * k + k * n + t * n)) >= ridge:
            return t
    return None


def test_rescale_bytes_by_element_size() -> None:
    assert rescale_bytes(400, "float32", "bf16") == 200
    assert rescale_bytes(400, "fp32", "fp8") == 100
    assert rescale_bytes(6, "bf16", "int4") == 2      # 3 elements, 1.5 bytes, rounded up
    assert rescale_bytes(3, "int8", "int4") == 2
    with pytest.raises(WorkloadError):
        package_dtype("complex64")


def test_decode_gemv_intensity_is_two_flops_per_weight_element() -> None:
    cfg = tiny_config("llama-gqa")
    rows = {r.op.name: r for r in block_rooflines(trace_forward(cfg, context=12), CHIP)}
    d, f = cfg.d_model, cfg.d_ff
    up = rows["up"]
    # [1, D] @ [D, F]: 2·D·F FLOPs; reads D + D·F elements, writes F, 2 bytes each in bf16.
    assert up.flops == 2 * d * f
    assert up.bytes_moved == 2 * (d + d * f + f)
    assert up.intensity == pytest.approx(2 * d * f / (2 * (d + d * f + f)))
    assert up.op.intensity == pytest.approx(up.intensity / 2)   # fp32 moves twice the bytes
    assert all(r.bound == "memory" for r in rows.values())


def test_decode_scores_read_whole_cache() -> None:
    cfg = tiny_config("llama-gqa")
    s = 20
    scores = {r.op.name: r for r in block_rooflines(trace_forward(cfg, context=s), CHIP)}[
        "scores"]
    n, k, h = cfg.n_heads, cfg.n_kv_heads, cfg.head_dim
    assert scores.flops == 2 * n * h * s
    # bf16 bytes: queries N·H, keys K·H·S read; scores N·S written.
    assert scores.bytes_moved == 2 * (n * h + k * h * s + n * s)


def test_prefill_bounds_follow_ridge() -> None:
    cfg = tiny_config("llama")   # D = 64: a [T, 64] @ [64, 64] matmul has I = 1/(2/64 + 1/T)
    t = 64
    rows = block_rooflines(trace_forward(cfg, prefill=t), CHIP, "bf16")
    q = next(r for r in rows if r.op.name == "q")
    assert q.intensity == pytest.approx(1 / (2 / 64 + 1 / t))
    low = Accelerator(name="low", peak_flops={"bf16": 10e12}, bandwidth=1e12,
                      capacity_bytes=10**9)   # ridge 10 FLOP/byte
    assert op_roofline(q.op, low).bound == "compute"
    assert op_roofline(q.op, CHIP).bound == "memory"   # ridge 100 > 21.3
    groups = names_by_bound(block_rooflines(trace_forward(cfg, prefill=t), low))
    assert "q" in groups["compute"]
    assert "norm" not in groups["compute"]
    assert names_by_bound(block_rooflines(trace_forward(cfg, prefill=t), low), None)[
        "memory"][0] == "norm"


def test_block_ops_checks_layer() -> None:
    trace = trace_forward(tiny_config("llama"), context=3, layers=1)
    assert block_ops(trace, 0)[0].name == "norm"
    with pytest.raises(WorkloadError, match="layer 1 was not traced"):
        block_ops(trace, 1)


def test_ridge_is_the_chips_peak_over_bandwidth() -> None:
    # CHIP: 100 TFLOP/s bf16 and 10 TFLOP/s fp32 over 1 TB/s: ridges 100 and 10 FLOP/byte.
    op = TracedOp("up", "matmul", 0, ((8, 64), (64, 64)), (8, 64), "float32",
                  flops=2 * 8 * 64 * 64, bytes_read=4 * (8 * 64 + 64 * 64),
                  bytes_written=4 * 8 * 64)
    assert op_roofline(op, CHIP, "bf16").ridge == 100.0
    fp32 = op_roofline(op, CHIP, "fp32")
    assert fp32.ridge == 10.0
    assert fp32.bytes_moved == op.bytes_moved        # traced in fp32: nothing to recount
    assert fp32.intensity == pytest.approx(2 * 8 * 64 * 64 / (4 * (512 + 4096 + 512)))
    assert fp32.bound == "memory"                    # 3.2 FLOP/byte, below the ridge of 10
    assert OpRoofline(op, "bf16", 1, 1, ridge=op.flops / 2).bound == "compute"   # at the ridge


@pytest.mark.parametrize(("k", "n"), [(4096, 4096), (4096, 14336), (512, 1792), (8192, 1024)])
def test_compute_bound_tokens_matches_search(k: int, n: int) -> None:
    for hw in (get_accelerator("h100-sxm"), get_accelerator("a100-sxm-80gb"), CHIP):
        assert compute_bound_tokens(k, n, hw) == brute_force_tokens(k, n, hw)


def test_compute_bound_tokens_never() -> None:
    # limit 2kn/(2(k+n)) = 32 FLOP/byte for k = n = 64, below the ridge of 100
    assert compute_bound_tokens(64, 64, CHIP) is None

