"""MathJax served by the site itself, and static files in place before the first page.

Math is typeset by MathJax 3 (TeX in, SVG out, its fonts in the same file), installed from
PyPI (``django-static-mathjax``, which holds MathJax's files only) and copied to
``_static/mathjax/``: no page loads anything from another host.

>>> MATHJAX_TARGET
'mathjax/tex-svg-full.js'
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: Where the site serves MathJax from, relative to ``_static`` (the ``mathjax_path``).
MATHJAX_TARGET = "mathjax/tex-svg-full.js"
#: The MathJax 3 bundle inside the ``mathjax`` package (``django-static-mathjax``):
#: TeX input and SVG output with its fonts in one file, so nothing else is fetched.
MATHJAX_SOURCE = ("static", "mathjax", "es5", "tex-svg-full.js")


def mathjax_file() -> Path:
    """The MathJax 3 bundle (TeX in, SVG out) shipped by ``django-static-mathjax``.

    >>> mathjax_file().name
    'tex-svg-full.js'
    """
    path = Path(str(resources.files("mathjax").joinpath(*MATHJAX_SOURCE)))
    if not path.is_file():
        raise FileNotFoundError(
            f"MathJax bundle missing at {path}; reinstall the docs extra: "
            "pip install -c constraints.txt -e '.[docs]'"
        )
    return path


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


def install_static_files(app: Sphinx) -> None:
    """``builder-inited``: put MathJax and myst-nb's CSS in ``_static`` before any page.

    Sphinx stamps each asset link with a checksum of the file it finds in ``_static`` when
    it writes a page; files that appear only at the end of a build would leave the first
    pages unstamped and make a later rebuild differ.

    >>> from types import SimpleNamespace
    >>> install_static_files(SimpleNamespace(builder=SimpleNamespace(format="text")))
    """
    if app.builder.format != "html":
        return
    if app.config.mathjax_path == MATHJAX_TARGET:
        copy_if_changed(mathjax_file(), Path(app.outdir) / "_static" / MATHJAX_TARGET)
    from myst_nb.sphinx_ext import add_global_html_resources  # type: ignore[import-untyped]

    add_global_html_resources(app, None)
