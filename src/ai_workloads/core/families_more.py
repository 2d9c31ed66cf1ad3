"""More Hugging Face decoder families, each composed from the same parts as those of
:mod:`ai_workloads.core.families` (which merges :data:`MORE_READERS` into its ``READERS``).

Each family here is a Llama-style decoder that differs in a few choices: which projections
carry biases, a LayerNorm instead of RMSNorm, an ungated MLP, per-head q/k norms, norms after
each sub-layer, which layers slide, where the MoE layers are, or Mamba-2 layers in place of
attention. A family whose layers need a part that does not exist is not read here.

>>> from ai_workloads.core.hf_reader import Reader
>>> raw = {"model_type": "starcoder2", "hidden_size": 3072, "num_hidden_layers": 30,
...        "num_attention_heads": 24, "num_key_value_heads": 2, "intermediate_size": 12288,
...        "vocab_size": 49152, "sliding_window": 4096}
>>> fields = MORE_READERS["starcoder2"](Reader(raw, "starcoder2-3b"))
>>> fields["gated_mlp"], fields["norm"], fields["qkv_bias"], fields["layer_types"][0]
(False, 'layer', True, 'sliding')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .hf_reader import Reader, split_heads

Fields = dict[str, Any]
Pattern = Callable[[int], str]


def _windows_if_set(r: Reader, pattern: Pattern) -> Fields:
    """Sliding layers (from ``layer_types``, else ``pattern``), only when ``sliding_window`` is
    set: transformers gives a layer marked sliding no window when the config has none."""
    return base._windows(r, pattern) if r.present("sliding_window") else {}


def _starcoder2(r: Reader) -> Fields:
    bias = r.bool("use_bias", True)  # every projection, the MLP's included
    return {**base._attention(r, qkv_bias=bias, o_bias=bias),
            **base._decoder(r, tie=True, eps_key="norm_epsilon"),
            **base._every_layer_slides(r), "norm": "layer", "gated_mlp": False, "mlp_bias": bias,
            "activation": r.str("hidden_act", default="gelu_pytorch_tanh")}


def _stablelm(r: Reader) -> Fields:
    fields: Fields = {
        **base._attention(r, qkv_bias=r.bool("use_qkv_bias", False), o_bias=False),
        **base._decoder(r, eps_key="layer_norm_eps"), "norm": "layer", "mlp_bias": False,
        # StableLM splits D evenly over the heads whatever a head_dim key says
        "head_dim": split_heads(r.int("hidden_size"), r.int("num_attention_heads"), r.where)}
    if r.bool("qk_layernorm", False):
        raise r.fail("qk_layernorm is true: its per-head LayerNorms have no bias while the "
                     "model's other LayerNorms do, which no config here expresses")
    if r.bool("use_parallel_residual", False):
        fields["norm_layout"] = "parallel"
    return fields


def _smollm3(r: Reader) -> Fields:
    fields = {**base._attention(r), **base._decoder(r, tie=True, eps=1e-6)}
    if not (r.bool("use_sliding_window", False) and r.present("sliding_window")):
        return fields
    layers = r.int("num_hidden_layers")
    interval = r.int("no_rope_layer_interval", default=4)
    uses_rope = r.int_list("no_rope_layers") or [int((i + 1) % interval != 0)
                                                 for i in range(layers)]
    if len(uses_rope) != layers:
        raise r.fail(f"no_rope_layers has {len(uses_rope)} entries but num_hidden_layers is "
                     f"{layers}")
    return {**fields, **base._windows(
        r, lambda i: "full_attention" if uses_rope[i] else "sliding_attention")}


def _exaone4(r: Reader) -> Fields:
    fields: Fields = {**base._attention(r, qkv_bias=False, o_bias=False), **base._decoder(r),
                      "mlp_bias": False, "qk_norm": "head", "norm_layout": "post"}
    if r.present("layer_types"):  # hub files give the list (and a pattern such as "LLLG")
        return {**fields, **_windows_if_set(r, lambda i: "full_attention")}
    return {**fields, **_windows_if_set(r, base._every(r.int("sliding_window_pattern",
                                                              default=4)))}


def _seed_oss(r: Reader) -> Fields:
    return {**base._attention(r, qkv_bias=r.bool("attention_bias", True),
                              o_bias=r.bool("attention_out_bias", False)),
            **base._decoder(r, eps=1e-6)}


def _hunyuan_v1_dense(r: Reader) -> Fields:
    return {**base._llama(r), "mlp_bias": False, "qk_norm": "head"}


def _hunyuan_v1_moe(r: Reader) -> Fields:
    for key in ("num_experts", "moe_topk"):
        if isinstance(r.raw.get(key), list):
            raise r.fail(f"{key} differs by layer; only one value for every layer is read")
    experts = r.int("num_experts", default=1)
    if experts == 1:
        raise r.fail("num_experts is 1: a router, one expert and a shared MLP in every layer "
                     "is not a mixture this reads; give num_experts > 1")
    fields = _hunyuan_v1_dense(r)
    # every layer: the routed experts and a shared MLP, all of intermediate_size
    return {**fields, "n_experts": experts, "experts_per_token": r.int("moe_topk", default=1),
            "shared_d_ff": fields["d_ff"]}


def _ernie4_5(r: Reader) -> Fields:
    bias = r.bool("use_bias", False)
    return {**base._attention(r, qkv_bias=bias, o_bias=bias), **base._decoder(r, tie=True),
            "mlp_bias": bias}


def _ernie4_5_moe(r: Reader) -> Fields:
    if r.bool("use_bias", False):
        raise r.fail("use_bias is true: the LM head and shared experts of an ERNIE 4.5 MoE "
                     "then carry biases, which are not counted here")
    fields = {**_ernie4_5(r), **base._moe(r, "moe_num_experts", "moe_k",
                                          "moe_intermediate_size")}
    if "n_experts" not in fields:
        return fields
    layers = r.int("num_hidden_layers")
    first, step = r.count("moe_layer_start_index", 1), r.int("moe_layer_interval", default=1)
    last = r.raw.get("moe_layer_end_index", -1)
    last = layers - 1 if last in (-1, None) else r.count("moe_layer_end_index")
    fields["moe_layers"] = tuple(i for i in range(layers)
                                 if (i + 1) % step == 0 and first <= i <= last)
    fields["shared_d_ff"] = r.count("moe_num_shared_experts", 2) * fields["d_ff"]
    fields["router_bias"] = True  # the router's score correction, one learned value per expert
    return fields


def _dots1(r: Reader) -> Fields:
    first_window = r.count("max_window_layers", 62)
    fields = {**base._attention(r), **base._decoder(r, eps=1e-6), "mlp_bias": False,
              "qk_norm": "head", **_windows_if_set(
                  r, lambda i: "sliding_attention" if i >= first_window else "full_attention"),
              **base._moe(r, "n_routed_experts", "num_experts_per_tok", "moe_intermediate_size")}
    if "n_experts" in fields:
        fields["moe_layers"] = base._first_dense(r)
        fields["shared_d_ff"] = r.count("n_shared_experts") * fields["d_ff"]
    return fields


def _arcee(r: Reader) -> Fields:
    return {**base._llama(r), "gated_mlp": False,
            "activation": r.str("hidden_act", default="relu2")}


def _glm(r: Reader) -> Fields:
    return {**base._attention(r, qkv_bias=r.bool("attention_bias", True), o_bias=False),
            **base._decoder(r, eps=1.5625e-7), "mlp_bias": False}


def _glm4(r: Reader) -> Fields:
    return {**_glm(r), "norm_layout": "sandwich"}


def _ministral(r: Reader) -> Fields:
    return {**base._attention(r, qkv_bias=False, o_bias=False), **base._decoder(r, eps=1e-6),
            **_windows_if_set(r, lambda i: "sliding_attention")}


def _nemotron(r: Reader) -> Fields:
    return {**base._attention(r), **base._decoder(r, eps_key="norm_eps"), "norm": "layer",
            "gated_mlp": False, "activation": r.str("hidden_act", default="relu2")}


def _bamba(r: Reader) -> Fields:
    attention = set(r.int_list("attn_layer_indices") or [])
    types = base._layer_types(r, lambda i: "full_attention" if i in attention else "mamba",
                              names={"linear_attention": "mamba"})
    fields = {**base._llama(r), "layer_types": types}
    if "mamba" in types:
        fields["mamba"] = base._mamba2(r, fields["d_model"])
    return fields


def _helium(r: Reader) -> Fields:
    fields = {**base._attention(r, o_bias=False), **base._decoder(r, eps=1e-8)}
    if fields["n_heads"] * fields["head_dim"] != fields["d_model"]:  # o_proj is D x D
        raise r.fail("num_attention_heads · head_dim must equal hidden_size in Helium")
    return fields


def _internlm3(r: Reader) -> Fields:  # Llama's model; hub files say qkv_bias and bias
    bias = r.bool("attention_bias", r.bool("qkv_bias", False))
    return {**base._attention(r, qkv_bias=bias, o_bias=bias), **base._decoder(r),
            "mlp_bias": r.bool("mlp_bias", r.bool("bias", False))}


def _jais2(r: Reader) -> Fields:
    bias = r.bool("attention_bias", True)
    return {**base._attention(r, qkv_bias=bias, o_bias=bias),
            **base._decoder(r, eps_key="layer_norm_eps"), "norm": "layer", "gated_mlp": False,
            "mlp_bias": r.bool("mlp_bias", True),
            "activation": r.str("hidden_act", default="relu2")}


def _vaultgemma(r: Reader) -> Fields:  # Gemma 2 without its norms after each sub-layer
    return {**base._gemma(r), **base._windows(r, base._every(2))}


def _minimax_m2(r: Reader) -> Fields:  # no window, whatever the config says
    return {**base._attention(r, qkv_bias=False, o_bias=False), **base._decoder(r, eps=1e-6),
            "qk_norm": "full", "n_experts": r.int("num_local_experts", "num_experts"),
            "experts_per_token": r.int("num_experts_per_tok")}


def _flex_olmo(r: Reader) -> Fields:
    return {**base._olmoe(r), "norm_layout": "post"}


def _exaone_moe(r: Reader) -> Fields:
    fields = {**_exaone4(r), "norm_layout": "pre",
              **base._moe(r, "num_experts", "num_experts_per_tok", "moe_intermediate_size")}
    if "n_experts" not in fields:
        return fields
    kinds = r.list("mlp_layer_types")
    if kinds is None:
        fields["moe_layers"] = base._first_dense(r)
    elif len(kinds) != fields["n_layers"]:
        raise r.fail(f"mlp_layer_types has {len(kinds)} entries but num_hidden_layers is "
                     f"{fields['n_layers']}")
    else:
        fields["moe_layers"] = tuple(i for i, kind in enumerate(kinds) if kind == "sparse")
    fields["shared_d_ff"] = r.count("num_shared_experts", 1) * fields["d_ff"]
    return fields


def _granite_swa(r: Reader) -> Fields:  # a learned sink per head on every layer
    return {**base._granite(r), "tied_embeddings": r.bool("tie_word_embeddings", True),
            "attention_sinks": True, **_windows_if_set(r, base._every(4, offset=0))}


def _granitemoe_swa(r: Reader) -> Fields:
    return {**base._granitemoe(r), "attention_sinks": True,
            **_windows_if_set(r, base._every(4, offset=0))}


#: The families of this module, by ``model_type``.
MORE_READERS: dict[str, Callable[[Reader], Fields]] = {
    "starcoder2": _starcoder2, "stablelm": _stablelm, "smollm3": _smollm3,
    "exaone4": _exaone4, "seed_oss": _seed_oss, "hunyuan_v1_dense": _hunyuan_v1_dense,
    "hunyuan_v1_moe": _hunyuan_v1_moe, "ernie4_5": _ernie4_5, "ernie4_5_moe": _ernie4_5_moe,
    "dots1": _dots1, "arcee": _arcee, "glm": _glm, "glm4": _glm4, "ministral": _ministral,
    "nemotron": _nemotron, "bamba": _bamba, "helium": _helium,
    "internlm3": _internlm3, "iquestcoder": lambda r: base._llama(r),
    "jais2": _jais2, "vaultgemma": _vaultgemma, "minimax_m2": _minimax_m2,
    "flex_olmo": _flex_olmo, "exaone_moe": _exaone_moe, "granite_swa": _granite_swa,
    "granitemoe_swa": _granitemoe_swa,
}

#: transformers' defaults for keys a hub file may leave out, where they differ from the
#: readers' own (a head width that is not ``D / N``, a window every layer has).
MORE_DEFAULTS: dict[str, dict[str, Any]] = {
    "seed_oss": {"head_dim": 128}, "ernie4_5": {"head_dim": 128}, "glm": {"head_dim": 128},
    "glm4": {"head_dim": 128}, "ministral": {"sliding_window": 4096},
    "exaone4": {"sliding_window": 4096}, "dots1": {"sliding_window": 4096},
    "helium": {"head_dim": 128}, "internlm3": {"head_dim": 128}, "iquestcoder": {"head_dim": 128},
    "minimax_m2": {"head_dim": 128},
    "exaone_moe": {"sliding_window": 4096, "first_k_dense_replace": 1},
    "granite_swa": {"sliding_window": 128}, "granitemoe_swa": {"sliding_window": 128},
}

# The shared readers live in ``families``, which imports this module for its table. Imported
# last, so that either module may be imported first.
from . import families as base  # noqa: E402


def families_added() -> tuple[str, ...]:
    """The ``model_type`` values this module adds to the reader, in order.

    >>> families_added()[:2]
    ('starcoder2', 'stablelm')
    """
    return tuple(MORE_READERS)
