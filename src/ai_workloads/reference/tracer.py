"""Trace the reference model: every op it runs, with FLOPs and bytes taken from the arrays.

A :class:`Tracer` is handed to :class:`~ai_workloads.reference.model.ReferenceModel`; each op
reports its operands and result, and the tracer counts from their run-time shapes: a matmul
``[..., m, k] @ [..., k, n]`` costs ``2·k`` FLOPs per output element (``2·m·k·n`` per
matrix), bytes are the arrays' ``nbytes``. The FLOPs are never taken from
:mod:`ai_workloads.analysis.flops` (this layer does not import it), so the tests that hold the
two equal compare two independent countings. Non-matmul ops carry a nominal FLOP count
(arithmetic per output element, as the model states it); headline totals are matmuls only.
Tables of a trace are in :mod:`ai_workloads.present.trace_tables`.

>>> from ai_workloads.reference.configs import tiny_config
>>> trace = trace_forward(tiny_config("llama-gqa"), context=10)
>>> trace.mode, trace.tokens, trace.context
('decode', 1, 10)
>>> d, n, k, h, f, v, s = 64, 4, 2, 16, 128, 97, 10   # the config's shape; S = 10 keys
>>> per_layer = 2 * d * (n * h + 2 * k * h) + 2 * n * h * d + 2 * 2 * n * h * s + 3 * 2 * d * f
>>> trace.matmul_flops == 2 * per_layer + 2 * d * v   # two layers and the LM head
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..core.config import TransformerConfig
from ..core.errors import WorkloadError, positive_int
from .model import ReferenceModel
from .ops import Array
from .weights import DEFAULT_MAX_BYTES

#: Op kinds, in display order.
KINDS: tuple[str, ...] = ("matmul", "elementwise", "reduction", "gather", "copy")
#: Prompt tokens per chunk when a decode trace fills its cache (bounds the score matrix).
FILL_CHUNK = 512


@dataclass(frozen=True, slots=True)
class TracedOp:
    """One op as it ran: shapes, dtype, FLOPs and bytes moved.

    ``layer`` is ``None`` outside the blocks; ``expert`` names the MoE expert (else
    ``None``); ``weight_bytes`` is the part of ``bytes_read`` that is parameters.

    >>> op = TracedOp("q", "matmul", 0, ((1, 64), (64, 64)), (1, 64), "float32",
    ...               flops=8192, bytes_read=16640, bytes_written=256, weight_bytes=16384)
    >>> round(op.intensity, 3)
    0.485
    """

    name: str
    kind: str
    layer: int | None
    input_shapes: tuple[tuple[int, ...], ...]
    output_shape: tuple[int, ...]
    dtype: str
    flops: int
    bytes_read: int
    bytes_written: int
    weight_bytes: int = 0
    expert: int | None = None

    @property
    def bytes_moved(self) -> int:
        """Bytes read plus bytes written."""
        return self.bytes_read + self.bytes_written

    @property
    def intensity(self) -> float:
        """Arithmetic intensity, FLOPs per byte moved (0 for an op that moves nothing)."""
        return self.flops / self.bytes_moved if self.bytes_moved else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields.

        >>> op = TracedOp("o", "matmul", 1, ((2, 8), (8, 8)), (2, 8), "float32",
        ...               flops=256, bytes_read=320, bytes_written=64, weight_bytes=256)
        >>> op.to_dict()["input_shapes"], op.to_dict()["flops"]
        ([[2, 8], [8, 8]], 256)
        """
        return {
            "name": self.name, "kind": self.kind, "layer": self.layer, "expert": self.expert,
            "input_shapes": [list(s) for s in self.input_shapes],
            "output_shape": list(self.output_shape), "dtype": self.dtype,
            "flops": self.flops, "bytes_read": self.bytes_read,
            "bytes_written": self.bytes_written, "weight_bytes": self.weight_bytes,
        }


def matmul_op_flops(outputs: int, inner: int) -> int:
    """FLOPs of a matmul that makes ``outputs`` elements over an ``inner`` dimension.

    Each output element is ``inner`` multiply-adds, and a multiply-add is 2 FLOPs: so
    ``[m, k] @ [k, n]`` costs ``2·m·k·n`` (the Notation page's convention).

    >>> matmul_op_flops(outputs=4 * 8, inner=16) == 2 * 4 * 16 * 8
    True
    """
    return 2 * outputs * inner


def _shape(a: Array) -> tuple[int, ...]:
    return tuple(int(n) for n in a.shape)


@dataclass
class Tracer:
    """Collects :class:`TracedOp` records; pass it as ``tracer=`` to the model's methods.

    >>> tracer = Tracer()
    >>> a, w = np.ones((2, 3, 8), np.float32), np.ones((8, 5), np.float32)
    >>> tracer.matmul("up", a, w, a @ w, layer=0, weight=True)
    >>> op = tracer.ops[0]
    >>> op.flops == 2 * 6 * 8 * 5, op.bytes_read == (48 + 40) * 4, op.weight_bytes
    (True, True, 160)
    """

    ops: list[TracedOp] = field(default_factory=list)

    def matmul(self, name: str, a: Array, b: Array, out: Array, layer: int | None, *,
               weight: bool = False, expert: int | None = None) -> None:
        """Record ``out = a @ b``: ``2·k`` FLOPs for each of ``out``'s elements."""
        inner = int(a.shape[-1])
        if b.shape[-2] != inner:
            raise WorkloadError(f"{name}: cannot multiply {a.shape} by {b.shape}")
        self.ops.append(TracedOp(
            name, "matmul", layer, (_shape(a), _shape(b)), _shape(out), out.dtype.name,
            flops=matmul_op_flops(int(out.size), inner), bytes_read=int(a.nbytes + b.nbytes),
            bytes_written=int(out.nbytes), weight_bytes=int(b.nbytes) if weight else 0,
            expert=expert))

    def elementwise(self, name: str, kind: str, inputs: Sequence[Array], out: Array,
                    layer: int | None, *, nominal: int, weights: Sequence[Array] = (),
                    expert: int | None = None) -> None:
        """Record a non-matmul op: ``nominal`` FLOPs per output element.

        >>> tracer, x = Tracer(), np.ones((2, 8), np.float32)
        >>> tracer.elementwise("residual", "elementwise", [x, x], x + x, 0, nominal=1)
        >>> op = tracer.ops[0]
        >>> op.flops, op.bytes_read, op.bytes_written
        (16, 128, 64)
        """
        if kind not in KINDS:
            raise WorkloadError(f"{name}: unknown op kind {kind!r}; use one of {KINDS}")
        param_bytes = sum(int(w.nbytes) for w in weights)
        self.ops.append(TracedOp(
            name, kind, layer, tuple(_shape(a) for a in (*inputs, *weights)), _shape(out),
            out.dtype.name, flops=nominal * int(out.size),
            bytes_read=sum(int(a.nbytes) for a in inputs) + param_bytes,
            bytes_written=int(out.nbytes), weight_bytes=param_bytes, expert=expert))

    def gather(self, name: str, ids: Array, table: Array, out: Array,
               layer: int | None) -> None:
        """Record ``out = table[ids]``: the ids and the gathered rows are read.

        >>> tracer = Tracer()
        >>> table, ids = np.zeros((100, 4), np.float32), np.array([[3, 5]])
        >>> tracer.gather("embedding", ids, table, table[ids], None)
        >>> tracer.ops[0].bytes_read, tracer.ops[0].weight_bytes   # 2 ids + 2 rows of 16 bytes
        (48, 32)
        """
        self.ops.append(TracedOp(
            name, "gather", layer, (_shape(ids), _shape(table)), _shape(out), out.dtype.name,
            flops=0, bytes_read=int(ids.nbytes + out.nbytes), bytes_written=int(out.nbytes),
            weight_bytes=int(out.nbytes)))


@dataclass(frozen=True, slots=True)
class OpTotals:
    """Sums over a group of ops.

    >>> totals = OpTotals(ops=2, flops=300, bytes_read=100, bytes_written=50)
    >>> totals.intensity, totals.to_dict()["flops"]
    (2.0, 300)
    """

    ops: int
    flops: int
    bytes_read: int
    bytes_written: int

    @property
    def intensity(self) -> float:
        """FLOPs per byte moved."""
        moved = self.bytes_read + self.bytes_written
        return self.flops / moved if moved else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"ops": self.ops, "flops": self.flops, "bytes_read": self.bytes_read,
                "bytes_written": self.bytes_written}


@dataclass(frozen=True)
class Trace:
    """The ops of one traced pass and what was traced.

    ``tokens`` new tokens per sequence (``T``; 1 for decode) attended ``context`` keys
    (``S``), for ``batch`` sequences, through the first ``layers_traced`` layers of
    ``config``.
    """

    config: TransformerConfig
    mode: Literal["prefill", "decode"]
    batch: int
    tokens: int
    context: int
    layers_traced: int
    dtype: str
    ops: tuple[TracedOp, ...]

    @property
    def matmul_flops(self) -> int:
        """FLOPs of all matmuls: the headline count."""
        return sum(op.flops for op in self.ops if op.kind == "matmul")

    @property
    def bytes_read(self) -> int:
        """Bytes read by all ops."""
        return sum(op.bytes_read for op in self.ops)

    @property
    def bytes_written(self) -> int:
        """Bytes written by all ops."""
        return sum(op.bytes_written for op in self.ops)

    @property
    def weight_bytes(self) -> int:
        """Bytes of parameters read (the LM head's table once, embedding rows as gathered)."""
        return sum(op.weight_bytes for op in self.ops)

    def totals(self, by: Literal["name", "kind", "layer"] = "name",
               kind: str | None = None) -> dict[Any, OpTotals]:
        """Ops grouped by name, kind or layer (keys in order of first appearance).

        ``kind`` keeps only ops of that kind (for example ``"matmul"``).

        >>> from ai_workloads.reference.configs import tiny_config
        >>> t = trace_forward(tiny_config("llama"), context=3)
        >>> t.totals("name", kind="matmul")["lm_head"].flops == 2 * 64 * 97
        True
        """
        key: Callable[[TracedOp], Any] = {
            "name": lambda op: op.name, "kind": lambda op: op.kind,
            "layer": lambda op: op.layer}[by]
        groups: dict[Any, list[TracedOp]] = {}
        for op in self.ops:
            if kind is None or op.kind == kind:
                groups.setdefault(key(op), []).append(op)
        return {k: OpTotals(len(g), sum(o.flops for o in g), sum(o.bytes_read for o in g),
                            sum(o.bytes_written for o in g)) for k, g in groups.items()}

    def flops_by_name(self, kind: str | None = "matmul") -> dict[str, int]:
        """FLOPs per op name (matmuls only by default; ``kind=None`` for every op).

        >>> from ai_workloads.reference.configs import tiny_config
        >>> t = trace_forward(tiny_config("llama"), prefill=4)
        >>> t.flops_by_name()["scores"] == 2 * 2 * 4 * 16 * 4 * 4  # 2 · L · N · H · T · S
        True
        """
        return {name: t.flops for name, t in self.totals("name", kind).items()}

    def flops_by_kind(self) -> dict[str, int]:
        """FLOPs per op kind (``matmul``, ``elementwise``, ...).

        >>> from ai_workloads.reference.configs import tiny_config
        >>> kinds = trace_forward(tiny_config("llama"), context=3).flops_by_kind()
        >>> kinds["gather"], kinds["copy"]
        (0, 0)
        """
        return {k: t.flops for k, t in self.totals("kind").items()}

    def by_layer(self) -> dict[int | None, int]:
        """Matmul FLOPs per layer (``None``: outside the layers, e.g. the LM head).

        >>> from ai_workloads.reference.configs import tiny_config
        >>> layers = trace_forward(tiny_config("llama"), context=3).by_layer()
        >>> layers[0] == layers[1], layers[None] == 2 * 64 * 97
        (True, True)
        """
        return {k: t.flops for k, t in self.totals("layer", "matmul").items()}

    def to_dict(self, formula_total: int | None = None) -> dict[str, Any]:
        """A JSON-ready summary: totals, groupings and every op.

        ``formula_total``, the same pass counted from the config alone, is added after
        ``total`` when the caller gives it (this layer never counts by the formulas).

        >>> from ai_workloads.reference.configs import tiny_config
        >>> d = trace_forward(tiny_config("bert"), prefill=8).to_dict()
        >>> d["mode"], d["by_name"]["pooler"]["flops"], "formula_total" in d  # 2 · D · D
        ('prefill', 8192, False)
        >>> list(trace_forward(tiny_config("bert"), prefill=8).to_dict(8192))[8:10]
        ['total', 'formula_total']
        """
        formula = {} if formula_total is None else {"formula_total": formula_total}
        return {
            "model": self.config.name, "mode": self.mode, "batch": self.batch,
            "tokens": self.tokens, "context": self.context,
            "layers_traced": self.layers_traced, "n_layers": self.config.n_layers,
            "dtype": self.dtype, "total": self.matmul_flops, **formula,
            "all_flops": sum(op.flops for op in self.ops),
            "bytes_read": self.bytes_read, "bytes_written": self.bytes_written,
            "weight_bytes": self.weight_bytes,
            "by_name": {k: t.to_dict() for k, t in self.totals("name").items()},
            "by_kind": {k: t.to_dict() for k, t in self.totals("kind").items()},
            "by_layer": [{"layer": k, **t.to_dict()} for k, t in self.totals("layer").items()],
            "ops": [op.to_dict() for op in self.ops],
        }


def trace_forward(cfg: TransformerConfig, prefill: int | None = None,
                  context: int | None = None, batch: int = 1, layers: int | None = None,
                  seed: int = 0, dtype: npt.DTypeLike = np.float32, *,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> Trace:
    """Build the reference model of ``cfg`` and trace one pass over random token ids.

    Give exactly one of ``prefill=T`` (a pass over ``T`` tokens from empty; encoders too)
    or ``context=S`` (one decode step whose new token attends ``S`` keys, its own included;
    the first ``S - 1`` tokens are prefilled untraced). ``layers`` traces only the first
    layers (for configs too large to build whole).

    >>> from ai_workloads.reference.configs import tiny_config
    >>> t = trace_forward(tiny_config("mixtral"), prefill=16, batch=2)
    >>> t.flops_by_name()["router"] == 2 * 2 * (2 * 16) * 64 * 4   # L · 2 · (B·T) · D · E
    True
    >>> trace_forward(tiny_config("bert"), context=8)
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: tiny-bert is an encoder: it has no decode step; ...
    """
    if (prefill is None) == (context is None):
        raise WorkloadError("give exactly one of prefill=T (tokens) or context=S (decode)")
    positive_int("batch", batch)
    if context is not None:
        positive_int("context", context)
        if cfg.encoder:
            raise WorkloadError(
                f"{cfg.name} is an encoder: it has no decode step; trace a prefill instead")
    else:
        positive_int("prefill", prefill)
    length = context if context is not None else prefill
    assert length is not None
    if cfg.positions == "learned" and length > cfg.max_position:
        raise WorkloadError(
            f"{cfg.name} has {cfg.max_position} learned positions; {length} requested")
    model = ReferenceModel(cfg, seed=seed, dtype=dtype, layers=layers, max_bytes=max_bytes)
    ids = np.random.default_rng(seed).integers(0, cfg.vocab_size, size=(batch, length))
    tracer = Tracer()
    if context is None:
        model.forward(ids, tracer=tracer)
        mode: Literal["prefill", "decode"] = "prefill"
    else:
        cache = model.new_cache(batch)
        for begin in range(0, context - 1, FILL_CHUNK):  # fill the cache, untraced
            model.forward(ids[:, begin:min(begin + FILL_CHUNK, context - 1)], cache, head=False)
        model.decode(ids[:, -1], cache, tracer)
        mode = "decode"
    return Trace(cfg, mode, batch, 1 if context is not None else length, length,
                 model.n_layers, model.dtype.name, tuple(tracer.ops))

