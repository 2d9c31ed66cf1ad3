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
    rooflines_figure,
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
    assert len(legend.get_texts()) == 3 + 3   # roof, 2 regions, 3 points
    assert np.asarray(ax.lines[0].get_ydata()).max() == pytest.approx(H100_PEAK / 1e12)


def test_roofline_figure_one_roof_per_format() -> None:
    h100 = get_accelerator("h100-sxm")
    ax = roofline_figure([roofline_curve(h100, "bf16"), roofline_curve(h100, "fp8")],
                         []).axes[0]
    legend = ax.get_legend()
    assert legend is not None
    texts = [t.get_text() for t in legend.get_texts()]
    # Ridges by hand: 989.4 / 3.35 = 295 and 1,978.9 / 3.35 = 591 FLOP per byte.
    assert "bf16 roof (ridge 295 FLOP/byte)" in texts
    assert "fp8 roof (ridge 591 FLOP/byte)" in texts
    tops = sorted(np.asarray(line.get_ydata()).max() for line in ax.lines
                  if len(line.get_ydata()) > 2)
    assert tops == pytest.approx([H100_PEAK / 1e12, 1978.9])
    styles = {line.get_linestyle() for line in ax.lines if len(line.get_ydata()) > 2}
    assert len(styles) == 2                   # told apart by line style, not colour alone


def test_rooflines_figure_small_multiples() -> None:
    chips = [get_accelerator(n) for n in ("b300", "tpu-v4", "mi355x")]
    sets = [[roofline_curve(c, f) for f in ("bf16", "fp8", "fp4") if f in c.peak_flops]
            for c in chips]
    fig = rooflines_figure(sets, columns=2)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == [c.display for c in chips]
    # B300: bf16, fp8, fp4 roofs; TPU v4: bf16 only; MI355X: all three (two lines each:
    # the roof and its ridge tick).
    assert [len(ax.lines) for ax in visible] == [6, 2, 6]
    b300_top = max(np.asarray(line.get_ydata()).max() for line in visible[0].lines)
    assert b300_top == pytest.approx(108_000 / 8)      # HGX B300: 108 PFLOPS fp4 for 8 GPUs


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
    # Two GPUs of 81,559 MiB usable less the fp16 weights, over one sequence's KV cache.
    limit = (2 * 81559 * 2**20 - 2 * LLAMA2_70B["params"]) // kv_bytes_by_hand(LLAMA2_70B, 2048)
    assert limit == 49
    assert limit in xs   # the memory-limit line


def test_kv_cache_table_values() -> None:
    table = kv_cache_table([get_model("llama-2-7b"), get_model("llama-3.1-405b")],
                           [2048, 32768])
    rows = {row[0]: row[4:] for row in table.rows}
    heads = {row[0]: row[1:4] for row in table.rows}
    assert heads["Llama 3.1 405B"] == ("128", "8", "16")  # N/K is the ratio
    assert rows["Llama 2 7B"] == (f"{2 * 32 * 4096 * 2048 * 2 / 1e9:,.1f}",
                                  f"{2 * 32 * 4096 * 32768 * 2 / 1e9:,.1f}")
    assert rows["Llama 3.1 405B"][1] == f"{2 * 126 * 8 * 128 * 32768 * 2 / 1e9:,.1f}"
    assert rows["Llama 3.1 405B if MHA (K = N)"][1] == "270.6"   # the notes' MHA figure
    assert "Llama 2 7B if MHA (K = N)" not in rows                # already MHA


def test_hardware_and_memory_tables() -> None:
    row = hardware_roofline_table([get_accelerator("h100-sxm")]).rows[0]
    # bf16, fp8, no fp4; five 16 GiB stacks; nvidia-smi's 81,559 MiB = 79.65 GiB.
    assert row[2:10] == ("989.4", "1,978.9", "–", "3.35", "80 GiB",
                         f"{81559 / 1024:.2f} GiB", f"{H100_PEAK / H100_BW:,.0f}",
                         "[spec sheet](https://www.nvidia.com/en-us/data-center/h100/)")
    b200 = hardware_roofline_table([get_accelerator("b200")], ("fp4",)).rows[0]
    assert b200[2:4] == (f"{144_000 / 2 / 8:,.1f}", "7.70")   # HGX B200: 144 | 72 PFLOPS
    mem = serving_memory_table(ServingMemory(3 * 2**30, 2**30, 0))
    assert mem.rows[-1] == ("total", f"{4 * 2**30:,}", f"{4 * 2**30 / 1e9:.2f}", "4.00")
    costs = intensity_table([matmul_cost(32, 8192, 8192)], get_accelerator("h100-sxm"))
    assert costs.rows[0][3] == f"{32 / (1 + 64 / 8192):.2f}"


def test_batching_table() -> None:
    curve = throughput_curve(get_model("llama-2-70b"), get_accelerator("h100-sxm"), 2048,
                             [1, 49, 50], n_devices=2)
    table = batching_table(curve, [1, 49, 50])
    assert table.columns[2] == "fits (usable memory)"
    rows = table.rows
    assert [r[2] for r in rows] == ["yes", "yes", "no"]
    assert rows[0][1] == f"{kv_bytes_by_hand(LLAMA2_70B, 2048) / 1e9:,.1f}"

