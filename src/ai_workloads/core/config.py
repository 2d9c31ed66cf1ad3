"""The shape of a transformer: :class:`TransformerConfig`, read from Hugging Face files.

A config holds only what determines parameters, FLOPs and bytes, in the notation of the
Notation page: ``D`` (``d_model``), ``L`` (``n_layers``), ``N`` query heads, ``K`` KV heads,
``H`` head dim, ``F`` (``d_ff``), ``V`` (``vocab_size``), ``E`` experts, ``k`` experts per token.

>>> cfg = from_hf_dict({"model_type": "llama", "hidden_size": 4096,
...     "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
...     "intermediate_size": 14336, "vocab_size": 128256}, name="llama-3-8b")
>>> cfg.d_model, cfg.n_kv_heads, cfg.head_dim, cfg.gated_mlp
(4096, 8, 128, True)
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .errors import WorkloadError
from .families import READERS, TEXT_MODELS, read_fields
from .layer_plan import check_layers, layer_kinds
from .parts import DeltaNet, LatentAttention, LayerKind, Mamba2
from .quantization import WeightScheme, read_quantization

#: ``model_type`` values that :func:`from_hf_dict` understands (multimodal ones: their text
#: model).
SUPPORTED_FAMILIES: tuple[str, ...] = (*READERS, *TEXT_MODELS)


@dataclass(frozen=True, slots=True)
class TransformerConfig:
    """An immutable, validated transformer shape.

    Construct it directly, from a Hugging Face ``config.json`` (:func:`load_config`), or
    from the catalog (:func:`~ai_workloads.catalog.entries.get_model`).

    >>> tiny = TransformerConfig(name="tiny", family="llama", d_model=64, n_layers=2,
    ...     n_heads=4, n_kv_heads=2, head_dim=16, d_ff=128, vocab_size=100)
    >>> tiny.group_size, tiny.is_moe
    (2, False)
    >>> TransformerConfig(name="bad", family="llama", d_model=64, n_layers=2, n_heads=4,
    ...     n_kv_heads=3, head_dim=16, d_ff=128, vocab_size=100)
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: bad: num_attention_heads (4) must be divisible by ...
    """

    name: str
    family: str
    d_model: int  # D
    n_layers: int  # L
    n_heads: int  # N
    n_kv_heads: int  # K
    head_dim: int  # H
    d_ff: int  # F (per expert for MoE)
    vocab_size: int  # V
    max_position: int = 2048
    gated_mlp: bool = True  # SwiGLU/GeGLU: gate, up, down; else up, down
    activation: str = "silu"
    norm: Literal["rms", "layer"] = "rms"
    positions: Literal["rope", "learned", "none"] = "rope"
    tied_embeddings: bool = False
    qkv_bias: bool = False
    out_bias: bool = False
    mlp_bias: bool = False
    n_experts: int = 1  # E; 1 means a dense MLP
    experts_per_token: int = 1  # k
    encoder: bool = False  # bidirectional encoder (BERT): no decode step, no LM head
    type_vocab_size: int = 0
    pooler: bool = False
    embedding_norm: bool = False
    final_norm: bool = True
    embedding_scale: float = 1.0  # Gemma multiplies embeddings by sqrt(D)
    rope_theta: float = 10_000.0
    norm_eps: float = 1e-5
    #: How the checkpoint stores its weights (its ``quantization_config``); ``None``: unquantized.
    quantization: WeightScheme | None = None
    # --- layers that differ (core/parts.py): empty or None means "as every layer above"
    #: The mixer of each layer (:data:`~ai_workloads.core.parts.MIXERS`); empty: all ``full``.
    layer_types: tuple[str, ...] = ()
    sliding_window: int = 0  # W, keys a sliding layer sees
    attention_chunk: int = 0  # C, tokens of a chunked layer's chunk
    latent: LatentAttention | None = None  # MLA replaces q, k, v on every attention layer
    deltanet: DeltaNet | None = None  # the shape of ``linear`` layers
    mamba: Mamba2 | None = None  # the shape of ``mamba`` layers
    #: Layers whose MLP is an MoE; ``None``: every layer when ``n_experts > 1``.
    moe_layers: tuple[int, ...] | None = None
    dense_d_ff: int = 0  # width of an MoE model's dense layers (0: d_ff)
    shared_d_ff: int = 0  # width of an MoE layer's shared experts together (0: none)
    shared_expert_gate: bool = False  # a sigmoid gate D -> 1 on the shared expert (Qwen2-MoE)
    router_bias: bool = False
    expert_bias: bool = False
    qk_norm: Literal["none", "head", "full"] = "none"  # per head width (Qwen3) or N·H (OLMo 2)
    #: ``pre``: a norm before each sub-layer; ``sandwich``: also after each (Gemma 2/3);
    #: ``post``: after each only (OLMo 2); ``parallel``: one norm, attention and MLP side by
    #: side (Cohere).
    norm_layout: Literal["pre", "sandwich", "post", "parallel"] = "pre"
    norm_bias: bool = True  # a LayerNorm's bias (Cohere's LayerNorm has none)
    attention_sinks: bool = False  # one learned logit per head (gpt-oss)
    attn_output_gate: bool = False  # q_proj also yields a gate on the output (Qwen3-Next)
    text_of: str = ""  # the multimodal model_type whose text model this is

    def __post_init__(self) -> None:
        for field in ("d_model", "n_layers", "n_heads", "n_kv_heads", "head_dim", "d_ff",
                      "vocab_size", "max_position", "n_experts", "experts_per_token"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise WorkloadError(
                    f"{self.name}: {field} must be a positive integer, got {value!r}")
        if self.type_vocab_size < 0:
            raise WorkloadError(f"{self.name}: type_vocab_size must be >= 0")
        if self.n_heads % self.n_kv_heads:
            raise WorkloadError(
                f"{self.name}: num_attention_heads ({self.n_heads}) must be divisible by "
                f"num_key_value_heads ({self.n_kv_heads})")
        if self.experts_per_token > self.n_experts:
            raise WorkloadError(
                f"{self.name}: experts per token ({self.experts_per_token}) exceeds the "
                f"number of experts ({self.n_experts})")
        if self.norm not in ("rms", "layer"):
            raise WorkloadError(f"{self.name}: norm must be 'rms' or 'layer', got {self.norm!r}")
        if self.positions not in ("rope", "learned", "none"):
            raise WorkloadError(
                f"{self.name}: positions must be 'rope', 'learned' or 'none', "
                f"got {self.positions!r}")
        check_layers(self)

    @property
    def group_size(self) -> int:
        """Query heads per KV head, ``N / K`` (1 for MHA, ``N`` for MQA)."""
        return self.n_heads // self.n_kv_heads

    @property
    def is_moe(self) -> bool:
        """True when the MLP is a mixture of experts."""
        return self.n_experts > 1

    @property
    def attention_kind(self) -> str:
        """``"MHA"``, ``"GQA"`` or ``"MQA"``.

        >>> from ai_workloads.catalog import get_model
        >>> get_model("llama-2-70b").attention_kind
        'GQA'
        """
        if self.n_kv_heads == self.n_heads:
            return "MHA"
        return "MQA" if self.n_kv_heads == 1 else "GQA"

    @property
    def q_dim(self) -> int:
        """Width of all query heads together, ``N·H`` (equals D unless head_dim differs)."""
        return self.n_heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        """Width of all key (or value) heads together, ``K·H``."""
        return self.n_kv_heads * self.head_dim

    @property
    def layer_kinds(self) -> tuple[LayerKind, ...]:
        """What each layer is: its mixer and whether its MLP is an MoE.

        >>> from ai_workloads.catalog import get_model
        >>> get_model("mixtral-8x7b").layer_kinds[0]
        LayerKind(mixer='full', moe=True)
        """
        return layer_kinds(self)

    @property
    def layer_groups(self) -> tuple[tuple[LayerKind, int], ...]:
        """Each kind of layer with how many layers are of it, in order of first appearance.

        >>> from ai_workloads.catalog import get_model
        >>> get_model("llama-2-7b").layer_groups
        ((LayerKind(mixer='full', moe=False), 32),)
        """
        counts: dict[LayerKind, int] = {}
        for kind in self.layer_kinds:
            counts[kind] = counts.get(kind, 0) + 1
        return tuple(counts.items())

    @property
    def uniform(self) -> bool:
        """True when every layer is of one kind (dense models, Mixtral, Mistral's windows)."""
        return len(self.layer_groups) == 1

    def layer_share(self, mixer: str) -> float:
        """The fraction of the layers whose mixer is ``mixer``.

        >>> from ai_workloads.catalog import get_model
        >>> get_model("gemma-2-9b").layer_share("full")
        0.5
        """
        return sum(1 for kind in self.layer_kinds if kind.mixer == mixer) / self.n_layers

    @property
    def plain_layers(self) -> bool:
        """True when every layer has a plain decoder's weights: q, k, v and o, a norm before
        each sub-layer, and one dense MLP or one MoE of routed experts (windows allowed).

        >>> from ai_workloads.catalog import get_model
        >>> get_model("mistral-7b").plain_layers, get_model("deepseek-v3").plain_layers
        (True, False)
        """
        return (self.uniform and self.layer_kinds[0].mixer in ("full", "sliding", "chunked")
                and self.latent is None and not self.shared_d_ff and self.qk_norm == "none"
                and self.norm_layout == "pre" and self.norm_bias and not self.attention_sinks
                and not self.attn_output_gate and not self.router_bias
                and not self.expert_bias)

    def window(self, mixer: str) -> int:
        """Keys a query of a ``mixer`` layer can see at most: ``W`` (sliding), ``C``
        (chunked), 0 for no limit.

        >>> from ai_workloads.catalog import get_model
        >>> get_model("mistral-7b").window("sliding")
        4096
        """
        return {"sliding": self.sliding_window, "chunked": self.attention_chunk}.get(mixer, 0)

    def replace(self, **changes: Any) -> TransformerConfig:
        """A copy with some fields changed, validated again.

        >>> from ai_workloads.catalog import get_model
        >>> get_model("llama-2-70b").replace(n_kv_heads=64).attention_kind
        'MHA'
        """
        layers = changes.get("n_layers", self.n_layers)
        if layers != self.n_layers and self.uniform:  # a plan of one kind stretches with L
            if "layer_types" not in changes and self.layer_types:
                changes["layer_types"] = (self.layer_types[0],) * layers
            if "moe_layers" not in changes and self.moe_layers is not None:
                changes["moe_layers"] = tuple(range(layers)) if self.moe_layers else ()
        return dataclasses.replace(self, **changes)

    def with_mha(self) -> TransformerConfig:
        """The same model with one KV head per query head (``K = N``), as MHA would store.

        >>> from ai_workloads.catalog import get_model
        >>> get_model("llama-2-70b").with_mha().n_kv_heads
        64
        """
        return self.replace(n_kv_heads=self.n_heads)


# --------------------------------------------------------------------------- reading

def from_hf_dict(raw: Mapping[str, Any], name: str = "", where: str = "") -> TransformerConfig:
    """Build a config from the fields of a Hugging Face ``config.json``.

    Extra keys are ignored and ``null`` values count as absent. A multimodal config (Gemma 3,
    Llama 4) gives its text model, read from ``text_config`` (``text_of`` says so). ``name``
    defaults to the config's ``_name_or_path`` or its ``model_type``; ``where`` names the
    source in errors.

    >>> gpt2 = from_hf_dict({"model_type": "gpt2", "n_embd": 768, "n_layer": 12,
    ...     "n_head": 12, "n_inner": None, "vocab_size": 50257, "n_positions": 1024})
    >>> gpt2.d_ff, gpt2.tied_embeddings, gpt2.positions
    (3072, True, 'learned')
    >>> from_hf_dict({"model_type": "t5"}, where="t5/config.json")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: t5/config.json: unsupported model_type 't5'; ...
    """
    where = where or name or "config"
    if not isinstance(raw, Mapping):
        raise WorkloadError(f"{where}: a config must be a JSON object")
    outer, text_of = raw, ""
    family = raw.get("model_type")
    if isinstance(family, str) and family in TEXT_MODELS:
        text_of = str(raw["model_type"])
        text = raw.get("text_config")
        if not isinstance(text, Mapping):
            raise WorkloadError(
                f"{where}: a {text_of} config needs a 'text_config' object (its text model)")
        raw = {"model_type": TEXT_MODELS[text_of], **text}
    family = raw.get("model_type")
    if not isinstance(family, str) or family not in READERS:
        shown = "missing" if family is None else f"{family!r}"
        raise WorkloadError(
            f"{where}: unsupported model_type {shown}; "
            f"supported families: {', '.join(SUPPORTED_FAMILIES)}")
    name = name or str(outer.get("_name_or_path") or family)
    fields = read_fields(family, raw, where)
    quantization = read_quantization(outer, where)
    try:
        return TransformerConfig(name=name, family=family, text_of=text_of,
                                 quantization=quantization, **fields)
    except WorkloadError as err:
        message = str(err).removeprefix(f"{name}: ")
        raise WorkloadError(f"{where}: {message}") from None


def load_config(path: str | Path, name: str | None = None) -> TransformerConfig:
    """Read a Hugging Face ``config.json`` from ``path`` (the file, or its model folder).

    >>> import json, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "config.json").write_text(json.dumps({"model_type": "mistral",
    ...     "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
    ...     "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 32000}))
    >>> load_config(folder / "config.json").n_kv_heads
    8
    >>> load_config(folder / "missing.json")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: cannot read .../missing.json: no such file
    """
    path = Path(path)
    if path.is_dir() and (path / "config.json").is_file():
        path = path / "config.json"  # a model folder, as downloaded from the Hub
    raw = read_json(path)
    default_name = path.parent.name if path.name == "config.json" else path.stem
    return from_hf_dict(raw, name=name or default_name, where=str(path))


def read_json(path: Path) -> Any:
    """Parse the JSON file at ``path``, turning every failure into a :class:`WorkloadError`.

    >>> import tempfile, pathlib
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "bad.json"
    >>> _ = bad.write_text("{oops")
    >>> read_json(bad)
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: .../bad.json is not valid JSON: ...
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WorkloadError(f"cannot read {path}: no such file") from None
    except IsADirectoryError:
        raise WorkloadError(f"cannot read {path}: it is a directory, not a file") from None
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or type(err).__name__
        raise WorkloadError(f"cannot read {path}: {reason}") from None
    return parse_json(text, str(path))


def parse_json(text: str, where: str) -> Any:
    """Parse JSON ``text`` (from ``where``, named in the error), one line if it is broken.

    >>> parse_json('{"a": 1}', "pasted text")
    {'a': 1}
    >>> parse_json('{"a": 1,', "pasted text")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: pasted text is not valid JSON: Expecting ...
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise WorkloadError(
            f"{where} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}"
        ) from None
