"""Llama's SwiGLU size rule against Meta's reference code worked by hand and against every
Llama checkpoint's published ``intermediate_size``."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ai_workloads.analysis.swiglu import (
    LLAMA_FFN_ARGS,
    classic_mlp_params,
    ffn_param_ratio,
    llama_ffn_checks,
    swiglu_hidden_size,
    swiglu_sizing,
)
from ai_workloads.catalog import get_model
from ai_workloads.core.errors import WorkloadError

D7, F7 = 4096, 11008  # Llama 2 7B, config.json


@pytest.mark.parametrize(("d_model", "multiple_of", "multiplier", "expected"), [
    (4096, 256, None, 11008),     # 8·4096/3 = 10922.7 -> 43·256
    (5120, 256, None, 13824),     # 13653 -> 54·256
    (8192, 4096, 1.3, 28672),     # int(1.3·21845) = 28398 -> 7·4096
    (4096, 1024, 1.3, 14336),     # int(1.3·10922) = 14198 -> 14·1024
    (16384, 4096, 1.2, 53248),    # int(1.2·43690) = 52428 -> 13·4096
    (2048, 256, 1.5, 8192),       # int(1.5·5461) = 8191 -> 32·256
])
def test_swiglu_hidden_size_by_hand(d_model: int, multiple_of: int, multiplier: float | None,
                                    expected: int) -> None:
    assert swiglu_hidden_size(d_model, multiple_of, multiplier) == expected


def test_rule_matches_every_llama_checkpoint() -> None:
    checks = llama_ffn_checks([get_model(name) for name in LLAMA_FFN_ARGS])
    assert [c.model for c in checks] == ["llama-2-7b", "llama-2-13b", "llama-2-70b",
                                         "llama-3-8b", "llama-3-70b", "llama-3.1-405b",
                                         "llama-3.2-1b"]
    assert all(c.matches for c in checks)
    assert [c.catalog_d_ff for c in checks] == [11008, 13824, 28672, 14336, 28672, 53248,
                                                8192]   # each checkpoint's config.json


def test_rule_check_needs_published_arguments() -> None:
    with pytest.raises(WorkloadError, match="no published multiple_of for 'gpt2'"):
        llama_ffn_checks([get_model("gpt2")])


@given(st.integers(1, 50_000), st.sampled_from([1, 8, 64, 256, 1024, 4096]))
def test_rule_rounds_up_to_the_nearest_multiple(d_model: int, multiple_of: int) -> None:
    s = swiglu_sizing(d_model, multiple_of)
    assert s.two_thirds == math.floor(8 * d_model / 3)
    assert s.d_ff % multiple_of == 0
    assert s.two_thirds <= s.d_ff < s.two_thirds + multiple_of


@given(st.integers(1, 20_000))
def test_eight_thirds_keeps_the_classic_budget(third: int) -> None:
    d = 3 * third  # 8D/3 is a whole number
    assert 3 * d * (8 * d // 3) == classic_mlp_params(d)


@pytest.mark.parametrize(("args", "message"), [
    ((0,), "d_model must be a positive integer"),
    ((4096, 0), "multiple_of must be a positive integer"),
    ((4096, 256, -1.0), "ffn_dim_multiplier must be a positive number"),
    ((4096, 256, True), "ffn_dim_multiplier must be a positive number"),
])
def test_swiglu_sizing_rejects_bad_input(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(WorkloadError, match=message):
        swiglu_sizing(*args)  # type: ignore[arg-type]


def test_ffn_param_ratio() -> None:
    assert ffn_param_ratio(get_model("llama-2-7b")) == pytest.approx(3 * F7 / (2 * 4 * D7))
    assert ffn_param_ratio(get_model("gpt2")) == pytest.approx(1.0)
