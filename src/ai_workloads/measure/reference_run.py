"""A reference run: one measurement of a quiet machine, kept in a file and shown beside a live one.

A live measurement changes from run to run and drops while other work shares the cores. A
reference run is the same measurement (:data:`~ai_workloads.measure.report.QUICK`, unless
told otherwise) taken once on a quiet machine and written to a JSON file with the machine,
the date, the versions of Python, NumPy, BLAS and this package, the load before and after,
and the command that produced it; reading it back gives the same figures every time.
Write one with::

    python -m ai_workloads.measure.reference_run --output reference_run.json

The package ships one, written from the repository's root by
``python -m ai_workloads.measure.reference_run --output
src/ai_workloads/catalog/data/reference_run.json`` on a quiet machine
(:func:`load_reference_run` reads it).

>>> ref = load_reference_run()
>>> ref.produced_by.startswith("python -m ai_workloads.measure.reference_run")
True
>>> ref.report.roofline.ridge_point > 0, ref.report.settings == QUICK
(True, True)
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..core.errors import WorkloadError
from .report import BENCH, QUICK, MachineReport, measure_machine

#: Where the package keeps its reference run, relative to the package root.
REFERENCE_RESOURCE = ("catalog", "data", "reference_run.json")
#: What a reference-run file says it is.
ABOUT = ("A reference run of this package's machine measurement, to be taken on a quiet "
         "machine (the load averages before and after say how quiet it was) and kept as it "
         "was measured. Every figure is the measurement's own output; the samples are the "
         "seconds of each timed pass or call.")
#: The command that writes a reference run, as recorded in the file.
COMMAND = "python -m ai_workloads.measure.reference_run"


@dataclass(frozen=True, slots=True)
class ReferenceRun:
    """A measurement read from a file, with how it was produced.

    ``source_commit`` is the commit of the package's source that measured, where it was a
    git checkout ("" otherwise). The load before and after the run are the report's.
    """

    @property
    def quiet(self) -> bool:
        """Whether the machine was quiet: load below a quarter of its cores before the run
        and below half of them after it (the run's own threads count there).

        >>> ref = load_reference_run()
        >>> ref.quiet == (ref.report.machine.load_average < 0.25 * ref.report.machine.cores
        ...               and ref.load_average_after < 0.5 * ref.report.machine.cores)
        True
        """
        cores = self.report.machine.cores
        return (self.report.machine.load_average < 0.25 * cores
                and self.load_average_after < 0.5 * cores)

    @property
    def load_average_after(self) -> float:
        """The one-minute load average when the measurement ended."""
        return self.report.load_average_after

    report: MachineReport
    produced_by: str
    source_commit: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: what the file is, how it was produced, then the report.

        >>> ref = load_reference_run()
        >>> ReferenceRun.from_dict(ref.to_dict()) == ref
        True
        """
        return {"about": ABOUT, "produced_by": self.produced_by,
                "source_commit": self.source_commit, **self.report.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReferenceRun:
        """The reference run that :meth:`to_dict` wrote."""
        try:
            return cls(MachineReport.from_dict(data), str(data["produced_by"]),
                       str(data.get("source_commit", "")))
        except (KeyError, TypeError, ValueError) as error:
            raise WorkloadError(f"not a reference run: {error!r}") from None


def load_reference_run(path: str | os.PathLike[str] | None = None) -> ReferenceRun:
    """Read a reference run (default: the one this package ships).

    >>> load_reference_run("no-such-file.json")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: cannot read a reference run from no-such-file.json: ...
    """
    where = resources.files("ai_workloads").joinpath(*REFERENCE_RESOURCE)
    source = Path(path) if path is not None else where
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise WorkloadError(f"cannot read a reference run from {path or 'the package'}: "
                            f"{error}") from None
    return ReferenceRun.from_dict(data)


def _source_commit() -> str:
    here = Path(__file__).resolve().parent
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                              text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def record_reference_run(bench: bool = False, command: str = COMMAND) -> ReferenceRun:
    """Measure this machine (decode included) and describe the run as a reference run.

    ``bench`` measures with :data:`~ai_workloads.measure.report.BENCH` instead of
    :data:`~ai_workloads.measure.report.QUICK`. It times the machine for several seconds, so
    the example is not run with the docs (the reference run is written with :func:`main`).

    >>> run = record_reference_run()                      # doctest: +SKIP
    >>> run.report.roofline.bandwidth > 0                 # doctest: +SKIP
    True
    """
    report = measure_machine(settings=BENCH if bench else QUICK)
    return ReferenceRun(report, command, _source_commit())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=COMMAND, description="Measure this machine and write the result as a reference "
                                  "run (run it on a quiet machine).")
    parser.add_argument("--output", required=True, type=Path,
                        help="the JSON file to write (the package's own is "
                             + "/".join(("src", "ai_workloads", *REFERENCE_RESOURCE)) + ")")
    parser.add_argument("--bench", action="store_true",
                        help="measure with the longer bench settings instead of the "
                             "site's quick ones")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Write a reference run; a bad argument or path gets one line and a non-zero status.

    >>> main(["--output", "no-such-folder/reference_run.json"])   # measures nothing
    2
    """
    args = _parser().parse_args(argv)
    if not args.output.parent.is_dir():
        print(f"error: no folder {args.output.parent} to write {args.output.name} into",
              file=sys.stderr)
        return 2
    # A relative path is recorded as given; an absolute one by its name only.
    shown = args.output.name if args.output.is_absolute() else args.output.as_posix()
    words = [*COMMAND.split(), "--output", shown] + (["--bench"] if args.bench else [])
    run = record_reference_run(args.bench, shlex.join(words))
    args.output.write_text(json.dumps(run.to_dict(), indent=1) + "\n", encoding="utf-8")
    roof = run.report.roofline
    print(f"wrote {args.output}: {roof.bandwidth / 1e9:.1f} GB/s ({roof.bandwidth_from}), "
          f"{roof.peak_flops / 1e9:.1f} GFLOP/s ({roof.peak_from}), load average "
          f"{run.report.machine.load_average:.2f} before, {run.load_average_after:.2f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
