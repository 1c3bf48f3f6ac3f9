"""End-to-end leak test: a fold's OOF predictions never depend on its own targets.

Changing the target on validation fold k must leave fold k's out-of-fold predictions
exactly unchanged, for every shipped pipeline. This catches a leak in any stage and early
stopping that watches the validation fold.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from podium.config import RunRequest
from podium.engine import run_models
from podium.runner import plan_run

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p.stem for p in (REPO / "pipelines").glob("*.yaml"))


def _fast(path: Path) -> list[str]:
    """Fewer trees (the pipeline's structure, stages and early stopping stay as shipped)."""
    import yaml

    out = []
    for name, spec in yaml.safe_load(path.read_text())["models"].items():
        for key in ("n_estimators", "iterations"):
            if key in spec.get("params", {}):
                out.append(f"models.{name}.params.{key}={min(spec['params'][key], 150)}")
    return out


def _flip_fold_targets(plan, k: int, repeat: int = 0):
    """A copy of the plan whose targets on validation fold k (of repeat ``repeat``) are
    changed; the folds stay as they were."""
    import dataclasses

    va = plan.repeats[repeat].valid_index(k)
    y = plan.y.copy()
    if plan.cfg.competition.task == "regression":
        y[va] = y[va] * 3.0 + 7.0
    else:
        y[va] = 1 - y[va]
    return dataclasses.replace(plan, y=y)


@pytest.mark.parametrize("pipeline", SHIPPED)
@pytest.mark.parametrize("task", ["binary", "regression"])
def test_fold_predictions_ignore_own_targets(make_competition, pipeline, task) -> None:
    comp = make_competition(task=task, n_train=200, n_test=40)
    overrides = _fast(comp.parent.parent / "pipelines" / f"{pipeline}.yaml")
    if task == "regression":
        overrides.append("target_transform=log1p")
        if pipeline == "strong":
            overrides += ["models.linear.use=ridge", "models.linear.params={alpha: 1.0}"]
    plan = plan_run(
        RunRequest(comp, root=comp.parent.parent, pipeline=pipeline, overrides=overrides)
    )
    base = run_models(plan)
    k = 1
    va = plan.folds.valid_index(k)
    changed = run_models(_flip_fold_targets(plan, k))
    for name, res in base.results.items():
        np.testing.assert_array_equal(
            res.oof[va], changed.results[name].oof[va], err_msg=f"{pipeline}/{name} leaks"
        )
    other = plan.folds.valid_index(0)
    assert not np.array_equal(base.oof[other], changed.oof[other]), "the change had no effect"


LINEAR_ON_TE = {
    "use": "logistic_regression",
    "stages": [
        {"name": "te", "use": "target_encoder", "params": {"columns": ["color"]}},
        {"name": "impute", "use": "impute"},
        {"name": "cats", "use": "categorical", "params": {"encoding": "onehot"}},
    ],
}


def test_each_repeats_fold_predictions_ignore_own_targets(make_competition, te_pipeline) -> None:
    """Repeated CV: in repeat 1 (repeat 0 is the plain CV above), a fold's OOF predictions
    ignore that fold's targets (cross-fitted stages and early stopping included); the
    averaged OOF does not, as repeat 0's models trained on those rows."""
    te_pipeline["models"]["linear"] = LINEAR_ON_TE
    comp = make_competition(n_train=200, n_test=40, pipeline=te_pipeline)
    plan = plan_run(
        RunRequest(comp, root=comp.parent.parent, pipeline="custom", overrides=["cv.repeats=2"])
    )
    base = run_models(plan)
    k, r = 1, 1
    folds = plan.repeats[r]
    va, other = folds.valid_index(k), folds.valid_index(0)
    changed = run_models(_flip_fold_targets(plan, k, repeat=r))
    for name, res in base.results.items():
        mine, theirs = res.repeats[r], changed.results[name].repeats[r]
        np.testing.assert_array_equal(mine.oof[va], theirs.oof[va], err_msg=f"{name} leaks")
        assert not np.array_equal(mine.oof[other], theirs.oof[other]), "no effect"
        assert not np.array_equal(res.oof[va], changed.results[name].oof[va])
