"""One competition run trained: every model of a :class:`~podium.engine.plan.Plan`
cross-validated on its folds (and repeats, and seeds), then the submission's pick.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from podium.cv import (
    Folds,
)
from podium.engine.build import auto_n_jobs, auto_n_workers
from podium.engine.cache import FeatureCache, feature_cache_dir, wants_cache
from podium.engine.cv_loop import run_cv
from podium.engine.executor import DataRef, Executor
from podium.engine.plan import Plan, split_context
from podium.engine.repeats import combine_repeats
from podium.engine.result import CVResult, FoldResult, scored
from podium.exceptions import ConfigError

__all__ = ["ExperimentResult", "cross_validate", "model_dir", "run_models", "seed_mean"]


@dataclass(frozen=True, eq=False)
class ExperimentResult:
    """Every model's CV result and the predictions chosen for the submission."""

    results: dict[str, CVResult]
    chosen: str
    oof: np.ndarray
    test: np.ndarray
    cv_mean: float
    cv_std: float
    fold_scores: list[float]
    naive_score: float | None = None
    weights: dict[str, float] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    cv_std_repeats: float | None = None
    """Repeated CV: the std over repeats of each repeat's CV (``None``: one assignment)."""
    skipped: tuple[str, ...] = ()
    """Models not run: the pipeline's ``time_limit`` had passed before they started."""


TIME_ORDERED = ("time", "period_tail")
"""Schemes whose fold models never train on the rows nearest the test."""


def resolve_test_predictions(choice: str, folds: Folds) -> str:
    """How test rows are predicted: ``choice``, with ``auto`` resolved from the folds
    (``refit`` on time-ordered folds, whose models miss the latest rows; else
    ``fold_mean``)."""
    if choice != "auto":
        return choice
    return "refit" if folds.scheme in TIME_ORDERED else "fold_mean"


def run_models(
    plan: Plan,
    *,
    on_fold: Callable[[str, FoldResult, int], None] | None = None,
    on_model: Callable[[CVResult], None] | None = None,
    cache_dir: Path | None = None,
    save_to: Path | None = None,
) -> ExperimentResult:
    """Cross-validate every model of the plan on its folds and pick the submission.

    Chains are cached as the pipeline's ``cache`` says, in ``cache_dir`` (default:
    :func:`podium.engine.cache.feature_cache_dir`); models with equal chains share entries.
    ``save_to``: every model's fitted fold chains + models are written under it, in
    :func:`model_dir` (see :mod:`podium.engine.saved`).
    """
    cfg = plan.cfg
    pipe = cfg.pipeline
    results: dict[str, CVResult] = {}
    n_jobs = auto_n_jobs(len(plan.data.train), pipe.n_jobs)
    n_workers = auto_n_workers(n_jobs, pipe.n_workers)
    cache = FeatureCache(
        cache_dir if cache_dir is not None else feature_cache_dir(cfg),
        salt={"seed": cfg.competition.seed},
    )
    try:
        executor = Executor.from_config(pipe.executor, pipe.executor_address, n_workers)
    except ConfigError as exc:
        raise ConfigError(f"{cfg.source_of('executor')}: {exc}") from None
    data_ref = DataRef(cfg.competition, str(plan.data.data_dir), plan.data.fingerprint)
    started = time.perf_counter()
    skipped: list[str] = []
    for i, (name, (chain, model)) in enumerate(plan.models.items()):
        if results and pipe.time_limit is not None:
            if time.perf_counter() - started >= pipe.time_limit:
                skipped.append(name)
                continue
        spec = pipe.models[name]
        use_cache = wants_cache(chain, pipe.cache)

        def fold_cb(fr: FoldResult, n: int, _name: str = name) -> None:
            if on_fold is not None:
                on_fold(_name, fr, n)

        result = cross_validate(
            plan,
            name,
            chain,
            model,
            index=i,
            seeds=spec.seeds,
            on_fold=fold_cb,
            n_workers=n_workers,
            cache=cache if use_cache else None,
            save_to=save_to,
            executor=executor,
            data_ref=data_ref,
        )
        results[name] = result
        if on_model is not None:
            on_model(result)
    return dataclasses.replace(_choose(plan, results), skipped=tuple(skipped))


def cross_validate(
    plan: Plan,
    name: str,
    chain: Any,
    model: Any,
    *,
    index: int,
    spec: Any = None,
    seeds: int = 1,
    with_test: bool = True,
    target_transform: str | None = None,
    on_fold: Callable[[FoldResult, int], None] | None = None,
    n_workers: int = 1,
    cache: FeatureCache | None = None,
    save_to: Path | None = None,
    executor: Executor | None = None,
    data_ref: DataRef | None = None,
) -> CVResult:
    """Cross-validate model ``name`` of the plan (``chain`` + ``model``, built from its
    spec) on every fold assignment of the run, with ``seeds`` model seeds; the one way
    the run and the tuning objective cross-validate a model.

    ``spec``: the model's spec (default: the plan's; a tuning trial's config has its
    own). ``index``: the model's place in the pipeline; fold holdouts are seeded with the
    competition seed + ``index`` + 1000 x the model seed's number. ``with_test``:
    predict the test rows (tuning does not). ``target_transform``: the resolved transform
    (default: the plan's). ``on_fold(fold_result, n)``: after each fold of each run, ``n``
    the folds of that run. Several seeds are averaged per fold assignment
    (:func:`average_seeds`), assignments combined (:func:`combine_repeats`).
    """
    cfg = plan.cfg
    pipe = cfg.pipeline
    spec = spec if spec is not None else pipe.models[name]
    runs: dict[int, list[CVResult]] = {}  # by repeat (cv.repeats), then model seed
    for rep, r in itertools.product(range(len(plan.repeats)), range(seeds)):
        seeded = model if r == 0 else clone(model).set_params(seed=model.seed + r)
        runs.setdefault(rep, []).append(
            run_cv(
                chain,
                seeded,
                plan.data.train,
                plan.y,
                folds=plan.repeats[rep],
                metric=plan.metric,
                X_test=plan.data.test if with_test else None,
                name=name,
                early_stopping=spec.early_stopping,
                test_predictions=resolve_test_predictions(
                    spec.test_predictions or pipe.test_predictions, plan.folds
                ),
                target_transform=target_transform or pipe.target_transform,
                target_range=plan.target_range,
                seed=cfg.competition.seed + index + 1000 * r,
                on_fold=on_fold,
                split_context=split_context(plan),
                n_workers=n_workers,
                cache=cache,
                repeat=rep,
                save_to=None if save_to is None else model_dir(save_to, name, r, rep),
                executor=executor,
                data_ref=data_ref,
            )
        )
    return combine_repeats(
        [
            rs[0] if len(rs) == 1 else average_seeds(rs, plan, plan.repeats[k])
            for k, rs in runs.items()
        ]
    )


def model_dir(save_to: Path, name: str, seed: int, repeat: int = 0) -> Path:
    """Where the fitted folds of model ``name``'s seed ``seed`` (of fold assignment
    ``repeat``, repeated CV) are saved."""
    base = Path(save_to) / "models" / name
    return (base if repeat == 0 else base / f"repeat{repeat}") / f"seed{seed}"


def seed_mean(tests: list[np.ndarray]) -> np.ndarray:
    """Seed averaging of test predictions: the seeds' mean."""
    return np.mean(tests, axis=0)


def average_seeds(repeats: list[CVResult], plan: Plan, folds: Folds | None = None) -> CVResult:
    """Seed averaging: the mean of the repeats' OOF and test predictions, rescored per fold
    on the same folds (``folds``, default ``plan.folds``; each repeat differs only in its
    model and holdout seeds)."""
    oof = np.mean([r.oof for r in repeats], axis=0)
    tests = [r.test for r in repeats if r.test is not None]
    folds_out = []
    for k, (_, va) in enumerate((folds or plan.folds).split()):
        first = repeats[0].folds[k]
        iters = [b for r in repeats if (b := r.folds[k].best_iteration)]
        folds_out.append(
            dataclasses.replace(
                first,
                score=plan.metric(plan.y[va], oof[va]),
                best_iteration=int(np.mean(iters)) if iters else None,
                fit_seconds=sum(r.folds[k].fit_seconds for r in repeats),
                predict_seconds=sum(r.folds[k].predict_seconds for r in repeats),
            )
        )
    scores = np.array([f.score for f in folds_out])
    imp = pd.concat([r.importances for r in repeats], axis=1).fillna(0.0).mean(axis=1)
    return dataclasses.replace(
        repeats[0],
        oof=oof,
        test=seed_mean(tests) if tests else None,
        folds=tuple(folds_out),
        cv_mean=float(scores.mean()),
        cv_std=float(scores.std()),
        importances=imp.sort_values(ascending=False),
        seconds=sum(r.seconds for r in repeats),
        extra={"seeds": len(repeats), "seed_scores": [r.cv_mean for r in repeats]},
    )


def _choose(plan: Plan, results: dict[str, CVResult]) -> ExperimentResult:
    """The model with the best CV (ensembles are applied above the engine)."""
    metric = plan.metric
    best: CVResult | None = None
    for r in results.values():
        if best is None or metric.better(r.cv_mean, best.cv_mean):
            best = r
    assert best is not None and best.test is not None
    return ExperimentResult(results=results, chosen=best.name, **scored(best))
