"""The search index after an incremental build: the same as after a clean one.

Sphinx collects a page's index entries for the search index only when it writes the page,
and does not keep them in the saved environment, so a rebuild that skips a page would drop
that page's entries (and differ from a clean build). They are kept in a file next to the
doctrees instead and given back to the pages that were not rewritten.

>>> SEARCH_ENTRIES_FILE
'search-index-entries.json'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: File (in the doctree folder) keeping the search index's index entries between builds.
SEARCH_ENTRIES_FILE = "search-index-entries.json"


def restore_entries(app: Sphinx, env: Any) -> None:
    """``env-updated``: give the search index the entries of pages not rewritten this time.

    >>> from types import SimpleNamespace
    >>> restore_entries(SimpleNamespace(doctreedir="no-such-folder",
    ...                                 builder=SimpleNamespace(format="html")), None)
    """
    path = Path(app.doctreedir) / SEARCH_ENTRIES_FILE
    if app.builder.format != "html" or not path.is_file():
        return
    saved = json.loads(path.read_text(encoding="utf-8"))
    current = env._search_index_index_entries
    for docname, entries in saved.items():
        if docname in env.all_docs:
            current.setdefault(docname, [tuple(entry) for entry in entries])


def save_entries(app: Sphinx, exception: BaseException | None) -> None:
    """``build-finished``: keep the search index's index entries for the next build.

    >>> save_entries(None, RuntimeError("the build failed: nothing is saved"))
    """
    if exception is not None or app.builder.format != "html":
        return
    entries = app.env._search_index_index_entries
    text = json.dumps(entries, sort_keys=True, ensure_ascii=False)
    (Path(app.doctreedir) / SEARCH_ENTRIES_FILE).write_text(text, encoding="utf-8")
