"""Parameters, FLOPs and cache against models built by transformers.

The fixture ``tests/fixtures/reference_counts.json`` is written by
``tools/reference_counts.py`` (versions inside it): every catalog model built on the meta
device, and a tiny variant of every family run on the CPU under PyTorch's FlopCounterMode
(eager attention, the per-expert MoE loop). Where that counter does not see the work the
package counts, or sees work the package does not count, the test says so and derives the
difference by hand:

- Llama 4's MoE multiplies every expert (unchosen ones by a zero weight): the counter sees
  ``E`` experts per token where the package counts the ``k`` routed ones.
- Recurrent mixers (gated delta rule, Mamba-2) run a chunked algorithm over a padded
  sequence in the prefill and element-wise updates in the decode step; the package counts
  their projections exactly (nn.Linear, checked here) and their state update in the
  recurrent form (checked by hand in ``test_flops.py``), so the mixer's own core is set
  aside here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ai_workloads.analysis.flops import decode_flops, op_flops, prefill_flops
from ai_workloads.analysis.memory import cache_values, kv_cache_bytes
from ai_workloads.analysis.params import param_counts
from ai_workloads.catalog import get_model, model_names
from ai_workloads.core.config import SUPPORTED_FAMILIES, TransformerConfig, from_hf_dict

FIXTURE = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "reference_counts.json").read_text())
MODELS: dict[str, dict[str, Any]] = FIXTURE["models"]
TOKENS = FIXTURE["settings"]["prefill_tokens"]
STATIC = FIXTURE["settings"]["static_cache_len"]

#: Module classes of recurrent mixers, whose core the counter sees in its own way.
MIXER_CLASSES = ("GatedDeltaNet", "Mamba2Mixer", "MambaLayer", "BambaMixer", "FalconH1Mixer",
                 "MambaMixer", "ShortConv")


def _family(entry: dict[str, Any]) -> str:
    return str(entry["config"].get("model_type"))


TINY = sorted(n for n, e in MODELS.items() if n.startswith("tiny-")
              and _family(e) in SUPPORTED_FAMILIES)
CATALOG = [n for n in model_names() if n in MODELS]


def _tiny(name: str) -> TransformerConfig:
    return from_hf_dict(MODELS[name]["config_as_built"], name=name)


def test_the_fixture_covers_every_family_and_catalog_model() -> None:
    assert FIXTURE["versions"]["transformers"].startswith("5.")
    assert set(model_names()) <= set(MODELS)
    tiny_families = {_family(MODELS[n]) for n in TINY}
    assert tiny_families == set(SUPPORTED_FAMILIES) - {"bert", "gemma3", "llama4"}


@pytest.mark.parametrize("name", CATALOG)
def test_catalog_params_equal_transformers(name: str) -> None:
    entry, counts = MODELS[name], param_counts(get_model(name))
    if name == "bert-base":  # AutoModelForCausalLM builds BERT's LM-head variant
        assert counts.total == entry["encoder_model_params"]
        return
    built = entry.get("text_model_params") or entry["params"]  # Gemma 3: the text model
    assert counts.total == built
    if entry["active"] is not None:
        assert counts.active == entry["active"]
    assert counts.expert_params - _dense_mlp(name) == entry["routed_expert_params"] or \
        not get_model(name).is_moe


def _dense_mlp(name: str) -> int:
    counts = param_counts(get_model(name))
    return sum(g.count * g.expert_params for g in counts.groups if not g.kind.moe)


#: Fields that change no count: a file that leaves them out gets transformers' class default
#: where the package keeps its own (the counts are read the same either way).
DESCRIPTIVE = {"rope_theta": 0.0, "norm_eps": 0.0, "activation": ""}


@pytest.mark.parametrize("name", TINY)
def test_tiny_reads_the_same_from_the_file_and_as_built(name: str) -> None:
    entry = MODELS[name]
    as_file = from_hf_dict(entry["config"], name=name).replace(**DESCRIPTIVE)
    assert as_file == _tiny(name).replace(**DESCRIPTIVE)


@pytest.mark.parametrize("name", TINY)
def test_tiny_params_equal_transformers(name: str) -> None:
    entry, counts = MODELS[name], param_counts(_tiny(name))
    assert counts.total == entry["params"]
    if entry["active"] is not None:
        assert counts.active == entry["active"]


def _seen_by_counter(name: str, mode: str) -> tuple[int, int]:
    """(what the counter saw outside recurrent mixers' cores, experts it over-counted)."""
    flops = MODELS[name][mode]["flops"]
    mixers = sum(v for cls, v in flops["by_module_class"].items()
                 if cls.endswith(MIXER_CLASSES))
    expected = MODELS[name][mode].get("routed_experts_expected")
    extra = 0
    if expected and flops["routed_experts"] == expected["if_all_experts"] and \
            expected["if_all_experts"] != expected["if_k_experts_per_token"]:
        extra = expected["if_all_experts"] - expected["if_k_experts_per_token"]  # Llama 4
    return flops["total"] - mixers, extra


def _ours_outside_mixer_core(cfg: TransformerConfig, ops: dict[str, int]) -> int:
    return sum(ops.values()) - ops.get("conv", 0) - ops.get("state", 0)


@pytest.mark.parametrize("name", TINY)
def test_tiny_prefill_flops_equal_transformers(name: str) -> None:
    cfg = _tiny(name)
    seen, extra = _seen_by_counter(name, "prefill")
    ops = op_flops(cfg, TOKENS, TOKENS)
    assert _ours_outside_mixer_core(cfg, ops) == seen - extra
    if not any(k.mixer in ("linear", "mamba") for k, _ in cfg.layer_groups):
        assert prefill_flops(cfg, TOKENS) == seen - extra


@pytest.mark.parametrize("name", TINY)
def test_tiny_decode_flops_equal_transformers(name: str) -> None:
    cfg = _tiny(name)
    context = MODELS[name]["decode"]["context"]
    seen, extra = _seen_by_counter(name, "decode")
    ops = op_flops(cfg, 1, context)
    assert _ours_outside_mixer_core(cfg, ops) == seen - extra
    if not any(k.mixer in ("linear", "mamba") for k, _ in cfg.layer_groups):
        assert decode_flops(cfg, context) == seen - extra


@pytest.mark.parametrize("name", TINY)
def test_tiny_static_cache_equals_transformers(name: str) -> None:
    cfg = _tiny(name)
    static = MODELS[name]["static_cache"]["by_layer_type"]
    ours = cache_values(cfg, STATIC)
    assert sum(ours.values()) == sum(part["elements"] for part in static.values())


SIZES = {"bfloat16": 2, "float32": 4}


@pytest.mark.parametrize("name", TINY)
def test_tiny_cache_bytes_in_bf16_as_transformers_keeps_them(name: str) -> None:
    """In a bf16 model, keys, values and convolution windows are bf16 but the recurrent
    state matrices stay fp32; the package counts each in its format."""
    entry = MODELS[name]
    # Measured for the hybrids; attention caches follow the model's format.
    dtypes = entry.get("cache_dtypes_when_built_in_bfloat16",
                       {"keys": ["bfloat16"], "values": ["bfloat16"]})
    expected = 0
    for part in entry["static_cache"]["by_layer_type"].values():
        for tensor, [dtype] in dtypes.items():
            expected += part.get(tensor, 0) * SIZES[dtype]
    assert kv_cache_bytes(_tiny(name), STATIC, dtype="bf16") == expected
