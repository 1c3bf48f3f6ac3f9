"""A run's plan: config and data checked, folds built, models built - nothing trained.

:func:`prepare` makes the :class:`Plan` (``podium validate`` stops there);
:func:`podium.engine.experiment.run_models` trains it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

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
from podium.cv.auto import FALLBACK
from podium.cv.folds import check_scheme
from podium.data import CompetitionData
from podium.data.relation import Relation, measure_relation
from podium.engine.build import build_all
from podium.engine.sizing import apply_below_rows
from podium.engine.targets import TargetRange, resolve_target_transform, target_range
from podium.exceptions import ConfigError, DataError
from podium.metrics import Metric, get_metric
from podium.registry import Registry

__all__ = [
    "Plan",
    "encode_target",
    "make_folds",
    "prepare",
    "resolve_cv",
    "split_context",
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
    asked = cfg.competition.cv
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
    try:
        folds = make_folds(cfg, data, y, registry)
    except ConfigError as exc:
        if asked.scheme != "auto" or cfg.competition.cv.scheme == FALLBACK:
            raise
        cfg = _fallback_cv(cfg, asked, exc)
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
        target_note=f"target_transform: {transform}; {note}" + _class_notes(y, classes, folds),
        relation=relation,
        extra_folds=extra,
        sizing=tuple(sizing),
    )


def _fallback_cv(cfg: ResolvedConfig, asked: Any, exc: Exception) -> ResolvedConfig:
    """``cv: auto``'s scheme could not be built on these rows: the fallback, saying why."""
    comp = cfg.competition
    chosen = comp.cv.scheme
    problem = str(exc).split(": cv: ", 1)[-1]
    line = f"cv: auto -> {FALLBACK}: {chosen} was chosen but cannot be built ({problem})"
    cv = asked.model_copy(update={"scheme": FALLBACK, "gap": 0, "chosen": line})
    return dataclasses.replace(cfg, competition=comp.model_copy(update={"cv": cv}))


def _class_notes(y: np.ndarray, classes: np.ndarray | None, folds: Folds) -> str:
    """``; classes of fewer rows than the 5 folds: 'rare' (3 rows) ...``, and which class a
    binary probability is of when the labels are not 0/1 (empty when neither)."""
    if classes is None:
        return ""
    positive = ""
    if len(classes) == 2 and {str(c) for c in classes} != {"0", "1"}:
        positive = f"; probabilities are of class {str(classes[1])!r} (the second, sorted)"
    counts = np.bincount(y, minlength=len(classes))
    rare = [(classes[i], int(counts[i])) for i in np.argsort(counts, kind="stable")]
    rare = [(c, n) for c, n in rare if n < folds.n_splits]
    if not rare:
        return positive
    shown = ", ".join(f"{str(c)!r} ({n} rows)" for c, n in rare[:3])
    more = f" and {len(rare) - 3} more" if len(rare) > 3 else ""
    return (
        f"; classes of fewer rows than the {folds.n_splits} folds: {shown}{more} "
        "(each row validated in its own fold; a class of one row is unknown to that fold's "
        "model)" + positive
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
    """The values of the cv column ``name`` (groups, time) for the training rows."""
    return None if name is None else plan.data.cv_columns[name].to_numpy()
