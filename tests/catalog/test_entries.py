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
    if entry.published_params is not None and entry.repo is not None:
        # An exact count from a released checkpoint: its Hub page, where the sizes are listed.
        assert entry.params_source.startswith(f"https://huggingface.co/{entry.repo} ")
    elif entry.repo is not None:
        # A rounded count: the card or report that states it, and where the config was read.
        assert entry.published_label
        assert len(entry.params_source) > 20
        assert entry.config_source
        assert f"huggingface.co/{entry.repo}" in entry.config_source
    else:
        # No checkpoint: the publication the numbers come from, with its year.
        assert re.search(r"\b(19|20)\d\d\b", entry.params_source), entry.params_source


def test_every_model_has_a_published_size(catalog_name: str) -> None:
    entry = model_entry(catalog_name)
    if entry.repo is not None and entry.published_label is None:
        assert isinstance(entry.published_params, int)
        assert entry.published_params > 0
    else:
        assert entry.published_params is not None or entry.published_label
    # Only mixtures of experts have an active count apart from the total.
    active = entry.published_active_params is not None or entry.published_active_label
    assert bool(active) == entry.config.is_moe


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
    # NVIDIA lists 1,979 TFLOPS bf16 with sparsity; the whitepaper's dense figure is 989.4.
    assert h100.peak("bf16") == pytest.approx(989.4e12, rel=1e-15)
    assert h100.peak("fp8") == pytest.approx(1978.9e12, rel=1e-15)
    assert h100.bandwidth == 3.35e12
    assert (h100.capacity_label, h100.printed_capacity) == ("80 GiB", "80GB HBM3")
    assert (h100.interconnect, h100.power_w) == (900e9, 700.0)


def test_tpu_v4_capacity_is_binary() -> None:
    tpu = get_accelerator("tpu-v4")
    assert tpu.capacity_label == "32 GiB"
    assert tpu.capacity_bytes == 32 * 2**30
    assert sorted(tpu.peak_flops) == ["bf16", "int8"]


#: The chips the catalog must hold (issue 10 adds the last eight), one GPU or chip each.
CHIPS_OF_2026 = ["a100-sxm-80gb", "h100-sxm", "h100-nvl", "h200", "b200", "mi300x", "tpu-v4",
                 "tpu-v5e", "tpu-v5p", "b300", "gb200", "gb300", "mi325x", "mi355x",
                 "tpu-v6e", "tpu7x", "gaudi3"]

GiB, MiB = 2**30, 2**20

#: Nominal HBM by hand: stacks × stack size in GiB, times the share the part enables.
NOMINAL_BY_HAND = {
    "a100-sxm-80gb": 5 * 16 * GiB, "h100-sxm": 5 * 16 * GiB, "mi300x": 8 * 24 * GiB,
    "mi325x": 8 * 32 * GiB, "mi355x": 8 * 36 * GiB, "tpu-v4": 4 * 8 * GiB,
    "tpu7x": 8 * 24 * GiB, "gaudi3": 8 * 16 * GiB,
    "b200": 8 * 24 * GiB * 15 // 16, "b300": 8 * 36 * GiB * 15 // 16,      # 15 of 16 channels
    "gb200": 8 * 24 * GiB * 31 // 32, "gb300": 8 * 36 * GiB * 31 // 32,
    "h200": 141 * GiB, "h100-nvl": 94 * GiB, "tpu-v5e": 16 * GiB, "tpu-v5p": 95 * GiB,
    "tpu-v6e": 32 * GiB,
}
#: Usable capacity as the drivers report it: nvidia-smi in MiB, rocm-smi in bytes.
USABLE_BY_HAND = {"a100-sxm-80gb": 81920 * MiB, "h100-sxm": 81559 * MiB,
                  "b200": 183359 * MiB, "mi300x": 206_141_652_992}


def test_the_chips_of_2026_are_in_the_catalog() -> None:
    assert sorted(accelerator_names()) == sorted(CHIPS_OF_2026)


@pytest.mark.parametrize("name", CHIP_NAMES)
def test_nominal_capacity_is_binary_from_the_stacks(name: str) -> None:
    chip = get_accelerator(name)
    assert chip.capacity_bytes == NOMINAL_BY_HAND[name]
    assert chip.capacity_unit == "GiB"
    assert chip.printed_capacity.startswith(f"{chip.capacity_value:g}")   # "80GB", "32 GiB"


@pytest.mark.parametrize("raw", RAW_CHIPS, ids=CHIP_NAMES)
def test_stacks_hold_the_nominal_capacity(raw: dict[str, Any]) -> None:
    cap = raw["capacity"]
    if "stacks" in cap:
        assert cap["stacks"] * cap["stack_gib"] >= cap["value"]


@pytest.mark.parametrize("name", CHIP_NAMES)
def test_usable_capacity_where_sourced_and_the_fit_rule(name: str) -> None:
    chip = get_accelerator(name)
    assert chip.usable_bytes == USABLE_BY_HAND.get(name)
    if chip.usable_bytes is None:
        assert (chip.fit_bytes, chip.fit_basis) == (chip.capacity_bytes, "nominal")
        assert "usable" in chip.notes      # the notes say why it is left out
    else:
        assert (chip.fit_bytes, chip.fit_basis) == (chip.usable_bytes, "usable")
        assert re.fullmatch(r"https://\S+", chip.sources["usable_bytes"])
        # A driver reserves a little: never more than nominal, within 1 % of it.
        assert 0 <= chip.capacity_bytes - chip.usable_bytes < chip.capacity_bytes // 100


@pytest.mark.parametrize("name", CHIP_NAMES)
def test_every_value_has_a_source_url(name: str) -> None:
    chip = get_accelerator(name)
    given = {"peak_flops": True, "bandwidth": True, "capacity_bytes": True, "year": True,
             "usable_bytes": chip.usable_bytes is not None,
             "interconnect": chip.interconnect is not None,
             "power_w": chip.power_w is not None}
    for field, present in given.items():
        if present:
            assert re.fullmatch(r"https://\S+", chip.sources[field]), (name, field)
        else:
            assert field not in chip.sources, (name, field)   # left out: no value, no source
    assert 2020 <= chip.year <= 2026


@pytest.mark.parametrize("name", CHIP_NAMES)
def test_notes_say_how_dense_was_read_and_what_is_left_out(name: str) -> None:
    chip = get_accelerator(name)
    assert "dense" in chip.notes.lower()
    if chip.power_w is None or chip.interconnect is None:
        assert "left out" in chip.notes or "not published" in chip.notes \
            or "No board power is published" in chip.notes


def test_corrected_entries() -> None:
    # HGX B200 (180 GB): 15 of 16 512-bit channels, 7.7 TB/s (8 TB/s is the full part).
    b200 = get_accelerator("b200")
    assert b200.bandwidth == 7.7e12
    assert "8 TB/s" in b200.notes
    assert "7,680-bit" in b200.notes
    # H100 NVL: 3,938 GB/s in NVIDIA's product brief.
    assert get_accelerator("h100-nvl").bandwidth == 3938e9
    # Cloud TPU v4 became available in 2022, v5p in 2024.
    assert (get_accelerator("tpu-v4").year, get_accelerator("tpu-v5p").year) == (2022, 2024)


@pytest.mark.parametrize(("name", "fmt", "tflops"), [
    ("b200", "fp4", 144_000 / 2 / 8),     # HGX B200: FP4 144 | 72 PFLOPS for eight GPUs
    ("b200", "bf16", 36_000 / 2 / 8),     # 36 PFLOPS sparse; dense is half
    ("b300", "fp4", 108_000 / 8),         # HGX B300: FP4 dense 108 PFLOPS for eight
    ("b300", "int8", 307 / 2),            # Blackwell Ultra: 307 TOPS sparse per GPU
    ("gb200", "fp4", 720_000 / 72),       # GB200 NVL72: NVFP4 720 PFLOPS dense, 72 GPUs
    ("gb300", "fp4", 1_080_000 / 72),     # GB300 NVL72: 1,080 PFLOPS without sparsity
    ("gb300", "int8", 330 / 2),
    ("mi355x", "fp4", 10_066.3),          # MXFP4 10.0663 PFLOPS, no sparse variant listed
    ("mi355x", "fp8", 5_033.2),
    ("mi325x", "fp8", 2_614.9),
    ("tpu-v6e", "bf16", 918), ("tpu7x", "fp8", 4_614), ("gaudi3", "bf16", 1_835),
])
def test_new_chips_dense_peaks(name: str, fmt: str, tflops: float) -> None:
    assert get_accelerator(name).peak(fmt) == pytest.approx(tflops * 1e12, rel=1e-12)


def test_blackwell_ultra_cut_int8() -> None:
    for ultra, base in (("b300", "b200"), ("gb300", "gb200")):
        assert get_accelerator(ultra).peak("int8") < get_accelerator(base).peak("int8") / 25
        assert "int8" in get_accelerator(ultra).notes.lower()


@pytest.mark.parametrize(("name", "gb_s"), [
    ("h100-sxm", 18 * 25 * 2),        # NVLink 4: 18 links × 25 GB/s each way
    ("b200", 18 * 50 * 2),            # NVLink 5: 18 links × 50 GB/s each way
    ("mi300x", 7 * 128),              # 7 Infinity Fabric links × 128 GB/s
    ("mi355x", 7 * 153.6),
    ("tpu7x", 1200), ("tpu-v5e", 400),
])
def test_scale_up_links_both_directions(name: str, gb_s: float) -> None:
    assert get_accelerator(name).interconnect == pytest.approx(gb_s * 1e9)


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
