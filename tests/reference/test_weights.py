"""The reference model's weights: shapes by hand, sizes against the parameter formulas.

Independent sources: each family's weight shapes written out from the config, and the
parameter counts of :mod:`ai_workloads.analysis.params` (which the reference layer never
imports), for every tiny config and every catalog model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ai_workloads.analysis.params import param_counts
from ai_workloads.catalog import get_model
from ai_workloads.core.errors import WorkloadError
from ai_workloads.reference.configs import TINY_FAMILIES, tiny_config
from ai_workloads.reference.model import ReferenceModel
from ai_workloads.reference.weights import (
    WeightSpec,
    block_weights,
    check_layers,
    check_size,
    draw_weights,
    embedding_weights,
    head_weights,
    weight_nbytes,
)


def test_llama_block_shapes_by_hand() -> None:
    cfg = tiny_config("llama-gqa")   # D = 64, N·H = 64, K·H = 32, F = 128, RMSNorm, no biases
    shapes = {w.name: w.shape for w in block_weights(cfg)}
    assert shapes == {"attn_norm.weight": (64,), "q.weight": (64, 64), "k.weight": (64, 32),
                      "v.weight": (64, 32), "o.weight": (64, 64), "mlp_norm.weight": (64,),
                      "gate.weight": (64, 128), "up.weight": (64, 128), "down.weight": (128, 64)}


def test_gpt2_biases_layernorm_and_tied_head() -> None:
    cfg = tiny_config("gpt2")
    names = [w.name for w in block_weights(cfg)]
    assert names == ["attn_norm.weight", "attn_norm.bias", "q.weight", "q.bias", "k.weight",
                     "k.bias", "v.weight", "v.bias", "o.weight", "o.bias", "mlp_norm.weight",
                     "mlp_norm.bias", "up.weight", "up.bias", "down.weight", "down.bias"]
    assert [w.name for w in embedding_weights(cfg)] == ["embedding", "positions"]
    assert "lm_head.weight" not in {w.name for w in head_weights(cfg)}   # reads the table


def test_experts_carry_a_leading_e() -> None:
    cfg = tiny_config("mixtral")   # E = 4
    shapes = {w.name: w.shape for w in block_weights(cfg)}
    assert shapes["router.weight"] == (64, 4)
    assert shapes["gate.weight"] == shapes["up.weight"] == (4, 64, 128)
    assert shapes["down.weight"] == (4, 128, 64)


def test_encoder_head_has_a_pooler_and_no_lm_head() -> None:
    specs = {w.name: w for w in head_weights(tiny_config("bert"))}
    assert set(specs) == {"pooler.weight", "pooler.bias"}   # BERT has no final norm
    assert specs["pooler.weight"].kind == "matrix"


@pytest.mark.parametrize("family", TINY_FAMILIES)
def test_weights_match_parameter_counts(family: str) -> None:
    cfg = tiny_config(family)
    assert ReferenceModel(cfg).nbytes == 4 * param_counts(cfg).total
    assert ReferenceModel(cfg, dtype=np.float64, layers=1).nbytes == \
        8 * param_counts(cfg.replace(n_layers=1)).total


def test_weight_bytes_match_every_catalog_model(plain_catalog_name: str) -> None:
    cfg = get_model(plain_catalog_name)
    assert weight_nbytes(cfg) == 4 * param_counts(cfg).total
    assert weight_nbytes(cfg, layers=1, dtype=np.float16) == \
        2 * param_counts(cfg.replace(n_layers=1)).total


def test_too_large_config_is_refused_before_allocating() -> None:
    cfg = get_model("llama-2-70b")
    needed = 4 * param_counts(cfg).total
    with pytest.raises(WorkloadError, match=f"too large to instantiate.*need {needed:,} bytes"
                       ) as err:
        ReferenceModel(cfg)
    assert "\n" not in str(err.value)
    assert weight_nbytes(cfg) == needed


def test_too_large_suggests_how_many_layers_fit() -> None:
    cfg = get_model("llama-2-7b")
    counts = param_counts(cfg)
    fixed = 4 * sum(counts.model.values())
    limit = 4 * 2**30
    fit = (limit - fixed) // (4 * counts.layer_total)  # whole layers left after the embeddings
    assert fit == 4
    with pytest.raises(WorkloadError, match=r"layers=N \(CLI: --layers N\); up to 4 fit"):
        ReferenceModel(cfg, layers=5, max_bytes=limit)
    check_size(cfg, 4, np.float32, limit)   # four layers do fit: no error


def test_vocabulary_too_large_for_any_layer() -> None:
    with pytest.raises(WorkloadError, match="even 1 layer"):
        ReferenceModel(get_model("llama-3.1-405b"), layers=1)


@pytest.mark.parametrize("layers", [0, 3, True, 1.5])
def test_bad_layer_counts(layers: Any) -> None:
    with pytest.raises(WorkloadError, match="layers must be an integer from 1 to 2"):
        ReferenceModel(tiny_config("llama"), layers=layers)
    with pytest.raises(WorkloadError, match="layers must be an integer from 1 to 2"):
        check_layers(tiny_config("llama"), layers)


def test_draws_follow_the_kind_and_the_seed() -> None:
    specs = [WeightSpec("w.weight", (3, 5), "matrix"), WeightSpec("n.weight", (5,), "norm"),
             WeightSpec("b.bias", (5,), "vector")]
    drawn = draw_weights(specs, np.random.default_rng(1), np.float32, scale=0.5)
    plain = np.random.default_rng(1).standard_normal(15 + 5 + 5, dtype=np.float32) * 0.5
    np.testing.assert_array_equal(drawn["w.weight"], plain[:15].reshape(3, 5))
    np.testing.assert_array_equal(drawn["n.weight"], 1 + plain[15:20])
    np.testing.assert_array_equal(drawn["b.bias"], plain[20:])
    # [in, out] indexing over [out, in] memory: the transpose is the contiguous array
    assert drawn["w.weight"].T.flags.c_contiguous
    assert not drawn["w.weight"].flags.c_contiguous
    assert {a.dtype for a in drawn.values()} == {np.dtype(np.float32)}
    assert draw_weights(specs, np.random.default_rng(1), np.float64)["b.bias"].dtype == np.float64
