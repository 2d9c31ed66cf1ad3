"""The calculator page's HTML form: its choices, its labels and its result slots.

The HTML is read with the standard library's parser. Expected choices come from the catalog
(its decoder models, its chips), the fields from the URL query's keys, and the result slots
from :data:`~ai_workloads.calculator.QUANTITIES`.
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest

from ai_workloads.calculator import QUANTITIES, QUERY_KEYS
from ai_workloads.calculator.form import form_html, model_choices
from ai_workloads.calculator.query import CHIP_FIELDS, CUSTOM, DEFAULTS
from ai_workloads.catalog import accelerator_names, model_entry, model_names
from ai_workloads.core.formats import KV_FORMATS, WEIGHT_FORMATS

FIELDS = ("input", "select", "textarea")


class Tags(HTMLParser):
    """Every start tag with its attributes, and each select's options."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.options: dict[str, list[str]] = {}
        self.selected: dict[str, list[str]] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        self.tags.append((tag, attributes))
        if tag == "select":
            self._select = attributes.get("name", "")
            self.options[self._select] = []
            self.selected[self._select] = []
        elif tag == "option" and self._select is not None:
            self.options[self._select].append(attributes.get("value", ""))
            if "selected" in attributes:
                self.selected[self._select].append(attributes.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


@pytest.fixture(scope="module")
def page() -> Tags:
    parser = Tags()
    parser.feed(form_html("_static/calculator/ai_workloads-0.1.0-py3-none-any.whl",
                          "_static/pyodide/"))
    parser.close()
    return parser


def test_each_quantity_has_one_slot(page: Tags) -> None:
    slots = Counter(a["data-quantity"] for _, a in page.tags if "data-quantity" in a)
    assert slots == Counter(name for name, *_ in QUANTITIES)
    assert set(slots.values()) == {1}


def test_ids_are_unique(page: Tags) -> None:
    ids = Counter(a["id"] for _, a in page.tags if "id" in a)
    assert [i for i, n in ids.items() if n > 1] == []


def test_every_label_has_its_field_and_every_field_a_label(page: Tags) -> None:
    ids = {a["id"]: tag for tag, a in page.tags if "id" in a}
    targets = [a["for"] for tag, a in page.tags if tag == "label"]
    assert targets
    for target in targets:
        assert ids.get(target) in FIELDS, target
    labelled = set(targets)
    for tag, a in page.tags:
        if tag in FIELDS and a.get("name") and a.get("type") != "hidden":
            assert a.get("id") in labelled, a["name"]


def test_the_field_names_are_the_query_keys_and_the_chip_fields(page: Tags) -> None:
    names = [a["name"] for tag, a in page.tags if tag in FIELDS and a.get("name")]
    assert sorted(names) == sorted([*QUERY_KEYS, *(key for key, _ in CHIP_FIELDS)])


def test_the_models_are_the_catalogs_decoders(page: Tags) -> None:
    decoders = [n for n in model_names() if not model_entry(n).config.encoder]
    assert page.options["model"] == ["", *decoders]   # "": my own config.json
    assert [name for name, _ in model_choices()] == decoders
    assert "bert-base" in model_names()
    assert "bert-base" not in page.options["model"]
    assert page.selected["model"] == [DEFAULTS["model"]]


def test_the_chips_are_the_catalogs_and_a_custom_one(page: Tags) -> None:
    assert page.options["hardware"] == [*accelerator_names(), CUSTOM]
    assert page.selected["hardware"] == [DEFAULTS["hardware"]]


def test_the_formats_are_the_command_lines(page: Tags) -> None:
    assert page.options["dtype"] == ["", "checkpoint", *WEIGHT_FORMATS]
    assert page.options["kv_dtype"] == ["", *KV_FORMATS]


def test_the_sizes_start_at_the_defaults(page: Tags) -> None:
    values = {a["name"]: a.get("value") for tag, a in page.tags if tag == "input"
              and a.get("name") in ("devices", "batch", "context")}
    assert values == {key: DEFAULTS[key] for key in ("devices", "batch", "context")}


def test_the_wheel_and_runtime_are_escaped() -> None:
    parser = Tags()
    parser.feed(form_html('a"b&.whl', "<py>/"))
    app = next(a for tag, a in parser.tags if a.get("id") == "calc-app")
    assert (app["data-wheel"], app["data-runtime"]) == ('a"b&.whl', "<py>/")

