"""The README lists every family the config reader supports, and no other."""

from __future__ import annotations

import re
from pathlib import Path

from ai_workloads.core.config import SUPPORTED_FAMILIES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_lists_every_supported_family() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Model families", 1)[1].split("\n## ", 1)[0]
    listed = [name for line in section.splitlines() if line.startswith("- **")
              for name in re.findall(r"`([a-z0-9_]+)`", line)]
    assert sorted(listed) == sorted(SUPPORTED_FAMILIES)
    assert len(listed) == len(set(listed))
