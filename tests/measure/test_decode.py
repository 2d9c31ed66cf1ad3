"""Reference-model decode against its bandwidth bound: bytes and bounds by hand.

Timed values are only checked to be positive and finite: speed is never asserted.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ai_workloads.analysis.params import param_counts
from ai_workloads.core.errors import WorkloadError
from ai_workloads.measure.decode import (
    DecodeResult,
    decode_bound_seconds,
    decode_bytes,
    decode_probe_config,
    decode_result,
    greedy_next,
    measure_decode,
    median_run,
    prepare_decode,
    time_decode,
)
from ai_workloads.measure.roofline import MachineRoofline


def _positive_finite(value: float) -> bool:
    return math.isfinite(value) and value > 0


def test_probe_config_parameters_by_hand() -> None:
    cfg = decode_probe_config(4)
    d, f, v, kv = 768, 2048, 32_000, 4 * 64
    per_layer = 2 * d + 2 * d * d + 2 * d * kv + 3 * d * f  # norms, q, o, k, v, MLP
    params = v * d + 4 * per_layer + d                     # tied embedding, final norm
    assert param_counts(cfg).total == params
    assert params * 4 > 64 * 2**20  # fp32 weights far beyond a CPU's last-level cache


def test_decode_bound_sums_weights_and_growing_kv_over_bandwidth() -> None:
    cfg = decode_probe_config(1)
    params = 32_000 * 768 + (2 * 768 + 2 * 768 * 768 + 2 * 768 * 256 + 3 * 768 * 2048) + 768
    kv_per_token = 2 * 1 * 256 * 4            # key and value, 1 layer, K·H = 256, fp32
    roof = MachineRoofline(peak_flops=1e15, bandwidth=1e10, memory_bytes=2**30)
    prompt, steps = 10, 3
    moved = steps * 4 * params + kv_per_token * sum(prompt + i + 1 for i in range(steps))
    expected = moved / 1e10
    assert decode_bound_seconds(cfg, roof, prompt, steps) == pytest.approx(expected)
    assert sum(decode_bytes(cfg, prompt + i + 1) for i in range(steps)) == moved


def test_decode_result_figures() -> None:
    res = DecodeResult("m", 10, 4, steps=20, seconds=2.0, bound_seconds=1.5, flops=6000,
                       bytes_read=3000, bandwidth=1e9, step_seconds=(0.1,) * 20)
    assert res.tokens_per_s == 10.0
    assert res.bound_tokens_per_s == pytest.approx(20 / 1.5)
    assert res.fraction == 0.75
    assert res.intensity == 2.0
    assert res.flop_rate == 3000.0
    assert res.achieved_bandwidth == 1500.0
    assert json.loads(json.dumps(res.to_dict()))["fraction"] == 0.75


def test_measure_decode_on_a_tiny_model() -> None:
    tiny = decode_probe_config(1).replace(
        d_model=32, n_heads=4, n_kv_heads=2, head_dim=8, d_ff=64, vocab_size=97)
    roof = MachineRoofline(1e10, 1e9, 2**30)
    res = measure_decode(roof, tiny, prompt=3, steps=4, repeats=3)
    assert (res.steps, res.prompt, len(res.step_seconds)) == (4, 3, 4)
    assert _positive_finite(res.tokens_per_s)
    assert _positive_finite(res.fraction)
    assert res.seconds == pytest.approx(sum(res.step_seconds))
    assert len(res.run_seconds) == 3
    assert res.seconds == sorted(res.run_seconds)[1]     # the run of median length
    assert res.tokens_spread.median == pytest.approx(res.tokens_per_s)


def test_median_run_and_the_spread_of_runs() -> None:
    runs = [[0.3, 0.3], [0.1, 0.1], [0.2, 0.2], [0.9, 0.9]]
    assert median_run(runs) == [0.2, 0.2]          # lower middle of four totals
    assert median_run(runs[:3]) == [0.2, 0.2]
    with pytest.raises(WorkloadError, match="no decode runs"):
        median_run([])
    cfg = decode_probe_config(1)
    roof = MachineRoofline(peak_flops=1e15, bandwidth=1e10, memory_bytes=2**30)
    # Two steps in each of three runs of 0.4, 0.5 and 1.0 s: 5, 4 and 2 tokens/s.
    res = decode_result(cfg, roof, 4, [0.25, 0.25], 3, run_seconds=(0.4, 0.5, 1.0))
    assert (res.tokens_spread.median, res.tokens_spread.low, res.tokens_spread.high) == (
        4.0, 3.0, 4.5)
    assert DecodeResult.from_dict(json.loads(json.dumps(res.to_dict()))) == res


def test_measure_decode_rejects_bad_input() -> None:
    roof = MachineRoofline(1e10, 1e9, 2**30)
    short = decode_probe_config(1).replace(max_position=8)
    with pytest.raises(WorkloadError, match="exceeds"):
        measure_decode(roof, short, prompt=4, steps=8)
    with pytest.raises(WorkloadError, match="steps must be a positive integer"):
        measure_decode(roof, short, prompt=4, steps=0)
    moe = short.replace(n_experts=4, experts_per_token=2)
    with pytest.raises(WorkloadError, match="mixture of experts"):
        measure_decode(roof, moe, prompt=2, steps=2)



def test_prepare_and_time_the_steps() -> None:
    cfg = decode_probe_config(1).replace(d_model=32, n_heads=4, n_kv_heads=2, head_dim=8,
                                         d_ff=64, vocab_size=97)
    model, tokens = prepare_decode(cfg, prompt=3, steps=2, seed=1)
    assert tokens.shape == (1, 3)
    assert int(tokens.min()) >= 0
    assert int(tokens.max()) < 97
    seconds = time_decode(model, tokens, steps=2)
    assert len(seconds) == 2
    assert all(_positive_finite(s) for s in seconds)
    assert greedy_next(np.array([[0.0, 3.0, 1.0], [5.0, 0.0, 0.0]])).tolist() == [1, 0]
    with pytest.raises(WorkloadError, match="encoder"):
        prepare_decode(cfg.replace(encoder=True, positions="learned"), prompt=2, steps=2)


def test_result_pairs_times_with_the_bound_of_the_same_steps() -> None:
    cfg = decode_probe_config(1)
    roof = MachineRoofline(peak_flops=1e15, bandwidth=1e10, memory_bytes=2**30)
    res = decode_result(cfg, roof, prompt=4, step_seconds=[0.1, 0.2], repeats=2)
    assert (res.steps, res.prompt, res.repeats, res.seconds) == (2, 4, 2, pytest.approx(0.3))
    assert res.params == param_counts(cfg).total
    assert res.bytes_read == decode_bytes(cfg, 5) + decode_bytes(cfg, 6)
    assert res.bound_seconds == pytest.approx(decode_bound_seconds(cfg, roof, 4, 2))
