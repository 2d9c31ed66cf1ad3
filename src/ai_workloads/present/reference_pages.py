"""Tables and text of the reference pages: errata, notation and the command line.

Builders here only gather results and format them: the notes' FLOPs-per-token table from
:func:`ai_workloads.present.errata.notes_flops_comparison` and the notes' quoted cells (the
errata table itself is :func:`ai_workloads.present.errata.status_table`).

>>> len(notes_flops_table().rows)
16
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..catalog import accelerator_names, get_accelerator, model_entry, notes_quote
from ..core.dtypes import BITS, bytes_per_element, compute_dtype
from ..core.errors import WorkloadError
from ..core.formats import weight_format
from .errata import notes_flops_comparison
from .format import number, quantity
from .tables import Table

# ------------------------------------------------------------------------------ errata

def notes_flops_table() -> Table:
    """The notes' FLOPs-per-token table: quoted, reproduced by the package under the notes'
    formula (MHA, layers only), and the right values (TFLOPs = 1e12 FLOPs; matmuls only).

    >>> t = notes_flops_table()
    >>> len(t.rows), t.rows[0][:2]
    (16, ('Llama 2 7B', '512'))
    >>> all(row[4] == "yes" for row in t.rows)   # every cell reproduced exactly
    True
    """
    rows = []
    for r in notes_flops_comparison():
        cell = notes_quote(f"flops-per-token/{r.model}/{r.context}")
        n = r.reproduction(cell.quantity("total"), cell.quantity("attention"))
        (quoted, quoted_share), (mine, mine_share) = n.notes, n.reproduced
        rows.append((model_entry(r.model).display, f"{r.context:,}",
                     f"{number(quoted)} ({quantity(quoted_share)})",
                     f"{number(mine)} ({quantity(mine_share)})",
                     "yes" if n.reproduces else "no",
                     number(n.correct[0]), quantity(n.correct[1])))
    return Table("FLOPs per decode token: the notes' table and the right values",
                 ("model", "S", "notes: TFLOPs (attention)", "reproduced", "exact",
                  "correct TFLOPs", "correct attention"),
                 tuple(rows), ("l", "r", "r", "r", "l", "r", "r"))


# ------------------------------------------------------------------------------ notation

#: Each shape letter: meaning, TransformerConfig field, config.json key(s).
SHAPE_LETTERS: tuple[tuple[str, str, str, str], ...] = (
    ("B", "batch: sequences processed together", "(an argument)", "–"),
    ("T", "tokens processed in this step (prompt length in prefill, 1 in decode)",
     "(an argument)", "–"),
    ("S", "context length: keys each query attends, its own included", "(an argument)", "–"),
    ("D", "model width (residual stream)", "d_model", "hidden_size; GPT-2: n_embd"),
    ("F", "MLP hidden width (per expert in MoE)", "d_ff",
     "intermediate_size; GPT-2: n_inner (default 4·D)"),
    ("N", "query heads", "n_heads", "num_attention_heads; GPT-2: n_head"),
    ("K", "key/value heads (K = N: MHA, 1 < K < N: GQA, K = 1: MQA)", "n_kv_heads",
     "num_key_value_heads (default N)"),
    ("H", "head dimension", "head_dim", "head_dim (default D/N)"),
    ("L", "layers (transformer blocks)", "n_layers", "num_hidden_layers; GPT-2: n_layer"),
    ("V", "vocabulary size", "vocab_size", "vocab_size"),
    ("E", "experts per MoE layer (1 for dense models)", "n_experts", "num_local_experts"),
    ("k", "experts routed per token", "experts_per_token", "num_experts_per_tok"),
)


def shape_letters_table() -> Table:
    """The shape letters, their meaning, and where each comes from in a ``config.json``.

    >>> t = shape_letters_table()
    >>> [row[0] for row in t.rows]
    ['B', 'T', 'S', 'D', 'F', 'N', 'K', 'H', 'L', 'V', 'E', 'k']
    """
    rows = tuple((letter, meaning, f"`{field}`" if field.isidentifier() else field,
                  key) for letter, meaning, field, key in SHAPE_LETTERS)
    return Table("Shape letters",
                 ("letter", "meaning", "TransformerConfig field", "config.json key"), rows)


def dtypes_table() -> Table:
    """Every number format the package knows, with its storage width.

    >>> t = dtypes_table()
    >>> t.rows[0]
    ('fp32', '32', '4')
    >>> len(t.rows) == len(BITS)
    True
    """
    rows = tuple((name, str(bits), f"{bytes_per_element(name):g}")
                 for name, bits in BITS.items())
    return Table("Number formats", ("dtype", "bits", "bytes per element"), rows,
                 ("l", "r", "r"))


#: The weight formats the Notation page lists, and the shape it sizes them on.
SHOWN_FORMATS: tuple[str, ...] = ("bf16", "fp8", "fp8-b128", "mxfp8", "nvfp4", "mxfp4",
                                  "int8", "int4", "int4-g64")


def formats_table(shape: tuple[int, int] = (4096, 4096),
                  names: Sequence[str] = SHOWN_FORMATS) -> Table:
    """Each stored weight format: what it keeps, and the exact bytes and average bits per
    value of one weight of ``shape`` (``[out, in]``), scales included.

    >>> t = formats_table()
    >>> t.columns[-2:], t.rows[4][0], t.rows[4][2:]
    (('bits per value', 'bytes of [4,096, 4,096]'), 'nvfp4', ('4.5', '9,437,188'))
    """
    rows = []
    for name in names:
        fmt = weight_format(name)
        bits = fmt.bits_per_value(*shape)
        rows.append((name, fmt.label, f"{bits:.4g}", f"{fmt.tensor_bytes(shape):,}"))
    return Table("Weight formats", ("format", "stores", "bits per value",
                                    f"bytes of [{shape[0]:,}, {shape[1]:,}]"),
                 tuple(rows), ("l", "l", "r", "r"))


def compute_formats_table(chips: Sequence[str] = ("a100-sxm-80gb", "h100-sxm", "b200"),
                          names: Sequence[str] = SHOWN_FORMATS) -> Table:
    """The format each weight format computes in on each chip
    (:func:`ai_workloads.core.dtypes.compute_dtype` with the chip's peaks).

    >>> compute_formats_table().rows[1]     # fp8: no fp8 peak on an A100
    ('fp8', 'bf16', 'fp8', 'fp8')
    """
    accelerators = [get_accelerator(c) for c in chips]
    rows = tuple((name, *(compute_dtype(name, chip.peak_flops) for chip in accelerators))
                 for name in names)
    return Table("Compute format by chip", ("weights", *(c.display for c in accelerators)),
                 rows)


def peaks_table(names: Sequence[str] | None = None) -> Table:
    """Dense peak TFLOP/s of each catalog accelerator per dtype, with bandwidth, memory and
    the spec sheet ('–' where the chip has no peak for that dtype).

    >>> t = peaks_table(["h100-sxm"])
    >>> t.columns[:4], t.rows[0][:4]
    (('chip', 'fp32', 'tf32', 'bf16'), ('NVIDIA H100 SXM', '66.9', '494.7', '989.4'))
    """
    chips = [get_accelerator(n) for n in (names or accelerator_names())]
    dtypes = [d for d in BITS if any(d in chip.peak_flops for chip in chips)]
    rows = []
    for chip in chips:
        peaks = [f"{chip.peak(d) / 1e12:,.6g}" if d in chip.peak_flops else "–" for d in dtypes]
        source = f"[spec sheet]({chip.source})" if chip.source else "–"
        rows.append((chip.display, *peaks, f"{chip.bandwidth / 1e12:.2f}",
                     chip.capacity_label, source))
    return Table("Dense peak TFLOP/s per dtype",
                 ("chip", *dtypes, "TB/s", "memory", "source"), tuple(rows),
                 ("l", *("r" for _ in dtypes), "r", "r", "l"))


# ------------------------------------------------------------------------------ command line


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def cli_help(parser: argparse.ArgumentParser, command: str | None = None,
             width: int = 88) -> str:
    """The help text of ``parser`` (or of one subcommand) at a fixed width, so that the
    page does not depend on the terminal it was built in.

    >>> from ai_workloads.cli import build_parser
    >>> cli_help(build_parser()).splitlines()[0]
    'usage: ai-workloads [-h] [--version] COMMAND ...'
    >>> "--context S" in cli_help(build_parser(), "flops")
    True
    >>> cli_help(build_parser(), "plot")
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: no command 'plot'; choose one of models, hardware, ...
    """
    commands = _subcommands(parser)
    if command is not None and command not in commands:
        raise WorkloadError(f"no command {command!r}; choose one of {', '.join(commands)}")
    target = parser if command is None else commands[command]
    formatter = argparse.HelpFormatter(target.prog, width=width)
    formatter.add_usage(target.usage, target._actions,
                        target._mutually_exclusive_groups)
    formatter.add_text(target.description)
    for group in target._action_groups:
        formatter.start_section(group.title)
        formatter.add_text(group.description)
        formatter.add_arguments(group._group_actions)
        formatter.end_section()
    formatter.add_text(target.epilog)
    return formatter.format_help().rstrip("\n")


def cli_commands(parser: argparse.ArgumentParser) -> list[str]:
    """The subcommands of ``parser``, in the order they were added.

    >>> from ai_workloads.cli import build_parser
    >>> cli_commands(build_parser())[:3]
    ['models', 'hardware', 'params']
    """
    return list(_subcommands(parser))


@dataclass(frozen=True)
class CommandLine:
    """A command line shown on a page: its program name and its entry point ``main``, which
    takes the arguments and returns the exit status (the CLI page passes
    :func:`ai_workloads.cli.main`; this module never imports the CLI).

    >>> def greet(argv):
    ...     print("hello,", *argv)
    ...     return 0
    >>> print(CommandLine("greet", greet).transcript(["world"]))
    $ greet world
    hello, world
    """

    prog: str
    main: Callable[[list[str]], int]

    def run(self, argv: Sequence[str]) -> str:
        """Run ``main`` with ``argv`` in this process; return what it printed (stdout, then
        stderr) and a last line with the exit status when it is not 0.

        >>> import sys
        >>> def fail(argv):
        ...     print(f"fail: error: unknown model {argv[0]!r}", file=sys.stderr)
        ...     return 2
        >>> print(CommandLine("fail", fail).run(["llama-9"]))
        fail: error: unknown model 'llama-9'
        (exit status 2)
        """
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = self.main(list(argv))
        text = (out.getvalue() + err.getvalue()).rstrip("\n")
        return text if status == 0 else f"{text}\n(exit status {status})"

    def transcript(self, argv: Sequence[str]) -> str:
        """What a terminal shows for ``PROG ARGV``: the command line, then its output.

        >>> def echo(argv):
        ...     print(*argv)
        ...     return 0
        >>> print(CommandLine("echo", echo).transcript(["two words", "x"]))
        $ echo 'two words' x
        two words x
        """
        return f"$ {shlex.join([self.prog, *argv])}\n{self.run(argv)}"
