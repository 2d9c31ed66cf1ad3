"""Python in the page: Pyodide and the package's wheel, served by the site for the calculator.

The calculator page runs ``ai_workloads`` in the reader's browser. Pyodide (CPython compiled
to WebAssembly, with its standard library) comes from npm, pinned in
``tests/browser/package-lock.json`` beside MathJax; the build copies the files a page needs
into ``_static/pyodide/`` and writes the package's own wheel, built from the checkout
(:mod:`sitebuild.wheel`), into ``_static/calculator/``. No other page loads either, and
nothing is fetched from another host.

>>> [target for _, target in PYODIDE_FILES][:2]
['pyodide.mjs', 'pyodide.asm.mjs']
"""

from __future__ import annotations

from pathlib import Path

from sitebuild.assets import INSTALL_COMMAND, NODE_MODULES, copy_if_changed
from sitebuild.wheel import PROJECT, build_wheel

#: The runtime's files: (path under ``node_modules``, name under ``_static/pyodide``). The
#: loader, the interpreter (its JavaScript glue and WebAssembly), the standard library and
#: the lock file the loader reads at start-up.
PYODIDE_FILES = tuple((f"pyodide/{name}", name) for name in (
    "pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
    "pyodide-lock.json"))
#: Where the site serves them from, relative to ``_static``.
PYODIDE_FOLDER = "pyodide"
#: Where the package's wheel goes, relative to ``_static``.
WHEEL_FOLDER = "calculator"


def install_runtime(static: Path, node_modules: Path = NODE_MODULES,
                    project: Path = PROJECT) -> int:
    """Copy Pyodide into ``static/pyodide`` and write the wheel; how many files changed.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     install_runtime(Path(tmp), Path(tmp) / "node_modules")
    Traceback (most recent call last):
    ...
    FileNotFoundError: Pyodide is missing (node_modules/pyodide/pyodide.mjs not found): run ...
    """
    changed = 0
    for source, target in PYODIDE_FILES:
        path = node_modules / source
        if not path.is_file():
            raise FileNotFoundError(
                f"Pyodide is missing ({path.relative_to(node_modules.parent)} not found): "
                f"run {INSTALL_COMMAND} (make html does)")
        changed += copy_if_changed(path, static / PYODIDE_FOLDER / target)
    wheel = static / WHEEL_FOLDER
    before = {p.name: p.read_bytes() for p in wheel.glob("*.whl")} if wheel.is_dir() else {}
    built = build_wheel(project, wheel)
    changed += before.get(built.name) != built.read_bytes()
    for stale in wheel.glob("*.whl"):  # an older version's wheel
        if stale != built:
            stale.unlink()
    return changed
