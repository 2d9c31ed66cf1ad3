"""The block diagram: one panel per norm placement asked for, each with the MLP of the
models it stands for, legible on a phone, with every label inside its box."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ai_workloads.core.errors import WorkloadError
from ai_workloads.present.figures.block import block_diagram

sys.path.insert(0, str(Path(__file__).parent))
from test_figures_heads import (
    SMALLEST_PX,
    labels_outside_their_boxes,
    smallest_label_px,
)


def test_block_diagram_panels() -> None:
    assert [ax.get_title() for ax in block_diagram().axes] == [
        "pre-norm, as in Llama", "post-norm, as in the original\nTransformer and BERT"]
    assert len(block_diagram(["pre"]).axes) == 1
    with pytest.raises(WorkloadError, match="norm placement"):
        block_diagram(["middle"])


def test_each_panel_draws_the_mlp_of_its_models() -> None:
    # Llama's MLP is gated (gate_proj, up_proj, down_proj); BERT's and the 2017
    # Transformer's have two matrices (Vaswani et al., 2017, eq. 2).
    pre = [t.get_text() for t in block_diagram(["pre"]).axes[0].texts]
    post = [t.get_text() for t in block_diagram(["post"]).axes[0].texts]
    assert any("W_\\mathrm{gate}" in t for t in pre)
    assert not any("gate" in t for t in post)
    assert any("$W_1$, $W_2$" in t for t in post)
    # Pre-norm ends in a final norm; post-norm normalizes after each of its two additions.
    assert "final norm" in pre
    assert "final norm" not in post
    assert post.count("norm") == 2


@pytest.mark.parametrize("placement", ["pre", "post"])
def test_panels_are_legible_on_a_phone(placement: str) -> None:
    fig = block_diagram([placement])
    assert smallest_label_px(fig) >= SMALLEST_PX
    assert labels_outside_their_boxes(fig) == []
