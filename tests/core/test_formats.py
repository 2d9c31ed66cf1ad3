"""Stored formats: exact bytes of values, block scales, tensor scales and extras, by hand.

Each expected value is written out from the format's definition: the OCP Microscaling
Formats (MX) v1.0 specification for MXFP8/MXFP4 (32 values share one E8M0 scale), NVIDIA's
NVFP4 (16 E2M1 values share one E4M3 scale, plus one fp32 scale per tensor), DeepSeek-V3's
fp8 checkpoints (one fp32 scale per 128×128 block) and the AWQ/GPTQ group layout (fp16
scales and 4-bit zeros per 128 inputs of each output row).
"""

from __future__ import annotations

import pytest

from ai_workloads.core.errors import WorkloadError
from ai_workloads.core.formats import (
    KV_FORMATS,
    WEIGHT_FORMATS,
    Format,
    check_kv_format,
    fp8_format,
    int_format,
    weight_format,
)


def ceil(a: int, b: int) -> int:
    return -(-a // b)


@pytest.mark.parametrize("name", ["fp32", "tf32", "bf16", "fp16"])
def test_plain_formats_are_elements_times_width(name: str) -> None:
    width = {"fp32": 4, "tf32": 4, "bf16": 2, "fp16": 2}[name]
    fmt = weight_format(name)
    assert fmt.plain
    assert fmt.tensor_bytes((4096, 11008)) == 4096 * 11008 * width
    assert fmt.tensor_bytes((8, 4096, 11008)) == 8 * 4096 * 11008 * width
    assert fmt.tensor_bytes((4096,)) == 4096 * width


# [out, in] shapes: one that divides every block, and one with partial blocks in both dims.
SHAPES = [(4096, 4096), (1000, 300)]


@pytest.mark.parametrize(("out", "inputs"), SHAPES)
def test_fp8_per_tensor(out: int, inputs: int) -> None:
    # one byte per value, one fp32 scale for the tensor
    assert weight_format("fp8").tensor_bytes((out, inputs)) == out * inputs + 4
    assert weight_format("fp8-e5m2").tensor_bytes((out, inputs)) == out * inputs + 4


@pytest.mark.parametrize(("out", "inputs"), SHAPES)
def test_fp8_block_128(out: int, inputs: int) -> None:
    # weight fp8 [out, in] + weight_scale_inv fp32 [ceil(out/128), ceil(in/128)]
    expected = out * inputs + 4 * ceil(out, 128) * ceil(inputs, 128)
    assert weight_format("fp8-b128").tensor_bytes((out, inputs)) == expected
    assert fp8_format((128, 128)) == weight_format("fp8-b128")


def test_fp8_block_partial_by_hand() -> None:
    # [1000, 300]: 8 block rows (7 full, one of 104) × 3 block columns (2 full, one of 44)
    assert weight_format("fp8-b128").tensor_bytes((1000, 300)) == 300_000 + 4 * 24


@pytest.mark.parametrize(("out", "inputs"), SHAPES)
def test_mxfp8(out: int, inputs: int) -> None:
    # one byte per value, one E8M0 byte per 32 values along the input dimension
    assert weight_format("mxfp8").tensor_bytes((out, inputs)) == (
        out * inputs + out * ceil(inputs, 32))


@pytest.mark.parametrize(("out", "inputs"), SHAPES)
def test_mxfp4(out: int, inputs: int) -> None:
    # two E2M1 values per byte, one E8M0 byte per 32 values
    assert weight_format("mxfp4").tensor_bytes((out, inputs)) == (
        out * inputs // 2 + out * ceil(inputs, 32))


def test_mxfp4_gpt_oss_expert_layout() -> None:
    # gpt-oss-120b stores an expert's gate_up_proj as uint8 blocks [5760, 90, 16] and uint8
    # scales [5760, 90] (D = 2880 inputs, 90 blocks of 32; 2·F = 5760 outputs).
    blocks, scales = 5760 * 90 * 16, 5760 * 90
    assert weight_format("mxfp4").tensor_bytes((5760, 2880)) == blocks + scales


@pytest.mark.parametrize(("out", "inputs"), SHAPES)
def test_nvfp4(out: int, inputs: int) -> None:
    # two E2M1 values per byte, one E4M3 byte per 16 values, one fp32 per tensor
    assert weight_format("nvfp4").tensor_bytes((out, inputs)) == (
        out * inputs // 2 + out * ceil(inputs, 16) + 4)


def test_block_formats_effective_bits() -> None:
    # 4 + 8/32, 4 + 8/16, 8 + 8/32 bits per value on a large matrix (the tensor scale
    # of NVFP4 adds 32 bits over 4096² values)
    assert weight_format("mxfp4").bits_per_value(4096, 4096) == 4.25
    assert weight_format("nvfp4").bits_per_value(4096, 4096) == 4.5 + 32 / 4096**2
    assert weight_format("mxfp8").bits_per_value(4096, 4096) == 8.25


@pytest.mark.parametrize(("out", "inputs"), SHAPES)
def test_int4_group_128_as_awq_and_gptq_store_it(out: int, inputs: int) -> None:
    # AWQ: qweight int32 [in, out/8], qzeros int32 [in/128, out/8], scales fp16 [in/128, out]
    groups = ceil(inputs, 128)
    expected = out * inputs // 2 + groups * out * 2 + groups * out // 2
    assert weight_format("int4").tensor_bytes((out, inputs)) == expected
    assert weight_format("int4-g128").tensor_bytes((out, inputs)) == expected


def test_int4_other_groups() -> None:
    out, inputs = 4096, 4096
    for group in (32, 64, 256):
        groups = inputs // group
        expected = out * inputs // 2 + groups * out * 2 + groups * out // 2
        assert weight_format(f"int4-g{group}").tensor_bytes((out, inputs)) == expected


def test_int8_per_channel_and_grouped() -> None:
    # int8: one byte per value and one fp16 scale per output row (symmetric, no zeros)
    assert weight_format("int8").tensor_bytes((1000, 300)) == 300_000 + 1000 * 2
    # int8-g128: fp16 scales and 8-bit zeros per group of 128 inputs
    assert weight_format("int8-g128").tensor_bytes((1000, 300)) == 300_000 + 1000 * 3 * 3


def test_gptq_index_and_extras_per_matrix() -> None:
    # GPTQ adds g_idx int32 [in] per matrix; a per-expert stack counts each matrix
    gptq = int_format(4, 128, index_bits=32)
    one = 4096 * 11008 // 2 + 86 * 4096 * 2 + 86 * 4096 // 2 + 11008 * 4
    assert gptq.tensor_bytes((4096, 11008)) == one
    assert gptq.tensor_bytes((8, 4096, 11008)) == 8 * one
    assert Format("x", "int8", extra_bytes=16).tensor_bytes((2, 3)) == 6 + 16


def test_names_and_patterns() -> None:
    assert set(WEIGHT_FORMATS) >= {"fp8", "fp8-e5m2", "mxfp8", "nvfp4", "mxfp4", "int8", "int4",
                                   "int4-g64"}
    assert weight_format("int4-g96").block == (1, 96)
    assert weight_format("int8-g64").zero_bits == 8
    assert weight_format("fp8-b64").block == (64, 64)
    assert weight_format("nvfp4").values == "fp4"


@pytest.mark.parametrize("name", ["fp12", "int4-g0", "int3", "fp8-b0", "nf4", "INT4"])
def test_unknown_names_fail_in_one_line(name: str) -> None:
    with pytest.raises(WorkloadError, match=f"unknown format '{name}'") as err:
        weight_format(name)
    assert "\n" not in str(err.value)


def test_bad_format_definitions() -> None:
    with pytest.raises(WorkloadError, match="unknown scale type"):
        Format("x", "fp4", (1, 32), "e5m0")
    with pytest.raises(WorkloadError, match="not supported"):
        int_format(3, 128)
    with pytest.raises(WorkloadError, match="group size"):
        int_format(4, 0)
    with pytest.raises(WorkloadError, match="encoding"):
        fp8_format(encoding="e3m4")
    with pytest.raises(WorkloadError, match="positive sizes"):
        weight_format("bf16").tensor_bytes((0, 3))


def test_kv_formats() -> None:
    assert KV_FORMATS == ("fp32", "bf16", "fp16", "fp8", "fp8-e5m2")
    with pytest.raises(WorkloadError, match="not a KV-cache format"):
        check_kv_format("int4")
