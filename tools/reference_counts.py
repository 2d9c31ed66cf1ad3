"""Ground truth for parameter, FLOP and KV-cache counts, from models that transformers builds.

What it builds
    * Every model of the catalog (``src/ai_workloads/catalog/data/models.json``, read as plain
      JSON) and, when the file exists, every entry of ``tools/reference_models.json`` (a list of
      ``{"name": ..., "config": {...}}``), each built with ``AutoModelForCausalLM.from_config``
      on the meta device: shapes only, no memory. For these it records the exact parameter
      count, the routed-expert parameters, the active parameters and the uncounted buffers.
    * A tiny variant of each family in ``TINY_CONFIGS`` (hidden size 64, two to six layers, a
      vocabulary of 256, a few experts, windows and chunks of 8 tokens), with every feature of
      the family switched on. Each is built for real on the CPU in float32 with eager attention
      and the eager (per-expert) MoE path, and measured: the parameters as above; the matmul
      FLOPs (``torch.utils.flop_counter.FlopCounterMode``) of a 16-token prefill and of the
      one-token decode step after it, in total, by aten op and by module class; every tensor the
      returned ``DynamicCache`` holds after each; what a ``StaticCache`` of 32 positions
      allocates; and the prefill again with transformers' batched and grouped expert kernels.

How to run it
    pip install -e '.[reference]'
    python tools/reference_counts.py

    It runs offline (configs only, nothing downloaded), takes seconds to a few minutes on two
    CPU cores, and prints one line per model. It never imports ai_workloads: it is an
    independent check of the package's formulas.

What it writes
    ``tests/fixtures/reference_counts.json``: versions, settings, one entry per model keyed by
    the catalog name or ``tiny-<model_type>``, and the families it had to skip with the reason.
    The bytes are the same on every run (fixed seeds, sorted keys, counts and shapes only, no
    timings).

Blind spots (each model's ``notes`` reports those that apply, from its own measurements)
    * ``FlopCounterMode`` counts matmul-like aten ops only (mm, addmm, bmm, baddbmm,
      convolution, scaled-dot-product attention). Element-wise work (norms, activations,
      softmax, rotary, routing weights, the recurrent-state updates of linear-attention and
      SSM layers) is not counted. Ops that look like matmuls but have no formula are listed
      under ``uncounted_matmul_ops``.
    * Eager attention multiplies the whole score matrix: masked positions (causal, sliding,
      chunked) count as work, and with a ``StaticCache`` every allocated position does.
    * MoE FLOPs depend on the experts implementation. Without one, ``from_config`` picks
      ``grouped_mm``, whose ``aten._grouped_mm`` has no FLOP formula: the routed experts count
      as 0. The eager loop and ``batched_mm`` both show k experts per token.
    * Llama 4's MoE block sends every token through every expert (inputs scaled by a sigmoid
      router score that is 0 for unchosen experts): the counter sees E experts, not k.
    * MLA (DeepSeek V2/V3) in this transformers caches the compressed latent and the shared
      rotary key (one head), not per-head K and V, and re-expands every cached token through
      ``kv_b_proj`` at each step.
    * A sliding-window ``DynamicCache`` layer keeps the last ``window - 1`` tokens (the new token
      completes the window); a static sliding layer allocates ``min(max_cache_len, window)``.
    * Hybrid models run the pure-torch fallback of their Mamba / gated-delta-net / short-conv
      mixers (no fused kernels installed): the prefill's chunked algorithm is counted as the
      profiler sees its matmuls, which is not what a fused kernel executes.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import contextlib
import copy
import io
import json
import math
import platform
import re
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
import transformers
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode, flop_registry
from transformers import AutoModel, AutoModelForCausalLM, StaticCache
from transformers.models.auto.configuration_auto import CONFIG_MAPPING

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "src" / "ai_workloads" / "catalog" / "data" / "models.json"
EXTRA_MODELS = ROOT / "tools" / "reference_models.json"
OUTPUT = ROOT / "tests" / "fixtures" / "reference_counts.json"

PREFILL_TOKENS = 16
STATIC_CACHE_LEN = 32
SEED = 0
WINDOW = 8  # sliding windows and attention chunks of the tiny models, smaller than the prefill
EXPERTS = "eager"  # transformers' per-expert loop: the FLOP counter sees each expert matmul
KERNEL_CHECKS = ("batched_mm", "grouped_mm")  # measured beside eager, to show what they hide

# --------------------------------------------------------------------------------------------
# Tiny configs: one per family, every feature of the family switched on.
# --------------------------------------------------------------------------------------------

_ATTN = {
    "vocab_size": 256,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "max_position_embeddings": 256,
}
_MAMBA = {  # Mamba-2 mixers: expand 2 x hidden 64 = 8 heads of 16; chunks shorter than the prefill
    "mamba_n_heads": 8,
    "mamba_d_head": 16,
    "mamba_n_groups": 2,
    "mamba_d_state": 16,
    "mamba_d_conv": 4,
    "mamba_expand": 2,
    "mamba_chunk_size": WINDOW,
}
_SLIDE_3_1 = ["sliding_attention"] * 3 + ["full_attention"]


def _tiny(*, without: tuple[str, ...] = (), **overrides: Any) -> dict[str, Any]:
    """The shared tiny attention shape less the keys in ``without``, plus the family's settings."""
    base = {key: value for key, value in _ATTN.items() if key not in without}
    return {**base, **overrides}


TINY_CONFIGS: dict[str, dict[str, Any]] = {
    # ---- required families ----
    "tiny-deepseek_v3": _tiny(
        model_type="deepseek_v3", without=("head_dim",), num_hidden_layers=3,
        num_key_value_heads=4, first_k_dense_replace=1,
        n_routed_experts=8, num_experts_per_tok=2, n_shared_experts=1, moe_intermediate_size=32,
        n_group=2, topk_group=1, routed_scaling_factor=2.5,
        kv_lora_rank=32, q_lora_rank=48, qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=16,
    ),
    "tiny-qwen3": _tiny(model_type="qwen3", num_hidden_layers=2),
    "tiny-qwen3_moe": _tiny(
        model_type="qwen3_moe", num_hidden_layers=3, mlp_only_layers=[0],
        num_experts=8, num_experts_per_tok=2, moe_intermediate_size=32, norm_topk_prob=True,
    ),
    "tiny-gemma2": _tiny(
        model_type="gemma2", num_hidden_layers=4, sliding_window=WINDOW,
        query_pre_attn_scalar=16, attn_logit_softcapping=50.0, final_logit_softcapping=30.0,
    ),
    "tiny-gemma3_text": _tiny(
        model_type="gemma3_text", num_hidden_layers=4, sliding_window=WINDOW,
        layer_types=_SLIDE_3_1, query_pre_attn_scalar=16,
    ),
    "tiny-gpt_oss": _tiny(
        model_type="gpt_oss", num_hidden_layers=2, sliding_window=WINDOW,
        layer_types=["sliding_attention", "full_attention"],
        intermediate_size=64, num_local_experts=4, num_experts_per_tok=2,
        rope_parameters={
            "rope_type": "yarn", "rope_theta": 150000.0, "factor": 4.0, "beta_fast": 32.0,
            "beta_slow": 1.0, "truncate": False, "original_max_position_embeddings": 64,
        },
    ),
    "tiny-llama4_text": _tiny(
        model_type="llama4_text", num_hidden_layers=4, attention_chunk_size=WINDOW,
        intermediate_size=64, intermediate_size_mlp=128, interleave_moe_layer_step=2,
        num_local_experts=4, num_experts_per_tok=1,
        use_qk_norm=True, no_rope_layer_interval=4, attn_temperature_tuning=True, floor_scale=8,
    ),
    "tiny-olmo2": _tiny(model_type="olmo2", num_hidden_layers=2),
    "tiny-granite": _tiny(
        model_type="granite", num_hidden_layers=2,
        embedding_multiplier=12.0, attention_multiplier=0.0625, residual_multiplier=0.22,
        logits_scaling=8.0,
    ),
    "tiny-cohere": _tiny(model_type="cohere", num_hidden_layers=2, use_qk_norm=True),
    "tiny-llama": _tiny(model_type="llama", num_hidden_layers=2),
    "tiny-mistral": _tiny(model_type="mistral", num_hidden_layers=2, sliding_window=WINDOW),
    "tiny-mixtral": _tiny(
        model_type="mixtral", num_hidden_layers=2, sliding_window=WINDOW,
        intermediate_size=64, num_local_experts=4, num_experts_per_tok=2,
    ),
    "tiny-qwen2": _tiny(
        model_type="qwen2", num_hidden_layers=4,
        use_sliding_window=True, sliding_window=WINDOW, max_window_layers=2,
    ),
    "tiny-gemma": _tiny(model_type="gemma", num_hidden_layers=2, num_key_value_heads=1),
    "tiny-phi3": _tiny(
        model_type="phi3", num_hidden_layers=2, sliding_window=WINDOW, pad_token_id=None,
        original_max_position_embeddings=256,
    ),
    "tiny-gpt2": {
        "model_type": "gpt2", "vocab_size": 256, "n_embd": 64, "n_layer": 2, "n_head": 4,
        "n_positions": 256,
    },
    # ---- extra families ----
    "tiny-qwen2_moe": _tiny(
        model_type="qwen2_moe", num_hidden_layers=3, mlp_only_layers=[0],
        num_experts=8, num_experts_per_tok=2, moe_intermediate_size=32,
        shared_expert_intermediate_size=64,
    ),
    "tiny-olmoe": _tiny(
        model_type="olmoe", num_hidden_layers=2, clip_qkv=8.0,
        intermediate_size=32, num_experts=8, num_experts_per_tok=2,
    ),
    "tiny-olmo3": _tiny(
        model_type="olmo3", num_hidden_layers=4, sliding_window=WINDOW, layer_types=_SLIDE_3_1,
    ),
    "tiny-granitemoe": _tiny(
        model_type="granitemoe", num_hidden_layers=2,
        intermediate_size=32, num_local_experts=4, num_experts_per_tok=2,
        embedding_multiplier=12.0, attention_multiplier=0.0625, residual_multiplier=0.22,
        logits_scaling=8.0,
    ),
    "tiny-granitemoeshared": _tiny(
        model_type="granitemoeshared", num_hidden_layers=2,
        intermediate_size=32, num_local_experts=4, num_experts_per_tok=2,
        shared_intermediate_size=64,
        embedding_multiplier=12.0, attention_multiplier=0.0625, residual_multiplier=0.22,
        logits_scaling=8.0,
    ),
    "tiny-cohere2": _tiny(
        model_type="cohere2", num_hidden_layers=4, sliding_window=WINDOW, layer_types=_SLIDE_3_1,
    ),
    "tiny-deepseek_v2": _tiny(
        model_type="deepseek_v2", without=("head_dim",), num_hidden_layers=3,
        num_key_value_heads=4, first_k_dense_replace=1,
        n_routed_experts=8, num_experts_per_tok=2, n_shared_experts=2, moe_intermediate_size=32,
        kv_lora_rank=32, q_lora_rank=48, qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=16,
    ),
    "tiny-deepseek_v2-q_lora_rank_null": _tiny(
        model_type="deepseek_v2", without=("head_dim",), num_hidden_layers=3,
        num_key_value_heads=4, first_k_dense_replace=1,
        n_routed_experts=8, num_experts_per_tok=2, n_shared_experts=2, moe_intermediate_size=32,
        kv_lora_rank=32, q_lora_rank=None, qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=16,
    ),
    "tiny-glm4_moe": _tiny(
        model_type="glm4_moe", num_hidden_layers=3, first_k_dense_replace=1,
        n_routed_experts=8, num_experts_per_tok=2, n_shared_experts=1, moe_intermediate_size=32,
        use_qk_norm=True, attention_bias=True,
        rope_parameters={
            "rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.5,
        },
    ),
    "tiny-smollm3": _tiny(
        model_type="smollm3", num_hidden_layers=4, no_rope_layer_interval=2, pad_token_id=None,
    ),
    "tiny-starcoder2": _tiny(
        model_type="starcoder2", num_hidden_layers=2, sliding_window=WINDOW, use_bias=True,
    ),
    "tiny-phimoe": _tiny(
        model_type="phimoe", num_hidden_layers=2, sliding_window=WINDOW,
        intermediate_size=64, num_local_experts=4, num_experts_per_tok=2,
        attention_bias=True, lm_head_bias=True,
    ),
    "tiny-ernie4_5": _tiny(model_type="ernie4_5", num_hidden_layers=2, tie_word_embeddings=True),
    "tiny-ernie4_5_moe": _tiny(
        model_type="ernie4_5_moe", num_hidden_layers=3,
        moe_layer_start_index=1, moe_layer_end_index=2,
        moe_num_experts=8, moe_k=2, moe_num_shared_experts=1, moe_intermediate_size=32,
    ),
    "tiny-arcee": _tiny(model_type="arcee", num_hidden_layers=2),
    "tiny-seed_oss": _tiny(
        model_type="seed_oss", num_hidden_layers=2, attention_bias=True, attention_out_bias=False,
    ),
    "tiny-exaone4": _tiny(
        model_type="exaone4", num_hidden_layers=4, sliding_window=WINDOW, layer_types=_SLIDE_3_1,
    ),
    "tiny-dots1": _tiny(
        model_type="dots1", num_hidden_layers=3, first_k_dense_replace=1,
        n_routed_experts=8, num_experts_per_tok=2, n_shared_experts=1, moe_intermediate_size=32,
    ),
    "tiny-apertus": _tiny(model_type="apertus", num_hidden_layers=2),
    "tiny-hunyuan_v1_dense": _tiny(model_type="hunyuan_v1_dense", num_hidden_layers=2),
    # StableLM's per-head q/k LayerNorms (qk_layernorm) are left off: the package refuses them.
    "tiny-stablelm": _tiny(
        model_type="stablelm", without=("head_dim",), num_hidden_layers=2, use_qkv_bias=True,
        use_parallel_residual=True,
    ),
    "tiny-glm": _tiny(model_type="glm", num_hidden_layers=2, pad_token_id=0),
    "tiny-glm4": _tiny(model_type="glm4", num_hidden_layers=2, pad_token_id=0),
    "tiny-ministral": _tiny(
        model_type="ministral", num_hidden_layers=4, sliding_window=WINDOW,
        layer_types=["sliding_attention", "full_attention"] * 2,
    ),
    "tiny-nemotron": _tiny(
        model_type="nemotron", num_hidden_layers=2, attention_bias=True, mlp_bias=True,
    ),
    "tiny-hunyuan_v1_moe": _tiny(
        model_type="hunyuan_v1_moe", num_hidden_layers=2, num_experts=4, moe_topk=2,
        attention_bias=True,
    ),
    "tiny-helium": _tiny(
        model_type="helium", num_hidden_layers=2, attention_bias=True, mlp_bias=True,
        pad_token_id=0,
    ),
    "tiny-internlm3": _tiny(
        model_type="internlm3", num_hidden_layers=2, attention_bias=True, mlp_bias=True,
        pad_token_id=0,
    ),
    "tiny-iquestcoder": _tiny(model_type="iquestcoder", num_hidden_layers=2),
    "tiny-jais2": _tiny(model_type="jais2", num_hidden_layers=2),
    "tiny-vaultgemma": _tiny(
        model_type="vaultgemma", num_hidden_layers=4, sliding_window=WINDOW, pad_token_id=0,
    ),
    "tiny-minimax_m2": _tiny(
        model_type="minimax_m2", num_hidden_layers=2, num_local_experts=4, num_experts_per_tok=2,
    ),
    "tiny-flex_olmo": _tiny(
        model_type="flex_olmo", num_hidden_layers=2, num_experts=4, num_experts_per_tok=2,
        attention_bias=True, pad_token_id=0,
    ),
    "tiny-exaone_moe": _tiny(
        model_type="exaone_moe", num_hidden_layers=4, num_experts=4, num_experts_per_tok=2,
        moe_intermediate_size=32, sliding_window=WINDOW, sliding_window_pattern=2,
        first_k_dense_replace=1,
    ),
    "tiny-granite_swa": _tiny(
        model_type="granite_swa", num_hidden_layers=4, sliding_window=WINDOW,
        attention_bias=True, pad_token_id=0,
    ),
    "tiny-granitemoe_swa": _tiny(
        model_type="granitemoe_swa", num_hidden_layers=4, sliding_window=WINDOW,
        num_local_experts=4, num_experts_per_tok=2, shared_intermediate_size=48, pad_token_id=0,
    ),
    # ---- hybrids: the pure-torch fallbacks of their mixers run on the CPU ----
    "tiny-qwen3_next": _tiny(
        model_type="qwen3_next", num_hidden_layers=4,
        layer_types=["linear_attention"] * 3 + ["full_attention"],
        linear_num_key_heads=2, linear_num_value_heads=4, linear_key_head_dim=16,
        linear_value_head_dim=16, linear_conv_kernel_dim=4,
        num_experts=8, num_experts_per_tok=2, moe_intermediate_size=32,
        shared_expert_intermediate_size=32,
    ),
    "tiny-granitemoehybrid": _tiny(
        model_type="granitemoehybrid", num_hidden_layers=4,
        layer_types=["mamba", "mamba", "attention", "mamba"],
        intermediate_size=32, num_local_experts=4, num_experts_per_tok=2,
        shared_intermediate_size=64, **_MAMBA,
    ),
    "tiny-bamba": _tiny(model_type="bamba", num_hidden_layers=3, attn_layer_indices=[1], **_MAMBA),
    "tiny-falcon_h1": _tiny(model_type="falcon_h1", num_hidden_layers=2, mamba_d_ssm=128, **_MAMBA),
    "tiny-nemotron_h": _tiny(
        model_type="nemotron_h", layers_block_type=["mamba", "moe", "attention", "mlp"],
        ssm_state_size=16, mamba_num_heads=8, mamba_head_dim=16, n_groups=2, conv_kernel=4,
        expand=2, chunk_size=WINDOW, use_mamba_kernels=False,
        n_routed_experts=4, num_experts_per_tok=2, n_shared_experts=1, moe_intermediate_size=32,
        moe_shared_expert_intermediate_size=32,
    ),
    "tiny-lfm2": _tiny(
        model_type="lfm2", num_hidden_layers=4, full_attn_idxs=[1, 3], conv_L_cache=3,
        block_multiple_of=32,
    ),
    "tiny-jamba": _tiny(
        model_type="jamba", num_hidden_layers=4, attn_layer_period=2, attn_layer_offset=1,
        expert_layer_period=2, expert_layer_offset=1, num_experts=4, num_experts_per_tok=2,
        mamba_d_state=16, mamba_d_conv=4, mamba_expand=2, mamba_dt_rank=8,
        use_mamba_kernels=False,
    ),
    "tiny-zamba2": _tiny(
        model_type="zamba2", without=("head_dim",), num_hidden_layers=6,
        layers_block_type=["mamba", "hybrid"] * 3, num_key_value_heads=4,
        mamba_d_state=16, mamba_d_conv=4, mamba_expand=2, mamba_ngroups=2, n_mamba_heads=8,
        chunk_size=WINDOW, use_mamba_kernels=False,
        num_mem_blocks=2, use_shared_attention_adapter=True, adapter_rank=8, use_mem_rope=True,
    ),
}

# Encoder families: transformers builds their causal-LM head class, AutoModel the published one.
ENCODER_FAMILIES = frozenset({"bert", "roberta", "xlm-roberta", "electra", "camembert"})

# Families that are hybrids of attention and state-space / linear-attention mixers.
HYBRID_TYPES = frozenset(
    {"qwen3_next", "granitemoehybrid", "bamba", "falcon_h1", "nemotron_h", "lfm2", "jamba",
     "zamba2"}
)

# Config attributes that name the number of routed experts and the experts chosen per token.
EXPERT_COUNT_KEYS = ("n_routed_experts", "num_local_experts", "num_experts", "moe_num_experts")
EXPERTS_PER_TOKEN_KEYS = ("num_experts_per_tok", "moe_k", "moe_topk", "top_k")
SHARED_NAME = re.compile(r"shared", re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def load_real_models() -> list[tuple[str, dict[str, Any]]]:
    """The catalog's models and, if present, the extra real-model configs, as (name, config)."""
    catalog = json.loads(CATALOG.read_text())
    models = [(entry["name"], entry["config"]) for entry in catalog["models"]]
    if EXTRA_MODELS.exists():
        extra = json.loads(EXTRA_MODELS.read_text())
        models += [(entry["name"], entry["config"]) for entry in extra]
    return models


def build_config(config: dict[str, Any]) -> transformers.PreTrainedConfig:
    """The transformers config class of ``model_type`` filled with a copy of the given dict.

    A copy, because the config classes rewrite nested dicts (``rope_scaling``) in place.
    """
    settings = copy.deepcopy(config)
    model_type = settings.pop("model_type")
    if model_type not in CONFIG_MAPPING:
        raise KeyError(f"transformers {transformers.__version__} has no model_type {model_type!r}")
    return CONFIG_MAPPING[model_type](**settings)


STRICT_BOOL = re.compile(r"Field '(\w+)' expected bool, got int \(value: (-?\d+)\)")


def coerce_strict_fields(config: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The config with the int flags that transformers' strict validation refuses made bools.

    Some published configs store a boolean switch as an integer (Llama 4 Scout's
    ``attn_temperature_tuning: 4``); the config classes of transformers 5 refuse them. The
    value is only ever tested for truth, so ``bool(value)`` builds the same model. Each change
    is returned as a sentence for the model's notes.
    """
    fixed = json.loads(json.dumps(config))
    changes: list[str] = []
    for _ in range(8):
        try:
            with quiet():
                build_config(fixed)
        except Exception as error:
            match = STRICT_BOOL.search(str(error))
            if match is None or not replace_everywhere(fixed, match.group(1)):
                raise
            changes.append(
                f"Config field {match.group(1)}={match.group(2)} made "
                f"{bool(int(match.group(2)))}: transformers' strict config validation wants a bool."
            )
        else:
            return fixed, changes
    raise ValueError("too many config fields to coerce")


def replace_everywhere(config: dict[str, Any], field: str) -> bool:
    """Make every integer ``field`` in the (nested) config a bool; whether one was found."""
    found = False
    for key, value in config.items():
        if key == field and isinstance(value, int) and not isinstance(value, bool):
            config[key] = bool(value)
            found = True
        elif isinstance(value, dict):
            found = replace_everywhere(value, field) or found
    return found


def build_on_meta(config: dict[str, Any]) -> torch.nn.Module:
    """``AutoModelForCausalLM.from_config`` on the meta device: shapes only, no memory."""
    with torch.device("meta"), quiet():
        return AutoModelForCausalLM.from_config(build_config(config))


def build_on_cpu(config: dict[str, Any], dtype: torch.dtype = torch.float32) -> torch.nn.Module:
    """A CPU model with eager attention and eager (per-expert) MoE."""
    torch.manual_seed(SEED)
    with quiet():
        model = AutoModelForCausalLM.from_config(
            build_config(config),
            dtype=dtype,
            attn_implementation="eager",
            experts_implementation=EXPERTS,
        )
    return model.eval()


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence transformers' advice and warnings while building and running."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


def config_value(config: Any, keys: tuple[str, ...]) -> int | None:
    """The first of ``keys`` that the built config holds as an integer."""
    for key in keys:
        value = getattr(config, key, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def routed_expert_modules(model: torch.nn.Module) -> list[tuple[str, torch.nn.Module, int]]:
    """The routed-expert containers, as (name, module, number of experts).

    A container is either a module whose class name ends in ``Experts`` (transformers 5 stores
    the experts fused, as ``[E, ...]`` tensors) or an ``nn.ModuleList`` named ``experts``.
    Modules named ``shared...`` are shared experts, which every token uses: never routed.
    """
    found: list[tuple[str, torch.nn.Module, int]] = []
    claimed: list[str] = []
    for name, module in model.named_modules():
        if any(name.startswith(prefix + ".") for prefix in claimed):
            continue
        last = name.rsplit(".", 1)[-1]
        if SHARED_NAME.search(last):
            continue
        if isinstance(module, torch.nn.ModuleList) and last == "experts":
            found.append((name, module, len(module)))
        elif type(module).__name__.endswith("Experts"):
            leading = {p.shape[0] for p in module.parameters(recurse=False)}
            experts = getattr(module, "num_experts", None)
            if not isinstance(experts, int):
                experts = leading.pop() if len(leading) == 1 else 0
            found.append((name, module, experts))
        else:
            continue
        claimed.append(name)
    return found


def expert_weight_elements(module: torch.nn.Module, experts: int) -> int:
    """Matrix elements of one expert (biases and vectors excluded): what a token multiplies."""
    if isinstance(module, torch.nn.ModuleList):
        return sum(p.numel() for p in module[0].parameters() if p.ndim >= 2)
    return sum(p.numel() for p in module.parameters() if p.ndim >= 3) // experts


def buffer_summary(model: torch.nn.Module) -> dict[str, dict[str, Any]]:
    """Buffers (never counted as parameters), grouped by the last part of their name."""
    summary: dict[str, dict[str, Any]] = {}
    for module in model.modules():
        for name, buffer in module.named_buffers(recurse=False):
            entry = summary.setdefault(name, {"count": 0, "numel": 0, "persistent": set()})
            entry["count"] += 1
            entry["numel"] += buffer.numel()
            entry["persistent"].add(name not in module._non_persistent_buffers_set)
    for entry in summary.values():
        flags = entry.pop("persistent")
        entry["persistent"] = flags.pop() if len(flags) == 1 else "mixed"
    return summary


def count_parameters(model: torch.nn.Module) -> dict[str, Any]:
    """Total, routed-expert and active parameters, the expert counts and the uncounted buffers."""
    config = model.config
    total = sum(p.numel() for p in model.parameters())
    with_ties = sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False))
    experts_per_token = config_value(config, EXPERTS_PER_TOKEN_KEYS)
    n_experts = config_value(config, EXPERT_COUNT_KEYS)
    routed = routed_expert_modules(model)
    routed_params = 0
    inactive = 0
    layers: list[dict[str, Any]] = []
    for name, module, experts in routed:
        params = sum(p.numel() for p in module.parameters())
        routed_params += params
        layers.append({"module": name, "class": type(module).__name__, "experts": experts,
                       "params": params})
        if experts_per_token is not None and experts:
            if params % experts:
                raise ValueError(f"{name}: {params} parameters do not split into {experts} experts")
            inactive += params // experts * (experts - experts_per_token)
    return {
        "model_class": type(model).__name__,
        "params": total,
        "params_counting_tied_twice": with_ties,
        "base_model_params": sum(p.numel() for p in model.base_model.parameters()),
        "shares_parameters": with_ties != total,
        "tie_word_embeddings": getattr(
            config.get_text_config(decoder=True), "tie_word_embeddings", None
        ),
        "routed_expert_params": routed_params,
        "routed_expert_layers": len(routed),
        "routed_expert_classes": sorted({layer["class"] for layer in layers}),
        "routed_expert_params_per_layer": sorted({layer["params"] for layer in layers}),
        "experts_in_modules": sorted({layer["experts"] for layer in layers}),
        "n_experts": n_experts,
        "experts_per_token": experts_per_token,
        "active": total - inactive if routed else None,
        "buffers": buffer_summary(model),
        "buffer_elements": sum(b.numel() for b in model.buffers()),
    }


def default_experts_implementation(model: torch.nn.Module) -> str | None:
    """The experts implementation ``from_config`` picks when asked for none."""
    if not routed_expert_modules(model):
        return None
    return model.config._experts_implementation


# --------------------------------------------------------------------------------------------
# FLOPs
# --------------------------------------------------------------------------------------------


def token_ids(vocab_size: int, count: int, seed: int) -> torch.Tensor:
    """Random token ids, batch 1, from a fixed generator."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab_size, (1, count), generator=generator)


MATMUL_LIKE = re.compile(r"mm|matmul|conv|einsum|attention|linear")


class OpLog(TorchDispatchMode):
    """Records the name of every op that reaches the dispatcher."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        self.seen.add(str(func.overloadpacket))
        return func(*args, **(kwargs or {}))


def uncounted_matmul_ops(seen: set[str]) -> list[str]:
    """Ops that ran, look like matmuls, and have no FLOP formula: work the counter misses."""
    counted = {str(op) for op in flop_registry}
    return sorted(
        name for name in seen
        if name not in counted and MATMUL_LIKE.search(name.rsplit(".", 1)[-1])
    )


def count_flops(model: torch.nn.Module, **inputs: Any) -> tuple[Any, dict[str, Any]]:
    """Run one forward under ``FlopCounterMode``: the output and the counts.

    The counts carry the raw per-module table under ``"_raw"`` for the notes; it is dropped
    before writing.
    """
    counter = FlopCounterMode(display=False)
    log = OpLog()
    with torch.no_grad(), counter, log, quiet():
        output = model(**inputs)
    counts = counter.get_flop_counts()
    total = int(counter.get_total_flops())
    by_op = {str(op): int(n) for op, n in counts.get("Global", {}).items() if n}
    own = exclusive_flops(counts)
    by_class = exclusive_by_class(model, own, total)
    return output, {
        "total": total,
        "by_op": dict(sorted(by_op.items())),
        "by_module_class": {key: sum(ops.values()) for key, ops in by_class.items()},
        "by_module_class_and_op": by_class,
        "attention_core_by_layer": attention_core_by_layer(model, own),
        "uncounted_matmul_ops": uncounted_matmul_ops(log.seen),
        "routed_experts": routed_expert_flops(model, counts),
        "_raw": {name: sum(ops.values()) for name, ops in counts.items()},
    }


def module_of(model: torch.nn.Module, tracked_name: str) -> torch.nn.Module | None:
    """The module that ``FlopCounterMode`` names ``RootClass.path.to.module``."""
    root, _, path = tracked_name.partition(".")
    if root != type(model).__name__:
        return None
    try:
        return model.get_submodule(path) if path else model
    except AttributeError:
        return None


def exclusive_flops(counts: dict[str, dict[Any, int]]) -> dict[str, dict[str, int]]:
    """Each tracked module's FLOPs by op, less those of the tracked modules nested in it.

    A module's parent is its nearest tracked ancestor by name (containers such as ``layers``
    are never called, so they are never tracked).
    """
    tracked = {name: ops for name, ops in counts.items() if name != "Global"}
    own = {name: {str(op): n for op, n in ops.items()} for name, ops in tracked.items()}
    for name, ops in tracked.items():
        parts = name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            parent = ".".join(parts[:cut])
            if parent in tracked:
                for op, n in ops.items():
                    own[parent][str(op)] -= n
                break
    return {name: {op: n for op, n in ops.items() if n} for name, ops in own.items()}


def exclusive_by_class(
    model: torch.nn.Module, own: dict[str, dict[str, int]], total: int
) -> dict[str, dict[str, int]]:
    """Exclusive FLOPs summed by module class, by op.

    The classes add up to the global total when every op ran inside exactly one chain of
    named modules; any difference is reported under ``(outside modules)``.
    """
    by_class: dict[str, dict[str, int]] = {}
    for name, ops in own.items():
        module = module_of(model, name)
        key = type(module).__name__ if module is not None else f"(untracked {name})"
        for op, n in ops.items():
            by_class.setdefault(key, {})
            by_class[key][op] = by_class[key].get(op, 0) + n
    outside = total - sum(sum(ops.values()) for ops in by_class.values())
    if outside:
        by_class["(outside modules)"] = {"all ops": outside}
    return {key: dict(sorted(ops.items())) for key, ops in sorted(by_class.items())}


ATTENTION_CLASS = re.compile(r"Attention$")
LAYER_INDEX = re.compile(r"\.(\d+)\.")


def attention_core_by_layer(
    model: torch.nn.Module, own: dict[str, dict[str, int]]
) -> dict[str, int]:
    """Per layer, the FLOPs of attention modules outside their projections: Q.K^T and A.V."""
    by_layer: dict[str, int] = {}
    for name, ops in own.items():
        module = module_of(model, name)
        match = LAYER_INDEX.search(name + ".")
        if module is None or match is None or not ATTENTION_CLASS.search(type(module).__name__):
            continue
        by_layer[match.group(1)] = by_layer.get(match.group(1), 0) + sum(ops.values())
    return dict(sorted(by_layer.items(), key=lambda item: int(item[0])))


def routed_expert_flops(model: torch.nn.Module, counts: dict[str, dict[Any, int]]) -> int:
    """FLOPs the counter attributes to the routed-expert containers."""
    root = type(model).__name__
    return sum(
        sum(counts.get(f"{root}.{name}", {}).values())
        for name, _, _ in routed_expert_modules(model)
    )


def expected_expert_flops(model: torch.nn.Module, tokens: int) -> dict[str, int] | None:
    """Matmul FLOPs of the routed experts if each token used k experts, or all E of them."""
    routed = routed_expert_modules(model)
    k = config_value(model.config, EXPERTS_PER_TOKEN_KEYS)
    if not routed or k is None:
        return None
    per_expert = [expert_weight_elements(module, experts) for _, module, experts in routed]
    return {
        "if_k_experts_per_token": sum(2 * tokens * k * w for w in per_expert),
        "if_all_experts": sum(2 * tokens * experts * w
                              for (_, _, experts), w in zip(routed, per_expert, strict=True)),
    }


def classify_expert_flops(measured: int, expected: dict[str, int] | None) -> str | None:
    """Which routing the measured routed-expert FLOPs correspond to."""
    if expected is None:
        return None
    if measured == expected["if_k_experts_per_token"]:
        return "k experts per token"
    if measured == expected["if_all_experts"]:
        return "all experts for every token"
    if measured == 0:
        return "not seen by the counter"
    return "neither k nor all experts"


# --------------------------------------------------------------------------------------------
# Caches
# --------------------------------------------------------------------------------------------


def cache_layer_types(config: Any, layers: int) -> list[str]:
    """The layer type each cache layer was made for, as ``DynamicCache(config=...)`` reads it."""
    try:
        types, _ = transformers.cache_utils.get_layer_types_and_kwargs(
            config.get_text_config(decoder=True)
        )
    except (AttributeError, TypeError, ValueError):
        return ["unknown"] * layers
    return list(types) + ["unknown"] * (layers - len(types))


def layer_tensors(layer: Any) -> dict[str, torch.Tensor]:
    """Every tensor a cache layer holds, by attribute name (bookkeeping scalars left out)."""
    tensors: dict[str, torch.Tensor] = {}
    for attribute, value in sorted(vars(layer).items()):
        if isinstance(value, torch.Tensor) and value.ndim >= 1 and value.numel() > 0:
            tensors[attribute] = value
        elif isinstance(value, dict):
            for index, item in sorted(value.items()):
                if isinstance(item, torch.Tensor) and item.ndim >= 1 and item.numel() > 0:
                    tensors[f"{attribute}[{index}]"] = item
    return tensors


def describe_cache(cache: Any, config: Any) -> dict[str, Any]:
    """Per layer: class, layer type, tensors (shape, elements, dtype), tokens held; and sums.

    ``tokens_held`` is the position dimension of the layer's keys: for a ``StaticCache`` the
    positions it allocated, for a state-only (recurrent) layer ``None``.
    """
    layers = []
    by_type: dict[str, dict[str, int]] = {}
    total = 0
    total_bytes = 0
    types = cache_layer_types(config, len(cache.layers))
    for index, layer in enumerate(cache.layers):
        tensors = layer_tensors(layer)
        keys = tensors.get("keys")
        entry = {
            "layer": index,
            "class": type(layer).__name__,
            "layer_type": types[index],
            "tensors": {
                name: {"shape": list(t.shape), "elements": t.numel(), "dtype": dtype_name(t.dtype)}
                for name, t in tensors.items()
            },
            "tokens_held": int(keys.shape[-2]) if keys is not None and keys.ndim == 4 else None,
            "elements": sum(t.numel() for t in tensors.values()),
        }
        window = getattr(layer, "sliding_window", None)
        if isinstance(window, int):
            entry["sliding_window"] = window
        layers.append(entry)
        sums = by_type.setdefault(types[index], {"layers": 0, "elements": 0})
        sums["layers"] += 1
        for name, tensor in tensors.items():
            kind = name.split("[", 1)[0]
            sums[kind] = sums.get(kind, 0) + tensor.numel()
            sums["elements"] += tensor.numel()
            total += tensor.numel()
            total_bytes += tensor.numel() * tensor.element_size()
    return {
        "cache_class": type(cache).__name__,
        "layers": layers,
        "by_layer_type": by_type,
        "total_elements": total,
        "total_bytes": total_bytes,
    }


def dtype_name(dtype: torch.dtype) -> str:
    """``float32`` for ``torch.float32``."""
    return str(dtype).removeprefix("torch.")


def cache_summary(described: dict[str, Any]) -> dict[str, Any]:
    """A described cache without the per-layer tensors: tokens held, sums and totals."""
    return {
        "tokens_held_by_layer": [layer["tokens_held"] for layer in described["layers"]],
        "by_layer_type": described["by_layer_type"],
        "total_elements": described["total_elements"],
        "total_bytes": described["total_bytes"],
    }


def state_dtypes_in_bfloat16(config: dict[str, Any], ids: torch.Tensor) -> dict[str, list[str]]:
    """The dtype of each kind of cache tensor after a prefill of the model built in bfloat16."""
    model = build_on_cpu(config, dtype=torch.bfloat16)
    with torch.no_grad(), quiet():
        cache = model(input_ids=ids, use_cache=True).past_key_values
    kinds: dict[str, set[str]] = {}
    for layer in cache.layers:
        for name, tensor in layer_tensors(layer).items():
            kinds.setdefault(name.split("[", 1)[0], set()).add(dtype_name(tensor.dtype))
    return {kind: sorted(dtypes) for kind, dtypes in sorted(kinds.items())}


def static_cache_allocation(model: torch.nn.Module, ids: torch.Tensor) -> dict[str, Any]:
    """What a ``StaticCache(max_cache_len=32)`` allocates once the prefill has filled it."""
    try:
        cache = StaticCache(config=model.config, max_cache_len=STATIC_CACHE_LEN)
        _, flops = count_flops(model, input_ids=ids, past_key_values=cache, use_cache=True)
    except Exception as error:  # record why the family cannot use it
        return {"supported": False, "reason": f"{type(error).__name__}: {error}"}
    described = describe_cache(cache, model.config)
    return {
        "supported": True,
        **described,
        "prefill_flops_total": flops["total"],
        "prefill_flops_by_module_class": flops["by_module_class"],
    }


# --------------------------------------------------------------------------------------------
# Measurements per model
# --------------------------------------------------------------------------------------------


def public(flops: dict[str, Any]) -> dict[str, Any]:
    """The FLOP record without the raw per-module table."""
    return {key: value for key, value in flops.items() if not key.startswith("_")}


def experts_kernel_check(model: torch.nn.Module, ids: torch.Tensor) -> dict[str, Any] | None:
    """Prefill FLOPs with transformers' batched and grouped expert kernels instead of eager."""
    if not routed_expert_modules(model) or not model._can_set_experts_implementation():
        return None
    expected = expected_expert_flops(model, ids.shape[-1])
    results: dict[str, Any] = {}
    for implementation in KERNEL_CHECKS:
        try:
            model.set_experts_implementation(implementation)
            _, flops = count_flops(model, input_ids=ids, use_cache=True)
        except Exception as error:  # a kernel this machine cannot run
            results[implementation] = {"error": f"{type(error).__name__}: {error}"}
            continue
        finally:
            model.set_experts_implementation(EXPERTS)
        results[implementation] = {
            "prefill_total": flops["total"],
            "prefill_by_op": flops["by_op"],
            "routed_experts": flops["routed_experts"],
            "routed_experts_seen_as": classify_expert_flops(flops["routed_experts"], expected),
            "uncounted_matmul_ops": flops["uncounted_matmul_ops"],
        }
    return results


def measure_tiny(config: dict[str, Any]) -> dict[str, Any]:
    """Parameters, prefill and decode FLOPs and cache contents of one tiny model on the CPU."""
    meta = build_on_meta(config)
    entry: dict[str, Any] = {"config": config, **count_parameters(meta)}
    entry["experts_implementation_default"] = default_experts_implementation(meta)
    model = build_on_cpu(config)
    cpu_params = sum(p.numel() for p in model.parameters())
    entry["config_as_built"] = json_safe(model.config.to_dict())
    entry["experts_implementation"] = (
        model.config._experts_implementation if routed_expert_modules(model) else None
    )
    vocab = model.config.get_text_config(decoder=True).vocab_size
    ids = token_ids(vocab, PREFILL_TOKENS, SEED)
    next_id = token_ids(vocab, 1, SEED + 1)

    output, prefill = count_flops(model, input_ids=ids, use_cache=True)
    cache = output.past_key_values
    entry["cache_after_prefill"] = describe_cache(cache, model.config)
    _, decode = count_flops(model, input_ids=next_id, past_key_values=cache, use_cache=True)
    entry["cache_after_decode"] = cache_summary(describe_cache(cache, model.config))
    entry["static_cache"] = static_cache_allocation(model, ids)
    entry["experts_kernel_check"] = experts_kernel_check(model, ids)
    if model.config.model_type in HYBRID_TYPES:
        entry["cache_dtypes_when_built_in_bfloat16"] = state_dtypes_in_bfloat16(config, ids)

    expected_prefill = expected_expert_flops(model, PREFILL_TOKENS)
    expected_decode = expected_expert_flops(model, 1)
    entry["prefill"] = {
        "tokens": PREFILL_TOKENS,
        "flops": public(prefill),
        "routed_experts_expected": expected_prefill,
        "routed_experts_seen_as": classify_expert_flops(
            prefill["routed_experts"], expected_prefill
        ),
    }
    entry["decode"] = {
        "context": PREFILL_TOKENS + 1,
        "flops": public(decode),
        "routed_experts_expected": expected_decode,
        "routed_experts_seen_as": classify_expert_flops(decode["routed_experts"], expected_decode),
    }
    entry["_decode_raw"] = decode["_raw"]
    entry["notes"] = tiny_notes(model, entry, prefill, decode, cpu_params)
    del entry["_decode_raw"]
    return entry


def measure_real(config: dict[str, Any]) -> dict[str, Any]:
    """Parameters of one real model, built on the meta device."""
    given = config
    config, coerced = coerce_strict_fields(given)
    meta = build_on_meta(config)
    entry: dict[str, Any] = {"config": given, **count_parameters(meta)}
    text = text_model_params(meta)
    if text is not None:
        entry["text_model_params"] = text
    entry["experts_implementation_default"] = default_experts_implementation(meta)
    if config["model_type"] in ENCODER_FAMILIES:
        with torch.device("meta"), quiet():
            encoder = AutoModel.from_config(build_config(config))
        entry["encoder_model_class"] = type(encoder).__name__
        entry["encoder_model_params"] = sum(p.numel() for p in encoder.parameters())
    entry["notes"] = coerced + parameter_notes(meta, entry)
    return entry


def text_model_params(model: torch.nn.Module) -> int | None:
    """For a multimodal class: the language model's parameters plus the LM head, once each."""
    language_model = getattr(model.base_model, "language_model", None)
    if language_model is None:
        return None
    params = {id(p): p for p in language_model.parameters()}
    head = model.get_output_embeddings()
    if head is not None:
        params.update({id(p): p for p in head.parameters()})
    return sum(p.numel() for p in params.values())


def json_safe(value: Any) -> Any:
    """``value`` with every non-JSON leaf (inf, dtypes, tuples, classes) made JSON-safe."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


# --------------------------------------------------------------------------------------------
# Notes: what the counts above do and do not show
# --------------------------------------------------------------------------------------------


def parameter_notes(model: torch.nn.Module, entry: dict[str, Any]) -> list[str]:
    """Observations about the parameter count: ties, buffers, experts, the class built."""
    notes = []
    if entry["shares_parameters"]:
        notes.append(
            "Tied or shared weights are counted once: parameters() gives "
            f"{entry['params']}, named_parameters(remove_duplicate=False) "
            f"{entry['params_counting_tied_twice']}."
        )
    if entry["buffers"]:
        names = ", ".join(sorted(entry["buffers"]))
        notes.append(f"Buffers are not parameters and are not counted: {names}.")
    if entry["routed_expert_layers"]:
        notes.append(
            f"{entry['routed_expert_layers']} MoE layers; routed experts stored as "
            f"{', '.join(entry['routed_expert_classes'])} (fused [E, ...] tensors or per-expert "
            "modules); shared experts are counted as always active."
        )
        if entry["n_experts"] not in entry["experts_in_modules"]:
            notes.append(
                f"The config's expert count {entry['n_experts']} differs from the experts the "
                f"modules hold {entry['experts_in_modules']}."
            )
    if entry.get("experts_implementation_default"):
        notes.append(
            "Without experts_implementation, from_config picks "
            f"'{entry['experts_implementation_default']}' here."
        )
    text_config = model.config.get_text_config(decoder=True)
    predict_ahead = getattr(text_config, "num_nextn_predict_layers", 0)
    if predict_ahead and not any(
        re.search(r"mtp|nextn", name) for name, _ in model.named_modules()
    ):
        notes.append(
            f"The config asks for {predict_ahead} multi-token-prediction layer(s) "
            "(num_nextn_predict_layers), which transformers does not build: a checkpoint's MTP "
            "weights are not in these counts."
        )
    if "vision_config" in entry["config"] and "text_model_params" not in entry:
        notes.append(
            f"The config carries a vision_config, but AutoModelForCausalLM builds "
            f"{type(model).__name__}, the text model only: no vision weights are counted."
        )
    if "text_model_params" in entry:
        notes.append(
            f"Built as {type(model).__name__}, vision tower and projector included; "
            f"text_model_params ({entry['text_model_params']}) is the language model and the "
            "LM head."
        )
    if "encoder_model_params" in entry:
        notes.append(
            f"Built as {type(model).__name__}: the causal-LM class of an encoder family, with "
            "its prediction head and without the pooler (base_model_params is that encoder); "
            f"encoder_model_params is AutoModel's {entry['encoder_model_class']}, pooler "
            "included."
        )
    return notes


def tiny_notes(
    model: torch.nn.Module,
    entry: dict[str, Any],
    prefill: dict[str, Any],
    decode: dict[str, Any],
    cpu_params: int,
) -> list[str]:
    """Observations about one tiny model's counts, found from the measurements themselves."""
    notes = parameter_notes(model, entry)
    if cpu_params != entry["params"]:
        notes.append(
            f"The CPU build counts {cpu_params} parameters, the meta build {entry['params']}."
        )
    notes += expert_notes(entry)
    notes += cache_notes(model, entry)
    notes += hybrid_notes(model, entry, prefill, decode)
    if entry["static_cache"].get("supported"):
        extra = entry["static_cache"]["prefill_flops_total"] - prefill["total"]
        if extra:
            notes.append(
                f"With a StaticCache of {STATIC_CACHE_LEN} the eager prefill counts {extra} more "
                "FLOPs than with the DynamicCache: attention scores and A.V run over every "
                "allocated position, masked or not."
            )
    return notes


def expert_notes(entry: dict[str, Any]) -> list[str]:
    """How the counter saw the routed experts on each path."""
    if not entry["routed_expert_layers"]:
        return []
    notes = []
    for phase in ("prefill", "decode"):
        seen = entry[phase]["routed_experts_seen_as"]
        expected = entry[phase]["routed_experts_expected"]
        measured = entry[phase]["flops"]["routed_experts"]
        if seen is None:
            continue
        notes.append(
            f"{phase}: routed-expert FLOPs on the {entry['experts_implementation']} path are "
            f"{measured}: {seen} (k experts would be {expected['if_k_experts_per_token']}, all "
            f"{entry['n_experts']} experts {expected['if_all_experts']})."
        )
    if entry["prefill"]["routed_experts_seen_as"] == "all experts for every token":
        notes.append(
            "The MoE block multiplies every token through every routed expert (the inputs of "
            "unchosen experts are scaled by a router score of 0), so the counter sees E experts "
            "per token where k are chosen; 'active' still counts k."
        )
    if entry.get("experts_kernel_check") is None:
        notes.append(
            "This family's experts take no experts_implementation: its own forward always runs, "
            "and the kernel check does not apply."
        )
    for kernel, result in (entry.get("experts_kernel_check") or {}).items():
        if "error" in result:
            notes.append(f"experts_implementation='{kernel}' could not run: {result['error']}")
        else:
            notes.append(
                f"experts_implementation='{kernel}': the counter sees {result['routed_experts']} "
                f"routed-expert FLOPs in the prefill ({result['routed_experts_seen_as']}); "
                f"prefill total {result['prefill_total']}"
                + (f"; ops that ran without a FLOP formula: {result['uncounted_matmul_ops']}."
                   if result["uncounted_matmul_ops"] else ".")
            )
    return notes


def cache_notes(model: torch.nn.Module, entry: dict[str, Any]) -> list[str]:
    """What the dynamic and static caches hold: windows, MLA latents, state dtypes."""
    notes = []
    after_prefill = entry["cache_after_prefill"]["layers"]
    after_decode = entry["cache_after_decode"]["tokens_held_by_layer"]
    windows = sorted({
        (layer["sliding_window"], layer["tokens_held"], later)
        for layer, later in zip(after_prefill, after_decode, strict=True)
        if "sliding_window" in layer
    })
    for window, held, held_later in windows:
        notes.append(
            f"Sliding/chunked DynamicCache layers (window {window}) hold {held} tokens after the "
            f"{PREFILL_TOKENS}-token prefill and {held_later} after the decode step: the last "
            "window - 1 tokens, the new token completing the window."
        )
    static = entry["static_cache"]
    if static.get("supported"):
        allocated = sorted({
            (dynamic["sliding_window"], layer["tokens_held"])
            for dynamic, layer in zip(after_prefill, static["layers"], strict=True)
            if "sliding_window" in dynamic and layer["tokens_held"] is not None
        })
        full = sorted({
            layer["tokens_held"]
            for dynamic, layer in zip(after_prefill, static["layers"], strict=True)
            if "sliding_window" not in dynamic and layer["tokens_held"] is not None
        })
        for window, positions in allocated:
            notes.append(
                f"StaticCache(max_cache_len={STATIC_CACHE_LEN}) allocates {positions} positions "
                f"for the layers of window {window} (min(max_cache_len, window))"
                + (f" and {', '.join(map(str, full))} for the full layers." if full
                   else "; no layer is full.")
            )
    cores = {
        phase: entry[phase]["flops"]["attention_core_by_layer"] for phase in ("prefill", "decode")
    }
    sliding_layers = [str(layer["layer"]) for layer in after_prefill if "sliding_window" in layer]
    full_layers = [
        str(layer["layer"]) for layer in after_prefill
        if "sliding_window" not in layer and layer["tokens_held"] is not None
    ]
    if sliding_layers and full_layers and sliding_layers[0] in cores["prefill"]:
        notes.append(
            "Attention-core FLOPs (Q.K^T and A.V) of a sliding/chunked layer vs a full layer: "
            f"prefill {cores['prefill'].get(sliding_layers[0])} vs "
            f"{cores['prefill'].get(full_layers[0])} (eager multiplies the whole "
            f"{PREFILL_TOKENS}x{PREFILL_TOKENS} score matrix and masks it), decode "
            f"{cores['decode'].get(sliding_layers[0])} vs {cores['decode'].get(full_layers[0])} "
            "(the sliding layer attends to its window only)."
        )
    config = model.config
    latent = getattr(config, "kv_lora_rank", None)
    if isinstance(latent, int):
        rope = config.qk_rope_head_dim
        heads = config.num_attention_heads
        expanded = heads * (config.qk_nope_head_dim + rope + config.v_head_dim)
        first = after_prefill[0]
        per_token = first["elements"] // first["tokens_held"]
        shapes = {name: t["shape"] for name, t in first["tensors"].items()}
        holds = (
            "the compressed latent and the shared rotary key" if per_token == latent + rope
            else "the expanded per-head keys and values" if per_token == expanded
            else "neither the latent nor the expanded keys and values"
        )
        notes.append(
            f"MLA: each cached token of a layer takes {per_token} elements ({shapes}), i.e. "
            f"{holds}: kv_lora_rank + qk_rope_head_dim = {latent + rope}, expanded per head "
            f"N * (qk_nope + qk_rope + v) = {expanded}. The cache's 'keys' slot holds the "
            "normalised latent and its 'values' slot the rotated shared key."
        )
        kv_b = [
            flops for name, flops in entry["_decode_raw"].items() if name.endswith(".kv_b_proj")
        ]
        per_head = config.qk_nope_head_dim + config.v_head_dim
        expand = 2 * (PREFILL_TOKENS + 1) * latent * heads * per_head
        notes.append(
            f"MLA decode re-expands every cached token through kv_b_proj: the counter sees "
            f"{sorted(set(kv_b))} FLOPs per layer, 2 * S * kv_lora_rank * N * (qk_nope + v) = "
            f"{expand} at S = {PREFILL_TOKENS + 1} (the weight-absorbed form would not)."
        )
    dtypes = sorted({
        (name.split("[", 1)[0], tensor["dtype"])
        for layer in after_prefill for name, tensor in layer["tensors"].items()
    })
    if len({dtype for _, dtype in dtypes}) > 1:
        notes.append(f"Cache tensors are not all one dtype: {dtypes}.")
    return notes


def hybrid_notes(
    model: torch.nn.Module, entry: dict[str, Any], prefill: dict[str, Any], decode: dict[str, Any]
) -> list[str]:
    """Which path the hybrid mixers ran and what the counter saw of them."""
    if model.config.model_type not in HYBRID_TYPES:
        return []
    notes = [
        "Hybrid: the pure-torch fallback of the mixers ran (no fused kernels: "
        + ", ".join(f"{name} {'present' if found else 'absent'}"
                    for name, found in fused_kernels().items())
        + "); the prefill's chunked algorithm is counted as the profiler sees its matmuls."
    ]
    states = sorted({
        f"{name.split('[', 1)[0]} {tensor['dtype']} {tensor['shape']}"
        for layer in entry["cache_after_prefill"]["layers"]
        for name, tensor in layer["tensors"].items()
        if not name.startswith(("keys", "values"))
    })
    if states:
        notes.append("Recurrent layers hold fixed-size states: " + "; ".join(states) + ".")
    in_bf16 = entry.get("cache_dtypes_when_built_in_bfloat16", {})
    if in_bf16:
        notes.append(
            "Built in bfloat16, the cache holds: "
            + "; ".join(f"{kind} {'/'.join(dtypes)}" for kind, dtypes in in_bf16.items())
            + "."
        )
    by_type = entry["cache_after_prefill"]["by_layer_type"]
    mixers = sorted(name for name in prefill["by_module_class"] if MIXER_CLASS.search(name))
    for mixer in mixers:
        phases = {
            phase: flops["by_module_class_and_op"].get(mixer, {})
            for phase, flops in (("prefill", prefill), ("decode", decode))
        }
        notes.append(
            f"{mixer}: FLOPs counted inside it beyond its Linear projections, by op: prefill "
            f"{phases['prefill']}, decode {phases['decode']}."
        )
        if any("recurrent_states" in sums for sums in by_type.values()):
            notes.append(
                f"{mixer} decode: the recurrent-state update is element-wise (decay times state "
                "plus the new outer product) and the counter sees none of it; what it counts "
                f"there is {phases['decode']} (the short convolution as aten.convolution and, "
                "for Mamba-2 style mixers, the state read-out as aten.bmm)."
            )
        else:
            notes.append(
                f"{mixer} keeps only a convolution window; its decode work counted is "
                f"{phases['decode']}."
            )
    return notes


MIXER_CLASS = re.compile(r"Mamba|Mixer|GatedDeltaNet|ShortConv|Conv(?!1D)")


def fused_kernels() -> dict[str, bool]:
    """Whether the fused kernels hybrid models would use are importable here."""
    import importlib.util

    names = ("mamba_ssm", "causal_conv1d", "fla", "kernels")
    return {name: importlib.util.find_spec(name) is not None for name in names}


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def main() -> None:
    """Measure every model and write the fixture."""
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    transformers.logging.set_verbosity_error()
    started = time.monotonic()
    models: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name, config in load_real_models():
        try:
            models[name] = measure_real(config)
        except Exception as error:  # a model_type transformers cannot build as a causal LM
            skipped[name] = f"{type(error).__name__}: {error}"
        print(f"{name:40s} {time.monotonic() - started:7.1f}s", flush=True)
    for name, config in TINY_CONFIGS.items():
        try:
            models[name] = measure_tiny(config)
        except Exception as error:
            skipped[name] = f"{type(error).__name__}: {error}"
        print(f"{name:40s} {time.monotonic() - started:7.1f}s", flush=True)
    fixture = {
        "about": (
            "Parameter, matmul-FLOP and KV-cache counts of models that transformers builds "
            "(catalog models on the meta device, tiny variants of each family run on the CPU), "
            "an independent ground truth for the package's formulas."
        ),
        "generated_by": "tools/reference_counts.py",
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        },
        "settings": {
            "prefill_tokens": PREFILL_TOKENS,
            "static_cache_len": STATIC_CACHE_LEN,
            "dtype": "float32",
            "attn_implementation": "eager",
            "experts": (
                f"{EXPERTS}: from_config(..., experts_implementation='{EXPERTS}'), the per-expert "
                "loop; batched_mm and grouped_mm are measured beside it under experts_kernel_check"
            ),
            "seed": SEED,
            "tiny_window": WINDOW,
            "flop_counter": "torch.utils.flop_counter.FlopCounterMode: matmul-like aten ops only",
            "fused_kernels_present": fused_kernels(),
        },
        "models": models,
        "skipped": skipped,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(json_safe(fixture), sort_keys=True, indent=1) + "\n")
    print(f"wrote {OUTPUT.relative_to(ROOT)} in {time.monotonic() - started:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
