"""Hugging Face model families, each read from its ``config.json`` into the parts it uses.

A family is a handful of choices over shared parts (:mod:`ai_workloads.core.parts`): which
biases and norms its attention has, which layers slide or chunk, whether its MLP is a
mixture of experts with shared experts and dense first layers, whether some layers are
recurrent. Each reader below returns the fields of a
:class:`~ai_workloads.core.config.TransformerConfig`; keys a family does not use are ignored.
More families, built from the same parts, are read in :mod:`ai_workloads.core.families_more`.

>>> from ai_workloads.core.hf_reader import Reader
>>> raw = {"model_type": "qwen3", "hidden_size": 4096, "num_hidden_layers": 36,
...        "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
...        "intermediate_size": 12288, "vocab_size": 151936}
>>> fields = READERS["qwen3"](Reader(raw, "qwen3-8b"))
>>> fields["qk_norm"], fields["n_kv_heads"], fields.get("layer_types", ())  # no window
('head', 8, ())
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from .families_more import MORE_DEFAULTS, MORE_READERS
from .hf_reader import Reader, split_heads
from .parts import HF_LAYER_TYPES, DeltaNet, LatentAttention, Mamba2

Fields = dict[str, Any]
FamilyReader = Callable[[Reader], Fields]


# --------------------------------------------------------------------------- shared parts

def _attention(r: Reader, qkv_bias: bool | None = None, o_bias: bool | None = None) -> Fields:
    """Width, heads, head size and projection biases (``attention_bias`` unless overridden)."""
    d = r.int("hidden_size")
    n = r.int("num_attention_heads")
    bias = r.bool("attention_bias", False)
    return {
        "d_model": d, "n_heads": n, "n_kv_heads": r.int("num_key_value_heads", default=n),
        "head_dim": r.int("head_dim") if r.present("head_dim") else split_heads(d, n, r.where),
        "qkv_bias": bias if qkv_bias is None else qkv_bias,
        "out_bias": bias if o_bias is None else o_bias,
    }


def _decoder(r: Reader, tie: bool = False, eps: float = 1e-5,
             eps_key: str = "rms_norm_eps") -> Fields:
    """The keys every Llama-style decoder shares: layers, MLP width, vocab, positions."""
    return {
        "n_layers": r.int("num_hidden_layers"), "d_ff": r.int("intermediate_size"),
        "vocab_size": r.int("vocab_size"),
        "max_position": r.int("max_position_embeddings", default=2048),
        "activation": r.str("hidden_activation", "hidden_act", default="silu"),
        "tied_embeddings": r.bool("tie_word_embeddings", tie),
        "mlp_bias": r.bool("mlp_bias", False),
        "rope_theta": _rope_theta(r), "norm_eps": r.float(eps_key, eps),
    }


def _rope_theta(r: Reader) -> float:
    """``rope_theta``, or where transformers 5 writes it: ``rope_parameters``."""
    params = r.raw.get("rope_parameters")
    if isinstance(params, dict):
        full = params.get("full_attention", params)  # per layer type (Gemma 3)
        if isinstance(full, dict) and isinstance(full.get("rope_theta"), int | float):
            return float(full["rope_theta"])
    return r.float("rope_theta", 10_000.0)


def _layer_types(r: Reader, pattern: Callable[[int], str] | None = None,
                 names: dict[str, str] | None = None) -> tuple[str, ...]:
    """Each layer's mixer: from ``layer_types`` when given, else from ``pattern(i)``.

    Returns ``()`` when every layer is ``full`` (the default of a config).
    """
    layers = r.int("num_hidden_layers")
    names = {**HF_LAYER_TYPES, **(names or {})}
    given = r.list("layer_types")
    if given is not None:
        unknown = [t for t in given if not isinstance(t, str) or t not in names]
        if unknown:
            raise r.fail(f"unknown layer type {unknown[0]!r} in layer_types; known: "
                         f"{', '.join(sorted(names))}")
        if len(given) != layers:
            raise r.fail(f"layer_types has {len(given)} entries but num_hidden_layers is "
                         f"{layers}; give one entry per layer")
        types = tuple(names[t] for t in given)
    elif pattern is not None:
        types = tuple(names[pattern(i)] for i in range(layers))
    else:
        return ()
    return () if set(types) == {"full"} else types


def _every_layer_slides(r: Reader) -> Fields:
    """Mistral, Mixtral, Phi-3, Starcoder2: one window for every layer, when set."""
    if not r.present("sliding_window"):
        return {}
    return {"sliding_window": r.int("sliding_window"),
            "layer_types": _layer_types(r, lambda i: "sliding_attention")}


def _windows(r: Reader, pattern: Callable[[int], str]) -> Fields:
    """Layers that alternate sliding and full attention in a fixed pattern."""
    types = _layer_types(r, pattern)
    fields: Fields = {"layer_types": types}
    if "sliding" in types:
        fields["sliding_window"] = r.int("sliding_window")
    return fields


def _qwen_windows(r: Reader) -> Fields:
    """Qwen 2/3: a window from layer ``max_window_layers`` on, if ``use_sliding_window``."""
    if r.present("layer_types"):
        return _windows(r, lambda i: "full_attention")
    if not (r.bool("use_sliding_window", False) and r.present("sliding_window")):
        return {}
    first = r.count("max_window_layers", 28)
    return _windows(r, lambda i: "sliding_attention" if i >= first else "full_attention")


def _every(step: int, offset: int = 1) -> Callable[[int], str]:
    """A pattern with full attention every ``step``-th layer, sliding otherwise."""
    return lambda i: "sliding_attention" if (i + offset) % step else "full_attention"


def _moe(r: Reader, experts: str, top_k: str, width: str) -> Fields:
    """Routed experts: how many, how many per token, and their width.

    transformers 5 writes ``num_local_experts`` where a hub file may say ``num_experts``;
    either is read.
    """
    keys = [k for k in (experts, "num_local_experts", "num_experts") if r.present(k)]
    n_experts = r.count(keys[0]) if keys else 0
    if n_experts <= 1:
        return {}
    return {"n_experts": n_experts, "experts_per_token": r.int(top_k),
            "d_ff": r.int(width), "dense_d_ff": r.int("intermediate_size")}


def _sparse_step_layers(r: Reader) -> tuple[int, ...]:
    """Qwen MoE: layers ``i`` with ``(i + 1) % decoder_sparse_step == 0``, minus
    ``mlp_only_layers``."""
    step = r.int("decoder_sparse_step", default=1)
    dense: set[int] = set(r.int_list("mlp_only_layers") or [])
    return tuple(i for i in range(r.int("num_hidden_layers"))
                 if i not in dense and (i + 1) % step == 0)


def _first_dense(r: Reader, key: str = "first_k_dense_replace") -> tuple[int, ...]:
    """DeepSeek-style: every layer from ``first_k_dense_replace`` on is an MoE."""
    return tuple(range(r.count(key), r.int("num_hidden_layers")))


# --------------------------------------------------------------------------- families

def _gpt2(r: Reader) -> Fields:
    d, n = r.int("n_embd"), r.int("n_head")
    return {"d_model": d, "n_layers": r.int("n_layer"), "n_heads": n, "n_kv_heads": n,
            "head_dim": split_heads(d, n, r.where), "d_ff": r.int("n_inner", default=4 * d),
            "vocab_size": r.int("vocab_size"), "max_position": r.int("n_positions"),
            "gated_mlp": False, "activation": r.str("activation_function", default="gelu_new"),
            "norm": "layer", "positions": "learned",
            "tied_embeddings": r.bool("tie_word_embeddings", True), "qkv_bias": True,
            "out_bias": True, "mlp_bias": True, "norm_eps": r.float("layer_norm_epsilon", 1e-5)}


def _bert(r: Reader) -> Fields:
    d, n = r.int("hidden_size"), r.int("num_attention_heads")
    return {"d_model": d, "n_layers": r.int("num_hidden_layers"), "n_heads": n,
            "n_kv_heads": n, "head_dim": split_heads(d, n, r.where),
            "d_ff": r.int("intermediate_size"), "vocab_size": r.int("vocab_size"),
            "max_position": r.int("max_position_embeddings"), "gated_mlp": False,
            "activation": r.str("hidden_act", default="gelu"), "norm": "layer",
            "positions": "learned", "tied_embeddings": True, "qkv_bias": True,
            "out_bias": True, "mlp_bias": True, "encoder": True,
            "type_vocab_size": r.int("type_vocab_size", default=2), "pooler": True,
            "embedding_norm": True, "final_norm": False,
            "norm_eps": r.float("layer_norm_eps", 1e-12)}


def _llama(r: Reader) -> Fields:
    return {**_attention(r), **_decoder(r)}


def _mistral(r: Reader) -> Fields:
    return {**_llama(r), **_every_layer_slides(r)}


def _mixtral(r: Reader) -> Fields:
    return {**_mistral(r), "n_experts": r.int("num_local_experts"),
            "experts_per_token": r.int("num_experts_per_tok")}


def _phi3(r: Reader) -> Fields:
    return _mistral(r)


def _qwen2(r: Reader) -> Fields:
    return {**_attention(r, qkv_bias=True, o_bias=False), **_decoder(r), **_qwen_windows(r)}


def _qwen2_moe(r: Reader) -> Fields:
    fields = {**_qwen2(r), **_moe(r, "num_experts", "num_experts_per_tok",
                                   "moe_intermediate_size")}
    if "n_experts" in fields:
        fields["moe_layers"] = _sparse_step_layers(r)
        fields["shared_d_ff"] = r.count("shared_expert_intermediate_size")
        fields["shared_expert_gate"] = fields["shared_d_ff"] > 0
    return fields


def _qwen3(r: Reader) -> Fields:
    return {**_attention(r), **_decoder(r), **_qwen_windows(r), "qk_norm": "head"}


def _qwen3_moe(r: Reader) -> Fields:
    fields = {**_qwen3(r), **_moe(r, "num_experts", "num_experts_per_tok",
                                   "moe_intermediate_size")}
    if "n_experts" in fields:
        fields["moe_layers"] = _sparse_step_layers(r)
    return fields


def _gemma(r: Reader) -> Fields:
    fields = {**_attention(r), **_decoder(r, tie=True, eps=1e-6)}
    fields["embedding_scale"] = math.sqrt(fields["d_model"])
    return fields


def _gemma2(r: Reader) -> Fields:
    return {**_gemma(r), **_windows(r, _every(2)), "norm_layout": "sandwich"}


def _gemma3_text(r: Reader) -> Fields:
    pattern = r.int("sliding_window_pattern", default=6)
    return {**_gemma(r), **_windows(r, _every(pattern)), "norm_layout": "sandwich",
            "qk_norm": "head"}


def _olmo2(r: Reader) -> Fields:
    return {**_llama(r), "qk_norm": "full", "norm_layout": "post"}


def _olmo3(r: Reader) -> Fields:
    return {**_olmo2(r), **_windows(r, _every(4))}


def _olmoe(r: Reader) -> Fields:
    return {**_llama(r), **_moe(r, "num_experts", "num_experts_per_tok", "intermediate_size"),
            "qk_norm": "full", "dense_d_ff": 0}


def _granite(r: Reader) -> Fields:
    return _llama(r)


def _granitemoe(r: Reader) -> Fields:
    fields = {**_llama(r), **_moe(r, "num_local_experts", "num_experts_per_tok",
                                  "intermediate_size"), "dense_d_ff": 0}
    shared = r.count("shared_intermediate_size")
    if shared:
        fields["shared_d_ff"] = shared
    return fields


def _cohere(r: Reader) -> Fields:
    qk = "full" if r.bool("use_qk_norm", False) else "none"
    return {**_attention(r), **_decoder(r, tie=True, eps_key="layer_norm_eps"),
            "norm": "layer", "norm_bias": False, "norm_layout": "parallel", "qk_norm": qk}


def _cohere2(r: Reader) -> Fields:
    pattern = r.int("sliding_window_pattern", default=4)
    return {**_cohere(r), **_windows(r, _every(pattern))}


def _gpt_oss(r: Reader) -> Fields:
    return {**_attention(r, qkv_bias=True, o_bias=True), **_decoder(r), **_windows(r, _every(2)),
            "n_experts": r.int("num_local_experts"),
            "experts_per_token": r.int("num_experts_per_tok", "experts_per_token"),
            "attention_sinks": True, "router_bias": True, "expert_bias": True}


def _llama4_text(r: Reader) -> Fields:
    layers = r.int("num_hidden_layers")
    given = r.int_list("no_rope_layers")
    interval = r.int("no_rope_layer_interval", default=4)
    no_rope = given or [int((i + 1) % interval != 0) for i in range(layers)]
    if len(no_rope) != layers:
        raise r.fail(f"no_rope_layers has {len(no_rope)} entries but num_hidden_layers is "
                     f"{layers}")
    types = _layer_types(r, lambda i: "chunked_attention" if no_rope[i] else "full_attention")
    fields: Fields = {**_llama(r), "layer_types": types}
    if "chunked" in types:
        fields["attention_chunk"] = r.int("attention_chunk_size")
    step = r.int("interleave_moe_layer_step", default=1)
    moe = r.int_list("moe_layers")
    fields.update(n_experts=r.int("num_local_experts"),
                  experts_per_token=r.int("num_experts_per_tok", default=1),
                  moe_layers=tuple(moe if moe is not None else range(step - 1, layers, step)),
                  shared_d_ff=fields["d_ff"],
                  dense_d_ff=r.int("intermediate_size_mlp", default=fields["d_ff"]))
    return fields


def _latent(r: Reader) -> LatentAttention:
    if r.present("kv_lora_rank") and not r.present("qk_rope_head_dim"):
        raise r.fail("kv_lora_rank is given but qk_rope_head_dim is missing; multi-head "
                     "latent attention needs both")
    q_rank = r.count("q_lora_rank")
    if r.present("q_lora_rank") and q_rank == 0:
        raise r.fail("q_lora_rank must be a positive integer or null, got 0")
    return LatentAttention(q_rank=q_rank, kv_rank=r.int("kv_lora_rank"),
                           nope_dim=r.int("qk_nope_head_dim"), rope_dim=r.int("qk_rope_head_dim"),
                           v_dim=r.int("v_head_dim"))


def _deepseek(r: Reader) -> Fields:
    latent = _latent(r)
    n = r.int("num_attention_heads")
    fields: Fields = {
        **_decoder(r), "d_model": r.int("hidden_size"), "n_heads": n,
        "n_kv_heads": r.int("num_key_value_heads", default=n),
        "head_dim": latent.qk_dim,  # the config's own head_dim is the RoPE width
        "qkv_bias": r.bool("attention_bias", False), "out_bias": r.bool("attention_bias", False),
        "latent": latent,
    }
    fields.update(_moe(r, "n_routed_experts", "num_experts_per_tok", "moe_intermediate_size"))
    if "n_experts" in fields:
        fields["moe_layers"] = _first_dense(r)
        fields["shared_d_ff"] = r.count("n_shared_experts") * fields["d_ff"]
        if fields["mlp_bias"] and fields["shared_d_ff"]:
            raise r.fail("mlp_bias is true: DeepSeek-V2's shared experts then carry biases, "
                         "which are not counted here")
    return fields


def _glm4_moe(r: Reader) -> Fields:
    qk = "head" if r.bool("use_qk_norm", False) else "none"
    fields = {**_attention(r, o_bias=False), **_decoder(r), "qk_norm": qk,
              **_moe(r, "n_routed_experts", "num_experts_per_tok", "moe_intermediate_size")}
    if "n_experts" in fields:
        fields["moe_layers"] = _first_dense(r)
        fields["shared_d_ff"] = r.count("n_shared_experts") * fields["d_ff"]
    return fields


def _qwen3_next(r: Reader) -> Fields:
    interval = r.int("full_attention_interval", default=4)
    fields = {**_qwen3_moe(r), "layer_types": _layer_types(r, _every(interval)),
              "attn_output_gate": True}
    fields["layer_types"] = tuple("linear" if t == "sliding" else t for t in fields["layer_types"])
    if "linear" in fields["layer_types"]:
        fields["deltanet"] = DeltaNet(
            key_heads=r.int("linear_num_key_heads"), value_heads=r.int("linear_num_value_heads"),
            key_dim=r.int("linear_key_head_dim"), value_dim=r.int("linear_value_head_dim"),
            conv_kernel=r.int("linear_conv_kernel_dim"))
    if "n_experts" in fields:
        fields["shared_d_ff"] = r.count("shared_expert_intermediate_size")
        fields["shared_expert_gate"] = fields["shared_d_ff"] > 0
    return fields


def _granitemoehybrid(r: Reader) -> Fields:
    types = _layer_types(r, lambda i: "mamba", names={"linear_attention": "mamba"})
    fields = _granitemoe(r)
    if not fields.get("n_experts"):  # a dense hybrid: its MLP is the shared MLP
        fields["d_ff"] = r.int("shared_intermediate_size", "intermediate_size")
        fields.pop("shared_d_ff", None)
    fields["layer_types"] = types
    if r.str("position_embedding_type", default="rope") == "nope":
        fields["positions"] = "none"
    if "mamba" in types:
        fields["mamba"] = _mamba2(r, fields["d_model"])
    return fields


def _mamba2(r: Reader, d_model: int) -> Mamba2:
    """The Mamba-2 block of Granite 4.0-H and Bamba, from their ``mamba_*`` keys."""
    heads = r.int("mamba_n_heads")
    inner = r.int("mamba_expand", default=2) * d_model
    head_dim = (r.int("mamba_d_head") if isinstance(r.raw.get("mamba_d_head"), int)
                else inner // heads)  # "auto"
    if heads * head_dim != inner:
        raise r.fail(f"mamba_n_heads ({heads}) · mamba_d_head ({head_dim}) must equal "
                     f"mamba_expand · hidden_size ({inner})")
    return Mamba2(
        heads=heads, head_dim=head_dim, state_size=r.int("mamba_d_state"),
        groups=r.int("mamba_n_groups", default=1), conv_kernel=r.int("mamba_d_conv"),
        conv_bias=r.bool("mamba_conv_bias", True), proj_bias=r.bool("mamba_proj_bias", False))


#: Every family :func:`~ai_workloads.core.config.from_hf_dict` reads, by ``model_type``.
READERS: dict[str, FamilyReader] = {
    "llama": _llama, "mistral": _mistral, "mixtral": _mixtral, "qwen2": _qwen2,
    "gemma": _gemma, "phi3": _phi3, "gpt2": _gpt2, "bert": _bert,
    "deepseek_v3": _deepseek, "deepseek_v2": _deepseek, "qwen3": _qwen3,
    "qwen3_moe": _qwen3_moe, "qwen2_moe": _qwen2_moe, "gemma2": _gemma2,
    "gemma3_text": _gemma3_text, "gpt_oss": _gpt_oss, "llama4_text": _llama4_text,
    "olmo2": _olmo2, "olmo3": _olmo3, "olmoe": _olmoe, "granite": _granite,
    "granitemoe": _granitemoe, "granitemoeshared": _granitemoe, "cohere": _cohere,
    "cohere2": _cohere2, "glm4_moe": _glm4_moe, "qwen3_next": _qwen3_next,
    "granitemoehybrid": _granitemoehybrid, **MORE_READERS,
}

#: Values a family's hub files leave out because transformers' config class supplies them
#: (Gemma 3's multimodal files give only a handful of text keys). Keys absent from a file
#: take these, as transformers would.
FAMILY_DEFAULTS: dict[str, dict[str, Any]] = {
    "gemma3_text": {"vocab_size": 262_208, "hidden_size": 2304, "intermediate_size": 9216,
                    "num_hidden_layers": 26, "num_attention_heads": 8,
                    "num_key_value_heads": 4, "head_dim": 256,
                    "max_position_embeddings": 131_072, "rms_norm_eps": 1e-6,
                    "sliding_window": 4096, "hidden_activation": "gelu_pytorch_tanh"},
    **MORE_DEFAULTS,
}

#: Multimodal configs whose text model is analyzed: outer ``model_type`` -> the text one.
TEXT_MODELS: dict[str, str] = {"gemma3": "gemma3_text", "llama4": "llama4_text"}


def read_fields(family: str, raw: Mapping[str, Any], where: str) -> Fields:
    """The config fields of ``raw``, a ``config.json`` of ``family``: keys the hub file leaves
    out take the family's defaults (:data:`FAMILY_DEFAULTS`), then its reader reads them.

    >>> read_fields("gemma3_text", {"hidden_size": 2560, "num_hidden_layers": 34},
    ...             "gemma-3-4b")["n_heads"]     # from Gemma 3's defaults
    8
    """
    return READERS[family](Reader({**FAMILY_DEFAULTS.get(family, {}), **raw}, where))
