"""One layer of each kind, taken apart: its linear maps, its other weights, its cache.

Every count of parameters (:mod:`~ai_workloads.analysis.params`), matmul FLOPs
(:mod:`~ai_workloads.analysis.flops`) and cached bytes (:mod:`~ai_workloads.analysis.memory`)
is assembled from the three functions here, one layer kind at a time
(:attr:`~ai_workloads.core.config.TransformerConfig.layer_groups`).

- :func:`layer_linears`: the matmuls' weights, ``[n_in, n_out]``, with their bias and, for
  routed experts, how many copies are stored and how many a token uses.
- :func:`layer_vectors`: weights that are not matmuls (norms, attention sinks, a recurrent
  layer's convolution taps and decay rates), by component.
- :func:`cached_values`: what a layer keeps per sequence between decode steps: keys and
  values for ``S`` tokens (capped at a window), MLA's latent, or a recurrent state.

>>> from ai_workloads.catalog import get_model
>>> cfg = get_model("llama-2-7b")
>>> kind = cfg.layer_kinds[0]
>>> [(w.component, w.n_in, w.n_out) for w in layer_linears(cfg, kind)][:2]
[('q', 4096, 4096), ('k', 4096, 4096)]
>>> cached_values(cfg, kind, context=4096)    # K and V of 4,096 tokens, 32 heads of 128
33554432
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.config import TransformerConfig
from ..core.parts import LayerKind


@dataclass(frozen=True, slots=True)
class Linear:
    """A weight matrix ``[n_in, n_out]`` (and bias) of one layer.

    ``copies`` matrices of this shape are stored (the ``E`` routed experts); a token
    passes through ``used`` of them (``k``; 1 for everything else). ``over_keys`` marks MLA's
    ``kv_b`` projection, which transformers applies to every cached latent at every step.
    """

    component: str
    n_in: int
    n_out: int
    bias: bool = False
    copies: int = 1
    used: int = 1
    over_keys: bool = False

    @property
    def params(self) -> int:
        """Stored weights and biases of all copies."""
        return self.copies * (self.n_in * self.n_out + (self.n_out if self.bias else 0))


def _norm(cfg: TransformerConfig, width: int | None = None) -> int:
    per = 2 if cfg.norm == "layer" and cfg.norm_bias else 1  # LayerNorm: weight and bias
    return per * (cfg.d_model if width is None else width)


def attention_linears(cfg: TransformerConfig) -> list[Linear]:
    """q, k, v and o of a standard (GQA/MQA/MHA) attention layer, or MLA's projections.

    >>> from ai_workloads.catalog import get_model
    >>> [w.component for w in attention_linears(get_model("llama-2-7b"))]
    ['q', 'k', 'v', 'o']
    """
    d, n = cfg.d_model, cfg.n_heads
    mla = cfg.latent
    if mla is None:
        q_out = cfg.q_dim * (2 if cfg.attn_output_gate else 1)  # Qwen3-Next: q and a gate
        return [Linear("q", d, q_out, cfg.qkv_bias), Linear("k", d, cfg.kv_dim, cfg.qkv_bias),
                Linear("v", d, cfg.kv_dim, cfg.qkv_bias), Linear("o", cfg.q_dim, d, cfg.out_bias)]
    q = ([Linear("q_a", d, mla.q_rank, cfg.qkv_bias), Linear("q", mla.q_rank, n * mla.qk_dim)]
         if mla.q_rank else [Linear("q", d, n * mla.qk_dim)])
    return [*q, Linear("kv_a", d, mla.cached_per_token, cfg.qkv_bias),
            Linear("kv_b", mla.kv_rank, n * (mla.nope_dim + mla.v_dim), over_keys=True),
            Linear("o", n * mla.v_dim, d, cfg.out_bias)]


def _recurrent_linears(cfg: TransformerConfig, mixer: str) -> list[Linear]:
    d = cfg.d_model
    if mixer == "linear" and cfg.deltanet is not None:
        net = cfg.deltanet
        return [Linear("mixer_in", d, 2 * net.key_width + 2 * net.value_width),  # q, k, v, z
                Linear("mixer_in", d, 2 * net.value_heads),  # the gates b and a, per head
                Linear("mixer_out", net.value_width, d)]
    if mixer == "mamba" and cfg.mamba is not None:
        block = cfg.mamba
        return [Linear("mixer_in", d, block.in_proj_width, block.proj_bias),
                Linear("mixer_out", block.inner, d, block.proj_bias)]
    raise AssertionError(f"{cfg.name}: no shape for {mixer} layers")  # check_layers prevents it


def mlp_linears(cfg: TransformerConfig, moe: bool) -> list[Linear]:
    """The MLP's matmuls: a dense gated or ungated MLP, or router, experts and shared experts.

    >>> from ai_workloads.catalog import get_model
    >>> [(w.component, w.copies, w.used) for w in mlp_linears(get_model("mixtral-8x7b"), True)]
    [('router', 1, 1), ('gate', 8, 2), ('up', 8, 2), ('down', 8, 2)]
    """
    d = cfg.d_model

    def mlp(prefix: str, width: int, bias: bool, copies: int = 1, used: int = 1) -> list[Linear]:
        gate = [Linear(prefix + "gate", d, width, bias, copies, used)] if cfg.gated_mlp else []
        return [*gate, Linear(prefix + "up", d, width, bias, copies, used),
                Linear(prefix + "down", width, d, bias, copies, used)]

    if not moe:
        return mlp("", (cfg.dense_d_ff or cfg.d_ff) if cfg.is_moe else cfg.d_ff, cfg.mlp_bias)
    out = [Linear("router", d, cfg.n_experts, cfg.router_bias),
           *mlp("", cfg.d_ff, cfg.expert_bias, cfg.n_experts, cfg.experts_per_token)]
    if cfg.shared_d_ff:
        out += mlp("shared_", cfg.shared_d_ff, False)
        if cfg.shared_expert_gate:
            out.append(Linear("shared_router", d, 1))
    return out


def layer_linears(cfg: TransformerConfig, kind: LayerKind) -> tuple[Linear, ...]:
    """Every matmul weight of one layer of ``kind``, in the order they run.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("mixtral-8x7b")
    >>> sum(w.params for w in layer_linears(cfg, cfg.layer_kinds[0]))  # q, k, v, o, 8 experts
    1451261952
    """
    mixer = (attention_linears(cfg) if kind.mixer in ("full", "sliding", "chunked")
             else _recurrent_linears(cfg, kind.mixer))
    return (*mixer, *mlp_linears(cfg, kind.moe))


def _norms(cfg: TransformerConfig) -> dict[str, int]:
    layout, one = cfg.norm_layout, _norm(cfg)
    return {
        "attn_norm": one if layout in ("pre", "sandwich", "parallel") else 0,
        "attn_out_norm": one if layout in ("sandwich", "post") else 0,
        "mlp_norm": one if layout in ("pre", "sandwich") else 0,
        "mlp_out_norm": one if layout in ("sandwich", "post") else 0,
    }


def _attention_vectors(cfg: TransformerConfig) -> dict[str, int]:
    out: dict[str, int] = {}
    if cfg.latent is not None:
        out["q_a_norm"] = _norm(cfg, cfg.latent.q_rank) if cfg.latent.q_rank else 0
        out["kv_a_norm"] = _norm(cfg, cfg.latent.kv_rank)
    if cfg.qk_norm == "head":
        out["q_norm"], out["k_norm"] = _norm(cfg, cfg.head_dim), _norm(cfg, cfg.head_dim)
    elif cfg.qk_norm == "full":
        out["q_norm"], out["k_norm"] = _norm(cfg, cfg.q_dim), _norm(cfg, cfg.kv_dim)
    if cfg.attention_sinks:
        out["sinks"] = cfg.n_heads
    return out


def _recurrent_vectors(cfg: TransformerConfig, mixer: str) -> dict[str, int]:
    if mixer == "linear" and cfg.deltanet is not None:
        net = cfg.deltanet
        return {"conv": net.conv_channels * net.conv_kernel,
                "mixer_params": 2 * net.value_heads,  # a decay rate and a step bias per head
                "mixer_norm": net.value_dim}
    if mixer == "mamba" and cfg.mamba is not None:
        block = cfg.mamba
        conv = block.conv_channels * block.conv_kernel
        return {"conv": conv + (block.conv_channels if block.conv_bias else 0),
                "mixer_params": 3 * block.heads,  # A, D and the step bias, per head
                "mixer_norm": block.inner}
    raise AssertionError(f"{cfg.name}: no shape for {mixer} layers")


def layer_vectors(cfg: TransformerConfig, kind: LayerKind) -> dict[str, int]:
    """Weights of one layer of ``kind`` that are not matmuls, by component.

    >>> from ai_workloads.catalog import get_model
    >>> layer_vectors(get_model("gpt2"), get_model("gpt2").layer_kinds[0])["attn_norm"]
    1536
    """
    mixer = (_attention_vectors(cfg) if kind.mixer in ("full", "sliding", "chunked")
             else _recurrent_vectors(cfg, kind.mixer))
    return {**_norms(cfg), **mixer}


#: The format a recurrent layer's state matrices are kept in: transformers keeps them in
#: fp32 even when the model runs in bf16 (the convolution windows follow the model's format).
RECURRENT_STATE_DTYPE = "fp32"


def recurrent_state_values(cfg: TransformerConfig, kind: LayerKind) -> int:
    """Values of one recurrent layer's state matrices for one sequence (0 for attention),
    kept in :data:`RECURRENT_STATE_DTYPE`; its convolution window is not among them.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("qwen3-next-80b-a3b")
    >>> recurrent_state_values(cfg, cfg.layer_kinds[0])   # 32 value heads · 128 · 128
    524288
    """
    if kind.mixer == "linear" and cfg.deltanet is not None:
        return cfg.deltanet.recurrent_state
    if kind.mixer == "mamba" and cfg.mamba is not None:
        return cfg.mamba.recurrent_state
    return 0


def cached_tokens(cfg: TransformerConfig, kind: LayerKind, context: int) -> int:
    """Tokens a layer of ``kind`` keeps in its cache at ``context``: ``S``, or ``min(S, W)``
    for a window; 0 for a recurrent layer.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("mistral-7b")
    >>> cached_tokens(cfg, cfg.layer_kinds[0], 32768)
    4096
    """
    if kind.mixer in ("linear", "mamba"):
        return 0
    window = cfg.window(kind.mixer)
    return min(context, window) if window else context


def cached_values(cfg: TransformerConfig, kind: LayerKind, context: int) -> int:
    """Values one layer of ``kind`` keeps for one sequence at ``context`` tokens.

    Attention layers: a key and a value of ``K·H`` per cached token (MLA: the latent and
    the RoPE key, ``kv_rank + rope_dim``); recurrent layers: their fixed state.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("llama-2-70b")
    >>> cached_values(cfg, cfg.layer_kinds[0], 1)    # 2 · 8 heads · 128
    2048
    """
    if kind.mixer == "linear" and cfg.deltanet is not None:
        return cfg.deltanet.state_per_sequence
    if kind.mixer == "mamba" and cfg.mamba is not None:
        return cfg.mamba.state_per_sequence
    per_token = cfg.latent.cached_per_token if cfg.latent else 2 * cfg.kv_dim
    return per_token * cached_tokens(cfg, kind, context)
