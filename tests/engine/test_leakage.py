"""End-to-end leak test: a fold's OOF predictions never depend on its own targets.

Changing the target on validation fold k must leave fold k's out-of-fold predictions
exactly unchanged, for every shipped pipeline. This catches a leak in any stage and early
stopping that watches the validation fold.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

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


def _flip_fold_targets(plan, k: int):
    """A copy of the plan whose targets on validation fold k are changed."""
    import dataclasses

    va = plan.folds.valid_index(k)
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
    plan = plan_run(comp, root=comp.parent.parent, pipeline=pipeline, overrides=overrides)
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
