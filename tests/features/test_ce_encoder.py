"""`ce_encoder`: category_encoders' encoders as one cross-fitted podium stage.

Leak properties as for podium's own encoders (own-fold invariance, a permuted target at
chance through a whole run) and the behaviour: a row's training encoding is the
encoder's own, fit on the other inner folds; test rows get the all-rows fit.
"""

from __future__ import annotations

import dataclasses

import category_encoders as ce
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from podium.config import RunRequest
from podium.cv import SplitContext
from podium.engine import run_models
from podium.exceptions import ConfigError
from podium.features import CeEncoder, make_inner_folds
from podium.session import plan_run

SUPERVISED = ["WOEEncoder", "CatBoostEncoder", "JamesSteinEncoder", "MEstimateEncoder",
              "TargetEncoder", "LeaveOneOutEncoder"]  # fmt: skip


def make_data(
    n: int = 160, seed: int = 0, task: str = "binary"
) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.choice(list("abcdef"), n)
    X = pd.DataFrame({"a": a, "b": rng.choice(["x", "y", None], n), "num": rng.normal(size=n)})
    signal = np.isin(a, ["a", "b"]) + rng.normal(scale=0.7, size=n)
    if task == "binary":
        y = (signal > 0.5).astype(int)
    elif task == "multiclass":
        y = np.digitize(signal, [0.0, 1.0])
    else:
        y = signal * 10.0
    return X, y


def test_pandas3_str_columns_are_encoded() -> None:
    X, y = make_data()
    assert X["a"].dtype == "str"  # pandas 3's text dtype reaches category_encoders as is
    out = CeEncoder(encoder="WOEEncoder", columns=["a", "b"]).fit_transform(X, y)
    assert list(out.columns) == ["num", "ce_a", "ce_b"]
    assert out["ce_a"].dtype == np.float64 and out["ce_a"].notna().all()


@pytest.mark.parametrize(
    ("encoder", "task", "grouped"),
    [*((e, "binary", False) for e in SUPERVISED), ("CatBoostEncoder", "multiclass", False),
     ("JamesSteinEncoder", "regression", False), ("WOEEncoder", "binary", True)],
)  # fmt: skip
def test_own_fold_targets_never_reach_own_fold_encodings(encoder, task, grouped) -> None:
    X, y = make_data(seed=3, task=task)
    rng = np.random.default_rng(1)
    groups = rng.integers(0, 16, len(X)) if grouped else None
    ctx = SplitContext(scheme="group_kfold" if grouped else "kfold", task=task, groups=groups)
    stage = CeEncoder(encoder=encoder, columns=["a", "b"], n_splits=4)
    folds = make_inner_folds(len(X), n_splits=4, random_state=0, split_context=ctx)
    va = folds.valid_index(2)
    y2 = y.copy()
    y2[va] = y[va][::-1] * 3.0 + 1.0 if task == "regression" else y[va][rng.permutation(len(va))]
    if task != "regression":
        y2[va] = np.where(y2[va] == y[va], (y[va] + 1) % len(np.unique(y)), y2[va])
    before = stage.fit_transform(X, y, split_context=ctx)
    after = CeEncoder(**stage.get_params()).fit_transform(X, y2, split_context=ctx)
    pd.testing.assert_frame_equal(before.iloc[va], after.iloc[va], check_exact=True)
    other = folds.valid_index(0)  # the change reaches the other folds: the test can fail
    assert not before.iloc[other].equals(after.iloc[other])


def test_the_own_fold_property_detects_an_in_sample_fit() -> None:
    """fit().transform() on the training rows (a leak) fails the same comparison."""
    X, y = make_data(seed=4)
    ctx = SplitContext(scheme="kfold", task="binary")
    va = make_inner_folds(len(X), n_splits=5, random_state=0, split_context=ctx).valid_index(1)
    y2 = y.copy()
    y2[va] = 1 - y2[va]
    leaky = [CeEncoder("WOEEncoder", ["a"]).fit(X, t).transform(X)["ce_a"] for t in (y, y2)]
    assert not np.array_equal(leaky[0].iloc[va], leaky[1].iloc[va])


def test_training_rows_get_the_encoder_fit_on_the_other_inner_folds() -> None:
    X, y = make_data(seed=5)
    ctx = SplitContext(scheme="stratified_kfold", task="binary")
    stage = CeEncoder("WOEEncoder", ["a"], encoder_params={"regularization": 0.5}, n_splits=3)
    out = stage.fit_transform(X, y, split_context=ctx)
    folds = stage.model_.folds_
    for k in range(3):
        tr, va = folds.train_index(k), folds.valid_index(k)
        own = ce.WOEEncoder(cols=["a"], regularization=0.5).fit(X[["a"]].iloc[tr], y[tr])
        expected = own.transform(X[["a"]].iloc[va])["a"].to_numpy()
        np.testing.assert_allclose(out["ce_a"].iloc[va].to_numpy(), expected)
    X_test = pd.DataFrame({"a": ["a", "f", "zz"], "b": ["x", None, "y"], "num": [0.0, 1.0, 2.0]})
    full = ce.WOEEncoder(cols=["a"], regularization=0.5).fit(X[["a"]], y).transform(X_test[["a"]])
    np.testing.assert_allclose(stage.transform(X_test)["ce_a"], full["a"])
    kept = CeEncoder("OrdinalEncoder", ["a"], keep_original=True).fit_transform(X, y)
    assert list(kept.columns) == ["a", "b", "num", "ce_a"]  # unsupervised: one fit, kept


def test_bad_encoders_and_targets_are_one_line() -> None:
    with pytest.raises(ConfigError, match="'WOEEncodr' - did you mean 'WOEEncoder'"):
        CeEncoder.check_params({"encoder": "WOEEncodr"})
    with pytest.raises(ConfigError, match="regularisation: unknown parameter of WOEEncoder"):
        CeEncoder.check_params({"encoder": "WOEEncoder", "encoder_params": {"regularisation": 1}})
    X, y = make_data(task="regression")
    with pytest.raises(ConfigError, match="WOEEncoder needs a binary target, this one is regr"):
        CeEncoder("WOEEncoder", ["a"]).fit_transform(X, y)


CE_PIPELINE = {
    "stages": [
        {"name": "numeric", "use": "to_numeric"},
        {"name": "woe", "use": "ce_encoder",
         "params": {"encoder": "WOEEncoder", "columns": {"kind": "categorical"}}},
        {"name": "fill", "use": "impute"},
    ],
    "models": {"lr": {"use": "logistic_regression"}},
}  # fmt: skip


def _many_levels(train: pd.DataFrame, test: pd.DataFrame, sample: pd.DataFrame) -> None:
    """A categorical of ~5 rows per level: an in-sample WOE on it would score far above 0.5."""
    rng = np.random.default_rng(9)
    train["shop"] = [f"s{i}" for i in rng.integers(0, len(train) // 5, len(train))]
    test["shop"] = [f"s{i}" for i in rng.integers(0, len(train) // 5, len(test))]


def test_a_permuted_target_scores_at_chance_through_a_run(make_competition) -> None:
    """As podium's own encoders: a whole run on a permuted target scores at chance (the
    own-fold test above is the one that catches an in-sample fit of the training rows)."""
    comp = make_competition(n_train=1500, n_test=50, pipeline=CE_PIPELINE, edit=_many_levels)
    plan = plan_run(RunRequest(comp, root=comp.parent.parent, pipeline="custom"))
    real = run_models(plan)
    assert real.cv_mean > 0.75  # the encodings carry the real signal (color)
    y = np.random.default_rng(0).permutation(plan.y)
    null = run_models(dataclasses.replace(plan, y=y))
    assert abs(null.cv_mean - 0.5) <= 0.04, null.cv_mean


def test_validate_names_an_unknown_encoder(make_competition, monkeypatch) -> None:
    from podium.cli import app
    from podium.cli import commands as _commands  # noqa: F401

    bad = {**CE_PIPELINE, "stages": [dict(s) for s in CE_PIPELINE["stages"]]}
    bad["stages"][1]["params"] = {"encoder": "CatboostEncoder"}
    comp = make_competition(pipeline=bad)
    monkeypatch.chdir(comp.parent.parent)
    res = CliRunner().invoke(app, ["validate", "toy", "--pipeline", "custom"])
    assert res.exit_code == 2
    assert len(res.stderr.strip().splitlines()) == 1
    assert "stages.woe.params.encoder: unknown category_encoders encoder 'CatboostEncoder'" in (
        res.stderr
    )
    assert "did you mean 'CatBoostEncoder'" in res.stderr
