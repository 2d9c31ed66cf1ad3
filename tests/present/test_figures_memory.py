"""The roofline, bandwidth-wall and serving figures and tables: cells against the H100 SXM
spec sheet and KV-cache sizes worked out from Llama 2 70B's config.json."""

from __future__ import annotations

import numpy as np
import pytest

from ai_workloads.analysis.memory import ServingMemory
from ai_workloads.analysis.serving import (
    decode_rates,
    matmul_cost,
    roofline_curve,
    throughput_curve,
    workload_point,
)
from ai_workloads.catalog import get_accelerator, get_model
from ai_workloads.present.figures.memory import (
    bandwidth_wall_figure,
    batching_table,
    hardware_roofline_table,
    intensity_table,
    kv_cache_table,
    roofline_figure,
    serving_memory_table,
)

# Spec-sheet figures of the H100 SXM (dense bf16) and the shapes of Llama 2 (config.json).
H100_PEAK = 989.4e12
H100_BW = 3.35e12
LLAMA2_70B = {"D": 8192, "L": 80, "N": 64, "K": 8, "H": 128, "F": 28672, "V": 32000,
              "params": 68_976_648_192}


def kv_bytes_by_hand(m: dict[str, int], context: int) -> int:
    """K and V of ``K·H`` values per layer, 2 bytes each."""
    return 2 * m["L"] * m["K"] * m["H"] * context * 2


def test_roofline_figure_draws_every_point() -> None:
    h100 = get_accelerator("h100-sxm")
    points = [workload_point(str(i), i, h100) for i in (1.0, 30.0, 2000.0)]
    ax = roofline_figure(roofline_curve(h100), points).axes[0]
    legend = ax.get_legend()
    assert legend is not None
    assert len(legend.get_texts()) == 3 + 3   # curve, 2 regions, 3 points
    assert np.asarray(ax.lines[0].get_ydata()).max() == pytest.approx(H100_PEAK / 1e12)


def test_bandwidth_wall_figure_marks_the_limit() -> None:
    h100 = get_accelerator("h100-sxm")
    rates = decode_rates([get_model(n) for n in ("llama-2-7b", "llama-2-13b", "llama-2-70b")],
                         h100, 2048)
    curve = throughput_curve(get_model("llama-2-70b"), h100, 2048, 2 ** np.arange(8),
                             n_devices=2)
    fig = bandwidth_wall_figure(rates, 5.5, curve, "H100")
    left, right = fig.axes
    assert len(left.patches) == 3
    verticals = [np.asarray(line.get_xdata()) for line in right.lines]
    xs = [float(x[0]) for x in verticals if len(set(x.tolist())) == 1]
    assert 32 in xs   # the memory-limit line


def test_kv_cache_table_values() -> None:
    table = kv_cache_table([get_model("llama-2-7b"), get_model("llama-3.1-405b")],
                           [2048, 32768])
    rows = {row[0]: row[2:] for row in table.rows}
    assert rows["Llama 2 7B"] == (f"{2 * 32 * 4096 * 2048 * 2 / 1e9:,.1f}",
                                  f"{2 * 32 * 4096 * 32768 * 2 / 1e9:,.1f}")
    assert rows["Llama 3.1 405B"][1] == f"{2 * 126 * 8 * 128 * 32768 * 2 / 1e9:,.1f}"
    assert rows["Llama 3.1 405B if MHA (K = N)"][1] == "270.6"   # the notes' MHA figure
    assert "Llama 2 7B if MHA (K = N)" not in rows                # already MHA


def test_hardware_and_memory_tables() -> None:
    row = hardware_roofline_table([get_accelerator("h100-sxm")]).rows[0]
    assert row[2:6] == ("989.4", "3.35", "80 GB", f"{H100_PEAK / H100_BW:,.0f}")
    assert row[6].startswith("[spec sheet](https://")
    mem = serving_memory_table(ServingMemory(3 * 2**30, 2**30, 0))
    assert mem.rows[-1] == ("total", f"{4 * 2**30:,}", f"{4 * 2**30 / 1e9:.2f}", "4.00")
    costs = intensity_table([matmul_cost(32, 8192, 8192)], get_accelerator("h100-sxm"))
    assert costs.rows[0][3] == f"{32 / (1 + 64 / 8192):.2f}"


def test_batching_table() -> None:
    curve = throughput_curve(get_model("llama-2-70b"), get_accelerator("h100-sxm"), 2048,
                             [1, 32, 33], n_devices=2)
    rows = batching_table(curve, [1, 33]).rows
    assert [r[2] for r in rows] == ["yes", "no"]
    assert rows[0][1] == f"{kv_bytes_by_hand(LLAMA2_70B, 2048) / 1e9:,.1f}"

