"""Checkpoint tensors: one name each, and shapes that multiply out to the parameter count."""

from __future__ import annotations

import json
from math import prod
from pathlib import Path

import pytest

from ai_workloads.analysis.params import param_counts
from ai_workloads.analysis.tensors import checkpoint_tensors
from ai_workloads.catalog import get_model, model_names
from ai_workloads.core.config import SUPPORTED_FAMILIES, TransformerConfig, from_hf_dict

FIXTURE = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "reference_counts.json").read_text())
TINY = {n: e["config_as_built"] for n, e in FIXTURE["models"].items()
        if n.startswith("tiny-") and e["config"].get("model_type") in SUPPORTED_FAMILIES}


def _check(cfg: TransformerConfig) -> None:
    tensors = checkpoint_tensors(cfg)
    names = [t.name for t in tensors]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})[:3]
    assert sum(prod(t.shape) for t in tensors) == param_counts(cfg).total


@pytest.mark.parametrize("name", [n for n in model_names()
                                  if get_model(n).n_layers * max(1, get_model(n).n_experts)
                                  <= 4096])
def test_catalog_tensors_are_named_once(name: str) -> None:
    _check(get_model(name))


@pytest.mark.parametrize("name", sorted(TINY))
def test_every_family_names_its_tensors_once(name: str) -> None:
    _check(from_hf_dict(TINY[name], name=name))
