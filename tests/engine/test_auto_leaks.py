"""The zero-config ``auto`` pipeline leaks nothing on the practice competitions.

The practice competitions (bench/practice: integer-coded high-cardinality categoricals
with pair effects; an hourly RMSLE count with a timestamp id and train-only columns) are
generated small. On each, ``auto`` (trees capped, one seed: the same stages, encodings,
pairs and blend) must

- give fold k's out-of-fold predictions that do not move when fold k's targets change
  (own-fold invariance: catches any stage or early stopping that sees its own fold), and
- score at chance on a permuted target (binary: ROC-AUC within 3 sigma of 0.5;
  regression: no better than predicting the mean).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from podium.config import RunRequest
from podium.engine import run_models
from podium.ensemble import apply_ensemble
from podium.session import plan_run

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

from practice import prepare  # noqa: E402

NAMES = ["employee_access", "bike_sharing"]


def _fast() -> list[str]:
    spec = yaml.safe_load((REPO / "pipelines" / "auto.yaml").read_text())
    out = []
    for name, m in spec["models"].items():
        for key in ("n_estimators", "iterations"):
            if key in m.get("params", {}):
                out.append(f"models.{name}.params.{key}=120")
        if m.get("seeds", 1) > 1:
            out.append(f"models.{name}.seeds=1")
    return out


@pytest.fixture(scope="module")
def practice(tmp_path_factory):
    return prepare(tmp_path_factory.mktemp("practice"), NAMES, small=True, seed=5)


def _plan(comp):
    return plan_run(
        RunRequest(
            comp.comp_dir, root=REPO, pipeline="auto", data_dir=comp.data_dir, overrides=_fast()
        )
    )


@pytest.mark.parametrize("name", NAMES)
def test_auto_fold_predictions_ignore_own_targets(practice, name) -> None:
    plan = _plan(practice[name])
    assert len(plan.models) == 5
    base = run_models(plan)
    k = 2
    va = plan.folds.valid_index(k)
    y = plan.y.copy()
    if plan.cfg.competition.task == "regression":
        y[va] = y[va] * 3.0 + 7.0
    else:
        y[va] = 1 - y[va]
    changed = run_models(dataclasses.replace(plan, y=y))
    for model, res in base.results.items():
        np.testing.assert_array_equal(
            res.oof[va], changed.results[model].oof[va], err_msg=f"auto/{model} leaks on {name}"
        )
    other = plan.folds.valid_index(0)
    assert not np.array_equal(base.oof[other], changed.oof[other]), "the change had no effect"


@pytest.mark.parametrize("name", NAMES)
def test_auto_scores_at_chance_on_a_permuted_target(practice, name) -> None:
    plan = _plan(practice[name])
    y = np.random.default_rng(0).permutation(plan.y)
    null = apply_ensemble(plan, run_models(dataclasses.replace(plan, y=y)))
    if plan.cfg.competition.task == "binary":
        n1 = int(y.sum())
        n0 = len(y) - n1
        sigma = np.sqrt((n1 + n0 + 1) / (12 * n1 * n0))
        assert abs(null.cv_mean - 0.5) <= max(0.03, 3 * sigma), null.cv_mean
    else:
        logs = np.log1p(plan.data.y.to_numpy())
        constant = float(np.sqrt(np.mean((logs - logs.mean()) ** 2)))
        assert null.cv_mean >= 0.97 * constant, (null.cv_mean, constant)
