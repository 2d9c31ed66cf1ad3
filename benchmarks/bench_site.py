"""The site build and the test run: how long they take, the chapters' own share, page weight.

Builds a copy of the site (``docs/`` and ``conf.py`` copied into a temporary folder, so the
repository is never touched) with ``python -m sitebuild -n --keep-going`` (``docs/_ext`` on
``PYTHONPATH``), the command of ``make html``, and times

* a cold build: a fresh output folder, so every chapter executes (an empty cache);
* ``make html`` with no change (three times; the median counts): the build finds every
  input as the last passing build saw it and stops before Sphinx starts;
* a rebuild after a sentence is appended to one chapter (the page is re-read, its code
  comes from the cache), and after a code cell is appended to it (the chapter re-executes);
* the bare execution of every chapter's code, one kernel per chapter as in the build but
  without Sphinx (myst-nb's reader turns each page into a notebook, nbclient runs it);
* ``make test`` in a copy of the whole checkout with no build folder (lint, a cold site
  build, every test including the browser tests), using the installed ``.venv``.

The ratio cold build / bare execution is the build's overhead (1.0 is the floor). It also
counts what a first-time reader downloads for each chapter: the page's HTML and the images
it shows, with the theme's and Sphinx's shared files (``_static``, the search index)
counted once, separately. 1 KB = 1000 bytes. The load average of the machine is recorded
before and after: other work on the machine slows every figure here.

Targets on a 2-core machine: cold build <= 45 s, no-change ``make html`` <= 3 s,
``make test`` <= 300 s, ratio <= 2.0, no chapter above 500 KB of its own.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Where the site's build machinery lives (``python -m sitebuild``).
EXTENSIONS = ROOT / "docs" / "_ext"
#: The chapter edited for the rebuild timings (the first numbered chapter if it is gone).
EDITED_CHAPTER = "07-memory-wall"
#: Seconds any one build may take.
BUILD_TIMEOUT = 900
#: Seconds a cell may take in the bare execution (as ``nb_execution_timeout``).
CELL_TIMEOUT = 120
#: Seconds ``make test`` may take before the benchmark gives up.
TEST_TIMEOUT = 1800
#: Targets (seconds, ratio, bytes).
TARGET_COLD_S = 45.0
TARGET_NO_CHANGE_S = 3.0
TARGET_TEST_S = 300.0
TARGET_RATIO = 2.0
TARGET_CHAPTER_BYTES = 500_000
#: What ``make test`` needs of the checkout (the rest is built or installed).
CHECKOUT = ("Makefile", "pyproject.toml", "constraints.txt", "conf.py", "README.md",
            "LICENSE", "src", "tests", "docs", "benchmarks")
#: No-change rebuilds timed (the median is reported; a rebuild takes a few seconds).
NO_CHANGE_REPEATS = 3
#: Local resources a page loads: stylesheets, scripts, images.
LOADS = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"#?]+)(?:[?#][^"]*)?"')
IMAGES = re.compile(r'<img\b[^>]*?\bsrc="([^"#?]+)"')


@dataclass(frozen=True)
class BuildTime:
    """One timed build: seconds of wall time and the exit status (0 ok, 1 warnings)."""

    seconds: float
    status: int


def copy_site(target: Path) -> Path:
    """Copy ``docs/`` and ``conf.py`` into ``target``; return ``target``."""
    shutil.copytree(ROOT / "docs", target / "docs",
                    ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints"))
    shutil.copy2(ROOT / "conf.py", target / "conf.py")
    return target


def with_extensions(environ: Mapping[str, str], folder: Path = EXTENSIONS) -> dict[str, str]:
    """A copy of ``environ`` with ``CI`` unset and ``folder`` first on ``PYTHONPATH``.

    >>> with_extensions({"CI": "1", "PYTHONPATH": "x"}, Path("ext"))
    {'PYTHONPATH': 'ext:x'}
    """
    env = {k: v for k, v in environ.items() if k != "CI"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")]))
    return env


def build(site: Path, fingerprint: str, jobs: str = "auto") -> BuildTime:
    """Run ``make html``'s command on a copied site; local (cached) execution mode.

    The package fingerprint is fixed for the whole benchmark, so an edit to the package
    made meanwhile (which would re-execute every chapter) does not skew the rebuilds.
    """
    command = [sys.executable, "-m", "sitebuild", "-n", "--keep-going", "-q",
               "-j", jobs, "--source", str(site / "docs"), "--confdir", str(site),
               "--out", str(site / "_build"), "-D", f"ai_workloads_fingerprint={fingerprint}"]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=site, env=with_extensions(os.environ),
                            capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False)
    seconds = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise RuntimeError(f"site build failed (status {result.returncode}):\n"
                           f"{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return BuildTime(seconds, result.returncode)


def time_make_test(target: Path) -> BuildTime:
    """``make test`` in a copy of the checkout (no build folder), with the installed venv.

    The copy's own ``src`` comes first on the path; the venv's install stamp is replaced by
    one newer than the copied ``pyproject.toml``, so nothing is reinstalled.
    """
    for name in CHECKOUT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, symlinks=True, ignore=shutil.ignore_patterns(
                "_build", "__pycache__", ".ipynb_checkpoints", "test-artifacts"))
        elif source.is_file():
            shutil.copy2(source, target / name)
    stamp = target / ".installed-stamp"
    stamp.touch()
    venv = Path(sys.prefix)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(target / "src")
    command = ["make", "-s", "test", f"VENV={venv}", f"STAMP={stamp}"]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=target, env=env, capture_output=True, text=True,
                            timeout=TEST_TIMEOUT, check=False)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"make test failed (status {result.returncode}):\n"
                           f"{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return BuildTime(seconds, result.returncode)


def chapter_sources(docs: Path) -> list[Path]:
    """Every page that is a notebook (front matter with a kernelspec), sorted."""
    return sorted(p for p in docs.rglob("*.md")
                  if "_build" not in p.parts and "\nkernelspec:" in p.read_text("utf-8")[:2000])


def edited_chapter(docs: Path) -> Path:
    """The chapter whose copy is edited for the rebuild timings."""
    preferred = docs / "chapters" / f"{EDITED_CHAPTER}.md"
    if preferred.is_file():
        return preferred
    numbered = [p for p in chapter_sources(docs) if p.name[:1].isdigit()]
    if not numbered:
        raise RuntimeError(f"no chapter to edit under {docs}")
    return numbered[0]


def execute_bare(sources: Iterable[Path]) -> dict[str, float]:
    """Seconds to run each chapter's code in its own kernel, without Sphinx."""
    from myst_nb.core.read import read_myst_markdown_notebook  # type: ignore[import-untyped]
    from nbclient import NotebookClient
    from sitebuild.kernels import IPCKernelManager

    seconds: dict[str, float] = {}
    for source in sources:
        start = time.perf_counter()
        notebook = read_myst_markdown_notebook(source.read_text(encoding="utf-8"))
        client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                                kernel_manager_class=IPCKernelManager,
                                shutdown_kernel="immediate",
                                resources={"metadata": {"path": str(source.parent)}})
        client.execute()
        seconds[source.stem] = time.perf_counter() - start
    return seconds


def resolve(page: str, url: str) -> str:
    """A page-relative URL as a path relative to the site root.

    >>> resolve("chapters/a.html", "../_images/x.svg")
    '_images/x.svg'
    """
    parts: list[str] = []
    for part in (PurePosixPath(page).parent / url).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def local_loads(html: Path, page: str, pattern: re.Pattern[str] = LOADS) -> set[str]:
    """Files of the site that a page loads (site-relative paths); other hosts excluded."""
    text = (html / page).read_text(encoding="utf-8")
    return {resolve(page, url) for url in pattern.findall(text)
            if not re.match(r"^[a-z][a-z0-9+.-]*:|^//", url)
            and (html / resolve(page, url)).is_file()}


def page_weights(html: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Bytes of each chapter's own content (HTML and images) and of the shared files.

    The shared files are what any page loads outside its own images: ``_static`` (theme,
    Sphinx, MathJax), counted once; ``searchindex.js`` is included as every page loads it.
    """
    pages = sorted(p.relative_to(html).as_posix() for p in html.rglob("*.html")
                   if p.relative_to(html).parts[0] not in ("_static", "_sources"))
    own: dict[str, int] = {}
    shared: set[str] = set()
    for page in pages:
        images = local_loads(html, page, IMAGES)
        loads = local_loads(html, page) - images
        shared |= {f for f in loads if f.startswith("_static/")}
        if page.startswith("chapters/"):
            own[page] = (html / page).stat().st_size + sum(
                (html / f).stat().st_size for f in images if not f.startswith("_static/"))
    shared.add("searchindex.js")
    # Fonts and images that stylesheets pull in live in _static too: count all of _static
    # that a page can reach as the theme's cost (an upper bound of one first visit).
    static = {f.relative_to(html).as_posix(): f.stat().st_size
              for f in (html / "_static").rglob("*") if f.is_file()}
    shared_bytes = {
        "linked_by_pages": sum((html / f).stat().st_size for f in shared if (html / f).is_file()),
        "mathjax": sum(size for name, size in static.items() if "/mathjax/" in name),
        "static_folder": sum(static.values()),
    }
    return own, shared_bytes


def kb(size: int) -> str:
    """Bytes as KB (1000 bytes), one decimal.

    >>> kb(123_456)
    '123.5 KB'
    """
    return f"{size / 1000:.1f} KB"


def target(name: str, value: float, limit: float, unit: str) -> dict[str, Any]:
    """One target and where the measurement stands (``benchmarks/run.py`` lists them all).

    >>> target("make test", 250.0, 300.0, "s")
    {'name': 'make test', 'value': 250.0, 'limit': 300.0, 'unit': 's', 'ok': True}
    """
    return {"name": name, "value": value, "limit": limit, "unit": unit, "ok": value <= limit}


def report(figures: Mapping[str, Any]) -> str:
    """The human-readable report."""
    t = figures
    ok = {True: "ok", False: "OVER TARGET"}
    lines = [
        f"site copy: {t['chapters']} notebook pages, build with -j {t['jobs']} on "
        f"{t['cores']} cores (statuses: {t['statuses']})",
        f"load average of the machine: {t['load_before']:.2f} before, "
        f"{t['load_after']:.2f} after (other work slows every figure)",
        f"cold build (fresh folder, every chapter executes): {t['cold_s']:6.1f} s  "
        f"target <= {TARGET_COLD_S:.0f} s: {ok[t['cold_ok']]}",
        f"make html, no change (median of {len(t['no_change_all_s'])}):               "
        f"{t['no_change_s']:6.1f} s  target <= {TARGET_NO_CHANGE_S:.0f} s: "
        f"{ok[t['no_change_ok']]}",
        f"rebuild, a sentence added to {t['edited']}:   {t['edit_prose_s']:6.1f} s",
        f"rebuild, a code cell added to {t['edited']}:  {t['edit_code_s']:6.1f} s",
        f"bare execution of all chapter code (no Sphinx):   {t['bare_s']:6.1f} s",
    ]
    lines += [f"    {name:32} {seconds:6.1f} s" for name, seconds in t["bare_by_chapter"].items()]
    lines.append(f"overhead: cold build / bare execution = {t['ratio']:.2f} "
                 f"(floor 1.0, target <= {TARGET_RATIO:.1f}: {ok[t['ratio_ok']]})")
    lines.append("bytes a first-time reader downloads per chapter (HTML + its images):")
    lines += [f"    {page:44} {kb(size):>10}" for page, size in t["chapter_bytes"].items()]
    lines.append(f"    largest {kb(t['largest_chapter_bytes'])}, target <= "
                 f"{kb(TARGET_CHAPTER_BYTES)}: {ok[t['chapter_bytes_ok']]}")
    shared = t["shared_bytes"]
    lines.append(f"shared, once per visit: {kb(shared['linked_by_pages'])} linked by the pages "
                 f"(of which MathJax {kb(shared['mathjax'])}); all of _static "
                 f"{kb(shared['static_folder'])}")
    lines.append(f"make test in a fresh copy (lint, cold site build, every test): "
                 f"{t['make_test_s']:6.1f} s  target <= {TARGET_TEST_S:.0f} s: "
                 f"{ok[t['make_test_ok']]}")
    return "\n".join(lines)


def run() -> dict[str, Any]:
    """Time the builds and the bare execution, weigh the pages; print and return figures."""
    if str(EXTENSIONS) not in sys.path:
        sys.path.insert(0, str(EXTENSIONS))
    from sitebuild.cache import source_fingerprint

    load_before = os.getloadavg()[0]
    fingerprint = source_fingerprint()
    with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
        site = copy_site(Path(tmp) / "site")
        pristine = copy_site(Path(tmp) / "bare")  # the same pages, for the code alone
        docs = site / "docs"
        sources = chapter_sources(docs)
        cold = build(site, fingerprint)
        repeats = [build(site, fingerprint) for _ in range(NO_CHANGE_REPEATS)]
        no_change = sorted(repeats, key=lambda b: b.seconds)[len(repeats) // 2]
        chapter = edited_chapter(docs)
        with chapter.open("a", encoding="utf-8") as handle:
            handle.write("\nOne more sentence, added to time a rebuild.\n")
        edit_prose = build(site, fingerprint)
        with chapter.open("a", encoding="utf-8") as handle:
            handle.write("\n```{code-cell} ipython3\n_ = 'added to time a rebuild'\n```\n")
        edit_code = build(site, fingerprint)
        own, shared = page_weights(site / "_build" / "html")
        bare = execute_bare(chapter_sources(pristine / "docs"))
        make_test = time_make_test(Path(tmp) / "checkout")
    load_after = os.getloadavg()[0]

    bare_s = sum(bare.values())
    largest = max(own.values(), default=0)
    figures: dict[str, Any] = {
        "chapters": len(sources),
        "jobs": "auto",
        "cores": os.cpu_count(),
        "statuses": [b.status for b in (cold, no_change, edit_prose, edit_code)],
        "cold_s": cold.seconds,
        "no_change_s": no_change.seconds,
        "no_change_all_s": [b.seconds for b in repeats],
        "edited": chapter.stem,
        "edit_prose_s": edit_prose.seconds,
        "edit_code_s": edit_code.seconds,
        "bare_s": bare_s,
        "bare_by_chapter": bare,
        "ratio": cold.seconds / bare_s if bare_s else float("nan"),
        "chapter_bytes": own,
        "largest_chapter_bytes": largest,
        "shared_bytes": shared,
        "make_test_s": make_test.seconds,
        "load_before": load_before,
        "load_after": load_after,
    }
    figures["cold_ok"] = cold.seconds <= TARGET_COLD_S
    figures["no_change_ok"] = no_change.seconds <= TARGET_NO_CHANGE_S
    figures["make_test_ok"] = make_test.seconds <= TARGET_TEST_S
    figures["ratio_ok"] = figures["ratio"] <= TARGET_RATIO
    figures["chapter_bytes_ok"] = largest <= TARGET_CHAPTER_BYTES
    figures["targets"] = [
        target("cold site build", cold.seconds, TARGET_COLD_S, "s"),
        target("make html, no change", no_change.seconds, TARGET_NO_CHANGE_S, "s"),
        target("make test", make_test.seconds, TARGET_TEST_S, "s"),
        target("cold build / bare execution", figures["ratio"], TARGET_RATIO, ""),
        target("largest chapter", largest / 1000, TARGET_CHAPTER_BYTES / 1000, "KB"),
    ]
    print(report(figures))
    return figures


if __name__ == "__main__":
    run()
