"""What a chip must supply: needs against hand derivations from the models' config.json and
the chips' spec sheets, and against the decode step's own bound."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import pytest

from ai_workloads.analysis.requirements import (
    LIMITS,
    binding_counts,
    chip_fit,
    chip_fits,
    chips_meeting,
    requirement,
    scaled_chip,
    smallest_chip,
    targets_met,
)
from ai_workloads.analysis.roofline import decode_step
from ai_workloads.catalog import get_accelerator, get_model
from ai_workloads.core.errors import WorkloadError

# Llama 2 70B (config.json): D, L, N query heads, K KV heads, H, F, V; Meta's count.
D, L, N, K, H, F, V = 8192, 80, 64, 8, 128, 28672, 32000
PARAMS = 68_976_648_192
NORMS = 2 * L + 1                          # two per layer and the final one, D weights each
# H100 SXM: NVIDIA's sheet (3.35 TB/s, 989.4 TFLOP/s dense bf16/fp16), nvidia-smi 81,559 MiB.
H100_BW, H100_PEAK, H100_MEMORY = 3.35e12, 989.4e12, 81_559 * 2**20


def llama70_by_hand(context: int, batch: int = 1) -> dict[str, int]:
    """One decode step of Llama 2 70B in fp16 (2 bytes a value), and what it holds."""
    weights = 2 * PARAMS
    kv = 2 * L * K * H * 2 * context * batch      # K and V of K·H values per layer
    matmul_weights = PARAMS - V * D - NORMS * D   # the embedding and norms do no matmul
    flops = batch * (2 * matmul_weights + 4 * L * N * H * context)  # scores and A·V
    activations = 2 * context * (D + 2 * F)       # prefill of one sequence: residual + gate/up
    return {"bytes": weights + kv, "flops": flops, "weights": weights, "kv": kv,
            "activations": activations}


def test_needs_are_bytes_and_flops_per_step_times_the_rate() -> None:
    hand = llama70_by_hand(2048)
    need = requirement(get_model("llama-2-70b"), 20.0, context=2048, dtype="fp16")
    assert need.bytes_per_step == hand["bytes"]
    assert need.flops_per_step == hand["flops"]
    assert need.total_bandwidth == pytest.approx(20 * hand["bytes"], rel=1e-15)
    assert need.total_compute == pytest.approx(20 * hand["flops"], rel=1e-15)
    assert (need.weights, need.kv_cache, need.activations) == (
        hand["weights"], hand["kv"], hand["activations"])
    assert need.total_capacity == hand["weights"] + hand["kv"] + hand["activations"]
    assert need.intensity == pytest.approx(hand["flops"] / hand["bytes"])


def test_a_batch_shares_the_weight_reads_but_not_the_caches() -> None:
    hand = llama70_by_hand(4096, batch=16)
    need = requirement(get_model("llama-2-70b"), 10.0, context=4096, batch=16, dtype="fp16")
    assert need.bytes_per_step == hand["bytes"]
    assert need.aggregate_tokens_per_s == 160.0
    assert need.kv_cache == hand["kv"]


def test_an_aggregate_target_is_shared_by_the_batch() -> None:
    cfg = get_model("llama-2-70b")
    total = requirement(cfg, context=2048, batch=8, aggregate_tokens_per_s=200.0)
    each = requirement(cfg, 25.0, context=2048, batch=8)
    assert total == each


def test_devices_share_the_needs_evenly() -> None:
    cfg = get_model("llama-2-70b")
    one = requirement(cfg, 20.0, context=2048, dtype="fp16")
    four = requirement(cfg, 20.0, context=2048, dtype="fp16", n_devices=4)
    assert four.bandwidth == pytest.approx(one.bandwidth / 4)
    assert four.compute == pytest.approx(one.compute / 4)
    assert four.capacity == math.ceil(one.capacity / 4)
    assert four.total_bandwidth == one.total_bandwidth


def test_a_mixture_of_experts_reads_the_active_experts_at_batch_1() -> None:
    # Mixtral 8x7B: 12,879,925,248 parameters active per token (2 of 8 experts), bf16;
    # 32 layers of 8 KV heads of 128, no window.
    need = requirement(get_model("mixtral-8x7b"), 30.0, context=4096)
    assert need.bytes_per_step == pytest.approx(2 * 12_879_925_248 + 2 * 32 * 8 * 128 * 2 * 4096)


def test_the_checkpoint_is_held_as_it_is_published() -> None:
    # openai/gpt-oss-120b's safetensors index: 65,248,815,744 bytes (MXFP4 experts).
    need = requirement(get_model("gpt-oss-120b"), 20.0, context=8192, dtype="checkpoint")
    assert need.weights == 65_248_815_744
    assert need.total_capacity > 65_248_815_744


@pytest.mark.parametrize(("model", "hw", "context", "batch", "devices", "dtype"), [
    ("llama-2-70b", "h100-sxm", 2048, 1, 2, "fp16"),
    ("llama-2-7b", "a100-sxm-80gb", 4096, 32, 1, "bf16"),
    ("mixtral-8x7b", "h200", 8192, 64, 1, "bf16"),
    ("mistral-7b", "tpu-v4", 32768, 8, 1, "bf16"),
    ("qwen3-8b", "b200", 1024, 512, 1, "fp8"),
])
def test_the_attainable_speed_is_the_decode_steps_bound(model: str, hw: str, context: int,
                                                        batch: int, devices: int,
                                                        dtype: str) -> None:
    cfg, chip = get_model(model), get_accelerator(hw)
    need = requirement(cfg, 20.0, context=context, batch=batch, dtype=dtype,
                       n_devices=devices)
    step = decode_step(cfg, chip, context, batch, dtype=dtype, n_devices=devices)
    assert (need.flops_per_step, need.bytes_per_step) == (step.flops, step.bytes)
    fit = chip_fit(need, chip)
    assert fit.attainable_tokens_per_s == pytest.approx(step.tokens_per_s_per_sequence)
    assert fit.fast_enough == (step.tokens_per_s_per_sequence >= 20.0)


def test_margins_against_the_h100_spec_sheet() -> None:
    hand = llama70_by_hand(2048)
    need = requirement(get_model("llama-2-70b"), 20.0, context=2048, dtype="fp16")
    fit = chip_fit(need, get_accelerator("h100-sxm"))
    assert fit.compute_format == "fp16"
    assert fit.bandwidth_margin == pytest.approx(H100_BW / (20 * hand["bytes"]))
    assert fit.compute_margin == pytest.approx(H100_PEAK / (20 * hand["flops"]))
    assert fit.capacity_margin == pytest.approx(
        H100_MEMORY / (hand["weights"] + hand["kv"] + hand["activations"]))
    # 138.9 GB on 85.5 GB chips: memory binds, and two chips are needed.
    assert (fit.meets, fit.binding, fit.devices_needed) == (False, "capacity", 2)
    assert fit.margin == fit.capacity_margin


def test_the_fewest_devices_is_the_largest_ratio_rounded_up() -> None:
    hand = llama70_by_hand(2048)
    need = requirement(get_model("llama-2-70b"), 100.0, context=2048, dtype="fp16")
    fit = chip_fit(need, get_accelerator("h100-sxm"))
    # 100 · 138,624,385,024 bytes/s over 3.35 TB/s is 4.14 chips: five, set by bandwidth.
    assert math.ceil(100 * hand["bytes"] / H100_BW) == 5
    assert (fit.devices_needed, fit.binding) == (5, "bandwidth")
    # Five chips meet it; four do not.
    five = chip_fit(requirement(get_model("llama-2-70b"), 100.0, context=2048, dtype="fp16",
                                n_devices=5), get_accelerator("h100-sxm"))
    four = chip_fit(requirement(get_model("llama-2-70b"), 100.0, context=2048, dtype="fp16",
                                n_devices=4), get_accelerator("h100-sxm"))
    assert (five.meets, four.meets) == (True, False)


def test_the_roofline_at_the_needs_intensity_says_whether_the_chip_is_fast_enough() -> None:
    cfg = get_model("llama-3-70b")
    for rate in (5.0, 20.0, 100.0):
        need = requirement(cfg, rate, context=8192, batch=8, dtype="fp8")
        for fit in chip_fits(need, [get_accelerator(n) for n in ("h100-sxm", "b200", "tpu-v4")]):
            assert fit.fast_enough == (fit.attainable_flops >= need.compute * (1 - 1e-12))


def test_the_compute_format_follows_the_weights_and_the_chip() -> None:
    need = requirement(get_model("deepseek-v3"), 20.0, context=8192, dtype="checkpoint")
    assert chip_fit(need, get_accelerator("h200")).compute_format == "fp8"
    assert chip_fit(need, get_accelerator("a100-sxm-80gb")).compute_format == "bf16"


def test_deepseek_v3_exceeds_every_chips_memory() -> None:
    # fp8 with 128×128 block scales: about 673 GB of weights; the largest chip holds 288 GiB.
    need = requirement(get_model("deepseek-v3"), 20.0, context=8192, dtype="checkpoint",
                       absorbed=True)
    mi355x = chip_fit(need, get_accelerator("mi355x"))
    assert mi355x.binding == "capacity"
    assert mi355x.devices_needed == math.ceil(need.total_capacity / (288 * 2**30)) == 3


def test_absorbed_latent_attention_does_fewer_flops_with_the_same_bytes() -> None:
    cfg = get_model("deepseek-v3")
    expanded = requirement(cfg, 20.0, context=32768, dtype="checkpoint")
    absorbed = requirement(cfg, 20.0, context=32768, dtype="checkpoint", absorbed=True)
    assert absorbed.bytes_per_step == expanded.bytes_per_step
    assert absorbed.flops_per_step < expanded.flops_per_step


def test_chips_meeting_sorts_by_margin_and_binding_counts_every_pair() -> None:
    need = requirement(get_model("llama-3-8b"), 100.0, context=8192)
    chips = [get_accelerator(n) for n in ("tpu-v5e", "h100-sxm", "b200", "h200")]
    met = chips_meeting(need, chips)
    assert [f.hardware for f in met] == ["b200", "h200", "h100-sxm"]   # 7.7, 4.8, 3.35 TB/s
    assert [f.margin for f in met] == sorted((f.margin for f in met), reverse=True)
    counts = binding_counts([need], chips)
    assert sum(counts.values()) == len(chips)
    assert set(counts) == set(LIMITS)
    # 100 reads a second of Llama 3 8B's 16 GB of bf16 weights need 1.6 TB/s; TPU v5e has 0.82.
    assert targets_met([need], get_accelerator("tpu-v5e")) == 0


def test_scaled_chip_multiplies_what_it_is_told() -> None:
    b200 = get_accelerator("b200")
    chip = scaled_chip(b200, bandwidth=10, compute=2, capacity=1.5, name="x")
    assert chip.bandwidth == pytest.approx(77e12)          # 7.7 TB/s on the sheet
    assert chip.peak("fp8") == pytest.approx(9000e12)       # 4,500 TFLOP/s dense fp8
    assert chip.capacity_bytes == 270 * 2**30               # 180 GiB · 1.5
    assert chip.fit_bytes == round(1.5 * b200.fit_bytes)
    assert chip.interconnect == b200.interconnect
    assert chip.power_w is None
    assert chip.ridge_point("fp8") == pytest.approx(9000 / 77)
    assert "not a product" in chip.notes


def test_smallest_chip_is_tight() -> None:
    cfg = get_model("llama-3-70b")
    needs = [requirement(cfg, r, context=s, batch=b, dtype="fp8")
             for r in (20.0, 100.0) for s in (8192, 32768) for b in (1, 64)]
    chip = smallest_chip(needs)
    assert targets_met(needs, chip) == len(needs)
    for shrunk in (scaled_chip(chip, bandwidth=0.99), scaled_chip(chip, compute=0.99),
                   scaled_chip(chip, capacity=0.99)):
        assert targets_met(needs, shrunk) < len(needs)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "not both or neither"),
    ({"tokens_per_s": 10.0, "aggregate_tokens_per_s": 10.0}, "not both or neither"),
    ({"tokens_per_s": 0.0}, "tokens_per_s must be a positive number"),
    ({"tokens_per_s": float("nan")}, "tokens_per_s must be a positive number"),
    ({"aggregate_tokens_per_s": -1.0}, "aggregate_tokens_per_s must be a positive number"),
    ({"tokens_per_s": 10.0, "batch": 0}, "batch must be a positive integer"),
    ({"tokens_per_s": 10.0, "n_devices": 0}, "n_devices must be a positive integer"),
])
def test_bad_targets_get_one_clear_line(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(WorkloadError, match=message):
        requirement(get_model("llama-2-7b"), context=1024, **kwargs)


def test_bad_design_factors_and_empty_needs_get_one_clear_line() -> None:
    with pytest.raises(WorkloadError, match="bandwidth must be a positive factor"):
        scaled_chip(get_accelerator("h100-sxm"), bandwidth=0)
    with pytest.raises(WorkloadError, match="at least one requirement"):
        smallest_chip([])


def test_runs_without_numpy() -> None:
    # The in-browser calculator has no NumPy: this module must import and answer without it.
    script = textwrap.dedent("""
        import sys

        class _NoNumpy:
            def find_spec(self, name, path=None, target=None):
                if name == "numpy" or name.startswith("numpy."):
                    raise ModuleNotFoundError(name)
                return None

        sys.meta_path.insert(0, _NoNumpy())
        from ai_workloads.catalog import get_accelerator, get_model
        from ai_workloads.analysis.requirements import chip_fit, requirement
        need = requirement(get_model("llama-2-70b"), 20.0, context=2048, dtype="fp16")
        assert chip_fit(need, get_accelerator("h100-sxm")).devices_needed == 2
        assert "numpy" not in sys.modules
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=False, timeout=120)
    assert result.stdout.strip() == "ok", result.stderr.strip().splitlines()[-1:]
