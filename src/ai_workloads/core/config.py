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
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .errors import WorkloadError
from .quantization import WeightScheme, read_quantization

#: ``model_type`` values that :func:`from_hf_dict` understands.
SUPPORTED_FAMILIES: tuple[str, ...] = (
    "llama", "mistral", "mixtral", "qwen2", "gemma", "phi3", "gpt2", "bert",
)


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
    positions: Literal["rope", "learned"] = "rope"
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
        if self.positions not in ("rope", "learned"):
            raise WorkloadError(
                f"{self.name}: positions must be 'rope' or 'learned', got {self.positions!r}")

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

    def replace(self, **changes: Any) -> TransformerConfig:
        """A copy with some fields changed, validated again.

        >>> from ai_workloads.catalog import get_model
        >>> get_model("llama-2-70b").replace(n_kv_heads=64).attention_kind
        'MHA'
        """
        return dataclasses.replace(self, **changes)

    def with_mha(self) -> TransformerConfig:
        """The same model with one KV head per query head (``K = N``), as MHA would store.

        >>> from ai_workloads.catalog import get_model
        >>> get_model("llama-2-70b").with_mha().n_kv_heads
        64
        """
        return self.replace(n_kv_heads=self.n_heads)


# --------------------------------------------------------------------------- parsing

def _present(raw: Mapping[str, Any], key: str) -> bool:
    return key in raw and raw[key] is not None


def _family_defaults(family: str) -> dict[str, Any]:
    if family == "gemma":
        return {"tie": True, "gated": True}
    if family in ("gpt2", "bert"):
        return {"tie": True, "gated": False}
    return {"tie": False, "gated": True}


class _Reader:
    """Reads keys of one config dict, naming the file and key in every error."""

    def __init__(self, raw: Mapping[str, Any], where: str) -> None:
        self.raw = raw
        self.where = where

    def _fail(self, message: str) -> WorkloadError:
        return WorkloadError(f"{self.where}: {message}")

    def int(self, *keys: str, default: int | None = None) -> int:
        for key in keys:
            if _present(self.raw, key):
                value = self.raw[key]
                if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                    raise self._fail(f"key '{key}' must be a positive integer, got {value!r}")
                return value
        if default is not None:
            return default
        family = self.raw.get("model_type")
        raise self._fail(
            f"missing key '{keys[0]}' required for model_type '{family}' "
            f"(supported families: {', '.join(SUPPORTED_FAMILIES)})")

    def bool(self, key: str, default: bool) -> bool:
        if not _present(self.raw, key):
            return default
        value = self.raw[key]
        if not isinstance(value, bool):
            raise self._fail(f"key '{key}' must be true or false, got {value!r}")
        return value

    def float(self, key: str, default: float) -> float:
        if not _present(self.raw, key):
            return default
        value = self.raw[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(f"key '{key}' must be a number, got {value!r}")
        return float(value)

    def str(self, *keys: str, default: str) -> str:
        for key in keys:
            if _present(self.raw, key):
                return str(self.raw[key])
        return default


def from_hf_dict(raw: Mapping[str, Any], name: str = "", where: str = "") -> TransformerConfig:
    """Build a config from the fields of a Hugging Face ``config.json``.

    Extra keys are ignored and ``null`` values count as absent. ``name`` defaults to the
    config's ``_name_or_path`` or its ``model_type``; ``where`` names the source in errors.

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
    family = raw.get("model_type")
    if family not in SUPPORTED_FAMILIES:
        shown = "missing" if family is None else f"{family!r}"
        raise WorkloadError(
            f"{where}: unsupported model_type {shown}; "
            f"supported families: {', '.join(SUPPORTED_FAMILIES)}")
    assert isinstance(family, str)
    name = name or str(raw.get("_name_or_path") or family)
    r = _Reader(raw, where)
    defaults = _family_defaults(family)
    quantization = read_quantization(raw, where)

    if family == "gpt2":
        d = r.int("n_embd")
        n = r.int("n_head")
        act = r.str("activation_function", default="gelu_new")
        return _build(name, family, where, quantization=quantization,
                      d_model=d, n_layers=r.int("n_layer"), n_heads=n, n_kv_heads=n,
                      head_dim=_split_heads(d, n, where), d_ff=r.int("n_inner", default=4 * d),
                      vocab_size=r.int("vocab_size"), max_position=r.int("n_positions"),
                      gated_mlp=False, activation=act, norm="layer", positions="learned",
                      tied_embeddings=r.bool("tie_word_embeddings", True), qkv_bias=True,
                      out_bias=True, mlp_bias=True,
                      norm_eps=r.float("layer_norm_epsilon", 1e-5))
    if family == "bert":
        d = r.int("hidden_size")
        n = r.int("num_attention_heads")
        return _build(name, family, where, quantization=quantization,
                      d_model=d, n_layers=r.int("num_hidden_layers"), n_heads=n, n_kv_heads=n,
                      head_dim=_split_heads(d, n, where), d_ff=r.int("intermediate_size"),
                      vocab_size=r.int("vocab_size"),
                      max_position=r.int("max_position_embeddings"), gated_mlp=False,
                      activation=r.str("hidden_act", default="gelu"), norm="layer",
                      positions="learned", tied_embeddings=True, qkv_bias=True,
                      out_bias=True, mlp_bias=True, encoder=True,
                      type_vocab_size=r.int("type_vocab_size", default=2), pooler=True,
                      embedding_norm=True, final_norm=False,
                      norm_eps=r.float("layer_norm_eps", 1e-12))

    # Llama-style decoders: llama, mistral, mixtral, qwen2, gemma, phi3.
    d = r.int("hidden_size")
    n = r.int("num_attention_heads")
    head_dim = r.int("head_dim", default=0) if _present(raw, "head_dim") else _split_heads(
        d, n, where)
    attention_bias = r.bool("attention_bias", False)
    moe: dict[str, int] = {}
    if family == "mixtral":
        moe = {"n_experts": r.int("num_local_experts"),
               "experts_per_token": r.int("num_experts_per_tok")}
    act = r.str("hidden_activation", "hidden_act", default="silu")
    return _build(name, family, where, quantization=quantization,
                  d_model=d, n_layers=r.int("num_hidden_layers"), n_heads=n,
                  n_kv_heads=r.int("num_key_value_heads", default=n), head_dim=head_dim,
                  d_ff=r.int("intermediate_size"), vocab_size=r.int("vocab_size"),
                  max_position=r.int("max_position_embeddings", default=2048),
                  gated_mlp=defaults["gated"], activation=act, norm="rms", positions="rope",
                  tied_embeddings=r.bool("tie_word_embeddings", defaults["tie"]),
                  qkv_bias=attention_bias or family == "qwen2", out_bias=attention_bias,
                  mlp_bias=r.bool("mlp_bias", False),
                  embedding_scale=math.sqrt(d) if family == "gemma" else 1.0,
                  rope_theta=r.float("rope_theta", 10_000.0),
                  norm_eps=r.float("rms_norm_eps", 1e-6 if family == "gemma" else 1e-5),
                  **moe)


def _split_heads(d_model: int, n_heads: int, where: str) -> int:
    if d_model % n_heads:
        raise WorkloadError(
            f"{where}: hidden size {d_model} is not divisible by {n_heads} heads; "
            "give 'head_dim' explicitly")
    return d_model // n_heads


def _build(name: str, family: str, where: str, **fields: Any) -> TransformerConfig:
    try:
        return TransformerConfig(name=name, family=family, **fields)
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
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise WorkloadError(
            f"{path} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}"
        ) from None
