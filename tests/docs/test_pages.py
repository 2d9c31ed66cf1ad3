"""Tests of pages: values against hand derivations and independent sources."""

from __future__ import annotations

import re
from pathlib import Path

from ai_workloads.cli import build_parser
from ai_workloads.present.reference_pages import (
    cli_commands,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"



def test_cli_page_documents_every_command() -> None:
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    sections = re.findall(r"^### (\S+)$", page, flags=re.M)
    assert sections == cli_commands(build_parser())
    for command in sections:
        assert f'cli_help(parser, "{command}")' in page


def test_pages_carry_their_labels() -> None:
    for page, label in [("errata.md", "errata"), ("notation.md", "notation"),
                        ("cli.md", "cli"), ("chapters/08-modern-variants.md", "ch08")]:
        text = (DOCS / page).read_text(encoding="utf-8")
        assert f"({label})=\n# " in text

