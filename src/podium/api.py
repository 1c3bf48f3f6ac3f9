"""The Python API: ``podium.run``, ``podium.load_run`` and ``podium.predict``.

The same run as ``podium run`` (same config, folds, seeds, MLflow run and submission),
called from a script or a notebook; its result as pandas objects indexed by row id. A
run's saved models predict new rows with :func:`predict`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from podium.project import project_root
from podium.saved_runs import LoadedRun, predict_rows
from podium.saved_runs import load_run as _load_run

__all__ = ["ModelResult", "RunResult", "load_run", "predict", "run"]


@dataclass(frozen=True, eq=False)
class ModelResult:
    """One model of a run: its CV and predictions (``oof`` by train row id, ``test_predictions``
    by test id; a Series, or a DataFrame with one column per class for multiclass)."""

    name: str
    cv_mean: float
    cv_std: float
    fold_scores: list[float]
    oof: pd.Series | pd.DataFrame
    test_predictions: pd.Series | pd.DataFrame | None
    seconds: float
    weight: float | None = None


@dataclass(frozen=True, eq=False)
class RunResult:
    """A finished run: ``cv_mean``/``cv_std`` of what was submitted (the best model or the
    ensemble, ``chosen``), its predictions, every model's result and the submission file."""

    run_id: str
    run_name: str
    metric: str
    cv_mean: float
    cv_std: float
    fold_scores: list[float]
    chosen: str
    oof: pd.Series | pd.DataFrame
    test_predictions: pd.Series | pd.DataFrame
    models: dict[str, ModelResult]
    weights: dict[str, float] | None
    submission: Path
    root: Path
    test_file: Path
    """The test file the run predicted (for :func:`predict` on its rows or new ones)."""


def _overrides(overrides: Mapping[str, Any] | Sequence[str] | None) -> list[str]:
    """``{"cv.n_splits": 3}`` or ``["cv.n_splits=3"]`` as ``--set`` strings."""
    if overrides is None:
        return []
    if isinstance(overrides, str):
        return [overrides]
    if isinstance(overrides, Mapping):
        return [f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in overrides.items()]
    return [str(o) for o in overrides]


def _frame(pred: Any, index: pd.Index, classes: np.ndarray | None) -> pd.Series | pd.DataFrame:
    arr = np.asarray(pred)
    if arr.ndim == 1:
        return pd.Series(arr, index=index, name="prediction")
    cols = list(classes) if classes is not None and len(classes) == arr.shape[1] else None
    return pd.DataFrame(arr, index=index, columns=cols)


def run(
    competition: str | Path,
    pipeline: str | None = None,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    seed: int | None = None,
    data_dir: str | Path | None = None,
    root: str | Path | None = None,
    output: str | Path | None = None,
) -> RunResult:
    """Run a competition's pipeline as ``podium run`` does and return its result.

    Args:
        competition: a name under ``<root>/competitions`` or a path to its folder.
        pipeline: as ``--pipeline`` (default: the competition's).
        overrides: as ``--set``: a mapping ``{"models.lgb.params.n_estimators": 200}`` or
            strings ``["cv.n_splits=3"]``.
        seed, data_dir, output: as ``--seed``, ``--data-dir``, ``--output``.
        root: the project folder (default: the one holding ``competitions/`` at or above
            the working directory, or ``$PODIUM_ROOT``).

    Raises:
        ConfigError, DataError, SubmissionError: as the CLI reports them.
    """
    from podium.config import RunRequest
    from podium.runner import run_competition

    where = Path(root).resolve() if root is not None else project_root()
    request = RunRequest(
        competition,
        root=where,
        pipeline=pipeline,
        overrides=tuple(_overrides(overrides)),
        seed=seed,
        data_dir=None if data_dir is None else Path(data_dir),
    )
    outcome = run_competition(request, output=None if output is None else Path(output))
    plan, res = outcome.plan, outcome.result
    data = plan.data
    rows = pd.RangeIndex(len(data.train), name="row")
    train_index = pd.Index(data.train_ids) if data.train_ids is not None else rows
    test_index = pd.Index(data.test_ids)
    weights = res.weights or {}
    models = {
        name: ModelResult(
            name=name,
            cv_mean=r.cv_mean,
            cv_std=r.cv_std,
            fold_scores=[float(s) for s in r.fold_scores],
            oof=_frame(r.oof, train_index, plan.classes),
            test_predictions=None if r.test is None else _frame(r.test, test_index, plan.classes),
            seconds=r.seconds,
            weight=weights.get(name),
        )
        for name, r in res.results.items()
    }
    return RunResult(
        run_id=outcome.run_id,
        run_name=outcome.run_name,
        metric=plan.metric.name,
        cv_mean=res.cv_mean,
        cv_std=res.cv_std,
        fold_scores=[float(s) for s in res.fold_scores],
        chosen=res.chosen,
        oof=_frame(res.oof, train_index, plan.classes),
        test_predictions=_frame(res.test, test_index, plan.classes),
        models=models,
        weights=res.weights,
        submission=outcome.submission,
        root=where,
        test_file=data.data_dir / plan.cfg.competition.data.test,
    )


def load_run(
    run: str, root: str | Path | None = None, *, allow_version_mismatch: bool = False
) -> LoadedRun:
    """A finished run's saved models, by run id or name (see :mod:`podium.saved_runs`).

    Raises:
        ConfigError: no such run, no saved models, or models saved with other library
            versions (unless ``allow_version_mismatch``).
    """
    where = Path(root).resolve() if root is not None else project_root()
    return _load_run(str(run), root=where, allow_version_mismatch=allow_version_mismatch)


def predict(
    run: str | RunResult | LoadedRun, frame: pd.DataFrame, root: str | Path | None = None
) -> pd.DataFrame:
    """Predict raw test rows (the columns of the competition's test file) with a run's
    saved models; a DataFrame in the competition's submission format.

    Raises:
        DataError: ``frame`` lacks columns the run was trained on (named).
    """
    if isinstance(run, RunResult):
        loaded = load_run(run.run_id, root if root is not None else run.root)
    elif isinstance(run, LoadedRun):
        loaded = run
    else:
        loaded = load_run(run, root)
    return predict_rows(loaded, frame)
