"""The families of ``families_more``: parameters derived by hand from transformers' modules.

Each ``hand_*`` function below writes one family's parameter count from the modules its
transformers implementation builds (``models/<family>/modeling_<family>.py``): which
projections carry a bias, LayerNorm (weight and bias) or RMSNorm (weight), gated or ungated
MLPs, per-head q/k norms, where the experts and shared experts are. The default configs are
transformers' own (``AutoConfig.for_model(family)``, with the keys it leaves unset filled in),
and ``TRANSFORMERS_TOTAL`` holds ``sum(p.numel() for p in model.parameters())`` of the model
transformers 5 builds from each, which the hand formulas must reproduce before the package
is held to them.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from ai_workloads.analysis.hf_names import module_name
from ai_workloads.analysis.params import param_counts
from ai_workloads.core.config import SUPPORTED_FAMILIES, from_hf_dict
from ai_workloads.core.errors import WorkloadError

Config = dict[str, Any]


# --------------------------------------------------------------------------- hand formulas

def linear(n_in: int, n_out: int, bias: bool = False) -> int:
    """nn.Linear(n_in, n_out): a weight and, with a bias, ``n_out`` more."""
    return n_in * n_out + (n_out if bias else 0)


def shape(c: Config) -> tuple[int, int, int, int, int]:
    """D, N, K, H and L of a config (H = D / N unless head_dim is given)."""
    d, n = c["hidden_size"], c["num_attention_heads"]
    return d, n, c.get("num_key_value_heads") or n, c.get("head_dim") or d // n, \
        c["num_hidden_layers"]


def attention(c: Config, qkv: bool = False, out: bool = False) -> int:
    d, n, k, h, _ = shape(c)
    return linear(d, n * h, qkv) + 2 * linear(d, k * h, qkv) + linear(n * h, d, out)


def swiglu(d: int, f: int, bias: bool = False) -> int:
    """gate_proj, up_proj, down_proj."""
    return 2 * linear(d, f, bias) + linear(f, d, bias)


def ungated(d: int, f: int, bias: bool = False) -> int:
    """up and down (c_fc/c_proj, up_proj/down_proj)."""
    return linear(d, f, bias) + linear(f, d, bias)


def head_and_embedding(c: Config, tied: bool) -> int:
    return c["vocab_size"] * c["hidden_size"] * (1 if tied else 2)


def hand_starcoder2(c: Config) -> int:
    # q/k/v/o and c_fc/c_proj all with use_bias; two nn.LayerNorm per layer, one at the end
    d, b = c["hidden_size"], c["use_bias"]
    layer = attention(c, b, b) + ungated(d, c["intermediate_size"], b) + 2 * 2 * d
    return c["num_hidden_layers"] * layer + 2 * d + head_and_embedding(
        c, c["tie_word_embeddings"])


def hand_stablelm(c: Config) -> int:
    # q/k/v biased by use_qkv_bias, o_proj never; a parallel block drops the second LayerNorm
    d = c["hidden_size"]
    norms = 1 if c["use_parallel_residual"] else 2
    layer = attention(c, c["use_qkv_bias"]) + swiglu(d, c["intermediate_size"]) + norms * 2 * d
    return c["num_hidden_layers"] * layer + 2 * d + head_and_embedding(
        c, c["tie_word_embeddings"])


def hand_llama_like(qkv_key: str | None, out_key: str | None, mlp_key: str | None,
                    qk_norm: str = "none", norms: int = 2, gated: bool = True,
                    layer_norm: bool = False) -> Callable[[Config], int]:
    """Llama's layer with a family's biases (config keys; None: no bias), q/k norms
    (``head``: one H-wide RMSNorm each; ``full``: N·H and K·H) and norms per layer."""
    def hand(c: Config) -> int:
        d, n, k, h, layers = shape(c)
        f, per_norm = c["intermediate_size"], 2 * d if layer_norm else d
        mlp = (swiglu if gated else ungated)(d, f, bool(mlp_key and c[mlp_key]))
        qk = {"none": 0, "head": 2 * h, "full": n * h + k * h}[qk_norm]
        layer = attention(c, bool(qkv_key and c[qkv_key]), bool(out_key and c[out_key])) \
            + mlp + qk + norms * per_norm
        return layers * layer + per_norm + head_and_embedding(c, c["tie_word_embeddings"])
    return hand


def moe_hand(attn: Callable[[Config], int], moe_layers: Callable[[Config], set[int]],
             dense_width: str, expert_width: str, experts: str, shared: Callable[[Config], int],
             correction_bias: bool = False) -> Callable[[Config], int]:
    """``attn(c)``: one layer's attention and norms; MoE layers: a router (E·D, and E more for
    ERNIE's learned score correction), E experts of ``expert_width`` and a shared MLP of
    ``shared(c)``; the other layers a dense MLP of ``dense_width``."""
    def hand(c: Config) -> int:
        d, e = c["hidden_size"], c[experts]
        moe = (d * e + (e if correction_bias else 0) + e * swiglu(d, c[expert_width])
               + (swiglu(d, shared(c)) if shared(c) else 0))
        dense = swiglu(d, c[dense_width])
        sparse = moe_layers(c)
        return sum(attn(c) + (moe if i in sparse else dense) for i in range(
            c["num_hidden_layers"])) + d + head_and_embedding(c, c["tie_word_embeddings"])
    return hand


def every_layer(c: Config) -> set[int]:
    return set(range(c["num_hidden_layers"]))


def from_first_dense(c: Config) -> set[int]:
    return set(range(c["first_k_dense_replace"], c["num_hidden_layers"]))


def ernie_layers(c: Config) -> set[int]:
    return {i for i in range(c["num_hidden_layers"]) if (i + 1) % c["moe_layer_interval"] == 0
            and c["moe_layer_start_index"] <= i <= c["moe_layer_end_index"]}


def hand_bamba(c: Config) -> int:
    # attention layers at attn_layer_indices, Mamba-2 mixers elsewhere; every layer a gated
    # MLP and two RMSNorms. A Mamba-2 mixer: in_proj D -> 2·I + 2·G·S + heads, a depthwise
    # conv over I + 2·G·S channels, A_log, D and dt_bias per head, a gated norm of I, out_proj
    d, layers = c["hidden_size"], c["num_hidden_layers"]
    inner, heads = c["mamba_expand"] * d, c["mamba_n_heads"]
    groups, state, taps = c["mamba_n_groups"], c["mamba_d_state"], c["mamba_d_conv"]
    channels, pb = inner + 2 * groups * state, c["mamba_proj_bias"]
    mamba = (linear(d, inner + channels + heads, pb)
             + channels * taps + (channels if c["mamba_conv_bias"] else 0)
             + 3 * heads + inner + linear(inner, d, pb))
    attn = attention(c, c["attention_bias"], c["attention_bias"])
    per_layer = swiglu(d, c["intermediate_size"], c["mlp_bias"]) + 2 * d
    indices = set(c["attn_layer_indices"] or [])
    return sum(per_layer + (attn if i in indices else mamba) for i in range(layers)) + d + \
        head_and_embedding(c, c["tie_word_embeddings"])


def _attn_norms(qkv: str | None, out: str | None, qk: int, norms: int = 2,
                sinks: bool = False) -> Callable[[Config], int]:
    """One layer's attention (biases by config key), q/k norm weights and RMSNorms."""
    def attn(c: Config) -> int:
        d, n, k, h, _ = shape(c)
        qk_weights = {0: 0, 1: 2 * h, 2: n * h + k * h}[qk]
        return attention(c, bool(qkv and c[qkv]), bool(out and c[out])) + qk_weights + \
            norms * d + (n if sinks else 0)
    return attn


def hand_granite_swa(c: Config) -> int:
    """Granite's layer plus a learned sink per head in every layer."""
    return hand_llama_like("attention_bias", "attention_bias", "mlp_bias")(c) + \
        c["num_hidden_layers"] * c["num_attention_heads"]


HAND: dict[str, Callable[[Config], int]] = {
    "starcoder2": hand_starcoder2, "stablelm": hand_stablelm,
    "smollm3": hand_llama_like("attention_bias", "attention_bias", "mlp_bias"),
    "exaone4": hand_llama_like(None, None, None, qk_norm="head"),
    "seed_oss": hand_llama_like("attention_bias", "attention_out_bias", "mlp_bias"),
    "hunyuan_v1_dense": hand_llama_like("attention_bias", "attention_bias", None,
                                        qk_norm="head"),
    "ernie4_5": hand_llama_like("use_bias", "use_bias", "use_bias"),
    "arcee": hand_llama_like("attention_bias", "attention_bias", "mlp_bias", gated=False),
    "glm": hand_llama_like("attention_bias", None, None),
    "glm4": hand_llama_like("attention_bias", None, None, norms=4),
    "ministral": hand_llama_like(None, None, None),
    "nemotron": hand_llama_like("attention_bias", "attention_bias", "mlp_bias", gated=False,
                                layer_norm=True),
    "helium": hand_llama_like("attention_bias", None, "mlp_bias"),
    "internlm3": hand_llama_like("attention_bias", "attention_bias", "mlp_bias"),
    "iquestcoder": hand_llama_like("attention_bias", "attention_bias", "mlp_bias"),
    "jais2": hand_llama_like("attention_bias", "attention_bias", "mlp_bias", gated=False,
                             layer_norm=True),
    "vaultgemma": hand_llama_like("attention_bias", "attention_bias", None),
    "bamba": hand_bamba,
    "hunyuan_v1_moe": moe_hand(_attn_norms("attention_bias", "attention_bias", qk=1),
                               every_layer, "intermediate_size", "intermediate_size",
                               "num_experts", lambda c: c["intermediate_size"]),
    "ernie4_5_moe": moe_hand(_attn_norms(None, None, qk=0), ernie_layers, "intermediate_size",
                             "moe_intermediate_size", "moe_num_experts",
                             lambda c: c["moe_num_shared_experts"] * c["moe_intermediate_size"],
                             correction_bias=True),
    "dots1": moe_hand(_attn_norms("attention_bias", "attention_bias", qk=1), from_first_dense,
                      "intermediate_size", "moe_intermediate_size", "n_routed_experts",
                      lambda c: c["n_shared_experts"] * c["moe_intermediate_size"]),
    "minimax_m2": moe_hand(_attn_norms(None, None, qk=2), every_layer, "intermediate_size",
                           "intermediate_size", "num_local_experts", lambda c: 0),
    "flex_olmo": moe_hand(_attn_norms("attention_bias", "attention_bias", qk=2), every_layer,
                          "intermediate_size", "intermediate_size", "num_experts",
                          lambda c: 0),
    "exaone_moe": moe_hand(_attn_norms(None, None, qk=1), from_first_dense,
                           "intermediate_size", "moe_intermediate_size", "num_experts",
                           lambda c: c["num_shared_experts"] * c["moe_intermediate_size"]),
    "granite_swa": hand_granite_swa,
    "granitemoe_swa": moe_hand(_attn_norms("attention_bias", "attention_bias", qk=0,
                                           sinks=True),
                               every_layer, "intermediate_size", "intermediate_size",
                               "num_local_experts", lambda c: c["shared_intermediate_size"]),
}



# --------------------------------------------------------------------------- the configs

#: transformers' default config of each family (``AutoConfig.for_model``), the keys that
#: shape it. Where transformers cannot build its own default (no head_dim, a single expert,
#: no shared experts), the value it needs is given.
DEFAULTS: dict[str, Config] = {
    "starcoder2": {"hidden_size": 3072, "intermediate_size": 12288, "num_attention_heads": 24,
                   "num_hidden_layers": 30, "num_key_value_heads": 2, "sliding_window": None,
                   "tie_word_embeddings": True, "use_bias": True, "vocab_size": 49152,
                   "norm_epsilon": 1e-5, "hidden_act": "gelu_pytorch_tanh"},
    "stablelm": {"hidden_size": 2560, "intermediate_size": 6912, "num_attention_heads": 32,
                 "num_hidden_layers": 32, "num_key_value_heads": 32, "qk_layernorm": False,
                 "tie_word_embeddings": False, "use_parallel_residual": False,
                 "use_qkv_bias": False, "vocab_size": 50304},
    "smollm3": {"attention_bias": False, "hidden_size": 2048, "intermediate_size": 11008,
                "mlp_bias": False, "no_rope_layer_interval": 4, "num_attention_heads": 16,
                "num_hidden_layers": 36, "num_key_value_heads": 4, "sliding_window": None,
                "tie_word_embeddings": True, "use_sliding_window": False, "vocab_size": 128256},
    "exaone4": {"hidden_size": 4096, "intermediate_size": 16384, "num_attention_heads": 32,
                "num_hidden_layers": 32, "num_key_value_heads": 32, "sliding_window": 4096,
                "sliding_window_pattern": 4, "tie_word_embeddings": False, "vocab_size": 102400},
    "seed_oss": {"attention_bias": True, "attention_out_bias": False, "head_dim": 128,
                 "hidden_size": 4096, "intermediate_size": 27648, "mlp_bias": False,
                 "num_attention_heads": 80, "num_hidden_layers": 64, "num_key_value_heads": 8,
                 "tie_word_embeddings": False, "vocab_size": 155136},
    "hunyuan_v1_dense": {"attention_bias": False, "head_dim": 128, "hidden_size": 4096,
                         "intermediate_size": 11008, "num_attention_heads": 32,
                         "num_hidden_layers": 32, "num_key_value_heads": 32,
                         "tie_word_embeddings": False, "vocab_size": 290943},
    "hunyuan_v1_moe": {"attention_bias": False, "head_dim": 128, "hidden_size": 4096,
                       "intermediate_size": 11008, "moe_topk": 2, "num_attention_heads": 32,
                       "num_experts": 8, "num_hidden_layers": 32, "num_key_value_heads": 32,
                       "tie_word_embeddings": False, "vocab_size": 290943},
    "ernie4_5": {"head_dim": 128, "hidden_size": 1024, "intermediate_size": 3072,
                 "num_attention_heads": 16, "num_hidden_layers": 18, "num_key_value_heads": 2,
                 "tie_word_embeddings": True, "use_bias": False, "vocab_size": 103424},
    "ernie4_5_moe": {"hidden_size": 2560, "intermediate_size": 12288,
                     "moe_intermediate_size": 1536, "moe_k": 6, "moe_layer_end_index": 27,
                     "moe_layer_interval": 1, "moe_layer_start_index": 1, "moe_num_experts": 64,
                     "moe_num_shared_experts": 2, "num_attention_heads": 20,
                     "num_hidden_layers": 28, "num_key_value_heads": 4,
                     "tie_word_embeddings": True, "use_bias": False, "vocab_size": 103424},
    "dots1": {"attention_bias": False, "first_k_dense_replace": 1, "hidden_size": 4608,
              "intermediate_size": 10944, "max_window_layers": 62,
              "moe_intermediate_size": 1408, "n_routed_experts": 128, "n_shared_experts": 2,
              "num_attention_heads": 32, "num_experts_per_tok": 6, "num_hidden_layers": 62,
              "num_key_value_heads": 32, "sliding_window": 4096, "tie_word_embeddings": False,
              "vocab_size": 152064},
    "arcee": {"attention_bias": False, "head_dim": 80, "hidden_size": 2560,
              "intermediate_size": 18432, "mlp_bias": False, "num_attention_heads": 32,
              "num_hidden_layers": 32, "num_key_value_heads": 32, "tie_word_embeddings": False,
              "vocab_size": 32000, "hidden_act": "relu2"},
    "glm": {"attention_bias": True, "head_dim": 128, "hidden_size": 4096,
            "intermediate_size": 13696, "num_attention_heads": 32, "num_hidden_layers": 40,
            "num_key_value_heads": 2, "tie_word_embeddings": False, "vocab_size": 151552},
    "glm4": {"attention_bias": True, "head_dim": 128, "hidden_size": 4096,
             "intermediate_size": 13696, "num_attention_heads": 32, "num_hidden_layers": 40,
             "num_key_value_heads": 2, "tie_word_embeddings": False, "vocab_size": 151552},
    "ministral": {"head_dim": 128, "hidden_size": 4096, "intermediate_size": 14336,
                  "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
                  "sliding_window": 4096, "tie_word_embeddings": False, "vocab_size": 32000},
    "nemotron": {"attention_bias": False, "head_dim": 128, "hidden_size": 6144,
                 "intermediate_size": 24576, "mlp_bias": False, "num_attention_heads": 48,
                 "num_hidden_layers": 32, "num_key_value_heads": 8,
                 "tie_word_embeddings": False, "vocab_size": 256000, "norm_eps": 1e-5},
    "bamba": {"attention_bias": False, "attn_layer_indices": None, "hidden_size": 4096,
              "intermediate_size": 14336, "mamba_conv_bias": True, "mamba_d_conv": 4,
              "mamba_d_head": 64, "mamba_d_state": 256, "mamba_expand": 2, "mamba_n_groups": 1,
              "mamba_n_heads": 128, "mamba_proj_bias": False, "mlp_bias": False,
              "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
              "tie_word_embeddings": False, "vocab_size": 128000},
    "helium": {"attention_bias": False, "head_dim": 128, "hidden_size": 2560,
               "intermediate_size": 7040, "mlp_bias": False, "num_attention_heads": 20,
               "num_hidden_layers": 24, "num_key_value_heads": 20,
               "tie_word_embeddings": False, "vocab_size": 48000},
    "internlm3": {"attention_bias": False, "head_dim": 128, "hidden_size": 4096,
                  "intermediate_size": 10240, "mlp_bias": False, "num_attention_heads": 32,
                  "num_hidden_layers": 48, "num_key_value_heads": 2,
                  "tie_word_embeddings": False, "vocab_size": 128512},
    "iquestcoder": {"attention_bias": False, "head_dim": 128, "hidden_size": 5120,
                    "intermediate_size": 27648, "mlp_bias": False, "num_attention_heads": 40,
                    "num_hidden_layers": 80, "num_key_value_heads": 8,
                    "tie_word_embeddings": False, "vocab_size": 76800},
    "jais2": {"attention_bias": True, "head_dim": 128, "hidden_size": 3328,
              "intermediate_size": 26624, "mlp_bias": True, "num_attention_heads": 26,
              "num_hidden_layers": 32, "num_key_value_heads": 26, "tie_word_embeddings": False,
              "vocab_size": 150272, "layer_norm_eps": 1e-5},
    "vaultgemma": {"attention_bias": False, "head_dim": 256, "hidden_size": 2304,
                   "intermediate_size": 9216, "num_attention_heads": 8,
                   "num_hidden_layers": 26, "num_key_value_heads": 4, "sliding_window": 4096,
                   "tie_word_embeddings": True, "vocab_size": 256000},
    "minimax_m2": {"head_dim": 128, "hidden_size": 3072, "intermediate_size": 1536,
                   "num_attention_heads": 48, "num_experts_per_tok": 8,
                   "num_hidden_layers": 62, "num_key_value_heads": 8, "num_local_experts": 256,
                   "tie_word_embeddings": False, "vocab_size": 200064},
    "flex_olmo": {"attention_bias": False, "hidden_size": 4096, "intermediate_size": 11008,
                  "num_attention_heads": 32, "num_experts": 7, "num_experts_per_tok": 5,
                  "num_hidden_layers": 32, "num_key_value_heads": 32,
                  "tie_word_embeddings": False, "vocab_size": 100352},
    "exaone_moe": {"first_k_dense_replace": 1, "hidden_size": 4096,
                   "intermediate_size": 16384, "moe_intermediate_size": 1024,
                   "num_attention_heads": 32, "num_experts": 64, "num_experts_per_tok": 8,
                   "num_hidden_layers": 32, "num_key_value_heads": 32, "num_shared_experts": 1,
                   "sliding_window": 4096, "sliding_window_pattern": 4,
                   "tie_word_embeddings": False, "vocab_size": 102400},
    "granite_swa": {"attention_bias": False, "hidden_size": 2560, "intermediate_size": 8192,
                    "mlp_bias": False, "num_attention_heads": 20, "num_hidden_layers": 24,
                    "num_key_value_heads": 4, "sliding_window": 128,
                    "tie_word_embeddings": True, "vocab_size": 100352},
    "granitemoe_swa": {"attention_bias": False, "hidden_size": 4096,
                       "intermediate_size": 11008, "num_attention_heads": 32,
                       "num_experts_per_tok": 2, "num_hidden_layers": 32,
                       "num_key_value_heads": 32, "num_local_experts": 8,
                       "shared_intermediate_size": 0, "sliding_window": 128,
                       "tie_word_embeddings": False, "vocab_size": 32000},
}

#: ``sum(p.numel() for p in model.parameters())`` of the model transformers 5.23 builds (on
#: the meta device) from each default config above.
TRANSFORMERS_TOTAL: dict[str, int] = {
    "starcoder2": 3_030_371_328, "stablelm": 2_795_443_200, "smollm3": 3_075_098_624,
    "exaone4": 9_429_069_824, "seed_oss": 28_921_040_896, "hunyuan_v1_dense": 8_859_684_864,
    "hunyuan_v1_moe": 43_488_907_264, "ernie4_5": 360_748_032,
    "ernie4_5_moe": 21_825_437_888, "dots1": 161_206_276_032, "arcee": 4_022_766_080,
    "glm": 9_399_951_360, "glm4": 9_400_279_040, "ministral": 7_241_732_096,
    "nemotron": 15_628_775_424, "bamba": 9_992_765_440, "helium": 2_172_643_840,
    "internlm3": 8_804_241_408, "iquestcoder": 39_794_283_520, "jais2": 8_090_401_280,
    "vaultgemma": 2_614_222_080, "minimax_m2": 228_689_748_992,
    "flex_olmo": 33_270_665_216, "exaone_moe": 28_550_639_616,
    "granite_swa": 2_144_463_840, "granitemoe_swa": 37_039_117_312,
}

#: A tiny shape every variant below starts from: D 64, N 4, K 2, F 96, L 6, V 300.
TINY: Config = {"hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 6,
                "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 300}


def tiny(family: str, **changes: Any) -> tuple[str, Config]:
    return family, {**DEFAULTS[family], **TINY, **changes}


#: Variants that flip the switches each family reads: biases, tying, head widths, windows,
#: MoE layer patterns, shared experts, Mamba-2 shapes.
VARIANTS: dict[str, tuple[str, Config]] = {
    "starcoder2-no-bias-window": tiny("starcoder2", use_bias=False, sliding_window=32,
                                      tie_word_embeddings=False),
    "starcoder2-bias": tiny("starcoder2"),
    "stablelm-qkv-bias-parallel": tiny("stablelm", use_qkv_bias=True,
                                       use_parallel_residual=True, tie_word_embeddings=True),
    "smollm3-biases-untied": tiny("smollm3", attention_bias=True, mlp_bias=True,
                                  tie_word_embeddings=False),
    "exaone4-head-dim": tiny("exaone4", head_dim=24, tie_word_embeddings=True),
    "seed_oss-all-biases": tiny("seed_oss", head_dim=24, attention_out_bias=True,
                                mlp_bias=True),
    "seed_oss-no-bias": tiny("seed_oss", head_dim=16, attention_bias=False),
    "hunyuan_v1_dense-bias": tiny("hunyuan_v1_dense", head_dim=16, attention_bias=True),
    "hunyuan_v1_moe-tied": tiny("hunyuan_v1_moe", head_dim=16, num_experts=6, moe_topk=1,
                                attention_bias=True, tie_word_embeddings=True),
    "ernie4_5-bias": tiny("ernie4_5", head_dim=16, use_bias=True),
    "ernie4_5_moe-every-2nd": tiny("ernie4_5_moe", moe_num_experts=8, moe_k=2,
                                   moe_intermediate_size=32, moe_layer_interval=2,
                                   moe_layer_start_index=0, moe_layer_end_index=4,
                                   moe_num_shared_experts=0),
    "ernie4_5_moe-untied": tiny("ernie4_5_moe", moe_num_experts=4, moe_k=1,
                                moe_intermediate_size=48, moe_layer_end_index=5,
                                moe_num_shared_experts=1, tie_word_embeddings=False),
    "dots1-window-bias": tiny("dots1", n_routed_experts=8, n_shared_experts=2,
                              num_experts_per_tok=2, first_k_dense_replace=0,
                              sliding_window=16, max_window_layers=3, attention_bias=True,
                              head_dim=24),
    "arcee-bias": tiny("arcee", head_dim=None, attention_bias=True, mlp_bias=True),
    "glm-no-bias-tied": tiny("glm", head_dim=24, attention_bias=False,
                             tie_word_embeddings=True),
    "glm4-tiny": tiny("glm4", head_dim=16),
    "ministral-mixed": tiny("ministral", head_dim=16, tie_word_embeddings=True,
                            layer_types=["sliding_attention", "full_attention"] * 3),
    "nemotron-bias": tiny("nemotron", head_dim=24, attention_bias=True, mlp_bias=True,
                          tie_word_embeddings=True),
    "bamba-two-attention": tiny("bamba", mamba_n_heads=8, mamba_d_head=16, mamba_d_state=16,
                                attn_layer_indices=[2, 5]),
    "bamba-biases-groups": tiny("bamba", mamba_n_heads=8, mamba_d_head=16, mamba_d_state=16,
                                mamba_n_groups=2, attn_layer_indices=[0],
                                attention_bias=True, mlp_bias=True, mamba_proj_bias=True,
                                mamba_conv_bias=False),
    "helium-bias": tiny("helium", head_dim=16, attention_bias=True, mlp_bias=True),
    "internlm3-bias": tiny("internlm3", head_dim=24, attention_bias=True, mlp_bias=True),
    "jais2-no-bias-tied": tiny("jais2", head_dim=None, attention_bias=False, mlp_bias=False,
                               tie_word_embeddings=True),
    "vaultgemma-untied": tiny("vaultgemma", head_dim=24, sliding_window=8,
                              tie_word_embeddings=False),
    "minimax_m2-tiny": tiny("minimax_m2", head_dim=16, num_local_experts=6,
                            num_experts_per_tok=2),
    "flex_olmo-bias-tied": tiny("flex_olmo", num_experts=5, num_experts_per_tok=2,
                                attention_bias=True, tie_word_embeddings=True),
    "exaone_moe-first-two-dense": tiny("exaone_moe", num_experts=8, num_experts_per_tok=2,
                                       moe_intermediate_size=32, first_k_dense_replace=2,
                                       num_shared_experts=2),
    "granite_swa-bias-untied": tiny("granite_swa", attention_bias=True, mlp_bias=True,
                                    tie_word_embeddings=False),
    "granitemoe_swa-shared": tiny("granitemoe_swa", num_local_experts=4,
                                  num_experts_per_tok=2, shared_intermediate_size=48),
}


def read(family: str, config: Config) -> Any:
    return from_hf_dict({"model_type": family, **config}, name=family)


# --------------------------------------------------------------------------- parameters

def test_every_family_here_is_supported_and_has_a_hand_formula() -> None:
    assert set(DEFAULTS) == set(HAND) == set(TRANSFORMERS_TOTAL)
    assert set(DEFAULTS) <= set(SUPPORTED_FAMILIES)


@pytest.mark.parametrize("family", sorted(DEFAULTS))
def test_the_hand_formula_gives_what_transformers_builds(family: str) -> None:
    assert HAND[family](DEFAULTS[family]) == TRANSFORMERS_TOTAL[family]


@pytest.mark.parametrize("family", sorted(DEFAULTS))
def test_default_config_params_equal_the_hand_formula(family: str) -> None:
    assert param_counts(read(family, DEFAULTS[family])).total == HAND[family](DEFAULTS[family])


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_params_equal_the_hand_formula(variant: str) -> None:
    family, config = VARIANTS[variant]
    assert param_counts(read(family, config)).total == HAND[family](config)


def test_a_tiny_starcoder2_counted_term_by_term() -> None:
    # D 64, F 96, L 6, V 300, N 4 heads of 16, K 2: every projection biased, LayerNorms
    # with biases, the embedding tied
    family, config = VARIANTS["starcoder2-bias"]
    attn = (64 * 64 + 64) + 2 * (64 * 32 + 32) + (64 * 64 + 64)
    mlp = (64 * 96 + 96) + (96 * 64 + 64)
    assert param_counts(read(family, config)).total == \
        6 * (attn + mlp + 2 * 128) + 128 + 300 * 64


def test_active_parameters_use_k_of_the_routed_experts() -> None:
    # ERNIE 4.5's default: 27 MoE layers of 64 experts of 1536, 6 routed per token
    counts = param_counts(read("ernie4_5_moe", DEFAULTS["ernie4_5_moe"]))
    idle = 27 * (64 - 6) * 3 * 2560 * 1536
    assert counts.total - counts.active == idle


# --------------------------------------------------------------------------- layer plans

def kinds(family: str, config: Config) -> list[str]:
    return [k.label for k in read(family, config).layer_kinds]


def test_smollm3_slides_on_its_no_rope_layers_only_when_asked() -> None:
    base = {**DEFAULTS["smollm3"], **TINY, "sliding_window": 16}
    assert set(kinds("smollm3", base)) == {"full"}  # use_sliding_window is false
    plan = kinds("smollm3", {**base, "use_sliding_window": True})
    assert plan == ["full", "full", "full", "sliding", "full", "full"]  # every 4th has no RoPE
    assert read("smollm3", {**base, "use_sliding_window": True}).sliding_window == 16


def test_exaone4_makes_every_fourth_layer_full_and_reads_a_given_list() -> None:
    config = {**DEFAULTS["exaone4"], **TINY}
    assert kinds("exaone4", config) == ["sliding"] * 3 + ["full"] + ["sliding"] * 2
    assert read("exaone4", config).sliding_window == 4096
    given = {**config, "sliding_window_pattern": "LLLG",
             "layer_types": ["full_attention"] * 5 + ["sliding_attention"]}
    assert kinds("exaone4", given) == ["full"] * 5 + ["sliding"]
    assert set(kinds("exaone4", {**config, "sliding_window": None})) == {"full"}


def test_moe_layers_follow_each_familys_rule() -> None:
    ernie = {**DEFAULTS["ernie4_5_moe"], **TINY, "moe_layer_interval": 2,
             "moe_layer_start_index": 0, "moe_layer_end_index": -1}
    assert read("ernie4_5_moe", ernie).moe_layers == (1, 3, 5)  # (i + 1) % 2 == 0
    assert read("ernie4_5_moe", {**ernie, "moe_layer_start_index": 2,
                                 "moe_layer_end_index": 3}).moe_layers == (3,)
    dots = {**DEFAULTS["dots1"], **TINY, "first_k_dense_replace": 2}
    assert read("dots1", dots).moe_layers == (2, 3, 4, 5)
    exaone = {**DEFAULTS["exaone_moe"], **TINY,
              "mlp_layer_types": ["dense", "sparse", "sparse", "dense", "sparse", "sparse"]}
    assert read("exaone_moe", exaone).moe_layers == (1, 2, 4, 5)
    assert read("exaone_moe", {**DEFAULTS["exaone_moe"], **TINY}).moe_layers == (1, 2, 3, 4, 5)


def test_windows_of_dots1_ministral_and_granite_swa() -> None:
    dots = {**DEFAULTS["dots1"], **TINY, "max_window_layers": 4}
    assert [k.mixer for k in read("dots1", dots).layer_kinds] == ["full"] * 4 + ["sliding"] * 2
    assert set(kinds("ministral", {**DEFAULTS["ministral"], **TINY})) == {"sliding"}
    assert set(kinds("ministral", {**DEFAULTS["ministral"], **TINY,
                                   "sliding_window": None})) == {"full"}
    swa = read("granite_swa", {**DEFAULTS["granite_swa"], **TINY})
    assert [k.mixer for k in swa.layer_kinds] == ["full"] + ["sliding"] * 3 + ["full", "sliding"]
    assert swa.sliding_window == 128
    assert swa.attention_sinks


def test_bamba_puts_attention_at_its_indices_and_mamba_elsewhere() -> None:
    cfg = read("bamba", {**DEFAULTS["bamba"], **TINY, "mamba_n_heads": 8, "mamba_d_head": "auto",
                         "mamba_d_state": 16, "attn_layer_indices": [1, 4]})
    assert [k.mixer for k in cfg.layer_kinds] == ["mamba", "full", "mamba", "mamba", "full",
                                                   "mamba"]
    assert cfg.mamba is not None
    assert cfg.mamba.head_dim == 2 * 64 // 8  # "auto": expand · D / heads


# --------------------------------------------------------------------------- defaults

def test_keys_a_hub_file_leaves_out_take_transformers_defaults() -> None:
    bare = {"hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
            "num_attention_heads": 4, "vocab_size": 300}
    seed = read("seed_oss", bare)
    assert (seed.head_dim, seed.qkv_bias, seed.out_bias) == (128, True, False)
    star = read("starcoder2", bare)
    assert (star.qkv_bias, star.out_bias, star.mlp_bias, star.tied_embeddings) == \
        (True, True, True, True)
    assert (star.norm, star.gated_mlp, star.layer_types) == ("layer", False, ())
    ernie = read("ernie4_5", bare)
    assert (ernie.head_dim, ernie.tied_embeddings) == (128, True)
    for family in ("glm", "glm4", "internlm3", "iquestcoder", "minimax_m2"):
        assert read(family, {**bare, "num_local_experts": 4, "num_experts_per_tok": 2}
                    ).head_dim == 128, family
    assert read("helium", {**bare, "hidden_size": 512}).head_dim == 128  # N·H = D there
    with pytest.raises(WorkloadError, match="must equal hidden_size"):
        read("helium", bare)  # 4 heads of 128 but D = 64: its D x D o_proj cannot run
    assert (read("glm", bare).qkv_bias, read("glm", bare).out_bias) == (True, False)
    ministral = read("ministral", bare)
    assert (ministral.sliding_window, ministral.layer_types) == (4096, ("sliding", "sliding"))
    jais = read("jais2", bare)
    assert (jais.qkv_bias, jais.mlp_bias, jais.norm, jais.activation) == \
        (True, True, "layer", "relu2")
    assert (read("arcee", bare).activation, read("arcee", bare).gated_mlp) == ("relu2", False)
    swa = read("granite_swa", bare)
    assert (swa.tied_embeddings, swa.sliding_window) == (True, 128)
    exaone = read("exaone_moe", {**bare, "num_hidden_layers": 4, "num_experts": 4,
                                 "num_experts_per_tok": 2, "moe_intermediate_size": 32})
    assert (exaone.moe_layers, exaone.shared_d_ff) == ((1, 2, 3), 32)


def test_internlm3_reads_its_hub_names_for_the_biases() -> None:
    config = {**DEFAULTS["internlm3"], **TINY, "head_dim": 16}
    del config["attention_bias"], config["mlp_bias"]
    cfg = read("internlm3", {**config, "qkv_bias": True, "bias": True})
    assert (cfg.qkv_bias, cfg.out_bias, cfg.mlp_bias) == (True, True, True)


# --------------------------------------------------------------------------- refusals

@pytest.mark.parametrize(("family", "changes", "message"), [
    ("stablelm", {"qk_layernorm": True}, "qk_layernorm is true"),
    ("ernie4_5_moe", {"use_bias": True}, "use_bias is true"),
    ("hunyuan_v1_moe", {"num_experts": 1}, "num_experts is 1"),
    ("hunyuan_v1_moe", {"moe_topk": [2] * 6}, "moe_topk differs by layer"),
])
def test_what_no_part_expresses_is_refused_in_one_line(family: str, changes: Config,
                                                       message: str) -> None:
    with pytest.raises(WorkloadError, match=message) as err:
        from_hf_dict({"model_type": family, **DEFAULTS[family], **TINY, **changes},
                     where="m/config.json")
    assert str(err.value).startswith("m/config.json: ")
    assert "\n" not in str(err.value)


def test_deepseek_v2_shared_experts_with_biases_are_refused() -> None:
    raw = {"model_type": "deepseek_v2", **TINY, "num_key_value_heads": 4, "kv_lora_rank": 16,
           "q_lora_rank": None, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8,
           "n_routed_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 32,
           "n_shared_experts": 2, "first_k_dense_replace": 1}
    assert from_hf_dict(raw).shared_d_ff == 64
    with pytest.raises(WorkloadError, match="mlp_bias is true"):
        from_hf_dict({**raw, "mlp_bias": True})


# --------------------------------------------------------------------------- names

@pytest.mark.parametrize(("family", "component", "expected"), [
    ("starcoder2", "up", "model.layers.0.mlp.c_fc"),
    ("starcoder2", "down", "model.layers.0.mlp.c_proj"),
    ("hunyuan_v1_dense", "q_norm", "model.layers.0.self_attn.query_layernorm"),
    ("hunyuan_v1_moe", "router", "model.layers.0.mlp.gate.wg"),
    ("hunyuan_v1_moe", "shared_up", "model.layers.0.mlp.shared_mlp.up_proj"),
    ("glm", "gate", "model.layers.0.mlp.gate_up_proj"),
    ("glm4", "attn_out_norm", "model.layers.0.post_self_attn_layernorm"),
    ("glm4", "mlp_norm", "model.layers.0.post_attention_layernorm"),
    ("glm4", "mlp_out_norm", "model.layers.0.post_mlp_layernorm"),
    ("exaone4", "mlp_out_norm", "model.layers.0.post_feedforward_layernorm"),
    ("bamba", "mixer_in", "model.layers.0.mamba.in_proj"),
    ("bamba", "gate", "model.layers.0.feed_forward.gate_proj"),
    ("bamba", "mlp_norm", "model.layers.0.pre_ff_layernorm"),
    ("vaultgemma", "mlp_norm", "model.layers.0.pre_feedforward_layernorm"),
    ("dots1", "shared_down", "model.layers.0.mlp.shared_experts.down_proj"),
    ("granitemoe_swa", "router", "model.layers.0.block_sparse_moe.router.layer"),
])
def test_checkpoint_module_names(family: str, component: str, expected: str) -> None:
    mamba = {"mamba_n_heads": 8, "mamba_d_head": 16, "mamba_d_state": 16}  # fits D = 64
    config = {**DEFAULTS[family], **TINY, **(mamba if family == "bamba" else {})}
    assert module_name(read(family, config), component, layer=0) == expected


def test_expert_names() -> None:
    minimax = read("minimax_m2", {**DEFAULTS["minimax_m2"], **TINY, "head_dim": 16})
    assert module_name(minimax, "gate", layer=1, expert=3) == \
        "model.layers.1.block_sparse_moe.experts.3.w1"
    assert module_name(read("bamba", DEFAULTS["bamba"]), "final_norm") == "model.final_layernorm"


def test_either_module_can_be_imported_first() -> None:
    for first in ("families_more", "families"):
        code = (f"import ai_workloads.core.{first}; "
                "from ai_workloads.core.families import READERS; "
                "assert 'starcoder2' in READERS and 'llama' in READERS")
        subprocess.run([sys.executable, "-c", code], check=True)
