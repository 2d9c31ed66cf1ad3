"""Figures and tables of what a chip must supply: cells and drawn points against Llama 2
70B's config.json and the H100 SXM and B200 spec sheets, worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.axes import Axes

from ai_workloads.analysis.requirements import Requirement, requirement, scaled_chip
from ai_workloads.catalog import get_accelerator, get_model
from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.figures.requirements import (
    DESIGN_COLOUR,
    bandwidth_memory_figure,
    devices_table,
    needs_table,
    requirements_roofline_figure,
)
from ai_workloads.present.style import colors

# Llama 2 70B in fp16 at 2,048 tokens, one sequence (see tests/analysis/test_requirements.py):
# weights 2 · 68,976,648,192 bytes, cache 2·80·8·128 values · 2 bytes · 2,048 tokens.
STEP_BYTES = 2 * 68_976_648_192 + 2 * 80 * 8 * 128 * 2 * 2048        # 138,624,385,024
STEP_FLOPS = 2 * (68_976_648_192 - 32000 * 8192 - 161 * 8192) + 4 * 80 * 64 * 128 * 2048
HELD = 2 * 68_976_648_192 + 2 * 80 * 8 * 128 * 2 * 2048 + 2 * 2048 * (8192 + 2 * 28672)
H100_MEMORY = 81_559 * 2**20        # nvidia-smi's total: 85,520,809,984 bytes


def llama70(rate: float = 20.0, batch: int = 1) -> Requirement:
    return requirement(get_model("llama-2-70b"), rate, context=2048, batch=batch,
                       dtype="fp16")


def test_needs_table_cells_by_hand() -> None:
    h100, b200 = get_accelerator("h100-sxm"), get_accelerator("b200")
    table = needs_table([llama70(), llama70(batch=4)], [h100, b200])
    row = table.rows[0]
    assert row[:6] == ("Llama 2 70B", "fp16", "2,048", "1", "20", "20")
    assert row[6] == f"{20 * STEP_BYTES / 1e12:.2f}" == "2.77"
    assert row[7] == f"{20 * STEP_FLOPS / 1e12:.2f}" == "2.86"
    assert row[8] == f"{HELD / 1e9:.1f}" == "138.9"
    assert row[9] == f"{STEP_FLOPS / STEP_BYTES:.1f}"
    # 138.9 GB fits only the B200 (180 GiB); 2.77 TB/s is within both chips' bandwidth.
    assert row[10] == "1 of 2"
    assert table.rows[1][5] == "80"      # four users at 20 tokens/s each
    assert len(table.columns) == len(row)


def test_devices_table_cells_by_hand() -> None:
    h100 = get_accelerator("h100-sxm")
    table = devices_table([llama70(), llama70(100.0)], [h100])
    # 20 tokens/s: 138.9 GB over 85.5 GB, two chips; 100 tokens/s: 13.9 TB/s over 3.35, five.
    assert table.rows[0] == ("NVIDIA H100 SXM", "3.35", f"{H100_MEMORY / 1e9:.1f}",
                             "2 (capacity)", "5 (bandwidth)")
    assert table.columns[3:] == ("Llama 2 70B", "Llama 2 70B")


def _points(ax: Axes) -> list[tuple[float, float]]:
    """(x, y) of every single-point line of ``ax``: the markers."""
    lines = ax.lines
    return [(float(np.asarray(line.get_xdata())[0]), float(np.asarray(line.get_ydata())[0]))
            for line in lines if len(np.asarray(line.get_xdata())) == 1]


def test_roofline_figure_draws_roofs_and_needs_where_they_belong() -> None:
    h100 = get_accelerator("h100-sxm")
    design = scaled_chip(h100, bandwidth=10, name="design", display="Design")
    fig = requirements_roofline_figure([h100], [llama70(), llama70(batch=8)], [design])
    ax = fig.axes[0]
    roof, design_roof = ax.lines[0], ax.lines[1]
    # The H100's fp8 roof flattens at its dense fp8 peak, 1,978.9 TFLOP/s.
    assert np.asarray(roof.get_ydata()).max() == pytest.approx(1978.9)
    assert roof.get_color() == colors(1)[0]
    assert design_roof.get_color() == DESIGN_COLOUR
    # On the sloped part the design's roof is ten times the H100's.
    assert np.asarray(design_roof.get_ydata())[0] == pytest.approx(
        10 * np.asarray(roof.get_ydata())[0])
    first = _points(ax)[0]
    assert first == pytest.approx((STEP_FLOPS / STEP_BYTES, 20 * STEP_FLOPS / 1e12))
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "NVIDIA H100 SXM: ridge 591" in labels       # 1,978.9 / 3.35 FLOP/byte
    assert {"Llama 2 70B", "batch 1: open", "batch 8: filled"} <= set(labels)


def test_bandwidth_memory_figure_places_chips_and_needs_by_hand() -> None:
    h100 = get_accelerator("h100-sxm")
    fig = bandwidth_memory_figure([h100], [llama70()])
    chip, need = _points(fig.axes[0])
    assert chip == pytest.approx((H100_MEMORY / 1e9, 3.35))
    assert need == pytest.approx((HELD / 1e9, 20 * STEP_BYTES / 1e12))
    assert fig.axes[0].get_xscale() == fig.axes[0].get_yscale() == "log"


def test_figures_refuse_what_they_cannot_draw() -> None:
    chips = [get_accelerator(n) for n in ("h100-sxm", "h200", "b200", "b300", "gb200",
                                          "gb300", "mi355x")]
    with pytest.raises(WorkloadError, match="at most 6 catalog chips"):
        requirements_roofline_figure(chips, [llama70()])
    with pytest.raises(WorkloadError, match="at least one chip"):
        bandwidth_memory_figure([], [llama70()])
