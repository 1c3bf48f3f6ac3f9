"""Build the run's :class:`~podium.cv.folds.Folds` from a scheme name and the training data."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold

from podium._validate import Integral, Interval, check_param
from podium.cv.folds import (
    Folds,
    as_1d,
    as_int_array,
    check_scheme,
    infer_n_splits,
    show,
)
from podium.cv.period_tail import period_tail_folds
from podium.exceptions import ConfigError, DataError, did_you_mean

__all__ = ["TASKS", "build_folds", "inner_folds"]

TASKS: tuple[str, ...] = ("binary", "multiclass", "regression")

_STRATIFIED = ("stratified_kfold", "stratified_group_kfold")
_GROUPED = ("group_kfold", "stratified_group_kfold")
_MAX_BINS = 10


def build_folds(
    scheme: str,
    *,
    n_rows: int,
    n_splits: int = 5,
    seed: int = 0,
    shuffle: bool = True,
    y: Any = None,
    task: str | None = None,
    groups: Any = None,
    time: Any = None,
    gap: int = 0,
    fold_column: Any = None,
    period: str | None = None,
    tail: float | None = None,
    past_only: bool = False,
) -> Folds:
    """Build the one fold assignment of a run.

    Args:
        scheme: ``kfold``, ``stratified_kfold``, ``group_kfold``,
            ``stratified_group_kfold``, ``time``, ``period_tail`` or ``fold_column``.
        n_rows: Number of training rows.
        n_splits: Number of folds (ignored for ``fold_column``, where it is inferred).
        seed: Random state used when ``shuffle`` is true.
        shuffle: Shuffle before splitting (ignored by ``time`` and ``fold_column``).
        y: Target, required by the stratified schemes.
        task: ``binary``, ``multiclass`` or ``regression``; a regression target is
            stratified on up to 10 quantile bins. Inferred from ``y`` when ``None``.
        groups: Group label per row, required by the group schemes; a group is never split.
        time: Time value per row (numbers, dates or sortable strings), required by ``time``.
        gap: Number of distinct time periods skipped between training and validation.
        fold_column: Integer fold id per row (-1 = never validated), for ``fold_column``.
        period, tail, past_only: for ``period_tail`` (see
            :func:`podium.cv.period_tail.period_tail_folds`).

    Returns:
        The folds; identical inputs give identical folds.

    Raises:
        ConfigError: Unknown scheme or task, bad ``n_splits``/``gap``/``seed``, a missing
            input the scheme needs, or ``n_splits`` too large for the classes, groups or
            time values.
        DataError: Inputs of the wrong length, with missing values or non-integer fold ids.
    """
    check_scheme(scheme)
    n_rows = _check_int("n_rows", n_rows, 1)
    gap = _check_int("cv.gap", gap, 0)
    seed = _check_int("seed", seed, 0)
    if gap and scheme != "time":
        raise ConfigError(f"cv.gap only applies to scheme 'time', got gap={gap} with {scheme!r}")
    if scheme == "fold_column":
        if fold_column is None:
            raise ConfigError("cv.scheme 'fold_column' needs fold ids (cv.fold_column), got none")
        fold = as_int_array(as_1d(fold_column, "fold_column", n_rows), "fold_column")
        return Folds(fold, infer_n_splits(fold, "fold_column"), "fold_column")
    n_splits = _check_int("cv.n_splits", n_splits, 2)
    if n_splits > n_rows:
        raise ConfigError(f"cv.n_splits={n_splits} is larger than the number of rows ({n_rows})")
    if scheme == "time":
        return _time_folds(time, n_rows, n_splits, gap)
    if scheme == "period_tail":
        if time is None:
            raise ConfigError("cv.scheme 'period_tail' needs time values (cv.time), got none")
        if period is None:
            raise ConfigError("cv.scheme 'period_tail' needs cv.period (month, week or day)")
        return period_tail_folds(
            time, n_rows=n_rows, n_splits=n_splits, period=period, tail=tail,
            past_only=past_only,
        )  # fmt: skip

    labels = _strat_labels(y, task, n_rows, n_splits, scheme) if scheme in _STRATIFIED else None
    codes = _group_codes(groups, n_rows, n_splits, scheme) if scheme in _GROUPED else None
    rs = seed if shuffle else None
    shuffle = bool(shuffle)
    splitter: Any
    if scheme == "kfold":
        splitter = KFold(n_splits, shuffle=shuffle, random_state=rs)
    elif scheme == "stratified_kfold":
        splitter = StratifiedKFold(n_splits, shuffle=shuffle, random_state=rs)
    elif scheme == "group_kfold":
        splitter = GroupKFold(n_splits, shuffle=shuffle, random_state=rs)
    else:
        splitter = StratifiedGroupKFold(n_splits, shuffle=shuffle, random_state=rs)
    fold = np.full(n_rows, -1, dtype=np.int64)
    dummy_x = np.zeros((n_rows, 1), dtype=np.int8)
    with warnings.catch_warnings():  # a rare class: see _strat_labels
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        for k, (_, valid) in enumerate(splitter.split(dummy_x, labels, codes)):
            fold[valid] = k
    return Folds(fold, n_splits, scheme)


def inner_folds(
    outer: Folds,
    train_idx: Any,
    *,
    n_splits: int,
    seed: int,
    y: Any = None,
    groups: Any = None,
    time: Any = None,
    task: str | None = None,
    gap: int = 0,
) -> Folds:
    """Build folds inside the training part of an outer fold, following the outer scheme.

    Grouped outside gives grouped inside (groups never split), time gives past-only time
    folds, stratified gives stratified, ``kfold``, ``period_tail`` and ``fold_column`` give
    shuffled kfold.
    ``y``, ``groups`` and ``time`` may be aligned with all outer rows (length
    ``outer.n_rows``, then indexed by ``train_idx``) or already restricted to ``train_idx``.

    Args:
        outer: The run's folds.
        train_idx: Positions (into the outer rows) of the training part.
        n_splits: Number of inner folds.
        seed: Random state of the inner split.
        y: Target (needed if the outer scheme is stratified).
        groups: Group labels (needed if the outer scheme is grouped).
        time: Time values (needed if the outer scheme is ``time``).
        task: As in :func:`build_folds`.
        gap: Distinct time periods skipped inside (``time`` only).

    Returns:
        Folds over ``len(train_idx)`` rows; positions are relative to ``train_idx``.
    """
    idx = as_int_array(train_idx, "train_idx")
    bad = (idx < 0) | (idx >= outer.n_rows)
    if bad.any():
        raise DataError(
            f"train_idx must be positions in 0..{outer.n_rows - 1}, found {idx[np.argmax(bad)]}"
        )
    if len(np.unique(idx)) != len(idx):
        raise DataError("train_idx must not repeat a position")

    def part(values: Any, name: str) -> np.ndarray | None:
        if values is None:
            return None
        arr = as_1d(values, name)
        if len(arr) == outer.n_rows:
            return arr[idx]
        if len(arr) == len(idx):
            return arr
        raise DataError(
            f"{name} has {len(arr)} values, expected {outer.n_rows} (all rows) "
            f"or {len(idx)} (the training rows)"
        )

    scheme = "kfold" if outer.scheme in ("fold_column", "period_tail") else outer.scheme
    try:
        return build_folds(
            scheme,
            n_rows=len(idx),
            n_splits=n_splits,
            seed=seed,
            shuffle=True,
            y=part(y, "y") if scheme in _STRATIFIED else None,
            task=task,
            groups=part(groups, "groups") if scheme in _GROUPED else None,
            time=part(time, "time") if scheme == "time" else None,
            gap=gap if scheme == "time" else 0,
        )
    except (ConfigError, DataError) as err:
        raise type(err)(f"inner folds on {len(idx)} training rows: {err}") from err


def _check_int(name: str, value: Any, minimum: int) -> int:
    check_param(name, value, Interval(Integral), expected=f"an integer >= {minimum}")
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _time_folds(time: Any, n_rows: int, n_splits: int, gap: int) -> Folds:
    """n_splits+1 blocks of distinct times; fold k validates block k+1, trains on the past."""
    if time is None:
        raise ConfigError("cv.scheme 'time' needs time values (cv.time), got none")
    values = as_1d(time, "time", n_rows)
    try:
        ranks, uniques = pd.factorize(values, sort=True)
    except TypeError as err:
        raise DataError(f"time values cannot be ordered: {err}") from err
    n_times = len(uniques)
    if n_times < n_splits + 1:
        raise ConfigError(
            f"cv.scheme 'time' with cv.n_splits={n_splits} needs at least {n_splits + 1} "
            f"distinct time values, found {n_times}"
        )
    sizes = np.array([len(b) for b in np.array_split(np.arange(n_times), n_splits + 1)])
    if gap >= sizes[0]:
        raise ConfigError(
            f"cv.gap={gap} leaves fold 0 without training rows: the first time block has "
            f"{sizes[0]} distinct time values, so gap must be < {sizes[0]}"
        )
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    block_of_rank = np.repeat(np.arange(n_splits + 1), sizes)
    fold = block_of_rank[ranks] - 1
    train_mask = ranks[:, None] < (starts[1:] - gap)[None, :]
    return Folds(fold.astype(np.int64), n_splits, "time", train_mask)


def _infer_task(values: np.ndarray) -> str:
    if values.dtype.kind == "f" and not np.all(values == np.round(values)):
        return "regression"
    return "multiclass"


def _strat_labels(y: Any, task: str | None, n_rows: int, n_splits: int, scheme: str) -> Any:
    """Integer labels to stratify on: the classes, or quantile bins of a regression y."""
    if y is None:
        raise ConfigError(f"cv.scheme {scheme!r} needs the target y, got none")
    values = as_1d(y, "y", n_rows)
    inferred = task is None
    if task is None:
        task = _infer_task(values)
    elif task not in TASKS:
        raise ConfigError(f"unknown task {task!r}{did_you_mean(str(task), TASKS)}")
    if task == "regression":
        return _quantile_bins(values, n_splits)
    codes, uniques = pd.factorize(values, sort=True)
    counts = np.bincount(codes)
    i = int(np.argmin(counts))
    if counts[i] < n_splits and (task != "multiclass" or inferred or counts.max() < n_splits):
        hint = " (for a regression target pass task='regression')" if inferred else ""
        raise ConfigError(
            f"cv.n_splits={n_splits} is larger than the smallest class of y: "
            f"class {show(uniques[i])} has {counts[i]} rows{hint}"
        )
    # multiclass (the task given): a class of fewer rows than folds (a rare class of a real
    # competition) is dealt to as many folds as it has rows, so every training part keeps a
    # row of a class of 2+ rows. Binary: a fold without one class has no ROC-AUC; without
    # the task, such a class hints at a regression target.
    return codes


def _quantile_bins(values: np.ndarray, n_splits: int) -> np.ndarray:
    """Up to 10 quantile bins of y, each holding at least ``n_splits`` rows."""
    num = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(num)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"y must be finite numbers for task 'regression', found {show(values[i])} at row {i}"
        )
    for q in range(min(_MAX_BINS, len(num) // n_splits), 1, -1):
        bins = pd.qcut(num, q, labels=False, duplicates="drop")
        _, codes, counts = np.unique(bins, return_inverse=True, return_counts=True)
        if counts.min() >= n_splits:
            return codes
    return np.zeros(len(num), dtype=np.int64)


def _group_codes(groups: Any, n_rows: int, n_splits: int, scheme: str) -> np.ndarray:
    if groups is None:
        raise ConfigError(f"cv.scheme {scheme!r} needs group labels (cv.groups), got none")
    codes, uniques = pd.factorize(as_1d(groups, "groups", n_rows))
    if len(uniques) < n_splits:
        raise ConfigError(
            f"cv.n_splits={n_splits} is larger than the number of distinct groups ({len(uniques)})"
        )
    return codes
