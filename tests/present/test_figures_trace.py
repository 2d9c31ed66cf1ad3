"""Tests of the figures of trace: values against hand derivations and independent sources."""

from __future__ import annotations

import pytest

from ai_workloads.core.accelerator import Accelerator
from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.figures.trace import (
    block_op_table,
    formula_check_table,
    intensity_figure,
    op_labels,
    shape_text,
)
from ai_workloads.reference.model import tiny_config
from ai_workloads.reference.op_roofline import (
    block_rooflines,
)
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


def test_labels_and_figure() -> None:
    cfg = tiny_config("llama")
    pre = block_rooflines(trace_forward(cfg, prefill=8), CHIP)
    dec = block_rooflines(trace_forward(cfg, context=8), CHIP)
    labels = op_labels(pre)
    assert labels[0] == "norm 1"
    assert "q" in labels
    fig = intensity_figure({"prefill": pre, "decode": dec}, {"A": 10.0, "B": 100.0})
    ax = fig.axes[0]
    assert len(ax.collections) == 2
    assert len(ax.lines) == 2
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert "kv_cache 1" not in ticks     # no arithmetic: not on a log axis
    assert ticks[:2] == ["norm 1", "q"]
    with pytest.raises(WorkloadError):
        intensity_figure({}, {})

