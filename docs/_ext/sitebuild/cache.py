"""The package fingerprint and the execution cache keyed on it.

Every number of a chapter comes from the package ``ai_workloads``, so an executed notebook
is valid only for the package bytes that computed it. The fingerprint, a hash of every file
of the package, is the config value ``ai_workloads_fingerprint`` (``rebuild="env"``): any
change to the package makes Sphinx re-read every page. The jupyter-cache folder is named
after the same hash, ``<build>/.jupyter_cache/<first 16 hex digits>``, and older folders are
deleted, so a number computed by old code never survives.

>>> execution_mode({"CI": "true"}), execution_mode({})
('force', 'cache')
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

#: The package whose files make up the fingerprint.
PACKAGE = "ai_workloads"
#: Folder (under the build folder) holding one jupyter-cache per package fingerprint.
CACHE_FOLDER = ".jupyter_cache"
#: Characters of the fingerprint used to name a cache folder.
CACHE_KEY_CHARS = 16
#: Values of ``CI`` that do not count as set.
CI_OFF = frozenset({"", "0", "false", "no", "off"})


def ci_is_set(environ: Mapping[str, str]) -> bool:
    """True if the environment says this is a CI run (``CI`` set, and not to a "no").

    >>> ci_is_set({"CI": "true"}), ci_is_set({"CI": "0"}), ci_is_set({})
    (True, False, False)
    """
    return environ.get("CI", "").strip().lower() not in CI_OFF


def execution_mode(environ: Mapping[str, str]) -> str:
    """myst-nb's execution mode: ``"force"`` (always run) when ``CI`` is set, else ``"cache"``.

    ``CI`` counts as set unless it is empty, ``0``, ``false``, ``no`` or ``off``.

    >>> execution_mode({"CI": "1"}), execution_mode({"CI": "false"})
    ('force', 'cache')
    """
    return "force" if ci_is_set(environ) else "cache"


def package_dir() -> Path:
    """The folder of the ``ai_workloads`` package that the chapters import.

    Found without importing it, on the same path the chapters' kernels search.

    >>> (package_dir() / "__init__.py").is_file(), package_dir().name
    (True, 'ai_workloads')
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the package {PACKAGE} is not installed")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


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


def configure_cache(app: Sphinx, config: Config) -> None:
    """``config-inited``: key the jupyter-cache on the package fingerprint, prune old ones.

    >>> from types import SimpleNamespace
    >>> configure_cache(None, SimpleNamespace(nb_execution_cache_path="mine"))  # user's own
    """
    if config.nb_execution_cache_path:  # set explicitly by the user: leave it alone
        return
    fingerprint = config.ai_workloads_fingerprint or source_fingerprint()
    config.ai_workloads_fingerprint = fingerprint
    folder = cache_dir(Path(app.outdir).parent, fingerprint)
    prune_caches(folder)
    config.nb_execution_cache_path = str(folder)
