"""Number formats: storage widths, exact byte counts, and the format a matmul computes in."""

from __future__ import annotations

import pytest

from ai_workloads.core.dtypes import (
    BITS,
    STORAGE_DTYPES,
    bits_of,
    bytes_per_element,
    check_dtype,
    compute_dtype,
    nbytes,
)
from ai_workloads.core.errors import WorkloadError


def test_storage_widths() -> None:
    # IEEE binary32 and TF32 (stored as fp32), bfloat16 and binary16, 8- and 4-bit formats.
    assert [bits_of(d) for d in ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4")] == [
        32, 32, 16, 16, 8, 8, 4]
    assert bytes_per_element("int4") == 0.5
    assert set(STORAGE_DTYPES) <= set(BITS)


@pytest.mark.parametrize(("elements", "dtype", "expected"), [
    (1, "int4", 1),            # half a byte still takes a byte
    (7, "int4", 4),            # 28 bits round up to 4 bytes
    (8, "int4", 4),
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


@pytest.mark.parametrize(("storage", "computed"), [
    ("fp8", "bf16"), ("int8", "bf16"), ("int4", "bf16"),      # dequantized before the multiply
    ("bf16", "bf16"), ("fp16", "fp16"), ("fp32", "fp32"), ("tf32", "tf32"),  # their own format
])
def test_compute_dtype_rule(storage: str, computed: str) -> None:
    assert compute_dtype(storage) == computed


def test_compute_dtype_refuses_unknown_formats() -> None:
    with pytest.raises(WorkloadError, match="unknown dtype 'nf4'"):
        compute_dtype("nf4")


def test_compute_dtype_sets_the_decode_peak() -> None:
    # int4 weights on an H100 SXM: the compute bound uses the bf16 peak (989.4 TFLOP/s,
    # NVIDIA's sheet), not an int4 or int8 peak.
    from ai_workloads.analysis.roofline import decode_step
    from ai_workloads.catalog import get_accelerator, get_model

    h100 = get_accelerator("h100-sxm")
    step = decode_step(get_model("llama-2-7b"), h100, 1024, batch=4, dtype="int4")
    assert step.compute_time == step.flops / 989.4e12
