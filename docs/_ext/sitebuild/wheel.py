"""The package's own pure-Python wheel, built from the checkout for the calculator page.

The calculator runs ``ai_workloads`` in the reader's browser (Pyodide), which installs the
package from a wheel. The wheel is written here with the standard library, from what
``pyproject.toml`` declares: every module of the packages under ``src`` and the package data
its ``[tool.setuptools.package-data]`` names, plus the ``.dist-info`` files a wheel carries
(``METADATA``, ``WHEEL``, ``entry_points.txt``, ``RECORD`` with each file's SHA-256 and size).
Entries are sorted and stamped with one fixed time, so the same checkout gives the same bytes
(the site is reproducible); ``pip install`` takes the result like any wheel.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     root = fake_project(Path(tmp))
...     wheel = build_wheel(root, Path(tmp) / "out")
...     with zipfile.ZipFile(wheel) as z:
...         names = z.namelist()
>>> wheel.name
'demo_pkg-1.2-py3-none-any.whl'
>>> names   # doctest: +NORMALIZE_WHITESPACE
['demo_pkg/__init__.py', 'demo_pkg/data/a.json', 'demo_pkg-1.2.dist-info/METADATA',
 'demo_pkg-1.2.dist-info/WHEEL', 'demo_pkg-1.2.dist-info/entry_points.txt',
 'demo_pkg-1.2.dist-info/RECORD']
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import re
import tomllib
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

#: The time stamped on every entry (zip's epoch): no build time leaks into the bytes.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
#: Where the project is (this file is ``docs/_ext/sitebuild/wheel.py``).
PROJECT = Path(__file__).resolve().parents[3]


def _project(root: Path) -> dict[str, Any]:
    with (root / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def _normalized(name: str) -> str:
    """A distribution name as wheel file names spell it (PEP 427): runs of -_. become _."""
    return re.sub(r"[-_.]+", "_", name).lower()


def wheel_name(root: Path = PROJECT) -> str:
    """The file name of the wheel :func:`build_wheel` writes for the project at ``root``.

    >>> wheel_name()
    'ai_workloads-0.1.0-py3-none-any.whl'
    """
    meta = _project(root)["project"]
    return f"{_normalized(meta['name'])}-{meta['version']}-py3-none-any.whl"


def package_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Each file the wheel holds from ``src``: (its path in the wheel, its path on disk).

    Modules are the ``.py`` files of every package (a folder with ``__init__.py``) under the
    ``where`` folder of ``[tool.setuptools.packages.find]``; data files match a pattern of
    ``[tool.setuptools.package-data]`` for their package. Caches are never included.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [name for name, _ in package_files(fake_project(Path(tmp)))]
    ['demo_pkg/__init__.py', 'demo_pkg/data/a.json']
    """
    setuptools = _project(root).get("tool", {}).get("setuptools", {})
    where = root / setuptools.get("packages", {}).get("find", {}).get("where", ["."])[0]
    data: Mapping[str, list[str]] = setuptools.get("package-data", {})
    for init in sorted(where.rglob("__init__.py")):
        folder = init.parent
        if "__pycache__" in folder.parts:
            continue
        package = ".".join(folder.relative_to(where).parts)
        patterns = data.get(package, [])
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            inside = path.relative_to(folder).as_posix()
            owner = path.parent
            module = path.suffix == ".py" and owner == folder
            # Data of this package: not inside a subpackage (which lists its own).
            data_file = (owner == folder or not (owner / "__init__.py").is_file()) and any(
                fnmatch.fnmatchcase(inside, pattern) for pattern in patterns)
            if module or data_file:
                yield path.relative_to(where).as_posix(), path


def _metadata(meta: Mapping[str, Any]) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {meta['name']}", f"Version: {meta['version']}",
             f"Summary: {meta.get('description', '')}"]
    if "requires-python" in meta:
        lines.append(f"Requires-Python: {meta['requires-python']}")
    if "license" in meta and isinstance(meta["license"], str):
        lines.append(f"License-Expression: {meta['license']}")
    lines += [f"Requires-Dist: {dep}" for dep in meta.get("dependencies", [])]
    for extra, deps in meta.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {dep}; extra == "{extra}"' for dep in deps]
    return "\n".join(lines) + "\n"


def _entry_points(meta: Mapping[str, Any]) -> str:
    scripts = meta.get("scripts", {})
    if not scripts:
        return ""
    return "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(root: Path, out: Path) -> Path:
    """Write the wheel of the project at ``root`` into the folder ``out``; its path.

    The file is rewritten only when its bytes change, so an unchanged checkout leaves it
    untouched.
    """
    meta = _project(root)["project"]
    dist_info = f"{_normalized(meta['name'])}-{meta['version']}.dist-info"
    entries = [(name, path.read_bytes()) for name, path in package_files(root)]
    entries.append((f"{dist_info}/METADATA", _metadata(meta).encode()))
    entries.append((f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: sitebuild\n"
                    b"Root-Is-Purelib: true\nTag: py3-none-any\n"))
    if scripts := _entry_points(meta):
        entries.append((f"{dist_info}/entry_points.txt", scripts.encode()))
    record = "".join(_record_line(name, data) + "\n" for name, data in entries)
    entries.append((f"{dist_info}/RECORD", (record + f"{dist_info}/RECORD,,\n").encode()))

    target = out / wheel_name(root)
    temp = target.with_suffix(".tmp")
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data, compresslevel=9)
    if target.is_file() and target.read_bytes() == temp.read_bytes():
        temp.unlink()
    else:
        temp.replace(target)
    return target


def fake_project(folder: Path) -> Path:
    """A two-file project (one module, one data file, one stray cache), for examples.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     (fake_project(Path(tmp)) / "pyproject.toml").is_file()
    True
    """
    root = folder / "demo"
    package = root / "src" / "demo_pkg"
    (package / "data").mkdir(parents=True)
    (package / "__pycache__").mkdir()
    (package / "__init__.py").write_text('"""Demo."""\n')
    (package / "data" / "a.json").write_text("{}\n")
    (package / "data" / "notes.txt").write_text("not package data\n")
    (package / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo-pkg"\nversion = "1.2"\ndependencies = ["numpy"]\n'
        '[project.scripts]\ndemo = "demo_pkg:main"\n'
        '[tool.setuptools.packages.find]\nwhere = ["src"]\n'
        '[tool.setuptools.package-data]\ndemo_pkg = ["data/*.json"]\n')
    return root
