"""A build with nothing changed since the last one that passed: known before Sphinx starts.

What the site is built from: every file under the source folder (the pages, the static
files, this extension), ``conf.py``, every file of the package ``ai_workloads`` (the
chapters import it), the installed distributions with their versions, the npm lockfile that
pins the MathJax the site serves, the Python version, and the build's options. After a
build that passed, a digest of all of them is written to ``<out>/sitebuild-inputs.sha256``;
a later build that finds the same digest and the site still in place has nothing to do and
stops at once, without starting Sphinx (which alone takes seconds to import its extensions
and load the saved environment). ``-E`` and CI always build.

>>> len(inputs_digest(Path("no-such-folder"), Path("no-such-folder"), ("html",)))
64
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from pathlib import Path

from sitebuild.assets import NODE_MODULES
from sitebuild.cache import package_dir, source_fingerprint

#: File (in the build folder) with the digest of the inputs of the last passing build.
STAMP = "sitebuild-inputs.sha256"
#: Folder names never part of the inputs (build output, byte code, editor checkpoints).
SKIPPED = frozenset({"_build", "__pycache__", ".ipynb_checkpoints", ".jupyter_cache"})


def tree_digest(root: Path) -> str:
    """SHA-256 over the relative path and bytes of every file under ``root`` (the
    folders of :data:`SKIPPED` and ``.pyc`` files left out); a missing folder hashes empty.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     empty = tree_digest(Path(tmp))
    ...     (Path(tmp) / "_build").mkdir()
    ...     _ = (Path(tmp) / "_build" / "page.html").write_text("output")
    ...     same = tree_digest(Path(tmp)) == empty
    ...     _ = (Path(tmp) / "page.md").write_text("# A page")
    ...     same, tree_digest(Path(tmp)) != empty
    (True, True)
    """
    digest = hashlib.sha256()
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if SKIPPED.intersection(relative.parts) or path.suffix == ".pyc" \
                    or not path.is_file():
                continue
            digest.update(relative.as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def installed_distributions(paths: Iterable[str] | None = None) -> list[str]:
    """The installed distributions, as their metadata folders name them (name and version).

    >>> any(name.startswith(("sphinx-", "sphinx_")) for name in installed_distributions())
    True
    """
    found: set[str] = set()
    for entry in sys.path if paths is None else paths:
        folder = Path(entry or ".")
        if not folder.is_dir():
            continue
        found.update(p.name.lower() for p in folder.iterdir()
                     if p.suffix in (".dist-info", ".egg-info"))
    return sorted(found)


def inputs_digest(source: Path, confdir: Path, settings: tuple[object, ...]) -> str:
    """SHA-256 over everything the site is built from (see the module's description).

    >>> a = inputs_digest(Path("no-such-folder"), Path("."), ("html",))
    >>> a != inputs_digest(Path("no-such-folder"), Path("."), ("html", "doctest"))
    True
    """
    try:
        package = source_fingerprint(package_dir())
    except ModuleNotFoundError:
        package = "no package"
    conf = confdir / "conf.py"
    lock = NODE_MODULES.parent / "package-lock.json"  # the version of the MathJax served
    parts = [
        tree_digest(source),
        hashlib.sha256(conf.read_bytes()).hexdigest() if conf.is_file() else "no conf.py",
        tree_digest(Path(__file__).resolve().parent),  # this extension, wherever it lies
        package,
        "\n".join(installed_distributions()),
        hashlib.sha256(lock.read_bytes()).hexdigest() if lock.is_file() else "no lock",
        sys.version,
        repr(settings),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def is_up_to_date(out: Path, digest: str) -> bool:
    """True if the last passing build into ``out`` had these inputs and its site is there.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = Path(tmp)
    ...     (out / "html").mkdir()
    ...     _ = (out / "html" / "index.html").write_text("<html></html>")
    ...     before = is_up_to_date(out, "d1")
    ...     note_built(out, "d1")
    ...     before, is_up_to_date(out, "d1"), is_up_to_date(out, "d2")
    (False, True, False)
    """
    stamp = out / STAMP
    return bool(digest) and (out / "html" / "index.html").is_file() and stamp.is_file() \
        and stamp.read_text(encoding="utf-8").strip() == digest


def note_built(out: Path, digest: str) -> None:
    """Record the inputs of a build that passed (example at :func:`is_up_to_date`)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / STAMP).write_text(digest + "\n", encoding="utf-8")


def forget(out: Path) -> None:
    """Drop the record, before a build that may fail or change the output.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     note_built(Path(tmp), "d1"); forget(Path(tmp))
    ...     (Path(tmp) / STAMP).exists()
    False
    """
    (out / STAMP).unlink(missing_ok=True)
