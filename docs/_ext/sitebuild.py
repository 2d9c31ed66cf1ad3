"""Build the lecture site: one command, the HTML and the doctests, strict, offline.

``python docs/_ext/sitebuild.py -n -W`` is what ``make html`` runs. It drives Sphinx's
Python API with two application objects in one process that share one doctree/environment
directory: the ``html`` builder reads every page (executing each chapter's notebook once)
and writes the site; the ``doctest`` builder then runs every ``>>>`` example of the pages and
of the API reference from the same environment. The exit status is 0 only if both builders
succeeded without a warning (under ``-W``), every cell ran and every doctest passed.

The module is also the Sphinx extension named in ``conf.py``. It

* registers ``ai_workloads_fingerprint``, a hash of every file of the package, as a config
  value with ``rebuild="env"``: any change to the package makes Sphinx re-read every page,
  and the jupyter-cache folder is keyed on the same hash, so a stale number never survives;
* keeps that cache under ``<build>/.jupyter_cache/<fingerprint>`` and prunes older ones;
* copies MathJax 3 (from the PyPI package ``django-static-mathjax``) into ``_static``, so
  math renders with no network;
* puts each chapter's executed notebook next to its source, for the ``.ipynb`` download
  button, with the run-time stamps removed (two builds give identical files);
* names the summary of a folded code cell by its visible text (an accessible name).

>>> execution_mode({"CI": "true"}), execution_mode({})
('force', 'cache')
"""

from __future__ import annotations

import argparse
import builtins
import doctest
import hashlib
import importlib
import json
import os
import re
import shutil
import sys
import time
import traceback
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import SphinxParallelError
from sphinx.util.docutils import docutils_namespace, patch_docutils
from sphinx.util.typing import ExtensionMetadata

#: Where the site serves MathJax from, relative to ``_static`` (the ``mathjax_path``).
MATHJAX_TARGET = "mathjax/tex-svg-full.js"
#: The MathJax 3 bundle inside the ``mathjax`` package (``django-static-mathjax``):
#: TeX input and SVG output with its fonts in one file, so nothing else is fetched.
MATHJAX_SOURCE = ("static", "mathjax", "es5", "tex-svg-full.js")
#: Doctest flags of the site: pytest's (see ``pyproject.toml``) plus Sphinx's defaults.
DOCTEST_FLAGS = (
    doctest.ELLIPSIS
    | doctest.NORMALIZE_WHITESPACE
    | doctest.IGNORE_EXCEPTION_DETAIL
    | doctest.DONT_ACCEPT_TRUE_FOR_1
)
#: Folder (under the build folder) holding one jupyter-cache per package fingerprint.
CACHE_FOLDER = ".jupyter_cache"
#: Characters of the fingerprint used to name a cache folder.
CACHE_KEY_CHARS = 16
#: Values of ``CI`` that do not count as set.
_CI_OFF = frozenset({"", "0", "false", "no", "off"})
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# -- The package fingerprint and the execution cache ---------------------------------------


def package_dir() -> Path:
    """The folder of the installed ``ai_workloads`` package.

    >>> (package_dir() / "sitebuild.py").is_file()
    True
    """
    return Path(__file__).resolve().parent


def source_fingerprint(root: Path | None = None) -> str:
    """SHA-256 (hex) over the relative path and bytes of every file under ``root``.

    ``root`` defaults to the package folder. Byte-code caches are skipped; anything else
    (code, catalog data) counts, so any edit changes the fingerprint.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = Path(tmp)
    ...     _ = (folder / "a.py").write_text("x = 1\\n")
    ...     before = source_fingerprint(folder)
    ...     _ = (folder / "a.py").write_text("x = 2\\n")
    ...     before != source_fingerprint(folder), len(before)
    (True, 64)
    """
    base = package_dir() if root is None else root
    digest = hashlib.sha256()
    for path in sorted(base.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        digest.update(path.relative_to(base).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def execution_mode(environ: Mapping[str, str]) -> str:
    """myst-nb's execution mode: ``"force"`` (always run) when ``CI`` is set, else ``"cache"``.

    ``CI`` counts as set unless it is empty, ``0``, ``false``, ``no`` or ``off``.

    >>> execution_mode({"CI": "1"}), execution_mode({"CI": "false"})
    ('force', 'cache')
    """
    return "force" if environ.get("CI", "").strip().lower() not in _CI_OFF else "cache"


def cache_dir(build_root: Path, fingerprint: str) -> Path:
    """The jupyter-cache folder for one package fingerprint under ``build_root``.

    >>> cache_dir(Path("_build"), "0123456789abcdef" * 4).as_posix()
    '_build/.jupyter_cache/0123456789abcdef'
    """
    return build_root / CACHE_FOLDER / fingerprint[:CACHE_KEY_CHARS]


def prune_caches(keep: Path) -> list[Path]:
    """Delete every sibling of the cache folder ``keep``; return what was deleted.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for name in ("old", "new"):
    ...         (Path(tmp) / name).mkdir()
    ...     [p.name for p in prune_caches(Path(tmp) / "new")]
    ['old']
    """
    removed: list[Path] = []
    if not keep.parent.is_dir():
        return removed
    for sibling in sorted(keep.parent.iterdir()):
        if sibling != keep:
            if sibling.is_dir():
                shutil.rmtree(sibling, ignore_errors=True)
            else:
                sibling.unlink(missing_ok=True)
            removed.append(sibling)
    return removed


# -- Offline MathJax and notebook downloads ------------------------------------------------


def mathjax_file() -> Path:
    """The MathJax 3 bundle (TeX in, SVG out) shipped by ``django-static-mathjax``.

    >>> mathjax_file().name
    'tex-svg-full.js'
    """
    path = Path(str(resources.files("mathjax").joinpath(*MATHJAX_SOURCE)))
    if not path.is_file():
        from ai_workloads.core.errors import WorkloadError

        raise WorkloadError(
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


def strip_run_metadata(notebook_json: str) -> str:
    """A notebook's JSON without per-run data (timings, random cell ids), keys sorted.

    >>> nb = '{"cells": [{"id": "f3a9", "metadata": {"execution": {"t": 1}}}], "metadata": {}}'
    >>> print(strip_run_metadata(nb))
    {
     "cells": [
      {
       "id": "cell-0",
       "metadata": {}
      }
     ],
     "metadata": {}
    }
    """
    notebook = json.loads(notebook_json)
    for index, cell in enumerate(notebook.get("cells", [])):
        cell.get("metadata", {}).pop("execution", None)
        if "id" in cell:  # random at every read: number the cells instead
            cell["id"] = f"cell-{index}"
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# -- Docstring doctests in the API reference ----------------------------------------------


def module_setup_code(module: str) -> str:
    """Doctest setup giving a module's examples that module's globals, as pytest does.

    >>> namespace: dict[str, object] = {}
    >>> exec(module_setup_code("ai_workloads.core.errors"), namespace)
    >>> callable(namespace["positive_int"])
    True
    """
    return f"import importlib\nglobals().update(vars(importlib.import_module({module!r})))"


def _group_docstring_doctests(app: Sphinx, doctree: Any) -> None:
    """``doctree-read``: run each module's docstring examples in that module's namespace.

    autodoc turns ``>>>`` examples into doctest blocks that Sphinx would run in one shared,
    empty namespace. Each block is put in a doctest group named after the module it
    documents, and each group gets a hidden setup that loads the module's globals.
    """
    from docutils import nodes  # type: ignore[import-untyped]
    from sphinx import addnodes

    current: str | None = None
    blocks: list[tuple[Any, str]] = []
    for node in doctree.findall(nodes.Element):
        if isinstance(node, addnodes.index):  # automodule: ("pair", ..., "module-NAME", ...)
            for entry in node["entries"]:
                if entry[2].startswith("module-"):
                    current = entry[2].removeprefix("module-")
        elif isinstance(node, addnodes.desc_signature) and node.get("module"):
            current = node["module"]
        elif isinstance(node, nodes.doctest_block) and current is not None:
            blocks.append((node, current))
    seen: set[str] = set()
    for block, module in blocks:
        block["groups"] = [module]
        if module in seen:
            continue
        seen.add(module)
        code = module_setup_code(module)
        setup = nodes.comment(code, code, testnodetype="testsetup", groups=[module])
        block.parent.insert(block.parent.index(block), setup)


def is_type_alias(dotted: str) -> bool:
    """True if ``dotted`` names a module-level type variable or type alias.

    Signatures mention these; they have no page of their own, so a reference to one is
    shown as plain text.

    >>> is_type_alias("typing.AnyStr"), is_type_alias("ai_workloads.core.errors.WorkloadError")
    (True, False)
    """
    module_name, _, attribute = dotted.rpartition(".")
    if not module_name:
        return False
    try:
        value = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError):
        return False
    alias_types = (typing.TypeVar, typing.ParamSpec, typing.TypeVarTuple)
    if isinstance(value, alias_types) or type(value).__name__ == "TypeAliasType":
        return True
    return typing.get_origin(value) is not None


def _resolve_short_name(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    """``missing-reference``: let ``:class:`WorkloadError``` find the one object so named.

    Docstrings name classes and functions of other modules by their short name; Sphinx's
    Python domain finds those only with a leading dot. This retries such a reference as if
    it had one (a unique match wins; several matches are reported as ambiguous). A type
    variable or alias that has no entry of its own is shown as plain text.
    """
    if node.get("refdomain") != "py":
        return None
    if is_type_alias(node["reftarget"]) or hasattr(builtins, node["reftarget"]):
        return contnode  # a builtin such as ``bytes`` is never a package attribute
    if node.hasattr("refspecific"):
        return None
    retry = node.deepcopy()
    retry["refspecific"] = True
    domain = env.get_domain("py")
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], node["reftarget"], retry, contnode
    )


def _napoleon_skips_attributes(app: Sphinx) -> None:
    """Keep napoleon away from attribute, data and property docstrings.

    napoleon reads the first line of such a docstring as ``type: description``, so a
    sentence with a colon ("Parameters one token uses: ...") would become a bogus type.
    """
    from sphinx.ext import napoleon

    for listener in list(app.events.listeners.get("autodoc-process-docstring", [])):
        if listener.handler is not napoleon._process_docstring:
            continue
        app.disconnect(listener.id)

        def process(app: Sphinx, what: Any, name: str, obj: Any, options: Any,
                    lines: list[str]) -> None:
            if what not in ("attribute", "data", "property"):
                napoleon._process_docstring(app, what, name, obj, options, lines)

        app.connect("autodoc-process-docstring", process, priority=listener.priority)


# -- The Sphinx extension ------------------------------------------------------------------


def _configure_cache(app: Sphinx, config: Config) -> None:
    """``config-inited``: key the jupyter-cache on the package fingerprint, prune old ones."""
    if config.nb_execution_cache_path:  # set explicitly by the user: leave it alone
        return
    fingerprint = config.ai_workloads_fingerprint or source_fingerprint()
    config.ai_workloads_fingerprint = fingerprint
    folder = cache_dir(Path(app.outdir).parent, fingerprint)
    prune_caches(folder)
    config.nb_execution_cache_path = str(folder)


def _warm_matplotlib(app: Sphinx, config: Config) -> None:
    """``config-inited``: build matplotlib's font cache here, not inside a chapter's kernel.

    On a fresh machine matplotlib announces the cache build on stderr, which a chapter would
    report as a warning.
    """
    try:
        import matplotlib.font_manager  # noqa: F401
    except ImportError:  # pragma: no cover - matplotlib is in the docs extra
        return


def _install_static_files(app: Sphinx) -> None:
    """``builder-inited``: put MathJax and myst-nb's CSS in ``_static`` before any page.

    Sphinx stamps each asset link with a checksum of the file it finds in ``_static`` when
    it writes a page; files that appear only at the end of a build would leave the first
    pages unstamped and make a later rebuild differ.
    """
    if app.builder.format != "html":
        return
    if app.config.mathjax_path == MATHJAX_TARGET:
        copy_if_changed(mathjax_file(), Path(app.outdir) / "_static" / MATHJAX_TARGET)
    from myst_nb.sphinx_ext import add_global_html_resources  # type: ignore[import-untyped]

    add_global_html_resources(app, None)


#: File (in the doctree folder) keeping the search index's index entries between builds.
SEARCH_ENTRIES_FILE = "search-index-entries.json"


def _restore_search_entries(app: Sphinx, env: Any) -> None:
    """``env-updated``: give the search index the entries of pages not rewritten this time.

    Sphinx collects a page's index entries for the search index only when it writes the
    page, and does not keep them in the saved environment, so a rebuild that skips a page
    would drop that page's entries (and differ from a clean build). They are kept in a file
    next to the doctrees instead.
    """
    path = Path(app.doctreedir) / SEARCH_ENTRIES_FILE
    if app.builder.format != "html" or not path.is_file():
        return
    saved = json.loads(path.read_text(encoding="utf-8"))
    current = env._search_index_index_entries
    for docname, entries in saved.items():
        if docname in env.all_docs:
            current.setdefault(docname, [tuple(entry) for entry in entries])


def _save_search_entries(app: Sphinx, exception: BaseException | None) -> None:
    """``build-finished``: keep the search index's index entries for the next build."""
    if exception is not None or app.builder.format != "html":
        return
    entries = app.env._search_index_index_entries
    text = json.dumps(entries, sort_keys=True, ensure_ascii=False)
    (Path(app.doctreedir) / SEARCH_ENTRIES_FILE).write_text(text, encoding="utf-8")


def _offer_notebook(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``: publish the executed notebook of a chapter for download.

    Runs before sphinx-book-theme builds its download menu, which adds a ``.ipynb`` entry
    when ``context["ipynb_source"]`` is set.
    """
    if doctree is None or app.builder.format != "html":
        return
    if "kernelspec" not in app.env.metadata.get(pagename, {}):
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    text = strip_run_metadata(executed.read_text(encoding="utf-8"))
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    context["ipynb_source"] = f"{pagename}.ipynb"


def _visit_hidden_input(self: Any, node: Any) -> None:
    """HTML of a folded code cell (``hide-input``), as myst-nb writes it but accessible.

    myst-nb names the ``<summary>`` "Toggle hidden content", which leaves out its visible
    text ("Show code cell source") and fails WCAG 2.5.3 (label in name); here the summary
    is named by its visible text.
    """
    from html import escape

    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n<summary>\n')
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


def _depart_hidden_input(self: Any, node: Any) -> None:
    self.body.append("</details>\n")


def setup(app: Sphinx) -> ExtensionMetadata:
    """Register the site's build machinery with Sphinx (named in ``conf.py``).

    >>> callable(setup)
    True
    """
    app.add_config_value("ai_workloads_fingerprint", "", "env", types=frozenset({str}))
    app.connect("config-inited", _configure_cache, priority=400)
    app.connect("config-inited", _warm_matplotlib)
    app.connect("builder-inited", _install_static_files)
    app.connect("doctree-read", _group_docstring_doctests)
    app.connect("env-updated", _restore_search_entries)
    app.connect("build-finished", _save_search_entries)
    app.connect("missing-reference", _resolve_short_name)
    _napoleon_skips_attributes(app)
    app.connect("html-page-context", _offer_notebook, priority=450)
    from myst_nb.sphinx_ import HideCodeCellNode  # type: ignore[import-untyped]

    app.add_node(HideCodeCellNode, override=True,
                 html=(_visit_hidden_input, _depart_hidden_input))
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


# -- The command line ----------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """What to build, and where (paths relative to the working directory).

    >>> Options().out.as_posix(), Options().source.as_posix()
    ('_build', 'docs')
    """

    source: Path = Path("docs")
    confdir: Path = Path(".")
    out: Path = Path("_build")
    nitpicky: bool = False
    warnings_are_errors: bool = False
    doctest_only: bool = False
    html_only: bool = False
    fresh: bool = False
    jobs: int = 1
    quiet: bool = False
    overrides: tuple[tuple[str, str], ...] = ()


def _jobs(value: str) -> int:
    if value == "auto":
        return max(1, os.cpu_count() or 1)
    jobs = int(value)
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"-j must be a positive integer or 'auto', got {value}")
    return jobs


def _setting(text: str, parser: argparse.ArgumentParser) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        parser.error(f"-D expects NAME=VALUE, got {text!r}")
    return name, value


def parse_args(argv: Sequence[str]) -> Options:
    """Read the command line (``-n -W --keep-going`` as for ``sphinx-build``).

    >>> opts = parse_args(["-n", "-W", "--keep-going", "--out", "site-out", "-j", "2"])
    >>> opts.nitpicky, opts.warnings_are_errors, opts.out.as_posix(), opts.jobs
    (True, True, 'site-out', 2)
    >>> parse_args(["-D", "nb_execution_mode=force"]).overrides
    (('nb_execution_mode', 'force'),)
    """
    parser = argparse.ArgumentParser(
        prog="python docs/_ext/sitebuild.py",
        description="Build the lecture site (HTML) and run its doctests, in one process.",
    )
    parser.add_argument("--source", type=Path, default=Path("docs"),
                        help="source folder (default: docs)")
    parser.add_argument("--confdir", type=Path, default=Path("."),
                        help="folder holding conf.py (default: .)")
    parser.add_argument("--out", type=Path, default=Path("_build"),
                        help="build folder: html/, doctest/, doctrees/ (default: _build)")
    parser.add_argument("-n", dest="nitpicky", action="store_true",
                        help="warn about every missing reference")
    parser.add_argument("-W", dest="warnings_are_errors", action="store_true",
                        help="exit non-zero if there was any warning")
    parser.add_argument("--keep-going", action="store_true",
                        help="accepted for sphinx-build compatibility (always on)")
    parser.add_argument("--doctest-only", action="store_true",
                        help="run the doctest builder only")
    parser.add_argument("--html-only", action="store_true",
                        help="run the html builder only (no doctests)")
    parser.add_argument("-E", "--fresh", action="store_true",
                        help="re-read every page (ignore the saved environment)")
    # One reader by default: parallel readers start Jupyter kernels at the same moment, and
    # kernels that pick their TCP ports at once can collide ("Address already in use").
    parser.add_argument("-j", "--jobs", type=_jobs, default=1,
                        help="parallel readers: a number or 'auto' (default: 1)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print warnings and errors only")
    parser.add_argument("-D", dest="define", action="append", default=[], metavar="NAME=VALUE",
                        help="override a conf.py setting (a string), as sphinx-build -D")
    ns = parser.parse_args(list(argv))
    if ns.doctest_only and ns.html_only:
        parser.error("--doctest-only and --html-only exclude each other")
    return Options(
        source=ns.source, confdir=ns.confdir, out=ns.out, nitpicky=ns.nitpicky,
        warnings_are_errors=ns.warnings_are_errors, doctest_only=ns.doctest_only,
        html_only=ns.html_only, fresh=ns.fresh, jobs=ns.jobs, quiet=ns.quiet,
        overrides=tuple(_setting(text, parser) for text in ns.define),
    )


def builders(options: Options) -> tuple[str, ...]:
    """The Sphinx builders to run, in order.

    >>> builders(Options()), builders(Options(doctest_only=True))
    (('html', 'doctest'), ('doctest',))
    """
    if options.doctest_only:
        return ("doctest",)
    if options.html_only:
        return ("html",)
    return ("html", "doctest")


def _report_exception(err: BaseException) -> None:
    """Print an exception and its causes (a failing cell's traceback included), then a
    one-line summary naming the chapter whose cell failed."""
    if isinstance(err, SphinxParallelError):
        text = f"{err.message}\n{err.traceback}"
    else:
        text = "".join(traceback.format_exception(err))
    text = _ANSI.sub("", text)
    print(text, file=sys.stderr)
    failed = re.findall(r"^myst_nb\S*\.ExecutionError: (.+)$", text, flags=re.MULTILINE)
    if failed:
        print(f"sitebuild: a code cell failed in {failed[-1]} (traceback above)",
              file=sys.stderr)


def _run_builder(name: str, options: Options) -> int:
    """Run one Sphinx builder; return its status (0 ok, 1 warnings or failures, 2 crash)."""
    overrides: dict[str, Any] = dict(options.overrides)
    if options.nitpicky:
        overrides["nitpicky"] = True
    out = options.out.resolve()
    status = None if options.quiet else sys.stdout
    try:
        with patch_docutils(options.confdir.resolve()), docutils_namespace():
            app = Sphinx(
                srcdir=options.source.resolve(),
                confdir=options.confdir.resolve(),
                outdir=out / name,
                doctreedir=out / "doctrees",
                buildername=name,
                confoverrides=overrides,
                status=status,
                warning=sys.stderr,
                freshenv=options.fresh,
                warningiserror=options.warnings_are_errors,
                parallel=options.jobs,
            )
            app.build()
    except Exception as err:  # a failing cell, a crashing extension: report and stop
        _report_exception(err)
        return 2
    return 1 if app.statuscode else 0


def _stamp(options: Options) -> Path:
    return options.out / "doctest" / ".passed"


def doctest_key(options: Options, environ: Mapping[str, str] = os.environ) -> str:
    """What the doctest run depends on: the saved environment (every page's doctree, the
    configuration and with it the package fingerprint) and the options.

    A no-change rebuild finds the same key as the last passing run and skips the doctests,
    whose outcome cannot have changed. ``-E`` and CI always run them (empty key).

    >>> doctest_key(Options(source=Path("no-such-folder"), out=Path("no-such-build")))
    ''
    """
    pickle = options.out / "doctrees" / "environment.pickle"
    if options.fresh or environ.get("CI", "").strip().lower() not in _CI_OFF \
            or not pickle.is_file():
        return ""
    digest = hashlib.sha256(pickle.read_bytes())
    digest.update(repr((options.nitpicky, options.warnings_are_errors,
                        sorted(options.overrides))).encode())
    return digest.hexdigest()


def build(options: Options) -> int:
    """Run the builders in order; return the exit status of the whole build.

    0: every builder succeeded; 1: warnings (under ``-W``) or failed doctests; 2: an error
    stopped the build (a failing cell, a missing folder), reported on stderr with its
    traceback.

    >>> build(Options(source=Path("no-such-folder"), quiet=True))
    2
    """
    worst = 0
    for name in builders(options):
        start = time.perf_counter()
        key = doctest_key(options) if name == "doctest" else ""
        if key and _stamp(options).is_file() and _stamp(options).read_text() == key:
            print("sitebuild: doctest skipped: nothing changed since its last passing run",
                  file=sys.stderr)
            continue
        status = _run_builder(name, options)
        if key and status == 0:
            _stamp(options).write_text(key)
        elapsed = time.perf_counter() - start
        verdict = ("ok", "FAILED (warnings or failed doctests)", "FAILED (error)")[status]
        print(f"sitebuild: {name} {verdict} in {elapsed:.1f} s", file=sys.stderr)
        worst = max(worst, status)
        if status == 2:
            break
    return worst


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python docs/_ext/sitebuild.py``; returns the exit status.

    >>> main(["--doctest-only", "--source", "no-such-folder", "-q"])
    2
    """
    options = parse_args(sys.argv[1:] if argv is None else argv)
    return build(options)


if __name__ == "__main__":
    sys.exit(main())
