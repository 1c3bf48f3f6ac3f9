"""The fold assignment of a run: the validation fold of every training row.

A run builds one :class:`Folds` and every stage, model and ensemble reuses it, so
out-of-fold predictions from different models line up row for row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from podium._validate import Integral, Interval, check_param
from podium.config.schema import CV_SCHEMES
from podium.exceptions import ConfigError, DataError, LeakageError, did_you_mean, plain

__all__ = ["SCHEMES", "Folds", "FoldsSplitter", "as_1d", "as_int_array", "infer_n_splits"]

SCHEMES: tuple[str, ...] = CV_SCHEMES
_NUMERIC = frozenset({"integer", "floating", "mixed-integer-float"})


def show(value: Any) -> str:
    """``repr`` of a value, with numpy scalars shown as plain Python values."""
    return plain(value)


def check_scheme(scheme: object) -> str:
    """Return ``scheme`` if it names a known cv scheme, else raise :class:`ConfigError`."""
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise ConfigError(f"unknown cv.scheme {scheme!r}{did_you_mean(str(scheme), SCHEMES)}")
    return scheme


def as_1d(values: Any, name: str, n_rows: int | None = None) -> np.ndarray:
    """Return ``values`` as a 1-D array without missing values, optionally of length ``n_rows``."""
    arr = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else np.asarray(values)
    if arr.ndim != 1:
        raise DataError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if n_rows is not None and len(arr) != n_rows:
        raise DataError(f"{name} has {len(arr)} values, expected n_rows={n_rows}")
    missing = np.asarray(pd.isna(arr), dtype=bool)
    if missing.any():
        first = int(np.argmax(missing))
        raise DataError(
            f"{name} has {int(missing.sum())} missing value(s) (first at row {first}), "
            "expected a value for every row"
        )
    return arr


def as_int_array(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as int64, raising :class:`DataError` for non-integer entries."""
    arr = as_1d(values, name)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    numeric = arr.dtype.kind == "f" or (
        arr.dtype.kind == "O" and pd.api.types.infer_dtype(arr, skipna=False) in _NUMERIC
    )
    if not numeric:
        raise DataError(f"{name} must hold integers, found dtype {arr.dtype}")
    num = arr.astype(np.float64)
    bad = ~np.isfinite(num) | (num != np.round(num))
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"{name} must hold integers, found {show(arr[i])} at row {i}")
    return num.astype(np.int64)


def infer_n_splits(fold: np.ndarray, name: str) -> int:
    """Check user fold ids (-1 or 0..k-1, k >= 2, none missing) and return k."""
    below = fold < -1
    if below.any():
        i = int(np.argmax(below))
        raise DataError(
            f"{name} must be -1 (never validated) or a fold id >= 0, found {fold[i]} at row {i}"
        )
    ids = np.unique(fold[fold >= 0]).tolist()
    if len(ids) < 2:
        raise DataError(f"{name} must define at least 2 folds, found {len(ids)} (fold ids {ids})")
    if ids[-1] != len(ids) - 1:
        missing = sorted(set(range(ids[-1])) - set(ids))[:5]
        raise DataError(
            f"{name} fold ids must be 0..k-1 with none missing, found ids {ids[:10]} "
            f"(missing {missing})"
        )
    return len(ids)


@dataclass(frozen=True, eq=False, repr=False)
class Folds:
    """The validation fold of every training row; immutable.

    Attributes:
        fold: int64 array, one entry per training row: the fold in which the row is
            validated, or -1 if it is never validated (e.g. the first block of a time split).
        n_splits: Number of folds.
        scheme: How the folds were built (one of :data:`SCHEMES`).
        train_mask: Optional bool array ``(n_rows, n_splits)``; column k marks the training
            rows of fold k. ``None`` means "all rows whose fold is not k".
    """

    fold: np.ndarray
    n_splits: int
    scheme: str
    train_mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        check_scheme(self.scheme)
        k = self.n_splits
        check_param("n_splits", k, Interval(Integral, 2))
        k = int(k)
        fold = np.asarray(self.fold)
        if fold.ndim != 1 or fold.dtype.kind not in "iu":
            raise DataError(f"fold must be a 1-D integer array, got {fold.dtype} {fold.shape}")
        fold = fold.astype(np.int64, copy=True)
        bad = (fold < -1) | (fold >= k)
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(f"fold ids must be -1 or 0..{k - 1}, found {fold[i]} at row {i}")
        empty = np.flatnonzero(np.bincount(fold[fold >= 0], minlength=k) == 0)
        if empty.size:
            raise DataError(f"fold {int(empty[0])} has no validation rows (n_splits={k})")
        fold.flags.writeable = False
        object.__setattr__(self, "fold", fold)
        object.__setattr__(self, "n_splits", k)
        if self.train_mask is not None:
            object.__setattr__(self, "train_mask", self._checked_mask(self.train_mask))

    def _checked_mask(self, train_mask: Any) -> np.ndarray:
        mask = np.asarray(train_mask)
        expected = (self.n_rows, self.n_splits)
        if mask.dtype != bool or mask.shape != expected:
            raise DataError(f"train_mask must be bool {expected}, got {mask.dtype} {mask.shape}")
        rows = np.flatnonzero(self.fold >= 0)
        leak = mask[rows, self.fold[rows]]
        if leak.any():
            row = int(rows[np.argmax(leak)])
            raise LeakageError(
                f"row {row} is both a training and a validation row of fold {self.fold[row]}"
            )
        no_train = np.flatnonzero(~mask.any(axis=0))
        if no_train.size:
            raise DataError(f"fold {int(no_train[0])} has no training rows")
        mask = mask.copy()
        mask.flags.writeable = False
        return mask

    def __repr__(self) -> str:
        return (
            f"Folds(scheme={self.scheme!r}, n_splits={self.n_splits}, n_rows={self.n_rows}, "
            f"fingerprint={self.fingerprint!r})"
        )

    @property
    def n_rows(self) -> int:
        """Number of training rows."""
        return int(self.fold.shape[0])

    def _check_k(self, k: int) -> int:
        ok = isinstance(k, int | np.integer) and not isinstance(k, bool)
        if not ok or not 0 <= k < self.n_splits:
            raise IndexError(f"fold k must be in 0..{self.n_splits - 1}, got {k!r}")
        return int(k)

    def train_index(self, k: int) -> np.ndarray:
        """Sorted int64 positions of the rows fold ``k`` trains on."""
        k = self._check_k(k)
        if self.train_mask is None:
            return np.flatnonzero(self.fold != k).astype(np.int64)
        return np.flatnonzero(self.train_mask[:, k]).astype(np.int64)

    def valid_index(self, k: int) -> np.ndarray:
        """Sorted int64 positions of the rows validated in fold ``k``."""
        k = self._check_k(k)
        return np.flatnonzero(self.fold == k).astype(np.int64)

    def split(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_idx, valid_idx)`` for every fold in order."""
        for k in range(self.n_splits):
            yield self.train_index(k), self.valid_index(k)

    def as_cv(self) -> FoldsSplitter:
        """Return a scikit-learn compatible splitter yielding the same splits."""
        return FoldsSplitter(self)

    def subset(self, rows: Any) -> Folds:
        """Return the folds of ``rows`` (positions), renumbered 0..len(rows)-1."""
        idx = as_int_array(rows, "rows")
        bad = (idx < 0) | (idx >= self.n_rows)
        if bad.any():
            raise DataError(f"rows must be in 0..{self.n_rows - 1}, found {idx[np.argmax(bad)]}")
        mask = None if self.train_mask is None else self.train_mask[idx]
        return Folds(self.fold[idx], self.n_splits, self.scheme, mask)

    def to_frame(self) -> pd.DataFrame:
        """Columns ``row``, ``fold`` and, with a train mask, ``train_0..`` as 0/1 ints."""
        cols: dict[str, np.ndarray] = {"row": np.arange(self.n_rows), "fold": self.fold}
        if self.train_mask is not None:
            for k in range(self.n_splits):
                cols[f"train_{k}"] = self.train_mask[:, k].astype(np.int64)
        return pd.DataFrame(cols)

    @cached_property
    def _csv_bytes(self) -> bytes:
        return self.to_frame().to_csv(index=False, lineterminator="\n").encode("utf-8")

    @property
    def fingerprint(self) -> str:
        """First 16 hex chars of the sha256 of the canonical CSV; equal folds, equal prints."""
        return hashlib.sha256(self._csv_bytes).hexdigest()[:16]

    def to_csv(self, path: str | Path) -> None:
        """Write the canonical CSV (the bytes the fingerprint is taken of)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self._csv_bytes)

    @classmethod
    def from_csv(cls, path: str | Path, *, scheme: str | None = None) -> Folds:
        """Read folds written by :meth:`to_csv`; see :meth:`from_frame` for ``scheme``."""
        path = Path(path)
        if not path.is_file():
            raise DataError(f"fold file not found: {path}")
        try:
            frame = pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
            raise DataError(f"cannot read fold file {path}: {err}") from err
        return cls.from_frame(frame, scheme=scheme, source=str(path))

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, *, scheme: str | None = None, source: str = "fold frame"
    ) -> Folds:
        """Build folds from a frame with columns ``row``, ``fold`` (and ``train_k``).

        Args:
            frame: The frame; ``row`` must be a permutation of 0..n-1.
            scheme: Scheme to record; default ``"time"`` if train columns are present,
                else ``"fold_column"``.
            source: Name used in error messages.
        """
        missing = [c for c in ("row", "fold") if c not in frame.columns]
        if missing:
            raise DataError(f"{source} needs columns 'row' and 'fold', missing {missing}")
        row = as_int_array(frame["row"], f"{source} column 'row'")
        if not np.array_equal(np.sort(row), np.arange(len(row))):
            raise DataError(f"{source} column 'row' must be a permutation of 0..{len(row) - 1}")
        order = np.argsort(row, kind="stable")
        fold = as_int_array(frame["fold"], f"{source} column 'fold'")[order]
        n_splits = infer_n_splits(fold, f"{source} column 'fold'")
        train_cols = [str(c) for c in frame.columns if str(c).startswith("train_")]
        mask = None
        if train_cols:
            expected = [f"train_{k}" for k in range(n_splits)]
            if sorted(train_cols) != sorted(expected):  # a set check would miss duplicates
                raise DataError(f"{source} train columns must be {expected}, got {train_cols}")
            ints = np.column_stack([as_int_array(frame[c], f"{source} {c}") for c in expected])
            if not np.isin(ints, (0, 1)).all():
                raise DataError(f"{source} train columns must hold 0 or 1")
            mask = ints[order] == 1
        if scheme is None:
            scheme = "time" if mask is not None else "fold_column"
        return cls(fold, n_splits, scheme, mask)


class FoldsSplitter:
    """scikit-learn splitter view of a :class:`Folds` (``split`` / ``get_n_splits``)."""

    def __init__(self, folds: Folds) -> None:
        self.folds = folds

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of folds; the arguments are ignored."""
        return self.folds.n_splits

    def split(
        self, X: Any = None, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield the folds' ``(train_idx, valid_idx)``; ``X`` must have ``n_rows`` rows."""
        if X is not None:
            n = X.shape[0] if hasattr(X, "shape") else len(X)
            if n != self.folds.n_rows:
                raise DataError(f"X has {n} rows but the folds cover {self.folds.n_rows} rows")
        yield from self.folds.split()
