"""The calculator page in Chromium: the package running in the page answers as the CLI does.

One page is opened on a calculator link (every other host blocked, as in the crawl); later
questions go through the page itself, as a reader's would: a new URL with the back button's
``popstate`` (a link's query), or the form filled in and submitted (a pasted
``config.json``). After each answer every result's ``data-value`` is compared with the JSON
that ``ai-workloads params/memory/roofline ... --json`` prints for the same question, run
here in Python. The points are drawn at random from a fixed seed, so a failure repeats.

What is not compared here: the reader's text of each result (formatting is tested in
``tests/calculator``) and the figure's pixels (its labels' size is checked at a phone's width).
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import re
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from ai_workloads.calculator.answer import QUANTITIES
from ai_workloads.calculator.form import model_choices
from ai_workloads.catalog import accelerator_names
from ai_workloads.cli import main
from ai_workloads.core.config import SUPPORTED_FAMILIES
from ai_workloads.core.formats import KV_FORMATS

from .conftest import (
    CALCULATOR_SETTLED,
    CALCULATOR_TIMEOUT_MS,
    PHONE,
    RUNTIME_FOLDERS,
    SITE,
    Crawl,
    foreign_requests,
)

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "reference_counts.json"
#: Weight formats drawn for the random points (plain, quantized, blocked, as stored).
WEIGHTS = ("bf16", "fp16", "fp8", "fp8-b128", "int8", "int4", "int4-g64", "nvfp4", "mxfp4",
           "checkpoint", "")
#: Where each quantity is in the CLI's JSON: (command, key); "step" is steps[0] of roofline.
WHERE = {name: (source, key) for name, source, key, _ in QUANTITIES}
N_POINTS = 24


@contextlib.contextmanager
def _captured() -> Iterator[io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out
    if err.getvalue():
        raise AssertionError(f"the CLI refused a question the page answered: {err.getvalue()}")


def cli_json(*args: str) -> dict[str, Any]:
    with _captured() as out:
        status = main([*args, "--json"])
    assert status == 0, args
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def cli_values(question: dict[str, str], tmp: Path) -> dict[str, str]:
    """Each quantity's value as the CLI prints it (JSON text) for ``question``."""
    model = question.get("model")
    if not model:
        model = str(tmp / "config.json")
        Path(model).write_text(question["config"], encoding="utf-8")
    chip = question.get("hardware")
    if not chip:
        chip = str(tmp / "chip.json")
        Path(chip).write_text(question["chip"], encoding="utf-8")
    context, batch = question.get("context", "4096"), question.get("batch", "1")
    formats = [*(("--dtype", question["dtype"]) if question.get("dtype") else ()),
               *(("--kv-dtype", question["kv_dtype"]) if question.get("kv_dtype") else ())]
    got = {"params": cli_json("params", model),
           "memory": cli_json("memory", model, "--context", context, "--batch", batch,
                              "--hardware", chip, *formats),
           "roofline": cli_json("roofline", model, "--hardware", chip, "--context", context,
                                "--batch", batch, "--devices", question.get("devices", "1"),
                                *formats)}
    got["step"] = got["roofline"]["steps"][0]
    return {name: json.dumps(got[source][key]) for name, (source, key) in WHERE.items()}


class Calculator:
    """The calculator page, driven as a reader drives it."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def answers(self) -> int:
        return int(self.page.get_attribute("#calc-app", "data-answers") or 0)

    def values(self) -> dict[str, str | None]:
        return dict(self.page.eval_on_selector_all(
            "[data-quantity]", "els => els.map(e => [e.dataset.quantity, "
            "e.dataset.value === undefined ? null : e.dataset.value])"))

    def _wait_past(self, before: int) -> None:
        self.page.wait_for_function(
            f"() => Number(document.getElementById('calc-app').dataset.answers || 0) > {before}")

    def open_query(self, query: dict[str, str]) -> None:
        """Go to this page with ``query`` as a link would, then answer (``popstate``)."""
        before = self.answers()
        self.page.evaluate("q => { history.pushState(null, '', '?' + q); "
                           "dispatchEvent(new PopStateEvent('popstate')); }", urlencode(query))
        self._wait_past(before)

    def submit(self, fields: dict[str, str]) -> None:
        """Fill the form's ``fields`` and press Compute."""
        for name, value in fields.items():
            selector = f"#calc-form [name={name}]"
            tag = self.page.eval_on_selector(selector, "e => e.tagName")
            if tag == "SELECT":
                self.page.select_option(selector, value)
            else:
                self.page.fill(selector, value)
        before = self.answers()
        self.page.click("#calc-go")
        self._wait_past(before)

    def error(self) -> str | None:
        if self.page.is_hidden("#calc-error"):
            return None
        return str(self.page.inner_text("#calc-error"))


@pytest.fixture(scope="module")
def opened(browser_context: Any, server: str) -> Iterator[tuple[Calculator, float, list[str]]]:
    """The calculator opened on a link; the seconds to its first answer; foreign requests."""
    page = browser_context.new_page()
    blocked: list[str] = []

    def abort(route: Any) -> None:
        blocked.append(route.request.url)
        route.abort()

    page.route(foreign_requests(server), abort)
    first = {"model": "llama-2-70b", "hardware": "h100-sxm", "devices": "2",
             "context": "2048", "batch": "8"}
    start = time.perf_counter()
    page.goto(f"{server}calculator.html?{urlencode(first)}")
    page.wait_for_selector("#calc-app[data-answers]", state="attached",
                           timeout=CALCULATOR_TIMEOUT_MS)
    seconds = time.perf_counter() - start
    try:
        yield Calculator(page), seconds, blocked
    finally:
        page.close()


def test_opening_a_link_computes_it(opened: tuple[Calculator, float, list[str]],
                                    tmp_path: Path) -> None:
    calc, seconds, blocked = opened
    assert calc.error() is None
    question = {"model": "llama-2-70b", "hardware": "h100-sxm", "devices": "2",
                "context": "2048", "batch": "8"}
    assert calc.values() == cli_values(question, tmp_path)
    # Meta's published count of the checkpoint, and the command line's largest batch.
    assert calc.values()["params_total"] == "68976648192"
    assert seconds < CALCULATOR_TIMEOUT_MS / 1000  # the figure itself: make bench
    assert not blocked, f"requests to other hosts: {blocked}"
    # The canonical query is in the address bar, so the link reproduces the view.
    shown = dict(re.findall(r"([a-z_]+)=([^&]*)", urlsplit(calc.page.url).query))
    assert shown == question


def cli_refusal(question: dict[str, str]) -> str | None:
    """The CLI's one-line refusal of a catalog question (model and chip by name), or None."""
    formats = [*(("--dtype", question["dtype"]) if question.get("dtype") else ()),
               *(("--kv-dtype", question["kv_dtype"]) if question.get("kv_dtype") else ())]
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        status = main(["roofline", question["model"], "--hardware", question["hardware"],
                       "--context", question["context"], "--batch", question["batch"],
                       "--devices", question["devices"], *formats, "--json"])
    return None if status == 0 else err.getvalue().strip().removeprefix("ai-workloads: error: ")


def random_points(seed: int = 12) -> tuple[list[dict[str, str]], list[tuple[dict[str, str], str]]]:
    """:data:`N_POINTS` questions the CLI answers, and the first three it refuses (a chip
    without the format's peak, say) with its message."""
    rng = random.Random(seed)
    models = [name for name, _ in model_choices()]
    chips = list(accelerator_names())
    answered: list[dict[str, str]] = []
    refused: list[tuple[dict[str, str], str]] = []
    while len(answered) < N_POINTS:
        point = {"model": rng.choice(models), "hardware": rng.choice(chips),
                 "devices": str(rng.choice((1, 1, 2, 4, 8))),
                 "batch": str(rng.choice((1, 2, 8, 32, 64, 256, rng.randint(1, 512)))),
                 "context": str(rng.choice((128, 2048, 4096, 32768, rng.randint(1, 131072)))),
                 "dtype": rng.choice(WEIGHTS), "kv_dtype": rng.choice(("", *KV_FORMATS))}
        message = cli_refusal(point)
        point = {k: v for k, v in point.items() if v}
        if message is None:
            answered.append(point)
        elif len(refused) < 3:
            refused.append((point, message))
    return answered, refused


ANSWERED, REFUSED = random_points()


@pytest.mark.parametrize("point", ANSWERED, ids=lambda p: "-".join(p.values()))
def test_random_points_equal_the_cli(opened: tuple[Calculator, float, list[str]],
                                     point: dict[str, str], tmp_path: Path) -> None:
    calc = opened[0]
    calc.open_query(point)
    assert calc.error() is None, calc.error()
    assert calc.values() == cli_values(point, tmp_path)


@pytest.mark.parametrize(("point", "message"), REFUSED, ids=lambda p: "-".join(p.values())
                         if isinstance(p, dict) else "")
def test_questions_the_cli_refuses_get_its_message(
        opened: tuple[Calculator, float, list[str]], point: dict[str, str], message: str
        ) -> None:
    calc = opened[0]
    calc.open_query(point)
    assert calc.error() == message
    assert set(calc.values().values()) == {None}


def family_configs() -> dict[str, str]:
    """A ``config.json`` of each supported family: the tiny models transformers built for the
    fixture, and catalog configs for the multimodal wrappers (Gemma 3, Llama 4)."""
    models = json.loads(FIXTURE.read_text(encoding="utf-8"))["models"]
    found: dict[str, str] = {}
    for name in sorted(models):
        config = models[name].get("config") or {}
        family = config.get("model_type")
        if family in SUPPORTED_FAMILIES and family not in found and family != "bert":
            found[family] = json.dumps(config, indent=2)
    return found


FAMILIES = family_configs()


def test_every_family_has_a_config() -> None:
    assert set(FAMILIES) == set(SUPPORTED_FAMILIES) - {"bert"}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_pasted_config_of_each_family_equals_the_cli(
        opened: tuple[Calculator, float, list[str]], family: str, tmp_path: Path) -> None:
    calc = opened[0]
    chips = list(accelerator_names())
    chip = chips[sorted(FAMILIES).index(family) % len(chips)]
    calc.submit({"model": "", "config": FAMILIES[family], "hardware": chip, "devices": "1",
                 "batch": "4", "context": "300", "dtype": "", "kv_dtype": ""})
    assert calc.error() is None, calc.error()
    question = {"config": FAMILIES[family], "hardware": chip, "batch": "4", "context": "300"}
    assert calc.values() == cli_values(question, tmp_path)


def test_a_chip_of_ones_own_equals_the_cli(opened: tuple[Calculator, float, list[str]],
                                           tmp_path: Path) -> None:
    calc = opened[0]
    calc.submit({"model": "qwen3-30b-a3b", "hardware": "custom", "chip_name": "design-a",
                 "chip_bf16": "1200", "chip_fp8": "2400", "chip_fp4": "",
                 "chip_bandwidth": "6000", "chip_capacity": "128", "devices": "1",
                 "batch": "16", "context": "8192", "dtype": "fp8", "kv_dtype": "fp8"})
    assert calc.error() is None, calc.error()
    query = dict(re.findall(r"([a-z_]+)=([^&]*)", urlsplit(calc.page.url).query))
    assert "chip" in query  # the chip travels in the link
    assert "hardware" not in query
    chip = json.dumps({"name": "design-a", "peak_tflops": {"bf16": 1200, "fp8": 2400},
                       "bandwidth_gb_s": 6000, "capacity": {"value": 128, "unit": "GiB"}})
    question = {"model": "qwen3-30b-a3b", "chip": chip, "batch": "16", "context": "8192",
                "dtype": "fp8", "kv_dtype": "fp8"}
    assert calc.values() == cli_values(question, tmp_path)


BAD = {
    "broken JSON": ({"model": "", "config": '{"model_type": "llama", "hidden_size": 64,'},
                    "the pasted config.json is not valid JSON: "),
    "unknown family": ({"model": "", "config": '{"model_type": "t5", "d_model": 512}'},
                       "the pasted config.json: unsupported model_type 't5'; "),
    "batch of 0": ({"model": "llama-3-8b", "batch": "0"},
                   "batch: expected a positive integer, got '0'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_shows_one_line_and_no_stale_result(
        opened: tuple[Calculator, float, list[str]], case: str) -> None:
    calc = opened[0]
    calc.submit({"model": "llama-3-8b", "config": "", "hardware": "h100-sxm", "batch": "1",
                 "context": "4096", "devices": "1", "dtype": "", "kv_dtype": ""})
    assert calc.error() is None
    assert all(calc.values().values())  # a result to go stale
    fields, message = BAD[case]
    calc.submit(fields)
    error = calc.error()
    assert error is not None
    assert error.startswith(message), error
    assert "\n" not in error.strip()
    assert "Traceback" not in error
    assert set(calc.values().values()) == {None}  # no data-value left anywhere
    assert calc.page.inner_text("#calc-chart") == ""


def test_chart_labels_are_legible_on_a_phone(opened: tuple[Calculator, float, list[str]]
                                             ) -> None:
    page = opened[0].page
    page.set_viewport_size(PHONE)
    try:
        smallest = page.evaluate("""() => Math.min(...Array.from(
            document.querySelectorAll('#calc-chart svg text'),
            t => t.getBoundingClientRect().height))""")
        sideways = page.evaluate("() => document.documentElement.scrollWidth > innerWidth")
    finally:
        page.set_viewport_size({"width": 1400, "height": 900})
    assert smallest >= 7, f"chart labels drawn {smallest:.1f} px tall at 390 px"
    assert not sideways


def test_only_the_calculator_fetches_python(crawl: Crawl) -> None:
    fetched = {path: visit.runtime_requests for path, visit in crawl.visits.items()
               if visit.runtime_requests}
    assert set(fetched) == {"calculator.html"}, fetched
    files = {Path(p).name for p in fetched["calculator.html"]}
    assert {"pyodide.asm.wasm", "python_stdlib.zip"} <= files
    assert any(name.endswith(".whl") for name in files)
    assert all(any(folder in p for folder in RUNTIME_FOLDERS)
               for p in fetched["calculator.html"])


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inside, self.hrefs = False, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "p" and attributes.get("class") == "try-it":
            self.inside = True
        elif tag == "a" and self.inside and attributes.get("href"):
            self.hrefs.append(str(attributes["href"]))
            self.inside = False


@pytest.mark.parametrize("chapter", ["05-shapes-and-parameters", "07-memory-wall",
                                     "08-modern-variants"])
def test_chapters_try_it_links_open_a_computed_view(
        opened: tuple[Calculator, float, list[str]], chapter: str, tmp_path: Path) -> None:
    parser = _Links()
    parser.feed((SITE / "chapters" / f"{chapter}.html").read_text(encoding="utf-8"))
    assert parser.hrefs, f"{chapter} has no link into the calculator"
    for href in parser.hrefs:
        target = urlsplit(href)
        assert target.path == "../calculator.html"
        query = dict(re.findall(r"([a-z_]+)=([^&]*)", target.query))
        opened[0].open_query(query)
        assert opened[0].error() is None
        assert opened[0].values() == cli_values(query, tmp_path)


def test_a_page_opened_from_a_file_says_why_it_cannot_start(browser_context: Any) -> None:
    page = browser_context.new_page()
    try:
        page.goto((SITE / "calculator.html").as_uri())
        page.wait_for_selector(CALCULATOR_SETTLED, state="attached")
        assert page.get_attribute("#calc-app", "data-state") == "unavailable"
        assert "served over HTTP" in page.inner_text("#calc-status-text")
    finally:
        page.close()
