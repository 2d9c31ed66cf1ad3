"""The module names a Hugging Face checkpoint gives each component, family by family.

A quantized checkpoint's ``modules_to_not_convert`` (or compressed-tensors' ``ignore``) names
modules, so counting its bytes needs the names. Most decoders follow Llama's layout
(``model.layers.{i}.self_attn.q_proj``, ``...mlp.down_proj``); the tables below hold where a
family differs. ``{i}`` is a layer, ``{e}`` an expert.

>>> from ai_workloads.catalog import get_model
>>> module_name(get_model("mixtral-8x7b"), "down", layer=3, expert=7)
'model.layers.3.block_sparse_moe.experts.7.w2'
>>> module_name(get_model("deepseek-v3"), "kv_b", layer=0)
'model.layers.0.self_attn.kv_b_proj'
"""

from __future__ import annotations

from ..core.config import TransformerConfig

_LAYER = "model.layers.{i}."
_ATTN = _LAYER + "self_attn."

#: The Llama layout, which most families share.
BASE_NAMES: dict[str, str] = {
    "attn_norm": _LAYER + "input_layernorm", "mlp_norm": _LAYER + "post_attention_layernorm",
    "q": _ATTN + "q_proj", "k": _ATTN + "k_proj", "v": _ATTN + "v_proj", "o": _ATTN + "o_proj",
    "q_norm": _ATTN + "q_norm", "k_norm": _ATTN + "k_norm", "sinks": _ATTN + "sinks",
    "q_a": _ATTN + "q_a_proj", "q_a_norm": _ATTN + "q_a_layernorm",
    "kv_a": _ATTN + "kv_a_proj_with_mqa", "kv_a_norm": _ATTN + "kv_a_layernorm",
    "kv_b": _ATTN + "kv_b_proj",
    "gate": _LAYER + "mlp.gate_proj", "up": _LAYER + "mlp.up_proj",
    "down": _LAYER + "mlp.down_proj", "router": _LAYER + "mlp.gate",
    "expert.gate": _LAYER + "mlp.experts.{e}.gate_proj",
    "expert.up": _LAYER + "mlp.experts.{e}.up_proj",
    "expert.down": _LAYER + "mlp.experts.{e}.down_proj",
    "shared_gate": _LAYER + "mlp.shared_experts.gate_proj",
    "shared_up": _LAYER + "mlp.shared_experts.up_proj",
    "shared_down": _LAYER + "mlp.shared_experts.down_proj",
    "shared_router": _LAYER + "mlp.shared_expert_gate",
    "embedding": "model.embed_tokens", "final_norm": "model.norm", "lm_head": "lm_head",
}

_QWEN_SHARED = {f"shared_{p}": _LAYER + f"mlp.shared_expert.{p}_proj"
                for p in ("gate", "up", "down")}
_LLAMA4 = {
    **{p: _LAYER + f"feed_forward.{p}_proj" for p in ("gate", "up", "down")},
    **{f"expert.{p}": _LAYER + f"feed_forward.experts.{{e}}.{p}_proj"
       for p in ("gate", "up", "down")},
    **{f"shared_{p}": _LAYER + f"feed_forward.shared_expert.{p}_proj"
       for p in ("gate", "up", "down")},
    "router": _LAYER + "feed_forward.router",
}

#: Where a family's names differ from :data:`BASE_NAMES`.
FAMILY_NAMES: dict[str, dict[str, str]] = {
    "mixtral": {"router": _LAYER + "block_sparse_moe.gate",
                "expert.gate": _LAYER + "block_sparse_moe.experts.{e}.w1",
                "expert.up": _LAYER + "block_sparse_moe.experts.{e}.w3",
                "expert.down": _LAYER + "block_sparse_moe.experts.{e}.w2"},
    "qwen2_moe": _QWEN_SHARED, "qwen3_next": {
        **_QWEN_SHARED, "mixer_in": _LAYER + "linear_attn.in_proj_qkvz",
        "mixer_in.1": _LAYER + "linear_attn.in_proj_ba", "conv": _LAYER + "linear_attn.conv1d",
        "mixer_params": _LAYER + "linear_attn.A_log", "mixer_norm": _LAYER + "linear_attn.norm",
        "mixer_out": _LAYER + "linear_attn.out_proj"},
    "gpt_oss": {"router": _LAYER + "mlp.router"},
    "llama4_text": _LLAMA4,
    "granitemoehybrid": {
        "mixer_in": _LAYER + "mamba.in_proj", "conv": _LAYER + "mamba.conv1d",
        "mixer_params": _LAYER + "mamba.A_log", "mixer_norm": _LAYER + "mamba.norm",
        "mixer_out": _LAYER + "mamba.out_proj", "router": _LAYER + "block_sparse_moe.router.layer",
        **{f"expert.{p}": _LAYER + f"block_sparse_moe.experts.{{e}}.{p}"
           for p in ("gate", "up", "down")},
        **{f"shared_{p}": _LAYER + f"shared_mlp.{p}" for p in ("gate", "up", "down")}},
}

_HUNYUAN = {"q_norm": _ATTN + "query_layernorm", "k_norm": _ATTN + "key_layernorm"}
_GLM = {"gate": _LAYER + "mlp.gate_up_proj", "up": _LAYER + "mlp.gate_up_proj"}  # one tensor

FAMILY_NAMES.update({
    "starcoder2": {"up": _LAYER + "mlp.c_fc", "down": _LAYER + "mlp.c_proj"},
    "hunyuan_v1_dense": _HUNYUAN,
    "hunyuan_v1_moe": {**_HUNYUAN, "router": _LAYER + "mlp.gate.wg",
                       **{f"shared_{p}": _LAYER + f"mlp.shared_mlp.{p}_proj"
                          for p in ("gate", "up", "down")}},
    "glm": _GLM,
    "glm4": {**_GLM, "attn_out_norm": _LAYER + "post_self_attn_layernorm",
             "mlp_norm": _LAYER + "post_attention_layernorm",
             "mlp_out_norm": _LAYER + "post_mlp_layernorm"},
    "bamba": {**{k: v for k, v in FAMILY_NAMES["granitemoehybrid"].items()
                 if k.startswith(("mixer", "conv"))},
              **{p: _LAYER + f"feed_forward.{p}_proj" for p in ("gate", "up", "down")},
              "mlp_norm": _LAYER + "pre_ff_layernorm", "final_norm": "model.final_layernorm"},
    "vaultgemma": {"mlp_norm": _LAYER + "pre_feedforward_layernorm"},
    "minimax_m2": FAMILY_NAMES["mixtral"],
    # every expert's gate and up in one stored tensor, their down in another
    "granitemoe_swa": {"router": _LAYER + "block_sparse_moe.router.layer",
                       "expert.gate": _LAYER + "block_sparse_moe.input_linear",
                       "expert.up": _LAYER + "block_sparse_moe.input_linear",
                       "expert.down": _LAYER + "block_sparse_moe.output_linear",
                       "shared_gate": _LAYER + "shared_mlp.input_linear",
                       "shared_up": _LAYER + "shared_mlp.input_linear",
                       "shared_down": _LAYER + "shared_mlp.output_linear"},
})

#: Norm names by layout, where they differ from the pre-norm Llama layout.
LAYOUT_NAMES: dict[str, dict[str, str]] = {
    "sandwich": {"attn_out_norm": _LAYER + "post_attention_layernorm",
                 "mlp_norm": _LAYER + "pre_feedforward_layernorm",
                 "mlp_out_norm": _LAYER + "post_feedforward_layernorm"},
    "post": {"attn_out_norm": _LAYER + "post_attention_layernorm",
             "mlp_out_norm": _LAYER + "post_feedforward_layernorm"},
}

#: Families whose tensors keep plain names (``layers.0.q``): their layouts differ too much.
PLAIN_FAMILIES: tuple[str, ...] = ("gpt2", "bert")


def module_name(cfg: TransformerConfig, component: str, layer: int | None = None,
                expert: int | None = None, index: int = 0) -> str:
    """The checkpoint module of ``component`` (of ``layer``, ``expert``; the ``index``-th
    matrix when a component has several).

    >>> from ai_workloads.catalog import get_model
    >>> module_name(get_model("gpt2"), "q", layer=0)
    'layers.0.q'
    >>> module_name(get_model("gemma-2-9b"), "mlp_norm", layer=1)
    'model.layers.1.pre_feedforward_layernorm'
    """
    if cfg.family in PLAIN_FAMILIES:
        where = "" if layer is None else f"layers.{layer}."
        return f"{where}{component}" + ("" if expert is None else f".experts.{expert}")
    names = {**BASE_NAMES, **LAYOUT_NAMES.get(cfg.norm_layout, {}),
             **FAMILY_NAMES.get(cfg.family, {})}
    if cfg.latent is not None and cfg.latent.q_rank:
        names["q"] = _ATTN + "q_b_proj"
    key = f"expert.{component}" if expert is not None else component
    key = f"{key}.{index}" if index else key
    template = names.get(key) or f"{_LAYER}{key}"
    return template.format(i=layer, e=expert)
