"""The profile in the CLI: ``podium profile``, notices in run/validate/tune, ``new --data-dir``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from podium.cli import (
    app,
    commands,  # noqa: F401  (registers commands)
)

runner = CliRunner()
NOTICE = "notice: train-only columns dropped: casual (absent from test.csv)"


def _casual(train, test, sample):
    train["casual"] = np.arange(len(train)) % 5


def test_profile_prints_kinds_and_notices(make_competition, monkeypatch) -> None:
    comp = make_competition(edit=_casual)
    monkeypatch.chdir(comp.parent.parent)
    result = runner.invoke(app, ["profile", "toy"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    row = next(line for line in lines if "│ casual" in line)
    assert "train_only" in row and "absent from test.csv" in row
    row = next(line for line in lines if "│ color" in line)
    assert "categorical" in row and "3 / 3" in row and "0%" in row
    assert "kinds: 5 numeric, 1 categorical, 1 id, 1 train_only" in result.output
    assert NOTICE in lines


def test_run_and_validate_print_notices_and_log_the_profile(make_competition, monkeypatch) -> None:
    comp = make_competition(edit=_casual)
    root = comp.parent.parent
    monkeypatch.chdir(root)
    validate = runner.invoke(app, ["validate", "toy"])
    assert validate.exit_code == 0, validate.output
    assert "columns: 5 numeric, 1 categorical, 1 id, 1 train_only" in validate.output
    assert NOTICE in validate.output.splitlines()
    result = runner.invoke(app, ["run", "toy"])
    assert result.exit_code == 0, result.output
    assert NOTICE in result.stderr.splitlines()

    from mlflow import MlflowClient

    from podium.tracking.mlflow_tracker import preload

    preload()
    client = MlflowClient(tracking_uri=f"sqlite:///{root}/mlruns/mlflow.db")
    exp = client.get_experiment_by_name("toy")
    (parent,) = [
        r
        for r in client.search_runs([exp.experiment_id])
        if "mlflow.parentRunId" not in r.data.tags
    ]
    local = client.download_artifacts(parent.info.run_id, "profile.csv", str(root))
    import pandas as pd

    profile = pd.read_csv(local)
    assert dict(zip(profile["column"], profile["kind"], strict=True))["casual"] == "train_only"


def test_tune_prints_notices(make_competition, monkeypatch) -> None:
    comp = make_competition(edit=_casual)
    monkeypatch.chdir(comp.parent.parent)
    result = runner.invoke(app, ["tune", "toy", "--trials", "1"])
    assert result.exit_code == 0, result.output
    assert NOTICE in result.stderr.splitlines()


def test_new_with_data_dir_writes_kinds_as_comments(
    make_competition, tmp_path, monkeypatch
) -> None:
    comp = make_competition(edit=_casual)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["new", "fresh", "--data-dir", str(comp / "data")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "competitions" / "fresh" / "competition.yaml").read_text()
    assert "  # kinds:\n" in text
    assert "  #   color:  categorical\n" in text
    assert "  #   id:     id\n" in text
    assert "  # absent from (or empty in) test.csv: target, casual\n" in text
    assert yaml.safe_load(text)["data"]["target"] == "target"
    uncommented = text.replace("  # kinds:", "  kinds:").replace("  #   ", "    ")
    kinds = yaml.safe_load(uncommented)["data"]["kinds"]
    assert kinds["color"] == "categorical" and kinds["x1"] == "numeric"
    missing = runner.invoke(app, ["new", "other", "--data-dir", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "train file not found" in missing.output
    assert not (tmp_path / "competitions" / "other").exists()


def _house_style(train, test, sample):
    names = {"id": "Id", "target": "Sale Price"}
    return train.rename(columns=names), test.rename(columns=names), sample.rename(columns=names)


def _class_columns(train, test, sample):
    classes = sorted(train["target"].unique())
    return train, test, pd.DataFrame({"id": test["id"], **{c: 0.0 for c in classes}})


@pytest.mark.parametrize(
    ("task", "edit", "fields"),
    [
        ("regression", _house_style, ("Id", "Sale Price", "regression", "rmse",
                                      {"id": "Id", "target": "Sale Price", "kind": "value"})),
        ("multiclass", _class_columns, ("id", "target", "multiclass", "logloss",
                                        {"id": "id", "kind": "probability"})),
    ],
    ids=["regression", "class-columns"],
)  # fmt: skip
def test_new_with_data_dir_fills_what_the_files_tell(
    make_competition, tmp_path, monkeypatch, task, edit, fields
) -> None:
    """The sample names the id and target (or the classes), the target's values the task:
    the scaffold validates as written (was: binary, roc_auc, 'target' and 'id' always)."""
    comp = make_competition(task=task, edit=edit)
    monkeypatch.chdir(tmp_path)
    data = str(comp / "data")
    assert runner.invoke(app, ["new", "fresh", "--data-dir", data]).exit_code == 0
    cfg = yaml.safe_load((tmp_path / "competitions" / "fresh" / "competition.yaml").read_text())
    got = (cfg["data"]["id"], cfg["data"]["target"], cfg["task"], cfg["metric"], cfg["submission"])
    assert got == fields
    checked = runner.invoke(app, ["validate", "fresh", "--data-dir", data])
    assert checked.exit_code == 0, checked.output
