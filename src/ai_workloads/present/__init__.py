"""Presentation: tables, figures, the plotting style and number formatting.

Functions here format results they are given and do no arithmetic of their own; the numbers
come from :mod:`ai_workloads.analysis` (through the catalog's models and chips). Figures are
drawn with :mod:`ai_workloads.present.style`.

>>> from ai_workloads.present.tables import Table
>>> Table("Demo", ("model", "params"), (("gpt2", "124M"),)).to_markdown().splitlines()[0]
'| model | params |'
"""
