"""Cross-validation of one stage chain + model on the run's one fold assignment.

Per outer fold the chain and the model are cloned; the chain is fit on the training part
only (cross-fitted stages give out-of-fold values there) and validation and test rows are
only transformed. Early stopping watches a holdout cut from the training part, never the
validation fold.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit, StratifiedShuffleSplit

from podium.config import EarlyStoppingSpec
from podium.cv import Folds, SplitContext
from podium.engine.result import CVResult, FoldResult
from podium.metrics import Metric

__all__ = ["run_cv", "holdout_split"]

FoldCallback = Callable[[FoldResult, int], None]


def holdout_split(
    n: int,
    *,
    fraction: float,
    seed: int,
    y: np.ndarray | None = None,
    stratify: bool = False,
    groups: np.ndarray | None = None,
    time: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cut an early-stopping holdout from ``n`` training rows (positions in the part).

    Time-ordered data holds out the latest rows; grouped data whole groups; classification
    a stratified sample; otherwise a random sample.
    """
    idx = np.arange(n)
    n_hold = max(1, int(round(n * fraction)))
    if time is not None:
        order = np.argsort(np.asarray(time), kind="stable")
        return np.sort(order[: n - n_hold]), np.sort(order[n - n_hold :])
    if groups is not None:
        splitter: Any = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        fit, hold = next(splitter.split(idx, groups=groups))
        return fit, hold
    if stratify and y is not None and np.min(np.bincount(y.astype(int))) >= 2:
        splitter = StratifiedShuffleSplit(n_splits=1, test_size=n_hold, random_state=seed)
    else:
        splitter = ShuffleSplit(n_splits=1, test_size=n_hold, random_state=seed)
    fit, hold = next(splitter.split(idx, y))
    return np.sort(fit), np.sort(hold)


def _fit_params(
    rows: np.ndarray, groups: np.ndarray | None, ctx: SplitContext | None
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if groups is not None:
        params["groups"] = groups[rows]
    if ctx is not None:
        params["split_context"] = ctx.subset(rows)
    return params


def _forward(y: np.ndarray, transform: str) -> np.ndarray:
    return np.log1p(y) if transform == "log1p" else y


def _inverse(p: np.ndarray, transform: str) -> np.ndarray:
    return np.expm1(p) if transform == "log1p" else p


def run_cv(
    chain: Any,
    model: Any,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    folds: Folds,
    metric: Metric,
    X_test: pd.DataFrame | None = None,
    name: str = "model",
    early_stopping: EarlyStoppingSpec | None = None,
    test_predictions: str = "fold_mean",
    target_transform: str = "none",
    seed: int = 0,
    groups: np.ndarray | None = None,
    time: np.ndarray | None = None,
    on_fold: FoldCallback | None = None,
    split_context: SplitContext | None = None,
) -> CVResult:
    """Cross-validate ``chain`` + ``model`` on ``folds``.

    Args:
        chain: a stage chain (scikit-learn transformer on DataFrames); cloned per fold.
        model: a model adapter (``fit(X, y, eval_set=, early_stopping_rounds=)``,
            ``predict``); cloned per fold.
        X, y: training features and encoded target (ints for classification).
        folds: the run's fold assignment; the only source of splits.
        metric: scores each validation fold on the original target scale.
        X_test: test features; predicted by each fold's model (``fold_mean``) or by one
            model refit on all rows (``refit``, iterations scaled from the folds).
        early_stopping: holdout fraction and patience, for models that support it.
        target_transform: ``log1p`` fits on ``log1p(y)`` and maps predictions back.
        seed: seeds the early-stopping holdouts (one per fold).
        groups, time: keep early-stopping holdouts grouped or latest-in-time.
        on_fold: called with each finished fold's result and the number of folds.
        split_context: the outer scheme; each fold's chain gets it (for its training rows)
            as the fit parameter ``split_context`` so cross-fitted stages build inner
            folds that follow the outer scheme.

    Returns:
        The model's out-of-fold predictions, test predictions and fold scores.
    """
    start = _time.perf_counter()
    y = np.asarray(y)
    use_es = early_stopping is not None and getattr(model, "supports_early_stopping", False)
    stratify = metric.tasks.isdisjoint({"regression"})
    seeds = np.random.SeedSequence(seed).generate_state(folds.n_splits)
    oof: np.ndarray | None = None
    test_sum: np.ndarray | None = None
    fold_results: list[FoldResult] = []
    importances: list[pd.Series] = []
    fit_rows: list[int] = []
    for k, (tr, va) in enumerate(folds.split()):
        t0 = _time.perf_counter()
        fold_chain = clone(chain)
        fold_params = _fit_params(tr, groups, split_context)
        Xtr = fold_chain.fit_transform(X.iloc[tr], y[tr], **fold_params)
        Xva = fold_chain.transform(X.iloc[va])
        ytr = _forward(y[tr], target_transform)
        fold_model = clone(model)
        if use_es:
            assert early_stopping is not None
            fit_i, hold_i = holdout_split(
                len(tr),
                fraction=early_stopping.holdout,
                seed=int(seeds[k]),
                y=y[tr],
                stratify=stratify,
                groups=None if groups is None else groups[tr],
                time=None if time is None else time[tr],
            )
            fold_model.fit(
                Xtr.iloc[fit_i],
                ytr[fit_i],
                eval_set=(Xtr.iloc[hold_i], ytr[hold_i]),
                early_stopping_rounds=early_stopping.rounds,
            )
            fit_rows.append(len(fit_i))
        else:
            fold_model.fit(Xtr, ytr)
            fit_rows.append(len(tr))
        t1 = _time.perf_counter()
        pred = _inverse(np.asarray(fold_model.predict(Xva)), target_transform)
        if oof is None:
            oof = np.full((len(X), *pred.shape[1:]), np.nan)
        oof[va] = pred
        if X_test is not None and test_predictions == "fold_mean":
            tp = _inverse(
                np.asarray(fold_model.predict(fold_chain.transform(X_test))), target_transform
            )
            test_sum = tp if test_sum is None else test_sum + tp
        t2 = _time.perf_counter()
        importances.append(fold_model.feature_importances_)
        result = FoldResult(
            fold=k,
            score=metric(y[va], pred),
            n_train=len(tr),
            n_valid=len(va),
            best_iteration=getattr(fold_model, "best_iteration_", None),
            fit_seconds=t1 - t0,
            predict_seconds=t2 - t1,
        )
        fold_results.append(result)
        if on_fold is not None:
            on_fold(result, folds.n_splits)
    assert oof is not None
    test, refit_iters = None, None
    if X_test is not None and test_predictions == "refit":
        test, refit_iters = _refit_predict(
            chain, model, X, y, X_test, fold_results, fit_rows, use_es, target_transform, groups,
            split_context,
        )
    elif test_sum is not None:
        test = test_sum / folds.n_splits
    scores = np.array([f.score for f in fold_results])
    imp = pd.concat(importances, axis=1).fillna(0.0).mean(axis=1).sort_values(ascending=False)
    return CVResult(
        name=name,
        metric=metric.name,
        oof=oof,
        test=test,
        folds=tuple(fold_results),
        cv_mean=float(scores.mean()),
        cv_std=float(scores.std()),
        importances=imp,
        test_strategy=test_predictions,
        seconds=_time.perf_counter() - start,
        refit_iterations=refit_iters,
    )


def _refit_predict(
    chain: Any,
    model: Any,
    X: pd.DataFrame,
    y: np.ndarray,
    X_test: pd.DataFrame,
    folds: list[FoldResult],
    fit_rows: list[int],
    use_es: bool,
    target_transform: str,
    groups: np.ndarray | None,
    split_context: SplitContext | None,
) -> tuple[np.ndarray, int | None]:
    """Fit chain + model on all training rows; iterations = mean best x (rows ratio)."""
    full_chain = clone(chain)
    params = _fit_params(np.arange(len(X)), groups, split_context)
    Xall = full_chain.fit_transform(X, y, **params)
    full_model = clone(model)
    iters = None
    best = [f.best_iteration for f in folds if f.best_iteration]
    if use_es and best:
        iters = max(1, int(round(np.mean(best) * len(X) / np.mean(fit_rows))))
        full_model = full_model.with_iterations(iters)
    full_model.fit(Xall, _forward(y, target_transform))
    pred = full_model.predict(full_chain.transform(X_test))
    return _inverse(np.asarray(pred), target_transform), iters
