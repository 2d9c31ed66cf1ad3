"""The site's doctests: each module's examples in its own namespace, skipped when moot.

The ``doctest`` builder runs the ``{doctest}`` blocks of the pages and the ``>>>`` examples
of the API reference. autodoc turns a docstring's examples into doctest blocks that Sphinx
would run in one shared, empty namespace; here each block joins a doctest group named after
the module it documents, with a hidden setup that loads that module's globals, as
``pytest --doctest-modules`` runs them. The flags are pytest's plus Sphinx's defaults.

A rebuild whose saved environment (every page's doctree, the configuration and with it the
package fingerprint) and options are those of the last passing doctest run skips the
doctests: their outcome cannot have changed (:func:`doctest_key`).

>>> bool(DOCTEST_FLAGS & doctest.ELLIPSIS)
True
"""

from __future__ import annotations

import doctest
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: Doctest flags of the site: pytest's (see ``pyproject.toml``) plus Sphinx's defaults.
DOCTEST_FLAGS = (
    doctest.ELLIPSIS
    | doctest.NORMALIZE_WHITESPACE
    | doctest.IGNORE_EXCEPTION_DETAIL
    | doctest.DONT_ACCEPT_TRUE_FOR_1
)
#: File (in the doctest output folder) holding the key of the last passing run.
PASSED_STAMP = ".passed"


def module_setup_code(module: str) -> str:
    """Doctest setup giving a module's examples that module's globals, as pytest does.

    >>> namespace: dict[str, object] = {}
    >>> exec(module_setup_code("json.decoder"), namespace)
    >>> callable(namespace["py_scanstring"])
    True
    """
    return f"import importlib\nglobals().update(vars(importlib.import_module({module!r})))"


def group_docstring_doctests(app: Sphinx, doctree: Any) -> None:
    """``doctree-read``: run each module's docstring examples in that module's namespace.

    Each doctest block of the API reference is put in a doctest group named after the
    module it documents, and each group gets a hidden setup that loads the module's globals.

    >>> from docutils import nodes
    >>> group_docstring_doctests(None, nodes.document(None, None))  # no examples: no change
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


def doctest_key(doctrees: Path, settings: object) -> str:
    """What a doctest run depends on: the saved environment under ``doctrees`` and the
    build's ``settings`` (any value with a stable ``repr``). Empty if there is none.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     missing = doctest_key(Path(tmp), ("-n",))
    ...     _ = (Path(tmp) / "environment.pickle").write_bytes(b"env")
    ...     key = doctest_key(Path(tmp), ("-n",))
    ...     missing, len(key), key != doctest_key(Path(tmp), ("-n", "-W"))
    ('', 64, True)
    """
    pickle = doctrees / "environment.pickle"
    if not pickle.is_file():
        return ""
    digest = hashlib.sha256(pickle.read_bytes())
    digest.update(repr(settings).encode())
    return digest.hexdigest()


def passed_before(doctest_out: Path, key: str) -> bool:
    """True if the last doctest run into ``doctest_out`` passed with this key.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     before = passed_before(Path(tmp), "k1")
    ...     note_passed(Path(tmp), "k1")
    ...     before, passed_before(Path(tmp), "k1"), passed_before(Path(tmp), "k2")
    (False, True, False)
    """
    stamp = doctest_out / PASSED_STAMP
    return bool(key) and stamp.is_file() and stamp.read_text(encoding="utf-8") == key


def note_passed(doctest_out: Path, key: str) -> None:
    """Remember that a doctest run with ``key`` passed (example at :func:`passed_before`)."""
    if key:
        doctest_out.mkdir(parents=True, exist_ok=True)
        (doctest_out / PASSED_STAMP).write_text(key, encoding="utf-8")


def summary(builder: Any) -> str:
    """One line on what the doctest builder ran.

    >>> from types import SimpleNamespace
    >>> summary(SimpleNamespace(total_tries=918, total_failures=0, setup_failures=0,
    ...                         cleanup_failures=0))
    '918 examples, all passed'
    >>> summary(SimpleNamespace(total_tries=1, total_failures=1, setup_failures=0,
    ...                         cleanup_failures=0))
    '1 example, 1 failed'
    """
    tries = int(getattr(builder, "total_tries", 0))
    failed = int(getattr(builder, "total_failures", 0))
    broken = int(getattr(builder, "setup_failures", 0)) + int(
        getattr(builder, "cleanup_failures", 0))
    text = f"{tries} example{'s' * (tries != 1)}, "
    text += f"{failed} failed" if failed else "all passed"
    if broken:
        text += f", {broken} setup or cleanup failure{'s' * (broken != 1)}"
    return text
