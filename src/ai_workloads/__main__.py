"""``python -m ai_workloads``: the same as the ``ai-workloads`` command."""

from .cli import run

run()
