"""Traced counts of the reference model equal the formulas of ai_workloads.analysis.flops.

The tracer counts FLOPs and bytes from the arrays the model really multiplied; the formulas
count them from the config alone. Holding them equal, op by op, checks both.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ai_workloads.analysis.flops import decode_flops, op_flops, prefill_flops
from ai_workloads.analysis.memory import kv_cache_bytes
from ai_workloads.analysis.params import param_counts
from ai_workloads.analysis.scaling import (
    decode_flops_curve,
    per_layer_ops,
)
from ai_workloads.catalog import get_model
from ai_workloads.core.config import TransformerConfig
from ai_workloads.core.errors import WorkloadError
from ai_workloads.reference.configs import TINY_FAMILIES, tiny_config
from ai_workloads.reference.tracer import Trace, TracedOp, matmul_op_flops, trace_forward

DECODERS = [f for f in TINY_FAMILIES if not tiny_config(f).encoder]
WEIGHT_MATMULS = ("q", "k", "v", "o", "router", "gate", "up", "down", "lm_head", "pooler")


def nonzero(ops: dict[str, int], batch: int) -> dict[str, int]:
    return {name: batch * flops for name, flops in ops.items() if flops}


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("family", TINY_FAMILIES)
def test_prefill_ops_equal_formula(family: str, batch: int) -> None:
    cfg = tiny_config(family)
    trace = trace_forward(cfg, prefill=7, batch=batch)
    assert trace.flops_by_name() == nonzero(op_flops(cfg, 7, 7), batch)
    assert trace.matmul_flops == prefill_flops(cfg, 7, batch=batch)
    assert (trace.mode, trace.tokens, trace.context, trace.batch) == ("prefill", 7, 7, batch)


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("family", DECODERS)
def test_decode_ops_equal_formula(family: str, batch: int) -> None:
    cfg = tiny_config(family)
    trace = trace_forward(cfg, context=11, batch=batch)
    assert trace.flops_by_name() == nonzero(op_flops(cfg, 1, 11), batch)
    assert trace.matmul_flops == decode_flops(cfg, 11, batch=batch)
    assert (trace.mode, trace.tokens, trace.context) == ("decode", 1, 11)


def test_formula_by_name_independent_count() -> None:
    cfg = tiny_config("llama-gqa")
    trace = trace_forward(cfg, prefill=5, batch=3)
    by_name = nonzero(op_flops(cfg, trace.tokens, trace.context), trace.batch)
    d, layers, t, b = cfg.d_model, cfg.n_layers, 5, 3
    assert by_name["k"] == b * layers * 2 * t * d * cfg.n_kv_heads * cfg.head_dim
    assert by_name["lm_head"] == b * 2 * t * d * cfg.vocab_size
    assert by_name == trace.flops_by_name()


def test_decode_from_an_empty_cache() -> None:
    cfg = tiny_config("llama-gqa")
    assert trace_forward(cfg, context=1).matmul_flops == decode_flops(cfg, 1)


def test_long_context_fills_the_cache_in_chunks() -> None:
    cfg = tiny_config("llama-mqa", max_position=4096)
    trace = trace_forward(cfg, context=1100)  # prefix filled in three chunks
    scores = [op for op in trace.ops if op.name == "scores"]
    assert all(op.input_shapes[1][-1] == 1100 for op in scores)  # S keys, own included
    assert trace.matmul_flops == decode_flops(cfg, 1100)


def test_closed_form_attention_core() -> None:
    # Hand count for tiny llama-gqa (L=2, N=4, H=16): scores = 2·L·B·N·H·T·S.
    trace = trace_forward(tiny_config("llama-gqa"), prefill=5, batch=2)
    assert trace.flops_by_name()["scores"] == 2 * 2 * 2 * 4 * 16 * 5 * 5
    assert trace.flops_by_name()["attn_v"] == 2 * 2 * 2 * 4 * 16 * 5 * 5


@pytest.mark.parametrize("family", ["llama-gqa", "mixtral", "gpt2", "bert"])
def test_fewer_layers_equal_formula_for_fewer_layers(family: str) -> None:
    cfg = tiny_config(family, n_layers=3)
    trace = trace_forward(cfg, prefill=4, layers=2)
    assert trace.layers_traced == 2
    assert trace.flops_by_name() == nonzero(op_flops(cfg.replace(n_layers=2), 4, 4), 1)
    assert set(trace.by_layer()) == {0, 1, None}


@pytest.mark.parametrize(("tokens", "batch"), [(1, 1), (9, 1), (6, 4)])
def test_moe_runs_k_experts_per_token(tokens: int, batch: int) -> None:
    cfg = tiny_config("mixtral", n_experts=5, experts_per_token=2)
    trace = trace_forward(cfg, prefill=tokens, batch=batch, seed=tokens)
    for layer in range(cfg.n_layers):
        gates = [op for op in trace.ops if op.name == "gate" and op.layer == layer]
        rows = [op.input_shapes[0][0] for op in gates]  # tokens this expert received
        assert sum(rows) == 2 * tokens * batch
        assert all(r > 0 for r in rows)  # an expert no token chose is not run
        assert len({op.expert for op in gates}) == len(gates)
        for op in gates:
            assert op.flops == 2 * op.input_shapes[0][0] * cfg.d_model * cfg.d_ff
    assert trace.flops_by_name()["up"] == nonzero(op_flops(cfg, tokens, tokens), batch)["up"]


def prod(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


@pytest.mark.parametrize("family", TINY_FAMILIES)
def test_matmul_bytes_are_operand_sizes(family: str) -> None:
    trace = trace_forward(tiny_config(family), prefill=3, batch=2)
    for op in trace.ops:
        if op.kind != "matmul":
            continue
        a, b = op.input_shapes
        assert op.bytes_read == 4 * (prod(a) + prod(b))
        assert op.bytes_written == 4 * prod(op.output_shape)
        assert op.weight_bytes == (4 * prod(b) if op.name in WEIGHT_MATMULS else 0)


def weight_matrix_shape(cfg: TransformerConfig, name: str) -> tuple[int, int]:
    d, f = cfg.d_model, cfg.d_ff
    return {"q": (d, cfg.q_dim), "k": (d, cfg.kv_dim), "v": (d, cfg.kv_dim), "o": (cfg.q_dim, d),
            "router": (d, cfg.n_experts), "gate": (d, f), "up": (d, f), "down": (f, d),
            "lm_head": (d, cfg.vocab_size), "pooler": (d, d)}[name]


@pytest.mark.parametrize("family", TINY_FAMILIES)
def test_weight_operands_have_the_config_shapes(family: str) -> None:
    cfg = tiny_config(family)
    trace = trace_forward(cfg, prefill=2)
    for op in trace.ops:
        if op.name in WEIGHT_MATMULS:
            assert op.input_shapes[1] == weight_matrix_shape(cfg, op.name)


@pytest.mark.parametrize("family", DECODERS)
def test_decode_reads_every_active_weight_once(family: str) -> None:
    """One decode token reads each active parameter once; embedding tables only by row."""
    cfg = tiny_config(family)
    counts = param_counts(cfg)
    parts = counts.by_component()
    tables = parts["embedding"] + parts["positions"] + parts["token_types"]
    tied_head = cfg.vocab_size * cfg.d_model if cfg.tied_embeddings else 0  # reads the table
    expected = 4 * (counts.active - tables + tied_head)
    trace = trace_forward(cfg, context=6)
    read = sum(op.weight_bytes for op in trace.ops if op.kind != "gather")
    assert read == expected


@pytest.mark.parametrize("family", ["llama", "llama-gqa", "llama-mqa", "gpt2"])
def test_decode_attention_reads_the_whole_kv_cache(family: str) -> None:
    cfg = tiny_config(family)
    trace = trace_forward(cfg, context=13, batch=2)
    kv_read = sum(4 * prod(op.input_shapes[1]) for op in trace.ops
                  if op.name in ("scores", "attn_v"))
    assert kv_read == kv_cache_bytes(cfg, 13, batch=2, dtype="fp32")


def test_decode_weight_matmul_intensity() -> None:
    # Batch 1, fp32: [1, k] @ [k, n] does 2kn FLOPs and moves 4(k + kn + n) bytes.
    cfg = tiny_config("llama")
    trace = trace_forward(cfg, context=4)
    up = next(op for op in trace.ops if op.name == "up")
    k, n = cfg.d_model, cfg.d_ff
    assert up.intensity == pytest.approx(2 * k * n / (4 * (k + k * n + n)))
    assert up.intensity < 0.5


def test_a_real_catalog_shape_one_layer() -> None:
    cfg = get_model("gpt2")
    trace = trace_forward(cfg, context=16, layers=1)
    assert trace.matmul_flops == decode_flops(cfg.replace(n_layers=1), 16)
    assert trace.to_dict()["n_layers"] == 12


def test_too_large_config_points_to_layers() -> None:
    with pytest.raises(WorkloadError, match="--layers N"):
        trace_forward(get_model("llama-2-7b"), context=8)


def test_to_dict_is_json_ready() -> None:
    trace = trace_forward(tiny_config("mixtral"), context=5, batch=2)
    assert "formula_total" not in trace.to_dict()   # only a caller that counted it adds it
    data = json.loads(json.dumps(trace.to_dict(decode_flops(trace.config, 5, batch=2))))
    for key in ("total", "ops", "by_name", "by_kind", "by_layer", "model", "mode", "tokens",
                "context", "layers_traced", "formula_total"):
        assert key in data
    assert data["total"] == data["formula_total"] == decode_flops(trace.config, 5, batch=2)
    assert data["mode"] == "decode"
    assert len(data["ops"]) == len(trace.ops)
    assert sum(v["flops"] for v in data["by_name"].values()) == data["all_flops"]
    assert data["by_kind"]["matmul"]["flops"] == data["total"]


def test_groupings_add_up() -> None:
    trace = trace_forward(tiny_config("qwen2"), prefill=6)
    assert sum(trace.by_layer().values()) == trace.matmul_flops
    assert trace.flops_by_kind()["matmul"] == trace.matmul_flops
    assert sum(trace.flops_by_name(kind=None).values()) == sum(op.flops for op in trace.ops)
    assert set(trace.flops_by_kind()) <= {"matmul", "elementwise", "reduction", "gather", "copy"}


def test_traced_op_intensity() -> None:
    op = TracedOp("x", "elementwise", None, ((4,),), (4,), "float32", flops=4, bytes_read=16,
                  bytes_written=16)
    assert op.intensity == 4 / 32
    assert TracedOp("y", "copy", None, (), (0,), "float32", 0, 0, 0).intensity == 0.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "exactly one"),
    ({"prefill": 4, "context": 4}, "exactly one"),
    ({"prefill": 0}, "prefill must be a positive integer"),
    ({"context": 4, "batch": 0}, "batch must be a positive integer"),
    ({"prefill": 65}, "64 learned positions"),
])
def test_bad_requests(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(WorkloadError, match=message):
        trace_forward(tiny_config("gpt2"), **kwargs)  # type: ignore[arg-type]


def test_encoders_have_no_decode_trace() -> None:
    with pytest.raises(WorkloadError, match="encoder"):
        trace_forward(tiny_config("bert"), context=4)


def test_matmul_cost_is_two_flops_per_multiply_add() -> None:
    # [3, 5] @ [5, 7]: 21 outputs, each 5 multiplies and 5 adds (the last add into zero).
    assert matmul_op_flops(outputs=3 * 7, inner=5) == 2 * 3 * 5 * 7 == 210
    assert isinstance(trace_forward(tiny_config("llama"), context=2), Trace)


def test_float64_trace_doubles_bytes() -> None:
    cfg = tiny_config("llama")
    t32 = trace_forward(cfg, context=5)
    t64 = trace_forward(cfg, context=5, dtype=np.float64)
    assert t64.matmul_flops == t32.matmul_flops
    assert t64.weight_bytes == 2 * t32.weight_bytes
    assert {op.dtype for op in t64.ops} == {"float64"}


@pytest.mark.parametrize("family", ["llama", "llama-gqa", "gemma", "mixtral", "gpt2"])
def test_per_layer_ops_match_the_traced_reference_model(family: str) -> None:
    cfg = tiny_config(family)
    context = 9
    traced = trace_forward(cfg, context=context).flops_by_name()
    ops = per_layer_ops(cfg, context)
    for name in ("q", "k", "v", "scores", "attn_v", "o", "up", "down"):
        assert ops[name] * cfg.n_layers == traced[name], name


@pytest.mark.parametrize("family", ["llama-gqa", "qwen2", "mixtral"])
def test_curve_matches_the_traced_reference_model(family: str) -> None:
    cfg = tiny_config(family)
    contexts = [1, 5, 17]
    curve = decode_flops_curve(cfg, contexts)
    traced = [trace_forward(cfg, context=s).matmul_flops for s in contexts]
    assert curve.total.tolist() == traced

