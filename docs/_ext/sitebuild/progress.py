"""What the build prints: a line per chapter as it executes, how long it took, a summary.

The build driver switches Sphinx's own log off (every phase, every file it copies, and the
Markdown and notebook parsers' full configuration); warnings and errors still go to stderr.
What is left is what a person waits for: which chapter is executing, how long it took, how
many pages were read and written, and how the build ended. Lines go to stdout as they
happen, also from the processes that read pages in parallel.

>>> chapter_line("chapters/06-flops", 2.345)
'  chapters/06-flops: executed in 2.3 s'
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

#: Prefix of the lines of the build driver itself.
PREFIX = "sitebuild:"
#: Whether lines are printed (the driver's ``-q`` turns them off).
_state: dict[str, Any] = {"enabled": True, "read_started": 0.0, "reading": []}


def enable(on: bool) -> bool:
    """Print progress lines (``True``, the default) or not; return the previous setting.

    >>> before = enable(False)
    >>> say("not shown")
    >>> enable(before)
    False
    """
    before = bool(_state["enabled"])
    _state["enabled"] = on
    return before


def say(text: str, always: bool = False) -> None:
    """Print one line of progress to stdout now; nothing when progress is off, unless
    ``always`` (a verdict).

    >>> say("sitebuild: html: reading 1 page")
    sitebuild: html: reading 1 page
    """
    if always or _state["enabled"]:
        print(text, file=sys.stdout, flush=True)


def chapter_line(docname: str, seconds: float | None, failed: bool = False) -> str:
    """The line for one chapter: ``executing`` (no time yet), then how long it took.

    >>> chapter_line("chapters/02-attention", None)
    '  chapters/02-attention: executing'
    >>> chapter_line("chapters/02-attention", 1.0, failed=True)
    '  chapters/02-attention: a cell FAILED after 1.0 s'
    """
    if seconds is None:
        return f"  {docname}: executing"
    if failed:
        return f"  {docname}: a cell FAILED after {seconds:.1f} s"
    return f"  {docname}: executed in {seconds:.1f} s"


def reading_line(pages: int, readers: int) -> str:
    """The line announcing what the html builder reads.

    >>> reading_line(18, 2), reading_line(1, 1)
    ('sitebuild: html: reading 18 pages with 2 readers', 'sitebuild: html: reading 1 page')
    """
    noun = "page" if pages == 1 else "pages"
    who = f" with {readers} readers" if readers > 1 else ""
    return f"{PREFIX} html: reading {pages} {noun}{who}"


def read_summary(pages: int, seconds: float, executed: Sequence[float], cached: int) -> str:
    """The line after reading: pages, time, notebooks executed (kernel time) and cached.

    >>> print(read_summary(18, 30.04, [2.0, 3.5], 13))
    sitebuild: html: read 18 pages in 30.0 s; 2 notebooks executed (5.5 s in kernels),
    13 from the cache
    >>> read_summary(2, 0.5, [], 0)
    'sitebuild: html: read 2 pages in 0.5 s'
    """
    line = f"{PREFIX} html: read {pages} page{'s' * (pages != 1)} in {seconds:.1f} s"
    parts = []
    if executed:
        count = len(executed)
        parts.append(f"{count} notebook{'s' * (count != 1)} executed "
                     f"({sum(executed):.1f} s in kernels)")
    if cached:
        parts.append(f"{cached} from the cache")
    return line + ("; " + ", ".join(parts) if parts else "")


def before_read(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``: note what is read and when, and say so.

    >>> from types import SimpleNamespace
    >>> app = SimpleNamespace(builder=SimpleNamespace(format="html"), parallel=2,
    ...                       is_parallel_allowed=lambda kind: True)
    >>> before_read(app, None, ["index", "api", "a", "b", "c", "d"])
    sitebuild: html: reading 6 pages with 2 readers
    """
    _state["read_started"] = time.time()
    _state["reading"] = list(docnames)
    if docnames and app.builder.format == "html":
        readers = app.parallel if len(docnames) > 5 and app.is_parallel_allowed("read") else 1
        say(reading_line(len(docnames), readers))


def after_read(app: Sphinx, env: BuildEnvironment) -> None:
    """``env-updated``: sum up the pages read, the notebooks executed and those cached.

    A notebook counts as executed if its execution data is newer than the start of the
    reading; older data came from the cache. (``app`` as in :func:`before_read`.)

    >>> from collections import defaultdict
    >>> from types import SimpleNamespace
    >>> app = SimpleNamespace(builder=SimpleNamespace(format="html"), parallel=1,
    ...                       is_parallel_allowed=lambda kind: True)
    >>> before_read(app, None, ["a", "b", "index"])
    sitebuild: html: reading 3 pages
    >>> ran = {"mtime": time.time() + 1, "runtime": 2.0}
    >>> env = SimpleNamespace(nb_metadata=defaultdict(dict, a={"exec_data": ran},
    ...                                               b={"exec_data": {"mtime": 0.0}}))
    >>> after_read(app, env)  # doctest: +ELLIPSIS
    sitebuild: html: read 3 pages in ... s; 1 notebook executed (2.0 s in kernels),
    1 from the cache
    """
    docnames: list[str] = _state["reading"]
    if not docnames or app.builder.format != "html":
        return
    from myst_nb.sphinx_ import NbMetadataCollector  # type: ignore[import-untyped]

    started = float(_state["read_started"])
    executed: list[float] = []
    cached = 0
    for docname in docnames:
        data = NbMetadataCollector.get_exec_data(env, docname)
        if not data:
            continue
        if float(data.get("mtime") or 0.0) >= started:
            executed.append(float(data.get("runtime") or 0.0))
        else:
            cached += 1
    say(read_summary(len(docnames), time.time() - started, executed, cached))
    _state["reading"] = []
