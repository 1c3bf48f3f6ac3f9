"""Bad input to `podium tune`, `podium study` and `podium run --params`: one line, exit 2."""

from __future__ import annotations

import re
import time

import pytest
from typer.testing import CliRunner

from podium.cli import app
from podium.cli import commands as _commands  # noqa: F401  (registers the commands)

runner = CliRunner()

LR = {
    "use": "logistic_regression",
    "stages": [{"name": "onehot", "use": "categorical", "params": {"encoding": "onehot"}}],
}

SPACE_CASES = [
    (
        "model in the path does not exist",
        {"models.lgbm.params.num_leaves": {"int": [3, 31]}},
        r"search_space.models.lgbm.params.num_leaves: the pipeline has no model 'lgbm' - "
        r"did you mean 'lgb'\?",
    ),
    (
        "lightgbm parameter unknown",
        {"models.lgb.params.num_leave": {"int": [3, 31]}},
        r"model 'lgb' \(lightgbm\) has no parameter 'num_leave' - did you mean 'num_leaves'\?",
    ),
    (
        "sklearn parameter not in get_params",
        {"models.lr.params.c": {"float": [0.1, 10]}},
        r"search_space.models.lr.params.c: model 'lr' \(logistic_regression\) has no "
        r"parameter 'c' - did you mean 'C'\?",
    ),
    (
        "stage does not exist",
        {"stages.cat.params.min_frequency": {"int": [1, 5]}},
        r"the pipeline has no shared stage 'cat' - did you mean 'cats'\?",
    ),
    (
        "stage parameter unknown",
        {"stages.cats.params.min_freq": {"int": [1, 5]}},
        r"stage 'cats' \(categorical\) has no parameter 'min_freq' - did you mean "
        r"'min_frequency'\?",
    ),
    (
        "not a parameter path",
        {"models.lgb.num_leaves": {"int": [3, 31]}},
        r"search_space.models.lgb.num_leaves: not a parameter path; expected",
    ),
    (
        "empty range",
        {"models.lgb.params.learning_rate": {"float": [0.1, 0.1]}},
        r"search_space.models.lgb.params.learning_rate: empty range \[0.1, 0.1\]",
    ),
    (
        "inverted range",
        {"models.lgb.params.num_leaves": {"int": [256, 16], "log": True}},
        r"search_space.models.lgb.params.num_leaves: inverted range \[256, 16\]",
    ),
]

OPTION_CASES = [
    (
        "unknown --model",
        ["--model", "lgbb"],
        r"--model 'lgbb': pipeline 'custom' has no such model - did you mean 'lgb'\?",
    ),
    (
        "unknown pruner",
        ["--pruner", "hyperbnd"],
        r"unknown pruner 'hyperbnd' - did you mean",
    ),
    ("no trials", ["--trials", "0"], r"--trials must be >= 1, got 0"),
    (
        "storage is not a URL",
        ["--storage", "optuna.db"],
        r"storage 'optuna.db' is not a database URL",
    ),
]


def _tune_error(root, monkeypatch, *args: str) -> str:
    """The one ``error:`` line of ``podium tune toy ARGS`` in ``root`` (exit 2)."""
    monkeypatch.setenv("PODIUM_ROOT", str(root))
    out = runner.invoke(app, ["tune", "toy", *args])
    assert out.exit_code == 2, out.output
    line = out.stderr.strip()
    assert "\n" not in line
    assert line.startswith("error:")
    return line


@pytest.mark.parametrize(
    ("label", "space", "message"), SPACE_CASES, ids=[c[0] for c in SPACE_CASES]
)
def test_bad_search_space_is_one_line_and_exit_2(
    project, pipeline_with, monkeypatch, label, space, message
):
    root = project(pipeline_with(space, lr=LR))
    line = _tune_error(root, monkeypatch, "--trials", "2")
    assert re.search(message, line), line
    assert not (root / "competitions" / "toy" / "optuna.db").exists()


@pytest.mark.parametrize(
    ("label", "extra", "message"), OPTION_CASES, ids=[c[0] for c in OPTION_CASES]
)
def test_bad_tune_option_is_one_line_and_exit_2(project, monkeypatch, label, extra, message):
    root = project()
    args = extra if "--trials" in extra else ["--trials", "2", *extra]
    line = _tune_error(root, monkeypatch, *args)
    assert re.search(message, line), line
    assert not (root / "competitions" / "toy" / "optuna.db").exists() or "storage" in label


def test_unreachable_storage_fails_fast_without_showing_the_password(project, monkeypatch):
    monkeypatch.setenv("PODIUM_ROOT", str(project()))
    start = time.monotonic()
    url = "postgresql+psycopg2://podium:s3cret@127.0.0.1:1/podium"
    out = runner.invoke(app, ["tune", "toy", "--trials", "2", "--storage", url])
    assert time.monotonic() - start < 10
    assert out.exit_code == 2
    assert "cannot reach storage postgresql+psycopg2://podium:***@127.0.0.1:1/podium" in (
        out.stderr
    )
    assert "s3cret" not in out.output + out.stderr


def test_a_study_made_for_other_folds_is_refused(project, monkeypatch):
    monkeypatch.setenv("PODIUM_ROOT", str(project()))
    ok = runner.invoke(app, ["tune", "toy", "--trials", "1", "--study", "s"])
    assert ok.exit_code == 0, ok.stderr
    out = runner.invoke(app, ["tune", "toy", "--trials", "2", "--study", "s", "--seed", "3"])
    assert out.exit_code == 2
    assert "was scored on folds" in out.stderr and "not comparable" in out.stderr
    run = runner.invoke(app, ["run", "toy", "--params", "best", "--study", "s", "--seed", "3"])
    assert run.exit_code == 2
    assert "its best parameters were chosen for other folds" in run.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--params", "last"], r"--params 'last': only 'best' is supported"),
        (["--params", "best"], r"no tuning storage at sqlite:///.*optuna.db; run `podium tune"),
    ],
)
def test_bad_run_params_input(project, monkeypatch, args, message):
    monkeypatch.setenv("PODIUM_ROOT", str(project()))
    out = runner.invoke(app, ["run", "toy", *args])
    assert out.exit_code == 2
    assert re.search(message, out.stderr), out.stderr


def test_study_command_shows_counts_and_best_trials(project, monkeypatch):
    root = project()
    monkeypatch.setenv("PODIUM_ROOT", str(root))
    empty = runner.invoke(app, ["study", "toy"])
    assert empty.exit_code == 0 and "no studies yet" in empty.stderr
    assert not (root / "competitions" / "toy" / "optuna.db").exists()
    assert runner.invoke(app, ["tune", "toy", "--trials", "2"]).exit_code == 0
    out = runner.invoke(app, ["study", "toy", "--top", "1"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.stderr
    assert "2 complete, 0 pruned, 0 failed" in out.stdout
    assert "num_leaves=" in out.stdout
    assert "optuna-dashboard sqlite:///" in out.stdout
    bad = runner.invoke(app, ["study", "toy", "--study", "nope"])
    assert bad.exit_code == 2 and "no study 'nope'" in bad.stderr
