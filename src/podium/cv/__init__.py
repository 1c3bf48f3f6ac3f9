"""Cross-validation: the one fold assignment of a run, and inner folds that follow it."""

from __future__ import annotations

from podium.cv.context import SplitContext
from podium.cv.folds import SCHEMES, Folds, FoldsSplitter
from podium.cv.splitters import TASKS, build_folds, inner_folds

__all__ = [
    "SCHEMES",
    "TASKS",
    "Folds",
    "FoldsSplitter",
    "SplitContext",
    "build_folds",
    "inner_folds",
]
