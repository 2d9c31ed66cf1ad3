"""The package's layers, read from its source: who may import whom, module size, docstrings.

Data flows one way through the layers: ``core`` is the vocabulary;
``catalog`` and ``analysis`` build on it alone; ``reference`` is an independent check that
sees only ``core``; ``present`` formats and never calls the command line; only ``present``,
the command line and ``measure`` itself reach into ``measure``. The checker below parses
every module of ``src/ai_workloads`` with :mod:`ast` and collects every import, at module
level or inside a function, absolute or relative, plus ``importlib.import_module("...")``
calls with a literal name. Each violation names the file, the line and the rule it breaks.

The checker takes a source root and a package name, so the self-tests run it on a fake
package written to a temporary folder with violations planted in it, so no rule can pass
just because the checker saw nothing.

The calculator (``ai_workloads.calculator``, an application beside the command line) runs in
the reader's browser without NumPy, so it may import only core, catalog, analysis and
present, and it, and everything it calls, must import and answer with NumPy unavailable.
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = "ai_workloads"

#: The layer folders, bottom-up.
LAYERS: tuple[str, ...] = ("core", "catalog", "analysis", "reference", "present", "measure")
#: Modules at the top of the package that form the command-line layer.
CLI_MODULES: frozenset[str] = frozenset({"cli", "__main__"})
#: The calculator: the application the calculator page runs in the browser (Pyodide).
CALCULATOR = "calculator"
#: The package root (``ai_workloads/__init__.py``), which re-exports the public API.
TOP = "top"
CLI = "cli"
#: No module may be longer than this many lines.
MAX_LINES = 450
#: Top-level imports that would put the site's build machinery into the runtime package.
SPHINX_MODULES: frozenset[str] = frozenset({"sphinx", "docutils", "myst_nb", "myst_parser",
                                            "jupyter_cache", "sitebuild"})


@dataclass(frozen=True, slots=True)
class Rule:
    """One layer rule: ``broken(importer_layer, imported_layer)`` says when it is broken."""

    name: str
    text: str
    broken: Callable[[str, str], bool]


def _only(layer: str, allowed: frozenset[str]) -> Callable[[str, str], bool]:
    return lambda src, dst: src == layer and dst not in allowed


RULES: tuple[Rule, ...] = (
    Rule("core", "core imports no other layer",
         _only("core", frozenset({"core"}))),
    Rule("catalog", "catalog imports only core",
         _only("catalog", frozenset({"core", "catalog"}))),
    Rule("analysis", "analysis imports only core",
         _only("analysis", frozenset({"core", "analysis"}))),
    Rule("reference",
         "reference imports only core (never analysis, present, catalog, measure or the CLI)",
         _only("reference", frozenset({"core", "reference"}))),
    Rule("present", "present never imports the CLI or the calculator",
         lambda src, dst: src == "present" and dst in {CLI, CALCULATOR}),
    Rule("calculator",
         "the calculator imports only core, catalog, analysis and present (nothing with NumPy)",
         _only(CALCULATOR, frozenset({"core", "catalog", "analysis", "present", CALCULATOR}))),
    Rule("measure", "nothing but present, cli and measure imports measure",
         lambda src, dst: dst == "measure" and src not in {"present", CLI, "measure"}),
)


@dataclass(frozen=True, slots=True)
class Module:
    """One source file of the package."""

    name: str  # dotted, e.g. ai_workloads.core.config
    path: Path
    is_package: bool  # an __init__.py

    @property
    def package(self) -> str:
        """The package relative imports start from."""
        return self.name if self.is_package else self.name.rpartition(".")[0]


@dataclass(frozen=True, slots=True)
class Import:
    """One import statement's target, where it was written."""

    module: Module
    line: int
    target: str  # dotted module name, absolute


@dataclass(frozen=True, slots=True)
class Violation:
    """A broken rule, as the failure message reports it."""

    path: str
    line: int
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.detail} [rule: {self.rule}]"


def modules(src: Path, package: str) -> list[Module]:
    """Every ``.py`` file of ``package`` under ``src``, with its dotted name."""
    found = []
    for path in sorted((src / package).rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = list(path.relative_to(src).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found.append(Module(".".join(parts), path, is_package))
    return found


def _relative(src: Path, path: Path) -> str:
    try:
        return path.relative_to(src.parent).as_posix()
    except ValueError:
        return path.as_posix()


def _resolve(module: Module, level: int, name: str | None) -> str:
    """The absolute name of ``from <level dots><name> import ...`` written in ``module``."""
    if level == 0:
        return name or ""
    base = module.package.split(".")
    if level - 1 >= len(base):
        raise ValueError(f"{module.path}: relative import beyond the top package")
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def imports(module: Module, known: set[str]) -> Iterator[Import]:
    """Every import in ``module``'s source, wherever it is written (functions included).

    ``from pkg import name`` counts as an import of ``pkg.name`` when that is a module of
    ``known``, else of ``pkg``. A call ``importlib.import_module("x.y")`` (or
    ``__import__("x.y")``) with a literal name counts as an import of ``x.y``.
    """
    tree = ast.parse(module.path.read_text(encoding="utf-8"), filename=str(module.path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node.level, node.module)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield Import(module, node.lineno, candidate if candidate in known else base)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = (func.attr if isinstance(func, ast.Attribute)
                      else func.id if isinstance(func, ast.Name) else "")
            first = node.args[0]
            if (called in ("import_module", "__import__") and isinstance(first, ast.Constant)
                    and isinstance(first.value, str) and not first.value.startswith(".")):
                yield Import(module, node.lineno, first.value)


def layer_of(name: str, package: str) -> str | None:
    """The layer of dotted module ``name``: a layer folder, ``cli``, ``calculator``, ``top``,
    ``?`` or None.

    None means outside the package (the standard library, NumPy, ...); ``?`` a module of the
    package that sits in no layer.
    """
    parts = name.split(".")
    if parts[0] != package:
        return None
    if len(parts) == 1:
        return TOP
    if parts[1] in LAYERS:
        return parts[1]
    if parts[1] in CLI_MODULES:
        return CLI
    if parts[1] == CALCULATOR:
        return CALCULATOR
    return "?"


def check_imports(src: Path, package: str) -> list[Violation]:
    """Every import of ``package`` (under ``src``) that breaks one of :data:`RULES`."""
    mods = modules(src, package)
    known = {m.name for m in mods}
    found = []
    for mod in mods:
        here = layer_of(mod.name, package)
        assert here is not None
        seen: set[tuple[int, str]] = set()
        for imp in imports(mod, known):
            if (imp.line, imp.target) in seen:  # one line may import several names
                continue
            seen.add((imp.line, imp.target))
            there = layer_of(imp.target, package)
            if there is None:
                if imp.target.split(".")[0] in SPHINX_MODULES:
                    found.append(Violation(
                        _relative(src, mod.path), imp.line, "no Sphinx code in the package",
                        f"{mod.name} imports {imp.target}"))
                continue
            for rule in RULES:
                if rule.broken(here, there):
                    found.append(Violation(_relative(src, mod.path), imp.line, rule.text,
                                           f"{mod.name} ({here}) imports {imp.target} ({there})"))
    return found


def check_placement(src: Path, package: str) -> list[Violation]:
    """Modules of ``package`` that sit in no layer folder (nor are the CLI or the root)."""
    return [Violation(_relative(src, m.path), 1, "every module sits in a layer",
                      f"{m.name} is in none of {', '.join(LAYERS)} (nor cli, __main__, "
                      "calculator)")
            for m in modules(src, package) if layer_of(m.name, package) == "?"]


def check_sizes(src: Path, package: str, limit: int = MAX_LINES) -> list[Violation]:
    """Modules of ``package`` longer than ``limit`` lines."""
    found = []
    for m in modules(src, package):
        n = len(m.path.read_text(encoding="utf-8").splitlines())
        if n > limit:
            found.append(Violation(_relative(src, m.path), limit + 1,
                                   f"no module over {limit} lines",
                                   f"{m.name} has {n} lines"))
    return found


def check_docstrings(src: Path, package: str) -> list[Violation]:
    """Layer packages (and their subpackages) whose docstring does not open with prose.

    "A one-paragraph docstring saying what belongs there": the docstring must exist and open
    with a paragraph of prose of at least one sentence (not an example); a longer docstring
    may go on, with more detail and the runnable example the project asks of every module.
    """
    found = []
    by_name = {m.name: m for m in modules(src, package)}
    for layer in LAYERS:
        if f"{package}.{layer}" not in by_name:
            init = src / package / layer / "__init__.py"
            found.append(Violation(_relative(src, init), 1, "layers are packages",
                                   f"layer package {package}.{layer} is missing"))
    for m in by_name.values():
        if not m.is_package or layer_of(m.name, package) not in LAYERS:
            continue
        doc = ast.get_docstring(ast.parse(m.path.read_text(encoding="utf-8"))) or ""
        first = doc.strip().split("\n\n")[0].strip()
        if not first or first.startswith(">>>") or len(first.split()) < 8 or "." not in first:
            found.append(Violation(
                _relative(src, m.path), 1, "every layer package has a one-paragraph docstring",
                f"{m.name} opens with {first[:40]!r}, not a paragraph saying what belongs there"))
    return found


def report(violations: list[Violation]) -> str:
    return "\n".join(str(v) for v in violations)


# --------------------------------------------------------------------------- the package

@functools.cache
def package_imports() -> list[Violation]:
    return check_imports(SRC, PACKAGE)


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_layer_rule(rule: Rule) -> None:
    broken = [v for v in package_imports() if v.rule == rule.text]
    assert not broken, f"{len(broken)} import(s) against '{rule.text}':\n{report(broken)}"


def test_no_sphinx_in_the_runtime_package() -> None:
    broken = [v for v in package_imports() if v.rule == "no Sphinx code in the package"]
    assert not broken, report(broken)


def test_every_module_sits_in_a_layer() -> None:
    broken = check_placement(SRC, PACKAGE)
    assert not broken, report(broken)


def test_no_module_over_the_line_limit() -> None:
    broken = check_sizes(SRC, PACKAGE)
    assert not broken, report(broken)


def test_layer_packages_say_what_belongs_there() -> None:
    broken = check_docstrings(SRC, PACKAGE)
    assert not broken, report(broken)


def test_the_checker_sees_the_whole_package() -> None:
    # Not vacuous on the real tree either: every layer has modules, and imports are found.
    mods = modules(SRC, PACKAGE)
    layers = {layer_of(m.name, PACKAGE) for m in mods}
    assert set(LAYERS) | {CLI, CALCULATOR, TOP} <= layers
    known = {m.name for m in mods}
    config = next(m for m in mods if m.name == f"{PACKAGE}.core.config")
    assert f"{PACKAGE}.core.errors" in {i.target for i in imports(config, known)}


# --------------------------------------------------------------------------- self-tests

GOOD = '"""The {layer} layer: a fake package\'s {layer}, for the checker\'s self-test."""\n'

#: A fake package: (file, source). Planted violations carry ``# VIOLATION <rule>``.
FAKE_TREE: dict[str, str] = {
    "__init__.py": '"""Fake."""\nfrom .core import units\n',
    "__main__.py": "from .cli import run\n",
    "cli.py": "from . import present\nfrom .measure import timer\nimport fake.analysis.flops\n",
    "core/__init__.py": GOOD.format(layer="core"),
    "core/units.py": "import math\nfrom . import errors\nfrom .errors import Oops\n",
    "core/errors.py": (
        "class Oops(Exception):\n    pass\n\n\n"
        "def late():\n"
        "    from ..catalog import entries  # VIOLATION core\n"
        "    return entries\n"),
    "catalog/__init__.py": GOOD.format(layer="catalog"),
    "catalog/entries.py": (
        "from ..core import units\n"
        "from .. import analysis  # VIOLATION catalog\n"),
    "analysis/__init__.py": GOOD.format(layer="analysis"),
    "analysis/flops.py": (
        "import numpy as np\n"
        "from ..core.units import x\n"
        "import fake.catalog.entries  # VIOLATION analysis\n"
        "from fake import get_model  # VIOLATION analysis\n"),
    "reference/__init__.py": GOOD.format(layer="reference"),
    "reference/model.py": (
        "from ..core import errors\n"
        "def f():\n"
        "    if True:\n"
        "        from ..analysis import flops  # VIOLATION reference\n"
        "    from ..present.tables import Table  # VIOLATION reference\n"),
    "present/__init__.py": GOOD.format(layer="present"),
    "present/tables.py": (
        "from ..analysis import flops\n"
        "from ..measure.timer import t\n"
        "import importlib\n"
        "def g():\n"
        "    return importlib.import_module('fake.cli')  # VIOLATION present\n"),
    "present/figures/__init__.py": "",  # no docstring
    "measure/__init__.py": GOOD.format(layer="measure"),
    "measure/timer.py": "from ..reference import model\nfrom ..analysis import flops\n",
    "calculator/__init__.py": "from ..present import tables\nfrom . import page\n",
    "calculator/page.py": ("from ..analysis import flops\n"
                           "from ..reference import model  # VIOLATION calculator\n"),
    "stray.py": "from .measure import timer  # VIOLATION measure\n",
    "docs_helper.py": "from sphinx.application import Sphinx  # VIOLATION sphinx\n",
}


def write_fake(tmp_path: Path, tree: dict[str, str], package: str = "fake") -> Path:
    """Write ``tree`` as ``<tmp>/src/<package>/...``; return the source root."""
    src = tmp_path / "src"
    for rel, text in tree.items():
        path = src / package / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return src


def planted(tree: dict[str, str], rules: dict[str, str]) -> set[tuple[str, int, str]]:
    """(file, line, rule text) of every ``# VIOLATION <key>`` marker in ``tree``."""
    out = set()
    for rel, text in tree.items():
        for number, line in enumerate(text.splitlines(), start=1):
            if "# VIOLATION " in line:
                key = line.split("# VIOLATION ")[1].strip()
                if key in rules:
                    out.add((f"src/fake/{rel}", number, rules[key]))
    return out


def test_checker_finds_every_planted_import(tmp_path: Path) -> None:
    src = write_fake(tmp_path, FAKE_TREE)
    rules = {r.name: r.text for r in RULES} | {"sphinx": "no Sphinx code in the package"}
    found = {(v.path, v.line, v.rule) for v in check_imports(src, "fake")}
    assert found == planted(FAKE_TREE, rules)
    # Every rule is exercised by the fake tree, so none can be vacuous.
    assert {rule for _, _, rule in found} == set(rules.values())


def test_violation_message_names_module_line_and_rule(tmp_path: Path) -> None:
    src = write_fake(tmp_path, {"__init__.py": "", "core/__init__.py": GOOD.format(layer="c"),
                                "core/x.py": "\n\nfrom ..present import tables\n"})
    (violation,) = check_imports(src, "fake")
    assert str(violation) == ("src/fake/core/x.py:3: fake.core.x (core) imports fake.present "
                              "(present) [rule: core imports no other layer]")


def test_checker_reports_nothing_on_a_clean_tree(tmp_path: Path) -> None:
    clean = {rel: text for rel, text in FAKE_TREE.items() if "VIOLATION" not in text}
    clean["present/figures/__init__.py"] = GOOD.format(layer="figures")
    src = write_fake(tmp_path, clean)
    assert check_imports(src, "fake") == []
    assert check_placement(src, "fake") == []
    assert check_sizes(src, "fake") == []
    assert check_docstrings(src, "fake") == []


def test_checker_finds_stray_modules_long_modules_and_bare_packages(tmp_path: Path) -> None:
    tree = dict(FAKE_TREE)
    tree["analysis/long.py"] = "x = 1\n" * (MAX_LINES + 1)
    tree["analysis/just_fits.py"] = "x = 1\n" * MAX_LINES
    tree["catalog/__init__.py"] = '""">>> 1 + 1\n2\n"""\n'
    del tree["measure/__init__.py"]
    src = write_fake(tmp_path, tree)
    assert {v.path for v in check_placement(src, "fake")} == {"src/fake/stray.py",
                                                             "src/fake/docs_helper.py"}
    (long,) = check_sizes(src, "fake")
    assert (long.path, long.line) == ("src/fake/analysis/long.py", MAX_LINES + 1)
    assert "no module over 450 lines" in str(long)
    assert {v.path for v in check_docstrings(src, "fake")} == {
        "src/fake/catalog/__init__.py", "src/fake/present/figures/__init__.py",
        "src/fake/measure/__init__.py"}


def test_relative_imports_resolve_from_packages_and_modules(tmp_path: Path) -> None:
    src = write_fake(tmp_path, {"__init__.py": "", "a/__init__.py": "from . import b\n",
                                "a/b.py": "from .. import a\nfrom ..c import d\n",
                                "c/__init__.py": "", "c/d.py": ""})
    mods = {m.name: m for m in modules(src, "fake")}
    known = set(mods)
    assert [i.target for i in imports(mods["fake.a"], known)] == ["fake.a.b"]
    assert [i.target for i in imports(mods["fake.a.b"], known)] == ["fake.a", "fake.c.d"]


# --------------------------------------------------------------------------- without NumPy

#: Installed first in the child process: any import of numpy (or numpy.x) fails.
NO_NUMPY = textwrap.dedent("""
    import sys

    class _NoNumpy:
        def find_spec(self, name, path=None, target=None):
            if name == "numpy" or name.startswith("numpy."):
                raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
            return None

    sys.meta_path.insert(0, _NoNumpy())
    for _name in [m for m in sys.modules if m == "numpy" or m.startswith("numpy.")]:
        del sys.modules[_name]
""")

#: What the in-browser calculator will call, each with a value derived by hand.
NUMPY_FREE: dict[str, str] = {
    # Llama 2 7B: head_dim = 4096 / 32 = 128; int4 stores two values a byte.
    "ai_workloads.core": """
        from ai_workloads.core.config import from_hf_dict
        from ai_workloads.core.dtypes import nbytes
        from ai_workloads.core.accelerator import accelerator_from_dict
        cfg = from_hf_dict({"model_type": "llama", "hidden_size": 4096,
                            "num_hidden_layers": 32, "num_attention_heads": 32,
                            "intermediate_size": 11008, "vocab_size": 32000})
        assert cfg.head_dim == 128, cfg.head_dim
        assert nbytes(3, "int4") == 2
        chip = accelerator_from_dict({"name": "x", "peak_tflops": {"bf16": 100},
                                      "bandwidth_gb_s": 1000,
                                      "capacity": {"value": 64, "unit": "GiB"}})
        assert chip.capacity_bytes == 64 * 2**30
    """,
    # The catalog's Llama 2 7B and H100 SXM (NVIDIA's sheet: 3.35 TB/s).
    "ai_workloads.catalog": """
        from ai_workloads.catalog import get_accelerator, get_model
        assert get_model("llama-2-7b").head_dim == 128
        assert get_accelerator("h100-sxm").bandwidth == 3.35e12
    """,
    # Meta's published count of the Llama 2 7B checkpoint.
    "ai_workloads.analysis.params": """
        from ai_workloads.catalog import get_model
        from ai_workloads.analysis.params import param_counts
        assert param_counts(get_model("llama-2-7b")).total == 6_738_415_616
    """,
    # Decode at S = 4096: 2 · (params - V·D embedding - 65 norms of D) + 4·L·N·H·S.
    "ai_workloads.analysis.flops": """
        from ai_workloads.catalog import get_model
        from ai_workloads.analysis.flops import decode_flops
        matmul_weights = 6_738_415_616 - 32000 * 4096 - 65 * 4096
        expected = 2 * matmul_weights + 4 * 32 * 32 * 128 * 4096
        assert decode_flops(get_model("llama-2-7b"), context=4096) == expected
    """,
    # KV cache at S = 4096 in bf16: K and V, L = 32, K = 32 heads of H = 128, 2 bytes.
    "ai_workloads.analysis.memory": """
        from ai_workloads.catalog import get_model
        from ai_workloads.analysis.memory import kv_cache_bytes
        assert kv_cache_bytes(get_model("llama-2-7b"), 4096) == 2 * 32 * 32 * 128 * 4096 * 2
    """,
    # Ridge point of the H100 SXM in bf16: 989.4 TFLOP/s over 3.35 TB/s.
    "ai_workloads.analysis.roofline": """
        from ai_workloads.catalog import get_accelerator
        from ai_workloads.analysis.roofline import matmul_intensity, ridge_point
        assert abs(ridge_point(get_accelerator("h100-sxm"), "bf16") - 989.4 / 3.35) < 1e-9
        assert matmul_intensity(4096, 4096, 4096, "bf16") == 4096 / 3
    """,
    # The whole calculator: a catalog question (Mistral 7B's bf16 KV cache at 32,768 tokens,
    # 2 · L · K · H · W · 2 bytes, its 4,096-token window W capping the cache) and a pasted
    # config (Llama 2 7B's shapes, Meta's count).
    "ai_workloads.calculator": """
        import json
        from ai_workloads.calculator import answer
        got = answer({"model": "mistral-7b", "context": "32768"})["quantities"]
        assert got["kv_cache"]["value"] == str(2 * 32 * 8 * 128 * 4096 * 2)
        config = json.dumps({"model_type": "llama", "hidden_size": 4096,
                             "num_hidden_layers": 32, "num_attention_heads": 32,
                             "intermediate_size": 11008, "vocab_size": 32000})
        got = answer({"config": config, "hardware": "h100-sxm"})["quantities"]
        assert got["params_total"]["value"] == "6738415616", got
        assert "<svg" in answer({"model": "gpt2"})["chart"]
    """,
}


def run_without_numpy(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = NO_NUMPY + textwrap.dedent(code) + textwrap.dedent("""
        assert "numpy" not in sys.modules
        print("ok")
    """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=cwd, check=False, timeout=120)


@pytest.mark.parametrize("module", NUMPY_FREE)
def test_imports_and_runs_without_numpy(module: str, tmp_path: Path) -> None:
    result = run_without_numpy(NUMPY_FREE[module], tmp_path)
    lines = result.stderr.strip().splitlines() or ["(no output)"]
    # Name the package line that failed (for a blocked import: the one importing NumPy).
    frames = [line.strip() for line in lines if line.strip().startswith("File ")
              and PACKAGE in line]
    where = f" at {frames[-1]}" if frames else ""
    passed = result.returncode == 0 and result.stdout.strip() == "ok"
    assert passed, (
        f"{module} must import and run with NumPy unavailable (the in-browser calculator "
        f"has none): {lines[-1]}{where}")


def test_the_numpy_blocker_blocks(tmp_path: Path) -> None:
    result = run_without_numpy("import numpy\n", tmp_path)
    assert result.returncode != 0
    assert "No module named 'numpy' (blocked)" in result.stderr
