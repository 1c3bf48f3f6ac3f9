"""One competition run: build everything from config, then cross-validate every model.

:func:`prepare` checks config and data and builds the run's one fold assignment without
training (``podium validate`` stops there); :func:`run_models` trains.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from podium.config import ResolvedConfig
from podium.cv import (
    BUILTIN_SCHEMES,
    FoldRequest,
    Folds,
    SplitContext,
    build_scheme,
    check_repeatable,
    choose_cv,
    repeat_seed,
    repeats_fingerprint,
)
from podium.cv.folds import check_scheme
from podium.data import CompetitionData
from podium.data.relation import Relation, measure_relation
from podium.engine.build import auto_n_jobs, auto_n_workers, build_all
from podium.engine.cache import FeatureCache, feature_cache_dir, wants_cache
from podium.engine.cv_loop import run_cv
from podium.engine.executor import DataRef, Executor
from podium.engine.repeats import combine_repeats
from podium.engine.result import CVResult, FoldResult
from podium.engine.sizing import apply_below_rows
from podium.engine.targets import TargetRange, resolve_target_transform, target_range
from podium.exceptions import ConfigError, DataError
from podium.metrics import Metric, get_metric
from podium.registry import Registry

__all__ = [
    "split_context",
    "Plan",
    "ExperimentResult",
    "prepare",
    "run_models",
    "encode_target",
    "make_folds",
    "seed_mean",
    "model_dir",
]


@dataclass(frozen=True, eq=False)
class Plan:
    """Everything a run needs, checked, before any model trains."""

    cfg: ResolvedConfig
    data: CompetitionData
    y: np.ndarray
    classes: np.ndarray | None
    folds: Folds
    metric: Metric
    models: dict[str, tuple[Any, Any]]
    registry: Registry | None = None  # what built the models (plug-ins included)
    target_range: TargetRange = field(default_factory=TargetRange)
    """What predictions are clipped to (see :mod:`podium.engine.targets`)."""
    target_note: str = ""
    """Why ``cfg.pipeline.target_transform`` (resolved from ``auto``) is what it is."""
    relation: Relation | None = None
    """How test relates to train, measured (see :mod:`podium.data.relation`)."""

    @property
    def cv_note(self) -> str:
        """Why the scheme is what it is: ``cv: auto``'s reason, or where it was set."""
        cv = self.cfg.competition.cv
        return cv.chosen or f"cv: {cv.scheme} (set in {self.cfg.source_of('cv.scheme')})"

    sizing: tuple[str, ...] = ()
    """The models' ``below_rows`` parameters applied, one line each (:mod:`.sizing`)."""
    extra_folds: tuple[Folds, ...] = ()
    """Repeated CV (``cv.repeats``): the fold assignments of repeats 1, 2, ...; ``folds``
    is repeat 0's."""

    @property
    def repeats(self) -> tuple[Folds, ...]:
        """Every fold assignment of the run, repeat 0 (``folds``) first."""
        return (self.folds, *self.extra_folds)

    @property
    def fold_fingerprint(self) -> str:
        """The fingerprint of all fold assignments (one assignment: its own)."""
        return repeats_fingerprint(self.repeats)

    @property
    def n_folds(self) -> int:
        """Folds of all repeats (one assignment: ``folds.n_splits``)."""
        return sum(f.n_splits for f in self.repeats)


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


def encode_target(y: pd.Series, task: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Classification labels to ints ``0..k-1`` (sorted classes); regression as floats."""
    if task == "regression":
        return y.to_numpy(dtype="float64"), None
    classes, codes = np.unique(y.to_numpy(), return_inverse=True)
    return codes.astype("int64"), classes


def make_folds(
    cfg: ResolvedConfig,
    data: CompetitionData,
    y: np.ndarray,
    registry: Registry | None = None,
    *,
    repeat: int = 0,
) -> Folds:
    """The run's fold assignment, from ``cfg.competition.cv`` (``scheme: auto`` resolved
    by :func:`resolve_cv`; a scheme of ``registry``'s, a plug-in's included), of repeat
    ``repeat``: drawn with seed ``seed + repeat`` (see :mod:`podium.cv.repeats`)."""
    comp = cfg.competition
    cv = comp.cv

    def column(name: str | None) -> np.ndarray | None:
        return None if name is None else data.cv_columns[name].to_numpy()

    request = FoldRequest(
        n_rows=len(data.train), n_splits=cv.n_splits, seed=repeat_seed(comp.seed, repeat),
        shuffle=cv.shuffle,
        y=y, task=comp.task, groups=column(cv.groups), time=column(cv.time), gap=cv.gap,
        fold_column=column(cv.fold_column), period=cv.period, tail=cv.tail,
        past_only=cv.past_only, params=dict(cv.params),
    )  # fmt: skip
    try:
        if registry is not None and cv.scheme in registry.schemes:
            scheme = registry.scheme(cv.scheme)
        elif cv.scheme in BUILTIN_SCHEMES or registry is None:
            scheme = BUILTIN_SCHEMES[check_scheme(cv.scheme)]
        else:
            scheme = registry.scheme(cv.scheme)  # unknown: the error names the close ones
        folds = build_scheme(scheme, cv.scheme, request)
    except (ConfigError, DataError) as exc:
        raise type(exc)(f"{cfg.source_of('cv')}: cv: {exc}") from None
    if cv.scheme == "fold_column" and "n_splits" in cv.model_fields_set:
        if cv.n_splits != folds.n_splits:  # the fold column decides; a different ask is a slip
            raise ConfigError(
                f"{cfg.source_of('cv.n_splits')}: cv.n_splits is {cv.n_splits} but fold column "
                f"{cv.fold_column!r} holds {folds.n_splits} folds (0..{folds.n_splits - 1}); "
                "remove cv.n_splits or make it match"
            )
    return folds


def resolve_cv(
    cfg: ResolvedConfig, data: CompetitionData
) -> tuple[ResolvedConfig, CompetitionData, Relation]:
    """Measure how test relates to train; resolve ``cv: auto`` to the mimicking scheme.

    The returned config holds the chosen scheme (``cv.chosen`` says why); a time or group
    column taken from the features is added to the data's cv columns (it stays a feature).
    """
    comp = cfg.competition
    relation = measure_relation(data, comp.cv)
    if comp.cv.scheme != "auto":
        return cfg, data, relation
    cv = choose_cv(relation, comp.cv, comp.task)
    cfg = dataclasses.replace(cfg, competition=comp.model_copy(update={"cv": cv}))
    if cv.from_features:
        cols = data.cv_columns.copy()
        tests = data.test_cv_columns.copy()
        for c in cv.from_features:
            cols[c], tests[c] = data.train[c], data.test[c]
        data = dataclasses.replace(data, cv_columns=cols, test_cv_columns=tests)
    return cfg, data, relation


def prepare(cfg: ResolvedConfig, data: CompetitionData, registry: Registry) -> Plan:
    """Check names, build folds and models; nothing is trained.

    Raises:
        ConfigError, DataError: anything that would make the run fail before training.
    """
    cfg, data, relation = resolve_cv(cfg, data)
    comp = cfg.competition
    if comp.metric in registry.metrics:  # the registry's (a plug-in's metric included)
        metric = registry.metric(comp.metric, comp.task)
    else:
        metric = get_metric(comp.metric, comp.task)
    raw_y = data.y.to_numpy(dtype="float64") if comp.task == "regression" else np.empty(0)
    if metric.log_scaled and (raw_y <= -1).any():
        raise DataError(
            f"target {comp.data.target!r}: metric {metric.name} needs values > -1, "
            f"found {raw_y.min():g}"
        )
    if cfg.pipeline.target_transform == "log1p":
        if comp.task != "regression":
            raise ConfigError(
                f"{cfg.source_of('target_transform')}: target_transform: log1p needs a "
                f"regression task, got {comp.task!r}"
            )
        if (raw_y <= -1).any():
            raise DataError(f"target {comp.data.target!r}: log1p needs values > -1")
    transform, note = resolve_target_transform(
        cfg.pipeline.target_transform, comp.task, metric, raw_y
    )
    if cfg.pipeline.target_transform != "auto":
        note = f"set in {cfg.source_of('target_transform')}"
    if transform != cfg.pipeline.target_transform:
        pipe = cfg.pipeline.model_copy(update={"target_transform": transform})
        cfg = dataclasses.replace(cfg, pipeline=pipe)
    y, classes = encode_target(data.y, comp.task)
    cv = comp.cv
    check_repeatable(
        cv.scheme, shuffle=cv.shuffle, repeats=cv.repeats, where=cfg.source_of("cv.repeats")
    )
    folds = make_folds(cfg, data, y, registry)
    extra = tuple(make_folds(cfg, data, y, registry, repeat=r) for r in range(1, cv.repeats))
    cfg, sizing = apply_below_rows(cfg, len(data.train))
    models = build_all(cfg, registry, n_rows=len(data.train), kinds=data.kinds)
    return Plan(
        cfg=cfg,
        data=data,
        y=y,
        classes=classes,
        folds=folds,
        metric=metric,
        models=models,
        registry=registry,
        target_range=target_range(comp.task, metric, raw_y),
        target_note=f"target_transform: {transform}; {note}",
        relation=relation,
        extra_folds=extra,
        sizing=tuple(sizing),
    )


def split_context(plan: Plan) -> SplitContext:
    """The outer scheme and its columns, for cross-fitted stages' inner folds."""
    cv = plan.cfg.competition.cv
    return SplitContext(
        scheme=cv.scheme,
        task=plan.cfg.competition.task,
        groups=_cv_column(plan, cv.groups),
        time=_cv_column(plan, cv.time),
        gap=cv.gap,
        data_dir=plan.data.data_dir,
    )


def _cv_column(plan: Plan, name: str | None) -> np.ndarray | None:
    return None if name is None else plan.data.cv_columns[name].to_numpy()


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
    for i, (name, (chain, model)) in enumerate(plan.models.items()):
        spec = pipe.models[name]
        use_cache = wants_cache(chain, pipe.cache)

        def fold_cb(fr: FoldResult, n: int, _name: str = name) -> None:
            if on_fold is not None:
                on_fold(_name, fr, n)

        runs: dict[int, list[CVResult]] = {}  # by repeat (cv.repeats), then model seed
        for rep, r in itertools.product(range(len(plan.repeats)), range(spec.seeds)):
            seeded = model if r == 0 else clone(model).set_params(seed=model.seed + r)
            runs.setdefault(rep, []).append(
                run_cv(
                    chain,
                    seeded,
                    plan.data.train,
                    plan.y,
                    folds=plan.repeats[rep],
                    metric=plan.metric,
                    X_test=plan.data.test,
                    name=name,
                    early_stopping=spec.early_stopping,
                    test_predictions=resolve_test_predictions(
                        spec.test_predictions or pipe.test_predictions, plan.folds
                    ),
                    target_transform=pipe.target_transform,
                    target_range=plan.target_range,
                    seed=cfg.competition.seed + i + 1000 * r,
                    groups=_cv_column(plan, cfg.competition.cv.groups),
                    time=_cv_column(plan, cfg.competition.cv.time),
                    on_fold=fold_cb,
                    split_context=split_context(plan),
                    n_workers=n_workers,
                    cache=cache if use_cache else None,
                    repeat=rep,
                    save_to=None if save_to is None else model_dir(save_to, name, r, rep),
                    executor=executor,
                    data_ref=data_ref,
                )
            )
        result = combine_repeats(
            [
                rs[0] if len(rs) == 1 else average_seeds(rs, plan, plan.repeats[k])
                for k, rs in runs.items()
            ]
        )
        results[name] = result
        if on_model is not None:
            on_model(result)
    return _choose(plan, results)


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
    return ExperimentResult(
        results=results,
        chosen=best.name,
        oof=best.oof,
        test=best.test,
        cv_mean=best.cv_mean,
        cv_std=best.cv_std,
        fold_scores=[float(s) for s in best.fold_scores],
        cv_std_repeats=best.cv_std_repeats,
    )
