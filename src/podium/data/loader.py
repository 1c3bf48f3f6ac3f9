"""Reading a competition's files and checking them against its config.

Only this module reads data files. Every problem is a :class:`DataError` naming the file
and column, raised before any training starts.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from podium.config import CompetitionConfig
from podium.exceptions import DataError, did_you_mean

__all__ = ["CompetitionData", "load_data", "resolve_data_dir", "file_fingerprint"]

DATA_DIR_ENV = "PODIUM_DATA_DIR"


@dataclass(frozen=True, eq=False)
class CompetitionData:
    """Train features, target, test features and the sample submission, checked.

    ``train`` and ``test`` hold feature columns only (no id, target, dropped or cv columns);
    ``cv_columns`` holds the columns the validation scheme needs (groups, time, folds).
    """

    train: pd.DataFrame
    y: pd.Series
    test: pd.DataFrame
    test_ids: pd.Series
    sample: pd.DataFrame
    cv_columns: pd.DataFrame
    data_dir: Path
    fingerprint: str


def resolve_data_dir(cfg: CompetitionConfig, comp_dir: Path, data_dir: Path | None) -> Path:
    """``--data-dir``, else ``$PODIUM_DATA_DIR/<competition>``, else ``<competition>/data``."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env) / cfg.name
    return comp_dir / "data"


def file_fingerprint(paths: list[Path]) -> str:
    """sha256 (first 16 hex) over the bytes of the files, in order."""
    h = hashlib.sha256()
    for path in paths:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:16]


def _read_csv(path: Path, role: str, data_dir: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(
            f"{role} file not found: {path} (data folder {data_dir}; "
            f"set --data-dir or ${DATA_DIR_ENV})"
        )
    try:
        frame = pd.read_csv(path, low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: {role} file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise DataError(f"{path}: cannot read {role} file as CSV: {first}") from None
    if frame.empty:
        raise DataError(f"{path}: {role} file has no rows")
    return frame


def _need(frame: pd.DataFrame, column: str, path: Path, what: str) -> None:
    if column not in frame.columns:
        raise DataError(
            f"{path}: {what} column {column!r} not found{did_you_mean(column, frame.columns)}"
        )


def _check_unique(values: pd.Series, path: Path, column: str) -> None:
    dup = values[values.duplicated()]
    if len(dup):
        shown = ", ".join(repr(v) for v in dup.unique()[:3])
        raise DataError(f"{path}: id column {column!r} has {len(dup)} duplicate ids ({shown})")


def _check_target(y: pd.Series, cfg: CompetitionConfig, path: Path) -> pd.Series:
    col = cfg.data.target
    missing = y.isna()
    if missing.any():
        rows = ", ".join(str(i) for i in np.flatnonzero(missing.to_numpy())[:5])
        raise DataError(
            f"{path}: target column {col!r} has {int(missing.sum())} missing values (rows {rows})"
        )
    if cfg.task == "regression":
        numeric = pd.to_numeric(y, errors="coerce")
        bad = numeric.isna()
        if bad.any():
            raise DataError(
                f"{path}: target column {col!r} must be numeric for regression, "
                f"found {y[bad].iloc[0]!r}"
            )
        return numeric.astype("float64")
    n_classes = y.nunique()
    if cfg.task == "binary" and n_classes != 2:
        raise DataError(f"{path}: binary target {col!r} needs 2 classes, found {n_classes}")
    if n_classes < 2:
        raise DataError(f"{path}: target {col!r} has a single class")
    return y


def _filter(train: pd.DataFrame, query: str, path: Path) -> pd.DataFrame:
    try:
        kept = train.query(query, engine="python")
    except Exception as exc:  # pandas raises many kinds for a bad expression
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"{path}: data.train_filter {query!r} cannot be applied: {first}"
        ) from None
    if kept.empty:
        raise DataError(f"{path}: data.train_filter {query!r} keeps no rows")
    return kept.reset_index(drop=True)


def load_data(cfg: CompetitionConfig, data_dir: Path) -> CompetitionData:
    """Read train, test and sample submission and check them against ``cfg``.

    Raises:
        DataError: a missing file or column, a bad target, duplicate ids, mismatched rows.
    """
    spec = cfg.data
    paths = [data_dir / spec.train, data_dir / spec.test, data_dir / spec.sample_submission]
    train_path, test_path, sample_path = paths
    train = _read_csv(train_path, "train", data_dir)
    test = _read_csv(test_path, "test", data_dir)
    sample = _read_csv(sample_path, "sample submission", data_dir)

    _need(train, spec.target, train_path, "target")
    if spec.train_filter:
        train = _filter(train, spec.train_filter, train_path)
    y = _check_target(train[spec.target], cfg, train_path)
    cv_cols = [c for c in (cfg.cv.groups, cfg.cv.time, cfg.cv.fold_column) if c]
    for col in cv_cols:
        _need(train, col, train_path, "cv")
    for col in spec.drop:
        _need(train, col, train_path, "drop")

    sub = cfg.submission
    _need(sample, sub.id, sample_path, "submission id")
    try:
        classes = np.unique(y.to_numpy()) if cfg.task == "multiclass" else None
        sub.value_columns(sample.columns, task=cfg.task, classes=classes)
    except ValueError as exc:
        raise DataError(f"{sample_path}: {exc}") from None
    if len(sample) != len(test):
        raise DataError(
            f"{sample_path}: sample submission has {len(sample)} rows but test file "
            f"{test_path.name} has {len(test)}"
        )
    _check_unique(sample[sub.id], sample_path, sub.id)

    if spec.id is not None:
        _need(test, spec.id, test_path, "id")
        if spec.id in train.columns:
            _check_unique(train[spec.id], train_path, spec.id)
        test_ids = test[spec.id]
        _check_unique(test_ids, test_path, spec.id)
    else:
        test_ids = pd.Series(np.arange(len(test)), name=sub.id)
    if set(test_ids.astype(str)) != set(sample[sub.id].astype(str)):
        extra = sorted(set(sample[sub.id].astype(str)) - set(test_ids.astype(str)))[:3]
        raise DataError(
            f"{sample_path}: ids in column {sub.id!r} do not match the test ids "
            f"(e.g. {', '.join(extra) or 'test ids missing from the sample'})"
        )

    non_features = {spec.target, *cv_cols, *spec.drop}
    if spec.id is not None:
        non_features.add(spec.id)
    features = [c for c in train.columns if c not in non_features]
    for col in features:
        if col not in test.columns:
            raise DataError(f"{test_path}: column {col!r} of {train_path.name} is missing")
    return CompetitionData(
        train=train[features].reset_index(drop=True),
        y=y.reset_index(drop=True),
        test=test[features].reset_index(drop=True),
        test_ids=test_ids.reset_index(drop=True),
        sample=sample,
        cv_columns=train[cv_cols].reset_index(drop=True),
        data_dir=data_dir,
        fingerprint=file_fingerprint(paths),
    )
