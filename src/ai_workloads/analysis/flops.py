"""Matmul FLOPs of prefill, decode and training, by op, exactly.

Conventions (Notation page): a matmul ``[m, k] @ [k, n]`` costs ``2·m·k·n``
(:func:`matmul_flops`, the one place that rule is written); only matmuls are
counted (norms, softmax, activations and RoPE are not); attention scores and ``A·V`` cover
the full score matrix unless ``causal=True``, which counts only the unmasked (query, key)
pairs, as FlashAttention-style kernels do. A decode step at context ``S`` is one new token
per sequence attending ``S`` keys, its own included.

>>> from ai_workloads.catalog import get_model
>>> cfg = get_model("llama-2-7b")
>>> decode_flops(cfg, context=4096)
15361638400
>>> prefill_flops(cfg, tokens=2048, causal=True) < prefill_flops(cfg, tokens=2048)
True
"""

from __future__ import annotations

from ..core.config import TransformerConfig
from ..core.errors import WorkloadError, positive_int

#: The ops a forward pass is made of, in the order they run; each is a matmul.
OPS: tuple[str, ...] = (
    "q", "k", "v", "scores", "attn_v", "o", "router", "gate", "up", "down", "lm_head", "pooler",
)
#: Ops whose cost grows with the number of keys attended.
ATTENTION_CORE: tuple[str, ...] = ("scores", "attn_v")
#: Ops of the attention sub-layer (projections and core).
ATTENTION_OPS: tuple[str, ...] = ("q", "k", "v", "scores", "attn_v", "o")
#: Ops of the MLP sub-layer (router included for MoE).
MLP_OPS: tuple[str, ...] = ("router", "gate", "up", "down")


def matmul_flops(m: int, k: int, n: int, exact_adds: bool = False) -> int:
    """FLOPs of ``[m, k] @ [k, n]``: ``2·m·k·n`` by convention (the one home of that rule).

    Each of the ``m·n`` outputs takes ``k`` multiplies and ``k - 1`` adds, so the exact count
    is ``m·n·(2k - 1) = 2mkn - mn`` (``exact_adds=True``). Hardware does fused multiply-adds,
    ``k`` per output, and counts each as 2 FLOPs, hence the convention.

    >>> matmul_flops(1, 4096, 4096), matmul_flops(1, 4096, 4096, exact_adds=True)
    (33554432, 33550336)
    >>> matmul_flops(0, 2, 2)
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: m must be a positive integer, got 0
    """
    for name, value in (("m", m), ("k", k), ("n", n)):
        positive_int(name, value)
    return 2 * m * k * n - (m * n if exact_adds else 0)


def attended_pairs(tokens: int, context: int, causal: bool) -> int:
    """(query, key) pairs a pass over ``tokens`` new tokens attends, with ``context`` keys.

    The new tokens are the last ``tokens`` of the ``context``. Non-causal: every query sees
    every key. Causal: query ``i`` (1-based among the new ones) sees ``context - tokens + i``.

    >>> attended_pairs(4, 4, causal=False), attended_pairs(4, 4, causal=True)
    (16, 10)
    >>> attended_pairs(1, 100, causal=True)
    100
    """
    positive_int("tokens", tokens)
    positive_int("context", context)
    if tokens > context:
        raise WorkloadError(f"tokens ({tokens}) cannot exceed context ({context})")
    if not causal:
        return tokens * context
    return tokens * (context - tokens) + tokens * (tokens + 1) // 2


def op_flops(cfg: TransformerConfig, tokens: int, context: int,
             causal: bool = False) -> dict[str, int]:
    """Matmul FLOPs of one forward pass (batch 1), by op, summed over all layers.

    ``tokens`` new tokens attend ``context`` keys (own included). MoE ``gate``/``up``/
    ``down`` count the ``k`` routed experts per token; ``lm_head`` covers every new
    position (0 for encoders); ``pooler`` is BERT's dense layer on the first token.

    >>> from ai_workloads.catalog import get_model
    >>> ops = op_flops(get_model("llama-2-70b"), tokens=1, context=1000)
    >>> ops["q"], ops["k"], ops["scores"]
    (10737418240, 1342177280, 1310720000)
    """
    pairs = attended_pairs(tokens, context, causal)
    d, layers, t = cfg.d_model, cfg.n_layers, tokens
    mlp_in = cfg.experts_per_token * matmul_flops(t, d, cfg.d_ff)  # per routed expert
    # Each attended (query, key) pair of each head is one length-H dot product for its
    # score, and one weight times a length-H value row for A·V: [1, H] @ [H, 1], [1, 1] @ [1, H].
    core = cfg.n_heads * pairs * matmul_flops(1, cfg.head_dim, 1)
    per_layer = {
        "q": matmul_flops(t, d, cfg.q_dim),
        "k": matmul_flops(t, d, cfg.kv_dim),
        "v": matmul_flops(t, d, cfg.kv_dim),
        "scores": core,
        "attn_v": core,
        "o": matmul_flops(t, cfg.q_dim, d),
        "router": matmul_flops(t, d, cfg.n_experts) if cfg.is_moe else 0,
        "gate": mlp_in if cfg.gated_mlp else 0,
        "up": mlp_in,
        "down": mlp_in,
    }
    totals = {name: layers * value for name, value in per_layer.items()}
    totals["lm_head"] = 0 if cfg.encoder else matmul_flops(t, d, cfg.vocab_size)
    totals["pooler"] = matmul_flops(1, d, d) if cfg.pooler else 0
    return totals


def _check_decoder(cfg: TransformerConfig) -> None:
    if cfg.encoder:
        raise WorkloadError(
            f"{cfg.name} is an encoder: it has no decode step; use prefill instead")


def decode_flops(cfg: TransformerConfig, context: int, batch: int = 1) -> int:
    """Matmul FLOPs of one decode step: ``batch`` new tokens, each attending ``context`` keys.

    Equals ``batch · (dense_flops_per_token + context · attention_flops_per_key)``.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("gpt2")
    >>> decode_flops(cfg, 1024) == dense_flops_per_token(cfg) + 1024 * attention_flops_per_key(cfg)
    True
    """
    _check_decoder(cfg)
    positive_int("batch", batch)
    return batch * sum(op_flops(cfg, 1, context).values())


def prefill_flops(cfg: TransformerConfig, tokens: int, batch: int = 1,
                  causal: bool = False) -> int:
    """Matmul FLOPs of a forward pass over ``tokens`` tokens per sequence, from empty.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("bert-base")
    >>> prefill_flops(cfg, tokens=128)
    22348431360
    """
    positive_int("batch", batch)
    return batch * sum(op_flops(cfg, tokens, tokens, causal).values())


def dense_flops_per_token(cfg: TransformerConfig) -> int:
    """FLOPs per token that do not depend on the context: projections, MLP, router, LM head.

    This is twice the number of matmul weights a token touches (``2·N_active`` minus
    the embedding lookup, which is not a matmul).

    >>> from ai_workloads.catalog import get_model
    >>> dense_flops_per_token(get_model("llama-2-7b"))
    13214154752
    """
    ops = op_flops(cfg, 1, 1)
    return sum(ops.values()) - sum(ops[name] for name in ATTENTION_CORE) - ops["pooler"]


def attention_flops_per_key(cfg: TransformerConfig) -> int:
    """FLOPs each additional attended key adds to one token's pass: ``4·L·N·H``.

    >>> from ai_workloads.catalog import get_model
    >>> attention_flops_per_key(get_model("llama-2-7b"))
    524288
    """
    return 4 * cfg.n_layers * cfg.n_heads * cfg.head_dim


def blocks_only_decode_flops(cfg: TransformerConfig, context: int) -> int:
    """Decode FLOPs per token of the layers alone, without the LM head.

    For an MHA model with ``N·H = D`` and a gated MLP this is the lecture notes' formula
    ``L·(8D² + 4SD + 6DF)``.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("llama-2-7b")
    >>> d, f, L, s = cfg.d_model, cfg.d_ff, cfg.n_layers, 512
    >>> blocks_only_decode_flops(cfg, s) == L * (8 * d * d + 4 * s * d + 6 * d * f)
    True
    """
    _check_decoder(cfg)
    ops = op_flops(cfg, 1, context)
    return sum(ops.values()) - ops["lm_head"]


def sublayer_decode_flops(cfg: TransformerConfig, context: int) -> dict[str, int]:
    """One decode token's FLOPs split into ``attention`` (projections and core),
    ``attention_core`` (scores and A·V), ``mlp`` (incl. router) and ``lm_head``.

    >>> from ai_workloads.catalog import get_model
    >>> parts = sublayer_decode_flops(get_model("llama-2-7b"), 4096)
    >>> parts["attention_core"] == 4096 * 524288
    True
    """
    _check_decoder(cfg)
    ops = op_flops(cfg, 1, context)
    return {
        "attention": sum(ops[name] for name in ATTENTION_OPS),
        "attention_core": sum(ops[name] for name in ATTENTION_CORE),
        "mlp": sum(ops[name] for name in MLP_OPS),
        "lm_head": ops["lm_head"],
    }


def attention_overtakes_mlp(cfg: TransformerConfig, include_projections: bool = False) -> int:
    """The smallest context ``S`` at which a decode token's attention FLOPs exceed its MLP's.

    With ``include_projections=False`` attention means the part that grows with ``S``
    (scores and A·V); with ``True`` it also includes the q, k, v and o projections, as the
    lecture notes' table does.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("llama-2-7b")
    >>> attention_overtakes_mlp(cfg), attention_overtakes_mlp(cfg, include_projections=True)
    (16513, 8321)
    """
    _check_decoder(cfg)
    per_key = attention_flops_per_key(cfg)
    ops = op_flops(cfg, 1, 1)
    fixed = sum(ops[name] for name in ("q", "k", "v", "o")) if include_projections else 0
    fixed += sum(ops[name] for name in ATTENTION_CORE) - per_key  # S-independent part: 0
    mlp = sum(ops[name] for name in MLP_OPS)
    # attention(S) = fixed + S·per_key > mlp  <=>  S > (mlp - fixed) / per_key
    return max(1, (mlp - fixed) // per_key + 1)


def training_flops(cfg: TransformerConfig, tokens: int, seq_len: int,
                   causal: bool = True) -> int:
    """Matmul FLOPs to train on ``tokens`` tokens in sequences of ``seq_len``.

    The backward pass costs twice the forward (gradients for activations and for weights),
    so training is ``3 ×`` the forward pass: ``6·N·tokens`` for the weights plus three times
    the attention core. ``tokens`` must be a multiple of ``seq_len``.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("gpt-3")
    >>> f"{training_flops(cfg, 300 * 10**9, 2048):.3e}"
    '3.186e+23'
    """
    positive_int("tokens", tokens)
    positive_int("seq_len", seq_len)
    if tokens % seq_len:
        raise WorkloadError(f"tokens ({tokens}) must be a multiple of seq_len ({seq_len})")
    return 3 * (tokens // seq_len) * prefill_flops(cfg, seq_len, causal=causal)


def six_nd(params: int, tokens: int) -> int:
    """The ``6·N·D`` rule of thumb for training FLOPs (``N`` parameters, ``D`` tokens).

    >>> f"{six_nd(175 * 10**9, 300 * 10**9):.2e}"
    '3.15e+23'
    """
    return 6 * params * tokens
