"""A run's ensemble step, saved: the fitted blender or stacker that turns the members'
test predictions into the submission's, for ``podium predict``.

:func:`predict_ensemble` goes through the functions the run used (``blend_test``,
``level2_frame``, :func:`~podium.engine.saved.predict_saved`), so it gives the run's
test predictions bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from podium.config import CompetitionConfig
from podium.data import Profile
from podium.engine import ExperimentResult, Plan
from podium.engine.saved import SavedModel, predict_saved
from podium.engine.targets import TargetRange
from podium.ensemble.combine import EnsembleResult, blend_test
from podium.ensemble.stack import level2_frame
from podium.exceptions import ConfigError
from podium.metrics import Metric, get_metric

__all__ = [
    "LEVEL2_DIR",
    "RUN_FILE",
    "SavedEnsemble",
    "SavedRun",
    "predict_ensemble",
    "predict_run",
    "saved_ensemble",
    "saved_run",
]

RUN_FILE = "run.joblib"
"""The :class:`SavedRun` of a model set (beside ``models/``, ``level2/`` and the manifest)."""

LEVEL2_DIR = "level2"
"""The folder (in a run's model set) holding the stack's level-2 models."""


@dataclass(frozen=True, eq=False)
class SavedEnsemble:
    """A fitted ensemble: ``method`` (a blend method or ``stack``) over ``members``.

    ``fitted``: the blender (a blend), or the stack's ``{"level2": names, "final":
    blender or None}``; ``level2``: the stack's level-2 models; ``passthrough``: the
    feature columns level 2 also sees.
    """

    method: str
    members: list[str]
    fitted: Any
    level2: list[SavedModel] = field(default_factory=list)
    passthrough: list[str] = field(default_factory=list)
    target_transform: str = "none"


def saved_ensemble(
    res: EnsembleResult, *, n_splits: int, passthrough: list[str], target_transform: str
) -> SavedEnsemble:
    """What :func:`predict_ensemble` needs of an ensemble result."""
    level2 = []
    if res.method == "stack":
        level2 = [SavedModel(n, 1, "fold_mean", n_splits) for n in res.fitted["level2"]]
    return SavedEnsemble(
        method=res.method,
        members=list(res.members),
        fitted=res.fitted,
        level2=level2,
        passthrough=list(passthrough) if res.method == "stack" else [],
        target_transform=target_transform,
    )


def predict_ensemble(
    saved: SavedEnsemble,
    folder: Path,
    tests: dict[str, np.ndarray],
    X: pd.DataFrame,
    *,
    metric: Metric,
    target_range: TargetRange,
) -> np.ndarray:
    """The ensemble's predictions from the members' ``tests`` predictions for rows ``X``
    (the stack's level-2 models are read from ``folder``)."""
    if saved.method != "stack":
        return blend_test(saved.fitted, tests, saved.members, metric)
    T2 = level2_frame(
        tests,
        saved.members,
        target_transform=saved.target_transform,
        passthrough=X[saved.passthrough] if saved.passthrough else None,
    )
    preds = {
        m.name: predict_saved(
            Path(folder) / LEVEL2_DIR,
            m,
            T2,
            target_transform=saved.target_transform,
            target_range=target_range,
        )
        for m in saved.level2
    }
    final = saved.fitted["final"]
    if final is None:
        return preds[saved.level2[0].name]
    return blend_test(final, preds, list(preds), metric)


@dataclass(frozen=True, eq=False)
class SavedRun:
    """Everything but the fitted folds that a run's test predictions and submission need:
    how to read a test file (``schema``, ``profile``), which models and ensemble make the
    prediction, how predictions map to the target, and the submission's format."""

    run_name: str
    pipeline: str
    competition: CompetitionConfig
    schema: pd.DataFrame
    profile: Profile
    sample: pd.DataFrame
    test_ids: pd.Series
    classes: np.ndarray | None
    target_transform: str
    target_range: TargetRange
    models: list[SavedModel]
    chosen: str
    ensemble: SavedEnsemble | None

    @property
    def metric(self) -> Metric:
        return get_metric(self.competition.metric, self.competition.task)


def saved_run(plan: Plan, result: ExperimentResult, run_name: str) -> SavedRun:
    """The :class:`SavedRun` of a run whose folds were saved (``run_models(save_to=)``)."""
    cfg = plan.cfg
    pipe = cfg.pipeline
    models = [
        SavedModel(
            name,
            pipe.models[name].seeds,
            res.test_strategy,
            plan.folds.n_splits,
            len(plan.repeats),
        )
        for name, res in result.results.items()
    ]
    schema = plan.data.schema if plan.data.schema is not None else plan.data.train.iloc[:0]
    return SavedRun(
        run_name=run_name,
        pipeline=cfg.pipeline_name,
        competition=cfg.competition,
        schema=schema,
        profile=plan.data.profile,
        sample=plan.data.sample,
        test_ids=plan.data.test_ids,
        classes=plan.classes,
        target_transform=pipe.target_transform,
        target_range=plan.target_range,
        models=models,
        chosen=result.chosen,
        ensemble=result.details.get("saved"),
    )


def predict_run(saved: SavedRun, folder: Path, X: pd.DataFrame) -> np.ndarray:
    """The run's test predictions for the rows ``X`` from its model set in ``folder``:
    each needed model's saved folds (fold mean or refit, seeds averaged), then the
    ensemble, as the run computed them."""
    needed = saved.ensemble.members if saved.ensemble is not None else [saved.chosen]
    tests = {
        m.name: predict_saved(
            Path(folder),
            m,
            X,
            target_transform=saved.target_transform,
            target_range=saved.target_range,
        )
        for m in saved.models
        if m.name in needed
    }
    if saved.ensemble is None:
        if saved.chosen not in tests:  # a stack fit per repeat of a repeated CV
            raise ConfigError(
                f"run {saved.run_name}: its {saved.chosen} ensemble was not saved (a stack "
                "over repeated CV is fit per repeat); re-run with cv.repeats: 1 to predict"
            )
        return tests[saved.chosen]
    return predict_ensemble(
        saved.ensemble,
        folder,
        tests,
        X,
        metric=saved.metric,
        target_range=saved.target_range,
    )
