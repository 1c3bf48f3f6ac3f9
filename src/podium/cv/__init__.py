"""Cross-validation: the fold assignment of a run (one per repeat), and inner folds that
follow it."""

from __future__ import annotations

from podium.cv.auto import choose_cv
from podium.cv.context import SplitContext
from podium.cv.folds import SCHEMES, Folds, FoldsSplitter
from podium.cv.repeats import as_repeats, check_repeatable, repeat_seed, repeats_fingerprint
from podium.cv.schemes import BUILTIN_SCHEMES, BuiltinScheme, FoldRequest, build_scheme
from podium.cv.splitters import TASKS, build_folds, inner_folds

__all__ = [
    "BUILTIN_SCHEMES",
    "BuiltinScheme",
    "FoldRequest",
    "SCHEMES",
    "TASKS",
    "Folds",
    "FoldsSplitter",
    "SplitContext",
    "as_repeats",
    "check_repeatable",
    "repeat_seed",
    "repeats_fingerprint",
    "build_folds",
    "build_scheme",
    "choose_cv",
    "inner_folds",
]
