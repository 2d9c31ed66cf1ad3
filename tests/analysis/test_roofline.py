"""Tests of roofline: values against hand derivations and independent sources."""

from __future__ import annotations

import numpy as np
import pytest

from ai_workloads.analysis.roofline import (
    attainable_flops,
    critical_batch,
    decode_step,
    matmul_intensity,
    ridge_point,
)
from ai_workloads.catalog import get_accelerator, get_model


def test_intensity_batch_one_is_about_one_flop_per_byte() -> None:
    d = 8192
    expected = 2 * d * d / (2 * (d + d * d + d))
    assert matmul_intensity(1, d, d, "bf16") == pytest.approx(expected, rel=1e-15)


def test_ridge_point_h100() -> None:
    assert ridge_point(get_accelerator("h100-sxm"), "bf16") == pytest.approx(989.4 / 3.35)


def test_attainable_is_min_of_roofs() -> None:
    h100 = get_accelerator("h100-sxm")
    intensities = np.array([0.5, 100.0, 295.0, 296.0, 1e5])
    expected = np.minimum(989.4e12, intensities * 3.35e12)
    assert np.allclose(attainable_flops(h100, intensities), expected, rtol=1e-15)


def test_decode_step_by_hand() -> None:
    cfg, h100 = get_model("llama-2-7b"), get_accelerator("h100-sxm")
    step = decode_step(cfg, h100, 4096, batch=1)
    bytes_moved = 2 * 6_738_415_616 + 2 * 32 * 32 * 128 * 4096 * 2
    assert step.bytes == bytes_moved
    assert step.memory_time == pytest.approx(bytes_moved / 3.35e12)
    assert step.bound == "memory"
    assert step.tokens_per_s == pytest.approx(1 / step.time)


def test_critical_batch_is_first_compute_bound_batch() -> None:
    cfg, chip = get_model("llama-2-70b"), get_accelerator("h100-sxm")
    b = critical_batch(cfg, chip, 128)
    assert b is not None
    assert decode_step(cfg, chip, 128, b).bound == "compute"
    assert decode_step(cfg, chip, 128, b - 1).bound == "memory"


def test_critical_batch_moe_by_search() -> None:
    cfg, chip = get_model("mixtral-8x7b"), get_accelerator("h100-sxm")
    b = critical_batch(cfg, chip, 128)
    assert b is not None
    assert decode_step(cfg, chip, 128, b).bound == "compute"
    assert decode_step(cfg, chip, 128, b - 1).bound == "memory"



def test_gemv_batch_for_the_h100_ridge_solved_exactly() -> None:
    # B / (1 + 2B/D) = 295.34 at D = 8192: B = 295.34 / (1 - 2 · 295.34 / 8192) = 318.3,
    # so 319 is the first whole batch; the B << D reading (B ≈ 295) is 7% short.
    from ai_workloads.analysis.roofline import gemv_batch_for_intensity, ridge_point
    ridge = ridge_point(get_accelerator("h100-sxm"))
    assert gemv_batch_for_intensity(ridge, 8192) == 319
    assert 318 < ridge / (1 - 2 * ridge / 8192) < 319
