"""The catalog: data files (models, accelerators, milestones, the lecture notes' quoted values)
and the functions that load them.

Each value carries its source. Loaders read and validate; they compute nothing: what follows
from a model or a chip is :mod:`ai_workloads.analysis`'s work.

>>> from ai_workloads.catalog import get_model
>>> get_model("llama-2-7b").d_model
4096
"""

from .entries import (
    ModelEntry,
    accelerator_names,
    get_accelerator,
    get_model,
    model_entries,
    model_entry,
    model_names,
    resolve_accelerator,
    resolve_model,
)
from .milestones import MilestoneRecord, TrainingRun, milestone_records
from .notes import (
    NotesModel,
    NotesQuote,
    notes_model,
    notes_models,
    notes_quote,
    notes_quotes,
    notes_source,
)

__all__ = [
    "MilestoneRecord",
    "ModelEntry",
    "NotesModel",
    "NotesQuote",
    "TrainingRun",
    "accelerator_names",
    "get_accelerator",
    "get_model",
    "milestone_records",
    "model_entries",
    "model_entry",
    "model_names",
    "notes_model",
    "notes_models",
    "notes_quote",
    "notes_quotes",
    "notes_source",
    "resolve_accelerator",
    "resolve_model",
]
