"""Element types: storage widths, exact byte counts, and the format a matmul computes in."""

from __future__ import annotations

import pytest

from ai_workloads.core.dtypes import (
    BITS,
    COMPUTE_DTYPES,
    bits_of,
    bytes_per_element,
    check_compute_dtype,
    check_dtype,
    compute_dtype,
    nbytes,
)
from ai_workloads.core.errors import WorkloadError


def test_storage_widths() -> None:
    # IEEE binary32 and TF32 (stored as fp32), bfloat16 and binary16, the OCP 8-bit floats
    # (E4M3, E5M2) and microscaling elements (FP6 E2M3/E3M2, FP4 E2M1), 8- and 4-bit ints.
    widths = {"fp32": 32, "tf32": 32, "bf16": 16, "fp16": 16, "fp8": 8, "fp8-e5m2": 8,
              "fp6": 6, "fp4": 4, "int8": 8, "int4": 4}
    assert {d: bits_of(d) for d in widths} == widths
    assert bytes_per_element("int4") == 0.5
    assert bytes_per_element("fp6") == 0.75
    assert set(COMPUTE_DTYPES) <= set(BITS)


@pytest.mark.parametrize(("elements", "dtype", "expected"), [
    (1, "int4", 1),            # half a byte still takes a byte
    (7, "int4", 4),            # 28 bits round up to 4 bytes
    (8, "int4", 4),
    (4, "fp6", 3),             # 24 bits
    (5, "fp6", 4),             # 30 bits round up to 4 bytes
    (1000, "bf16", 2000),
    (3, "fp32", 12),
    (6_738_415_616, "fp16", 13_476_831_232),   # Llama 2 7B's parameters, two bytes each
])
def test_nbytes_is_exact_and_rounds_up_once(elements: int, dtype: str, expected: int) -> None:
    assert nbytes(elements, dtype) == expected


def test_unknown_formats_are_refused() -> None:
    with pytest.raises(WorkloadError, match="unknown dtype 'fp12'"):
        check_dtype("fp12")
    with pytest.raises(WorkloadError):
        bits_of("float16")
    with pytest.raises(WorkloadError, match="unknown compute format 'nvfp4'"):
        check_compute_dtype("nvfp4")


HOPPER = {"fp32", "tf32", "bf16", "fp16", "fp8", "int8"}          # H100: no fp4 peak
BLACKWELL = HOPPER | {"fp6", "fp4"}
AMPERE = {"fp32", "tf32", "bf16", "fp16", "int8"}                 # A100: no fp8 peak
VOLTA = {"fp32", "fp16"}                                          # V100: no bf16 peak


@pytest.mark.parametrize(("storage", "peaks", "computed"), [
    # Plain formats compute in themselves on every chip.
    ("bf16", HOPPER, "bf16"), ("fp16", HOPPER, "fp16"), ("fp32", HOPPER, "fp32"),
    ("tf32", AMPERE, "tf32"),
    # Weight-only integers are dequantized before the multiply: bf16, even with an int8 peak.
    ("int4", BLACKWELL, "bf16"), ("int8", HOPPER, "bf16"), ("int4-g64", HOPPER, "bf16"),
    ("int4", VOLTA, "fp16"),                      # no bf16 peak: the 16-bit float there is
    # fp8 weights: fp8 where the chip has an fp8 peak, else bf16.
    ("fp8", HOPPER, "fp8"), ("fp8", AMPERE, "bf16"), ("fp8-b128", HOPPER, "fp8"),
    ("mxfp8", AMPERE, "bf16"), ("fp8-e5m2", HOPPER, "fp8"),
    # fp4 weights: fp4, else fp8, else bf16.
    ("nvfp4", BLACKWELL, "fp4"), ("mxfp4", HOPPER, "fp8"), ("mxfp4", AMPERE, "bf16"),
    ("fp4", BLACKWELL, "fp4"), ("fp6", BLACKWELL, "fp6"), ("fp6", HOPPER, "fp8"),
])
def test_compute_dtype_rule(storage: str, peaks: set[str], computed: str) -> None:
    assert compute_dtype(storage, peaks) == computed


def test_quantized_activations_pick_their_own_peak() -> None:
    # W8A8: int8 weights and int8 activations use the int8 peak where the chip has one.
    assert compute_dtype("int8", HOPPER, activations="int8") == "int8"
    assert compute_dtype("int8", {"bf16"}, activations="int8") == "bf16"
    assert compute_dtype("int4", HOPPER, activations="fp8") == "fp8"


def test_compute_dtype_refuses_unknown_formats() -> None:
    with pytest.raises(WorkloadError, match="unknown format 'nf4'"):
        compute_dtype("nf4", HOPPER)


def test_compute_dtype_sets_the_decode_peak() -> None:
    # int4 weights on an H100 SXM: the compute bound uses the bf16 peak (989.4 TFLOP/s,
    # NVIDIA's sheet), not an int4 or int8 peak; fp8 weights use its fp8 peak (1,978.9).
    from ai_workloads.analysis.roofline import decode_step
    from ai_workloads.catalog import get_accelerator, get_model

    h100, cfg = get_accelerator("h100-sxm"), get_model("llama-2-7b")
    step = decode_step(cfg, h100, 1024, batch=4, dtype="int4")
    assert step.compute_time == step.flops / 989.4e12
    step = decode_step(cfg, h100, 1024, batch=4, dtype="fp8")
    assert step.compute_time == pytest.approx(step.flops / 1978.9e12, rel=1e-12)
    a100 = get_accelerator("a100-sxm-80gb")   # no fp8 tensor cores: bf16 at 312 TFLOP/s
    step = decode_step(cfg, a100, 1024, batch=4, dtype="fp8")
    assert step.compute_time == pytest.approx(step.flops / 312e12, rel=1e-12)
