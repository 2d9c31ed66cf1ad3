"""The tensors a checkpoint stores: names, roles and shapes, and their bytes in a format.

Built from each layer's parts (:mod:`ai_workloads.analysis.layer_parts`), one entry per
stored tensor, shaped as PyTorch stores it (a linear weight ``[out, in]``; each MoE expert
its own matrices), and outside the layers from :mod:`ai_workloads.analysis.shapes`.
Decoder families carry their Hugging Face module names (:mod:`~ai_workloads.analysis.hf_names`),
so that a checkpoint's ``modules_to_not_convert`` or ``ignore`` patterns can name them;
Phi-3 fuses q/k/v and gate/up into one tensor each, as its checkpoints do. GPT-2 and BERT
get plain names (``layers.0.q``).

>>> from ai_workloads.catalog import get_model
>>> t = checkpoint_tensors(get_model("llama-2-7b"))
>>> [(x.name, x.role, x.shape) for x in t[1:3]]
[('model.layers.0.input_layernorm.weight', 'norm', (4096,)),
 ('model.layers.0.self_attn.q_proj.weight', 'attention', (4096, 4096))]
>>> stored_bytes(get_model("llama-2-7b"), "bf16") == 2 * 6_738_415_616
True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..core.config import TransformerConfig
from ..core.parts import LayerKind
from ..core.quantization import WeightScheme, weight_scheme
from .hf_names import module_name
from .layer_parts import layer_linears, layer_vectors
from .params import LAYER_COMPONENTS
from .shapes import Weight, model_weights

#: Role of each component of :func:`ai_workloads.analysis.params.layer_params` and
#: :func:`~ai_workloads.analysis.params.model_params`: what a quantized format does with it
#: (``attention``, ``mlp`` and ``experts`` are the blocks' linear maps it quantizes).
ROLE_OF: dict[str, str] = {
    **dict.fromkeys(("q", "k", "v", "o", "q_a", "kv_a", "kv_b", "mixer_in", "mixer_out"),
                    "attention"),
    **dict.fromkeys(("gate", "up", "down", "shared_gate", "shared_up", "shared_down"), "mlp"),
    "router": "router", "shared_router": "router",
    **dict.fromkeys(("attn_norm", "attn_out_norm", "mlp_norm", "mlp_out_norm", "final_norm",
                     "embedding_norm", "q_a_norm", "kv_a_norm", "q_norm", "k_norm",
                     "mixer_norm"), "norm"),
    **dict.fromkeys(("sinks", "conv", "mixer_params"), "vector"),
    "embedding": "embedding", "positions": "embedding", "token_types": "embedding",
    "lm_head": "lm_head", "pooler": "pooler",
}

#: Components stored as one fused tensor, by family: (fused name, parts in order).
FUSED: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "phi3": (("model.layers.{i}.self_attn.qkv_proj", ("q", "k", "v")),
             ("model.layers.{i}.mlp.gate_up_proj", ("gate", "up"))),
    "glm": (("model.layers.{i}.mlp.gate_up_proj", ("gate", "up")),),
    "glm4": (("model.layers.{i}.mlp.gate_up_proj", ("gate", "up")),),
}


@dataclass(frozen=True, slots=True)
class StoredTensor:
    """One tensor of a checkpoint: ``module.param``, what it is for, and its shape.

    >>> StoredTensor("lm_head", "weight", "lm_head", (32000, 4096)).name
    'lm_head.weight'
    """

    module: str
    param: str
    role: str
    shape: tuple[int, ...]

    @property
    def name(self) -> str:
        """The tensor's key in the checkpoint, ``module.param``."""
        return f"{self.module}.{self.param}"


def _module(cfg: TransformerConfig, component: str, layer: int | None = None,
            expert: int | None = None, index: int = 0) -> str:
    return module_name(cfg, component, layer, expert, index)


def _stored(cfg: TransformerConfig, w: Weight, layer: int | None) -> list[StoredTensor]:
    param = "bias" if w.name.startswith(("b_", "β_")) else "weight"
    shape = w.shape
    if len(shape) == 2 and ROLE_OF[w.component] != "embedding":
        shape = shape[::-1]  # shapes.py writes [inputs, outputs]; nn.Linear stores [out, in]
    return [StoredTensor(_module(cfg, w.component, layer), param, ROLE_OF[w.component], shape)]


def _layer_tensors(cfg: TransformerConfig, kind: LayerKind, layer: int) -> list[StoredTensor]:
    """One layer's tensors, component by component in :data:`LAYER_COMPONENTS` order."""
    linears = layer_linears(cfg, kind)
    vectors = layer_vectors(cfg, kind)
    out: list[StoredTensor] = []
    for component in LAYER_COMPONENTS:
        if vectors.get(component):
            param = "weight"
            out.append(StoredTensor(_module(cfg, component, layer), param,
                                    ROLE_OF[component], (vectors[component],)))
        for index, w in enumerate(w for w in linears if w.component == component):
            experts = range(w.copies) if w.copies > 1 else [None]
            for e in experts:
                module = _module(cfg, component, layer, e, index)
                role = "experts" if e is not None else ROLE_OF[component]
                out.append(StoredTensor(module, "weight", role, (w.n_out, w.n_in)))
                if w.bias:
                    out.append(StoredTensor(module, "bias", role, (w.n_out,)))
    return out


def _fuse(cfg: TransformerConfig, tensors: list[StoredTensor], layer: int) -> list[StoredTensor]:
    for fused, parts in FUSED.get(cfg.family, ()):
        names = {_module(cfg, p, layer) for p in parts}
        group = [t for t in tensors if t.module in names]
        if not group:
            continue
        first = tensors.index(group[0])
        merged = [StoredTensor(fused.format(i=layer), param, group[0].role,
                               (sum(t.shape[0] for t in same), *same[0].shape[1:]))
                  for param in dict.fromkeys(t.param for t in group)
                  for same in [[t for t in group if t.param == param]]]
        tensors = [t for t in tensors if t not in group]
        tensors[first:first] = merged
    return tensors


def _stacked(tensors: list[StoredTensor]) -> list[StoredTensor]:
    """Tensors a checkpoint stores under one name (Granite's experts as one ``input_linear``
    of every expert's gate and up) merged into one, stacked along the first axis."""
    merged: dict[tuple[str, str], StoredTensor] = {}
    for t in tensors:
        key = (t.module, t.param)
        if key in merged:
            first = merged[key]
            t = StoredTensor(t.module, t.param, first.role,
                             (first.shape[0] + t.shape[0], *first.shape[1:]))
        merged[key] = t
    return list(merged.values())


@functools.lru_cache(maxsize=64)
def checkpoint_tensors(cfg: TransformerConfig) -> tuple[StoredTensor, ...]:
    """Every tensor a checkpoint of ``cfg`` stores, in layer order, as PyTorch shapes them.

    The shapes multiply out to :func:`ai_workloads.analysis.params.param_counts` exactly.

    >>> from ai_workloads.catalog import get_model
    >>> t = checkpoint_tensors(get_model("mixtral-8x7b"))
    >>> [(x.module, x.shape) for x in t if x.module.endswith("layers.0.block_sparse_moe."
    ...                                                      "experts.7.w2")]
    [('model.layers.0.block_sparse_moe.experts.7.w2', (4096, 14336))]
    """
    outside = [t for w in model_weights(cfg) for t in _stored(cfg, w, None)]
    out = [t for t in outside if t.role == "embedding"]
    for layer, kind in enumerate(cfg.layer_kinds):
        out += _stacked(_fuse(cfg, _layer_tensors(cfg, kind, layer), layer))
    return (*out, *(t for t in outside if t.role != "embedding"))


def tensor_bytes(scheme: WeightScheme, tensor: StoredTensor) -> int:
    """Exact bytes of one stored tensor under ``scheme``, its scales included.

    >>> from ai_workloads.core.quantization import scheme_for
    >>> q = StoredTensor("model.layers.0.self_attn.q_proj", "weight", "attention", (4096, 4096))
    >>> tensor_bytes(scheme_for("fp8"), q)   # 4096² fp8 values and one fp32 scale
    16777220
    """
    return scheme.format_of(tensor.module, tensor.role, tensor.param).tensor_bytes(tensor.shape)


@functools.lru_cache(maxsize=256)
def stored_bytes(cfg: TransformerConfig, dtype: str = "bf16", role: str | None = None) -> int:
    """Exact bytes of every tensor of ``cfg`` (of ``role`` only, when given) in ``dtype``.

    ``dtype`` is a weight format (:func:`ai_workloads.core.formats.weight_format`) or
    ``"checkpoint"`` for the config's own ``quantization_config``.

    >>> from ai_workloads.catalog import get_model
    >>> stored_bytes(get_model("mixtral-8x7b"), "bf16", role="experts")   # 2·32·8·3·4096·14336
    90194313216
    """
    scheme = weight_scheme(cfg, dtype)
    return sum(tensor_bytes(scheme, t) for t in checkpoint_tensors(cfg)
               if role is None or t.role == role)
