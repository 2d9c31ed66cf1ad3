"""Each erratum's reproduction must print exactly what the notes print."""

from __future__ import annotations

import pytest

from ai_workloads.analysis.errata import errata, notes_crossover_on_grid

# What the lecture notes print, quoted from the notes (the independent source here).
QUOTED = {
    "params-gqa-70b": "78.4B", "params-gqa-405b": "469.3B", "attention-share-70b": "27.4%",
    "fp16-weights-70b": "156.7 GB", "fp16-weights-405b": "938.5 GB",
    "flops-per-token-70b": "0.24 TFLOPs", "crossover-7b": "7,906",
    "intensity-batch-1": "2 FLOP/byte", "utilization-batch-1": "0.7%", "batch-for-ridge": "148",
    "roofline-batch-32": "64", "kv-cache-gqa-70b": "85.9 GB", "kv-cache-gqa-405b": "270.6 GB",
    "total-memory-70b": "231 GB", "h100-nvl": "188 GB, 7.8 TB/s", "batch-plot-empty": "49",
    "flash-1m-context": "4 PB", "gqa-factor-70b": "4x",
}


@pytest.mark.parametrize(("key", "quoted"), QUOTED.items())
def test_reproduction_matches_the_notes(key: str, quoted: str) -> None:
    item = {e.key: e for e in errata()}[key]
    assert item.notes_value == quoted
    assert item.reproduced == quoted
    assert item.correct != quoted


def test_every_erratum_has_a_cause_and_a_correction() -> None:
    keys = [e.key for e in errata()]
    assert len(keys) == len(set(keys))
    for e in errata():
        assert e.cause
        assert e.correct
        assert e.section


def test_crossover_grid_artifact() -> None:
    assert notes_crossover_on_grid() == 7906
    # A finer grid moves the 'crossover', which an exact answer would not do.
    assert notes_crossover_on_grid(points=400) != 7906
