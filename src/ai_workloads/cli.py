"""The ``ai-workloads`` command line: analyze a catalog model or any ``config.json``, offline.

Every subcommand prints a readable table, or with ``--json`` one JSON object. Bad input
prints one line on stderr and exits 2, with nothing on stdout.

>>> main(["params", "llama-2-7b", "--json"])   # doctest: +ELLIPSIS
{"model": "llama-2-7b", "total": 6738415616, "active": 6738415616, ...}
0
>>> import contextlib, io
>>> with contextlib.redirect_stderr(io.StringIO()) as err:
...     status = main(["params", "llama-9"])
>>> status, err.getvalue().startswith("ai-workloads: error: unknown model 'llama-9'")
(2, True)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from . import __version__
from .analysis.by_layer_type import layer_type_breakdown, mla_decode
from .analysis.flops import (
    blocks_only_decode_flops,
    decode_flops,
    op_flops,
    prefill_flops,
)
from .catalog import (
    accelerator_names,
    get_accelerator,
    model_entries,
    resolve_accelerator,
    resolve_model,
)
from .core.accelerator import UNITS
from .core.dtypes import COMPUTE_DTYPES
from .core.errors import WorkloadError, parse_positive_int
from .core.formats import KV_FORMATS, WEIGHT_FORMATS, weight_format
from .core.quantization import AS_STORED
from .present.answers import formats, memory_answer, params_answer, roofline_answer
from .present.tables import Table, bytes_cell, hardware_table, models_table, params_table

PROG = "ai-workloads"


class _UsageError(Exception):
    """A command-line usage error, reported as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def _positive(text: str) -> int:
    try:
        return parse_positive_int(text)
    except WorkloadError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _dtype(text: str) -> str:
    if text == AS_STORED:
        return text
    try:
        weight_format(text)
    except WorkloadError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def _kv_dtype(text: str) -> str:
    if text not in (*KV_FORMATS, AS_STORED):
        raise argparse.ArgumentTypeError(
            f"unknown KV-cache format {text!r}; choose one of {', '.join(KV_FORMATS)}")
    return text


def _compute_dtype(text: str) -> str:
    if text not in COMPUTE_DTYPES:
        raise argparse.ArgumentTypeError(
            f"unknown compute format {text!r}; choose one of {', '.join(COMPUTE_DTYPES)}")
    return text


WEIGHTS_HELP = ("weights: a format (" + ", ".join(WEIGHT_FORMATS) + "; int4-gN, int8-gN, "
                "fp8-bN for other groups and blocks) or 'checkpoint' (default: the config's "
                "quantization_config if it has one, else bf16)")
KV_HELP = (f"KV cache: {', '.join(KV_FORMATS)} (default: the weights' unquantized format, "
           "bf16 for quantized weights)")


def _shown(dtype: str) -> str:
    return "as stored" if dtype == AS_STORED else dtype


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to generate the CLI reference page).

    >>> build_parser().parse_args(["flops", "gpt2", "--context", "1024"]).context
    1024
    """
    parser = _Parser(prog=PROG, description="Exact parameter, FLOP, memory and roofline "
                     "analysis of transformer workloads. MODEL is a catalog name or the "
                     "path of a Hugging Face config.json; HW a catalog name or the path of "
                     "a hardware JSON file.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="print one JSON object")
        return p

    command("models", "list the catalog's models")
    hw = command("hardware", "list the catalog's accelerators")
    hw.add_argument("--dtype", type=_compute_dtype, default="bf16",
                    help="compute format whose peak to show (default bf16)")

    p = command("params", "count parameters: total, active, by component")
    p.add_argument("model", metavar="MODEL")

    f = command("flops", "matmul FLOPs of one decode step or of a prefill")
    f.add_argument("model", metavar="MODEL")
    mode = f.add_mutually_exclusive_group(required=True)
    mode.add_argument("--context", type=_positive, metavar="S",
                      help="one decode step whose new token attends S keys (its own included)")
    mode.add_argument("--prefill", type=_positive, metavar="T", help="a prefill of T tokens")
    f.add_argument("--causal", action="store_true",
                   help="count only unmasked attention pairs, inside each window (prefill); "
                        "default: the full T×T scores, masked ones included")
    f.add_argument("--absorbed", action="store_true",
                   help="MLA decode in the weight-absorbed form serving engines run "
                        "(default: expanded, as transformers runs it)")
    f.add_argument("--batch", type=_positive, default=1, metavar="B", help="sequences (1)")

    m = command("memory", "weights, KV cache and activations of serving a model")
    m.add_argument("model", metavar="MODEL")
    m.add_argument("--context", type=_positive, required=True, metavar="S")
    m.add_argument("--batch", type=_positive, default=1, metavar="B")
    m.add_argument("--dtype", type=_dtype, default=None, help=WEIGHTS_HELP)
    m.add_argument("--kv-dtype", type=_kv_dtype, default=None, help=KV_HELP)
    m.add_argument("--hardware", metavar="HW", help="also: devices needed and largest batch")

    r = command("roofline", "decode-step time bound and tokens/s against batch")
    r.add_argument("model", metavar="MODEL")
    r.add_argument("--hardware", metavar="HW", required=True)
    r.add_argument("--context", type=_positive, default=2048, metavar="S", help="(2048)")
    r.add_argument("--batch", type=_positive, nargs="+", default=[1, 8, 32, 128], metavar="B")
    r.add_argument("--dtype", type=_dtype, default=None, help=WEIGHTS_HELP)
    r.add_argument("--kv-dtype", type=_kv_dtype, default=None, help=KV_HELP)
    r.add_argument("--compute-dtype", type=_compute_dtype, default=None,
                   help="compute format whose peak bounds the step (default: by the weights' "
                        "format and the chip's peaks, see the Notation page)")
    r.add_argument("--devices", type=_positive, default=1, metavar="N",
                   help="devices sharing the model (ideal tensor parallelism)")

    t = command("trace", "run the NumPy reference model and trace every op")
    t.add_argument("model", metavar="MODEL")
    tmode = t.add_mutually_exclusive_group(required=True)
    tmode.add_argument("--context", type=_positive, metavar="S", help="one decode step at S")
    tmode.add_argument("--prefill", type=_positive, metavar="T", help="a prefill of T tokens")
    t.add_argument("--layers", type=_positive, metavar="N",
                   help="trace only the first N layers (for configs too large to build)")
    t.add_argument("--batch", type=_positive, default=1, metavar="B")

    command("errata", "the lecture notes' wrong values, reproduced and corrected")
    return parser


# ----------------------------------------------------------------------------- commands

def _cmd_params(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    cfg = resolve_model(args.model)
    data = params_answer(cfg)
    text = params_table(cfg).to_text()
    if data.get("published"):
        same = "matches" if data["published"] == data["total"] else "DIFFERS FROM"
        text += f"\n{same} the published count {data['published']:,}"
    elif data.get("published_label"):
        active = data.get("published_active_label")
        text += (f"\npublished: {data['published_label']}"
                 + (f" total, {active} active" if active else ""))
        if data.get("published_note"):
            text += f"\n  {data['published_note']}"
    return data, text


def _cmd_flops(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    cfg = resolve_model(args.model)
    if args.absorbed and (args.context is None or cfg.latent is None):
        raise WorkloadError("--absorbed applies to a decode step (--context) of a model with "
                            "multi-head latent attention (MLA)")
    if args.context is not None:
        if args.causal:
            raise WorkloadError("--causal applies to --prefill; a decode step attends all S keys")
        ops = op_flops(cfg, 1, args.context, absorbed=args.absorbed)
        total = decode_flops(cfg, args.context, args.batch, absorbed=args.absorbed)
        data: dict[str, Any] = {"model": cfg.name, "mode": "decode", "context": args.context,
                                "batch": args.batch, "total": total,
                                "blocks_only": args.batch * blocks_only_decode_flops(
                                    cfg, args.context)}
        if cfg.latent is not None:
            step = mla_decode(cfg, args.context)
            data["mla"] = {"form": "absorbed" if args.absorbed else "expanded",
                           "expanded": args.batch * step.expanded,
                           "absorbed": args.batch * step.absorbed}
        title = f"{cfg.name}: one decode step at context {args.context:,}, batch {args.batch}"
        if cfg.latent is not None:
            title += " (MLA " + ("weight-absorbed)" if args.absorbed else "expanded, as "
                                 "transformers runs it)")
    else:
        ops = op_flops(cfg, args.prefill, args.prefill, args.causal)
        total = prefill_flops(cfg, args.prefill, args.batch, args.causal)
        data = {"model": cfg.name, "mode": "prefill", "tokens": args.prefill,
                "batch": args.batch, "causal": args.causal, "total": total}
        kind = "causal" if args.causal else "full attention"
        title = f"{cfg.name}: prefill of {args.prefill:,} tokens ({kind}), batch {args.batch}"
    by_op = {name: args.batch * value for name, value in ops.items()}
    data["by_op"] = by_op
    tokens = 1 if args.context is not None else args.prefill
    context = args.context if args.context is not None else args.prefill
    data["by_layer_type"] = [
        {"kind": p["kind"], "layers": p["layers"], "window": p["window"],
         "flops": args.batch * p["flops"]}
        for p in layer_type_breakdown(cfg, context, tokens, args.causal)]
    rows = tuple((name, f"{value:,}", f"{100 * value / total:.1f}%")
                 for name, value in by_op.items() if value)
    rows += (("total (matmuls only)", f"{total:,}", "100.0%"),)
    table = Table(title, ("op", "FLOPs", "share"), rows, ("l", "r", "r"))
    return data, table.to_text()


def _cmd_memory(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    cfg = resolve_model(args.model)
    chip = resolve_accelerator(args.hardware) if args.hardware else None
    data = memory_answer(cfg, args.context, args.batch, args.dtype, args.kv_dtype, chip)
    dtype, kv_dtype, note = formats(cfg, args.dtype, args.kv_dtype)
    parts = layer_type_breakdown(cfg, args.context)
    by_kind = {p["kind"]: p["bytes"] for p in data["kv_cache_by_layer_type"]}
    rows = [("weights", bytes_cell(data["weights"])), ("KV cache", bytes_cell(data["kv_cache"]))]
    if len(parts) > 1 or parts[0]["cache_tokens"] != args.context:
        rows += [(f"  {p['layers']} {p['label']} layers, "
                  + (f"{p['cache_tokens']:,} tokens each" if p["cache_tokens"] is not None
                     else "a fixed state"), bytes_cell(by_kind[p["kind"]])) for p in parts]
    rows += [("activations (estimate)", bytes_cell(data["activations"])),
             ("total", bytes_cell(data["total"]))]
    if chip is not None:
        rows += [(f"memory of one {chip.name} ({chip.fit_basis})", bytes_cell(chip.fit_bytes)),
                 (f"{chip.name} devices needed", str(data["devices_needed"])),
                 (f"largest batch on one {chip.name}", str(data["max_batch_one_device"]))]
    title = (f"{cfg.name}: serving memory at context {args.context:,}, batch {args.batch} "
             f"(weights {_shown(dtype)}, KV {kv_dtype})")
    return data, Table(title, ("part", "bytes"), tuple(rows), ("l", "r"), note).to_text()


def _cmd_roofline(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    cfg = resolve_model(args.model)
    chip = resolve_accelerator(args.hardware)
    data = roofline_answer(cfg, chip, args.context, args.batch, args.dtype, args.kv_dtype,
                           args.compute_dtype, args.devices)
    dtype, kv_dtype, compute = data["dtype"], data["kv_dtype"], data["compute_dtype"]
    note = formats(cfg, args.dtype, args.kv_dtype)[2]
    fit = data["max_batch"]
    rows = tuple((str(s["batch"]), f"{s['intensity']:,.1f}", f"{s['time_s'] * 1e3:,.2f}",
                  s["bound"], f"{s['tokens_per_s_per_sequence']:,.1f}",
                  f"{s['tokens_per_s']:,.0f}", "yes" if s["fits"] else "no")
                 for s in data["steps"])
    notes = (f"ridge point {data['ridge_point']:,.0f} FLOP/byte; compute-bound from batch "
             f"{data['critical_batch'] or 'never'}; largest batch that fits: {fit} "
             f"({chip.fit_basis} memory, {bytes_cell(chip.fit_bytes)} per device)", *note)
    title = (f"{cfg.name} on {args.devices}× {chip.name}: decode at context {args.context:,} "
             f"(weights {_shown(dtype)}, KV {kv_dtype}, compute {compute})")
    table = Table(title, ("batch", "FLOP/byte", "ms/step", "bound", "tok/s/seq", "tok/s",
                          "fits"), rows, ("r", "r", "r", "l", "r", "r", "l"), notes)
    return data, table.to_text()


def _cmd_trace(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from .present.trace_tables import trace_table
    from .reference.tracer import trace_forward

    cfg = resolve_model(args.model)
    trace = trace_forward(cfg, prefill=args.prefill, context=args.context,
                          batch=args.batch, layers=args.layers)
    traced = cfg.replace(n_layers=trace.layers_traced)  # the formulas, for the same pass
    formula = (decode_flops(traced, trace.context, trace.batch) if trace.mode == "decode"
               else prefill_flops(traced, trace.tokens, trace.batch))
    return trace.to_dict(formula), trace_table(trace, formula).to_text()


def _cmd_models(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    models = []
    for entry in model_entries():
        c = entry.config
        models.append({
            "name": c.name, "display": entry.display, "family": c.family,
            "d_model": c.d_model, "n_layers": c.n_layers, "n_heads": c.n_heads,
            "n_kv_heads": c.n_kv_heads, "head_dim": c.head_dim, "d_ff": c.d_ff,
            "vocab_size": c.vocab_size, "n_experts": c.n_experts,
            "experts_per_token": c.experts_per_token, "attention": c.attention_kind,
            "published_params": entry.published_params,
            "published_label": entry.published_label})
    return {"models": models}, models_table().to_text()


def _cmd_hardware(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    chips = [get_accelerator(name) for name in accelerator_names()]
    data = {"units": dict(UNITS), "hardware": [chip.to_dict() for chip in chips]}
    return data, hardware_table(chips, dtype=args.dtype).to_text()


def _cmd_errata(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from .present.errata import errata, statuses

    items = errata()
    rows = tuple((e.key, e.notes_value, e.reproduced or "–", e.status, e.correct)
                 for e in items)
    table = Table("Errata of the lecture notes", ("erratum", "notes say", "reproduced",
                                                  "status", "correct"), rows)
    def values(quantities: Sequence[Any]) -> list[dict[str, Any]]:
        return [{"value": q.value, "unit": q.unit} for q in quantities]

    return {"statuses": statuses(),
            "errata": [{"key": e.key, "section": e.section, "line": e.line, "claim": e.claim,
                        "notes_value": e.notes_value, "cause": e.cause,
                        "reproduced": e.reproduced, "correct": e.correct,
                        "status": e.status, "reproduces": e.reproduces,
                        "also": [{"section": r.section, "line": r.line, "text": r.text}
                                 for r in e.also],
                        "values": {"notes": values(e.numbers.notes),
                                   "reproduced": values(e.numbers.reproduced),
                                   "correct": values(e.numbers.correct)}}
                       for e in items]}, table.to_text()


COMMANDS = {
    "models": _cmd_models, "hardware": _cmd_hardware, "params": _cmd_params,
    "flops": _cmd_flops, "memory": _cmd_memory, "roofline": _cmd_roofline,
    "trace": _cmd_trace, "errata": _cmd_errata,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input)."""
    try:
        args = build_parser().parse_args(argv)
        data, text = COMMANDS[args.command](args)
    except (_UsageError, WorkloadError) as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"{PROG}: error: out of memory; try a smaller size or --layers", file=sys.stderr)
        return 2
    output = json.dumps(data) if args.json else text
    print(output)
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
