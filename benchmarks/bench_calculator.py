"""The calculator page: how long a reader waits for the first answer, and for each one after.

Serves the built site (``_build/html``; ``make html`` first if it is missing) on 127.0.0.1
and opens a calculator link in headless Chromium (Debian's, as the browser tests drive it,
every other host refused):

* cold: a fresh browser profile each time (nothing cached), from ``goto`` to the first
  answer on the page (Python fetched, started, the package installed and imported, the
  link's question answered); five runs, the median counts;
* warm: the same link opened again in that browser (the runtime from its cache);
* each later answer: a new question asked through the page (as the back button does),
  the median of twenty.

It also weighs what the calculator fetches once: Pyodide's files and the package's wheel
(1 MB = 10⁶ bytes). Target on a 2-core machine: the cold first answer within 10 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT / "tests"))
from browser.conftest import CHROMIUM_ARGS, chromium_path, serve  # noqa: E402

#: The link opened: the case of chapter 7 (Llama 2 70B on two H100s at 2,048 tokens).
LINK = {"model": "llama-2-70b", "hardware": "h100-sxm", "devices": "2", "context": "2048",
        "batch": "8"}
COLD_RUNS = 5
LATER_ANSWERS = 20
TARGET_FIRST_S = 10.0
ANSWERED = "#calc-app[data-answers]"


def _answers(page: Any) -> int:
    return int(page.get_attribute("#calc-app", "data-answers") or 0)


def _open(page: Any, base: str) -> float:
    start = time.perf_counter()
    page.goto(f"{base}calculator.html?{urlencode(LINK)}")
    page.wait_for_selector(ANSWERED, state="attached", timeout=120_000)
    return time.perf_counter() - start


def _ask(page: Any, batch: int) -> float:
    before = _answers(page)
    start = time.perf_counter()
    page.evaluate("q => { history.pushState(null, '', '?' + q); "
                  "dispatchEvent(new PopStateEvent('popstate')); }",
                  urlencode({**LINK, "batch": str(batch)}))
    page.wait_for_function(f"() => Number(document.getElementById('calc-app')"
                           f".dataset.answers) > {before}")
    return time.perf_counter() - start


def runtime_bytes(site: Path = SITE) -> int:
    """Bytes of Pyodide's files and the package's wheel, as the site serves them."""
    folders = [site / "_static" / "pyodide", site / "_static" / "calculator"]
    return sum(f.stat().st_size for folder in folders for f in folder.iterdir() if f.is_file())


def run() -> dict[str, Any]:
    """Time the calculator's first and later answers; print and return the figures."""
    if not (SITE / "calculator.html").is_file():
        subprocess.run(["make", "html"], cwd=ROOT, check=True)
    executable = chromium_path()
    if executable is None:
        raise SystemExit("Chromium is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()[0]
    cold: list[float] = []
    warm = 0.0
    later: list[float] = []
    with serve(SITE) as base, sync_playwright() as playwright:
        for run_index in range(COLD_RUNS):
            with tempfile.TemporaryDirectory(prefix="bench-calculator-") as profile:
                context = playwright.chromium.launch_persistent_context(
                    profile, executable_path=str(executable), headless=True,
                    args=list(CHROMIUM_ARGS), ignore_default_args=["--headless"])
                context.route("**/*", lambda route: route.continue_()
                              if route.request.url.startswith(base) else route.abort())
                page = context.new_page()
                cold.append(_open(page, base))
                if run_index == 0:
                    warm = _open(page, base)
                    later = [_ask(page, 1 + k) for k in range(LATER_ANSWERS)]
                context.close()
    first = statistics.median(cold)
    figures: dict[str, Any] = {
        "first_answer_cold_s": first, "first_answer_cold_all_s": cold,
        "first_answer_warm_s": warm, "later_answer_median_s": statistics.median(later),
        "runtime_mb": runtime_bytes() / 1e6, "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "targets": [{"name": "first answer from a link (cold)", "value": first,
                     "limit": TARGET_FIRST_S, "unit": "s", "ok": first <= TARGET_FIRST_S}],
    }
    print(f"calculator: first answer from a link, cold {first:.2f} s (median of "
          f"{COLD_RUNS}: {', '.join(f'{s:.2f}' for s in cold)}), warm {warm:.2f} s; each "
          f"later answer {1e3 * figures['later_answer_median_s']:.0f} ms (median of "
          f"{LATER_ANSWERS}); fetched once: {figures['runtime_mb']:.1f} MB "
          f"(target: first answer <= {TARGET_FIRST_S:.0f} s)")
    return figures


if __name__ == "__main__":
    run()
