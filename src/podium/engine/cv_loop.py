"""Cross-validation of one stage chain + model on the run's one fold assignment.

Per outer fold the chain and the model are cloned; the chain is fit on the training part
only (cross-fitted stages give out-of-fold values there) and validation and test rows are
only transformed. Early stopping watches a holdout cut from the training part, never the
validation fold.

With a feature cache (:mod:`podium.engine.cache`), a fold's chain outputs are read from it
instead when nothing they depend on has changed, e.g. when only model parameters did.
"""

from __future__ import annotations

import os
import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit, StratifiedShuffleSplit

from podium.config import EarlyStoppingSpec
from podium.cv import Folds, SplitContext
from podium.engine.cache import CacheSlot, FeatureCache
from podium.engine.executor import DataRef, Executor
from podium.engine.fold_predict import FOLD_FILE, REFIT_FILE, fold_mean, predict_fold, save_fold
from podium.engine.result import CVResult, FoldResult
from podium.engine.targets import TargetRange
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


def stage_fit_params(
    rows: np.ndarray, groups: np.ndarray | None, ctx: SplitContext | None
) -> dict[str, Any]:
    """The fit parameters stages get for the training ``rows`` (positions): their groups and
    the split context restricted to them (``StageChain`` passes each stage those it declares)."""
    params: dict[str, Any] = {}
    if groups is not None:
        params["groups"] = groups[rows]
    if ctx is not None:
        params["split_context"] = ctx.subset(rows)
    return params


def _forward(y: np.ndarray, transform: str) -> np.ndarray:
    return np.log1p(y) if transform == "log1p" else y


def _predict(job: _FoldJob, model: Any, X: pd.DataFrame) -> np.ndarray:
    """A model's output on the target's scale, clipped to the target's valid range."""
    return predict_fold(
        model, X, target_transform=job.target_transform, target_range=job.target_range
    )


@dataclass(frozen=True, eq=False)
class _FoldJob:
    """What every fold of one model shares (pickled once per worker)."""

    chain: Any
    model: Any
    X: pd.DataFrame
    y: np.ndarray
    X_test: pd.DataFrame | None
    metric: Metric
    early_stopping: EarlyStoppingSpec | None
    predict_test: bool
    target_transform: str
    groups: np.ndarray | None
    time: np.ndarray | None
    split_context: SplitContext | None
    cache: CacheSlot | None = None
    target_range: TargetRange = TargetRange()
    repeat: int = 0
    save_to: str | None = None  # folder for the fitted chains + models (see run_cv)

    @property
    def use_es(self) -> bool:
        return self.early_stopping is not None and bool(
            getattr(self.model, "supports_early_stopping", False)
        )


@dataclass(frozen=True, eq=False)
class _FoldOut:
    valid_pred: np.ndarray
    test_pred: np.ndarray | None
    result: FoldResult
    importance: pd.Series
    fit_rows: int


@dataclass(frozen=True, eq=False)
class _Features:
    """A fold's chain outputs and where they came from (``cache_hit`` None: no cache)."""

    train: pd.DataFrame
    valid: pd.DataFrame | None
    test: pd.DataFrame | None
    cache_hit: bool | None
    seconds: float
    chain: Any = None  # the fitted chain (None: read from the cache without one)


def _chain_features(
    job: _FoldJob, fold: str, tr: np.ndarray, va: np.ndarray | None, *, test: bool
) -> _Features:
    """Fit a fresh chain on rows ``tr``, transform rows ``va`` (none for the refit on all
    rows) and the test rows if ``test``; or read the same frames from the feature cache."""
    t0 = _time.perf_counter()
    parts = ("train",) + (("valid",) if va is not None else ()) + (("test",) if test else ())
    slot, key = job.cache, ""
    if slot is not None:
        key = slot.key(fold, tr, np.empty(0, dtype=np.int64) if va is None else va)
        got = slot.load(key, parts)
        fitted = slot.load_chain(key) if got is not None and job.save_to else None
        if got is not None and (fitted is not None or not job.save_to):
            secs = _time.perf_counter() - t0
            return _Features(got["train"], got.get("valid"), got.get("test"), True, secs, fitted)
    chain = clone(job.chain)
    # Transductive (unsupervised) stages that opt in with fit_on="train+test" see the rows
    # the model will predict: the fold's validation rows and the test set.
    if va is None:
        unlabeled = job.X_test
    elif job.X_test is None:
        unlabeled = job.X.iloc[va]
    else:
        unlabeled = pd.concat([job.X.iloc[va], job.X_test])
    Xtr = job.X if va is None else job.X.iloc[tr]
    frames = {
        "train": chain.fit_transform(
            Xtr, job.y[tr], **stage_fit_params(tr, job.groups, job.split_context), X_test=unlabeled
        )
    }
    if va is not None:
        frames["valid"] = chain.transform(job.X.iloc[va])
    if test:
        assert job.X_test is not None
        frames["test"] = chain.transform(job.X_test)
    if slot is not None:
        slot.store(key, frames, fold=fold, chain=chain if job.save_to else None)
    secs = _time.perf_counter() - t0
    hit = None if slot is None else False
    return _Features(frames["train"], frames.get("valid"), frames.get("test"), hit, secs, chain)


def _run_fold(job: _FoldJob, k: int, tr: np.ndarray, va: np.ndarray, seed: int) -> _FoldOut:
    """Fit a fresh chain + model on the training part of fold ``k``; predict the rest."""
    t0 = _time.perf_counter()
    y = job.y
    label = str(k) if job.repeat == 0 else f"repeat{job.repeat}.{k}"  # part of the cache key
    feats = _chain_features(job, label, tr, va, test=job.X_test is not None and job.predict_test)
    Xtr, Xva = feats.train, feats.valid
    assert Xva is not None
    ytr = _forward(y[tr], job.target_transform)
    fold_model = clone(job.model)
    es = job.early_stopping
    if es is not None and job.use_es:
        fit_i, hold_i = holdout_split(
            len(tr),
            fraction=es.holdout,
            seed=seed,
            y=y[tr],
            stratify=job.metric.tasks.isdisjoint({"regression"}),
            groups=None if job.groups is None else job.groups[tr],
            time=None if job.time is None else job.time[tr],
        )
        fold_model.fit(
            Xtr.iloc[fit_i],
            ytr[fit_i],
            eval_set=(Xtr.iloc[hold_i], ytr[hold_i]),
            early_stopping_rounds=es.rounds,
        )
        n_fit = len(fit_i)
    else:
        fold_model.fit(Xtr, ytr)
        n_fit = len(tr)
    if getattr(fold_model, "task", None) == "multiclass" and hasattr(fold_model, "n_classes_"):
        # a rare class absent from this training part still gets its (zero) column
        fold_model.n_classes_ = max(fold_model.n_classes_, int(y.max()) + 1)
    t1 = _time.perf_counter()
    pred = _predict(job, fold_model, Xva)
    test_pred = None if feats.test is None else _predict(job, fold_model, feats.test)
    t2 = _time.perf_counter()
    if job.save_to is not None:
        save_fold(os.path.join(job.save_to, FOLD_FILE.format(k=k)), feats.chain, fold_model)
    result = FoldResult(
        fold=k,
        score=job.metric(y[va], pred),
        n_train=len(tr),
        n_valid=len(va),
        best_iteration=getattr(fold_model, "best_iteration_", None),
        fit_seconds=t1 - t0,
        predict_seconds=t2 - t1,
        feature_seconds=feats.seconds,
        cache_hit=feats.cache_hit,
        repeat=job.repeat,
    )
    return _FoldOut(pred, test_pred, result, fold_model.feature_importances_, n_fit)


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
    target_range: TargetRange | None = None,
    seed: int = 0,
    on_fold: FoldCallback | None = None,
    split_context: SplitContext | None = None,
    n_workers: int = 1,
    cache: FeatureCache | None = None,
    repeat: int = 0,
    save_to: str | os.PathLike[str] | None = None,
    executor: Executor | None = None,
    data_ref: DataRef | None = None,
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
        target_transform: ``log1p`` fits on ``log1p(y)`` and maps predictions back
            (resolved: ``auto`` is resolved by ``prepare``, see :mod:`podium.engine.targets`).
        target_range: every prediction (validation, test, refit) is clipped to it as it
            is made; ``None``: not clipped.
        seed: seeds the early-stopping holdouts (one per fold).
        on_fold: called with each finished fold's result and the number of folds.
        split_context: the outer scheme; each fold's chain gets it (for its training rows)
            as the fit parameter ``split_context`` so cross-fitted stages build inner
            folds that follow the outer scheme. Its ``groups`` and ``time`` also keep the
            early-stopping holdouts grouped or latest-in-time.
        n_workers: folds fitted at once in separate processes (results are identical
            to ``n_workers=1``; each fold is seeded by its index, not by timing).
        cache: the feature cache: each fold's chain outputs (and the refit's) are read
            from it when the chain, its inputs and the fold's rows are unchanged, else
            computed and stored (see :mod:`podium.engine.cache`). ``None``: no cache.
        repeat: which fold assignment of a repeated CV ``folds`` is (see
            :mod:`podium.engine.repeats`); recorded in each fold's result and cache key,
            and it varies the early-stopping holdout seeds (repeat 0: as without repeats).
        save_to: a folder: every fold's fitted chain + model is written there (by the
            worker that fit it, as :data:`~podium.engine.fold_predict.FOLD_FILE`), and the refit's;
            :mod:`podium.engine.saved` reads them back. ``None``: nothing is kept.
        executor: where the fold jobs run (:mod:`podium.engine.executor`); ``None``: local,
            ``n_workers`` processes.
        data_ref: ``X`` and ``X_test`` are the competition's features as this reference
            loads them: a remote executor sends it instead of the frames.

    Returns:
        The model's out-of-fold predictions, test predictions and fold scores.
    """
    start = _time.perf_counter()
    y = np.asarray(y)
    groups = None if split_context is None else split_context.groups
    time = None if split_context is None else split_context.time
    slot = None
    if cache is not None:
        slot = cache.slot(
            chain, X=X, y=y, X_test=X_test, groups=groups, split_context=split_context
        )
    job = _FoldJob(
        chain=chain,
        model=model,
        X=X,
        y=y,
        X_test=X_test,
        metric=metric,
        early_stopping=early_stopping,
        predict_test=test_predictions == "fold_mean",
        target_transform=target_transform,
        groups=groups,
        time=time,
        split_context=split_context,
        cache=slot,
        target_range=target_range or TargetRange(),
        repeat=repeat,
        save_to=None if save_to is None else os.fspath(save_to),
    )
    if target_transform not in ("none", "log1p"):
        raise ValueError(f"target_transform {target_transform!r}: resolve 'auto' first")
    entropy = seed if repeat == 0 else [seed, repeat]
    seeds = [int(s) for s in np.random.SeedSequence(entropy).generate_state(folds.n_splits)]
    splits = list(folds.split())
    if executor is None:
        executor = Executor(n_workers=n_workers)
    calls = [(k, tr, va, seeds[k]) for k, (tr, va) in enumerate(splits)]
    outs_iter = executor.run(_run_fold, job, calls, data_ref=data_ref)
    outs: list[_FoldOut] = []
    for out in outs_iter:
        outs.append(out)
        if on_fold is not None:
            on_fold(out.result, folds.n_splits)
    first = outs[0].valid_pred
    oof = np.full((len(X), *first.shape[1:]), np.nan)
    for out, (_, va) in zip(outs, splits, strict=True):
        oof[va] = out.valid_pred
    fold_results = [o.result for o in outs]
    test, refit_iters, refit = None, None, None
    if X_test is not None and test_predictions == "refit":
        test, refit_iters, refit = _refit_predict(job, fold_results, [o.fit_rows for o in outs])
    elif X_test is not None:
        test = fold_mean([p for o in outs if (p := o.test_pred) is not None], folds.n_splits)
    scores = np.array([f.score for f in fold_results])
    imp = pd.concat([o.importance for o in outs], axis=1).fillna(0.0).mean(axis=1)
    return CVResult(
        name=name,
        metric=metric.name,
        oof=oof,
        test=test,
        folds=tuple(fold_results),
        cv_mean=float(scores.mean()),
        cv_std=float(scores.std()),
        importances=imp.sort_values(ascending=False),
        test_strategy=test_predictions,
        seconds=_time.perf_counter() - start,
        refit_iterations=refit_iters,
        feature_seconds=sum(f.feature_seconds for f in fold_results)
        + (0.0 if refit is None else refit.seconds),
        refit_cache_hit=None if refit is None else refit.cache_hit,
    )


def _refit_predict(
    job: _FoldJob, folds: list[FoldResult], fit_rows: list[int]
) -> tuple[np.ndarray, int | None, _Features]:
    """Fit chain + model on all training rows; iterations = mean best x (rows ratio)."""
    assert job.X_test is not None
    n = len(job.X)
    feats = _chain_features(job, "refit", np.arange(n), None, test=True)
    assert feats.test is not None
    full_model = clone(job.model)
    iters = None
    best = [f.best_iteration for f in folds if f.best_iteration]
    if job.use_es and best:
        iters = max(1, int(round(np.mean(best) * n / np.mean(fit_rows))))
        full_model = full_model.with_iterations(iters)
    full_model.fit(feats.train, _forward(job.y, job.target_transform))
    pred = _predict(job, full_model, feats.test)
    if job.save_to is not None:
        save_fold(os.path.join(job.save_to, REFIT_FILE), feats.chain, full_model)
    return pred, iters, feats
