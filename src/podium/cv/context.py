"""What a cross-fitted stage needs to build inner folds that follow the outer scheme."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from podium.cv.folds import Folds
from podium.cv.splitters import build_folds

__all__ = ["SplitContext"]

_INNER_SCHEME = {
    "kfold": "kfold",
    "stratified_kfold": "stratified_kfold",
    "group_kfold": "group_kfold",
    "stratified_group_kfold": "stratified_group_kfold",
    "time": "time",
    "fold_column": "kfold",
    "period_tail": "kfold",
}


@dataclass(frozen=True, eq=False)
class SplitContext:
    """The outer validation scheme and the per-row columns it uses, for the rows being fit.

    The engine passes ``split_context=`` to each stage's ``fit_transform`` (restricted to
    the training part of the outer fold); cross-fitted stages call :meth:`inner_folds` so
    that grouped outside means grouped inside and time-ordered means past only.

    Attributes:
        scheme: the outer scheme name.
        task: ``binary``, ``multiclass`` or ``regression``.
        groups, time: per-row values aligned with the rows being fit (or None).
        gap: distinct time periods skipped between training and validation (time only).
        data_dir: the folder the run's data files were read from (a competition plug-in
            may read other files there). During ``podium audit``'s permuted-target check
            it is a copy whose train file has the target permuted, so a stage that reads
            the train file's target itself is audited too.
    """

    scheme: str = "kfold"
    task: str | None = None
    groups: np.ndarray | None = None
    time: np.ndarray | None = None
    gap: int = 0
    data_dir: Path | None = None

    def subset(self, rows: np.ndarray) -> SplitContext:
        """The context for a subset of rows (positions)."""
        return replace(
            self,
            groups=None if self.groups is None else np.asarray(self.groups)[rows],
            time=None if self.time is None else np.asarray(self.time)[rows],
        )

    @property
    def inner_scheme(self) -> str:
        return _INNER_SCHEME.get(self.scheme, "kfold")  # a plug-in's scheme: kfold inside

    def inner_folds(self, n_rows: int, *, n_splits: int, seed: int, y: np.ndarray | None) -> Folds:
        """Inner folds on ``n_rows`` rows that follow the outer scheme."""
        scheme = self.inner_scheme
        if scheme.startswith("stratified") and (y is None or self.task == "regression"):
            scheme = scheme.replace("stratified_", "") if "group" in scheme else "kfold"
        return build_folds(
            scheme,
            n_rows=n_rows,
            n_splits=n_splits,
            seed=seed,
            shuffle=scheme != "time",
            y=y,
            task=self.task,
            groups=self.groups,
            time=self.time,
            gap=self.gap if scheme == "time" else 0,
        )
