"""The site's build machinery: strictness, caching, offline assets, deterministic figures.

The ``site`` tests build a tiny copy of the site (the repository's ``conf.py`` and
``docs/_static``, plus an index and one chapter written here) with ``python -m sitebuild``
(``docs/_ext`` on ``PYTHONPATH``) in a subprocess, as ``make html`` does.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sitebuild
from sitebuild.notebooks import strip_run_metadata

from ai_workloads.present import style

ROOT = Path(__file__).resolve().parents[2]
#: Where the build machinery lives (``python -m sitebuild`` needs it on the path).
EXTENSIONS = ROOT / "docs" / "_ext"

INDEX = """\
# Tiny site

```{toctree}
:numbered: 1

chapters/tiny
```
"""

CHAPTER = """\
---
file_format: mystnb
kernelspec:
  name: python3
  display_name: Python 3
---

# Tiny chapter

```{code-cell} ipython3
from myst_nb import glue
glue("answer", 6 * 7, display=False)
__CELL__
```

The answer is {glue:text}`answer`, and $a^2 + b^2 = c^2$.

```{doctest}
>>> 6 * 7
__EXPECTED__
```
"""


def make_site(tmp_path: Path, cell: str = "", expected: str = "42") -> Path:
    """A tiny site: the real conf.py and _static, an index and one chapter."""
    shutil.copy(ROOT / "conf.py", tmp_path / "conf.py")
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs" / "_static", docs / "_static")
    (docs / "chapters").mkdir()
    (docs / "index.md").write_text(INDEX, encoding="utf-8")
    chapter = CHAPTER.replace("__CELL__", cell).replace("__EXPECTED__", expected)
    (docs / "chapters" / "tiny.md").write_text(chapter, encoding="utf-8")
    return tmp_path


def run_build(site: Path, *extra: str, ci: bool = True) -> subprocess.CompletedProcess[str]:
    """``python -m sitebuild -n -W`` on the tiny site, as ``make html`` runs it."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(EXTENSIONS), env.get("PYTHONPATH")]))
    if ci:
        env["CI"] = "true"
    command = [
        sys.executable, "-m", "sitebuild", "-n", "-W", "--keep-going",
        "--source", str(site / "docs"), "--confdir", str(site), "--out", str(site / "_build"),
        *extra,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False,
                          cwd=site, env=env)


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


@pytest.mark.site
def test_failing_cell_fails_the_build_with_its_traceback(tmp_path: Path) -> None:
    site = make_site(tmp_path, cell='raise RuntimeError("planted failure 7a3f")')
    result = run_build(site)
    text = output(result)
    assert result.returncode == 2, text
    assert "RuntimeError" in text
    assert "planted failure 7a3f" in text
    assert "Traceback" in text or "---------------" in text
    assert "chapters/tiny: a cell FAILED after" in text
    assert "sitebuild: a code cell failed in" in text
    assert not (site / "_build" / "html" / "chapters" / "tiny.html").exists()


@pytest.mark.site
def test_failing_doctest_fails_the_build(tmp_path: Path) -> None:
    site = make_site(tmp_path, expected="41")
    result = run_build(site)
    text = output(result)
    assert result.returncode == 1, text
    assert "sitebuild: doctest FAILED (warnings or failed doctests)" in text
    assert "1 example, 1 failed" in text
    assert "Expected:\n    41\nGot:\n    42" in text


@pytest.mark.site
def test_passing_build_is_strict_offline_and_cached(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    first = run_build(site, ci=False)
    log = output(first)
    assert first.returncode == 0, log
    # The log is progress a person wants: the chapter executing, its time, the verdicts.
    assert "  chapters/tiny: executing\n" in first.stdout
    assert re.search(r"^  chapters/tiny: executed in \d+\.\d s$", first.stdout, re.M)
    assert "sitebuild: html: read 2 pages in" in first.stdout
    assert "1 notebook executed" in first.stdout
    assert re.search(r"^sitebuild: html ok in \d+\.\d s$", first.stdout, re.M)
    assert "sitebuild: doctest ok in" in first.stdout
    assert ": 1 example, all passed" in first.stdout
    assert re.search(r"^sitebuild: built in \d+\.\d s; the site is in ", first.stdout, re.M)
    # ... and nothing else: no warning, no kernel over TCP, no configuration dump.
    assert first.stderr == "", first.stderr
    for noise in ("WARNING", "over TCP", "MdParserConfig(", "NbParserConfig(", "Running Sphinx"):
        assert noise not in log, noise
    html_dir = site / "_build" / "html"
    page = (html_dir / "chapters" / "tiny.html").read_text(encoding="utf-8")

    # glue put the computed value in the prose; doctests ran.
    assert '<span class="pasted-text">42</span>' in page
    assert "1 passed and 0 failed" in (site / "_build" / "doctest" / "output.txt").read_text()

    # Nothing is loaded from another host; MathJax is served by the site.
    loads = re.findall(r'<(?:script|link|img)[^>]*(?:src|href)="([^"]*)"', page)
    assert loads
    assert not [url for url in loads if re.match(r"(https?:)?//", url)]
    assert "_static/mathjax/tex-svg-full.js" in page
    assert (html_dir / "_static" / "mathjax" / "tex-svg-full.js").stat().st_size > 1_000_000

    # The executed notebook is offered for download, without per-run data.
    notebook = json.loads((html_dir / "_sources" / "chapters" / "tiny.ipynb").read_text())
    assert [cell["id"] for cell in notebook["cells"]] == [
        f"cell-{i}" for i in range(len(notebook["cells"]))
    ]
    assert 'href="../_sources/chapters/tiny.ipynb"' in page

    # No change at all: the build stops before Sphinx starts.
    second = run_build(site, ci=False)
    assert second.returncode == 0, output(second)
    assert "sitebuild: nothing changed since the last build" in second.stdout
    assert "executing" not in second.stdout
    # Prose changed: the page is read again, its outputs come from the cache.
    chapter = site / "docs" / "chapters" / "tiny.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more sentence.\n",
                       encoding="utf-8")
    third = run_build(site, ci=False)
    assert third.returncode == 0, output(third)
    assert "executing" not in third.stdout
    assert "sitebuild: html: read 1 page in" in third.stdout
    assert "1 from the cache" in third.stdout
    assert "One more sentence." in (html_dir / "chapters" / "tiny.html").read_text()
    # A new package fingerprint: everything executes again, in a new cache folder.
    fourth = run_build(site, "-D", "ai_workloads_fingerprint=" + "0" * 64, ci=False)
    assert fourth.returncode == 0, output(fourth)
    assert "  chapters/tiny: executing" in fourth.stdout
    caches = sorted(p.name for p in (site / "_build" / ".jupyter_cache").iterdir())
    assert caches == ["0" * 16]  # the old cache folder was pruned


def test_execution_is_fresh_under_ci() -> None:
    assert sitebuild.execution_mode({"CI": "true"}) == "force"
    assert sitebuild.execution_mode({"CI": "1"}) == "force"
    assert sitebuild.execution_mode({}) == "cache"
    assert sitebuild.execution_mode({"CI": ""}) == "cache"


def test_fingerprint_sees_every_file_but_bytecode(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "data" / "models.json").write_text("{}")
    base = sitebuild.source_fingerprint(tmp_path)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert sitebuild.source_fingerprint(tmp_path) == base
    (tmp_path / "data" / "models.json").write_text('{"x": 1}')
    assert sitebuild.source_fingerprint(tmp_path) != base


def test_palette_is_okabe_ito() -> None:
    # Okabe & Ito (2002), "Color Universal Design", RGB values of the eight colours.
    published = {
        (0, 0, 0), (230, 159, 0), (86, 180, 233), (0, 158, 115),
        (240, 228, 66), (0, 114, 178), (213, 94, 0), (204, 121, 167),
    }
    rgb = {tuple(int(h[i:i + 2], 16) for i in (1, 3, 5)) for h in style.PALETTE}
    assert rgb == published
    assert len(style.PALETTE) == 8


def test_svg_is_deterministic_and_undated() -> None:
    def draw() -> bytes:
        fig, ax = style.new_figure()
        ax.plot([1, 2, 3], [3, 1, 2], label="a")
        ax.scatter([1, 2], [2, 3])
        ax.legend()
        return style.svg_bytes(fig)

    first, second = draw(), draw()
    assert first == second
    text = first.decode()
    assert "<dc:date>" not in text
    assert 'id="' in text  # ids exist, and are equal across runs (fixed salt)


def test_png_is_twice_the_nominal_size() -> None:
    fig, _ = style.new_figure(figsize=(4.0, 2.0))
    image = style.render(fig, "png")
    # PNG header: width and height are big-endian ints at bytes 16..24.
    width = int.from_bytes(image.data[16:20], "big")
    height = int.from_bytes(image.data[20:24], "big")
    assert abs(width - 800) <= 30  # 2x of 4 in x 100 dpi; tight cropping trims a little
    assert abs(height - 400) <= 30
    assert (image.width_px, image.height_px) == (width // 2, height // 2)
    assert image._repr_png_() == (image.data, {"width": width // 2, "height": height // 2})


def test_notebook_download_drops_run_data() -> None:
    notebook = {
        "cells": [
            {"id": "x1", "metadata": {"execution": {"iopub.status.busy": "2026"}}},
            {"id": "y2", "metadata": {"tags": ["remove-cell"]}},
        ],
        "metadata": {},
    }
    cleaned = json.loads(strip_run_metadata(json.dumps(notebook)))
    assert cleaned["cells"] == [
        {"id": "cell-0", "metadata": {}},
        {"id": "cell-1", "metadata": {"tags": ["remove-cell"]}},
    ]


def test_notebook_download_joins_printed_text_however_it_was_sent() -> None:
    # print("6 * 7 =", 42) sent in two messages on a busy machine, in one on a quiet one.
    def cell(*chunks: str) -> dict[str, object]:
        return {"cell_type": "code", "metadata": {}, "source": 'print("6 * 7 =", 42)',
                "outputs": [{"output_type": "stream", "name": "stdout", "text": chunk}
                            for chunk in chunks]}

    busy = strip_run_metadata(json.dumps({"cells": [cell("6 * 7 =", " 42\n")], "metadata": {}}))
    quiet = strip_run_metadata(json.dumps({"cells": [cell("6 * 7 = 42\n")], "metadata": {}}))
    assert busy == quiet
    assert json.loads(busy)["cells"][0]["outputs"] == [
        {"output_type": "stream", "name": "stdout", "text": "6 * 7 = 42\n"}]


def test_fingerprint_covers_the_package_the_chapters_import() -> None:
    import ai_workloads

    folder = Path(ai_workloads.__file__).resolve().parent
    assert sitebuild.cache.package_dir() == folder
    assert sitebuild.source_fingerprint() == sitebuild.source_fingerprint(folder)


def test_kernels_talk_over_unix_sockets() -> None:
    from sitebuild.kernels import IPCKernelManager

    first, second = IPCKernelManager(), IPCKernelManager()
    assert (first.transport, second.transport) == ("ipc", "ipc")
    assert first.ip != second.ip  # no two kernels share an address


def test_build_machinery_modules_are_small_and_every_function_has_an_example() -> None:
    for info in pkgutil.iter_modules(sitebuild.__path__, "sitebuild."):
        module = importlib.import_module(info.name)
        assert len(inspect.getsource(module).splitlines()) <= 450, info.name
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                doc = inspect.getdoc(obj) or ""
                shown = f"{name}(" in (inspect.getdoc(module) or "") or any(
                    f"{name}(" in (inspect.getdoc(other) or "") for other in vars(module).values()
                    if inspect.isfunction(other) and other is not obj)
                assert ">>>" in doc or shown, f"{info.name}.{name} has no example"


def test_chapter_template_uses_every_mechanism() -> None:
    text = (ROOT / "docs" / "chapters" / "_template.md").read_text(encoding="utf-8")
    for needle in ("file_format: mystnb", "{glue:figure}", ":alt:", ":name: fig-",
                   "{glue:text}", "{glue:md}", ":::{table}", ":name: tbl-", "{doctest}",
                   "{numref}", "render(fig)"):
        assert needle in text, needle
    assert textwrap.dedent(text) == text
