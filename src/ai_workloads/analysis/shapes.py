"""Weight shapes of a transformer, the kind of its block, and where the parameters sit.

Every weight is listed with its symbolic shape (in the Notation page's letters) and its
numeric shape for a given config. Matrices are written the way the math uses them,
``y = x·W`` with ``W`` of shape ``[inputs, outputs]``; PyTorch's ``nn.Linear`` stores the
transpose, ``[outputs, inputs]``, with the same number of parameters. The weights of one
layer add up, component by component, to :func:`ai_workloads.analysis.params.layer_params`.

>>> from ai_workloads.catalog import get_model
>>> w = layer_weights(get_model("llama-2-70b"))
>>> [(x.name, x.symbolic, x.shape) for x in w if x.name in ("W_Q", "W_K")]
[('W_Q', '[D, N·H]', (8192, 8192)), ('W_K', '[D, K·H]', (8192, 1024))]
>>> round(group_shares(get_model("llama-2-7b"))["mlp"], 3)
0.642
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..core.config import TransformerConfig
from ..core.errors import WorkloadError
from .params import CATEGORY, param_counts

#: Families whose blocks normalize after the residual addition (post-norm).
POST_NORM_FAMILIES: tuple[str, ...] = ("bert",)


# --------------------------------------------------------------------------- dimensions

def dimension_sizes(cfg: TransformerConfig) -> dict[str, int]:
    """The size of every symbol that appears in a weight shape.

    >>> from ai_workloads.catalog import get_model
    >>> sizes = dimension_sizes(get_model("llama-2-70b"))
    >>> sizes["N·H"], sizes["K·H"], sizes["F"]
    (8192, 1024, 28672)
    """
    return {
        "D": cfg.d_model,
        "N·H": cfg.q_dim,
        "K·H": cfg.kv_dim,
        "F": cfg.d_ff,
        "E": cfg.n_experts,
        "V": cfg.vocab_size,
        "P": cfg.max_position,
        "types": cfg.type_vocab_size,
    }


@dataclass(frozen=True, slots=True)
class Weight:
    """One weight tensor: its name, the component it belongs to, and its shape.

    ``component`` is a key of :func:`ai_workloads.analysis.params.layer_params` (or of
    :func:`ai_workloads.analysis.params.model_params` for weights outside the layers).

    >>> w = Weight("W_gate", "gate", ("D", "F"), (4096, 11008))
    >>> w.symbolic, w.numeric, w.params
    ('[D, F]', '[4,096, 11,008]', 45088768)
    """

    name: str
    component: str
    dims: tuple[str, ...]
    shape: tuple[int, ...]

    @property
    def symbolic(self) -> str:
        """The shape in symbols, e.g. ``'[D, K·H]'``."""
        return "[" + ", ".join(self.dims) + "]"

    @property
    def numeric(self) -> str:
        """The shape in numbers, thousands grouped, e.g. ``'[8,192, 1,024]'``."""
        return "[" + ", ".join(f"{n:,}" for n in self.shape) + "]"

    @property
    def params(self) -> int:
        """Number of parameters: the product of the shape."""
        return math.prod(self.shape)


def _weight(sizes: dict[str, int], name: str, component: str, *dims: str) -> Weight:
    return Weight(name, component, dims, tuple(sizes[d] for d in dims))


def _norm_weights(cfg: TransformerConfig, sizes: dict[str, int], where: str,
                  component: str) -> list[Weight]:
    out = [_weight(sizes, f"γ_{where}", component, "D")]
    if cfg.norm == "layer" and cfg.norm_bias:
        out.append(_weight(sizes, f"β_{where}", component, "D"))
    return out


def _linear(sizes: dict[str, int], name: str, component: str, dims: tuple[str, str],
            bias: bool, experts: bool = False) -> list[Weight]:
    lead = ("E",) if experts else ()
    out = [_weight(sizes, f"W_{name}", component, *lead, *dims)]
    if bias:
        out.append(_weight(sizes, f"b_{name}", component, *lead, dims[1]))
    return out


def layer_weights(cfg: TransformerConfig) -> list[Weight]:
    """Every weight of one layer, in the order the layer uses them.

    MoE expert weights carry a leading ``E`` (all experts of the layer). Biases and the
    norms' scale ``γ`` (and shift ``β`` for LayerNorm) are listed as tensors of their own.

    >>> from ai_workloads.catalog import get_model
    >>> [(w.name, w.symbolic) for w in layer_weights(get_model("mixtral-8x7b"))][6:]
    [('W_router', '[D, E]'), ('W_gate', '[E, D, F]'), ('W_up', '[E, D, F]'),
     ('W_down', '[E, F, D]')]
    """
    if not cfg.plain_layers:
        raise WorkloadError(
            f"{cfg.name}: its layers are not a plain decoder's; their weights are listed by "
            "ai_workloads.analysis.layer_parts")
    s = dimension_sizes(cfg)
    moe = cfg.is_moe
    out = _norm_weights(cfg, s, "attn", "attn_norm")
    out += _linear(s, "Q", "q", ("D", "N·H"), cfg.qkv_bias)
    out += _linear(s, "K", "k", ("D", "K·H"), cfg.qkv_bias)
    out += _linear(s, "V", "v", ("D", "K·H"), cfg.qkv_bias)
    out += _linear(s, "O", "o", ("N·H", "D"), cfg.out_bias)
    out += _norm_weights(cfg, s, "mlp", "mlp_norm")
    if moe:
        out.append(_weight(s, "W_router", "router", "D", "E"))
    if cfg.gated_mlp:
        out += _linear(s, "gate", "gate", ("D", "F"), cfg.mlp_bias, moe)
    out += _linear(s, "up", "up", ("D", "F"), cfg.mlp_bias, moe)
    out += _linear(s, "down", "down", ("F", "D"), cfg.mlp_bias, moe)
    return out


def model_weights(cfg: TransformerConfig) -> list[Weight]:
    """The weights outside the layers: embeddings, their norm, final norm, head, pooler.

    A tied LM head reuses the embedding matrix and is not listed (it is not a parameter
    of its own).

    >>> from ai_workloads.catalog import get_model
    >>> [(w.name, w.shape) for w in model_weights(get_model("llama-2-7b"))]
    [('W_emb', (32000, 4096)), ('γ_final', (4096,)), ('W_lm', (4096, 32000))]
    """
    s = dimension_sizes(cfg)
    out = [_weight(s, "W_emb", "embedding", "V", "D")]
    if cfg.positions == "learned":
        out.append(_weight(s, "W_pos", "positions", "P", "D"))
    if cfg.type_vocab_size:
        out.append(_weight(s, "W_type", "token_types", "types", "D"))
    if cfg.embedding_norm:
        out += _norm_weights(cfg, s, "emb", "embedding_norm")
    if cfg.final_norm:
        out += _norm_weights(cfg, s, "final", "final_norm")
    if not (cfg.tied_embeddings or cfg.encoder):
        out.append(_weight(s, "W_lm", "lm_head", "D", "V"))
    if cfg.pooler:
        out += _linear(s, "pool", "pooler", ("D", "D"), bias=True)
    return out


def params_by_component(weights: list[Weight]) -> dict[str, int]:
    """Sum the parameters of ``weights`` by component (first appearance order).

    >>> from ai_workloads.catalog import get_model
    >>> params_by_component(layer_weights(get_model("gpt2")))["q"]   # 768·768 + 768
    590592
    """
    totals: dict[str, int] = {}
    for w in weights:
        totals[w.component] = totals.get(w.component, 0) + w.params
    return totals


def norm_placement(cfg: TransformerConfig) -> str:
    """``"post"`` when the block normalizes after the residual add (BERT), else ``"pre"``.

    >>> from ai_workloads.catalog import get_model
    >>> norm_placement(get_model("bert-base")), norm_placement(get_model("gpt2"))
    ('post', 'pre')
    """
    if cfg.family in POST_NORM_FAMILIES:
        return "post"
    return {"pre": "pre", "sandwich": "pre and post", "post": "post (in branch)",
            "parallel": "pre (parallel)"}[cfg.norm_layout]


def mlp_kind(cfg: TransformerConfig) -> str:
    """The MLP's kind: ``"SwiGLU"`` or ``"GeGLU"`` (gated), ``"GELU"`` (classic), MoE noted.

    >>> from ai_workloads.catalog import get_model
    >>> mlp_kind(get_model("gpt2")), mlp_kind(get_model("gemma-2b"))
    ('GELU', 'GeGLU')
    >>> mlp_kind(get_model("mixtral-8x7b"))
    'SwiGLU MoE (8 experts, 2 per token)'
    """
    act = "GELU" if cfg.activation.startswith("gelu") else cfg.activation.upper()
    gated = {"SILU": "SwiGLU", "GELU": "GeGLU"}.get(act, f"gated {act}")
    kind = gated if cfg.gated_mlp else act
    if cfg.is_moe:
        kind += f" MoE ({cfg.n_experts} experts, {cfg.experts_per_token} per token)"
    return kind


def ffn_expansion(cfg: TransformerConfig) -> float:
    """The MLP's expansion ratio ``F / D`` (per expert for MoE).

    >>> from ai_workloads.catalog import get_model
    >>> ffn_expansion(get_model("gpt2")), round(ffn_expansion(get_model("llama-2-7b")), 4)
    (4.0, 2.6875)
    """
    return cfg.d_ff / cfg.d_model


# --------------------------------------------------------------------------- shares

#: Coarse groups of the parameter breakdown, built from
#: :data:`ai_workloads.analysis.params.CATEGORY`.
SHARE_GROUPS: dict[str, tuple[str, ...]] = {
    "attention": ("attention", "recurrent"),
    "mlp": ("mlp", "router", "shared_experts"),
    "embeddings": ("embedding", "lm_head"),
    "other": ("norms", "pooler"),
}


def _grouped(components: Mapping[str, int]) -> dict[str, int]:
    group_of = {cat: group for group, cats in SHARE_GROUPS.items() for cat in cats}
    totals = dict.fromkeys(SHARE_GROUPS, 0)
    for component, count in components.items():
        totals[group_of[CATEGORY[component]]] += count
    return totals


def group_counts(cfg: TransformerConfig) -> dict[str, int]:
    """Parameters of the whole model in the groups of :data:`SHARE_GROUPS`.

    The MLP group includes a MoE router; "embeddings" includes an untied LM head (and
    learned position and token-type tables); "other" holds norms and BERT's pooler.

    >>> from ai_workloads.catalog import get_model
    >>> group_counts(get_model("llama-2-7b"))["embeddings"]   # 2 · 32000 · 4096
    262144000
    """
    return _grouped(param_counts(cfg).by_component())


def layer_group_counts(cfg: TransformerConfig) -> dict[str, int]:
    """Parameters of one layer in the groups of :data:`SHARE_GROUPS`.

    >>> from ai_workloads.catalog import get_model
    >>> layer_group_counts(get_model("llama-2-7b"))   # 4·4096², 3·4096·11008, 2·4096
    {'attention': 67108864, 'mlp': 135266304, 'embeddings': 0, 'other': 8192}
    """
    return _grouped(param_counts(cfg).per_layer)


def stack_totals(cfg: TransformerConfig) -> dict[str, int]:
    """One layer, all ``L`` layers, everything outside the layers, and the total.

    >>> from ai_workloads.catalog import get_model
    >>> t = stack_totals(get_model("llama-2-7b"))
    >>> t["layer"], t["layers"], t["outside"], t["total"]
    (202383360, 6476267520, 262148096, 6738415616)
    """
    counts = param_counts(cfg)
    layers = counts.layers_total
    return {"layer": counts.layer_total, "layers": layers,
            "outside": counts.total - layers, "total": counts.total}


def group_shares(cfg: TransformerConfig) -> dict[str, float]:
    """Each group's share of all parameters (they sum to 1).

    >>> from ai_workloads.catalog import get_model
    >>> shares = group_shares(get_model("gpt2"))
    >>> round(shares["embeddings"], 3), round(sum(shares.values()), 12)
    (0.316, 1.0)
    """
    counts = group_counts(cfg)
    total = sum(counts.values())
    return {group: n / total for group, n in counts.items()}


#: The order categories are shown in by :func:`category_shares`.
CATEGORY_ORDER: tuple[str, ...] = (
    "attention", "mlp", "router", "embedding", "lm_head", "norms", "pooler",
)


def category_shares(cfg: TransformerConfig) -> dict[str, float]:
    """Each category's share of all parameters (of :data:`ai_workloads.analysis.params.CATEGORY`).

    >>> from ai_workloads.catalog import get_model
    >>> shares = category_shares(get_model("llama-2-7b"))
    >>> list(shares)[:3], round(shares["lm_head"], 4)   # 131072000 / 6738415616
    (['attention', 'mlp', 'router'], 0.0195)
    """
    counts = param_counts(cfg)
    cats = counts.by_category()
    order = [*CATEGORY_ORDER, *(c for c in cats if c not in CATEGORY_ORDER)]
    return {c: cats.get(c, 0) / counts.total for c in order}


def layer_mlp_share(cfg: TransformerConfig) -> float:
    """The MLP's share of one layer's parameters (router and shared experts included, all
    experts); where layers differ, of all layers together.

    With ``K = N``, ``N·H = D`` and ``F = 8D/3`` it is ``8D² / (4D² + 8D²) = 2/3``.

    >>> from ai_workloads.catalog import get_model
    >>> round(layer_mlp_share(get_model("llama-2-7b")), 4)   # 135266304 / 202383360
    0.6684
    """
    counts = param_counts(cfg)
    mlp_parts = ("router", "gate", "up", "down", "shared_router", "shared_gate", "shared_up",
                 "shared_down")
    mlp = sum(g.count * g.components.get(c, 0) for g in counts.groups for c in mlp_parts)
    return mlp / counts.layers_total
