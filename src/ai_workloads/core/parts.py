"""The parts a decoder layer is built from: its token mixer and its MLP.

A layer mixes tokens with one of five mixers and transforms each token with a dense MLP or a
mixture of experts. The attention mixers differ in how many keys a query sees: ``full`` all
of them, ``sliding`` the last ``W`` (a window), ``chunked`` those of its own chunk of ``C``
tokens. Multi-head latent attention (MLA, :class:`LatentAttention`) is full attention whose
keys and values are rebuilt from a small cached latent. The recurrent mixers keep a state of
fixed size instead of a KV cache: ``linear`` is gated-delta-rule linear attention
(:class:`DeltaNet`), ``mamba`` a Mamba-2 state-space block (:class:`Mamba2`).

>>> mla = LatentAttention(q_rank=1536, kv_rank=512, nope_dim=128, rope_dim=64, v_dim=128)
>>> mla.qk_dim, mla.cached_per_token
(192, 576)
>>> LayerKind("sliding", moe=True).label
'sliding + MoE'
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import WorkloadError

#: The mixers a layer can have, in the order tables list them.
MIXERS: tuple[str, ...] = ("full", "sliding", "chunked", "linear", "mamba")
#: Mixers that attend over cached keys and values.
ATTENTION_MIXERS: tuple[str, ...] = ("full", "sliding", "chunked")
#: Mixers that keep a fixed-size recurrent state instead of a KV cache.
RECURRENT_MIXERS: tuple[str, ...] = ("linear", "mamba")

#: How Hugging Face configs name the mixers in ``layer_types`` (and hybrid block lists).
HF_LAYER_TYPES: dict[str, str] = {
    "full_attention": "full", "attention": "full", "global": "full",
    "sliding_attention": "sliding", "sliding": "sliding", "local": "sliding",
    "chunked_attention": "chunked",
    "linear_attention": "linear",
    "mamba": "mamba", "mamba2": "mamba",
}


def _positive(owner: str, **values: int) -> None:
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise WorkloadError(f"{owner}: {key} must be a positive integer, got {value!r}")


@dataclass(frozen=True, slots=True)
class LatentAttention:
    """Multi-head latent attention (DeepSeek-V2/V3): keys and values from a cached latent.

    Each token's hidden state is compressed to a latent of ``kv_rank`` values plus one shared
    RoPE key of ``rope_dim``; that is all the cache keeps. Each head's key is ``nope_dim``
    values rebuilt from the latent plus the shared RoPE part; its value is ``v_dim`` values
    rebuilt from the latent. Queries go through a rank-``q_rank`` bottleneck, or a plain
    projection when ``q_rank`` is 0 (DeepSeek-V2-Lite).

    >>> LatentAttention(q_rank=0, kv_rank=512, nope_dim=128, rope_dim=64, v_dim=128).q_rank
    0
    """

    q_rank: int  # 0: a plain q_proj
    kv_rank: int
    nope_dim: int
    rope_dim: int
    v_dim: int

    def __post_init__(self) -> None:
        _positive("latent attention", kv_rank=self.kv_rank, qk_nope_head_dim=self.nope_dim,
                  qk_rope_head_dim=self.rope_dim, v_head_dim=self.v_dim)
        if isinstance(self.q_rank, bool) or not isinstance(self.q_rank, int) or self.q_rank < 0:
            raise WorkloadError(
                f"latent attention: q_lora_rank must be a positive integer or null, "
                f"got {self.q_rank!r}")

    @property
    def qk_dim(self) -> int:
        """Width of one head's query and key: ``nope_dim + rope_dim``."""
        return self.nope_dim + self.rope_dim

    @property
    def cached_per_token(self) -> int:
        """Values a layer caches per token: the latent and the shared RoPE key."""
        return self.kv_rank + self.rope_dim


@dataclass(frozen=True, slots=True)
class DeltaNet:
    """Gated-delta-rule linear attention (Qwen3-Next's linear layers).

    ``key_heads`` heads of queries and keys of ``key_dim``, ``value_heads`` heads of values of
    ``value_dim``; a short causal convolution of ``conv_kernel`` taps over q, k and v; and per
    value head a ``key_dim × value_dim`` state matrix, updated once per token.

    >>> net = DeltaNet(key_heads=16, value_heads=32, key_dim=128, value_dim=128, conv_kernel=4)
    >>> net.conv_channels, net.state_per_sequence
    (8192, 557056)
    """

    key_heads: int
    value_heads: int
    key_dim: int
    value_dim: int
    conv_kernel: int

    def __post_init__(self) -> None:
        _positive("linear attention", linear_num_key_heads=self.key_heads,
                  linear_num_value_heads=self.value_heads,
                  linear_key_head_dim=self.key_dim, linear_value_head_dim=self.value_dim,
                  linear_conv_kernel_dim=self.conv_kernel)
        if self.value_heads % self.key_heads:
            raise WorkloadError(
                f"linear attention: linear_num_value_heads ({self.value_heads}) must be "
                f"divisible by linear_num_key_heads ({self.key_heads})")

    @property
    def key_width(self) -> int:
        """Width of all query (or key) heads together."""
        return self.key_heads * self.key_dim

    @property
    def value_width(self) -> int:
        """Width of all value heads together."""
        return self.value_heads * self.value_dim

    @property
    def conv_channels(self) -> int:
        """Channels of the causal convolution: q, k and v."""
        return 2 * self.key_width + self.value_width

    @property
    def recurrent_state(self) -> int:
        """Values of the state matrices of one sequence: ``value_heads · key_dim · value_dim``."""
        return self.value_heads * self.key_dim * self.value_dim

    @property
    def conv_state(self) -> int:
        """Values of the convolution's window of one sequence: ``conv_channels · conv_kernel``."""
        return self.conv_channels * self.conv_kernel

    @property
    def state_per_sequence(self) -> int:
        """All state values one sequence keeps in one layer, whatever its length."""
        return self.recurrent_state + self.conv_state


@dataclass(frozen=True, slots=True)
class Mamba2:
    """A Mamba-2 state-space block (as in Bamba, Granite 4.0-H, Nemotron-H).

    ``heads`` heads of ``head_dim`` channels (inner width ``heads · head_dim``), ``groups``
    groups of input and output projections ``B`` and ``C`` of ``state_size``, and a causal
    convolution of ``conv_kernel`` taps over x, B and C.

    >>> block = Mamba2(heads=128, head_dim=64, state_size=128, groups=1, conv_kernel=4)
    >>> block.inner, block.in_proj_width, block.state_per_sequence
    (8192, 16768, 1082368)
    """

    heads: int
    head_dim: int
    state_size: int
    groups: int
    conv_kernel: int
    conv_bias: bool = True
    proj_bias: bool = False

    def __post_init__(self) -> None:
        _positive("mamba block", mamba_n_heads=self.heads, mamba_d_head=self.head_dim,
                  mamba_d_state=self.state_size, mamba_n_groups=self.groups,
                  mamba_d_conv=self.conv_kernel)
        if self.heads % self.groups:
            raise WorkloadError(
                f"mamba block: mamba_n_heads ({self.heads}) must be divisible by "
                f"mamba_n_groups ({self.groups})")

    @property
    def inner(self) -> int:
        """Inner width: ``heads · head_dim``."""
        return self.heads * self.head_dim

    @property
    def conv_channels(self) -> int:
        """Channels of the convolution: x, B and C."""
        return self.inner + 2 * self.groups * self.state_size

    @property
    def in_proj_width(self) -> int:
        """Outputs of the input projection: gate z, x, B, C and one step size per head."""
        return 2 * self.inner + 2 * self.groups * self.state_size + self.heads

    @property
    def recurrent_state(self) -> int:
        """Values of the SSM state of one sequence: ``heads · head_dim · state_size``."""
        return self.inner * self.state_size

    @property
    def conv_state(self) -> int:
        """Values of the convolution's window of one sequence."""
        return self.conv_channels * self.conv_kernel

    @property
    def state_per_sequence(self) -> int:
        """All state values one sequence keeps in one layer, whatever its length."""
        return self.recurrent_state + self.conv_state


@dataclass(frozen=True, slots=True, order=True)
class LayerKind:
    """What one layer is: its mixer (one of :data:`MIXERS`) and whether its MLP is an MoE."""

    mixer: str
    moe: bool

    @property
    def label(self) -> str:
        """A short name for tables: ``"full"``, ``"sliding + MoE"``, ..."""
        return self.mixer + (" + MoE" if self.moe else "")

    @property
    def key(self) -> str:
        """A name for JSON keys: ``"full"``, ``"sliding_moe"``, ..."""
        return self.mixer + ("_moe" if self.moe else "")
