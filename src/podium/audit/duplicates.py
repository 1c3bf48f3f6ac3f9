"""Duplicates, identifiers and row order: leaks that live in the data files themselves.

Checks:
    * rows of test whose features repeat a training row (their target is known);
    * training rows identical in features but with different targets (label noise);
    * the target drifting with row order (files sorted by date or by target);
    * id-like columns (integers, near-unique per row) that predict the target;
    * target-statistic columns: numbers whose value groups carry exactly ordered target
      means, the signature of a target encoding computed on all training rows (each row's
      own target included) before the file was written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from podium.audit._stats import auc_tolerance, target_auc

__all__ = ["DuplicatesResult", "ColumnFinding", "duplicates_and_ids", "ID_AUC", "TE_RHO"]

ID_AUC = 0.6
"""An id-like column whose ROC-AUC against the target reaches this is flagged as a leak."""
NEAR_UNIQUE = 0.95
"""Share of distinct values above which a column is near-unique per row."""
TE_RHO = 0.98
"""Spearman correlation of value and value-group target mean flagged as a target statistic."""
TE_MIN_GROUPS = 20
TE_EXACT_MIN_GROUPS = 10
TE_EXACT_SHARE = 0.9
N_CHUNKS = 10


@dataclass(frozen=True)
class ColumnFinding:
    """A column and what was measured on it."""

    column: str
    auc: float
    unique_share: float
    detail: str = ""


@dataclass(frozen=True, eq=False)
class DuplicatesResult:
    """What :func:`duplicates_and_ids` found; ``leaks`` and ``warnings`` are sentences."""

    n_train: int
    n_test: int
    test_in_train: int
    train_duplicate_rows: int
    conflicting_groups: int
    conflicting_rows: int
    order_auc: float
    order_tolerance: float
    chunk_means: np.ndarray = field(repr=False)
    id_like: list[ColumnFinding] = field(default_factory=list)
    near_unique: list[ColumnFinding] = field(default_factory=list)
    target_stats: list[ColumnFinding] = field(default_factory=list)

    @property
    def order_drift(self) -> bool:
        """Whether the target depends on row order beyond chance."""
        return bool(self.order_auc - 0.5 > self.order_tolerance)

    @property
    def leaks(self) -> list[str]:
        out = [
            f"id-like column {c.column!r} predicts the target alone (ROC-AUC {c.auc:.3f} "
            f">= {ID_AUC})"
            for c in self.id_like
            if c.auc >= ID_AUC
        ]
        out += [
            f"column {c.column!r} looks like a target statistic computed on all training "
            f"rows ({c.detail})"
            for c in self.target_stats
        ]
        return out

    @property
    def warnings(self) -> list[str]:
        out = []
        if self.test_in_train:
            out.append(
                f"{self.test_in_train} of {self.n_test} test rows repeat a training row's "
                "features exactly"
            )
        if self.conflicting_groups:
            out.append(
                f"{self.conflicting_rows} training rows in {self.conflicting_groups} groups "
                "share identical features but have different targets"
            )
        if self.order_drift:
            out.append(
                f"the target depends on row order (ROC-AUC of row index {self.order_auc:.3f}, "
                f"chance 0.5 ± {self.order_tolerance:.3f}): shuffle before k-fold, or "
                "the order may encode time"
            )
        return out

    @property
    def info(self) -> list[str]:
        out = [
            f"{self.train_duplicate_rows} training rows repeat another training row",
            f"row-order ROC-AUC {self.order_auc:.3f} (chance 0.5 ± {self.order_tolerance:.3f})",
        ]
        out += [
            f"id-like column {c.column!r} (ROC-AUC {c.auc:.3f}, below {ID_AUC})"
            for c in self.id_like
            if c.auc < ID_AUC
        ]
        out += [
            f"near-unique numeric column {c.column!r} ({c.unique_share:.0%} distinct, "
            f"ROC-AUC {c.auc:.3f})"
            for c in self.near_unique
        ]
        return out


def _row_keys(frame: pd.DataFrame) -> pd.Series:
    text = frame.astype("string").fillna("<NA>")
    return pd.util.hash_pandas_object(text, index=False)


def duplicates_and_ids(
    train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame, *, task: str
) -> DuplicatesResult:
    """Run the data checks on prepared feature frames (see :func:`simple_features`)."""
    y = np.asarray(y)
    n = len(train)
    ktr, kte = _row_keys(train), _row_keys(test)
    test_in_train = int(kte.isin(set(ktr)).sum())
    dup_rows = int(ktr.duplicated().sum())
    n_targets = pd.Series(y).groupby(ktr.to_numpy()).nunique()
    sizes = ktr.value_counts()
    conflicting = n_targets[n_targets > 1].index
    order_auc = target_auc(np.arange(n, dtype="float64"), y, task)
    pos = int(_binary(y, task).sum())
    chunks = np.array_split(_binary(y, task) if task != "regression" else y, N_CHUNKS)
    id_like: list[ColumnFinding] = []
    near_unique: list[ColumnFinding] = []
    stats = []
    for col in train.columns:
        x = train[col]
        if x.dtype.kind != "f" or x.notna().sum() < 10:
            continue
        values = x.to_numpy(dtype="float64")
        share = x.nunique() / max(int(x.notna().sum()), 1)
        if share >= NEAR_UNIQUE:
            finding = ColumnFinding(str(col), target_auc(values, y, task), float(share))
            finite = values[np.isfinite(values)]
            (id_like if np.all(finite == np.round(finite)) else near_unique).append(finding)
        stat = _target_statistic(x, y, task)
        if stat is not None:
            stats.append(ColumnFinding(str(col), target_auc(values, y, task), float(share), stat))
    return DuplicatesResult(
        n_train=n,
        n_test=len(test),
        test_in_train=test_in_train,
        train_duplicate_rows=dup_rows,
        conflicting_groups=len(conflicting),
        conflicting_rows=int(sizes.reindex(conflicting).sum()) if len(conflicting) else 0,
        order_auc=order_auc,
        order_tolerance=auc_tolerance(max(pos, 1), max(n - pos, 1), floor=0.05),
        chunk_means=np.array([float(np.mean(c)) for c in chunks if len(c)]),
        id_like=id_like,
        near_unique=near_unique,
        target_stats=stats,
    )


def _binary(y: np.ndarray, task: str) -> np.ndarray:
    """The 0/1 view of the target used for rates: the median split or the majority class."""
    if task == "regression":
        return (y > np.median(y)).astype(int)
    if task == "binary":
        return y.astype(int)
    return (y == np.bincount(y.astype(int)).argmax()).astype(int)


def _target_statistic(x: pd.Series, y: np.ndarray, task: str) -> str | None:
    """Why ``x`` looks like a target mean of its own value groups, or ``None``.

    Groups of rows sharing a value (at least two rows each, covering half the rows) whose
    values equal their target means (``TE_EXACT_SHARE`` of at least ``TE_EXACT_MIN_GROUPS``
    groups: an unsmoothed encoding), or whose target means are ordered exactly like the
    values (Spearman >= ``TE_RHO`` over at least ``TE_MIN_GROUPS`` groups: a smoothed one).
    Honest features have noisy group means.
    """
    target = _binary(y, task).astype("float64") if task == "multiclass" else y.astype("float64")
    frame = pd.DataFrame({"x": x.to_numpy(), "y": target}).dropna()
    groups = frame.groupby("x")["y"].agg(["mean", "size"])
    groups = groups[groups["size"] >= 2]
    if len(groups) < TE_EXACT_MIN_GROUPS or groups["size"].sum() < 0.5 * len(x):
        return None
    values, means = groups.index.to_numpy(dtype="float64"), groups["mean"].to_numpy()
    exact = float(np.mean(np.isclose(values, means)))
    rho = float(spearmanr(values, means)[0])
    smoothed = len(groups) >= TE_MIN_GROUPS and abs(rho) >= TE_RHO
    if not (exact >= TE_EXACT_SHARE or smoothed):
        return None
    return (
        f"{len(groups)} value groups, Spearman(value, group target mean) = {rho:.3f}, "
        f"{exact:.0%} of values equal their group's target mean"
    )
