"""Where a decode step's time goes: every matmul is charged, shares by hand."""

from __future__ import annotations

import pytest

from ai_workloads.measure.decode import decode_probe_config
from ai_workloads.measure.decode_profile import DecodeProfile, profile_decode


def test_profile_decode_charges_every_matmul_of_the_step() -> None:
    tiny = decode_probe_config(2).replace(
        d_model=32, n_heads=4, n_kv_heads=2, head_dim=8, d_ff=64, vocab_size=97)
    prof = profile_decode(tiny, prompt=3, steps=2)
    matmuls = {name for name, kind in prof.op_kinds.items() if kind == "matmul"}
    assert matmuls == {"q", "k", "v", "scores", "attn_v", "o", "gate", "up", "down",
                       "lm_head"}
    assert all(seconds >= 0 for seconds in prof.op_seconds.values())
    assert sum(prof.op_seconds.values()) <= prof.seconds
    assert 0 < prof.matmul_share <= 1
    assert list(prof.shares().values()) == sorted(prof.shares().values(), reverse=True)


def test_decode_profile_shares_by_hand() -> None:
    prof = DecodeProfile("m", 2, 10.0, {"up": 4.0, "norm": 1.0, "q": 5.0},
                         {"up": "matmul", "norm": "reduction", "q": "matmul"})
    assert prof.shares() == {"q": 0.5, "up": 0.4, "norm": 0.1}
    assert prof.matmul_share == pytest.approx(0.9)



def test_profile_is_json_ready() -> None:
    prof = DecodeProfile("m", 1, 2.0, {"up": 1.0, "norm": 0.5}, {"up": "matmul",
                                                                "norm": "reduction"})
    data = prof.to_dict()
    assert data["shares"] == {"up": 0.5, "norm": 0.25}
    assert data["matmul_share"] == 0.5
