"""Shared fixtures."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# The site's Sphinx extension lives beside the docs, outside the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))

from ai_workloads.catalog import model_entry, model_names


@pytest.fixture(params=model_names())
def catalog_name(request: pytest.FixtureRequest) -> str:
    """Every catalog model, one at a time."""
    return str(request.param)


@pytest.fixture(params=[n for n in model_names() if model_entry(n).config.plain_layers])
def plain_catalog_name(request: pytest.FixtureRequest) -> str:
    """Every catalog model whose layers are a plain decoder's (what the symbolic shapes and
    the reference model describe), one at a time."""
    return str(request.param)


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    """Write a catalog model's Hugging Face fields to ``<tmp>/<name>/config.json``."""

    def write(name: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        path = folder / "config.json"
        path.write_text(json.dumps(model_entry(name).hf_config))
        return path

    return write
