"""Two clean builds of the site give byte-identical output.

The real site is built twice at the same time, each into a fresh folder with fresh
execution (``CI=1``, as in CI), one reading the pages in one process and one in parallel
as ``make html`` does, and every file under ``html/`` is compared byte for byte. Pages
that declare in their front matter that they show measurements of the building machine
(``myst.html_meta`` ``measured``, which becomes ``<meta name="measured">``) are exempt,
together with what only they produce: the images only they show, their executed-notebook
download, their entries in ``objects.inv`` (whose captions carry the measured numbers) and
their words in ``searchindex.js`` (the text chosen from the measurements).
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
import zlib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Where the build machinery lives (``python -m sitebuild`` needs it on the path).
EXTENSIONS = ROOT / "docs" / "_ext"
#: ``<meta name="measured" ...>`` in a page's head: the page shows measured numbers.
MEASURED_META = re.compile(r'<meta\b[^>]*\bname="measured"[^>]*>')
#: Local images a page shows.
IMAGE_SRC = re.compile(r'<img\b[^>]*\bsrc="([^":#?]+)"')
#: objects.inv: four header lines, then the zlib-compressed inventory.
INVENTORY = "objects.inv"
#: The start of an inventory entry: name, domain:role, priority, URI, display name.
INVENTORY_ENTRY = re.compile(r"^.+?\s+\S+:\S+\s+-?\d+\s+(\S*)\s+.*$")
#: Seconds one build may take before the test gives up.
BUILD_TIMEOUT = 600


def start_build(out: Path, jobs: str) -> subprocess.Popen[str]:
    """Start building the site as ``make html`` does, with fresh execution, into ``out``."""
    path = os.pathsep.join(filter(None, [str(EXTENSIONS), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "CI": "1", "PYTHONPATH": path}
    command = [sys.executable, "-m", "sitebuild", "-n", "--keep-going", "--html-only", "-q",
               "-j", jobs, "--out", str(out)]
    out.mkdir(parents=True)
    with (out / "build.log").open("w", encoding="utf-8") as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, text=True)


def build_twice(first: Path, second: Path) -> None:
    """Two clean builds at the same time (the machine's cores are shared between them): the
    first with one reader, the second with one per core, as ``make html`` reads."""
    builds = [(out, start_build(out, jobs)) for out, jobs in ((first, "1"), (second, "auto"))]
    for out, process in builds:
        try:
            process.wait(timeout=BUILD_TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
        log = (out / "build.log").read_text(encoding="utf-8")
        # Status 1 is a warning: strictness is checked by `make html`; only a crash stops here.
        assert process.returncode in (0, 1), log[-6000:]
        assert (out / "html" / "index.html").is_file()


def files(html: Path) -> dict[str, Path]:
    """Every file of a build, by its path relative to ``html`` (POSIX form)."""
    return {p.relative_to(html).as_posix(): p for p in sorted(html.rglob("*")) if p.is_file()}


def measured_pages(html: Path) -> set[str]:
    """Pages that declare they show measurements of the building machine."""
    return {
        rel for rel, path in files(html).items()
        if rel.endswith(".html") and not rel.startswith("_")
        and MEASURED_META.search(path.read_text(encoding="utf-8"))
    }


def images_of(html: Path, pages: Iterable[str]) -> set[str]:
    """The local images the given pages show (paths relative to ``html``)."""
    found: set[str] = set()
    for page in pages:
        text = (html / page).read_text(encoding="utf-8")
        for src in IMAGE_SRC.findall(text):
            parts: list[str] = []
            for part in (PurePosixPath(page).parent / src).parts:
                if part == "..":
                    if parts:
                        parts.pop()
                elif part != ".":
                    parts.append(part)
            found.add("/".join(parts))
    return found


def exempt(html: Path) -> set[str]:
    """Files of a build that may differ: measured pages and what only they produce."""
    measured = measured_pages(html)
    pages = [rel for rel in files(html) if rel.endswith(".html") and not rel.startswith("_")]
    shared = images_of(html, [page for page in pages if page not in measured])
    own_images = images_of(html, measured) - shared
    notebooks = {"_sources/" + page.removesuffix(".html") + ".ipynb" for page in measured}
    return measured | own_images | notebooks


def inventory_lines(path: Path, measured: set[str]) -> list[str]:
    """objects.inv as text, without the entries that point into measured pages.

    An entry's display name (a figure caption) may run over several lines; a line that
    does not start an entry belongs to the entry before it.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     inv = Path(tmp) / "objects.inv"
    ...     body = (b"a std:label -1 a.html#$ A\\n"
    ...             b"m std:label -1 m.html#$ 4.2 GB/s,\\n2.1 GFLOP/s\\n")
    ...     _ = inv.write_bytes(b"# 1\\n# 2\\n# 3\\n# 4\\n" + zlib.compress(body))
    ...     inventory_lines(inv, {"m.html"})
    ['# 1', '# 2', '# 3', '# 4', 'a std:label -1 a.html#$ A']
    """
    data = path.read_bytes()
    head = data.split(b"\n", 4)
    entries: list[list[str]] = [[line.decode()] for line in head[:4]]
    for line in zlib.decompress(head[4]).decode().splitlines():
        if INVENTORY_ENTRY.match(line) or not entries:
            entries.append([line])
        else:
            entries[-1].append(line)
    kept: list[str] = []
    for entry in entries:
        found = INVENTORY_ENTRY.match(entry[0])
        if found is None or found.group(1).split("#")[0] not in measured:
            kept.extend(entry)
    return kept


SEARCH_INDEX = "searchindex.js"


def search_index(path: Path, measured: set[str]) -> dict[str, object]:
    """The search index without what measured pages contribute: their words (which name
    measured values and the comparisons chosen from them) and their section titles.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "searchindex.js"
    >>> _ = f.write_text('Search.setIndex({"docnames": ["a", "m"], "terms": {"x": [0, 1], '
    ...                  '"fast": 1}, "titleterms": {}, "alltitles": {"T": [[1, "t"]]}})')
    >>> search_index(f, {"m.html"})["terms"]
    {'x': [0]}

    A word the measured page shows in one build only compares equal across the builds:

    >>> _ = f.write_text('Search.setIndex({"docnames": ["a", "m"], "terms": {"x": 0}, '
    ...                  '"titleterms": {}, "alltitles": {}})')
    >>> search_index(f, {"m.html"})["terms"]
    {'x': [0]}
    """
    text = path.read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1:text.rindex(")")])
    docs = [f"{name}.html" for name in index["docnames"]]
    drop = {i for i, name in enumerate(docs) if name in measured}

    def kept(value: object) -> object:
        # Sphinx writes a word found on one page as that page's number and a word found on
        # several as a list: a word shared by an unmeasured page and a measured one that
        # shows it in one build only is [x, m] in that build and x in the other, so both
        # forms become a list before the measured pages are taken out.
        values = [value] if isinstance(value, int) else value
        if isinstance(values, list):
            out = [v for v in values if not (
                (isinstance(v, int) and v in drop)
                or (isinstance(v, list) and v and isinstance(v[0], int) and v[0] in drop))]
            return out or None
        return value

    for key in ("terms", "titleterms", "alltitles"):
        table = index.get(key, {})
        index[key] = {word: v for word, value in table.items()
                      if (v := kept(value)) is not None}
    return dict(index)


def first_difference(a: Path, b: Path) -> str:
    """A short description of how two files differ (a few diff lines for text)."""
    try:
        left = a.read_text(encoding="utf-8").splitlines()
        right = b.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        return f"binary, {a.stat().st_size} vs {b.stat().st_size} bytes"
    diff = [line for line in difflib.unified_diff(left, right, lineterm="", n=0)
            if not line.startswith(("---", "+++", "@@"))]
    return " | ".join(line[:160] for line in diff[:4])


def index_difference(a: dict[str, object], b: dict[str, object], keys: list[str]) -> str:
    """The first few words whose entries differ between two search indexes, with both.

    >>> index_difference({"terms": {"x": [0], "y": [1]}}, {"terms": {"x": [0, 2]}}, ["terms"])
    "terms['x'] [0] vs [0, 2]; terms['y'] [1] vs None"
    """
    shown: list[str] = []
    for key in keys:
        left, right = a.get(key), b.get(key)
        if not (isinstance(left, dict) and isinstance(right, dict)):
            shown.append(f"{key} {str(left)[:80]} vs {str(right)[:80]}")
            continue
        for word in sorted(left.keys() | right.keys()):
            if left.get(word) != right.get(word) and len(shown) < 6:
                shown.append(f"{key}[{word!r}] {left.get(word)} vs {right.get(word)}")
    return "; ".join(shown)


def compare(first: Path, second: Path) -> list[str]:
    """Every difference between two builds' ``html`` folders, measured pages exempt."""
    exempt_files = exempt(first) | exempt(second)
    measured = measured_pages(first) | measured_pages(second)
    left = {rel: p for rel, p in files(first).items() if rel not in exempt_files}
    right = {rel: p for rel, p in files(second).items() if rel not in exempt_files}
    problems = [f"only in the first build: {rel}" for rel in sorted(left.keys() - right.keys())]
    problems += [f"only in the second build: {rel}" for rel in sorted(right.keys() - left.keys())]
    for rel in sorted(left.keys() & right.keys()):
        if rel == INVENTORY:
            lines_a = inventory_lines(left[rel], measured)
            lines_b = inventory_lines(right[rel], measured)
            if lines_a != lines_b:
                diff = [line for line in difflib.unified_diff(lines_a, lines_b, lineterm="", n=0)
                        if not line.startswith(("---", "+++", "@@"))]
                problems.append(f"{rel}: entries of unmeasured pages differ: "
                                + " | ".join(line[:160] for line in diff[:4]))
        elif rel == SEARCH_INDEX and measured:
            index_a = search_index(left[rel], measured)
            index_b = search_index(right[rel], measured)
            changed = sorted(k for k in index_a.keys() | index_b.keys()
                             if index_a.get(k) != index_b.get(k))
            if changed:
                problems.append(f"{rel}: unmeasured pages' entries differ in {changed}: "
                                + index_difference(index_a, index_b, changed))
        elif left[rel].read_bytes() != right[rel].read_bytes():
            problems.append(f"{rel}: {first_difference(left[rel], right[rel])}")
    return problems


@pytest.mark.site
def test_two_clean_builds_are_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "first-build", tmp_path / "second"
    build_twice(first, second)
    html_a, html_b = first / "html", second / "html"
    assert measured_pages(html_a) == measured_pages(html_b)
    if (html_a / "chapters" / "11-measure-your-machine.html").is_file():
        assert "chapters/11-measure-your-machine.html" in measured_pages(html_a)
    compared = len(files(html_a)) - len(exempt(html_a))
    assert compared > 100
    problems = compare(html_a, html_b)
    assert not problems, f"{len(problems)} files differ:\n" + "\n".join(problems)


def write_tree(root: Path, pages: dict[str, str]) -> Path:
    """Write files (relative path -> text) under ``root``."""
    for rel, text in pages.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_comparison_exempts_only_what_measured_pages_own(tmp_path: Path) -> None:
    meta = '<meta content="on the machine that built this page" name="measured" />'

    def site(name: str, number: str, shared: str) -> Path:
        return write_tree(tmp_path / name, {
            "index.html": f'<img src="_images/shared.svg"/><p>{shared}</p>',
            "chapters/m.html": f'{meta}<img src="../_images/m-{number}.svg"/>'
                               '<img src="../_images/shared.svg"/>',
            f"_images/m-{number}.svg": f"<svg>{number}</svg>",
            "_images/shared.svg": "<svg>same</svg>",
            "_sources/chapters/m.ipynb": f'{{"measured": {number}}}',
        })

    same = compare(site("a", "1", "x"), site("b", "2", "x"))
    assert same == []
    assert measured_pages(tmp_path / "a") == {"chapters/m.html"}
    assert exempt(tmp_path / "a") == {
        "chapters/m.html", "_images/m-1.svg", "_sources/chapters/m.ipynb"}
    differ = compare(site("c", "1", "x"), site("d", "1", "y"))
    assert differ == ["index.html: -<img src=\"_images/shared.svg\"/><p>x</p> | "
                      "+<img src=\"_images/shared.svg\"/><p>y</p>"]
