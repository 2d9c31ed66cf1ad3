"""The calculator: the package answering a reader's question inside the page, with Pyodide.

An application beside the command line. It reads the calculator page's form or a link's
URL query into one question (a model or a pasted ``config.json``, a chip or one the reader
types, devices, batch, context, formats), answers it with the same functions the command
line's ``params``, ``memory`` and ``roofline`` commands call, and returns each quantity as
the command line's JSON prints it, with text for the reader and a roofline drawn in SVG.
It imports nothing that needs NumPy or matplotlib, so it runs in the reader's browser.

>>> from ai_workloads.calculator import answer
>>> answer({"model": "mistral-7b", "context": "32768"})["quantities"]["kv_cache"]["value"]
'536870912'
"""

from __future__ import annotations

from .answer import QUANTITIES, answer, answer_json
from .query import QUERY_KEYS, Question, read_question

__all__ = ["QUANTITIES", "QUERY_KEYS", "Question", "answer", "answer_json", "read_question"]
