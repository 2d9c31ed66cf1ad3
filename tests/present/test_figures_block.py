"""The block diagram: one panel per norm placement asked for."""

from __future__ import annotations

import pytest

from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.figures.block import block_diagram


def test_block_diagram_panels() -> None:
    assert [ax.get_title() for ax in block_diagram().axes] == [
        "pre-norm: x + f(norm(x))", "post-norm: norm(x + f(x))"]
    assert len(block_diagram(["pre"]).axes) == 1
    with pytest.raises(WorkloadError, match="norm placement"):
        block_diagram(["middle"])
