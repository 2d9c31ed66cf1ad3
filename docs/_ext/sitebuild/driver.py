"""The build driver of ``make html``: the HTML and the doctests, strict, in one process.

``python -m sitebuild -n -W --keep-going`` (with ``docs/_ext`` on ``PYTHONPATH``) drives
Sphinx's Python API with two application objects in one process that share one doctree
and environment folder: the ``html`` builder reads every page (executing each chapter's
notebook once, with parallel readers) and writes the site; the ``doctest`` builder then
runs every ``>>>`` example of the pages and of the API reference from the same environment.
The exit status is 0 only if both builders succeeded without a warning (under ``-W``),
every cell ran and every doctest passed.

Sphinx's own log is off (``-v`` turns it on): the build prints which chapter is executing
and how long it took (:mod:`sitebuild.progress`), one line per builder, and a last line.
A build with no input changed since the last one that passed stops before Sphinx starts
(:mod:`sitebuild.fresh`).

>>> builders(Options()), builders(Options(doctest_only=True))
(('html', 'doctest'), ('doctest',))
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitebuild import doctests, fresh, progress
from sitebuild.cache import ci_is_set

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: Verdicts by exit status of one builder.
VERDICTS = ("ok", "FAILED (warnings or failed doctests)", "FAILED (error)")


@dataclass(frozen=True)
class Options:
    """What to build, and where (paths relative to the working directory).

    >>> Options().out.as_posix(), Options().source.as_posix(), Options().jobs >= 1
    ('_build', 'docs', True)
    """

    source: Path = Path("docs")
    confdir: Path = Path(".")
    out: Path = Path("_build")
    nitpicky: bool = False
    warnings_are_errors: bool = False
    doctest_only: bool = False
    html_only: bool = False
    fresh: bool = False
    jobs: int = max(1, os.cpu_count() or 1)
    quiet: bool = False
    verbose: bool = False
    overrides: tuple[tuple[str, str], ...] = ()
    force_doctest: bool = False


def _jobs(value: str) -> int:
    if value == "auto":
        return max(1, os.cpu_count() or 1)
    jobs = int(value)
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"-j must be a positive integer or 'auto', got {value}")
    return jobs


def _setting(text: str, parser: argparse.ArgumentParser) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        parser.error(f"-D expects NAME=VALUE, got {text!r}")
    return name, value


def parse_args(argv: Sequence[str]) -> Options:
    """Read the command line (``-n -W --keep-going`` as for ``sphinx-build``).

    >>> opts = parse_args(["-n", "-W", "--keep-going", "--out", "site-out", "-j", "2"])
    >>> opts.nitpicky, opts.warnings_are_errors, opts.out.as_posix(), opts.jobs
    (True, True, 'site-out', 2)
    >>> parse_args(["-D", "nb_execution_mode=force"]).overrides
    (('nb_execution_mode', 'force'),)
    """
    parser = argparse.ArgumentParser(
        prog="python -m sitebuild",
        description="Build the lecture site (HTML) and run its doctests, in one process.",
    )
    parser.add_argument("--source", type=Path, default=Path("docs"),
                        help="source folder (default: docs)")
    parser.add_argument("--confdir", type=Path, default=Path("."),
                        help="folder holding conf.py (default: .)")
    parser.add_argument("--out", type=Path, default=Path("_build"),
                        help="build folder: html/, doctest/, doctrees/ (default: _build)")
    parser.add_argument("-n", dest="nitpicky", action="store_true",
                        help="warn about every missing reference")
    parser.add_argument("-W", dest="warnings_are_errors", action="store_true",
                        help="exit non-zero if there was any warning")
    parser.add_argument("--keep-going", action="store_true",
                        help="accepted for sphinx-build compatibility (always on)")
    parser.add_argument("--doctest-only", action="store_true",
                        help="run the doctest builder only")
    parser.add_argument("--html-only", action="store_true",
                        help="run the html builder only (no doctests)")
    parser.add_argument("-E", "--fresh", action="store_true",
                        help="re-read every page and run every doctest")
    parser.add_argument("-j", "--jobs", type=_jobs, default=Options.jobs,
                        help="parallel readers and writers: a number or 'auto' "
                             "(default: auto, one per CPU core)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print warnings, errors and the verdicts only")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print Sphinx's own log as well")
    parser.add_argument("--force-doctest", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("-D", dest="define", action="append", default=[], metavar="NAME=VALUE",
                        help="override a conf.py setting (a string), as sphinx-build -D")
    ns = parser.parse_args(list(argv))
    if ns.doctest_only and ns.html_only:
        parser.error("--doctest-only and --html-only exclude each other")
    return Options(
        source=ns.source, confdir=ns.confdir, out=ns.out, nitpicky=ns.nitpicky,
        warnings_are_errors=ns.warnings_are_errors, doctest_only=ns.doctest_only,
        html_only=ns.html_only, fresh=ns.fresh, jobs=ns.jobs, quiet=ns.quiet,
        verbose=ns.verbose, overrides=tuple(_setting(text, parser) for text in ns.define),
        force_doctest=ns.force_doctest,
    )


def builders(options: Options) -> tuple[str, ...]:
    """The Sphinx builders to run, in order (example in the module's description)."""
    if options.doctest_only:
        return ("doctest",)
    if options.html_only:
        return ("html",)
    return ("html", "doctest")


def settings(options: Options) -> tuple[object, ...]:
    """The options that change what a build produces (not where, not how fast).

    >>> settings(Options(nitpicky=True, jobs=1)) == settings(Options(nitpicky=True, jobs=2))
    True
    """
    return (builders(options), options.nitpicky, options.warnings_are_errors,
            sorted(options.overrides))


def _report_exception(err: BaseException) -> None:
    """Print an exception and its causes (a failing cell's traceback included), then a
    one-line summary naming the chapter whose cell failed."""
    from sphinx.errors import SphinxParallelError

    if isinstance(err, SphinxParallelError):
        text = f"{err.message}\n{err.traceback}"
    else:
        text = "".join(traceback.format_exception(err))
    text = _ANSI.sub("", text)
    print(text, file=sys.stderr)
    failed = re.findall(r"^myst_nb\S*\.ExecutionError: (.+)$", text, flags=re.MULTILINE)
    if failed:
        print(f"sitebuild: a code cell failed in {failed[-1]} (traceback above)",
              file=sys.stderr)


def _run_builder(name: str, options: Options,
                 on_env_saved: Callable[[], None] | None = None) -> tuple[int, str]:
    """Run one Sphinx builder; return its status (0 ok, 1 warnings or failures, 2 crash)
    and, for the doctests, what they ran. ``on_env_saved`` is called once the environment
    of freshly read pages is on disk, before any page is written."""
    from sphinx.application import Sphinx
    from sphinx.util.console import color_terminal, nocolor
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    if not color_terminal():  # a log file or a pipe: plain text, as sphinx-build writes it
        nocolor()
    overrides: dict[str, Any] = dict(options.overrides)
    if options.nitpicky:
        overrides["nitpicky"] = True
    out = options.out.resolve()
    try:
        with patch_docutils(options.confdir.resolve()), docutils_namespace():
            app = Sphinx(
                srcdir=options.source.resolve(),
                confdir=options.confdir.resolve(),
                outdir=out / name,
                doctreedir=out / "doctrees",
                buildername=name,
                confoverrides=overrides,
                status=sys.stdout if options.verbose else None,
                warning=sys.stderr,
                freshenv=options.fresh,
                warningiserror=options.warnings_are_errors,
                parallel=options.jobs,
            )
            if on_env_saved is not None:  # Sphinx pickles the environment just before
                app.connect("env-check-consistency", lambda app, env: on_env_saved())
            app.build()
    except Exception as err:  # a failing cell, a crashing extension: report and stop
        _report_exception(err)
        return 2, ""
    detail = doctests.summary(app.builder) if name == "doctest" else ""
    return (1 if app.statuscode else 0), detail


def doctest_command(options: Options) -> list[str]:
    """The command that runs this build's doctests in a process of their own.

    >>> doctest_command(Options(nitpicky=True, jobs=2))[1:]
    ['-m', 'sitebuild', '--doctest-only', '--force-doctest', '--source', 'docs', \
'--confdir', '.', '--out', '_build', '-j', '2', '-n']
    """
    command = [sys.executable, "-m", "sitebuild", "--doctest-only", "--force-doctest",
               "--source", str(options.source), "--confdir", str(options.confdir),
               "--out", str(options.out), "-j", str(options.jobs)]
    flags = [("-n", options.nitpicky), ("-W", options.warnings_are_errors),
             ("-q", options.quiet), ("-v", options.verbose)]
    command += [flag for flag, on in flags if on]
    for name, value in options.overrides:
        command += ["-D", f"{name}={value}"]
    return command


class _Doctests:
    """The doctests of a build, run in a process of their own while the pages are written.

    The doctest builder needs only the saved environment, which exists as soon as the html
    builder has read the pages; writing them (mostly one process) then leaves a core free.
    """

    def __init__(self, options: Options) -> None:
        self.options = options
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self.process is not None:
            return
        folder = str(Path(__file__).resolve().parent.parent)  # where ``sitebuild`` is
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [folder, env.get("PYTHONPATH")]))
        progress.say("sitebuild: doctest: started, alongside the writing of the pages")
        self.process = subprocess.Popen(doctest_command(self.options), env=env)

    def wait(self, stop: bool = False) -> int | None:
        """The doctests' exit status (None if they never started); ``stop`` ends them."""
        if self.process is None:
            return None
        if stop:
            self.process.terminate()
        return self.process.wait()


def _doctest_key(options: Options, environ: Mapping[str, str]) -> str:
    """The key of a doctest run that may be skipped; empty under ``-E`` and in CI."""
    if options.fresh or ci_is_set(environ):
        return ""
    return doctests.doctest_key(options.out / "doctrees", settings(options))


def build(options: Options, environ: Mapping[str, str] = os.environ) -> int:
    """Run the builders in order; return the exit status of the whole build.

    0: every builder succeeded; 1: warnings (under ``-W``) or failed doctests; 2: an error
    stopped the build (a failing cell, a missing folder), reported on stderr with its
    traceback. When the html builder reads pages, the doctests start as soon as the
    environment is saved, in a second process, while the pages are written.

    >>> build(Options(source=Path("no-such-folder"), quiet=True))
    sitebuild: html FAILED (error) in ... s
    2
    """
    was_enabled = progress.enable(not options.quiet)
    try:
        return _build(options, environ)
    finally:
        progress.enable(was_enabled)


def _build(options: Options, environ: Mapping[str, str]) -> int:
    start = time.perf_counter()
    names = builders(options)
    digest = ""
    if "html" in names and not options.fresh and not ci_is_set(environ):
        digest = fresh.inputs_digest(options.source, options.confdir, settings(options))
        if fresh.is_up_to_date(options.out, digest):
            progress.say(f"sitebuild: nothing changed since the last build: "
                         f"{options.out / 'html'} is up to date "
                         f"({time.perf_counter() - start:.1f} s)", always=True)
            return 0
    fresh.forget(options.out)
    alongside = _Doctests(options) if names == ("html", "doctest") else None
    worst = 0
    for name in names:
        begun = time.perf_counter()
        if name == "doctest" and alongside is not None and alongside.process is not None:
            status = alongside.wait()  # it printed its own verdict
            worst = max(worst, 2 if status is None or status < 0 else min(status, 2))
            continue
        key = _doctest_key(options, environ) if name == "doctest" else ""
        doctest_out = options.out / "doctest"
        if not options.force_doctest and doctests.passed_before(doctest_out, key):
            progress.say("sitebuild: doctest skipped: nothing changed since its last "
                         "passing run", always=True)
            continue
        hook = alongside.start if name == "html" and alongside is not None else None
        status, detail = _run_builder(name, options, on_env_saved=hook)
        if status == 0:
            doctests.note_passed(doctest_out, key)
        progress.say(f"sitebuild: {name} {VERDICTS[status]} in "
                     f"{time.perf_counter() - begun:.1f} s" + (f": {detail}" if detail else ""),
                     always=True)
        worst = max(worst, status)
        if status == 2:
            if alongside is not None:
                alongside.wait(stop=True)
            break
    if worst == 0 and digest:
        fresh.note_built(options.out, digest)
    if "html" in names and worst < 2:
        where = options.out / "html"
        progress.say(f"sitebuild: {'built' if worst == 0 else 'FAILED'} in "
                     f"{time.perf_counter() - start:.1f} s; the site is in {where}",
                     always=True)
    return worst


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m sitebuild``; returns the exit status.

    >>> main(["--doctest-only", "--source", "no-such-folder", "-q"])
    sitebuild: doctest FAILED (error) in ... s
    2
    """
    options = parse_args(sys.argv[1:] if argv is None else argv)
    return build(options)
