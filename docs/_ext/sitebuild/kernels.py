"""The chapters' Jupyter kernels: over Unix sockets (IPC), one line per chapter executed.

myst-nb executes a notebook through jupyter-cache and nbclient, whose kernel manager talks
to the kernel over TCP on localhost by default. The kernel then warns at every start
("Kernel is running over TCP without encryption"), and two kernels started at the same
moment by parallel readers can pick the same free port. Here every kernel listens on Unix
domain sockets instead (``transport="ipc"``), named after a random identifier of its own,
so no two kernels ever share an address and parallel reading (``-j``) is safe.

:func:`install` puts :func:`execute_notebook` in the place of jupyter-cache's
``single_nb_execution`` in myst-nb's two execution paths (cached and forced): it runs the
notebook with :class:`IPCKernelManager`, stops its kernel as soon as the last cell is done,
and prints which chapter is executing and how long it took.

>>> IPCKernelManager().transport
'ipc'
"""

from __future__ import annotations

import os
import tempfile
import uuid
from typing import TYPE_CHECKING, Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import default

from sitebuild import progress

if TYPE_CHECKING:
    from jupyter_cache.executors.utils import ExecutionResult  # type: ignore[import-untyped]
    from nbformat import NotebookNode
    from sphinx.application import Sphinx

#: The Sphinx application whose pages are being read (set at ``builder-inited``); the
#: reading processes of a parallel build inherit it.
_current: dict[str, Any] = {}


class IPCKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel listens on Unix sockets with an address of its own.

    The sockets are ``<tmp>/kernel-<random>-ipc-<n>``; jupyter_client removes them when
    the kernel shuts down.

    >>> km = IPCKernelManager()
    >>> km.ip.startswith(tempfile.gettempdir()), km.ip.endswith("-ipc")
    (True, True)
    >>> km.ip != IPCKernelManager().ip
    True
    """

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    @default("ip")
    def _default_ip(self) -> str:
        return os.path.join(tempfile.gettempdir(), f"kernel-{uuid.uuid4().hex[:16]}-ipc")


def current_page() -> str:
    """The page being read in this process, or ``"a notebook"`` outside a build.

    >>> current_page()
    'a notebook'
    """
    app = _current.get("app")
    try:
        return str(app.env.docname) if app is not None else "a notebook"
    except (AttributeError, KeyError):
        return "a notebook"


def execute_notebook(nb: NotebookNode, cwd: str | None, timeout: int | None,
                     allow_errors: bool, meta_override: bool = True,
                     record_timing: bool = False, **kwargs: Any) -> ExecutionResult:
    """jupyter-cache's ``single_nb_execution`` over IPC, announcing the chapter and its time.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    >>> nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    >>> options = {"cwd": None, "timeout": 60, "allow_errors": False}
    >>> result = execute_notebook(nb, **options)  # doctest: +ELLIPSIS
      a notebook: executing
      a notebook: executed in ... s
    >>> result.err is None, nb.cells[0].outputs[0]["text"]
    (True, '42\\n')
    """
    from jupyter_cache.executors.utils import single_nb_execution

    kwargs.setdefault("kernel_manager_class", IPCKernelManager)
    # Every output has arrived when the last cell is done: stop the kernel at once rather
    # than ask it to and wait (a fifth of a second per chapter).
    kwargs.setdefault("shutdown_kernel", "immediate")
    name = current_page()
    progress.say(progress.chapter_line(name, None))
    result = single_nb_execution(nb, cwd, timeout, allow_errors, meta_override,
                                 record_timing, **kwargs)
    progress.say(progress.chapter_line(name, result.time, failed=result.err is not None))
    return result


def install(app: Sphinx) -> None:
    """``builder-inited``: run myst-nb's notebooks through :func:`execute_notebook`.

    >>> from myst_nb.core.execute import cache
    >>> install(None); cache.single_nb_execution is execute_notebook
    True
    """
    from myst_nb.core.execute import cache, direct  # type: ignore[import-untyped]

    _current["app"] = app
    cache.single_nb_execution = execute_notebook
    direct.single_nb_execution = execute_notebook


def warm_matplotlib(app: Sphinx, config: Any) -> None:
    """``config-inited``: build matplotlib's font cache here, not inside a chapter's kernel.

    On a fresh machine matplotlib announces the cache build on stderr, which a chapter would
    report as a warning.

    >>> warm_matplotlib(None, None)
    """
    try:
        import matplotlib.font_manager  # noqa: F401
    except ImportError:  # pragma: no cover - matplotlib is in the docs extra
        return
