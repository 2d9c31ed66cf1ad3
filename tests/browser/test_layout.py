"""Every page reads on a phone (390 px) and on a desktop (1400 px).

At both widths (the ``crawl`` fixture loads each page in both windows; ``layout.js`` says
exactly what is measured):

* no page scrolls sideways: the document is no wider than the window;
* no displayed equation is cut off: every glyph and rule of it lies inside the part of the
  window its boxes let the reader see (nothing hidden in a scroll box or past the window's
  edge), and none lies under the equation's number;
* no table or figure caption is cut off, by the same measure for each line of its text;
* every figure's labels are drawn at least :data:`LEGIBLE_PX` tall: the figures set their
  labels in 10-pt type, which an SVG drawn at ``w`` CSS pixels of its natural width ``n``
  shows ``10 * 96/72 * w/n`` pixels tall.

A last test plants each fault in a page of its own and checks that ``layout.js`` sees it.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import LAYOUT, PHONE, WIDTHS, Crawl

pytestmark = pytest.mark.browser

#: Smallest label height (CSS pixels) a reader can be asked to read.
LEGIBLE_PX = 7.0


def per_page(crawl: Crawl, width: int, key: str) -> dict[str, Any]:
    """``layout.js``'s findings under ``key`` at ``width``, for every page that has any."""
    return {path: visit.layout[width][key] for path, visit in crawl.visits.items()
            if visit.layout[width][key]}


def small_labels(crawl: Crawl, width: int) -> dict[str, list[str]]:
    """Figures whose labels are drawn below LEGIBLE_PX at ``width``, by figure."""
    small: dict[str, list[str]] = {}
    for path, visit in crawl.visits.items():
        for figure in visit.layout[width]["figures"]:
            if figure["label"] < LEGIBLE_PX:
                small.setdefault(figure["figure"], []).append(
                    f"{path}: labels {figure['label']} px ({figure['natural']} px wide, "
                    f"shown at {figure['shown']} px)")
    return small


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_was_measured_at(crawl: Crawl, width: int) -> None:
    layouts = [visit.layout[width] for visit in crawl.visits.values()]
    assert all(layout["width"] == width for layout in layouts)
    # The checks saw real equations, captions and figures.
    assert sum(layout["equationsChecked"] for layout in layouts) > 0
    assert sum(layout["captionsChecked"] for layout in layouts) > 0
    assert sum(len(layout["figures"]) for layout in layouts) > 0


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(crawl: Crawl, width: int) -> None:
    wide = {path: visit.layout[width]["scrollWidth"] for path, visit in crawl.visits.items()
            if visit.layout[width]["scrollWidth"] > visit.layout[width]["width"]}
    assert not wide, f"pages wider than the {width}-px window (their width): {wide}"


@pytest.mark.parametrize("width", WIDTHS)
def test_no_displayed_equation_is_cut(crawl: Crawl, width: int) -> None:
    cut = per_page(crawl, width, "equations")
    assert not cut, f"equations cut off at {width} px: {cut}"


@pytest.mark.parametrize("width", WIDTHS)
def test_no_caption_is_cut(crawl: Crawl, width: int) -> None:
    cut = per_page(crawl, width, "captions")
    assert not cut, f"captions cut off at {width} px: {cut}"


@pytest.mark.parametrize("width", WIDTHS)
def test_figure_labels_are_legible(crawl: Crawl, width: int) -> None:
    small = small_labels(crawl, width)
    assert not small, f"figures with labels below {LEGIBLE_PX} px at {width} px: {small}"


#: One page with each fault: a displayed equation wider than its scroll box, one under its
#: number, a caption wider than its table's scroll box, a figure shrunk to a third of its
#: natural width, and a line of code that widens the page.
PLANTED = """
<style>
  body { margin: 0; width: 390px; }
  .box { width: 300px; overflow-x: auto; }
  .eqno { float: right; }
</style>
<main>
  <div class="math" id="wide"><mjx-container display="true" class="box" style="display:block">
    <svg width="600" height="20"><rect x="0" y="0" width="600" height="20"/></svg>
  </mjx-container></div>
  <div class="math" id="under">
    <span class="eqno" style="position:absolute;left:10px">(1)</span>
    <mjx-container display="true" style="display:block">
      <svg width="200" height="20"><rect x="0" y="0" width="200" height="20"/></svg>
    </mjx-container></div>
  <div class="box"><table style="width:900px"><caption>A caption that is far longer than
    the box it scrolls in, so most of it lies beyond the box's right edge</caption>
    <tr><td>x</td></tr></table></div>
  <figure id="shrunk"><img style="width:200px" src="data:image/svg+xml,%3Csvg
    xmlns='http://www.w3.org/2000/svg' width='450pt' height='90pt'%3E%3C/svg%3E"></figure>
  <p><code style="white-space:nowrap;font-size:30px">a_long_module_name.not_wrapping</code></p>
</main>
"""


def test_layout_sees_every_planted_fault(browser_context: Any) -> None:
    page = browser_context.new_page()
    try:
        page.set_viewport_size(PHONE)
        page.set_content(PLANTED)
        page.wait_for_function("() => document.images[0].complete")
        layout = page.evaluate(LAYOUT)
    finally:
        page.close()
    assert layout["scrollWidth"] > PHONE["width"]
    assert {(e["id"], e["why"]) for e in layout["equations"]} == {
        ("wide", "cut off at the edge of its box"), ("under", "drawn under its number")}
    [caption] = layout["captions"]
    assert caption.startswith("A caption")
    # 450 pt is 600 CSS px, shown at 200 px: a 10-pt label is drawn 40/3 / 3 px tall.
    [figure] = layout["figures"]
    assert figure["figure"] == "shrunk"
    assert figure["natural"] == 600
    assert figure["label"] == pytest.approx(10 * 96 / 72 / 3, abs=0.01)
