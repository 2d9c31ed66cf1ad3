"""Tests of the trace tables: cells against hand counts and the numbers they are given."""

from __future__ import annotations

import pytest

from ai_workloads.analysis.flops import prefill_flops
from ai_workloads.core.accelerator import Accelerator
from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.trace_tables import (
    block_op_table,
    formula_check_table,
    shape_text,
    trace_table,
)
from ai_workloads.reference.configs import tiny_config
from ai_workloads.reference.op_roofline import block_rooflines
from ai_workloads.reference.tracer import trace_forward

CHIP = Accelerator(name="test-chip", peak_flops={"bf16": 100e12, "fp32": 10e12},
                   bandwidth=1e12, capacity_bytes=80 * 10**9)


def test_tables() -> None:
    assert shape_text("float32", (2, 3)) == "fp32[2, 3]"
    rows = block_rooflines(trace_forward(tiny_config("llama"), context=4), CHIP)
    table = block_op_table(rows, "test")
    q = table.rows[1]
    assert q[0] == "q"
    assert q[3] == f"{2 * 64 * 64:,}"
    assert q[-1] == "memory"
    with pytest.raises(WorkloadError):
        block_op_table([], "test")
    check = formula_check_table({"q": 1, "k": 2}, {"q": 1, "k": 3}, {"q": 4}, {"q": 4})
    assert [r[-1] for r in check.rows] == ["yes", "NO"]


def test_block_table_recounts_bytes_in_bf16() -> None:
    rows = block_rooflines(trace_forward(tiny_config("llama"), context=4), CHIP)
    q = block_op_table(rows, "test").rows[1]
    # [1, 1, 64] @ [64, 64] -> [1, 1, 64]: fp32 reads 4·(64 + 4096), writes 4·64; bf16 halves.
    assert q[4:8] == ("16,640", "256", f"{8192 / 16896:.2f}", f"{2 * (64 + 4096 + 64):,}")


def test_check_table_leaves_out_ops_the_model_does_not_have() -> None:
    check = formula_check_table({"q": 8}, {"q": 8, "router": 0, "pooler": 0},
                                {"q": 2}, {"q": 2, "router": 0})
    assert [r[0] for r in check.rows] == ["q"]
    missing = formula_check_table({"q": 8}, {"q": 8, "k": 4}, {}, {})
    assert missing.rows[1] == ("k", "0", "4", "0", "0", "NO")   # counted but never traced


def test_table_reports_agreement() -> None:
    cfg = tiny_config("gemma")
    trace = trace_forward(cfg, prefill=5, batch=2)
    text = trace_table(trace, prefill_flops(cfg, 5, batch=2)).to_text()
    assert f"matmul FLOPs: {trace.matmul_flops:,}" in text
    title = "tiny-gemma: prefill of 5 tokens, batch 2, 2 of 2 layers, float32"
    assert text.splitlines()[0] == title
    assert ": equal" in text


def test_table_reports_a_disagreement() -> None:
    trace = trace_forward(tiny_config("llama"), context=3)
    notes = trace_table(trace, trace.matmul_flops + 1).notes
    assert notes[0] == (f"matmul FLOPs: {trace.matmul_flops:,}; the formula gives "
                        f"{trace.matmul_flops + 1:,}: DIFFERENT")
