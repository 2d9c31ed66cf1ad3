"""Which format each stored tensor of a model is in: :class:`WeightScheme`.

A plain ``dtype`` such as ``"bf16"`` stores every tensor alike. A quantized format (``"fp8"``,
``"int4"``, ``"nvfp4"``, ...) stores the linear weights of the blocks (attention projections,
MLP and expert matrices) in it and keeps norms, biases, embeddings, the LM head and MoE
routers in bf16, as quantized checkpoints do. A checkpoint's own ``quantization_config``
(read by :func:`read_quantization`) says the same per tensor; ``dtype="checkpoint"`` asks
for it.

>>> s = scheme_for("int4")
>>> s.format_of("model.layers.0.mlp.up_proj", "mlp").name, s.format_of("lm_head", "lm_head").name
('int4', 'bf16')
>>> read_quantization({"model_type": "llama", "quantization_config": {
...     "quant_method": "fp8", "weight_block_size": [128, 128]}}).label
'fp8 block 128×128'
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .dtypes import compute_dtype
from .errors import WorkloadError
from .formats import (
    KV_FORMATS,
    SCALE_BITS,
    Format,
    check_kv_format,
    fp8_format,
    int_format,
    plain_format,
    weight_format,
)

if TYPE_CHECKING:
    from .config import TransformerConfig

#: The ``dtype`` that means "as the checkpoint stores them" (its ``quantization_config``).
AS_STORED = "checkpoint"

#: What a stored tensor is for; a scheme quantizes the roles in its ``targets``.
ROLES: tuple[str, ...] = ("attention", "mlp", "experts", "router", "lm_head", "embedding",
                          "norm", "pooler")

#: Roles a quantized format converts unless a checkpoint says otherwise.
BLOCK_LINEARS: frozenset[str] = frozenset({"attention", "mlp", "experts"})

#: Roles that are ``nn.Linear`` modules (what compressed-tensors' ``"Linear"`` targets).
LINEARS: frozenset[str] = BLOCK_LINEARS | {"router", "lm_head", "pooler"}

#: ``quant_method`` values :func:`read_quantization` understands.
METHODS: tuple[str, ...] = ("fp8", "mxfp4", "awq", "gptq", "compressed-tensors")

#: Families whose checkpoint tensor names are not modelled (their quantized checkpoints are
#: not read).
UNNAMED_FAMILIES: tuple[str, ...] = ("gpt2", "bert")


def matches(module: str, patterns: Collection[str]) -> bool:
    """Whether ``module`` is named by one of ``patterns``, as transformers and
    compressed-tensors read ``modules_to_not_convert`` and ``ignore``.

    A pattern names a module when it occurs in the module's name, or matches it from the
    start as a regular expression (``"model.layers.*.self_attn"``); ``"re:..."`` is a regular
    expression only.

    >>> matches("model.layers.3.self_attn.q_proj", ["model.layers.*.self_attn"])
    True
    >>> matches("lm_head", ["re:.*mlp.gate$"]), matches("model.layers.0.mlp.gate", ["re:.*gate$"])
    (False, True)
    """
    for pattern in patterns:
        if pattern.startswith("re:"):
            if re.match(pattern[3:], module):
                return True
            continue
        if pattern in module:
            return True
        try:
            if re.match(pattern, module):
                return True
        except re.error:
            continue
    return False


@dataclass(frozen=True, slots=True)
class WeightScheme:
    """The format of every stored tensor: ``weights`` for the converted ones, ``base``
    (a plain format) for the rest.

    A weight is converted when its role is in ``targets``, its module matches ``only``
    (when given) and matches none of ``keep``. ``activations`` is the format a checkpoint
    quantizes the linear layers' inputs to (W8A8), ``None`` for weight-only.

    >>> s = WeightScheme(weight_format("fp8-b128"), keep=("model.layers.0.",))
    >>> s.format_of("model.layers.0.mlp.up_proj", "mlp").name
    'bf16'
    >>> s.format_of("model.layers.1.mlp.up_proj", "mlp").name
    'fp8-b128'
    >>> s.format_of("model.layers.1.mlp.up_proj", "mlp", param="bias").name
    'bf16'
    >>> s.compute_dtype({"bf16", "fp8"}), s.compute_dtype({"bf16"})
    ('fp8', 'bf16')
    """

    weights: Format
    base: str = "bf16"
    targets: frozenset[str] = BLOCK_LINEARS
    keep: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    activations: str | None = None
    method: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        plain_format(self.base)
        unknown = set(self.targets) - set(ROLES)
        if unknown:
            raise WorkloadError(f"unknown tensor roles {sorted(unknown)}; roles: "
                                f"{', '.join(ROLES)}")
        if not self.label:
            object.__setattr__(self, "label", self.weights.label)

    @property
    def quantized(self) -> bool:
        """True when some tensors are stored in a format with scales."""
        return not self.weights.plain

    def format_of(self, module: str, role: str, param: str = "weight") -> Format:
        """The format the tensor ``param`` of ``module`` (of ``role``) is stored in."""
        if (param == "weight" and role in self.targets and not matches(module, self.keep)
                and (not self.only or matches(module, self.only))):
            return self.weights
        return plain_format(self.base)

    def compute_dtype(self, peaks: Collection[str]) -> str:
        """The compute format by :func:`ai_workloads.core.dtypes.compute_dtype`."""
        return compute_dtype(self.weights.values, peaks, self.activations)


def scheme_for(dtype: str) -> WeightScheme:
    """The scheme of a ``dtype`` name: plain formats store everything alike, quantized ones
    the blocks' linear weights (see the module docstring).

    >>> scheme_for("fp16").format_of("model.norm", "norm").name
    'fp16'
    >>> scheme_for("nvfp4").targets == BLOCK_LINEARS
    True
    """
    fmt = weight_format(dtype)
    if fmt.plain:
        return WeightScheme(fmt, base=fmt.name, targets=frozenset(ROLES))
    return WeightScheme(fmt)


def weight_scheme(cfg: TransformerConfig, dtype: str) -> WeightScheme:
    """The scheme ``dtype`` means for ``cfg``: ``"checkpoint"`` is the config's own
    ``quantization_config`` (bf16 throughout when it has none), any other name
    :func:`scheme_for`.

    >>> from ai_workloads.catalog import get_model
    >>> weight_scheme(get_model("llama-2-7b"), "checkpoint").label
    'bf16'
    """
    if dtype == AS_STORED:
        stored = cfg.quantization
        return stored if stored is not None else scheme_for("bf16")
    return scheme_for(dtype)


def kv_format(cfg: TransformerConfig, kv_dtype: str | None, dtype: str) -> str:
    """The KV-cache format: ``kv_dtype`` when given, else the weights' unquantized format
    (the format of their norms and embeddings: bf16 for every quantized format).

    >>> from ai_workloads.catalog import get_model
    >>> cfg = get_model("llama-2-7b")
    >>> kv_format(cfg, None, "fp16"), kv_format(cfg, None, "int4"), kv_format(cfg, "fp8", "int4")
    ('fp16', 'bf16', 'fp8')
    """
    if kv_dtype is not None and kv_dtype != AS_STORED:
        return check_kv_format(kv_dtype)
    base = weight_scheme(cfg, dtype).base
    return base if base in KV_FORMATS else "fp32"


# --------------------------------------------------------------------------- reading


_TORCH_DTYPES = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32", "half": "fp16",
                 "float": "fp32"}


class _Config:
    """Reads one ``quantization_config``, naming the file and key in every error."""

    def __init__(self, raw: Mapping[str, Any], where: str) -> None:
        self.raw = raw
        self.where = where

    def fail(self, message: str) -> WorkloadError:
        return WorkloadError(f"{self.where}: quantization_config: {message}")

    def get(self, key: str, default: Any = None) -> Any:
        value = self.raw.get(key)
        return default if value is None else value

    def integer(self, key: str, default: int | None = None) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"'{key}' must be an integer, got {value!r}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"'{key}' must be true or false, got {value!r}")
        return value

    def names(self, key: str) -> tuple[str, ...]:
        value = self.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"'{key}' must be a list of module names, got {value!r}")
        return tuple(value)

    def group(self, key: str) -> int | None:
        group = self.integer(key, -1)
        if group == -1:
            return None
        if group <= 0:
            raise self.fail(f"'{key}' must be positive or -1 (one group per row), got {group}")
        return group


def _base(raw: Mapping[str, Any], default: str) -> str:
    name = raw.get("torch_dtype") or raw.get("dtype")
    return _TORCH_DTYPES.get(str(name), default) if name else default


def read_quantization(raw: Mapping[str, Any], where: str = "config") -> WeightScheme | None:
    """The :class:`WeightScheme` of a ``config.json``'s ``quantization_config`` (``None``
    when it has none).

    ``quant_method`` may be ``fp8`` (fp8 e4m3, one fp32 scale per tensor, or per
    ``weight_block_size`` block as DeepSeek-V3 stores it), ``mxfp4`` (MoE experts in MXFP4,
    the rest unquantized, as gpt-oss), ``awq``, ``gptq``, or ``compressed-tensors`` with a
    single group of int4, int8 or fp8 weights. Unquantized tensors keep the config's
    ``torch_dtype``.

    >>> s = read_quantization({"model_type": "qwen2", "torch_dtype": "float16",
    ...     "quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128,
    ...                             "zero_point": True, "version": "gemm"}})
    >>> s.weights.name, s.base
    ('int4-g128', 'fp16')
    >>> read_quantization({"model_type": "llama",
    ...     "quantization_config": {"quant_method": "bitsandbytes"}}, "x/config.json")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: x/config.json: quantization_config: quant_method ...
    """
    qc = raw.get("quantization_config")
    if qc is None:
        return None
    r = _Config(qc if isinstance(qc, Mapping) else {}, where)
    if not isinstance(qc, Mapping):
        raise r.fail("must be a JSON object")
    method = qc.get("quant_method")
    if method not in METHODS:
        raise r.fail(f"quant_method {method!r} is not supported; supported methods: "
                     f"{', '.join(METHODS)}")
    family = raw.get("model_type")
    if family in UNNAMED_FAMILIES:
        raise r.fail(f"quantized checkpoints of model_type {family!r} are not read yet "
                     "(every decoder family but gpt2 is)")
    try:
        return _scheme(r, str(method), raw)
    except WorkloadError as err:
        if str(err).startswith(r.where):
            raise
        raise r.fail(str(err)) from None


def _scheme(r: _Config, method: str, raw: Mapping[str, Any]) -> WeightScheme:
    if method == "fp8":
        return _fp8(r, _base(raw, "bf16"))
    if method == "mxfp4":
        if "num_local_experts" not in raw:
            raise r.fail("mxfp4 checkpoints quantize MoE experts; this model has none")
        return WeightScheme(weight_format("mxfp4"), _base(raw, "bf16"),
                            frozenset({"experts"}), r.names("modules_to_not_convert"),
                            method="mxfp4", label="MoE experts in MXFP4, the rest unquantized")
    if method == "awq":
        return _awq(r, _base(raw, "fp16"))
    if method == "gptq":
        return _gptq(r, _base(raw, "fp16"))
    return _compressed_tensors(r, _base(raw, "bf16"))


def _fp8(r: _Config, base: str) -> WeightScheme:
    encoding = r.get("fmt", "e4m3")
    block = r.get("weight_block_size")
    static = r.get("activation_scheme", "dynamic") == "static"
    if block is None:
        fmt = fp8_format(encoding=encoding, extra_bytes=4 if static else 0)
    else:
        if (not isinstance(block, list) or len(block) != 2
                or not all(isinstance(b, int) and not isinstance(b, bool) and b > 0
                           for b in block)):
            raise r.fail(f"'weight_block_size' must be two positive integers, got {block!r}")
        if static:
            raise r.fail("block-scaled fp8 quantizes activations dynamically, "
                         "not with activation_scheme 'static'")
        fmt = fp8_format((block[0], block[1]), encoding)
    return WeightScheme(fmt, base, keep=r.names("modules_to_not_convert"),
                        activations=fmt.values, method="fp8")


def _awq(r: _Config, base: str) -> WeightScheme:
    bits = r.integer("bits", r.get("w_bit", 4))
    version = str(r.get("version", "gemm")).lower()
    if bits != 4 or version != "gemm":
        raise r.fail(f"AWQ checkpoints are read for 4-bit GEMM layout, got {bits} bits, "
                     f"version {version!r}")
    group = r.group("group_size") if "group_size" in r.raw else r.group("q_group_size")
    fmt = int_format(4, group)
    return WeightScheme(fmt, base, keep=r.names("modules_to_not_convert"), method="awq",
                        label=f"AWQ {fmt.label}")


def _gptq(r: _Config, base: str) -> WeightScheme:
    bits = r.integer("bits")
    if r.get("checkpoint_format", "gptq") != "gptq":
        raise r.fail(f"checkpoint_format {r.get('checkpoint_format')!r} is not read; "
                     "GPTQ checkpoints are read in the 'gptq' layout")
    if bits not in (4, 8):
        raise r.fail(f"GPTQ checkpoints are read for 4 or 8 bits, got {bits}")
    fmt = int_format(bits, r.group("group_size"), index_bits=32)
    targets = BLOCK_LINEARS | ({"lm_head"} if r.flag("lm_head", False) else set())
    blocks = r.get("modules_in_block_to_quantize", [])
    only = tuple(name for part in blocks for name in (part if isinstance(part, list) else [part]))
    return WeightScheme(fmt, base, frozenset(targets), r.names("modules_to_not_convert"),
                        only, method="gptq", label=f"GPTQ {fmt.label}, g_idx per input")


def _compressed_tensors(r: _Config, base: str) -> WeightScheme:
    groups = r.get("config_groups", {})
    if not isinstance(groups, Mapping) or len(groups) != 1:
        raise r.fail("compressed-tensors checkpoints are read with exactly one config group")
    (group,) = groups.values()
    if not isinstance(group, Mapping) or group.get("targets") != ["Linear"]:
        raise r.fail("the config group must target [\"Linear\"]")
    w, a = group.get("weights"), group.get("input_activations")
    if not isinstance(w, Mapping) or not (a is None or isinstance(a, Mapping)):
        raise r.fail("the config group needs 'weights' (and optional 'input_activations')")
    args = _Config(w, r.where)
    bits, kind = args.integer("num_bits"), args.get("type", "int")
    strategy, layout = args.get("strategy", "tensor"), r.get("format", "")
    if not args.flag("symmetric", True) or args.flag("dynamic", False):
        raise r.fail("compressed-tensors weights are read when symmetric and static")
    if (kind, bits) not in (("int", 4), ("int", 8), ("float", 8)):
        raise r.fail(f"compressed-tensors weights of {kind} {bits} bits are not read "
                     "(int4, int8 or fp8)")
    if layout not in ("pack-quantized", "int-quantized", "float-quantized", "naive-quantized"):
        raise r.fail(f"compressed-tensors format {layout!r} is not read")
    if (kind != "int") if layout == "pack-quantized" else (bits != 8):
        raise r.fail(f"{kind} {bits}-bit weights are not stored as {layout!r}")
    extra = 16 if layout == "pack-quantized" else 0  # weight_shape: int64[2]
    activations = None
    if a is not None:
        act = _Config(a, r.where)
        activations = "int8" if act.get("type", "int") == "int" else "fp8"
        if act.integer("num_bits") != 8:
            raise r.fail("compressed-tensors activations are read for 8 bits")
        if not act.flag("dynamic", False):
            extra += SCALE_BITS[base] // 8  # one static input_scale per layer
    index = 32 if args.get("actorder") == "group" else 0
    values = f"int{bits}" if kind == "int" else "fp8"
    fmt = _ct_format(r, args, values, strategy, base, index, extra)
    return WeightScheme(fmt, base, LINEARS, r.names("ignore"), activations=activations,
                        method="compressed-tensors", label=f"compressed-tensors {fmt.label}")


def _ct_format(r: _Config, args: _Config, values: str, strategy: str, base: str, index: int,
               extra: int) -> Format:
    if strategy == "tensor":
        return Format(f"{values}-tensor", values, tensor_scale=base, extra_bytes=extra,
                      label=f"{values}, one {base} scale per tensor")
    if strategy == "channel":
        block, per = (1, 0), "output channel"
    elif strategy == "group":
        size = args.integer("group_size", 0)
        if size <= 0:
            raise r.fail(f"'group_size' must be a positive integer, got {size}")
        block, per = (1, size), f"group of {size}"
    elif strategy == "block":
        shape = args.get("block_structure")
        if not (isinstance(shape, list) and len(shape) == 2 and all(
                isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape)):
            raise r.fail(f"'block_structure' must be two positive integers, got {shape!r}")
        block, per = (shape[0], shape[1]), f"block of {shape[0]}×{shape[1]}"
    else:
        raise r.fail(f"compressed-tensors strategy {strategy!r} is not read "
                     "(tensor, channel, group, block)")
    return Format(f"{values}-{strategy}", values, block, base, index_bits=index,
                  extra_bytes=extra, label=f"{values}, one {base} scale per {per}")
