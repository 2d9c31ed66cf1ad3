"""Tests of sweep: values against hand derivations and independent sources."""

from __future__ import annotations

import pytest

from ai_workloads.analysis.sweep import decode_grid
from ai_workloads.catalog import get_accelerator, get_model
from ai_workloads.core.errors import WorkloadError


def test_sweep_rejects_bad_axes() -> None:
    with pytest.raises(WorkloadError):
        decode_grid([get_model("gpt2")], [get_accelerator("h200")], [0, 1], [1])
    with pytest.raises(WorkloadError):
        decode_grid([get_model("gpt2")], [get_accelerator("h200")], [1.5], [1])

