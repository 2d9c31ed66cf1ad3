"""The catalog of models and chips: every entry loads, carries its source, and is found by name.

The data files are read here directly (not through the loaders), so that duplicates the
loaders would silently merge are seen. Spot values are the published ones: the models'
``config.json`` on the Hugging Face Hub, the chips' spec sheets.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from ai_workloads.catalog import (
    accelerator_names,
    get_accelerator,
    get_model,
    model_entries,
    model_entry,
    model_names,
    resolve_accelerator,
    resolve_model,
)
from ai_workloads.core.accelerator import Accelerator
from ai_workloads.core.config import TransformerConfig, from_hf_dict
from ai_workloads.core.errors import WorkloadError


def data(name: str, key: str) -> list[dict[str, Any]]:
    text = resources.files("ai_workloads.catalog").joinpath("data", name).read_text()
    entries = json.loads(text)[key]
    assert isinstance(entries, list)
    return entries


RAW_MODELS = data("models.json", "models")
RAW_CHIPS = data("hardware.json", "hardware")
CHIP_NAMES = [raw["name"] for raw in RAW_CHIPS]


# --------------------------------------------------------------------------- every entry

def test_every_model_loads(catalog_name: str) -> None:
    entry = model_entry(catalog_name)
    assert isinstance(entry.config, TransformerConfig)
    assert entry.config.name == catalog_name
    assert get_model(catalog_name) is entry.config
    assert entry.display
    assert 2017 <= entry.year <= 2030


def test_catalog_config_is_its_hugging_face_fields(catalog_name: str) -> None:
    # The loader only parses: the config is what the stored config.json fields give.
    entry = model_entry(catalog_name)
    assert from_hf_dict(entry.hf_config, name=catalog_name) == entry.config


@pytest.mark.parametrize("name", CHIP_NAMES)
def test_every_chip_loads(name: str) -> None:
    chip = get_accelerator(name)
    assert isinstance(chip, Accelerator)
    assert chip.name == name
    assert chip.peak_flops
    assert chip.bandwidth > 0
    assert chip.capacity_bytes > 0
    assert chip.display
    assert chip.vendor


@pytest.mark.parametrize("name", CHIP_NAMES)
def test_every_chip_has_its_spec_sheet_url(name: str) -> None:
    assert re.fullmatch(r"https://\S+", get_accelerator(name).source)


def test_every_model_has_a_source(catalog_name: str) -> None:
    entry = model_entry(catalog_name)
    if entry.repo is not None:
        # A released checkpoint: its Hub page, where the parameter sizes are listed.
        assert entry.params_source.startswith(f"https://huggingface.co/{entry.repo} ")
    else:
        # No checkpoint: the publication the numbers come from, with its year.
        assert re.search(r"\b(19|20)\d\d\b", entry.params_source), entry.params_source


def test_every_model_has_a_published_size(catalog_name: str) -> None:
    entry = model_entry(catalog_name)
    if entry.repo is not None:
        assert isinstance(entry.published_params, int)
        assert entry.published_params > 0
    else:
        assert entry.published_params is not None or entry.published_label
    # Only mixtures of experts have an active count apart from the total.
    assert (entry.published_active_params is not None) == entry.config.is_moe


@pytest.mark.parametrize(("raw", "what"), [(RAW_MODELS, "model"), (RAW_CHIPS, "chip")])
def test_names_are_unique(raw: list[dict[str, Any]], what: str) -> None:
    names = [entry["name"] for entry in raw]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"{what} names used twice: {duplicates}"
    displays = [entry["display"] for entry in raw]
    assert len(set(displays)) == len(displays)


def test_names_are_in_file_order() -> None:
    assert model_names() == [raw["name"] for raw in RAW_MODELS]
    assert accelerator_names() == CHIP_NAMES


def test_names_are_usable_on_the_command_line() -> None:
    # Lower case, no spaces or slashes: a name is never mistaken for a path.
    for name in model_names() + accelerator_names():
        assert re.fullmatch(r"[a-z0-9][a-z0-9.\-]*", name), name
        assert not name.endswith(".json")


# --------------------------------------------------------------------------- published values

def test_llama_2_7b() -> None:
    cfg = get_model("llama-2-7b")
    assert (cfg.d_model, cfg.n_layers, cfg.n_heads, cfg.n_kv_heads) == (4096, 32, 32, 32)
    assert cfg.head_dim == 4096 // 32 == 128
    assert (cfg.d_ff, cfg.vocab_size) == (11008, 32000)


def test_llama_2_70b_uses_eight_kv_heads() -> None:
    cfg = get_model("llama-2-70b")
    assert (cfg.d_model, cfg.n_layers, cfg.n_heads, cfg.n_kv_heads) == (8192, 80, 64, 8)
    assert cfg.head_dim == 8192 // 64 == 128
    assert cfg.attention_kind == "GQA"
    assert model_entry("llama-2-70b").published_params == 68_976_648_192


def test_mixtral_routes_two_of_eight() -> None:
    entry = model_entry("mixtral-8x7b")
    assert (entry.config.n_experts, entry.config.experts_per_token) == (8, 2)
    assert entry.published_params == 46_702_792_704
    assert entry.published_active_params == 12_879_925_248


def test_gemma_2b_is_multi_query_with_wide_heads() -> None:
    cfg = get_model("gemma-2b")
    assert (cfg.n_heads, cfg.n_kv_heads, cfg.head_dim) == (8, 1, 256)
    assert cfg.attention_kind == "MQA"


def test_gpt3_has_no_checkpoint_but_a_published_label() -> None:
    entry = model_entry("gpt-3")
    assert entry.repo is None
    assert entry.published_params is None
    assert entry.published_label == "175B"
    assert (entry.config.d_model, entry.config.n_layers, entry.config.n_heads) == (
        12288, 96, 96)


def test_h100_sxm_dense_peaks_from_the_spec_sheet() -> None:
    h100 = get_accelerator("h100-sxm")
    # NVIDIA lists 1,979 TFLOPS bf16 with sparsity; dense is half, 989.4.
    assert h100.peak("bf16") == pytest.approx(989.4e12, rel=1e-15)
    assert h100.peak("fp8") == pytest.approx(1978.9e12, rel=1e-15)
    assert h100.bandwidth == 3.35e12
    assert h100.capacity_label == "80 GB"


def test_tpu_v4_capacity_is_binary() -> None:
    tpu = get_accelerator("tpu-v4")
    assert tpu.capacity_label == "32 GiB"
    assert tpu.capacity_bytes == 32 * 2**30
    assert sorted(tpu.peak_flops) == ["bf16", "int8"]


# --------------------------------------------------------------------------- names and paths

LLAMA_LIKE: dict[str, Any] = {
    "model_type": "llama", "hidden_size": 512, "num_hidden_layers": 4,
    "num_attention_heads": 8, "num_key_value_heads": 2, "intermediate_size": 1024,
    "vocab_size": 1000,
}
CHIP: dict[str, Any] = {"name": "my-chip", "peak_tflops": {"bf16": 100},
                        "bandwidth_gb_s": 1000, "capacity": {"value": 64, "unit": "GiB"}}


def test_resolve_model_by_name() -> None:
    assert resolve_model("llama-2-7b") is get_model("llama-2-7b")


def test_resolve_model_by_path_reads_the_file(tmp_path: Path) -> None:
    # A folder named like a catalog model: the path wins, and the file's values are read.
    path = tmp_path / "gpt2" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps(LLAMA_LIKE))
    for given in (str(path), str(path.parent)):
        cfg = resolve_model(given)
        assert (cfg.name, cfg.family, cfg.d_model) == ("gpt2", "llama", 512)
        assert cfg.head_dim == 512 // 8
    assert get_model("gpt2").d_model == 768


def test_resolve_model_by_relative_json_name(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("mine.json").write_text(json.dumps(LLAMA_LIKE))
    assert resolve_model("mine.json").name == "mine"
    with pytest.raises(WorkloadError, match="unknown model 'mine'"):
        resolve_model("mine")  # no '.json', no slash: a catalog name


def test_resolve_model_missing_path() -> None:
    with pytest.raises(WorkloadError) as info:
        resolve_model("no/such/config.json")
    assert str(info.value) == "cannot read no/such/config.json: no such file"


def test_resolve_accelerator_by_name_and_by_path(tmp_path: Path) -> None:
    assert resolve_accelerator("h200") is get_accelerator("h200")
    path = tmp_path / "my-chip.json"
    path.write_text(json.dumps(CHIP))
    chip = resolve_accelerator(str(path))
    assert (chip.name, chip.capacity_bytes) == ("my-chip", 64 * 2**30)
    assert chip.peak("bf16") == 100e12


def one_line(error: pytest.ExceptionInfo[WorkloadError]) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def test_unknown_model_lists_every_choice() -> None:
    with pytest.raises(WorkloadError) as info:
        model_entry("llama-9")
    message = one_line(info)
    assert message == (f"unknown model 'llama-9'; known models: {', '.join(model_names())} "
                       "(or give the path of a config.json)")
    for raw in RAW_MODELS:
        assert raw["name"] in message
    with pytest.raises(WorkloadError, match="unknown model 'llama-9'"):
        get_model("llama-9")
    with pytest.raises(WorkloadError, match="unknown model 'llama-9'"):
        resolve_model("llama-9")


def test_unknown_chip_lists_every_choice() -> None:
    with pytest.raises(WorkloadError) as info:
        resolve_accelerator("h300")
    message = one_line(info)
    assert message == (f"unknown hardware 'h300'; known: {', '.join(CHIP_NAMES)} "
                       "(or give the path of a hardware JSON file)")


def test_model_entries_are_the_entries_in_catalog_order() -> None:
    entries = model_entries()
    assert [e.config.name for e in entries] == [raw["name"] for raw in RAW_MODELS]
    assert all(e is model_entry(e.config.name) for e in entries)
    assert entries[0].display == "GPT-2 (124M)"
