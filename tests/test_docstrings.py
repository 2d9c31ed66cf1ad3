"""Every public function and method of the package carries a runnable example."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator

import pytest

import ai_workloads

# Entry points whose behaviour is exercised by process-level tests instead.
EXEMPT = {"ai_workloads.cli.run", "ai_workloads.sitebuild.main", "ai_workloads.sitebuild.setup"}


def public_callables() -> Iterator[tuple[str, object]]:
    for info in pkgutil.walk_packages(ai_workloads.__path__, "ai_workloads."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj
            elif inspect.isclass(obj) and not getattr(obj, "_is_protocol", False):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") or not inspect.isfunction(member):
                        continue
                    yield f"{module.__name__}.{name}.{attr}", member


def has_example(qualified: str, obj: object) -> bool:
    doc = inspect.getdoc(obj) or ""
    if ">>>" in doc:
        return True
    # A method may be shown by its class's or module's example.
    owner = qualified.rsplit(".", 1)[0]
    module_name, _, cls = owner.rpartition(".")
    try:
        module = importlib.import_module(owner)
    except ModuleNotFoundError:
        module = importlib.import_module(module_name)
        cls_obj = getattr(module, cls)
        return f".{qualified.rsplit('.', 1)[1]}(" in (inspect.getdoc(cls_obj) or "")
    return f"{qualified.rsplit('.', 1)[1]}(" in (inspect.getdoc(module) or "")


CALLABLES = sorted(public_callables())


@pytest.mark.parametrize(("qualified", "obj"), CALLABLES, ids=[q for q, _ in CALLABLES])
def test_has_runnable_example(qualified: str, obj: object) -> None:
    if qualified in EXEMPT:
        pytest.skip("entry point")
    assert has_example(qualified, obj), f"{qualified} has no '>>>' example in its docstring"
