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

#: Per-layer components, in the order they run.
LAYER_COMPONENTS: tuple[str, ...] = (
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
    "q": "attention", "k": "attention", "v": "attention", "o": "attention",
    "gate": "mlp", "up": "mlp", "down": "mlp", "router": "router",
    "attn_norm": "norms", "mlp_norm": "norms", "final_norm": "norms", "embedding_norm": "norms",
    "embedding": "embedding", "positions": "embedding", "token_types": "embedding",
    "lm_head": "lm_head", "pooler": "pooler",
}


def _linear(n_in: int, n_out: int, bias: bool) -> int:
    return n_in * n_out + (n_out if bias else 0)


def _norm(cfg: TransformerConfig) -> int:
    return cfg.d_model * (2 if cfg.norm == "layer" else 1)  # LayerNorm has weight and bias


def layer_params(cfg: TransformerConfig) -> dict[str, int]:
    """Parameters of one layer, by component (experts summed over all ``E``).

    >>> from ai_workloads.catalog import get_model
    >>> p = layer_params(get_model("llama-2-70b"))
    >>> p["q"], p["k"], p["gate"]
    (67108864, 8388608, 234881024)
    """
    d, e = cfg.d_model, cfg.n_experts
    mlp_out = 2 if cfg.gated_mlp else 1  # gate and up, or up alone
    return {
        "attn_norm": _norm(cfg),
        "q": _linear(d, cfg.q_dim, cfg.qkv_bias),
        "k": _linear(d, cfg.kv_dim, cfg.qkv_bias),
        "v": _linear(d, cfg.kv_dim, cfg.qkv_bias),
        "o": _linear(cfg.q_dim, d, cfg.out_bias),
        "mlp_norm": _norm(cfg),
        "router": d * e if cfg.is_moe else 0,
        "gate": e * _linear(d, cfg.d_ff, cfg.mlp_bias) if mlp_out == 2 else 0,
        "up": e * _linear(d, cfg.d_ff, cfg.mlp_bias),
        "down": e * _linear(cfg.d_ff, d, cfg.mlp_bias),
    }


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
class ParamCounts:
    """Every parameter of a model, accounted for.

    ``per_layer`` holds one layer's components (all experts); ``model`` the components
    outside the layers. ``active`` counts the ``k`` routed experts only.
    """

    config: TransformerConfig
    per_layer: Mapping[str, int]
    model: Mapping[str, int]

    @property
    def layer_total(self) -> int:
        """Parameters of one layer."""
        return sum(self.per_layer.values())

    @property
    def total(self) -> int:
        """All parameters, tied weights once.

        >>> from ai_workloads.catalog import get_model
        >>> param_counts(get_model("gpt2")).total
        124439808
        """
        return self.config.n_layers * self.layer_total + sum(self.model.values())

    @property
    def expert_params(self) -> int:
        """Parameters of the experts (gate, up and down of all ``E``), over all layers.

        This is the one place expert parameters are counted; a dense model (``E = 1``) has
        one expert per layer, its MLP.

        >>> from ai_workloads.catalog import get_model
        >>> param_counts(get_model("mixtral-8x7b")).expert_params   # 32 · 8 · 3 · 4096 · 14336
        45097156608
        """
        return self.config.n_layers * sum(self.per_layer[k] for k in EXPERT_COMPONENTS)

    @property
    def idle_expert_params(self) -> int:
        """Expert parameters one token does not use: the ``E - k`` experts it is not routed to.

        >>> from ai_workloads.catalog import get_model
        >>> c = param_counts(get_model("mixtral-8x7b"))
        >>> c.idle_expert_params == c.expert_params * 6 // 8, param_counts(c.config.replace(
        ...     n_experts=1, experts_per_token=1)).idle_expert_params
        (True, 0)
        """
        cfg = self.config
        per_layer = self.expert_params // cfg.n_layers
        return cfg.n_layers * (per_layer * (cfg.n_experts - cfg.experts_per_token)
                               // cfg.n_experts)

    @property
    def active(self) -> int:
        """Parameters one token uses: all but the unrouted experts.

        >>> from ai_workloads.catalog import get_model
        >>> c = param_counts(get_model("llama-2-7b"))
        >>> c.active == c.total
        True
        """
        return self.total - self.idle_expert_params

    def by_component(self) -> dict[str, int]:
        """Every component summed over layers, in a fixed order.

        >>> from ai_workloads.catalog import get_model
        >>> parts = param_counts(get_model("llama-3.2-1b")).by_component()
        >>> parts["lm_head"], parts["embedding"]
        (0, 262668288)
        """
        layers = self.config.n_layers
        parts = {name: layers * self.per_layer[name] for name in LAYER_COMPONENTS}
        parts.update(self.model)
        return {name: parts[name] for name in (*MODEL_COMPONENTS[:4], *LAYER_COMPONENTS,
                                               *MODEL_COMPONENTS[4:])}

    def by_category(self) -> dict[str, int]:
        """Totals for embedding, attention, MLP, router, norms, LM head and pooler.

        >>> from ai_workloads.catalog import get_model
        >>> cats = param_counts(get_model("llama-2-7b")).by_category()
        >>> cats["attention"], cats["mlp"]
        (2147483648, 4328521728)
        """
        totals: dict[str, int] = {}
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
    return ParamCounts(cfg, MappingProxyType(layer_params(cfg)),
                       MappingProxyType(model_params(cfg)))
