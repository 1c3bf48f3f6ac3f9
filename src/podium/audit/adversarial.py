"""Adversarial validation: can a classifier tell training rows from test rows?

A cross-validated ROC-AUC near 0.5 means train and test come from one distribution, so a
random k-fold mimics the test split. Well above 0.5 the features that separate them are
named, and :func:`adversarial_folds` builds folds that validate on the most test-like
training rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from podium.audit._stats import auc_tolerance, simple_features

__all__ = [
    "AdversarialResult",
    "adversarial_validation",
    "adversarial_folds",
    "date_parts",
    "SHIFT_AUC",
]

SHIFT_AUC = 0.6
"""Adversarial ROC-AUC above which train and test are reported as distinguishable."""
STRONG_SHIFT_AUC = 0.75


@dataclass(frozen=True, eq=False)
class AdversarialResult:
    """Train-versus-test classifier: CV ROC-AUC, importances, per-row test-likeness.

    Attributes:
        auc: 5-fold stratified out-of-fold ROC-AUC (0.5: indistinguishable).
        tolerance: Distance from 0.5 explained by chance for these row counts.
        importance: Gain importance per feature (sums to 1), largest first.
        train_proba: Out-of-fold probability "is a test row" of every training row.
        train, test: The features the classifier saw (numbers as floats, text categories).
    """

    auc: float
    tolerance: float
    importance: pd.Series
    train_proba: np.ndarray = field(repr=False)
    train: pd.DataFrame = field(repr=False)
    test: pd.DataFrame = field(repr=False)
    seconds: float = 0.0

    @property
    def level(self) -> str:
        """``"none"``, ``"mild"`` or ``"strong"`` shift between train and test."""
        if self.auc >= STRONG_SHIFT_AUC:
            return "strong"
        return "mild" if self.auc >= max(SHIFT_AUC, 0.5 + self.tolerance) else "none"

    @property
    def message(self) -> str:
        top = ", ".join(f"{c} ({v:.2f})" for c, v in self.importance.head(3).items())
        what = {
            "none": "train and test look alike",
            "mild": "train and test differ somewhat",
            "strong": "train and test differ strongly; k-fold CV may not mimic the test",
        }[self.level]
        return f"adversarial ROC-AUC = {self.auc:.4f}: {what}; top features {top}"


def _model(seed: int) -> object:
    from lightgbm import LGBMClassifier

    return LGBMClassifier(
        n_estimators=150, learning_rate=0.05, num_leaves=15, min_child_samples=20,
        subsample=0.8, subsample_freq=1, colsample_bytree=0.8, random_state=seed,
        n_jobs=1, verbose=-1,
    )  # fmt: skip


def adversarial_validation(
    train: pd.DataFrame, test: pd.DataFrame, *, seed: int = 0, n_splits: int = 5
) -> AdversarialResult:
    """Cross-validate a LightGBM classifier of "test row" on the raw features.

    Features get the simple preparation of :func:`~podium.audit._stats.simple_features`
    (numbers as text to floats, other text as native categoricals), not the pipeline's.
    """
    started = time.perf_counter()
    tr, te = simple_features(train, test)
    X = pd.concat([tr, te], ignore_index=True)
    X = X.loc[:, X.nunique(dropna=False) > 1]
    is_test = np.r_[np.zeros(len(tr), int), np.ones(len(te), int)]
    proba = np.zeros(len(X))
    if X.shape[1] == 0:
        proba[:] = len(te) / len(X)
        importance = pd.Series(dtype="float64")
    else:
        cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        for fit_idx, val_idx in cv.split(X, is_test):
            model = _model(seed)
            model.fit(X.iloc[fit_idx], is_test[fit_idx])  # type: ignore[attr-defined]
            proba[val_idx] = model.predict_proba(X.iloc[val_idx])[:, 1]  # type: ignore[attr-defined]
        full = _model(seed)
        full.fit(X, is_test)  # type: ignore[attr-defined]
        gain = full.booster_.feature_importance(importance_type="gain")  # type: ignore[attr-defined]
        importance = pd.Series(gain, index=X.columns, dtype="float64")
        total = importance.sum()
        importance = (importance / total if total > 0 else importance).sort_values(ascending=False)
    auc = float(roc_auc_score(is_test, proba))
    return AdversarialResult(
        auc=auc,
        tolerance=auc_tolerance(len(te), len(tr)),
        importance=importance,
        train_proba=proba[: len(tr)],
        train=tr,
        test=te,
        seconds=time.perf_counter() - started,
    )


def adversarial_folds(train_proba: np.ndarray, *, n_splits: int = 5) -> pd.DataFrame:
    """Folds by test-likeness: one row per training row (in the loaded training order).

    Columns: ``row`` (position in the training table after ``data.train_filter``),
    ``adversarial_p`` (out-of-fold probability of being a test row), ``fold`` (quantile
    band, 0 = the most test-like ``1/n_splits`` of the rows, every row validated once).
    Add ``fold`` to the training file and use ``cv: {scheme: fold_column, fold_column:
    fold}``; fold 0's score is the estimate closest to the test distribution.
    """
    p = np.asarray(train_proba, dtype="float64")
    order = np.argsort(-p, kind="stable")
    fold = np.empty(len(p), dtype=np.int64)
    fold[order] = np.arange(len(p)) * n_splits // len(p)
    return pd.DataFrame({"row": np.arange(len(p)), "adversarial_p": p, "fold": fold})


DATE_PARTS = ("year", "month", "day", "day_of_week", "hour")


def date_parts(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each datetime column as epoch seconds plus its calendar parts
    (``<col>__month``, ``__day``, ``__day_of_week``, ``__hour``, ...), so the adversarial
    classifier can say whether train and test differ by date, by day of month or by hour."""
    out = frame.copy()
    for col in frame.columns:
        s = frame[col]
        if not pd.api.types.is_datetime64_any_dtype(s.dtype):
            continue
        ns = s.to_numpy(dtype="datetime64[ns]").astype("int64").astype("float64")
        out[col] = np.where(s.isna().to_numpy(), np.nan, ns / 1e9)
        for part in DATE_PARTS:
            out[f"{col}__{part}"] = getattr(s.dt, part).astype("float64")
    return out
