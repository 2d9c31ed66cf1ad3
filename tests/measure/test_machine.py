"""The machine's description: what the measurements ran on (nothing is timed)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from ai_workloads.measure.machine import BLAS_ENV_PREFIXES, machine_info, physical_memory_bytes


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
