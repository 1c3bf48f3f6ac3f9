"""Stacking: level-2 models cross-validated on level-1 out-of-fold predictions, same folds.

Level 2 sees, for every training row, the level-1 predictions made by models that never
trained on that row; it is cross-validated on the run's folds, so its out-of-fold
predictions are as honest as level 1's. Several level-2 models are combined by a third
level (a blender, nested the same way).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from podium.cv import Folds
from podium.engine import CVResult, run_cv
from podium.engine.experiment import model_dir
from podium.engine.result import scored
from podium.engine.targets import TargetRange
from podium.ensemble.combine import EnsembleResult, blend, stack_frame
from podium.exceptions import ConfigError
from podium.metrics import Metric
from podium.stages import StageChain

__all__ = ["level2_frame", "stack"]


def level2_frame(
    preds: dict[str, np.ndarray],
    names: list[str],
    *,
    target_transform: str,
    passthrough: pd.DataFrame | None,
) -> pd.DataFrame:
    """Level-2 features: the members' predictions (log1p of them under a log1p target),
    then the passthrough columns; a run's (training and test rows) and ``podium predict``'s."""
    X2 = stack_frame(preds, names)
    if target_transform == "log1p":
        X2 = np.log1p(X2.clip(lower=0))
    if passthrough is not None:
        X2 = pd.concat([X2, passthrough.reset_index(drop=True)], axis=1)
    return X2


def stack(
    oofs: dict[str, np.ndarray],
    tests: dict[str, np.ndarray],
    y: np.ndarray,
    folds: Folds,
    metric: Metric,
    *,
    level2: dict[str, tuple[Any, Any]],
    members: list[str] | None = None,
    passthrough: pd.DataFrame | None = None,
    passthrough_test: pd.DataFrame | None = None,
    final: str = "weights",
    seed: int = 0,
    target_transform: str = "none",
    target_range: TargetRange | None = None,
    save_to: Path | None = None,
) -> EnsembleResult:
    """Stack level-1 predictions with one or more level-2 ``(chain, model)`` pairs.

    Args:
        oofs, tests: level-1 out-of-fold and test predictions by model name.
        level2: level-2 models by name, each with the stage chain it needs.
        passthrough, passthrough_test: original feature columns given to level 2 as well.
        final: how several level-2 models combine (a third level): a blend method.
        target_transform: ``log1p``: level 2 learns ``log1p(y)`` from ``log1p`` of the
            level-1 predictions (the scale the level-1 models were fit on).
        target_range: level-2 predictions are clipped to it (as level 1's are).
        save_to: a folder: the level-2 models' fitted folds are saved under it (as
            :func:`~podium.engine.experiment.model_dir` lays them out, seed 0).

    Raises:
        ConfigError: no level-2 model, or rows that were never validated (time schemes
            leave the first block out of every fold; stacking needs all rows).
    """
    if not level2:
        raise ConfigError("ensemble.level2: stacking needs at least one level-2 model")
    if np.any(folds.fold < 0):
        raise ConfigError(
            "ensemble method 'stack' needs every training row in a validation fold; "
            "this cv scheme leaves some out (use a blend method instead)"
        )
    names = list(members) if members else list(oofs)
    X2 = level2_frame(oofs, names, target_transform=target_transform, passthrough=passthrough)
    T2 = level2_frame(
        tests, names, target_transform=target_transform, passthrough=passthrough_test
    )
    results: dict[str, CVResult] = {}
    for i, (name, (chain, model)) in enumerate(level2.items()):
        results[name] = run_cv(
            chain if chain is not None else StageChain([]),
            model,
            X2,
            y,
            folds=folds,
            metric=metric,
            X_test=T2,
            name=name,
            seed=seed + i,
            target_transform=target_transform,
            target_range=target_range,
            save_to=None if save_to is None else model_dir(save_to, name, 0),
        )
    if len(results) == 1:
        ((name, res),) = results.items()
        assert res.test is not None
        return EnsembleResult(
            method="stack",
            members=names,
            **scored(res),
            naive_score=_naive(
                level2[name], X2, y, metric, target_transform, target_range or TargetRange()
            ),
            details={"level2": {name: res.cv_mean}, "importance": res.importances.to_dict()},
            fitted={"level2": [name], "final": None},
        )
    top = blend(
        {n: r.oof for n, r in results.items()},
        {n: r.test for n, r in results.items() if r.test is not None},
        y,
        folds,
        metric,
        method=final,
    )
    return dataclasses.replace(  # the stack's predictions and scores are its final blend's
        top,
        method="stack",
        members=names,
        details={"level2": {n: r.cv_mean for n, r in results.items()}, "final": final},
        fitted={"level2": list(results), "final": top.fitted},
    )


def _naive(
    pair: tuple[Any, Any],
    X2: pd.DataFrame,
    y: np.ndarray,
    metric: Metric,
    transform: str,
    target_range: TargetRange,
) -> float:
    """The level-2 model fit and scored on all rows (the in-sample figure)."""
    from sklearn.base import clone

    chain, model = pair
    chain = clone(chain) if chain is not None else StageChain([])
    Z = chain.fit_transform(X2, y)
    log = transform == "log1p"
    fitted = clone(model).fit(Z, np.log1p(y) if log else y)
    pred = fitted.predict(Z)
    return float(metric(y, target_range.clip(np.expm1(pred) if log else pred)))
