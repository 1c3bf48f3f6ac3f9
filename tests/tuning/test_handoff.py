"""The tuning hand-off: `podium tune` prints the exact `podium run` that reuses its study,
and `--params best` says what it changed (and can keep early stopping)."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from podium.cli import app
from podium.cli import commands as _commands  # noqa: F401  (registers the commands)
from podium.cli.tune import reuse_command
from podium.config import RunRequest

runner = CliRunner()

LR = {"use": "logistic_regression", "stages": [
    {"name": "fill", "use": "impute"},
    {"name": "onehot", "use": "categorical", "params": {"encoding": "onehot"}}]}  # fmt: skip


def _resolved(run_id: str, root: Path) -> dict:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=os.environ["MLFLOW_TRACKING_URI"])
    path = client.download_artifacts(run_id, "config.resolved.yaml", str(root))
    return yaml.safe_load(Path(path).read_text())["pipeline"]["models"]


def _run_id(output: str) -> str:
    line = next(x for x in output.splitlines() if x.startswith("CV "))
    return line.rsplit("(", 1)[1].rstrip(")")


@pytest.mark.slow  # a real 3-trial study and two runs: ~25 s
def test_the_hint_reruns_this_study_and_says_what_it_fixed(
    make_competition, pipeline_with, monkeypatch
):
    pipe = pipeline_with(None, lr=LR)
    pipe["models"] = {"lr": LR, "lgb": pipe["models"]["lgb"]}  # the tuned model is not first
    comp = make_competition(pipeline=pipe)  # the competition's default pipeline is `fast`
    root = comp.parent.parent
    monkeypatch.setenv("PODIUM_ROOT", str(root))
    tuned = runner.invoke(
        app, ["tune", "toy", "--trials", "3", "--pipeline", "custom", "--model", "lgb",
              "--study", "mine", "--set", "models.lgb.params.num_leaves=5"],
    )  # fmt: skip
    assert tuned.exit_code == 0, tuned.stderr
    hint = next(x for x in tuned.stdout.splitlines() if x.startswith("use them: "))
    args = shlex.split(hint.removeprefix("use them: "))
    assert args[:3] == ["podium", "run", "toy"]
    assert " ".join(args[3:]).startswith("--pipeline custom --params best --study mine")
    assert args[-2:] == ["--set", "models.lgb.params.num_leaves=5"]

    fixed = runner.invoke(app, args[1:])
    assert fixed.exit_code == 0, fixed.stderr
    lines = [x for x in fixed.stderr.splitlines() if x.startswith("tuned ")]
    count = next(x for x in lines if ".n_estimators=" in x)
    assert count.startswith("tuned models.lgb.params.n_estimators=")
    assert count.endswith("from the best trial's early stopping")
    assert any(x.startswith("tuned models.lgb.early_stopping=None") for x in lines)
    assert any("learning_rate=" in x and "from trial #" in x and "study mine" in x for x in lines)
    assert not any("num_leaves" in x for x in lines)  # the user's --set won: not a change
    models = _resolved(_run_id(fixed.stdout), root)
    n = int(count.split("=", 1)[1].split()[0])
    assert models["lgb"]["early_stopping"] is None and models["lgb"]["params"]["n_estimators"] == n
    assert set(models) == {"lr", "lgb"}  # the custom pipeline, not the default `fast`

    kept = runner.invoke(app, [*args[1:], "--keep-early-stopping"])
    assert kept.exit_code == 0, kept.stderr
    assert "n_estimators" not in kept.stderr and "early_stopping" not in kept.stderr
    models = _resolved(_run_id(kept.stdout), root)
    assert models["lgb"]["early_stopping"] == {"rounds": 10, "holdout": 0.2}
    assert models["lgb"]["params"]["n_estimators"] == 40


def test_keep_early_stopping_without_params_is_one_line(make_competition, monkeypatch):
    monkeypatch.setenv("PODIUM_ROOT", str(make_competition().parent.parent))
    out = runner.invoke(app, ["run", "toy", "--keep-early-stopping"])
    assert out.exit_code == 2
    assert "--keep-early-stopping applies to --params best only" in out.stderr


def test_reuse_command_quotes_and_keeps_every_option():
    request = RunRequest("t", root=Path("."), overrides=["cv.n_splits=3"], seed=3,
                         data_dir=Path("/d"))  # fmt: skip
    cmd = reuse_command(request, pipeline="strong", study="s 1", storage="sqlite:///a b.db")
    assert shlex.split(cmd) == [
        "podium", "run", "t", "--pipeline", "strong", "--params", "best", "--study", "s 1",
        "--storage", "sqlite:///a b.db", "--set", "cv.n_splits=3", "--data-dir", "/d",
        "--seed", "3",
    ]  # fmt: skip
