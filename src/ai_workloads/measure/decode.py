"""Decode on this machine: batch-1 greedy decode of the reference model, against its bound.

A decode step must read every weight once, plus the KV cache: no implementation can go
faster than this machine's bandwidth allows for those bytes (:func:`decode_bound_seconds`,
from :func:`ai_workloads.analysis.roofline.decode_step`). :func:`measure_decode` times the
NumPy reference model's steps one by one and sets them beside that bound; where the time of
a step goes, op by op, is :mod:`ai_workloads.measure.decode_profile`.

>>> decode_bytes(decode_probe_config(1), context=1)   # 4 · 30869760 parameters + 4 · 2 · 256
123481088
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..analysis.memory import kv_cache_bytes, weight_bytes
from ..analysis.params import param_counts
from ..analysis.roofline import decode_step
from ..core.config import TransformerConfig
from ..core.errors import WorkloadError, positive_int
from ..reference.model import ReferenceModel
from .roofline import MachineRoofline
from .timing import Spread, rate_spread


def decode_probe_config(n_layers: int = 8) -> TransformerConfig:
    """A small Llama-style model for timing decode: ~75M fp32 parameters at 8 layers.

    Its weights (about 300 MB at 8 layers, 150 MB at 2) dwarf any CPU cache, so each decode
    step streams them from memory. Embeddings are tied: the LM head reads the whole
    embedding matrix, so every weight byte is read once per step.

    >>> from ai_workloads.analysis.params import param_counts
    >>> param_counts(decode_probe_config()).total   # 32000·768 + 8·6292992 + 768
    74920704
    """
    positive_int("n_layers", n_layers)
    return TransformerConfig(
        name=f"decode-probe-{n_layers}l", family="llama", d_model=768, n_layers=n_layers,
        n_heads=12, n_kv_heads=4, head_dim=64, d_ff=2048, vocab_size=32_000,
        max_position=4096, tied_embeddings=True)


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """Measured batch-1 decode of a reference model against its bandwidth bound.

    ``seconds`` is the measured time of ``steps`` decode steps after a ``prompt``-token
    prefill, in the run of median length (``step_seconds`` are its steps); ``run_seconds``
    holds the length of every run, for the spread. Over those steps the model does
    ``flops`` matmul FLOPs and must read ``bytes_read`` bytes (all fp32 weights once per
    step, plus the KV cache); ``bound_seconds`` is the time that takes at the roofline's
    ``bandwidth``.
    """

    model: str
    params: int
    prompt: int
    steps: int
    seconds: float
    bound_seconds: float
    flops: int
    bytes_read: int
    bandwidth: float
    repeats: int = 1
    step_seconds: tuple[float, ...] = ()
    run_seconds: tuple[float, ...] = ()

    @property
    def tokens_spread(self) -> Spread:
        """Median and quartiles of tokens per second over the runs.

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0, 3,
        ...              run_seconds=(0.4, 0.5, 1.0)).tokens_spread
        Spread(median=20.0, low=15.0, high=22.5, count=3)
        """
        return rate_spread(self.steps, self.run_seconds or (self.seconds,))

    @property
    def tokens_per_s(self) -> float:
        """Measured tokens per second.

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0).tokens_per_s
        20.0
        """
        return self.steps / self.seconds

    @property
    def bound_tokens_per_s(self) -> float:
        """Tokens per second if every step ran at the bandwidth bound.

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0).bound_tokens_per_s
        40.0
        """
        return self.steps / self.bound_seconds

    @property
    def fraction(self) -> float:
        """Achieved fraction of the bandwidth bound (1.0 would be the bound itself).

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0).fraction
        0.5
        """
        return self.bound_seconds / self.seconds

    @property
    def intensity(self) -> float:
        """FLOPs per byte read: where decode sits on the roofline.

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0).intensity
        1.25
        """
        return self.flops / self.bytes_read

    @property
    def flop_rate(self) -> float:
        """Achieved matmul FLOP/s.

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0).flop_rate
        200.0
        """
        return self.flops / self.seconds

    @property
    def bytes_per_step(self) -> float:
        """Mean bytes one step must read.

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0).bytes_per_step
        8.0
        """
        return self.bytes_read / self.steps

    @property
    def achieved_bandwidth(self) -> float:
        """Bytes read per second (the bytes the bound counts over the measured time).

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0).achieved_bandwidth
        160.0
        """
        return self.bytes_read / self.seconds

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the derived figures.

        >>> DecodeResult("m", 1, 1, 10, 0.5, 0.25, 100, 80, 320.0).to_dict()["fraction"]
        0.5
        """
        return {"model": self.model, "params": self.params, "prompt": self.prompt,
                "steps": self.steps, "seconds": self.seconds,
                "bound_seconds": self.bound_seconds, "flops": self.flops,
                "bytes_read": self.bytes_read, "bandwidth_bytes_per_s": self.bandwidth,
                "repeats": self.repeats, "tokens_per_s": self.tokens_per_s,
                "bound_tokens_per_s": self.bound_tokens_per_s, "fraction": self.fraction,
                "intensity": self.intensity, "flop_per_s": self.flop_rate,
                "achieved_bytes_per_s": self.achieved_bandwidth,
                "step_seconds": list(self.step_seconds),
                "run_seconds": list(self.run_seconds),
                "tokens_per_s_spread": self.tokens_spread.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DecodeResult:
        """The result that :meth:`to_dict` wrote (derived figures are recomputed).

        >>> r = DecodeResult("m", 1, 1, 2, 0.5, 0.25, 100, 80, 320.0, 1, (0.2, 0.3), (0.5,))
        >>> DecodeResult.from_dict(r.to_dict()) == r
        True
        """
        return cls(model=str(data["model"]), params=int(data["params"]),
                   prompt=int(data["prompt"]), steps=int(data["steps"]),
                   seconds=float(data["seconds"]), bound_seconds=float(data["bound_seconds"]),
                   flops=int(data["flops"]), bytes_read=int(data["bytes_read"]),
                   bandwidth=float(data["bandwidth_bytes_per_s"]),
                   repeats=int(data["repeats"]),
                   step_seconds=tuple(float(s) for s in data["step_seconds"]),
                   run_seconds=tuple(float(s) for s in data.get("run_seconds", ())))


def decode_bytes(cfg: TransformerConfig, context: int) -> int:
    """fp32 bytes one batch-1 decode step at ``context`` must read: weights and KV cache.

    Every weight is read once per step (for a tied model the LM head reads the embedding
    matrix), plus the keys and values of ``context`` tokens.

    >>> cfg = decode_probe_config(2)
    >>> decode_bytes(cfg, 2)     # 4 · 37162752 parameters + 4 · 2 · 2 · 256 · 2 (K and V)
    148659200
    """
    return weight_bytes(cfg, "fp32") + kv_cache_bytes(cfg, context, 1, "fp32")


def decode_bound_seconds(cfg: TransformerConfig, roof: MachineRoofline, prompt: int,
                         steps: int) -> float:
    """Seconds ``steps`` fp32 decode steps need on ``roof`` after a ``prompt``-token prefill.

    Step ``i`` (from 0) attends ``prompt + i + 1`` keys; each step's bound is
    :func:`~ai_workloads.analysis.roofline.decode_step`'s (weights plus KV cache over bandwidth,
    or FLOPs over peak, whichever is longer).

    >>> cfg = decode_probe_config(2)
    >>> roof = MachineRoofline(1e12, 10e9, 2**30)
    >>> decode_bound_seconds(cfg, roof, prompt=1, steps=1)   # (148651008 + 8192) B / 10 GB/s
    0.01486592
    """
    positive_int("prompt", prompt)
    positive_int("steps", steps)
    hw = roof.as_accelerator()
    return sum(decode_step(cfg, hw, prompt + i + 1, dtype="fp32").time for i in range(steps))


def prepare_decode(cfg: TransformerConfig, prompt: int, steps: int, repeats: int = 1,
                   seed: int = 0) -> tuple[ReferenceModel, npt.NDArray[np.int64]]:
    """Check a decode measurement's inputs; build the fp32 model and a random prompt ``[1, T]``.

    >>> model, tokens = prepare_decode(decode_probe_config(1).replace(vocab_size=64), 5, 3)
    >>> model.config.name, tokens.shape
    ('decode-probe-1l', (1, 5))
    >>> prepare_decode(decode_probe_config(1), prompt=4000, steps=100)
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: prompt + steps (4100) exceeds decode-probe-1l's ...
    """
    positive_int("prompt", prompt)
    positive_int("steps", steps)
    positive_int("repeats", repeats)
    if cfg.encoder:
        raise WorkloadError(f"{cfg.name} is an encoder: it has no decode step to time")
    if cfg.is_moe:
        raise WorkloadError(f"{cfg.name} is a mixture of experts: the bytes a step reads "
                            "depend on routing; time a dense model instead")
    if prompt + steps > cfg.max_position:
        raise WorkloadError(f"prompt + steps ({prompt + steps}) exceeds {cfg.name}'s "
                            f"max_position ({cfg.max_position}); use fewer steps")
    model = ReferenceModel(cfg, seed=seed, dtype=np.float32)
    tokens = np.random.default_rng(seed).integers(0, cfg.vocab_size, size=(1, prompt))
    return model, tokens


def greedy_next(logits: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
    """Greedy choice, one id per sequence ``[B]``, from prefill ``[B, T, V]`` or ``[B, V]``.

    >>> greedy_next(np.array([[0.1, 0.7, 0.2]])).tolist()   # one step's logits [B, V]
    [1]
    >>> greedy_next(np.array([[[9.0, 0.0], [0.0, 1.0]]])).tolist()   # the prompt's last token
    [1]
    """
    last = logits[:, -1] if logits.ndim == 3 else logits
    return np.asarray(last.argmax(axis=-1))


def measure_decode(roof: MachineRoofline, cfg: TransformerConfig | None = None,
                   prompt: int = 16, steps: int = 32, repeats: int = 3,
                   seed: int = 0) -> DecodeResult:
    """Time batch-1 greedy decode of the NumPy reference model and compare with the bound.

    A ``prompt``-token prefill builds the KV cache (not timed); then ``steps`` decode steps
    are timed one by one. The run of median length of ``repeats`` runs is kept (see
    :func:`median_run`). The bound is :func:`decode_bound_seconds` at ``roof``'s bandwidth.

    >>> roof = MachineRoofline(1e11, 1e10, 2**30)
    >>> tiny = decode_probe_config(1).replace(vocab_size=512, d_model=64, d_ff=128,
    ...                                       n_heads=4, n_kv_heads=2, head_dim=16)
    >>> res = measure_decode(roof, tiny, prompt=4, steps=3, repeats=1)
    >>> res.steps, res.tokens_per_s > 0, res.fraction > 0
    (3, True, True)
    """
    cfg = cfg or decode_probe_config()
    model, tokens = prepare_decode(cfg, prompt, steps, repeats, seed)
    runs = [time_decode(model, tokens, steps) for _ in range(repeats)]
    return decode_result(cfg, roof, prompt, median_run(runs), repeats,
                         tuple(sum(run) for run in runs))


def median_run(runs: Sequence[Sequence[float]]) -> Sequence[float]:
    """The run whose total time is the median (the lower middle one of an even count).

    >>> median_run([[3.0, 3.0], [1.0, 1.0], [2.0, 2.0], [9.0, 9.0]])
    [2.0, 2.0]
    """
    if not runs:
        raise WorkloadError("no decode runs to choose from")
    ranked = sorted(runs, key=sum)
    return ranked[(len(ranked) - 1) // 2]


def time_decode(model: ReferenceModel, tokens: npt.NDArray[np.int64],
                steps: int) -> list[float]:
    """Prefill ``tokens`` (untimed), then time ``steps`` greedy decode steps one by one.

    >>> model, tokens = prepare_decode(decode_probe_config(1).replace(vocab_size=64), 3, 2)
    >>> seconds = time_decode(model, tokens, steps=2)
    >>> len(seconds), all(s > 0 for s in seconds)
    (2, True)
    """
    logits, cache = model.prefill(tokens)
    seconds = []
    for _ in range(steps):
        nxt = greedy_next(logits)
        start = time.perf_counter()
        logits = model.decode(nxt, cache)
        seconds.append(time.perf_counter() - start)
    return seconds


def decode_result(cfg: TransformerConfig, roof: MachineRoofline, prompt: int,
                  step_seconds: Sequence[float], repeats: int = 1,
                  run_seconds: Sequence[float] = ()) -> DecodeResult:
    """Pair measured step times with the bound of the same steps on ``roof``.

    ``run_seconds`` (the totals of every run, for the spread) defaults to this run's.

    >>> roof = MachineRoofline(1e12, 10e9, 2**30)
    >>> res = decode_result(decode_probe_config(2), roof, prompt=1, step_seconds=[0.03])
    >>> res.bound_seconds, round(res.fraction, 4)   # see decode_bound_seconds
    (0.01486592, 0.4955)
    """
    steps = len(step_seconds)
    hw = roof.as_accelerator()
    bounds = [decode_step(cfg, hw, prompt + i + 1, dtype="fp32") for i in range(steps)]
    return DecodeResult(
        model=cfg.name, params=param_counts(cfg).total, prompt=prompt, steps=steps,
        seconds=sum(step_seconds), bound_seconds=sum(step.time for step in bounds),
        flops=sum(step.flops for step in bounds),
        bytes_read=sum(decode_bytes(cfg, prompt + i + 1) for i in range(steps)),
        bandwidth=roof.bandwidth, repeats=repeats, step_seconds=tuple(step_seconds),
        run_seconds=tuple(run_seconds) or (sum(step_seconds),))
