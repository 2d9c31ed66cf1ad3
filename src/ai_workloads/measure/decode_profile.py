"""Where the time of a decode step goes: the reference model's ops, each charged its time.

The model reports each op to a tracer right after running it; a clock in the tracer's place
charges the time since the previous report (the op and the Python around it) to the op's
name. Matmuls should dominate a step that streams its weights; the rest is what a bandwidth
bound leaves out.

>>> prof = DecodeProfile("m", 1, 4.0, {"up": 1.0, "q": 2.0, "norm": 1.0},
...                      {"up": "matmul", "q": "matmul", "norm": "reduction"})
>>> prof.matmul_share, list(prof.shares())
(0.75, ['q', 'up', 'norm'])
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..core.config import TransformerConfig
from .decode import decode_probe_config, greedy_next, prepare_decode


class _OpClock:
    """A tracer for :class:`~ai_workloads.reference.model.ReferenceModel` that times its ops.

    The model reports each op right after running it, so the time since the previous
    report (the op and the Python around it) is charged to that op's name.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.kinds: dict[str, str] = {}
        self.last = time.perf_counter()

    def start(self) -> None:
        self.last = time.perf_counter()

    def _charge(self, name: str, kind: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + (now - self.last)
        self.kinds.setdefault(name, kind)
        self.last = now

    def matmul(self, name: str, a: Any, b: Any, out: Any, layer: int | None, *,
               weight: bool = False, expert: int | None = None) -> None:
        self._charge(name, "matmul")

    def elementwise(self, name: str, kind: str, inputs: Any, out: Any, layer: int | None, *,
                    nominal: int, weights: Any = (), expert: int | None = None) -> None:
        self._charge(name, kind)

    def gather(self, name: str, ids: Any, table: Any, out: Any, layer: int | None) -> None:
        self._charge(name, "gather")


@dataclass(frozen=True, slots=True)
class DecodeProfile:
    """Where the time of the reference model's decode steps goes, op by op.

    ``op_seconds`` sums, over ``steps`` steps, the time charged to each op name (the op
    and the Python around it, since the op before); ``op_kinds`` says which are matmuls.
    """

    model: str
    steps: int
    seconds: float
    op_seconds: Mapping[str, float]
    op_kinds: Mapping[str, str]

    def shares(self) -> dict[str, float]:
        """Each op's fraction of the measured time, largest first.

        >>> prof = DecodeProfile("m", 1, 4.0, {"up": 1.0, "q": 3.0}, {"up": "matmul",
        ...                      "q": "matmul"})
        >>> prof.shares()
        {'q': 0.75, 'up': 0.25}
        """
        ranked = sorted(self.op_seconds.items(), key=lambda item: -item[1])
        return {name: seconds / self.seconds for name, seconds in ranked}

    @property
    def matmul_share(self) -> float:
        """Fraction of the measured time charged to matmuls.

        >>> DecodeProfile("m", 1, 4.0, {"up": 1.0, "norm": 3.0},
        ...               {"up": "matmul", "norm": "reduction"}).matmul_share
        0.25
        """
        return sum(seconds for name, seconds in self.op_seconds.items()
                   if self.op_kinds.get(name) == "matmul") / self.seconds

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (shares of the measured time, largest first).

        >>> DecodeProfile("m", 1, 2.0, {"up": 1.0}, {"up": "matmul"}).to_dict()["shares"]
        {'up': 0.5}
        """
        return {"model": self.model, "steps": self.steps, "seconds": self.seconds,
                "op_seconds": dict(self.op_seconds), "op_kinds": dict(self.op_kinds),
                "shares": self.shares(), "matmul_share": self.matmul_share}


def profile_decode(cfg: TransformerConfig | None = None, prompt: int = 16, steps: int = 16,
                   seed: int = 0) -> DecodeProfile:
    """Charge the time of ``steps`` batch-1 decode steps to the ops of the reference model.

    Reporting each op costs a little time of its own, so the steps run slightly slower
    than in :func:`~ai_workloads.measure.decode.measure_decode`; the shares, not the total,
    are the point.

    >>> tiny = decode_probe_config(1).replace(vocab_size=512, d_model=64, d_ff=128,
    ...                                       n_heads=4, n_kv_heads=2, head_dim=16)
    >>> prof = profile_decode(tiny, prompt=2, steps=2)
    >>> {"q", "up", "down", "lm_head"} <= set(prof.op_seconds), 0 < prof.matmul_share <= 1
    (True, True)
    """
    cfg = cfg or decode_probe_config()
    model, tokens = prepare_decode(cfg, prompt, steps, 1, seed)
    logits, cache = model.prefill(tokens)
    clock = _OpClock()
    total = 0.0
    for _ in range(steps):
        nxt = greedy_next(logits)
        start = time.perf_counter()
        clock.start()
        logits = model.decode(nxt, cache, tracer=clock)
        total += time.perf_counter() - start
    return DecodeProfile(cfg.name, steps, total, MappingProxyType(dict(clock.seconds)),
                         MappingProxyType(dict(clock.kinds)))
