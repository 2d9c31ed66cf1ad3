"""Fixtures of the browser tests: the built site, a local server, Chromium, one crawl.

The site is the one ``make html`` wrote to ``_build/html`` (``make test`` builds it first);
when it is missing, it is built here. A threaded ``http.server`` serves it on 127.0.0.1 at
a free port. Debian's Chromium (``apt-get install chromium``), driven by Playwright,
visits every page twice, as a desktop (1400 px wide) and as a phone (390 px) sees it; every
request is counted, and any request to another host is recorded and aborted. The pages are
shared out between one browser per CPU core (two at most), which visit them at the same
time. What each visit found is kept in a :class:`PageVisit`, which the tests of
``test_pages.py``, ``test_layout.py`` and ``test_a11y.py`` then check; at both widths
``layout.js`` records what a reader sees of the page (sideways scrolling, equations and
captions cut off, the size at which each figure's labels are drawn).

axe-core is installed by ``make html`` (``npm ci --prefix tests/browser``, with MathJax)
when missing.

Without Chromium, Playwright or axe-core the browser tests skip with a line saying how to
install them, unless ``AI_WORKLOADS_REQUIRE_BROWSER=1`` (set by ``.ci/run``) makes them
fail instead.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
#: The site ``make html`` writes.
SITE = ROOT / "_build" / "html"
#: axe-core, installed by ``npm ci --prefix tests/browser`` (pinned in package-lock.json).
AXE_SCRIPT = HERE / "node_modules" / "axe-core" / "axe.min.js"
#: Where screenshots and the crawl summary go (git-ignored).
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
#: Set to 1 to make missing browser tooling a failure instead of a skip.
REQUIRE_ENV = "AI_WORKLOADS_REQUIRE_BROWSER"
#: Folders of the build that hold no pages of their own.
NOT_PAGES = ("_static", "_sources", "_images")
#: Headless Chromium that starts no background traffic of its own.
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--metrics-recording-only",
    "--dns-prefetch-disable",
)
#: The windows every page is seen in: a desktop's and a phone's (CSS pixels).
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
WIDTHS = (PHONE["width"], DESKTOP["width"])
#: What a reader sees of a page at the window's width (see the file's comments).
LAYOUT = (HERE / "layout.js").read_text(encoding="utf-8")
#: Milliseconds allowed for one page to load, typeset its math or find search results.
TIMEOUT_MS = 30_000
#: Browsers visiting pages at the same time: one per CPU core, at most two (axe-core's
#: checks keep a core busy; more browsers than cores only wait for each other).
CRAWLERS = max(1, min(2, os.cpu_count() or 1))
#: The calculator page's application, and the state it reaches once Python has loaded and
#: answered (or found it cannot start); the crawl waits for it before checking the page.
CALCULATOR = "#calc-app"
CALCULATOR_SETTLED = "#calc-app[data-answers], #calc-app[data-state=unavailable]"
#: Milliseconds allowed for Python to load and answer (bench reports the real figure).
CALCULATOR_TIMEOUT_MS = 90_000
#: Where the site serves Python and the package's wheel: only the calculator fetches them.
RUNTIME_FOLDERS = ("/_static/pyodide/", "/_static/calculator/")
#: Time MathJax needs: wait for its startup promise, then for typesetting to end.
MATHJAX_DONE = """async () => {
  if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) { return false; }
  await MathJax.startup.promise;
  return true;
}"""
#: Load every image now (no lazy loading) and report its natural width.
IMAGES = """async () => {
  const images = Array.from(document.images);
  for (const img of images) { img.loading = "eager"; }
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener("load", done, {once: true});
    img.addEventListener("error", done, {once: true});
  })));
  return images.map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth}));
}"""
#: Math nodes of the page, whether MathJax typeset each, and the visible text outside code.
MATH = """() => {
  const nodes = Array.from(document.querySelectorAll(".math"));
  const main = document.querySelector("main") || document.body;
  const copy = main.cloneNode(true);
  copy.querySelectorAll("pre, code, script, style, .highlight, mjx-container")
      .forEach(node => node.remove());
  return {
    nodes: nodes.length,
    typeset: nodes.filter(node => node.querySelector("mjx-container")).length,
    containers: document.querySelectorAll("mjx-container").length,
    errors: document.querySelectorAll("mjx-merror").length,
    text: copy.textContent,
  };
}"""
#: axe-core over the whole page; only the violations come back.
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
  }));
}"""


def missing(message: str) -> NoReturn:
    """Skip (or fail, when ``AI_WORKLOADS_REQUIRE_BROWSER=1``) with a one-line reason."""
    if os.environ.get(REQUIRE_ENV, "").strip() == "1":
        pytest.fail(f"{message} ({REQUIRE_ENV}=1 requires it)", pytrace=False)
    pytest.skip(message)


def chromium_path() -> Path | None:
    """Debian's Chromium (``AI_WORKLOADS_CHROMIUM`` may name another binary), if present."""
    named = os.environ.get("AI_WORKLOADS_CHROMIUM")
    if named:
        return Path(named) if Path(named).is_file() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def page_paths(site: Path) -> list[str]:
    """Every HTML page of the built site, relative and sorted (assets excluded)."""
    return sorted(
        path.relative_to(site).as_posix()
        for path in site.rglob("*.html")
        if path.relative_to(site).parts[0] not in NOT_PAGES
    )


def is_chapter(path: str) -> bool:
    """A chapter page (screenshotted)."""
    return path.startswith("chapters/")


@dataclass
class PageVisit:
    """What one visit of one page found."""

    path: str
    status: int | None = None
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    runtime_requests: list[str] = field(default_factory=list)  # Python's files (calculator)
    images: list[dict[str, Any]] = field(default_factory=list)
    math: dict[str, Any] = field(default_factory=dict)
    axe: list[dict[str, Any]] | None = None
    screenshot: str | None = None
    #: What ``layout.js`` found, by window width.
    layout: dict[int, dict[str, Any]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Crawl:
    """Every page's visit, the hosts requested, and the local server's address."""

    base: str
    visits: dict[str, PageVisit]
    hosts: Counter[str]
    axe_ran: bool


# -- The site and its server ---------------------------------------------------------------


def build_site() -> None:
    """Run ``make html``'s command when ``_build/html`` is missing.

    A warning (status 1) still leaves a complete site to visit; ``make html`` is where
    warnings fail. An error (status 2) leaves none.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "docs" / "_ext"),
                                                      env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "sitebuild", "-n", "-W", "--keep-going", "-q"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            check=False)
    if result.returncode not in (0, 1) or not (SITE / "index.html").is_file():
        pytest.fail(f"make html failed (status {result.returncode}):\n"
                    f"{result.stdout[-4000:]}{result.stderr[-4000:]}", pytrace=False)


@pytest.fixture(scope="session")
def site() -> Path:
    """The built site (built now if ``_build/html`` has no index page)."""
    if not (SITE / "index.html").is_file():
        build_site()
    return SITE


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files; logs nothing."""

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextlib.contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 at a free port; yields the base URL (ending in /)."""
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def server(site: Path) -> Iterator[str]:
    """The built site, served on 127.0.0.1 for the whole session."""
    with serve(site) as base:
        yield base


# -- The browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_context(server: str) -> Iterator[Any]:
    """One headless Chromium context for every page (light colour scheme, no downloads)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright for Python is missing: pip install -c constraints.txt -e '.[test]'")
    executable = chromium_path()
    if executable is None:
        missing("Chromium is missing: apt-get install chromium")
    with sync_playwright() as playwright, chromium_context(playwright, executable) as context:
        yield context


@contextlib.contextmanager
def chromium_context(playwright: Any, executable: Path) -> Iterator[Any]:
    """A headless Chromium with a fresh profile, as every visit of the site sees it."""
    with tempfile.TemporaryDirectory(prefix="site-browser-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(executable),
            headless=True,
            args=list(CHROMIUM_ARGS),
            ignore_default_args=["--headless"],
            viewport=DESKTOP,
            color_scheme="light",
            accept_downloads=False,
            service_workers="block",
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


def local(url: str, base: str) -> bool:
    """A URL served by the local server, or one that needs no network at all."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "file"):
        return True
    return parts.netloc == urlsplit(base).netloc and parts.scheme == "http"


def foreign_requests(base: str) -> re.Pattern[str]:
    """A pattern matching every URL that is neither on the local server nor network-free
    (a ``file:`` address is a page of the site opened from disk).

    >>> pattern = foreign_requests("http://127.0.0.1:8000/")
    >>> [bool(pattern.match(url)) for url in ("http://127.0.0.1:8000/a.css",
    ...  "https://cdn.example.org/x.js", "data:image/png;base64,AA", "http://127.0.0.1:9/",
    ...  "file:///site/index.html")]
    [False, True, False, True, False]
    """
    return re.compile("^(?!" + re.escape(base) + "|data:|blob:|about:|file:)")


def load(page: Any, url: str) -> tuple[Any, list[dict[str, Any]]]:
    """Open ``url`` and wait until its images are loaded and its math typeset (and, on the
    calculator page, its first answer); the response and the images."""
    response = page.goto(url, wait_until="load")
    images = page.evaluate(IMAGES)
    if page.query_selector(CALCULATOR) is not None:
        page.wait_for_selector(CALCULATOR_SETTLED, state="attached",
                               timeout=CALCULATOR_TIMEOUT_MS)
    if page.evaluate("() => document.querySelectorAll('.math').length") > 0:
        page.wait_for_function("() => window.MathJax && window.MathJax.startup "
                               "&& window.MathJax.startup.promise")
        page.evaluate(MATHJAX_DONE)
    return response, images


def visit(page: Any, base: str, path: str, visit_record: PageVisit, axe: bool) -> None:
    """Load one page as a desktop shows it, wait for its images and math, record its layout,
    run axe, screenshot a chapter."""
    start = time.perf_counter()
    response, visit_record.images = load(page, base + path)
    visit_record.status = None if response is None else response.status
    visit_record.math = page.evaluate(MATH)
    visit_record.layout[DESKTOP["width"]] = page.evaluate(LAYOUT)
    visit_record.seconds["load"] = time.perf_counter() - start
    if axe:
        start = time.perf_counter()
        page.add_script_tag(path=str(AXE_SCRIPT))
        visit_record.axe = page.evaluate(AXE_RUN)
        visit_record.seconds["axe"] = time.perf_counter() - start
    if is_chapter(path):
        start = time.perf_counter()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / (Path(path).stem + ".png")
        page.screenshot(path=str(shot), full_page=True)
        visit_record.screenshot = shot.relative_to(ROOT).as_posix()
        visit_record.seconds["screenshot"] = time.perf_counter() - start


def visit_as_phone(page: Any, base: str, path: str, visit_record: PageVisit) -> None:
    """Load one page in a phone's window (MathJax breaks its equations for that width as it
    typesets them, so the page is loaded anew), record its layout, screenshot a chapter."""
    start = time.perf_counter()
    load(page, base + path)
    visit_record.layout[PHONE["width"]] = page.evaluate(LAYOUT)
    if is_chapter(path):
        page.screenshot(path=str(SCREENSHOTS / (Path(path).stem + "-phone.png")), full_page=True)
    visit_record.seconds["phone"] = time.perf_counter() - start


def share_out(site: Path, paths: list[str], crawlers: int) -> list[list[str]]:
    """Pages for each crawler: the biggest first, each to the crawler with the fewest bytes
    so far (a page's checks take time in proportion to its size), each list sorted.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for name, size in {"a.html": 900, "b.html": 500, "c.html": 300, "d.html": 200}.items():
    ...         _ = (Path(tmp) / name).write_text("x" * size)
    ...     share_out(Path(tmp), ["a.html", "b.html", "c.html", "d.html"], 2)
    [['a.html'], ['b.html', 'c.html', 'd.html']]
    """
    groups: list[list[str]] = [[] for _ in range(max(1, crawlers))]
    loads = [0] * len(groups)
    for path in sorted(paths, key=lambda p: (-(site / p).stat().st_size, p)):
        lightest = loads.index(min(loads))
        groups[lightest].append(path)
        loads[lightest] += (site / path).stat().st_size
    return [sorted(group) for group in groups if group]


def crawl_pages(context: Any, server: str, paths: list[str], visits: dict[str, PageVisit],
                hosts: Counter[str], axe: bool) -> None:
    """Visit ``paths`` in one browser context, filling their records in ``visits``."""
    current: list[PageVisit] = []

    def on_request(request: Any) -> None:
        parts = urlsplit(request.url)
        hosts[parts.netloc or parts.scheme] += 1
        if current and any(folder in parts.path for folder in RUNTIME_FOLDERS):
            current[0].runtime_requests.append(parts.path)

    def abort(route: Any) -> None:
        if current:
            current[0].foreign_requests.append(route.request.url)
        route.abort()

    def on_console(message: Any) -> None:
        if message.type == "error" and current:
            current[0].console_errors.append(f"console: {message.text}")

    def on_page_error(error: Any) -> None:
        if current:
            current[0].console_errors.append(f"uncaught: {error}")

    def on_failed(request: Any) -> None:
        if current and local(request.url, server):
            current[0].failed_requests.append(f"{request.url} ({request.failure})")

    def on_response(response: Any) -> None:
        if current and response.status >= 400:
            current[0].failed_requests.append(f"{response.url} (HTTP {response.status})")

    # Only requests for another host are intercepted (the pattern is matched inside the
    # browser's driver); the site's own requests load at full speed and are only counted.
    context.route(foreign_requests(server), abort)
    page = context.new_page()
    phone = context.new_page()
    phone.set_viewport_size(PHONE)
    for tab in (page, phone):
        tab.on("request", on_request)
        tab.on("console", on_console)
        tab.on("pageerror", on_page_error)
        tab.on("requestfailed", on_failed)
        tab.on("response", on_response)
    try:
        for path in paths:
            current[:] = [visits[path]]
            visit(page, server, path, visits[path], axe)
            visit_as_phone(phone, server, path, visits[path])
    finally:
        current.clear()
        page.close()
        phone.close()


@pytest.fixture(scope="session")
def crawl(browser_context: Any, server: str, site: Path) -> Crawl:
    """Visit every page once, recording what each one requested and showed.

    The first share of the pages is visited in ``browser_context``; each other share in a
    browser of its own, started in a thread (Playwright wants one instance per thread).
    """
    from playwright.sync_api import sync_playwright

    axe = AXE_SCRIPT.is_file()
    paths = page_paths(site)
    visits = {path: PageVisit(path) for path in paths}
    shares = share_out(site, paths, CRAWLERS)
    hosts: list[Counter[str]] = [Counter() for _ in shares]
    errors: list[BaseException] = []
    executable = chromium_path()

    def crawl_in_own_browser(index: int) -> None:
        try:
            assert executable is not None
            with sync_playwright() as playwright, \
                    chromium_context(playwright, executable) as context:
                crawl_pages(context, server, shares[index], visits, hosts[index], axe)
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=crawl_in_own_browser, args=(index,),
                                name=f"crawler-{index}") for index in range(1, len(shares))]
    for thread in threads:
        thread.start()
    try:
        crawl_pages(browser_context, server, shares[0], visits, hosts[0], axe)
    finally:
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    result = Crawl(server, visits, sum(hosts, Counter()), axe)
    write_summary(result)
    return result


def write_summary(result: Crawl) -> None:
    """``test-artifacts/browser-crawl.json``: every visit, the hosts and axe's findings."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    impacts: Counter[str] = Counter(
        str(v["impact"]) for visit_record in result.visits.values()
        for v in visit_record.axe or []
    )
    summary = {
        "pages": len(result.visits),
        "hosts": dict(result.hosts),
        "axe_ran": result.axe_ran,
        "axe_violations_by_impact": dict(impacts),
        "visits": {
            path: {k: v for k, v in asdict(record).items() if k != "math"}
            | {"math": {k: v for k, v in record.math.items() if k != "text"}}
            for path, record in result.visits.items()
        },
    }
    (ARTIFACTS / "browser-crawl.json").write_text(json.dumps(summary, indent=1) + "\n",
                                                  encoding="utf-8")
