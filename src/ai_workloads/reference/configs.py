"""Tiny configs of each model family the reference model runs, for tests and examples.

Each keeps its family's shape (grouped-query or multi-query attention, biases, tied
embeddings, learned positions, experts, an encoder with a pooler) at ``D = 64`` and two
layers, so that it builds and runs in milliseconds.

>>> [tiny_config(f).attention_kind for f in ("llama", "llama-gqa", "llama-mqa")]
['MHA', 'GQA', 'MQA']
"""

from __future__ import annotations

import math
from typing import Any

from ..core.config import TransformerConfig
from ..core.errors import WorkloadError

#: Each family's departures from the common tiny shape (see :func:`tiny_config`).
_TINY: dict[str, dict[str, Any]] = {
    "llama": {"family": "llama"},
    "llama-gqa": {"family": "llama", "n_kv_heads": 2},
    "llama-mqa": {"family": "llama", "n_kv_heads": 1},
    "qwen2": {"family": "qwen2", "n_kv_heads": 2, "qkv_bias": True, "rope_theta": 1e6},
    "gemma": {"family": "gemma", "d_model": 48, "n_kv_heads": 1, "head_dim": 32,
              "activation": "gelu_pytorch_tanh", "tied_embeddings": True,
              "embedding_scale": math.sqrt(48), "norm_eps": 1e-6},
    "phi3": {"family": "phi3", "d_model": 48, "n_heads": 4, "n_kv_heads": 4, "head_dim": 12},
    "gpt2": {"family": "gpt2", "d_ff": 256, "gated_mlp": False, "activation": "gelu_new",
             "norm": "layer", "positions": "learned", "tied_embeddings": True,
             "qkv_bias": True, "out_bias": True, "mlp_bias": True},
    "mixtral": {"family": "mixtral", "n_kv_heads": 2, "n_experts": 4, "experts_per_token": 2},
    "bert": {"family": "bert", "d_ff": 256, "gated_mlp": False, "activation": "gelu",
             "norm": "layer", "positions": "learned", "tied_embeddings": True,
             "qkv_bias": True, "out_bias": True, "mlp_bias": True, "encoder": True,
             "type_vocab_size": 2, "pooler": True, "embedding_norm": True,
             "final_norm": False, "norm_eps": 1e-12},
}
#: Names :func:`tiny_config` accepts.
TINY_FAMILIES: tuple[str, ...] = tuple(_TINY)


def tiny_config(family: str = "llama", **overrides: Any) -> TransformerConfig:
    """A small config of one family's shape, for tests and examples (``D = 64``, ``L = 2``).

    Families: ``llama`` (MHA), ``llama-gqa``, ``llama-mqa``, ``qwen2`` (qkv bias, GQA),
    ``gemma`` (MQA, ``H = 32 != D/N``, tied), ``phi3``, ``gpt2`` (learned positions, tied),
    ``mixtral`` (4 experts, 2 per token), ``bert`` (encoder with pooler).

    >>> cfg = tiny_config("gemma")
    >>> cfg.d_model, cfg.n_heads, cfg.head_dim, cfg.attention_kind
    (48, 4, 32, 'MQA')
    >>> tiny_config("mixtral", n_layers=1).n_layers
    1
    """
    if family not in _TINY:
        raise WorkloadError(
            f"no tiny config for {family!r}; choose one of: {', '.join(TINY_FAMILIES)}")
    fields: dict[str, Any] = {
        "name": f"tiny-{family}", "d_model": 64, "n_layers": 2, "n_heads": 4,
        "n_kv_heads": 4, "head_dim": 16, "d_ff": 128, "vocab_size": 97, "max_position": 64,
    }
    fields.update(_TINY[family])
    fields.update(overrides)
    return TransformerConfig(**fields)
