"""Matmul FLOPs of prefill, decode and training, by op, exactly.

Conventions (Notation page): a matmul ``[m, k] @ [k, n]`` costs ``2·m·k·n``
(:func:`matmul_flops`, the one place that rule is written); only matmuls are
counted (norms, softmax, activations and RoPE are not); attention scores and ``A·V`` cover
the full score matrix unless ``causal=True``, which counts only the unmasked (query, key)
pairs, as FlashAttention-style kernels do. A decode step at context ``S`` is one new token
per sequence attending ``S`` keys, its own included; on a sliding or chunked layer it attends
the ``min(S, W)`` keys the layer keeps. MoE layers count the router, the ``k`` routed experts
and the shared experts per token. MLA layers are counted as transformers runs them, the
cached latent re-expanded through ``kv_b`` at every step, unless ``absorbed=True`` (the
weight-absorbed form serving engines run). Recurrent layers count their projections, their
convolution and their state update in the recurrent form (:func:`state_update_flops`).

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
from ..core.parts import LayerKind
from .layer_parts import cached_tokens, layer_linears

#: The ops a forward pass is made of, in the order they run. Those of a plain decoder are
#: always listed; the others (MLA's, a recurrent mixer's, shared experts') only where a
#: model has them.
OPS: tuple[str, ...] = (
    "q_a", "q", "kv_a", "kv_b", "k", "v", "scores", "attn_v", "mixer_in", "conv", "state",
    "mixer_out", "o", "router", "gate", "up", "down", "shared_router", "shared_gate",
    "shared_up", "shared_down", "lm_head", "pooler",
)
#: The ops every model lists, even at zero.
BASE_OPS: tuple[str, ...] = (
    "q", "k", "v", "scores", "attn_v", "o", "router", "gate", "up", "down", "lm_head", "pooler",
)
#: Ops whose cost grows with the number of keys attended.
ATTENTION_CORE: tuple[str, ...] = ("scores", "attn_v")
#: Ops that grow with the keys: the core, and MLA's re-expansion of every cached latent.
CONTEXT_OPS: tuple[str, ...] = ("scores", "attn_v", "kv_b")
#: Ops of the mixing sub-layer (attention projections and core, or a recurrent mixer).
ATTENTION_OPS: tuple[str, ...] = (
    "q_a", "q", "kv_a", "kv_b", "k", "v", "scores", "attn_v", "mixer_in", "conv", "state",
    "mixer_out", "o",
)
#: Ops of the MLP sub-layer (router and shared experts included for MoE).
MLP_OPS: tuple[str, ...] = (
    "router", "gate", "up", "down", "shared_router", "shared_gate", "shared_up", "shared_down",
)


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


def window_pairs(tokens: int, context: int, window: int, causal: bool,
                 chunked: bool = False) -> int:
    """(query, key) pairs on a layer that sees at most ``window`` keys.

    Computed (``causal=False``): each new token's scores cover the keys the layer holds, the
    last ``window - 1`` cached ones and the new ones (all ``T`` in a prefill from empty, masked
    but computed). Causal: only the pairs inside each query's window, the last ``W`` keys
    (sliding) or those of its own chunk of ``W`` (``chunked``).

    >>> window_pairs(1, 32768, 4096, causal=False)    # a decode step sees the window
    4096
    >>> window_pairs(8, 8, 4, causal=False), window_pairs(8, 8, 4, causal=True)
    (64, 26)
    >>> window_pairs(8, 8, 4, causal=True, chunked=True)   # chunks 1-4 and 5-8: 10 + 10
    20
    """
    if not causal:
        return tokens * min(context, window - 1 + tokens)
    first = context - tokens + 1  # 1-based position of the first new token
    if chunked:
        return sum((p - 1) % window + 1 for p in range(first, context + 1))
    # positions below the window see p keys; the rest see W
    low_end = min(context, window)
    low = sum(range(first, low_end + 1)) if first <= low_end else 0
    return low + window * max(0, context - max(first, window + 1) + 1)


def _pairs(cfg: TransformerConfig, kind: LayerKind, tokens: int, context: int,
           causal: bool) -> int:
    window = cfg.window(kind.mixer)
    if not window:
        return attended_pairs(tokens, context, causal)
    return window_pairs(tokens, context, window, causal, chunked=kind.mixer == "chunked")


def state_update_flops(cfg: TransformerConfig, kind: LayerKind, tokens: int) -> int:
    """Multiply-adds of a recurrent layer's state update for ``tokens`` tokens, in the
    recurrent (token by token) form; 0 for attention layers.

    Gated delta rule, per value head and token: read the state with the key
    (``kᵀS``), write the correction (``k ⊗ δ``), read it with the query (``qᵀS``): three
    ``d_k × d_v`` products, ``6·d_k·d_v`` FLOPs. Mamba-2, per head: write ``x ⊗ B`` and read
    with ``C``, ``4·head_dim·state`` FLOPs.

    >>> from ai_workloads.core.parts import LayerKind
    >>> from ai_workloads.catalog import get_model
    >>> state_update_flops(get_model("llama-2-7b"), LayerKind("full", False), 1)
    0
    """
    if kind.mixer == "linear" and cfg.deltanet is not None:
        net = cfg.deltanet
        return tokens * 6 * net.value_heads * net.key_dim * net.value_dim
    if kind.mixer == "mamba" and cfg.mamba is not None:
        return tokens * 4 * cfg.mamba.inner * cfg.mamba.state_size
    return 0


def layer_op_flops(cfg: TransformerConfig, kind: LayerKind, tokens: int, context: int,
                   causal: bool = False, absorbed: bool = False) -> dict[str, int]:
    """Matmul FLOPs of one layer of ``kind`` for ``tokens`` new tokens at ``context``, by op.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("llama-2-7b")
    >>> layer_op_flops(cfg, cfg.layer_kinds[0], 1, 100)["scores"]   # 32 heads · 100 · 2·128
    819200
    """
    t = tokens
    ops = dict.fromkeys(OPS, 0)
    keys = cached_tokens(cfg, kind, context) if kind.mixer in ("full", "sliding", "chunked") \
        else 0
    for w in layer_linears(cfg, kind):
        rows = keys if (w.over_keys and not absorbed) else t
        ops[w.component] += w.used * matmul_flops(rows, w.n_in, w.n_out) if rows else 0
    if kind.mixer in ("full", "sliding", "chunked"):
        pairs = _pairs(cfg, kind, t, context, causal)
        mla = cfg.latent
        qk, v = (cfg.head_dim, cfg.head_dim) if mla is None else (
            (mla.kv_rank + mla.rope_dim, mla.kv_rank) if absorbed else (mla.qk_dim, mla.v_dim))
        # Each attended (query, key) pair of each head is one dot product of length qk for
        # its score, and one weight times a value row of length v for A·V.
        ops["scores"] = cfg.n_heads * pairs * matmul_flops(1, qk, 1)
        ops["attn_v"] = cfg.n_heads * pairs * matmul_flops(1, 1, v)
    else:
        channels = (cfg.deltanet.conv_channels if cfg.deltanet and kind.mixer == "linear"
                    else cfg.mamba.conv_channels if cfg.mamba else 0)
        kernel = (cfg.deltanet.conv_kernel if cfg.deltanet and kind.mixer == "linear"
                  else cfg.mamba.conv_kernel if cfg.mamba else 0)
        ops["conv"] = 2 * t * channels * kernel  # a depthwise convolution: kernel taps each
        ops["state"] = state_update_flops(cfg, kind, t)
    return ops


def op_flops(cfg: TransformerConfig, tokens: int, context: int,
             causal: bool = False, absorbed: bool = False) -> dict[str, int]:
    """Matmul FLOPs of one forward pass (batch 1), by op, summed over all layers.

    ``tokens`` new tokens attend ``context`` keys (own included). MoE ``gate``/``up``/
    ``down`` count the ``k`` routed experts per token; ``lm_head`` covers every new
    position (0 for encoders); ``pooler`` is BERT's dense layer on the first token.
    ``absorbed`` counts MLA layers in their weight-absorbed form.

    >>> from ai_workloads.catalog import get_model
    >>> ops = op_flops(get_model("llama-2-70b"), tokens=1, context=1000)
    >>> ops["q"], ops["k"], ops["scores"]
    (10737418240, 1342177280, 1310720000)
    """
    attended_pairs(tokens, context, causal)  # checks the sizes
    totals = dict.fromkeys(OPS, 0)
    for kind, count in cfg.layer_groups:
        for name, value in layer_op_flops(cfg, kind, tokens, context, causal, absorbed).items():
            totals[name] += count * value
    d = cfg.d_model
    totals["lm_head"] = 0 if cfg.encoder else matmul_flops(tokens, d, cfg.vocab_size)
    totals["pooler"] = matmul_flops(1, d, d) if cfg.pooler else 0
    return {name: n for name, n in totals.items() if n or name in BASE_OPS}


def _check_decoder(cfg: TransformerConfig) -> None:
    if cfg.encoder:
        raise WorkloadError(
            f"{cfg.name} is an encoder: it has no decode step; use prefill instead")


def decode_flops(cfg: TransformerConfig, context: int, batch: int = 1,
                 absorbed: bool = False) -> int:
    """Matmul FLOPs of one decode step: ``batch`` new tokens, each attending ``context`` keys.

    Without windows this equals ``batch · (dense_flops_per_token + context ·
    attention_flops_per_key)``; ``absorbed`` counts MLA layers in the weight-absorbed form.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("gpt2")
    >>> decode_flops(cfg, 1024) == dense_flops_per_token(cfg) + 1024 * attention_flops_per_key(cfg)
    True
    """
    _check_decoder(cfg)
    positive_int("batch", batch)
    return batch * sum(op_flops(cfg, 1, context, absorbed=absorbed).values())


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
    return sum(ops.values()) - sum(ops.get(name, 0) for name in CONTEXT_OPS) - ops["pooler"]


def attention_flops_per_key(cfg: TransformerConfig) -> int:
    """FLOPs each attended key adds to one token's pass, over the layers that attend it:
    ``4·L·N·H`` for a plain decoder (a window stops adding once it is full; recurrent layers
    add nothing).

    >>> from ai_workloads.catalog import get_model
    >>> attention_flops_per_key(get_model("llama-2-7b"))
    524288
    """
    ops = op_flops(cfg, 1, 1)
    return sum(ops.get(name, 0) for name in CONTEXT_OPS)


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
        "attention": sum(ops.get(name, 0) for name in ATTENTION_OPS),
        "attention_core": sum(ops.get(name, 0) for name in ATTENTION_CORE),
        "mlp": sum(ops.get(name, 0) for name in MLP_OPS),
        "lm_head": ops["lm_head"],
    }


def key_terms(cfg: TransformerConfig) -> tuple[tuple[int, int], ...]:
    """How a decode token's FLOPs grow with the keys: ``(window, FLOPs per key)`` for each
    window size among the layers (0: no window). At context ``S`` the context-dependent part
    is ``Σ per_key · min(S, W)``.

    >>> from ai_workloads.catalog import get_model
    >>> key_terms(get_model("llama-2-7b")), key_terms(get_model("mistral-7b"))
    (((0, 524288),), ((4096, 524288),))
    """
    terms: dict[int, int] = {}
    for kind, count in cfg.layer_groups:
        one = layer_op_flops(cfg, kind, 1, 1)
        per_key = sum(one[name] for name in CONTEXT_OPS)
        if per_key:
            window = cfg.window(kind.mixer)
            terms[window] = terms.get(window, 0) + count * per_key
    return tuple(sorted(terms.items()))


def attention_overtakes_mlp(cfg: TransformerConfig,
                            include_projections: bool = False) -> int | None:
    """The smallest context ``S`` at which a decode token's attention FLOPs exceed its MLP's,
    or ``None`` when they never do (every attention layer's window is full before then).

    With ``include_projections=False`` attention means the part that grows with ``S``
    (scores and A·V, and MLA's re-expansion of cached latents); with ``True`` it also
    includes the q, k, v and o projections (and a recurrent mixer's), as the lecture notes'
    table does. A sliding or chunked layer attends at most its window.

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("llama-2-7b")
    >>> attention_overtakes_mlp(cfg), attention_overtakes_mlp(cfg, include_projections=True)
    (16513, 8321)
    >>> attention_overtakes_mlp(get_model("mistral-7b")) is None   # a 4,096-key window
    True
    """
    _check_decoder(cfg)
    ops = op_flops(cfg, 1, 1)
    mixing = [name for name in ATTENTION_OPS if name not in CONTEXT_OPS]
    fixed = sum(ops.get(name, 0) for name in mixing) if include_projections else 0
    mlp = sum(ops.get(name, 0) for name in MLP_OPS)
    terms = key_terms(cfg)

    def attention(context: int) -> int:
        return fixed + sum(k * (min(context, w) if w else context) for w, k in terms)

    if not any(w == 0 for w, _ in terms):  # every term stops growing at its window
        longest = max((w for w, _ in terms), default=1)
        if attention(longest) <= mlp:
            return None
    low, high = 0, 1  # attention(low) <= mlp < attention(high)
    while attention(high) <= mlp:
        low, high = high, 2 * high
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if attention(mid) <= mlp else (low, mid)
    return max(1, high)


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
    """The ``6·P·T_train`` rule of thumb for training FLOPs (``P`` parameters, ``T_train``
    training tokens; often written ``6·N·D``, but here ``N`` is query heads and ``D`` the
    model width).

    >>> f"{six_nd(175 * 10**9, 300 * 10**9):.2e}"
    '3.15e+23'
    """
    return 6 * params * tokens
