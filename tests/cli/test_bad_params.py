"""Bad model and stage parameters: one line naming the key path, exit 2, before training."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from podium.cli import (
    app,
    commands,  # noqa: F401  (registers commands)
)
from podium.engine.build import check_stage_params
from podium.exceptions import ParamError
from podium.stages import BUILTIN_STAGES

runner = CliRunner()

CASES = [
    (
        "models.lgb.params.num_leavs=8",
        r"models\.lgb\.params\.num_leavs: unknown parameter of model 'lightgbm' "
        r"- did you mean 'num_leaves'\?",
    ),
    (
        "models.lgb.params.learning_rate=abc",
        r"models\.lgb\.params\.learning_rate: must be a float in the range \(0\.0, inf\), "
        r"got 'abc'",
    ),
    (
        "models.lgb.params.num_leaves=-15",
        r"models\.lgb\.params\.num_leaves: must be an int in the range \[2, inf\), got -15",
    ),
    ("models.lgb.params.n_estimators=0", r"models\.lgb\.params\.n_estimators: must be an int"),
    ("models.lgb.params.subsample=1.5", r"models\.lgb\.params\.subsample: .*\(0\.0, 1\.0\]"),
    ("models.lgb.params.reg_lambda=-1", r"models\.lgb\.params\.reg_lambda: .*\[0\.0, inf\)"),
    (
        "models.xgb={use: xgboost, params: {max_dept: 3}}",
        r"models\.xgb\.params\.max_dept: unknown parameter of model 'xgboost' "
        r"- did you mean 'max_depth'\?",
    ),
    (
        "models.xgb={use: xgboost, params: {colsample_bytree: 0}}",
        r"models\.xgb\.params\.colsample_bytree: must be a float in the range \(0\.0, 1\.0\]",
    ),
    (
        "models.cb={use: catboost, params: {depth: 20}}",
        r"models\.cb\.params\.depth: must be an int in the range \[1, 16\], got 20",
    ),
    (
        "models.cb={use: catboost, params: {iteratons: 20}}",
        r"models\.cb\.params\.iteratons: .* did you mean 'iterations'\?",
    ),
    (
        "models.rf={use: random_forest, params: {n_estimator: 5}}",
        r"models\.rf\.params\.n_estimator: .* did you mean 'n_estimators'\?",
    ),
    (
        "models.lr={use: logistic_regression, params: {C: -1}}",
        r"models\.lr\.params\.C: must be a float in the range \(0\.0, inf\], got -1",
    ),
    (
        "stages.cats.params.encodng=onehot",
        r"stages\.cats\.params\.encodng: unknown parameter of stage 'categorical' "
        r"- did you mean 'encoding'\?",
    ),
    (
        "stages.cats.params.colums=[color]",
        r"stages\.cats\.params\.colums: .* did you mean 'columns'\?",
    ),
    (
        "stages.cats.params.encoding=hot",
        r"stages\.cats\.params\.encoding: must be a str among .*'onehot'.*, got 'hot'",
    ),
    (
        "models.lgb.stages=[{name: imp, use: impute, params: {strategy: medain}}]",
        r"models\.lgb\.stages\.imp\.params\.strategy: must be a str among .*got 'medain'",
    ),
    (
        "ensemble={method: weights, params: {bag: maybe}}",
        r"ensemble\.params\.bag: ensemble param bag must be auto, true or false, got 'maybe'",
    ),
    (
        "ensemble={method: weights, params: {bga: true}}",
        r"ensemble\.params\.bga: unknown parameter 'bga' of ensemble method 'weights' "
        r"- did you mean 'bag'\?",
    ),
    (
        "ensemble={method: power, params: {space: logits}}",
        r"ensemble\.params\.space: ensemble space must be logit or power, got 'logits'",
    ),
]


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize(("override", "match"), CASES, ids=[c[0] for c in CASES])
def test_bad_param_is_one_line_exit_2(make_competition, monkeypatch, command, override, match):
    comp = make_competition()
    root = comp.parent.parent
    monkeypatch.chdir(root)
    result = runner.invoke(app, [command, "toy", "--set", override])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert re.search(match, lines[0]), lines[0]
    assert "--set" in lines[0]  # where the value came from
    assert not (root / "mlruns").exists() or not any((root / "mlruns").iterdir())
    assert not (comp / "submissions").exists()


def test_stage_columns_may_be_a_kind_selector() -> None:
    """``columns`` is checked by name only: a list or a ``{kind: ...}`` dict both pass."""
    cls = BUILTIN_STAGES["categorical"]
    check_stage_params(cls, "categorical", {"columns": {"kind": "categorical"}})
    check_stage_params(cls, "categorical", {"columns": ["a"], "min_frequency": 0.05})
    with pytest.raises(ParamError, match="must be"):
        check_stage_params(cls, "categorical", {"min_frequency": 0})


def test_stage_taking_kwargs_accepts_any_name() -> None:
    class Loose:
        def __init__(self, **kwargs):
            self.kwargs = kwargs

    check_stage_params(Loose, "loose", {"anything": 1})


def test_param_error_pickles() -> None:
    import pickle

    err = pickle.loads(pickle.dumps(ParamError("params.x", "bad")))
    assert (err.key, err.reason, str(err)) == ("params.x", "bad", "params.x: bad")
