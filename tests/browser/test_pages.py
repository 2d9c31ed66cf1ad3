"""Every page of the built site in Chromium: it loads, offline, whole, with its math typeset.

One crawl (the ``crawl`` fixture of ``conftest.py``) visits every page; each test checks one
property over all pages and names every page that fails it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import MATH, ROOT, SCREENSHOTS, Crawl, is_chapter, load, page_paths

pytestmark = pytest.mark.browser

#: Sphinx's search page, asked for a phrase the chapters use.
SEARCH_QUERY = "KV cache"
#: TeX delimiters that must not survive typesetting in a page's text (outside code).
RAW_TEX = re.compile(r"\$\$|\\\(|\\\[")


def failures(crawl: Crawl, attribute: str) -> dict[str, Any]:
    """Pages whose visit recorded something under ``attribute``."""
    return {path: getattr(visit, attribute) for path, visit in crawl.visits.items()
            if getattr(visit, attribute)}


def test_every_page_is_visited(crawl: Crawl, site: Path) -> None:
    pages = set(crawl.visits)
    assert pages == set(page_paths(site))
    for expected in ("index.html", "search.html", "genindex.html"):
        assert expected in pages
    assert any(is_chapter(path) for path in pages)


def test_every_page_answers_200(crawl: Crawl) -> None:
    bad = {path: visit.status for path, visit in crawl.visits.items() if visit.status != 200}
    assert not bad, f"pages not served with status 200: {bad}"


def test_no_console_errors(crawl: Crawl) -> None:
    bad = failures(crawl, "console_errors")
    assert not bad, f"console errors: {bad}"


def test_no_failed_requests(crawl: Crawl) -> None:
    bad = failures(crawl, "failed_requests")
    assert not bad, f"failed requests: {bad}"


def test_no_request_leaves_the_local_server(crawl: Crawl) -> None:
    bad = failures(crawl, "foreign_requests")
    assert not bad, f"requests to other hosts (aborted): {bad}"
    server = crawl.base.split("/")[2]
    assert set(crawl.hosts) == {server}, dict(crawl.hosts)


def test_every_image_loads(crawl: Crawl) -> None:
    broken = {
        path: [image["src"] for image in visit.images if not image["width"]]
        for path, visit in crawl.visits.items()
    }
    broken = {path: srcs for path, srcs in broken.items() if srcs}
    assert not broken, f"images that did not load (naturalWidth 0): {broken}"
    # The chapters draw figures: the check saw real images.
    assert sum(len(visit.images) for visit in crawl.visits.values()) > 0


def test_math_is_typeset(crawl: Crawl) -> None:
    with_math = {path: visit.math for path, visit in crawl.visits.items()
                 if visit.math["nodes"]}
    assert with_math, "no page has math: the check would prove nothing"
    bad: dict[str, str] = {}
    for path, math in with_math.items():
        if math["typeset"] != math["nodes"]:
            bad[path] = f"{math['nodes'] - math['typeset']} of {math['nodes']} math nodes untouched"
        elif math["errors"]:
            bad[path] = f"{math['errors']} MathJax errors"
    for path, visit in crawl.visits.items():
        raw = RAW_TEX.search(visit.math["text"])
        if raw:
            start = max(0, raw.start() - 40)
            bad[path] = f"raw TeX left in the text: {visit.math['text'][start:raw.end() + 40]!r}"
    assert not bad, bad


def test_each_chapter_has_a_screenshot(crawl: Crawl) -> None:
    chapters = [path for path in crawl.visits if is_chapter(path)]
    for path in chapters:
        shot = ROOT / str(crawl.visits[path].screenshot)
        assert shot.parent == SCREENSHOTS
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path


def test_search_finds_the_kv_cache(crawl: Crawl, browser_context: Any) -> None:
    page = browser_context.new_page()
    try:
        page.goto(crawl.base + "search.html?q=" + SEARCH_QUERY.replace(" ", "+"))
        # The summary is written once the search has finished.
        page.wait_for_function("() => (document.querySelector('#search-results "
                               ".search-summary') || {}).textContent?.includes('found')")
        links = page.eval_on_selector_all("#search-results ul.search li a",
                                          "links => links.map(a => a.getAttribute('href'))")
        summary = page.inner_text("#search-results .search-summary")
    finally:
        page.close()
    assert links, summary
    assert any("chapters/" in link for link in links), links
    assert "found" in summary


def test_theme_switch_changes_the_colours(crawl: Crawl, browser_context: Any) -> None:
    page = browser_context.new_page()
    background = "() => getComputedStyle(document.body).backgroundColor"
    theme = "() => document.documentElement.dataset.theme"
    seen: dict[str, tuple[str, str]] = {}
    try:
        page.goto(crawl.base + "index.html")
        for mode in ("dark", "light"):
            page.locator(".theme-switch-button:visible").first.click()
            page.locator(f".theme-change-button[data-mode={mode}]:visible").first.click()
            page.wait_for_function(f"() => document.documentElement.dataset.theme === '{mode}'")
            seen[mode] = (page.evaluate(theme), page.evaluate(background))
    finally:
        page.evaluate("() => localStorage.clear()")
        page.close()
    assert seen["dark"][0] == "dark"
    assert seen["light"][0] == "light"
    assert seen["dark"][1] != seen["light"][1], seen


def test_a_page_opened_from_disk_typesets_its_math(site: Path, browser_context: Any) -> None:
    """A chapter opened as a file (``_build/html/...``, as the README offers): MathJax
    typesets every equation and nothing fails; its speech worker may read no file there,
    so the page's settings leave speech off."""
    chapter = next(path for path in page_paths(site)
                   if is_chapter(path) and 'class="math' in (site / path).read_text("utf-8"))
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("console", lambda message: message.type == "error"
            and errors.append(f"console: {message.text}"))
    page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
    try:
        load(page, (site / chapter).as_uri())
        math = page.evaluate(MATH)
        page.wait_for_timeout(1000)  # the speech worker, when it runs, fails within this
    finally:
        page.close()
    assert math["nodes"] > 0
    assert math["typeset"] == math["nodes"], math
    assert not errors, errors
