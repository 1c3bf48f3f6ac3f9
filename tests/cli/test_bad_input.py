"""Bad input: one clear line naming the file, column or key; exit 2; nothing written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from podium.cli import (
    app,
    commands,  # noqa: F401  (registers commands)
)
from podium.cli.app import project_root  # noqa: F401  (imported for the commands module)

runner = CliRunner()


def _nan_target(train, test, sample):
    train.loc[[3, 8], "target"] = np.nan


def _short_sample(train, test, sample):
    return train, test, sample.iloc[:-5]


def _dup_test_ids(train, test, sample):
    test.loc[1, "id"] = test.loc[0, "id"]


def _text_target(train, test, sample):
    train["target"] = train["target"].astype(object)
    train.loc[4, "target"] = "expensive"


def _sample_id_upper(train, test, sample):
    return train, test, sample.rename(columns={"id": "ID"})


def _rare_class(train, test, sample):
    train.loc[:, "target"] = 0
    train.loc[:1, "target"] = 1


CASES = [
    (
        "missing train file",
        {},
        None,
        lambda c: (c / "data" / "train.csv").unlink(),
        r"train file not found: .*train.csv",
    ),
    (
        "sample file named in another style",
        {},
        None,
        lambda c: (c / "data" / "sample_submission.csv").rename(
            c / "data" / "sampleSubmission.csv"
        ),
        r"sample submission file not found: .* - did you mean 'sampleSubmission.csv'\?",
    ),
    (
        "missing target column",
        {"data.target": "churn"},
        None,
        None,
        r"train.csv: target column 'churn' not found",
    ),
    (
        "nan in target",
        {},
        _nan_target,
        None,
        r"train.csv: target column 'target' has 2 missing values \(rows 3, 8\)",
    ),
    (
        "data.kinds names a column not in train",
        {"data.kinds": {"x3": "numeric"}},
        None,
        None,
        r"train.csv: data.kinds column 'x3' not found",
    ),
    (
        "sample rows != test rows",
        {},
        _short_sample,
        None,
        r"sample_submission.csv: sample submission has 75 rows but test file test.csv has 80",
    ),
    (
        "sample id column differs in case",
        {},
        _sample_id_upper,
        None,
        r"sample_submission.csv: submission id column 'id' not found - did you mean 'ID'\?",
    ),
    ("duplicate ids", {}, _dup_test_ids, None, r"test.csv: id column 'id' has 1 duplicate ids"),
    (
        "empty test file",
        {},
        None,
        lambda c: (c / "data" / "test.csv").write_text(""),
        r"test.csv: test file is empty",
    ),
    (
        "header-only test file",
        {},
        None,
        lambda c: (c / "data" / "test.csv").write_text("id,x1,x2,color,spent,grp,day\n"),
        r"test.csv: test file has no rows",
    ),
    (
        "n_splits larger than smallest class",
        {"cv.n_splits": 4},
        _rare_class,
        None,
        r"cv: .*n_splits=4.*class",
    ),
    (
        "unknown metric",
        {"metric": "aucc"},
        None,
        None,
        r"competition.yaml: metric: unknown metric 'aucc'",
    ),
    (
        "n_splits < 2",
        {"cv.n_splits": 1},
        None,
        None,
        r"competition.yaml: cv.n_splits: must be >= 2, got 1",
    ),
    (
        "malformed yaml",
        {},
        None,
        lambda c: (c / "competition.yaml").write_text("name: [oops\n"),
        r"competition.yaml:\d+:\d+: malformed YAML",
    ),
]


@pytest.mark.parametrize(
    ("label", "config", "edit", "after", "match"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input_one_line_exit_2(
    make_competition, monkeypatch, label, config, edit, after, match
) -> None:
    comp = make_competition(config=config, edit=edit)
    if after is not None:
        after(comp)
    root = comp.parent.parent
    monkeypatch.chdir(root)
    result = runner.invoke(app, ["run", "toy"])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    import re

    assert re.search(match, lines[0]), lines[0]
    assert "Traceback" not in result.output
    assert not (comp / "submissions").exists() or not any((comp / "submissions").iterdir())
    assert not (root / "mlruns").exists() or not _has_runs(root)


def test_regression_target_must_be_numeric(make_competition, monkeypatch) -> None:
    comp = make_competition(task="regression", edit=_text_target)
    monkeypatch.chdir(comp.parent.parent)
    result = runner.invoke(app, ["run", "toy"])
    assert result.exit_code == 2
    assert (
        "target column 'target' must be numeric for regression, found 'expensive'" in result.output
    )


def test_unknown_model_suggests(make_competition, monkeypatch) -> None:
    comp = make_competition()
    monkeypatch.chdir(comp.parent.parent)
    result = runner.invoke(app, ["validate", "toy", "--set", "models.lgb.use=xgbost"])
    assert result.exit_code == 2
    assert "models.lgb.use: unknown model 'xgbost' - did you mean 'xgboost'?" in result.output


def test_verbose_shows_traceback(make_competition, monkeypatch) -> None:
    comp = make_competition(config={"cv.n_splits": 1})
    monkeypatch.chdir(comp.parent.parent)
    result = runner.invoke(app, ["-v", "run", "toy"])
    assert result.exit_code == 2
    assert "Traceback" in result.output


def _has_runs(root: Path) -> bool:
    import sqlite3

    db = root / "mlruns" / "mlflow.db"
    if not db.exists():
        return False
    with sqlite3.connect(db) as con:
        try:
            return con.execute("select count(*) from runs").fetchone()[0] > 0
        except sqlite3.OperationalError:
            return False
