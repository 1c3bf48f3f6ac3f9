"""Reading a competition's files and checking them against its config.

Only this module reads data files. Every problem is a :class:`DataError` naming the file
and column, raised before any training starts.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from podium.config import CompetitionConfig, DataSpec
from podium.data.csvfile import DATA_DIR_ENV
from podium.data.csvfile import read_table as _read_csv
from podium.data.datetimes import MIXED, parse_datetimes
from podium.data.lean import downcast_integers, sample_rows, to_categories
from podium.data.profile import Profile, profile_columns
from podium.exceptions import DataError, did_you_mean, one_line, plain

__all__ = [
    "CompetitionData",
    "load_data",
    "profile_files",
    "resolve_data_dir",
    "file_fingerprint",
]


@dataclass(frozen=True, eq=False)
class CompetitionData:
    """Train features, target, test features and the sample submission, checked.

    ``train`` and ``test`` hold feature columns only (no id, target, dropped, cv or
    train-only columns; a datetime id is kept as a feature, see ``data.datetime_id``);
    datetime-kind features are datetime64. ``cv_columns`` holds the columns the validation
    scheme needs (groups, time, folds), ``test_cv_columns`` those of them the test file has
    too (for :mod:`podium.data.relation`). ``profile`` gives every train column (the target
    aside) a kind; ``notices`` are one-line messages about what the loader did.
    """

    train: pd.DataFrame
    y: pd.Series
    test: pd.DataFrame
    test_ids: pd.Series
    sample: pd.DataFrame
    cv_columns: pd.DataFrame
    data_dir: Path
    fingerprint: str
    profile: Profile = field(default_factory=lambda: Profile(()))
    notices: list[str] = field(default_factory=list)
    test_cv_columns: pd.DataFrame = field(default_factory=pd.DataFrame)
    schema: pd.DataFrame | None = None
    train_ids: pd.Series | None = None
    """The train rows' ids (``data.id``; ``None`` when the train file has no id column)."""
    """The feature columns as read from the train file, no rows: what a new test file is
    read against (see :func:`podium.data.newtest.read_test`)."""

    @property
    def kinds(self) -> dict[str, str]:
        """Feature column -> kind, in the features' order (see :mod:`podium.data.profile`);
        the id, target, cv and dropped columns are not features and are not listed."""
        kinds = self.profile.kinds
        return {c: kinds[c] for c in self.train.columns if c in kinds}


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


def _need(frame: pd.DataFrame, column: str, path: Path, what: str) -> None:
    if column not in frame.columns:
        raise DataError(
            f"{path}: {what} column {column!r} not found{did_you_mean(column, frame.columns)}"
        )


def _check_unique(values: pd.Series, path: Path, column: str) -> None:
    missing = np.flatnonzero(values.isna().to_numpy())
    if len(missing):
        rows = ", ".join(str(i + 1) for i in missing[:5])
        raise DataError(
            f"{path}: id column {column!r} has {len(missing)} missing ids (data rows {rows})"
        )
    dup = values[values.duplicated()]
    if len(dup):
        shown = ", ".join(plain(v) for v in dup.unique()[:3])
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
        raise DataError(
            f"{path}: data.train_filter {query!r} cannot be applied: {one_line(exc)}"
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
    if spec.sample is not None:
        rows = sample_rows(
            len(train), spec.sample, cfg.seed, None if cfg.task == "regression" else y
        )
        train, y = train.iloc[rows].reset_index(drop=True), y.iloc[rows].reset_index(drop=True)
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
    sample_ids = set(sample[sub.id].astype(str))
    # no id column and a sample numbered 1..n (ImageId): test row k is id k + 1
    from_one = spec.id is None and sample_ids == set(map(str, range(1, len(test) + 1)))
    if spec.id is None:
        test_ids = pd.Series(np.arange(len(test)) + int(from_one), name=sub.id)
    test_id_set = set(test_ids.astype(str))
    if test_id_set != sample_ids:
        extra = sorted(sample_ids - test_id_set)[:3]
        raise DataError(
            f"{sample_path}: ids in column {sub.id!r} do not match the test ids "
            f"(e.g. {', '.join(extra) or 'test ids missing from the sample'})"
        )

    profile = _profile(train, test, spec, train_path, test_path)
    # Columns cv: auto took from the features stay features (and are read from them).
    shared = [c for c in cv_cols if c in cfg.cv.from_features]
    only_cv = [c for c in cv_cols if c not in shared]
    features, notices = _features(train, profile, spec, only_cv, test_path)
    if from_one and len(test):
        notices.append(
            f"data.id is null and {sample_path.name}'s {sub.id!r} is 1..{len(test)}: "
            f"test row k (from 0) is id k+1"
        )
    train_x, test_x = train[features].reset_index(drop=True), test[features].reset_index(drop=True)
    schema = train_x.iloc[:0].copy()
    notices += _numbers_in_test(train_x, test_x, profile, train_path, test_path)
    notices += _convert_datetimes(train_x, test_x, profile)
    cv_train = train[only_cv].reset_index(drop=True)
    cv_test = test[[c for c in only_cv if c in test.columns]].reset_index(drop=True)
    for c in shared:
        cv_train[c], cv_test[c] = train_x[c], test_x[c]
    to_categories(train_x, test_x, profile.columns("categorical"))
    downcast_integers(train_x, test_x)
    fingerprint = file_fingerprint(paths)
    if spec.sample is not None:
        fingerprint += f"-sample{spec.sample:g}-seed{cfg.seed}"
        notices.append(
            f"data.sample: {len(train_x)} of the training rows ({spec.sample:g}, "
            f"seed {cfg.seed}{'' if cfg.task == 'regression' else ', stratified'})"
        )
    return CompetitionData(
        train=train_x,
        y=y.reset_index(drop=True),
        test=test_x,
        test_ids=test_ids.reset_index(drop=True),
        sample=sample,
        cv_columns=cv_train[cv_cols],
        data_dir=data_dir,
        fingerprint=fingerprint,
        profile=profile,
        notices=notices,
        test_cv_columns=cv_test,
        schema=schema,
        train_ids=train[spec.id].reset_index(drop=True)
        if spec.id is not None and spec.id in train.columns
        else None,
    )


def profile_files(train_path: Path, test_path: Path) -> Profile:
    """The profile of every column of two data files (``podium new --data-dir``)."""
    data_dir = train_path.parent
    train = _read_csv(train_path, "train", data_dir)
    test = _read_csv(test_path, "test", data_dir)
    return profile_columns(train, test, test_name=test_path.name)


def _profile(
    train: pd.DataFrame, test: pd.DataFrame, spec: DataSpec, train_path: Path, test_path: Path
) -> Profile:
    for col in spec.kinds:
        if col == spec.target:
            raise DataError(f"{train_path}: data.kinds names the target column {col!r}")
        _need(train, col, train_path, "data.kinds")
    return profile_columns(
        train.drop(columns=spec.target), test, kinds=spec.kinds, test_name=test_path.name
    )


def _features(
    train: pd.DataFrame, profile: Profile, spec: DataSpec, cv_cols: list[str], test_path: Path
) -> tuple[list[str], list[str]]:
    """The feature columns and the notices about them (train-only ones dropped, ...)."""
    non_features = {spec.target, *cv_cols, *spec.drop}
    if spec.id is not None:
        non_features.add(spec.id)
    candidates = [c for c in train.columns if c not in non_features]
    kinds = profile.kinds
    notices = []
    dropped = [c for c in candidates if kinds[c] == "train_only"]
    absent = [c for c in dropped if profile[c].n_distinct_test is None]
    if absent:
        notices.append(
            f"train-only columns dropped: {', '.join(absent)} (absent from {test_path.name})"
        )
    if len(absent) < len(dropped):
        empty = ", ".join(c for c in dropped if c not in absent)
        notices.append(f"columns all missing in {test_path.name} dropped: {empty}")
    features = [c for c in candidates if kinds[c] != "train_only"]
    if spec.id is not None and spec.id in kinds and kinds[spec.id] == "datetime":
        if spec.datetime_id:
            features.insert(0, spec.id)
            notices.append(
                f"id column {spec.id!r} is a datetime: a copy is kept as a feature "
                "(data.datetime_id: false turns this off)"
            )
    codes = [
        c
        for c in features
        if kinds[c] == "categorical" and pd.api.types.is_integer_dtype(train[c].dtype)
    ]
    if codes:
        notices.append(
            f"integer columns profiled as category codes: {', '.join(codes)} "
            "(podium profile shows why; data.kinds sets a kind)"
        )
    constant = [c for c in features if kinds[c] == "constant"]
    if constant:
        notices.append(f"constant columns: {', '.join(constant)}")
    return features, notices


def _numbers_in_test(
    train: pd.DataFrame, test: pd.DataFrame, profile: Profile, train_path: Path, test_path: Path
) -> list[str]:
    """A numeric train column must be numbers in test too: text there is refused (naming
    the file, column and first value); blanks alone are read as missing (in place)."""
    blanks = []
    for col in train.columns:
        if profile[col].kind != "numeric" or col not in test.columns:
            continue
        s, t = train[col], test[col]
        if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_numeric_dtype(t.dtype):
            continue
        text = t.astype("str").str.strip().where(t.notna())
        numbers = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = np.flatnonzero((text.notna() & (text != "") & numbers.isna()).to_numpy())
        if len(bad):
            raise DataError(
                f"{test_path}: column {col!r} is numeric in {train_path.name} but holds text "
                f"in {test_path.name}: {plain(t.iloc[bad[0]])} at data row {bad[0] + 1}"
                + (f" ({len(bad)} such values)" if len(bad) > 1 else "")
            )
        test[col] = numbers.astype("float64")
        blanks.append(col)
    if not blanks:
        return []
    return [f"blank values in {test_path.name} read as missing: {', '.join(blanks)}"]


def _convert_datetimes(train: pd.DataFrame, test: pd.DataFrame, profile: Profile) -> list[str]:
    """Parse the datetime-kind features of both frames in place (unparseable -> NaT)."""
    parsed = []
    for col in train.columns:
        entry = profile[col]
        if entry.kind != "datetime" or pd.api.types.is_datetime64_any_dtype(train[col].dtype):
            continue
        lost = 0
        for frame in (train, test):
            before = frame[col].notna()
            frame[col] = parse_datetimes(frame[col], entry.datetime_format)
            lost += int((before & frame[col].isna()).sum())
        notes = [f"{lost} unparseable values -> NaT"] if lost else []
        if entry.datetime_format == MIXED:
            notes.append("no one format fits: read value by value, 01/02 as January 2")
        parsed.append(col + (f" ({'; '.join(notes)})" if notes else ""))
    if not parsed:
        return []
    return [f"datetime columns parsed to datetime64: {', '.join(parsed)}"]
