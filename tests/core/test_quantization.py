"""Quantized checkpoints: the reader of ``quantization_config`` and their weight bytes.

Every expected byte count is the sum of the tensors a real checkpoint of that layout
stores, written out here tensor by tensor (name, shape, dtype) from the layouts' own
definitions, independently of the package:

- fp8 with ``weight_block_size`` (DeepSeek-V3, transformers' FineGrainedFP8): ``weight``
  float8_e4m3 ``[out, in]`` and ``weight_scale_inv`` fp32 ``[ceil(out/128), ceil(in/128)]``.
- fp8 per tensor (vLLM's ``Fp8Config``): ``weight`` fp8 ``[out, in]``, ``weight_scale``
  fp32 ``[]``, and ``input_scale`` fp32 ``[]`` when activations are static.
- mxfp4 (gpt-oss): experts' ``*_blocks`` uint8 ``[out, in/32, 16]`` and ``*_scales`` uint8
  ``[out, in/32]``; everything else in bf16.
- AWQ (GEMM): ``qweight`` int32 ``[in, out/8]``, ``qzeros`` int32 ``[in/g, out/8]``,
  ``scales`` fp16 ``[in/g, out]``, ``bias`` fp16 kept.
- GPTQ: ``qweight`` int32 ``[in/8, out]``, ``qzeros`` int32 ``[in/g, out/8]``, ``scales``
  fp16 ``[in/g, out]``, ``g_idx`` int32 ``[in]``.
- compressed-tensors ``pack-quantized`` int4: ``weight_packed`` int32 ``[out, in/8]``,
  ``weight_scale`` in the model dtype ``[out, in/g]``, ``weight_shape`` int64 ``[2]``;
  ``float-quantized`` fp8 per channel: ``weight`` fp8 ``[out, in]``, ``weight_scale``
  ``[out, 1]`` in the model dtype.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from ai_workloads.analysis.memory import weight_bytes
from ai_workloads.analysis.params import param_counts
from ai_workloads.core.config import from_hf_dict, load_config
from ai_workloads.core.errors import WorkloadError
from ai_workloads.core.quantization import matches, read_quantization, weight_scheme

SIZE = {"fp32": 4, "int32": 4, "int64": 8, "bf16": 2, "fp16": 2, "fp8": 1, "uint8": 1}

Tensor = tuple[str, tuple[int, ...], str]


def total(tensors: list[Tensor]) -> int:
    """Bytes of a list of (name, shape, dtype): the checkpoint's safetensors payload."""
    return sum(math.prod(shape) * SIZE[dtype] for _, shape, dtype in tensors)


def ceil(a: int, b: int) -> int:
    return -(-a // b)


# --------------------------------------------------------------------------- configs

def llama3_8b(quantization: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32,
        "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
        "vocab_size": 128256, "torch_dtype": "bfloat16", **extra}
    if quantization is not None:
        raw["quantization_config"] = quantization
    return raw


def llama_linears(d: int, kv: int, f: int) -> list[tuple[str, int, int]]:
    """(module, out, in) of one Llama-style layer's linear weights."""
    return [("self_attn.q_proj", d, d), ("self_attn.k_proj", kv, d),
            ("self_attn.v_proj", kv, d), ("self_attn.o_proj", d, d),
            ("mlp.gate_proj", f, d), ("mlp.up_proj", f, d), ("mlp.down_proj", d, f)]


def unquantized(d: int, vocab: int, layers: int, dtype: str, tied: bool = False) -> list[Tensor]:
    """Embedding, norms and LM head, which every method here leaves unquantized."""
    out: list[Tensor] = [("model.embed_tokens.weight", (vocab, d), dtype),
                         ("model.norm.weight", (d,), dtype)]
    for i in range(layers):
        out += [(f"model.layers.{i}.input_layernorm.weight", (d,), dtype),
                (f"model.layers.{i}.post_attention_layernorm.weight", (d,), dtype)]
    if not tied:
        out.append(("lm_head.weight", (vocab, d), dtype))
    return out


# --------------------------------------------------------------------------- fp8

def test_fp8_block_scaled_llama_3_8b() -> None:
    # DeepSeek-V3's layout on Llama 3 8B: every linear of the blocks in fp8 e4m3 with one fp32
    # scale per 128×128 block; embeddings, norms and the LM head in bf16.
    raw = llama3_8b({"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                     "weight_block_size": [128, 128]})
    tensors = unquantized(4096, 128256, 32, "bf16")
    for i in range(32):
        for module, out, inputs in llama_linears(4096, 1024, 14336):
            tensors += [(f"model.layers.{i}.{module}.weight", (out, inputs), "fp8"),
                        (f"model.layers.{i}.{module}.weight_scale_inv",
                         (ceil(out, 128), ceil(inputs, 128)), "fp32")]
    cfg = from_hf_dict(raw)
    assert weight_scheme(cfg, "checkpoint").label == "fp8 block 128×128"
    assert weight_bytes(cfg, "checkpoint") == total(tensors)


def test_fp8_partial_blocks_and_modules_not_converted() -> None:
    # D = 320 and F = 864 leave partial 128-blocks (2.5 and 6.75); layer 0's MLP stays bf16.
    raw = {"model_type": "mistral", "hidden_size": 320, "num_hidden_layers": 2,
           "num_attention_heads": 5, "num_key_value_heads": 1, "intermediate_size": 864,
           "vocab_size": 1000, "torch_dtype": "bfloat16",
           "quantization_config": {"quant_method": "fp8", "weight_block_size": [128, 128],
                                   "modules_to_not_convert": ["model.layers.0.mlp"]}}
    tensors = unquantized(320, 1000, 2, "bf16")
    for i in range(2):
        for module, out, inputs in llama_linears(320, 64, 864):
            name = f"model.layers.{i}.{module}"
            if i == 0 and module.startswith("mlp."):
                tensors.append((f"{name}.weight", (out, inputs), "bf16"))
                continue
            tensors += [(f"{name}.weight", (out, inputs), "fp8"),
                        (f"{name}.weight_scale_inv", (ceil(out, 128), ceil(inputs, 128)),
                         "fp32")]
    assert weight_bytes(from_hf_dict(raw), "checkpoint") == total(tensors)


@pytest.mark.parametrize("static", [False, True])
def test_fp8_per_tensor_scales(static: bool) -> None:
    raw = llama3_8b({"quant_method": "fp8",
                     "activation_scheme": "static" if static else "dynamic"})
    tensors = unquantized(4096, 128256, 32, "bf16")
    for i in range(32):
        for module, out, inputs in llama_linears(4096, 1024, 14336):
            name = f"model.layers.{i}.{module}"
            tensors += [(f"{name}.weight", (out, inputs), "fp8"),
                        (f"{name}.weight_scale", (), "fp32")]
            if static:
                tensors.append((f"{name}.input_scale", (), "fp32"))
    assert weight_bytes(from_hf_dict(raw), "checkpoint") == total(tensors)


# --------------------------------------------------------------------------- mxfp4

MIXTRAL = {"model_type": "mixtral", "hidden_size": 4096, "num_hidden_layers": 32,
           "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
           "vocab_size": 32000, "num_local_experts": 8, "num_experts_per_tok": 2,
           "torch_dtype": "bfloat16"}


def test_mxfp4_experts_of_mixtral() -> None:
    # gpt-oss's layout on Mixtral 8x7B: the experts in MXFP4, attention, router, embeddings,
    # norms and head in bf16 (gpt-oss's own modules_to_not_convert patterns).
    raw = {**MIXTRAL, "quantization_config": {
        "quant_method": "mxfp4", "modules_to_not_convert": [
            "model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens",
            "lm_head"]}}
    d, f = 4096, 14336
    tensors = unquantized(d, 32000, 32, "bf16")
    for i in range(32):
        prefix = f"model.layers.{i}"
        for module, out, inputs in llama_linears(d, 1024, f)[:4]:
            tensors.append((f"{prefix}.{module}.weight", (out, inputs), "bf16"))
        tensors.append((f"{prefix}.block_sparse_moe.gate.weight", (8, d), "bf16"))
        for e in range(8):
            for w, out, inputs in (("w1", f, d), ("w3", f, d), ("w2", d, f)):
                name = f"{prefix}.block_sparse_moe.experts.{e}.{w}"
                tensors += [(f"{name}_blocks", (out, inputs // 32, 16), "uint8"),
                            (f"{name}_scales", (out, inputs // 32), "uint8")]
    cfg = from_hf_dict(raw)
    assert weight_bytes(cfg, "checkpoint") == total(tensors)
    # the plain mxfp4 format converts attention too, and so stores less
    assert weight_bytes(cfg, "mxfp4") < weight_bytes(cfg, "checkpoint")


def test_mxfp4_needs_experts() -> None:
    with pytest.raises(WorkloadError, match="quantize MoE experts"):
        from_hf_dict(llama3_8b({"quant_method": "mxfp4"}))


# --------------------------------------------------------------------------- AWQ

QWEN2_7B = {"model_type": "qwen2", "hidden_size": 3584, "num_hidden_layers": 28,
            "num_attention_heads": 28, "num_key_value_heads": 4, "intermediate_size": 18944,
            "vocab_size": 152064, "tie_word_embeddings": False, "torch_dtype": "float16"}


def awq(module: str, out: int, inputs: int, group: int = 128) -> list[Tensor]:
    return [(f"{module}.qweight", (inputs, out // 8), "int32"),
            (f"{module}.qzeros", (inputs // group, out // 8), "int32"),
            (f"{module}.scales", (inputs // group, out), "fp16")]


def test_awq_qwen2_7b() -> None:
    # Qwen/Qwen2-7B-Instruct-AWQ's quantization_config; q, k, v keep their fp16 biases.
    raw = {**QWEN2_7B, "quantization_config": {
        "bits": 4, "group_size": 128, "modules_to_not_convert": None, "quant_method": "awq",
        "version": "gemm", "zero_point": True}}
    tensors = unquantized(3584, 152064, 28, "fp16")
    for i in range(28):
        for module, out, inputs in llama_linears(3584, 512, 18944):
            tensors += awq(f"model.layers.{i}.{module}", out, inputs)
            if module in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"):
                tensors.append((f"model.layers.{i}.{module}.bias", (out,), "fp16"))
    cfg = from_hf_dict(raw)
    assert weight_scheme(cfg, "checkpoint").base == "fp16"
    assert weight_bytes(cfg, "checkpoint") == total(tensors)


def test_awq_mixtral_keeps_the_router() -> None:
    # TheBloke/Mixtral-8x7B-Instruct-v0.1-AWQ: modules_to_not_convert ["gate"], fp16 model.
    raw = {**MIXTRAL, "torch_dtype": "float16", "quantization_config": {
        "bits": 4, "group_size": 128, "modules_to_not_convert": ["gate"],
        "quant_method": "awq", "version": "gemm", "zero_point": True}}
    d, f = 4096, 14336
    tensors = unquantized(d, 32000, 32, "fp16")
    for i in range(32):
        prefix = f"model.layers.{i}"
        for module, out, inputs in llama_linears(d, 1024, f)[:4]:
            tensors += awq(f"{prefix}.{module}", out, inputs)
        tensors.append((f"{prefix}.block_sparse_moe.gate.weight", (8, d), "fp16"))
        for e in range(8):
            for w, out, inputs in (("w1", f, d), ("w3", f, d), ("w2", d, f)):
                tensors += awq(f"{prefix}.block_sparse_moe.experts.{e}.{w}", out, inputs)
    assert weight_bytes(from_hf_dict(raw), "checkpoint") == total(tensors)


# --------------------------------------------------------------------------- GPTQ

LLAMA2_7B = {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32,
             "num_attention_heads": 32, "num_key_value_heads": 32, "intermediate_size": 11008,
             "vocab_size": 32000, "torch_dtype": "float16"}


@pytest.mark.parametrize("group", [128, -1])
def test_gptq_llama2_7b(group: int) -> None:
    # TheBloke/Llama-2-7B-GPTQ's quantization_config (and its per-channel variant).
    raw = {**LLAMA2_7B, "quantization_config": {
        "bits": 4, "group_size": group, "damp_percent": 0.01, "desc_act": False,
        "sym": True, "true_sequential": True, "quant_method": "gptq"}}
    tensors = unquantized(4096, 32000, 32, "fp16")
    for i in range(32):
        for module, out, inputs in llama_linears(4096, 4096, 11008):
            groups = inputs // group if group > 0 else 1
            name = f"model.layers.{i}.{module}"
            tensors += [(f"{name}.qweight", (inputs // 8, out), "int32"),
                        (f"{name}.qzeros", (groups, out // 8), "int32"),
                        (f"{name}.scales", (groups, out), "fp16"),
                        (f"{name}.g_idx", (inputs,), "int32")]
    assert weight_bytes(from_hf_dict(raw), "checkpoint") == total(tensors)


def test_gptq_with_a_quantized_lm_head() -> None:
    raw = {**LLAMA2_7B, "quantization_config": {
        "bits": 4, "group_size": 128, "sym": True, "quant_method": "gptq", "lm_head": True}}
    plain = {**raw, "quantization_config": {**raw["quantization_config"], "lm_head": False}}
    head_fp16 = 32000 * 4096 * 2
    head_gptq = total([("lm_head.qweight", (4096 // 8, 32000), "int32"),
                       ("lm_head.qzeros", (32, 32000 // 8), "int32"),
                       ("lm_head.scales", (32, 32000), "fp16"),
                       ("lm_head.g_idx", (4096,), "int32")])
    assert (weight_bytes(from_hf_dict(plain), "checkpoint")
            - weight_bytes(from_hf_dict(raw), "checkpoint")) == head_fp16 - head_gptq


# --------------------------------------------------------------------------- compressed-tensors

MISTRAL_7B = {"model_type": "mistral", "hidden_size": 4096, "num_hidden_layers": 32,
              "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
              "vocab_size": 32000, "torch_dtype": "bfloat16"}


def compressed(weights: dict[str, Any], layout: str,
               activations: dict[str, Any] | None = None) -> dict[str, Any]:
    group: dict[str, Any] = {"targets": ["Linear"], "weights": weights}
    if activations is not None:
        group["input_activations"] = activations
    return {"quant_method": "compressed-tensors", "format": layout,
            "config_groups": {"group_0": group}, "ignore": ["lm_head"],
            "quantization_status": "compressed"}


def test_compressed_tensors_w4a16_mistral_7b() -> None:
    raw = {**MISTRAL_7B, "quantization_config": compressed(
        {"num_bits": 4, "type": "int", "symmetric": True, "strategy": "group",
         "group_size": 128, "dynamic": False}, "pack-quantized")}
    tensors = unquantized(4096, 32000, 32, "bf16")
    for i in range(32):
        for module, out, inputs in llama_linears(4096, 1024, 14336):
            name = f"model.layers.{i}.{module}"
            tensors += [(f"{name}.weight_packed", (out, inputs // 8), "int32"),
                        (f"{name}.weight_scale", (out, inputs // 128), "bf16"),
                        (f"{name}.weight_shape", (2,), "int64")]
    assert weight_bytes(from_hf_dict(raw), "checkpoint") == total(tensors)


def test_compressed_tensors_fp8_dynamic_llama_3_8b() -> None:
    # FP8 weights per output channel, activations quantized per token at run time.
    raw = llama3_8b(compressed(
        {"num_bits": 8, "type": "float", "symmetric": True, "strategy": "channel",
         "dynamic": False},
        "float-quantized",
        {"num_bits": 8, "type": "float", "symmetric": True, "strategy": "token",
         "dynamic": True}))
    tensors = unquantized(4096, 128256, 32, "bf16")
    for i in range(32):
        for module, out, inputs in llama_linears(4096, 1024, 14336):
            name = f"model.layers.{i}.{module}"
            tensors += [(f"{name}.weight", (out, inputs), "fp8"),
                        (f"{name}.weight_scale", (out, 1), "bf16")]
    cfg = from_hf_dict(raw)
    assert weight_bytes(cfg, "checkpoint") == total(tensors)
    assert weight_scheme(cfg, "checkpoint").compute_dtype({"bf16", "fp8"}) == "fp8"


def test_compressed_tensors_w8a8_int8_static() -> None:
    # int8 weights per channel and a static per-tensor input scale: computes in int8.
    raw = llama3_8b(compressed(
        {"num_bits": 8, "type": "int", "symmetric": True, "strategy": "channel"},
        "int-quantized",
        {"num_bits": 8, "type": "int", "symmetric": True, "strategy": "tensor",
         "dynamic": False}))
    tensors = unquantized(4096, 128256, 32, "bf16")
    for i in range(32):
        for module, out, inputs in llama_linears(4096, 1024, 14336):
            name = f"model.layers.{i}.{module}"
            tensors += [(f"{name}.weight", (out, inputs), "fp8"),    # one byte, as int8
                        (f"{name}.weight_scale", (out, 1), "bf16"),
                        (f"{name}.input_scale", (1,), "bf16")]
    cfg = from_hf_dict(raw)
    assert weight_bytes(cfg, "checkpoint") == total(tensors)
    assert weight_scheme(cfg, "checkpoint").compute_dtype({"bf16", "int8"}) == "int8"


# --------------------------------------------------------------------------- the reader

def test_no_quantization_config_is_unquantized() -> None:
    cfg = from_hf_dict(llama3_8b())
    assert cfg.quantization is None
    assert weight_bytes(cfg, "checkpoint") == 2 * param_counts(cfg).total


def test_load_config_reads_it_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(llama3_8b(
        {"quant_method": "fp8", "weight_block_size": [128, 128]})))
    cfg = load_config(tmp_path)
    assert cfg.quantization is not None
    assert cfg.quantization.method == "fp8"


BAD = [
    ({"quant_method": "bitsandbytes"}, "quant_method 'bitsandbytes' is not supported; "
     "supported methods: fp8, mxfp4, awq, gptq, compressed-tensors"),
    ({"bits": 4}, "quant_method None is not supported"),
    ("fp8", "must be a JSON object"),
    ({"quant_method": "fp8", "weight_block_size": [128]}, "two positive integers"),
    ({"quant_method": "fp8", "weight_block_size": [128, 128], "activation_scheme": "static"},
     "dynamically"),
    ({"quant_method": "fp8", "fmt": "e3m4"}, "encoding"),
    ({"quant_method": "awq", "bits": 3, "group_size": 128}, "4-bit GEMM"),
    ({"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemv"}, "4-bit GEMM"),
    ({"quant_method": "gptq", "bits": 2, "group_size": 128}, "4 or 8 bits"),
    ({"quant_method": "gptq", "bits": 4, "group_size": 0}, "group_size"),
    ({"quant_method": "gptq", "bits": 4, "checkpoint_format": "marlin"}, "marlin"),
    ({"quant_method": "awq", "bits": 4, "modules_to_not_convert": "gate"}, "list of module"),
    ({"quant_method": "compressed-tensors", "config_groups": {}}, "exactly one config group"),
    (compressed({"num_bits": 4, "type": "int", "symmetric": False, "strategy": "group",
                 "group_size": 128}, "pack-quantized"), "symmetric"),
    (compressed({"num_bits": 4, "type": "float", "strategy": "group", "group_size": 16},
                "nvfp4-pack-quantized"), "float 4 bits"),
    (compressed({"num_bits": 8, "type": "int", "strategy": "token"}, "int-quantized"),
     "strategy 'token'"),
    (compressed({"num_bits": 4, "type": "int", "strategy": "group", "group_size": 128},
                "int-quantized"), "not stored as 'int-quantized'"),
]


@pytest.mark.parametrize(("qc", "message"), BAD)
def test_bad_quantization_configs_fail_in_one_line(qc: Any, message: str) -> None:
    raw = llama3_8b(qc)
    with pytest.raises(WorkloadError) as err:
        from_hf_dict(raw, where="m/config.json")
    text = str(err.value)
    assert text.startswith("m/config.json: quantization_config: ")
    assert message in text
    assert "\n" not in text


def test_families_without_tensor_names_are_refused() -> None:
    raw = {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12,
           "vocab_size": 50257, "n_positions": 1024,
           "quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 128}}
    with pytest.raises(WorkloadError, match="model_type 'gpt2' are not read yet"):
        from_hf_dict(raw)


def test_pattern_matching_follows_transformers_and_compressed_tensors() -> None:
    name = "model.layers.12.self_attn.k_proj"
    assert matches(name, ["k_proj"])                       # contained in the name
    assert matches(name, ["model.layers.*.self_attn"])     # a regular expression from the start
    assert matches(name, ["re:.*self_attn.(k|v)_proj$"])   # compressed-tensors' "re:" prefix
    assert not matches(name, ["re:self_attn"])             # "re:" matches from the start only
    assert not matches(name, ["lm_head", "mlp"])
    assert not matches(name, ["model.layers.[0-9"])        # a broken expression names nothing


def test_read_quantization_alone() -> None:
    assert read_quantization({"model_type": "llama"}) is None
    scheme = read_quantization(llama3_8b({"quant_method": "gptq", "bits": 8,
                                          "group_size": 128}))
    assert scheme is not None
    assert scheme.weights.name == "int8-g128"
    assert scheme.weights.index_bits == 32
