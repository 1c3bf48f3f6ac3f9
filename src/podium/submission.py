"""Submission files in exactly the sample submission's format, validated, written atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from podium.config import SubmissionSpec
from podium.exceptions import SubmissionError, plain
from podium.outputs import atomic_write

__all__ = ["build_submission", "validate_submission", "write_submission"]


def build_submission(
    sample: pd.DataFrame,
    test_ids: pd.Series,
    pred: np.ndarray,
    *,
    spec: SubmissionSpec,
    task: str,
    classes: np.ndarray | None = None,
) -> pd.DataFrame:
    """Place test predictions into the sample submission's rows and columns.

    Rows follow the sample's id order (matched on the ids as text); binary probabilities
    are P(the second sorted class); labels are decoded to the original class values.
    """
    pred = np.asarray(pred)
    if len(pred) != len(test_ids):
        raise SubmissionError(f"{len(pred)} predictions for {len(test_ids)} test rows")
    pos = pd.Series(np.arange(len(test_ids)), index=test_ids.astype(str).to_numpy())
    order = pos.reindex(sample[spec.id].astype(str).to_numpy()).to_numpy()
    if np.isnan(order.astype(float)).any():
        raise SubmissionError(f"sample submission ids in {spec.id!r} are not all test ids")
    pred = pred[order.astype(int)]
    out = sample.copy()
    cols = _value_columns(sample, spec, task, classes)
    if task == "multiclass" and spec.kind == "probability":
        for j, c in enumerate(cols):
            out[c] = pred[:, j]
        return out
    if spec.kind == "label" and classes is not None:
        codes = pred.argmax(axis=1) if pred.ndim == 2 else (pred >= 0.5).astype(int)
        out[cols[0]] = classes[codes]
    else:
        out[cols[0]] = pred
    return out


def _value_columns(
    sample: pd.DataFrame, spec: SubmissionSpec, task: str | None, classes: np.ndarray | None
) -> list[str]:
    if task == "multiclass" and spec.kind == "probability" and classes is None:
        raise SubmissionError("multiclass probabilities need the class labels")
    try:
        return spec.value_columns(sample.columns, task=task, classes=classes)
    except ValueError as exc:
        raise SubmissionError(f"sample submission: {exc}") from None


def validate_submission(
    frame: pd.DataFrame,
    sample: pd.DataFrame,
    *,
    spec: SubmissionSpec,
    classes: np.ndarray | None = None,
) -> None:
    """Check a submission frame against the sample before it is written.

    Raises:
        SubmissionError: wrong columns, row count or ids; NaN or inf; probabilities
            outside [0, 1]; labels that are not classes of the target.
    """
    if list(frame.columns) != list(sample.columns):
        raise SubmissionError(
            f"columns {list(frame.columns)} differ from the sample's {list(sample.columns)}"
        )
    if len(frame) != len(sample):
        raise SubmissionError(f"{len(frame)} rows, the sample submission has {len(sample)}")
    if not frame[spec.id].astype(str).equals(sample[spec.id].astype(str)):
        raise SubmissionError(f"column {spec.id!r} does not list the sample's ids in its order")
    values = frame.drop(columns=[spec.id])
    if values.isna().to_numpy().any():
        raise SubmissionError(f"{int(values.isna().to_numpy().sum())} missing predictions")
    if spec.kind == "label":
        if classes is not None:
            (col,) = _value_columns(sample, spec, None, None)
            bad = ~frame[col].isin(classes)
            if bad.any():
                raise SubmissionError(
                    f"label {plain(frame[col][bad].iloc[0])} is not a class of the target"
                )
        return
    num = values.to_numpy(dtype="float64")
    if not np.isfinite(num).all():
        raise SubmissionError(f"{int((~np.isfinite(num)).sum())} predictions are inf")
    if spec.kind == "probability" and ((num < 0) | (num > 1)).any():
        raise SubmissionError(
            f"probabilities must lie in [0, 1], found {num.min():.6g}..{num.max():.6g}"
        )


def write_submission(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as CSV atomically (see :func:`podium.outputs.atomic_write`).

    Raises:
        SubmissionError: the file cannot be written (a full disk, ...): one line naming
            the folder; no partial file is left.
    """
    try:
        return atomic_write(path, lambda fh: frame.to_csv(fh, index=False, lineterminator="\n"))
    except OSError as exc:
        raise SubmissionError(
            f"cannot write the submission {Path(path).name} in {Path(path).parent}: "
            f"{exc.strerror or exc}"
        ) from None
