"""Weight shapes of a transformer, the SwiGLU size rule, and where the parameters sit.

Every weight is listed with its symbolic shape (in the Notation page's letters) and its
numeric shape for a given config. Matrices are written the way the math uses them,
``y = x·W`` with ``W`` of shape ``[inputs, outputs]``; PyTorch's ``nn.Linear`` stores the
transpose, ``[outputs, inputs]``, with the same number of parameters. The weights of one
layer add up, component by component, to :func:`ai_workloads.analysis.params.layer_params`.

>>> from ai_workloads.catalog import get_model
>>> w = layer_weights(get_model("llama-2-70b"))
>>> [(x.name, x.symbolic, x.shape) for x in w if x.name in ("W_Q", "W_K")]
[('W_Q', '[D, N·H]', (8192, 8192)), ('W_K', '[D, K·H]', (8192, 1024))]
>>> swiglu_hidden_size(4096)
11008
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..catalog import get_model
from ..core.config import TransformerConfig
from ..core.errors import WorkloadError, positive_int
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
    if cfg.norm == "layer":
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
    return "post" if cfg.family in POST_NORM_FAMILIES else "pre"


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


# --------------------------------------------------------------------------- SwiGLU sizing

@dataclass(frozen=True, slots=True)
class SwigluSizing:
    """The steps of Llama's rule for the SwiGLU hidden size ``F``.

    ``two_thirds`` is ``int(2·4D/3)`` (the 8D/3 that keeps 3 matrices at the parameter
    budget of a classic 4D MLP), ``scaled`` applies the optional ``ffn_dim_multiplier``,
    and ``d_ff`` rounds up to a multiple of ``multiple_of``.

    >>> s = swiglu_sizing(8192, multiple_of=4096, ffn_dim_multiplier=1.3)
    >>> s.two_thirds, s.scaled, s.d_ff
    (21845, 28398, 28672)
    """

    d_model: int
    multiple_of: int
    ffn_dim_multiplier: float | None
    two_thirds: int
    scaled: int
    d_ff: int

    @property
    def multiples(self) -> int:
        """``d_ff`` in units of ``multiple_of``."""
        return self.d_ff // self.multiple_of

    @property
    def exact_two_thirds(self) -> float:
        """``8D/3`` before truncation (for display).

        >>> round(swiglu_sizing(4096).exact_two_thirds, 2)
        10922.67
        """
        return 8 * self.d_model / 3

    @property
    def exact_multiples(self) -> float:
        """``scaled / multiple_of`` before rounding up (for display).

        >>> round(swiglu_sizing(4096).exact_multiples, 2)
        42.66
        """
        return self.scaled / self.multiple_of


def swiglu_sizing(d_model: int, multiple_of: int = 256,
                  ffn_dim_multiplier: float | None = None) -> SwigluSizing:
    """Llama's SwiGLU hidden size, step by step, as Meta's reference code computes it.

    ``F = multiple_of · ceil(m · int(8D/3) / multiple_of)`` with ``m`` the optional
    multiplier (the product truncated to an integer, as the reference code does).

    >>> s = swiglu_sizing(4096)
    >>> s.two_thirds, s.multiples, s.d_ff
    (10922, 43, 11008)
    >>> swiglu_sizing(4096, ffn_dim_multiplier=0)
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: ffn_dim_multiplier must be a positive number, got 0
    """
    positive_int("d_model", d_model)
    positive_int("multiple_of", multiple_of)
    if ffn_dim_multiplier is not None and (
            isinstance(ffn_dim_multiplier, bool)
            or not isinstance(ffn_dim_multiplier, int | float) or ffn_dim_multiplier <= 0):
        raise WorkloadError(
            f"ffn_dim_multiplier must be a positive number, got {ffn_dim_multiplier!r}")
    two_thirds = 8 * d_model // 3  # int(2 * (4 * D) / 3), exactly
    scaled = two_thirds if ffn_dim_multiplier is None else int(ffn_dim_multiplier * two_thirds)
    d_ff = multiple_of * -(-scaled // multiple_of)  # round up to a multiple
    return SwigluSizing(d_model, multiple_of, ffn_dim_multiplier, two_thirds, scaled, d_ff)


def swiglu_hidden_size(d_model: int, multiple_of: int = 256,
                       ffn_dim_multiplier: float | None = None) -> int:
    """Llama's SwiGLU hidden size ``F`` for model width ``D`` (see :func:`swiglu_sizing`).

    >>> swiglu_hidden_size(5120), swiglu_hidden_size(16384, 4096, 1.2)
    (13824, 53248)
    """
    return swiglu_sizing(d_model, multiple_of, ffn_dim_multiplier).d_ff


#: Meta's ``multiple_of`` and ``ffn_dim_multiplier`` of the catalog's Llama checkpoints,
#: as published in each checkpoint's ``params.json`` (collected in meta-llama/llama-models,
#: ``models/sku_list.py``: https://github.com/meta-llama/llama-models).
LLAMA_FFN_ARGS: dict[str, tuple[int, float | None]] = {
    "llama-2-7b": (256, None),
    "llama-2-13b": (256, None),
    "llama-2-70b": (4096, 1.3),
    "llama-3-8b": (1024, 1.3),
    "llama-3-70b": (4096, 1.3),
    "llama-3.1-405b": (4096, 1.2),
    "llama-3.2-1b": (256, 1.5),
}
#: Where :data:`LLAMA_FFN_ARGS` come from.
LLAMA_FFN_ARGS_SOURCE = (
    "https://github.com/meta-llama/llama-models/blob/main/models/sku_list.py")


@dataclass(frozen=True, slots=True)
class FfnRuleCheck:
    """Llama's size rule applied to a catalog model, beside the catalog's ``d_ff``."""

    model: str
    sizing: SwigluSizing
    catalog_d_ff: int

    @property
    def matches(self) -> bool:
        """True when the rule gives the checkpoint's ``d_ff``."""
        return self.sizing.d_ff == self.catalog_d_ff


def llama_ffn_checks() -> list[FfnRuleCheck]:
    """The SwiGLU size rule checked against every Llama model of the catalog.

    >>> [(c.model, c.sizing.d_ff, c.matches) for c in llama_ffn_checks()][:3]
    [('llama-2-7b', 11008, True), ('llama-2-13b', 13824, True), ('llama-2-70b', 28672, True)]
    """
    checks = []
    for name, (multiple_of, multiplier) in LLAMA_FFN_ARGS.items():
        cfg = get_model(name)
        checks.append(FfnRuleCheck(name, swiglu_sizing(cfg.d_model, multiple_of, multiplier),
                                   cfg.d_ff))
    return checks


def classic_mlp_params(d_model: int, expansion: int = 4) -> int:
    """Weights of a classic ungated MLP with ``F = expansion·D``: ``2·expansion·D²``.

    >>> classic_mlp_params(4096)   # 2 · 4096 · 16384
    134217728
    """
    positive_int("d_model", d_model)
    positive_int("expansion", expansion)
    return 2 * expansion * d_model * d_model


def ffn_param_ratio(cfg: TransformerConfig, expansion: int = 4) -> float:
    """One layer's MLP parameters over those of a classic ungated MLP with ``F = 4D``.

    A classic MLP has two ``D × expansion·D`` matrices (biases ignored on both sides);
    a SwiGLU MLP with ``F = 8D/3`` has three ``D × F`` matrices and the same count.

    >>> from ai_workloads.catalog import get_model
    >>> round(ffn_param_ratio(get_model("llama-2-7b")), 4)   # 3·11008 / (2·16384)
    1.0078
    """
    matrices = 3 if cfg.gated_mlp else 2
    mlp = matrices * cfg.n_experts * cfg.d_model * cfg.d_ff
    return mlp / classic_mlp_params(cfg.d_model, expansion)


# --------------------------------------------------------------------------- shares

#: Coarse groups of the parameter breakdown, built from
#: :data:`ai_workloads.analysis.params.CATEGORY`.
SHARE_GROUPS: dict[str, tuple[str, ...]] = {
    "attention": ("attention",),
    "mlp": ("mlp", "router"),
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
    layers = cfg.n_layers * counts.layer_total
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
    return {c: cats.get(c, 0) / counts.total for c in CATEGORY_ORDER}


def layer_mlp_share(cfg: TransformerConfig) -> float:
    """The MLP's share of one layer's parameters (router included, all experts).

    With ``K = N``, ``N·H = D`` and ``F = 8D/3`` it is ``8D² / (4D² + 8D²) = 2/3``.

    >>> from ai_workloads.catalog import get_model
    >>> round(layer_mlp_share(get_model("llama-2-7b")), 4)   # 135266304 / 202383360
    0.6684
    """
    per_layer = param_counts(cfg).per_layer
    mlp = sum(per_layer[c] for c in ("router", "gate", "up", "down"))
    return mlp / sum(per_layer.values())
