"""Sweep speed: vectorized decode bounds over (model, hardware, context, batch).

Times :func:`ai_workloads.analysis.sweep.decode_grid` on every catalog decoder × every catalog chip
× 80 contexts × 100 batches (over a million points), and a plain Python loop of the scalar
:func:`ai_workloads.analysis.roofline.decode_step` over a random sample of the same points, to
report points/s for both and the speed-up. Target: at least 1,000,000 points/s.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ai_workloads.analysis.roofline import decode_step
from ai_workloads.analysis.sweep import decode_grid
from ai_workloads.catalog import accelerator_names, get_accelerator, get_model, model_names

LOOP_SAMPLE = 3000
REPEATS = 5


def run() -> dict[str, Any]:
    """Time the sweep both ways and print the figures."""
    models = [get_model(n) for n in model_names() if not get_model(n).encoder]
    chips = [get_accelerator(n) for n in accelerator_names()]
    contexts = np.unique(np.geomspace(1, 131072, 80).astype(np.int64))
    while contexts.size < 80:  # geomspace repeats small integers; top up to 80 values
        contexts = np.unique(np.append(contexts, contexts.max() + contexts.size))
    batches = np.arange(1, 101)

    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        grid = decode_grid(models, chips, contexts, batches)
        tokens = grid.tokens_per_s  # force the derived arrays too
        _ = grid.memory_bound.sum() + float(tokens.sum()) + grid.fits.sum()
        best = min(best, time.perf_counter() - start)
    points = grid.size

    rng = np.random.default_rng(0)
    sample = [(models[rng.integers(len(models))], chips[rng.integers(len(chips))],
               int(contexts[rng.integers(contexts.size)]), int(rng.integers(1, 101)))
              for _ in range(LOOP_SAMPLE)]
    start = time.perf_counter()
    for cfg, chip, s, b in sample:
        step = decode_step(cfg, chip, s, b)
        _ = step.tokens_per_s
    loop = time.perf_counter() - start

    vector_rate = points / best
    loop_rate = LOOP_SAMPLE / loop
    figures = {
        "points": points,
        "models": len(models), "hardware": len(chips), "contexts": int(contexts.size),
        "batches": int(batches.size),
        "vectorized_seconds": best,
        "vectorized_points_per_s": vector_rate,
        "loop_points_per_s": loop_rate,
        "speedup": vector_rate / loop_rate,
        "target_points_per_s": 1_000_000,
        "meets_target": vector_rate >= 1_000_000,
    }
    print(f"sweep: {points:,} points ({len(models)} models × {len(chips)} chips × "
          f"{contexts.size} contexts × {batches.size} batches)")
    print(f"  vectorized: {best * 1e3:.1f} ms, {vector_rate:,.0f} points/s "
          f"(target ≥ 1,000,000: {'met' if figures['meets_target'] else 'MISSED'})")
    print(f"  Python loop of decode_step over {LOOP_SAMPLE:,} sampled points: "
          f"{loop_rate:,.0f} points/s")
    print(f"  speed-up: {figures['speedup']:,.0f}×")
    return figures


if __name__ == "__main__":
    run()
