"""The package's wheel that the site builds for the calculator page.

What it must hold is what the checkout has: every module under ``src/ai_workloads``, the
catalog's JSON data and ``py.typed`` (the package data ``pyproject.toml`` declares), with a
``RECORD`` whose hashes and sizes are those of the entries (PEP 376/427: urlsafe base64
SHA-256 without padding). It must be the same bytes each build, and pip must install it: the
installed copy, alone on the path, answers the calculator's question with Meta's published
count of Llama 2 7B. The pip test installs offline from the file (a few seconds).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from sitebuild.wheel import PROJECT, build_wheel, wheel_name

import ai_workloads

SRC = PROJECT / "src"
DIST_INFO = f"ai_workloads-{ai_workloads.__version__}.dist-info"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(PROJECT, tmp_path_factory.mktemp("wheel"))


def test_the_wheel_holds_every_module_and_the_package_data(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for name in names - {f"{DIST_INFO}/RECORD"}:
            if not name.startswith(DIST_INFO):
                assert z.read(name) == (SRC / name).read_bytes(), name
    package = SRC / "ai_workloads"
    modules = {p.relative_to(SRC).as_posix() for p in package.rglob("*.py")
               if "__pycache__" not in p.parts}
    data = {p.relative_to(SRC).as_posix() for p in (package / "catalog" / "data").glob("*.json")}
    assert "ai_workloads/calculator/answer.py" in modules
    assert data
    assert modules <= names
    assert data <= names
    assert "ai_workloads/py.typed" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert names - modules - data - {"ai_workloads/py.typed"} == {
        f"{DIST_INFO}/{n}" for n in ("METADATA", "WHEEL", "entry_points.txt", "RECORD")}


def test_record_lists_every_entry_with_its_hash_and_size(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        rows = list(csv.reader(io.StringIO(z.read(f"{DIST_INFO}/RECORD").decode())))
        assert {row[0] for row in rows} == set(names)
        assert len(rows) == len(names)
        for path, digest, size in rows:
            if path == f"{DIST_INFO}/RECORD":
                assert (digest, size) == ("", "")
                continue
            data = z.read(path)
            want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == f"sha256={want.decode()}", path
            assert "=" not in digest.removeprefix("sha256=")
            assert int(size) == len(data), path


def test_the_metadata_says_the_project(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        metadata = z.read(f"{DIST_INFO}/METADATA").decode().splitlines()
        scripts = z.read(f"{DIST_INFO}/entry_points.txt").decode()
        tags = z.read(f"{DIST_INFO}/WHEEL").decode().splitlines()
    assert "Name: ai-workloads" in metadata
    assert f"Version: {ai_workloads.__version__}" in metadata
    assert "ai-workloads = ai_workloads.cli:run" in scripts
    assert {"Root-Is-Purelib: true", "Tag: py3-none-any"} <= set(tags)


def test_two_builds_are_the_same_bytes(wheel: Path, tmp_path: Path) -> None:
    again = build_wheel(PROJECT, tmp_path)
    assert again.name == wheel.name
    assert again.read_bytes() == wheel.read_bytes()
    stamp = again.stat().st_mtime_ns
    build_wheel(PROJECT, tmp_path)                 # unchanged: the file is left alone
    assert again.stat().st_mtime_ns == stamp


def test_the_wheel_name_is_the_projects_version() -> None:
    with (PROJECT / "pyproject.toml").open("rb") as f:
        version = tomllib.load(f)["project"]["version"]
    assert version == ai_workloads.__version__
    assert wheel_name() == f"ai_workloads-{version}-py3-none-any.whl"


CHECK = """\
import ai_workloads, sys
from ai_workloads.calculator import answer
print(ai_workloads.__file__)
print(answer({"model": "llama-2-7b"})["quantities"]["params_total"]["value"])
print("numpy" in sys.modules)
"""


def test_pip_installs_it_and_the_installed_copy_answers(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                    "--disable-pip-version-check", "--quiet", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, text=True)
    assert (target / DIST_INFO / "RECORD").is_file()
    # The checkout's src (on the path through the editable install's .pth) comes after
    # PYTHONPATH; the check below says which copy was imported.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, env=env,
                            capture_output=True, text=True, check=True)
    where, total, numpy = result.stdout.splitlines()
    assert Path(where).resolve().is_relative_to(target.resolve())
    assert total == "6738415616"                # Meta's published count
    assert numpy == "False"                     # the calculator runs without NumPy
