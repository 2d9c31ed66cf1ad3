"""Notebook pages: the executed notebook offered for download, folded cells named well.

Each chapter's executed notebook is put next to its source (``_sources/<page>.ipynb``) for
the theme's ``.ipynb`` download button, with the run-time stamps and random cell ids
removed and printed text joined into one output per stream, so two builds give identical
files. A folded code cell (``hide-input``) gets a
``<summary>`` named by its visible text ("Show code cell source"), as WCAG 2.5.3 (label in
name) asks; myst-nb names it "Toggle hidden content".

>>> print(strip_run_metadata('{"cells": [], "metadata": {}}'), end="")
{
 "cells": [],
 "metadata": {}
}
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def merge_streams(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Outputs with each run of consecutive stream outputs of one name joined into one.

    A kernel sends what a cell prints in as many messages as its buffer was flushed, which
    depends on how busy the machine is; joined, the outputs are the same at every run (the
    pages show them joined too, ``nb_merge_streams``). A joined text ends with at most one
    newline, as the page shows it: on a loaded machine a kernel has been seen to send a
    print's closing newline twice.

    >>> out = merge_streams([{"output_type": "stream", "name": "stdout", "text": "a "},
    ...                      {"output_type": "stream", "name": "stdout", "text": ["b ", "c"]},
    ...                      {"output_type": "execute_result", "data": {}}])
    >>> [(o["output_type"], o.get("text")) for o in out]
    [('stream', 'a b c'), ('execute_result', None)]
    >>> merge_streams([{"output_type": "stream", "name": "stdout", "text": "x\\n"},
    ...                {"output_type": "stream", "name": "stdout", "text": "\\n"}])[0]["text"]
    'x\\n'
    """
    merged: list[dict[str, Any]] = []
    for output in outputs:
        text = output.get("text", "")
        text = "".join(text) if isinstance(text, list) else text
        last = merged[-1] if merged else None
        if output.get("output_type") == "stream" and last is not None \
                and last.get("output_type") == "stream" and last.get("name") == output.get("name"):
            last["text"] += text
        elif output.get("output_type") == "stream":
            merged.append({**output, "text": text})
        else:
            merged.append(output)
    for output in merged:
        if output.get("output_type") == "stream" and output["text"].endswith("\n"):
            output["text"] = output["text"].rstrip("\n") + "\n"
    return merged


def strip_run_metadata(notebook_json: str) -> str:
    """A notebook's JSON without per-run data (timings, random cell ids, the split of
    printed text into messages), keys sorted.

    >>> nb = '{"cells": [{"id": "f3a9", "metadata": {"execution": {"t": 1}}}], "metadata": {}}'
    >>> print(strip_run_metadata(nb))
    {
     "cells": [
      {
       "id": "cell-0",
       "metadata": {}
      }
     ],
     "metadata": {}
    }
    """
    notebook = json.loads(notebook_json)
    for index, cell in enumerate(notebook.get("cells", [])):
        cell.get("metadata", {}).pop("execution", None)
        if "id" in cell:  # random at every read: number the cells instead
            cell["id"] = f"cell-{index}"
        if "outputs" in cell:
            cell["outputs"] = merge_streams(cell["outputs"])
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def offer_notebook(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``: publish the executed notebook of a chapter for download.

    Runs before sphinx-book-theme builds its download menu, which adds a ``.ipynb`` entry
    when ``context["ipynb_source"]`` is set.

    >>> context: dict[str, Any] = {}
    >>> offer_notebook(None, "genindex", "genindex.html", context, None); context
    {}
    """
    if doctree is None or app.builder.format != "html":
        return
    if "kernelspec" not in app.env.metadata.get(pagename, {}):
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    text = strip_run_metadata(executed.read_text(encoding="utf-8"))
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    context["ipynb_source"] = f"{pagename}.ipynb"


def visit_hidden_input(self: Any, node: Any) -> None:
    """HTML of a folded code cell (``hide-input``), as myst-nb writes it but accessible.

    >>> from types import SimpleNamespace
    >>> writer = SimpleNamespace(body=[])
    >>> node = {"classes": ["tag_hide-input"], "prompt_show": "Show code cell source",
    ...         "prompt_hide": "Hide code cell source"}
    >>> visit_hidden_input(writer, node); depart_hidden_input(writer, node)
    >>> print("".join(writer.body), end="")
    <details class="admonition hide tag_hide-input">
    <summary>
    <p class="collapsed admonition-title">Show code cell source</p>
    <p class="expanded admonition-title">Hide code cell source</p>
    </summary>
    </details>
    """
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n<summary>\n')
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


def depart_hidden_input(self: Any, node: Any) -> None:
    """Close what :func:`visit_hidden_input` opened (example there)."""
    self.body.append("</details>\n")


def register(app: Sphinx) -> None:
    """Connect the download and the accessible folded cells to ``app``.

    >>> callable(register)
    True
    """
    from myst_nb.sphinx_ import HideCodeCellNode  # type: ignore[import-untyped]

    app.connect("html-page-context", offer_notebook, priority=450)
    app.add_node(HideCodeCellNode, override=True,
                 html=(visit_hidden_input, depart_hidden_input))
