"""The machine's description: what the measurements ran on (nothing is timed)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from ai_workloads.measure.machine import (
    BLAS_ENV_PREFIXES,
    MachineInfo,
    last_level_cache_bytes,
    machine_info,
    physical_memory_bytes,
    usable_cores,
)


def test_machine_info_describes_this_machine() -> None:
    info = machine_info()
    assert info.cores >= 1
    assert info.numpy == np.__version__
    assert info.cpu
    assert info.blas
    assert all(key.startswith(BLAS_ENV_PREFIXES) for key in info.blas_env)



def test_description_is_json_and_records_the_blas_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.setenv("UNRELATED_VARIABLE", "x")
    info = machine_info()
    assert info.blas_env["OMP_NUM_THREADS"] == "3"
    assert "UNRELATED_VARIABLE" not in info.blas_env
    data = json.loads(json.dumps(info.to_dict()))
    assert data["cores"] == info.cores
    assert data["memory_bytes"] == physical_memory_bytes()


def test_memory_is_pages_times_page_size() -> None:
    if not hasattr(os, "sysconf"):
        assert physical_memory_bytes() == 0
        return
    pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    assert physical_memory_bytes() == pages * size


def _cache(root: Path, cpu: int, index: int, level: int, kind: str, size: str,
           shared: str) -> None:
    folder = root / f"cpu{cpu}" / "cache" / f"index{index}"
    folder.mkdir(parents=True)
    for name, text in (("level", str(level)), ("type", kind), ("size", size),
                       ("shared_cpu_list", shared)):
        (folder / name).write_text(text + "\n")


def test_last_level_cache_counts_each_shared_cache_once(tmp_path: Path) -> None:
    # Four cores in two groups, each group sharing a 16 MiB L3; private L1 and L2.
    for cpu in range(4):
        _cache(tmp_path, cpu, 0, 1, "Data", "48K", str(cpu))
        _cache(tmp_path, cpu, 1, 1, "Instruction", "32K", str(cpu))
        _cache(tmp_path, cpu, 2, 2, "Unified", "1024K", str(cpu))
        _cache(tmp_path, cpu, 3, 3, "Unified", "16M", "0-1" if cpu < 2 else "2-3")
    (tmp_path / "cpufreq").mkdir()   # not a CPU: ignored
    assert last_level_cache_bytes(str(tmp_path)) == 2 * 16 * 2**20
    assert last_level_cache_bytes(str(tmp_path / "missing")) == 0


def test_description_round_trips_through_json() -> None:
    info = machine_info()
    assert MachineInfo.from_dict(json.loads(json.dumps(info.to_dict()))) == info
    assert info.last_level_cache_bytes == last_level_cache_bytes()
    assert 1 <= usable_cores() == info.cores
