"""Exact parameter counts: total, active (MoE), by component and per layer.

Counts equal a checkpoint's ``sum(p.numel() for p in model.parameters())``: tied
embeddings count once, and buffers (such as GPT-2's causal mask) are not parameters.

>>> from ai_workloads.catalog import get_model
>>> counts = param_counts(get_model("mixtral-8x7b"))
>>> counts.total, counts.active
(46702792704, 12879925248)
>>> counts.per_layer["router"]
32768
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..core.config import TransformerConfig
from ..core.errors import WorkloadError
from ..core.parts import LayerKind
from .layer_parts import layer_linears, layer_vectors

#: Per-layer components, in the order they run. Those of a plain decoder come first; the
#: rest appear only in the models that have them (MLA's ``q_a``/``kv_a``/``kv_b``, q/k norms,
#: attention sinks, shared experts, a recurrent mixer's parts, sandwich norms).
LAYER_COMPONENTS: tuple[str, ...] = (
    "attn_norm", "q_a", "q_a_norm", "q", "kv_a", "kv_a_norm", "kv_b", "k", "v", "q_norm",
    "k_norm", "sinks", "mixer_in", "conv", "mixer_params", "mixer_norm", "mixer_out", "o",
    "attn_out_norm", "mlp_norm", "router", "gate", "up", "down", "shared_router",
    "shared_gate", "shared_up", "shared_down", "mlp_out_norm",
)
#: The components every model lists, even at zero (the plain decoder's).
BASE_LAYER_COMPONENTS: tuple[str, ...] = (
    "attn_norm", "q", "k", "v", "o", "mlp_norm", "router", "gate", "up", "down",
)
#: Components outside the layers.
MODEL_COMPONENTS: tuple[str, ...] = (
    "embedding", "positions", "token_types", "embedding_norm", "final_norm", "lm_head", "pooler",
)
#: The components that make up an expert (the MLP, once per expert in an MoE layer).
EXPERT_COMPONENTS: tuple[str, ...] = ("gate", "up", "down")
#: How components group into the coarse categories used in tables and figures.
CATEGORY: dict[str, str] = {
    **dict.fromkeys(("q", "k", "v", "o", "q_a", "kv_a", "kv_b", "sinks"), "attention"),
    **dict.fromkeys(("gate", "up", "down"), "mlp"),
    **dict.fromkeys(("shared_gate", "shared_up", "shared_down"), "shared_experts"),
    "router": "router", "shared_router": "router",
    **dict.fromkeys(("mixer_in", "conv", "mixer_params", "mixer_norm", "mixer_out"),
                    "recurrent"),
    **dict.fromkeys(("attn_norm", "attn_out_norm", "mlp_norm", "mlp_out_norm", "final_norm",
                     "embedding_norm", "q_a_norm", "kv_a_norm", "q_norm", "k_norm"), "norms"),
    "embedding": "embedding", "positions": "embedding", "token_types": "embedding",
    "lm_head": "lm_head", "pooler": "pooler",
}
#: Categories every model lists, even at zero.
BASE_CATEGORIES: tuple[str, ...] = (
    "embedding", "attention", "norms", "mlp", "router", "lm_head", "pooler",
)


def _norm(cfg: TransformerConfig) -> int:
    return cfg.d_model * (2 if cfg.norm == "layer" and cfg.norm_bias else 1)


def _components(cfg: TransformerConfig, kind: LayerKind) -> dict[str, int]:
    parts = dict.fromkeys(LAYER_COMPONENTS, 0)
    for weight in layer_linears(cfg, kind):
        parts[weight.component] += weight.params
    for name, count in layer_vectors(cfg, kind).items():
        parts[name] += count
    return {name: n for name, n in parts.items() if n or name in BASE_LAYER_COMPONENTS}


def layer_params(cfg: TransformerConfig, kind: LayerKind | None = None) -> dict[str, int]:
    """Parameters of one layer, by component (experts summed over all ``E``).

    ``kind`` picks the kind of layer (one of the config's ``layer_kinds``); it may be left
    out when every layer is alike.

    >>> from ai_workloads.catalog import get_model
    >>> p = layer_params(get_model("llama-2-70b"))
    >>> p["q"], p["k"], p["gate"]
    (67108864, 8388608, 234881024)
    """
    if kind is None:
        if not cfg.uniform:
            labels = ", ".join(k.label for k, _ in cfg.layer_groups)
            raise WorkloadError(
                f"{cfg.name}: its layers differ ({labels}); name the kind of layer")
        kind = cfg.layer_kinds[0]
    return _components(cfg, kind)


def model_params(cfg: TransformerConfig) -> dict[str, int]:
    """Parameters outside the layers, by component (``lm_head`` is 0 when tied).

    >>> from ai_workloads.catalog import get_model
    >>> model_params(get_model("gpt2"))["positions"]
    786432
    """
    d = cfg.d_model
    return {
        "embedding": cfg.vocab_size * d,
        "positions": cfg.max_position * d if cfg.positions == "learned" else 0,
        "token_types": cfg.type_vocab_size * d,
        "embedding_norm": _norm(cfg) if cfg.embedding_norm else 0,
        "final_norm": _norm(cfg) if cfg.final_norm else 0,
        "lm_head": 0 if (cfg.tied_embeddings or cfg.encoder) else cfg.vocab_size * d,
        "pooler": d * d + d if cfg.pooler else 0,
    }


@dataclass(frozen=True, slots=True)
class LayerGroup:
    """The layers of one kind: the kind, how many there are, and one layer's components."""

    kind: LayerKind
    count: int
    components: Mapping[str, int]

    @property
    def params(self) -> int:
        """Parameters of one layer of this kind."""
        return sum(self.components.values())

    @property
    def expert_params(self) -> int:
        """Parameters of one layer's experts (its dense MLP when it has no experts)."""
        return sum(self.components.get(name, 0) for name in EXPERT_COMPONENTS)


@dataclass(frozen=True, slots=True)
class ParamCounts:
    """Every parameter of a model, accounted for.

    ``groups`` holds each kind of layer with its count and one layer's components (all
    experts); ``model`` the components outside the layers. ``active`` counts the ``k``
    routed experts only.
    """

    config: TransformerConfig
    groups: tuple[LayerGroup, ...]
    model: Mapping[str, int]

    @property
    def per_layer(self) -> Mapping[str, int]:
        """One layer's components, when every layer is alike (see ``groups`` otherwise).

        >>> from ai_workloads.catalog import get_model
        >>> param_counts(get_model("mixtral-8x7b")).per_layer["router"]
        32768
        """
        if len(self.groups) != 1:
            labels = ", ".join(g.kind.label for g in self.groups)
            raise WorkloadError(
                f"{self.config.name}: its layers differ ({labels}); see the groups")
        return self.groups[0].components

    @property
    def layer_total(self) -> int:
        """Parameters of one layer (every layer alike)."""
        return sum(self.per_layer.values())

    @property
    def layers_total(self) -> int:
        """Parameters of all layers together."""
        return sum(g.count * g.params for g in self.groups)

    @property
    def total(self) -> int:
        """All parameters, tied weights once.

        >>> from ai_workloads.catalog import get_model
        >>> param_counts(get_model("gpt2")).total
        124439808
        """
        return self.layers_total + sum(self.model.values())

    @property
    def expert_params(self) -> int:
        """Parameters of the experts (gate, up and down of all ``E``), over all layers.

        This is the one place expert parameters are counted; a dense layer has one expert,
        its MLP. Shared experts are not among them (every token uses them).

        >>> from ai_workloads.catalog import get_model
        >>> param_counts(get_model("mixtral-8x7b")).expert_params   # 32 · 8 · 3 · 4096 · 14336
        45097156608
        """
        return sum(g.count * g.expert_params for g in self.groups)

    @property
    def idle_expert_params(self) -> int:
        """Expert parameters one token does not use: the ``E - k`` routed experts of each MoE
        layer it is not routed to.

        >>> from ai_workloads.catalog import get_model
        >>> c = param_counts(get_model("mixtral-8x7b"))
        >>> c.idle_expert_params == c.expert_params * 6 // 8, param_counts(c.config.replace(
        ...     n_experts=1, experts_per_token=1)).idle_expert_params
        (True, 0)
        """
        cfg = self.config
        idle = cfg.n_experts - cfg.experts_per_token
        return sum(g.count * (g.expert_params * idle // cfg.n_experts)
                   for g in self.groups if g.kind.moe)

    @property
    def active(self) -> int:
        """Parameters one token uses: all but the unrouted experts.

        >>> from ai_workloads.catalog import get_model
        >>> c = param_counts(get_model("llama-2-7b"))
        >>> c.active == c.total
        True
        """
        return self.total - self.idle_expert_params

    @property
    def active_without_embedding(self) -> int:
        """Active parameters less the input embedding table (a lookup, not a matmul), as some
        vendors count "active" (gpt-oss).

        >>> from ai_workloads.catalog import get_model
        >>> c = param_counts(get_model("gpt-oss-20b"))
        >>> c.active - c.active_without_embedding == 201088 * 2880   # V · D
        True
        """
        return self.active - self.model["embedding"]

    def by_layer_type(self) -> dict[str, int]:
        """Parameters of all layers of each kind, keyed by the kind's JSON name.

        >>> from ai_workloads.catalog import get_model
        >>> param_counts(get_model("llama-2-7b")).by_layer_type()
        {'full': 6476267520}
        """
        return {g.kind.key: g.count * g.params for g in self.groups}

    def by_component(self) -> dict[str, int]:
        """Every component summed over layers, in a fixed order.

        >>> from ai_workloads.catalog import get_model
        >>> parts = param_counts(get_model("llama-3.2-1b")).by_component()
        >>> parts["lm_head"], parts["embedding"]
        (0, 262668288)
        """
        parts = dict.fromkeys(LAYER_COMPONENTS, 0)
        for group in self.groups:
            for name, count in group.components.items():
                parts[name] += group.count * count
        parts.update(self.model)
        return {name: parts[name] for name in (*MODEL_COMPONENTS[:4], *LAYER_COMPONENTS,
                                               *MODEL_COMPONENTS[4:])
                if parts[name] or name in BASE_LAYER_COMPONENTS or name in MODEL_COMPONENTS}

    def by_category(self) -> dict[str, int]:
        """Totals for embedding, attention, MLP, router, norms, LM head and pooler.

        >>> from ai_workloads.catalog import get_model
        >>> cats = param_counts(get_model("llama-2-7b")).by_category()
        >>> cats["attention"], cats["mlp"]
        (2147483648, 4328521728)
        """
        totals = dict.fromkeys(BASE_CATEGORIES, 0)
        for name, count in self.by_component().items():
            key = CATEGORY[name]
            totals[key] = totals.get(key, 0) + count
        return totals

    @property
    def non_embedding(self) -> int:
        """Parameters outside embeddings, positions and the LM head (Kaplan et al.'s N).

        >>> from ai_workloads.catalog import get_model
        >>> param_counts(get_model("gpt2")).non_embedding
        85056000
        """
        parts = self.by_category()
        return self.total - parts["embedding"] - parts["lm_head"]


def param_counts(cfg: TransformerConfig) -> ParamCounts:
    """Count every parameter of ``cfg``.

    >>> from ai_workloads.catalog import get_model
    >>> param_counts(get_model("llama-3.1-405b")).total
    405853388800
    """
    groups = tuple(LayerGroup(kind, count, MappingProxyType(_components(cfg, kind)))
                   for kind, count in cfg.layer_groups)
    return ParamCounts(cfg, groups, MappingProxyType(model_params(cfg)))
