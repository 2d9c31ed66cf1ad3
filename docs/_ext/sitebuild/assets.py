"""MathJax served by the site itself, and static files in place before the first page.

Math is typeset by MathJax 4 (TeX in, SVG out), which breaks a displayed equation that is
wider than its column into lines. It comes from npm: the ``mathjax`` package and its font,
``@mathjax/mathjax-newcm-font``, are pinned in ``tests/browser/package-lock.json`` beside the
browser tests' axe-core, and ``make html`` installs all three when they are missing
(``npm ci --prefix tests/browser``).
The build copies into ``_static/mathjax/`` the bundle a page loads and every file that bundle
may ask for later: the TeX extensions it loads on demand, the accessibility parts (speech and
Braille, computed in a worker, with their rules), the menu, and the font's glyph ranges.
``conf.py`` points MathJax's loader at that copy, so no page loads anything from another host
and the pages work with the network cut.

>>> MATHJAX_TARGET, MATHJAX_FONT_PATH
('mathjax/tex-svg-full.js', '[mathjax]/fonts')
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: Where the site serves MathJax from, relative to ``_static`` (the ``mathjax_path``). The
#: file is MathJax 4's ``tex-svg.js``; it keeps the name the pages have always linked.
MATHJAX_TARGET = "mathjax/tex-svg-full.js"
#: Where MathJax's loader finds fonts (its ``[fonts]`` path), inside the site's copy; the
#: default is a CDN.
MATHJAX_FONT_PATH = "[mathjax]/fonts"
#: Where npm installs them (``npm ci --prefix tests/browser``).
NODE_MODULES = Path(__file__).resolve().parents[3] / "tests" / "browser" / "node_modules"
#: What is copied: (file or folder under ``node_modules``, where under ``_static/mathjax``).
MATHJAX_FILES = (
    ("mathjax/tex-svg.js", "tex-svg-full.js"),  # TeX input, SVG output, the font's base
    ("mathjax/input/tex/extensions", "input/tex/extensions"),  # loaded when a page needs one
    ("mathjax/a11y", "a11y"),  # speech, Braille, the expression explorer
    ("mathjax/sre", "sre"),  # the speech-rule engine's worker and its rules
    ("mathjax/ui", "ui"),  # the context menu
    ("@mathjax/mathjax-newcm-font/svg", "fonts/mathjax-newcm-font/svg"),  # glyph ranges
)
#: The command that installs what :data:`MATHJAX_FILES` names (``make html`` runs it).
INSTALL_COMMAND = "npm ci --prefix tests/browser"


def mathjax_files(node_modules: Path = NODE_MODULES) -> Iterator[tuple[Path, PurePosixPath]]:
    """Every file to serve: its path under ``node_modules`` and under ``_static/mathjax``.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     modules = fake_node_modules(Path(tmp))
    ...     files = {str(target): source.name for source, target in mathjax_files(modules)}
    >>> files["tex-svg-full.js"], files["fonts/mathjax-newcm-font/svg/dynamic/math.js"]
    ('tex-svg.js', 'math.js')
    """
    for source, target in MATHJAX_FILES:
        path = node_modules / source
        if not path.exists():
            raise FileNotFoundError(
                f"MathJax is missing ({path.relative_to(node_modules.parent)} not found): "
                f"run {INSTALL_COMMAND} (make html does)"
            )
        if path.is_file():
            yield path, PurePosixPath(target)
            continue
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            yield file, PurePosixPath(target) / file.relative_to(path).as_posix()


def fake_node_modules(folder: Path) -> Path:
    """A stand-in for the installed packages (one small file per entry of
    :data:`MATHJAX_FILES`, holding its own name), for examples and tests.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     fake_node_modules(Path(tmp)).name
    'node_modules'
    """
    modules = folder / "node_modules"
    for source, _ in MATHJAX_FILES:
        path = modules / source
        file = path if path.suffix == ".js" else path / "dynamic" / "math.js"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(source if path.suffix == ".js" else f"{source}/dynamic/math.js")
    return modules


def copy_if_changed(source: Path, target: Path) -> bool:
    """Copy ``source`` to ``target`` unless the bytes already match; True if it copied.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     src, dst = Path(tmp) / "a", Path(tmp) / "sub" / "b"
    ...     _ = src.write_text("x")
    ...     copy_if_changed(src, dst), copy_if_changed(src, dst)
    (True, False)
    """
    data = source.read_bytes()
    if target.is_file() and target.read_bytes() == data:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return True


def install_mathjax(static: Path, node_modules: Path = NODE_MODULES) -> int:
    """Copy MathJax into ``static/mathjax``; how many files changed.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     modules = fake_node_modules(Path(tmp) / "site-assets")
    ...     first = install_mathjax(Path(tmp) / "_static", modules)
    ...     served = (Path(tmp) / "_static" / MATHJAX_TARGET).read_text()
    ...     first, install_mathjax(Path(tmp) / "_static", modules), served
    (6, 0, 'mathjax/tex-svg.js')
    >>> install_mathjax(Path("."), Path("no-such-folder") / "node_modules")
    Traceback (most recent call last):
    ...
    FileNotFoundError: MathJax is missing (node_modules/mathjax/tex-svg.js not found): run npm ...
    """
    folder = static / PurePosixPath(MATHJAX_TARGET).parent
    return sum(copy_if_changed(source, folder / target)
               for source, target in mathjax_files(node_modules))


def install_static_files(app: Sphinx) -> None:
    """``builder-inited``: put MathJax, Pyodide, the package's wheel and myst-nb's CSS in
    ``_static`` before any page.

    Sphinx stamps each asset link with a checksum of the file it finds in ``_static`` when
    it writes a page; files that appear only at the end of a build would leave the first
    pages unstamped and make a later rebuild differ. Without MathJax installed the build
    fails with one line saying how to install it (Pyodide likewise).

    >>> from types import SimpleNamespace
    >>> install_static_files(SimpleNamespace(builder=SimpleNamespace(format="text")))
    """
    if app.builder.format != "html":
        return
    from sitebuild.runtime import install_runtime

    static = Path(app.outdir) / "_static"
    try:
        if app.config.mathjax_path == MATHJAX_TARGET:
            install_mathjax(static)
        install_runtime(static)  # Pyodide and the package's wheel, for the calculator
    except FileNotFoundError as missing:
        from sphinx.errors import ConfigError

        raise ConfigError(str(missing)) from None
    from myst_nb.sphinx_ext import add_global_html_resources  # type: ignore[import-untyped]

    add_global_html_resources(app, None)
