"""The target of a target encoding: one float column per output.

Binary targets become one 0/1 indicator (int8), multiclass targets one indicator per
class (made from the class codes when used), regression targets y itself. The task is
given or inferred (:func:`podium.features.target_codes.infer_task`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from podium.exceptions import ConfigError, DataError
from podium.features.target_codes import infer_task, target_codes

__all__ = ["EncodedTarget", "encoded_target"]


@dataclass
class EncodedTarget:
    """The target as one float column per output: 0/1 indicators, or y (regression)."""

    task: str
    suffixes: list[str]
    classes: np.ndarray | None
    codes: np.ndarray | None = None  # class codes (multiclass): indicators made per use
    values: np.ndarray | None = None  # the one column (binary int8 0/1 / regression y)

    @property
    def indicator(self) -> bool:
        return self.task != "regression"

    def column(self, j: int) -> np.ndarray:
        """Output j's target column: int8 0/1 indicators, or float y (regression)."""
        if self.values is not None:
            return self.values
        assert self.codes is not None
        return (self.codes == j).view(np.int8)

    def strata(self) -> np.ndarray | None:
        """Class codes to stratify inner folds on (None for regression)."""
        if self.task == "regression":
            return None
        if self.codes is not None:
            return self.codes
        return self.values


def encoded_target(
    y: np.ndarray, n_rows: int, task: str | None, stage: str = "target_encoder"
) -> EncodedTarget:
    """Validate ``y`` and turn it into per-output weights (``stage`` names the stage in errors)."""
    if y.ndim != 1:
        y = y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y
    if y.ndim != 1 or len(y) != n_rows:
        raise DataError(
            f"stage {stage!r}: y must be one value per row ({n_rows}), got shape {y.shape}"
        )
    if y.dtype.kind not in "biu":
        missing = np.asarray(pd.isna(y))
        if missing.any():
            raise DataError(
                f"stage {stage!r}: y has {int(missing.sum())} missing value(s) "
                f"(first at row {int(np.argmax(missing))})"
            )
    codes = classes = None
    if task is None:
        if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
            task = "regression"
        else:
            codes, classes = target_codes(y)
            task = infer_task(y, classes)
    if task == "regression":
        try:
            yf = y.astype(np.float64, copy=False)
        except (TypeError, ValueError) as err:
            raise DataError(f"stage {stage!r}: task 'regression' needs numeric y: {err}") from None
        return EncodedTarget(task, [""], None, values=yf)
    if codes is None or classes is None:
        codes, classes = target_codes(y)
    if task == "binary":
        if len(classes) > 2:
            raise ConfigError(f"stage {stage!r}: task 'binary' but y has {len(classes)} classes")
        if len(classes) == 2:
            single = (codes == 1).view(np.int8)
        else:  # one class present: 0/False means "never positive"
            zero = classes.dtype.kind in "biuf" and classes[0] == 0
            single = np.full(len(y), 0 if zero else 1, dtype=np.int8)
        return EncodedTarget(task, [""], classes, values=single)
    return EncodedTarget(task, [f"_{c}" for c in classes], classes, codes=codes)
