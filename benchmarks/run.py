"""Run the benchmarks: every ``benchmarks/bench_*.py``, or one with ``--only NAME``.

Each benchmark module exposes ``run() -> dict``: it prints a human-readable report and
returns its figures. This driver prints a header and the wall time of each, then every
target the benchmarks report (figures under ``"targets"``: name, value, limit, unit, ok)
with the machine's load average, and writes all figures, with a description of the machine,
as JSON to ``bench-results/bench.json``. Timings taken while other work runs on the machine
are slower than on a quiet one: the load average says how busy it was.

    python benchmarks/run.py                 # all of them (what `make bench` runs)
    python benchmarks/run.py --only measure  # bench_measure.py alone
    python benchmarks/run.py --list
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.util
import json
import math
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_OUT = ROOT / "bench-results" / "bench.json"
PREFIX = "bench_"


def discover(folder: Path = HERE) -> dict[str, Path]:
    """Benchmark names (``bench_measure.py`` is ``measure``) and their files, sorted."""
    return {path.stem[len(PREFIX):]: path for path in sorted(folder.glob(f"{PREFIX}*.py"))}


def select(found: dict[str, Path], only: Sequence[str]) -> dict[str, Path]:
    """The benchmarks named in ``only`` (``measure``, ``bench_measure`` or a file name)."""
    if not only:
        return found
    chosen: dict[str, Path] = {}
    for raw in only:
        name = Path(raw).stem
        name = name[len(PREFIX):] if name.startswith(PREFIX) else name
        if name not in found:
            known = ", ".join(found) or "none"
            raise SystemExit(f"error: no benchmark named {raw!r}; known benchmarks: {known}")
        chosen[name] = found[name]
    return chosen


def load_run(path: Path) -> Callable[[], dict[str, Any]]:
    """Import a benchmark file and return its ``run`` function."""
    spec = importlib.util.spec_from_file_location(f"benchmarks.{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path.name}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    run = getattr(module, "run", None)
    if not callable(run):
        raise TypeError(f"{path.name} has no run() function")
    return run  # type: ignore[no-any-return]


def to_json(value: Any) -> Any:
    """Turn figures into plain JSON values (NumPy scalars and arrays, dataclasses, tuples)."""
    if hasattr(value, "to_dict"):
        return to_json(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_json(value.tolist())
    if isinstance(value, np.generic):
        return to_json(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def targets_report(results: dict[str, Any], load: tuple[float, float]) -> str:
    """Every target the benchmarks report, one line each, and the machine's load average.

    >>> figures = {"site": {"targets": [{"name": "make test", "value": 250.0, "limit": 300.0,
    ...                                  "unit": "s", "ok": True}]}}
    >>> print(targets_report(figures, (0.5, 1.25)))
    targets (load average 0.50 before, 1.25 after):
        site: make test                          250.0 s     limit 300.0 s    ok
    """
    lines = [f"targets (load average {load[0]:.2f} before, {load[1]:.2f} after):"]
    for name, figures in results.items():
        for item in figures.get("targets", []) if isinstance(figures, dict) else []:
            verdict = "ok" if item["ok"] else "OVER TARGET"
            value = f"{item['value']:.1f} {item['unit']}".strip()
            limit = f"{item['limit']:.1f} {item['unit']}".strip()
            lines.append(f"    {name}: {item['name']:34} {value:>11}     limit {limit:<9} "
                         f"{verdict}")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """The machine's description, from the package's measuring module."""
    from ai_workloads.measure.machine import machine_info

    return machine_info().to_dict()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen benchmarks, print their reports, write the JSON; 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this benchmark (repeatable), e.g. --only measure")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="where to write the JSON (default: bench-results/bench.json)")
    args = parser.parse_args(argv)

    found = discover()
    if args.list:
        print("\n".join(found) or "no benchmarks found")
        return 0
    chosen = select(found, args.only)

    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    seconds: dict[str, float] = {}
    load_before = os.getloadavg()[0]
    for name, path in chosen.items():
        print(f"\n=== {name} ({path.name}) " + "=" * max(0, 60 - len(name) - len(path.name)))
        start = time.perf_counter()
        try:
            results[name] = to_json(load_run(path)())
        except Exception as err:  # a failed benchmark must not stop the others
            traceback.print_exc()
            errors[name] = f"{type(err).__name__}: {err}"
        seconds[name] = time.perf_counter() - start
        status = "FAILED" if name in errors else "ok"
        print(f"--- {name}: {status} in {seconds[name]:.1f} s")

    load = (load_before, os.getloadavg()[0])
    if any(isinstance(f, dict) and f.get("targets") for f in results.values()):
        print("\n" + targets_report(results, load))
    document = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average": {"before": load[0], "after": load[1]},
        "benchmarks": results,
        "seconds": seconds,
        "errors": errors,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n",
                        encoding="utf-8")
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"\n{len(results)} benchmark(s) ok, {len(errors)} failed; figures in {shown}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
