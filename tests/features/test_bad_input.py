"""Bad input for feature stages, through the CLI on a small synthetic competition.

- a column a stage names that the data lacks: exit 2, one ``error:`` line naming the
  stage, the parameter and the column, with the closest column suggested;
- target encoding of a numeric column with a distinct value per row (or over 100,000):
  one warning line, and the run goes on;
- a stage that needs the target where there is none: ``fit_on='train+test'`` (test rows
  have no target) exits 2 with one line; called without y (library use: the engine always
  passes the fold's target) it raises one ConfigError line.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from podium.cli import (
    app,
    commands,  # noqa: F401  (registers commands)
)
from podium.exceptions import ConfigError, LeakageError
from podium.features import CrossFit, KNNFeatures, LagFeatures, TargetEncoder
from podium.features import target_encoding as te_module

runner = CliRunner()
NUMERIC = {"name": "numeric", "use": "to_numeric"}
CATS = {"name": "cats", "use": "categorical", "params": {"encoding": "native"}}


def _pipeline(stage: dict[str, Any]) -> dict[str, Any]:
    return {
        "stages": [NUMERIC, stage, CATS],
        "models": {
            "lgb": {
                "use": "lightgbm",
                "params": {"n_estimators": 30, "num_leaves": 7, "min_child_samples": 5},
            }
        },
    }


def _run(make_competition, monkeypatch, stage: dict[str, Any], config=None, command="run"):
    """``podium COMMAND toy`` on the toy competition with ``stage`` in its pipeline."""
    comp = make_competition(
        config={"pipeline": "custom", "data.drop": [], **(config or {})},
        pipeline=_pipeline(stage),
    )
    monkeypatch.chdir(comp.parent.parent)
    return comp, runner.invoke(app, [command, "toy"])


def _one_error(result) -> str:
    """The one ``error:`` line of a command that exited 2."""
    assert result.exit_code == 2, result.output
    errors = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, result.output
    return errors[0]


MISSING_COLUMN = [
    ("target_encoder", {"columns": ["colour"]}, "columns", "colour", "color"),
    ("target_encoder", {"columns": [["color", "spnt"]]}, "columns", "spnt", "spent"),
    ("count_encoder", {"columns": ["colr"]}, "columns", "colr", "color"),
    ("group_aggregates", {"by": ["colr"], "columns": ["x1"]}, "by", "colr", "color"),
    ("group_aggregates", {"by": ["color"], "columns": ["x_1"]}, "columns", "x_1", "x1"),
    ("knn_features", {"columns": ["x1", "x_2"], "ks": [1]}, "columns", "x_2", "x2"),
    ("lag_features", {"entity": "grpp", "period": "day", "columns": ["x1"]}, "entity", "grpp",
     "grp"),
    ("tfidf_svd", {"columns": ["spnt"], "n_components": 2}, "columns", "spnt", "spent"),
    ("ce_encoder", {"encoder": "WOEEncoder", "columns": ["colr"]}, "columns", "colr", "color"),
]  # fmt: skip
MISSING_ARGS = ("use", "params", "param", "column", "closest")


def _missing(rows: tuple[int, ...] | None = None) -> list[Any]:
    """MISSING_COLUMN as pytest params (the rows picked by index; default all), id use-column."""
    picked = MISSING_COLUMN if rows is None else [MISSING_COLUMN[i] for i in rows]
    return [pytest.param(*case, id=f"{case[0]}-{case[3]}") for case in picked]


def _message(use: str, param: str, column: str, closest: str) -> str:
    return (
        rf"stage '{use}': {param} names column '{column}', which the data does not have"
        rf" - did you mean '{closest}'\?"
    )


@pytest.mark.parametrize(MISSING_ARGS, _missing((0, 3, 6)))
def test_missing_column_one_line_exit_2(
    make_competition, monkeypatch, use, params, param, column, closest
) -> None:
    comp, result = _run(make_competition, monkeypatch, {"name": "f", "use": use, "params": params})
    error = _one_error(result)
    assert re.search(_message(use, param, column, closest), error), error
    assert "stage 'f': stage" in error, error  # the pipeline's name for the stage
    assert "Traceback" not in result.output
    assert not (comp / "submissions").exists() or not any((comp / "submissions").iterdir())


@pytest.mark.parametrize(MISSING_ARGS, _missing((1, 4, 5)))
def test_validate_finds_a_missing_column_without_training(
    make_competition, monkeypatch, use, params, param, column, closest
) -> None:
    """``podium validate`` fits each chain on a sample, so a stage's bad column is found
    before any run (exit 2, one line naming the pipeline file, the stage and the column)."""
    stage = {"name": "f", "use": use, "params": params}
    _, result = _run(make_competition, monkeypatch, stage, command="validate")
    error = _one_error(result)
    assert "custom.yaml: stage 'f': " in error, error
    assert re.search(_message(use, param, column, closest), error), error
    fixed = {"name": "f", "use": "count_encoder", "params": {"columns": None}}
    _, ok = _run(make_competition, monkeypatch, fixed, command="validate")
    assert ok.exit_code == 0, ok.output
    assert "stages: 1 chain(s) fit on a sample" in ok.output


@pytest.mark.parametrize(MISSING_ARGS, _missing())
def test_missing_column_every_stage(use, params, param, column, closest) -> None:
    """The same one-line error from every feature stage, at fit and fit_transform."""
    from podium.features import FEATURE_STAGES

    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "x1": rng.normal(size=60),
            "x2": rng.normal(size=60),
            "color": rng.choice(["red", "green", "blue"], 60),
            "spent": rng.choice(["1.5", "20", "3.25"], 60),
            "grp": np.repeat(np.arange(6), 10),
            "day": np.tile(np.arange(10), 6),
        }
    )
    y = rng.integers(0, 2, 60)
    for method in ("fit", "fit_transform"):
        with pytest.raises(ConfigError, match=_message(use, param, column, closest)) as err:
            getattr(FEATURE_STAGES[use](**params), method)(X, y)
        assert "\n" not in str(err.value)


def test_target_encoding_per_row_numeric_warns_and_runs(
    make_competition, monkeypatch, caplog
) -> None:
    """One warning line (podium's log, on stderr in a terminal) and the run completes.

    Checked on the log record: the CLI's stderr handler is bound to the stream of the first
    CliRunner invocation in this process, not this one's.
    """
    import logging

    monkeypatch.setattr(te_module, "_LOGGED", set())
    log = logging.getLogger(te_module.__name__)
    log.addHandler(caplog.handler)
    try:
        stage = {"name": "te", "use": "target_encoder", "params": {"columns": ["x1", "color"]}}
        comp, result = _run(make_competition, monkeypatch, stage)
    finally:
        log.removeHandler(caplog.handler)
    assert result.exit_code == 0, result.output
    records = {id(r): r for r in caplog.records if r.name == te_module.__name__}
    warned = [r.getMessage() for r in records.values() if r.levelno == logging.WARNING]
    assert len(warned) == 1, warned  # once per run, not once per fold
    assert (
        "stage 'target_encoder': column 'x1' is numeric with a distinct value on every row"
        in (warned[0])
    )
    assert "CV roc_auc" in result.output
    assert any((comp / "submissions").iterdir())


def test_target_encoding_many_values_warns(monkeypatch, caplog) -> None:
    """Over WARN_UNIQUE distinct numeric values (not one per row) warns too (lowered here)."""
    import logging

    monkeypatch.setattr(te_module, "_LOGGED", set())
    monkeypatch.setattr(te_module, "WARN_UNIQUE", 50)
    log = logging.getLogger(te_module.__name__)
    log.addHandler(caplog.handler)
    try:
        rng = np.random.default_rng(0)
        X = pd.DataFrame({"code": rng.integers(0, 80, 400), "small": rng.integers(0, 5, 400)})
        y = rng.integers(0, 2, 400)
        TargetEncoder(columns=["code", "small"]).fit_transform(X, y)
    finally:
        log.removeHandler(caplog.handler)
    assert "column 'code' is numeric with over 50 distinct values" in caplog.text
    assert "'small'" not in caplog.text


@pytest.mark.parametrize(
    ("use", "params"),
    [
        ("target_encoder", {"columns": ["color"], "fit_on": "train+test"}),
        ("knn_features", {"columns": ["x1", "x2"], "ks": [1], "fit_on": "train+test"}),
    ],
)
def test_supervised_stage_on_test_rows_one_line_exit_2(
    make_competition, monkeypatch, use, params
) -> None:
    _, result = _run(make_competition, monkeypatch, {"name": "sup", "use": use, "params": params})
    error = _one_error(result)
    assert (
        f"stage '{use}' needs the target, which the test rows do not have: "
        "fit_on='train+test' is only for unsupervised stages" in error
    )
    assert "Traceback" not in result.output


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "c": rng.choice(["a", "b"], 40),
            "x": rng.normal(size=40),
            "e": np.repeat(np.arange(4), 10),
            "p": np.tile(np.arange(10), 4),
        }
    )


@pytest.mark.parametrize(
    ("stage", "match"),
    [
        (TargetEncoder(columns=["c"]), r"stage 'target_encoder' needs the target.*y is None"),
        (KNNFeatures(columns=["x"], ks=[1]), r"stage 'knn_features' needs the target.*y is None"),
        (
            LagFeatures(entity="e", period="p", target_lags=[1]),
            r"stage 'lag_features' requires y.*y is None",
        ),
        (CrossFit(TargetEncoder(columns=["c"])), r"stage 'target_encoder' needs the target"),
    ],
    ids=["target_encoder", "knn_features", "lag_features", "crossfit"],
)
def test_target_stage_without_target_one_line(stage, match) -> None:
    """Every podium caller passes y (folds, refit, level-2 stacking); a library call may not."""
    from podium.cv import SplitContext

    kwargs = {}
    if isinstance(stage, LagFeatures):
        kwargs["split_context"] = SplitContext(scheme="time", time=_frame()["p"].to_numpy())
    for call in (stage.fit, stage.fit_transform):
        with pytest.raises(ConfigError, match=match) as err:
            call(_frame(), None, **kwargs)
        assert "\n" not in str(err.value)


def test_supervised_fit_on_values() -> None:
    X, y = _frame(), np.arange(40) % 2
    with pytest.raises(LeakageError, match="use fit_on='train'"):
        TargetEncoder(columns=["c"], fit_on="train+test").fit(X, y)
    with pytest.raises(ConfigError, match=r"fit_on must be 'train', got 'all'"):
        KNNFeatures(columns=["x"], fit_on="all").fit(X, y)
