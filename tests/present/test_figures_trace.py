"""Tests of the figure of a traced block: what it draws, against the rows it is given."""

from __future__ import annotations

import pytest

from ai_workloads.core.accelerator import Accelerator
from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.figures.trace import intensity_figure, op_labels
from ai_workloads.reference.configs import tiny_config
from ai_workloads.reference.op_roofline import block_rooflines
from ai_workloads.reference.tracer import trace_forward

CHIP = Accelerator(name="test-chip", peak_flops={"bf16": 100e12, "fp32": 10e12},
                   bandwidth=1e12, capacity_bytes=80 * 10**9)


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


def test_points_sit_at_each_ops_intensity() -> None:
    rows = block_rooflines(trace_forward(tiny_config("llama"), context=8), CHIP)
    fig = intensity_figure({"decode": rows}, {"chip": 100.0})
    ax = fig.axes[0]
    xs = ax.collections[0].get_offsets()[:, 0].tolist()
    assert xs == [row.intensity for row in rows if row.intensity > 0]
    assert ax.lines[0].get_xdata()[0] == 100.0   # the ridge line
    with pytest.raises(WorkloadError, match="at most 4 series"):
        intensity_figure({str(i): rows for i in range(5)}, {})
