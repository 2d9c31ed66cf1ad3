"""The built-in catalog of models and accelerators, each value with its source.

>>> get_model("llama-2-7b").d_model
4096
>>> get_accelerator("h100-sxm").bandwidth
3350000000000.0
>>> "mixtral-8x7b" in model_names()
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..core.accelerator import Accelerator, accelerator_from_dict, load_accelerator
from ..core.config import TransformerConfig, from_hf_dict, load_config
from ..core.errors import WorkloadError


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """A catalog model: its config and the published facts about it."""

    config: TransformerConfig
    display: str
    year: int
    repo: str | None
    published_params: int | None
    published_active_params: int | None
    published_label: str | None
    params_source: str
    hf_config: dict[str, Any]
    #: Where the config's values were read, when not the repo's own file.
    config_source: str | None = None
    #: The vendor's rounded active count, when no exact one is published.
    published_active_label: str | None = None
    #: What the vendor's counts include or leave out (an MTP module, the input embedding, ...).
    published_note: str | None = None
    #: Values of the entry that no source confirmed exactly.
    unverified: tuple[str, ...] = ()


def _load(name: str) -> Any:
    return json.loads(resources.files("ai_workloads.catalog").joinpath("data", name).read_text())


@cache
def _models() -> dict[str, ModelEntry]:
    entries: dict[str, ModelEntry] = {}
    for raw in _load("models.json")["models"]:
        entries[raw["name"]] = ModelEntry(
            config=from_hf_dict(raw["config"], name=raw["name"], where=f"catalog:{raw['name']}"),
            display=raw["display"], year=raw["year"], repo=raw["repo"],
            published_params=raw["published_params"],
            published_active_params=raw["published_active_params"],
            published_label=raw["published_label"], params_source=raw["params_source"],
            hf_config=dict(raw["config"]), config_source=raw.get("config_source"),
            published_active_label=raw.get("published_active_label"),
            published_note=raw.get("published_note"),
            unverified=tuple(raw.get("unverified") or ()))
    return entries


@cache
def _hardware() -> dict[str, Accelerator]:
    chips = [accelerator_from_dict(raw, where=f"catalog:{raw['name']}")
             for raw in _load("hardware.json")["hardware"]]
    return {chip.name: chip for chip in chips}


def model_names() -> list[str]:
    """Names of the catalog's models, in catalog order.

    >>> model_names()[:2]
    ['gpt2', 'gpt2-xl']
    """
    return list(_models())


def model_entries() -> list[ModelEntry]:
    """Every catalog entry, in catalog order.

    >>> [(e.config.name, e.display) for e in model_entries()][:2]
    [('gpt2', 'GPT-2 (124M)'), ('gpt2-xl', 'GPT-2 XL (1.5B)')]
    """
    return list(_models().values())


def accelerator_names() -> list[str]:
    """Names of the catalog's accelerators, in catalog order.

    >>> accelerator_names()[:3]
    ['a100-sxm-80gb', 'h100-sxm', 'h100-nvl']
    """
    return list(_hardware())


def model_entry(name: str) -> ModelEntry:
    """The catalog entry for ``name``: config plus published counts and sources.

    >>> model_entry("llama-2-70b").published_params
    68976648192
    """
    try:
        return _models()[name]
    except KeyError:
        raise WorkloadError(
            f"unknown model {name!r}; known models: {', '.join(model_names())} "
            "(or give the path of a config.json)") from None


def get_model(name: str) -> TransformerConfig:
    """The :class:`TransformerConfig` of a catalog model.

    >>> get_model("gemma-2b").head_dim
    256
    """
    return model_entry(name).config


def get_accelerator(name: str) -> Accelerator:
    """A catalog accelerator.

    >>> get_accelerator("mi300x").capacity_label
    '192 GiB'
    >>> get_accelerator("h300")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: unknown hardware 'h300'; known: a100-sxm-80gb, ...
    """
    try:
        return _hardware()[name]
    except KeyError:
        raise WorkloadError(
            f"unknown hardware {name!r}; known: {', '.join(accelerator_names())} "
            "(or give the path of a hardware JSON file)") from None


def _looks_like_path(text: str) -> bool:
    return text.endswith(".json") or "/" in text or "\\" in text


def resolve_model(name_or_path: str) -> TransformerConfig:
    """A catalog name, or a path to a Hugging Face ``config.json``.

    >>> resolve_model("gpt2").n_layers
    12
    """
    if name_or_path in _models() or not _looks_like_path(name_or_path):
        return get_model(name_or_path)
    return load_config(Path(name_or_path))


def resolve_accelerator(name_or_path: str) -> Accelerator:
    """A catalog name, or a path to a hardware JSON file.

    >>> resolve_accelerator("h200").capacity_bytes == 141 * 2**30
    True
    """
    if name_or_path in _hardware() or not _looks_like_path(name_or_path):
        return get_accelerator(name_or_path)
    return load_accelerator(Path(name_or_path))
