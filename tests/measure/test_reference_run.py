"""The reference run kept with the package: what it records, that its figures are its samples'
own, and writing one (with a tiny measurement, so nothing here waits on a real one).

No timing is asserted: the stored samples are checked against the stored summaries and the
machine's own description, never against a speed.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from pathlib import Path

import numpy as np
import pytest

from ai_workloads.core.errors import WorkloadError
from ai_workloads.measure import reference_run
from ai_workloads.measure.bandwidth import KERNELS, stream_bytes
from ai_workloads.measure.reference_run import (
    COMMAND,
    REFERENCE_RESOURCE,
    ReferenceRun,
    load_reference_run,
    main,
)
from ai_workloads.measure.report import QUICK, MeasureSettings, measure_machine

SHIPPED = Path(__file__).resolve().parents[2] / "src" / "ai_workloads" / Path(*REFERENCE_RESOURCE)
TINY = MeasureSettings(1, 1, (16, 32), (16,), 1, 0.0, 1, 2, 2, 1, 1, 0)


@pytest.fixture(scope="module")
def shipped() -> dict[str, object]:
    data: dict[str, object] = json.loads(SHIPPED.read_text(encoding="utf-8"))
    return data


def test_the_shipped_run_says_where_when_and_how_it_was_measured(
        shipped: dict[str, object]) -> None:
    ref = load_reference_run()
    assert ref == load_reference_run(SHIPPED)
    assert ref.produced_by.startswith(COMMAND + " --output ")
    assert ref.report.settings == QUICK               # the measurement the chapter runs
    machine = ref.report.machine
    assert machine.cpu
    assert machine.cores >= 1
    assert machine.memory_bytes > 0
    assert machine.numpy
    assert machine.blas
    assert machine.python
    assert ref.report.package_version
    when = datetime.datetime.fromisoformat(ref.report.measured_at)
    assert when.utcoffset() == datetime.timedelta(0)
    assert machine.load_average >= 0
    assert ref.load_average_after >= 0
    assert "quiet machine" in str(shipped["about"])


def test_quiet_means_little_load_before_and_after() -> None:
    ref = load_reference_run()

    def with_load(before: float, after: float) -> ReferenceRun:
        machine = dataclasses.replace(ref.report.machine, cores=4, load_average=before)
        report = dataclasses.replace(ref.report, machine=machine, load_average_after=after)
        return dataclasses.replace(ref, report=report)

    assert with_load(0.5, 1.5).quiet          # under a quarter of 4 cores, then half
    assert not with_load(0.5, 2.5).quiet
    assert not with_load(1.0, 0.5).quiet
    assert with_load(0.5, 1.5).load_average_after == 1.5


def test_the_shipped_figures_are_the_samples_own(shipped: dict[str, object]) -> None:
    # Every stored summary is recomputed here from the stored samples with NumPy.
    ref = load_reference_run().report
    stored = ref.to_dict()
    assert stored["roofline"] == shipped["roofline"]
    for entry in shipped["bandwidth"]:  # type: ignore[attr-defined]
        rates = entry["bytes_moved"] / np.asarray(entry["samples"])
        assert entry["gb_per_s"]["median"] == pytest.approx(np.median(rates) / 1e9)
        assert entry["bytes_moved"] == stream_bytes(entry["kernel"], entry["elements"])
    assert [r.kernel for r in ref.bandwidth] == list(KERNELS)
    for entry in shipped["gemm"]:  # type: ignore[attr-defined]
        n = entry["m"]
        rates = 2 * n**3 / np.asarray(entry["samples"])
        assert entry["gflop_per_s"]["median"] == pytest.approx(np.median(rates) / 1e9)
        assert entry["gflop_per_s"]["count"] == QUICK.rounds * QUICK.matmul_repeats
    largest = max(shipped["gemm"], key=lambda e: e["m"])  # type: ignore[call-overload]
    assert shipped["roofline"]["peak_flop_per_s"] == largest["flop_per_s"]["median"]  # type: ignore[index]
    assert ref.decode is not None
    assert ref.decode.repeats == QUICK.rounds * QUICK.decode_repeats


def test_write_and_read_a_reference_run(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reference_run, "measure_machine",
                        lambda settings: measure_machine(settings=TINY))
    out = tmp_path / "mine.json"
    assert main(["--output", str(out)]) == 0
    ref = load_reference_run(out)
    assert ref.produced_by == f"{COMMAND} --output mine.json"   # absolute: the name only
    assert ref.report.settings == TINY
    again = ReferenceRun.from_dict(json.loads(out.read_text(encoding="utf-8")))
    assert again == ref
    assert dataclasses.replace(ref, produced_by="x") != ref


def test_bad_paths_and_files_get_one_line(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--output", str(tmp_path / "no" / "such" / "x.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no folder")
    assert err.count("\n") == 1
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(WorkloadError, match="not a"):
        load_reference_run(bad)
    with pytest.raises(WorkloadError, match="cannot read a reference run"):
        load_reference_run(tmp_path / "missing.json")
