"""The calculator's roofline drawing: well-formed, accessible, and every step on the roof.

Every decode step's attained FLOP/s per device must be ``min(peak, bandwidth · intensity)``
(the roofline model: the step takes the longer of its compute time and its memory time),
computed here from the roofline answer's own numbers; and each circle drawn must lie on
the roof line drawn, in the drawing's coordinates. The sweep's batches are checked by hand.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from ai_workloads.calculator import answer, read_question
from ai_workloads.calculator.answer import answers
from ai_workloads.calculator.chart import MAX_SWEEP, roofline_svg, sweep_batches
from ai_workloads.present.answers import roofline_answer

SVG = "{http://www.w3.org/2000/svg}"

CASES = [
    {"model": "llama-3-8b"},
    {"model": "llama-2-70b", "hardware": "h100-sxm", "devices": "2", "context": "2048"},
    {"model": "llama-2-7b", "hardware": "b200", "batch": "512", "context": "16",
     "dtype": "fp8"},                                     # compute-bound, in fp8
    {"model": "mixtral-8x7b", "hardware": "mi300x", "devices": "8", "batch": "100",
     "context": "32768", "dtype": "int4"},
    {"model": "gpt-oss-120b", "hardware": "gb300", "batch": "3", "context": "131072"},
    {"model": "gemma-2b", "hardware": "tpu-v4", "batch": "64", "context": "1"},
    {"model": "deepseek-v3", "hardware": "h200", "devices": "8", "batch": "1",
     "context": "100000"},                                # fits no batch: max_batch 0
    {"model": "gpt2", "hardware": "custom", "chip_bf16": "0.5", "chip_bandwidth": "1",
     "chip_capacity": "1"},                               # a tiny chip of the reader's own
]


def drawing(fields: dict[str, str]) -> tuple[str, dict[str, Any], dict[str, Any], Any]:
    """The SVG for ``fields`` with what it was drawn from: (svg, chosen, sweep, question)."""
    q = read_question(fields)
    chosen = answers(q)["roofline"]
    sweep = roofline_answer(q.model, q.chip, q.context,
                            sweep_batches(q.batch, chosen["max_batch"]), q.dtype, q.kv_dtype,
                            devices=q.devices)
    return roofline_svg(q.chip, chosen, sweep, q.devices), chosen, sweep, q


def pairs(points: str) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for a, b in (p.split(",") for p in points.split())]


def roof_y(roof: list[tuple[float, float]], cx: float) -> float:
    """The drawn roof's height at ``cx`` (the polyline is straight between its points)."""
    for (xa, ya), (xb, yb) in itertools.pairwise(roof):
        if xa <= cx <= xb:
            return ya + (yb - ya) * (cx - xa) / (xb - xa) if xb > xa else min(ya, yb)
    raise AssertionError(f"circle at x={cx} is outside the roof {roof}")


@pytest.mark.parametrize("fields", CASES, ids=lambda f: f["model"] + "-" + f.get("hardware",
                                                                                   "default"))
def test_the_svg_is_well_formed_with_title_and_description(fields: dict[str, str]) -> None:
    svg, chosen, sweep, q = drawing(fields)
    assert answer(fields)["chart"] == svg            # the page shows this drawing
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None
    assert desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert (title.text or "").startswith(f"Roofline of {q.chip.name} in "
                                         f"{chosen['compute_dtype']}")
    text = desc.text or ""
    assert f"batch {q.batch} " in text
    assert f"{chosen['steps'][0]['bound']}-bound" in text
    assert ", ".join(str(s["batch"]) for s in sweep["steps"]) in text


@pytest.mark.parametrize("fields", CASES, ids=lambda f: f["model"] + "-" + f.get("hardware",
                                                                                   "default"))
def test_every_step_attains_the_roof(fields: dict[str, str]) -> None:
    _, chosen, sweep, q = drawing(fields)
    peak, bandwidth = q.chip.peak(chosen["compute_dtype"]), q.chip.bandwidth
    assert chosen["ridge_point"] == pytest.approx(peak / bandwidth, rel=1e-12)
    for step in [*sweep["steps"], chosen["steps"][0]]:
        attained = step["flops"] / (step["time_s"] * q.devices)
        intensity = step["flops"] / step["bytes"]
        assert step["intensity"] == pytest.approx(intensity, rel=1e-12)
        assert attained == pytest.approx(min(peak, bandwidth * intensity), rel=1e-9)
        assert step["bound"] == ("memory" if bandwidth * intensity < peak else "compute")


@pytest.mark.parametrize("fields", CASES, ids=lambda f: f["model"] + "-" + f.get("hardware",
                                                                                   "default"))
def test_every_circle_lies_on_the_drawn_roof(fields: dict[str, str]) -> None:
    svg, _, sweep, _ = drawing(fields)
    root = ET.fromstring(svg)
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 1
    roof = pairs(lines[0].get("points", ""))
    assert len(roof) == 3
    assert roof[1][1] == roof[2][1]
    circles = root.findall(f"{SVG}circle")
    open_ = [c for c in circles if c.get("fill") == "none"]
    filled = [c for c in circles if c.get("fill") != "none"]
    assert len(open_) == len(sweep["steps"])
    assert len(filled) == 1
    for circle in circles:
        cx, cy = float(circle.get("cx", "nan")), float(circle.get("cy", "nan"))
        # Coordinates are written to 0.01 units, so allow a few hundredths of rounding.
        assert cy == pytest.approx(roof_y(roof, cx), abs=0.05), (cx, cy)


def test_a_chip_name_is_escaped() -> None:
    name = 'a<b & "c">'
    fields = {"model": "gpt2", "hardware": "custom", "chip_name": name, "chip_bf16": "100",
              "chip_bandwidth": "1000", "chip_capacity": "16"}
    svg = answer(fields)["chart"]
    assert name not in svg
    title = ET.fromstring(svg).find(f"{SVG}title")
    assert title is not None
    assert title.text == f"Roofline of {name} in bf16, with this decode step"


@pytest.mark.parametrize(("batch", "largest", "expected"), [
    (1, 0, (1,)),
    (1, 1, (1,)),
    (8, 49, (1, 2, 4, 8, 16, 32, 49)),
    (100, 3, (1, 2, 3, 4, 8, 16, 32, 64, 100)),
    (5, 5, (1, 2, 4, 5)),
    (64, 64, (1, 2, 4, 8, 16, 32, 64)),
    (3, 0, (1, 2, 3)),
    # Beyond 2**16 only the reader's own batch is drawn, not the largest that fits.
    (1, MAX_SWEEP + 5, tuple(1 << k for k in range(17))),
    (MAX_SWEEP + 5, 0, (*(1 << k for k in range(17)), MAX_SWEEP + 5)),
])
def test_sweep_batches_by_hand(batch: int, largest: int, expected: tuple[int, ...]) -> None:
    assert sweep_batches(batch, largest) == expected


def test_the_drawing_is_deterministic() -> None:
    fields = CASES[3]
    first = answer(fields)["chart"]
    assert answer(dict(fields))["chart"] == first
    assert drawing(fields)[0] == drawing(fields)[0] == first
