"""Accessibility: axe-core finds no serious or critical violation on any page.

axe-core (pinned in ``package-lock.json``; ``npm ci --prefix tests/browser``) is injected
into every page during the one crawl of ``conftest.py`` and run over the whole document,
every rule enabled.
"""

from __future__ import annotations

import pytest

from .conftest import AXE_SCRIPT, Crawl, missing

pytestmark = pytest.mark.browser

#: Impacts that fail the test; "minor" and "moderate" are reported in the crawl summary.
BLOCKING = frozenset({"serious", "critical"})


def test_axe_finds_no_serious_or_critical_violation(crawl: Crawl) -> None:
    if not crawl.axe_ran or not AXE_SCRIPT.is_file():
        missing("axe-core is missing: npm ci --prefix tests/browser")
    assert all(visit.axe is not None for visit in crawl.visits.values())
    bad = {
        path: [f"{v['impact']} {v['id']}: {v['help']} at {v['targets']}"
               for v in visit.axe or [] if v["impact"] in BLOCKING]
        for path, visit in crawl.visits.items()
    }
    bad = {path: found for path, found in bad.items() if found}
    assert not bad, f"axe-core violations: {bad}"
