"""Offline builds: glossary → dico → activations → index → evaluate, as papermill notebooks.

Each step is one function taking a ``session`` (the notebook's build cell wraps it in one
transaction); :func:`run_build` runs the notebooks and records ``BuildRun`` rows. Names are
loaded on first use so ``import core.builds`` stays cheap for the CLI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from core.builds.activations import build_activations
    from core.builds.dico import build_dico
    from core.builds.evaluate import run_evaluation
    from core.builds.figures import (
        glossary_tree_figure,
        recall_curve_figure,
        score_histogram,
        status_figure,
    )
    from core.builds.glossary import build_glossary
    from core.builds.history import list_runs
    from core.builds.index_step import build_index_step
    from core.builds.notebook import prepare_notebook
    from core.builds.runner import run_build, run_builds
    from core.builds.scheduler import run_schedule

_EXPORTS = {
    "build_glossary": "core.builds.glossary",
    "build_dico": "core.builds.dico",
    "build_activations": "core.builds.activations",
    "build_index_step": "core.builds.index_step",
    "run_evaluation": "core.builds.evaluate",
    "glossary_tree_figure": "core.builds.figures",
    "recall_curve_figure": "core.builds.figures",
    "score_histogram": "core.builds.figures",
    "status_figure": "core.builds.figures",
    "list_runs": "core.builds.history",
    "prepare_notebook": "core.builds.notebook",
    "run_build": "core.builds.runner",
    "run_builds": "core.builds.runner",
    "run_schedule": "core.builds.scheduler",
}

__all__ = [
    "build_activations",
    "build_dico",
    "build_glossary",
    "build_index_step",
    "glossary_tree_figure",
    "list_runs",
    "prepare_notebook",
    "recall_curve_figure",
    "run_build",
    "run_builds",
    "run_evaluation",
    "run_schedule",
    "score_histogram",
    "status_figure",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'core.builds' has no attribute {name!r}")
