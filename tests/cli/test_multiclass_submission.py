"""Multiclass probability submissions: one column per class, ``submission.target`` optional."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from podium.cli import app, commands  # noqa: F401
from podium.config import SubmissionSpec

runner = CliRunner()
NAMES = {"low": "Adoption", "mid": "Died", "high": "Transfer"}


def _classes(columns: list[str]):
    def edit(train, test, sample):
        train["target"] = train["target"].map(NAMES)
        sample = pd.DataFrame({"id": test["id"], **{c: 0.0 for c in columns}})
        return train, test, sample

    return edit


def test_class_columns_found_without_target(make_competition, monkeypatch, delete) -> None:
    comp = make_competition(
        task="multiclass",
        config={"submission.kind": "probability", "submission.target": delete},
        edit=_classes(["Transfer", "Adoption", "Died"]),  # not in sorted order
    )
    monkeypatch.chdir(comp.parent.parent)
    result = runner.invoke(app, ["run", "toy", "--set", "models.lgb.params.n_estimators=20"])
    assert result.exit_code == 0, result.output
    (path,) = (comp / "submissions").glob("*.csv")
    sub = pd.read_csv(path)
    assert list(sub.columns) == ["id", "Transfer", "Adoption", "Died"]
    probs = sub[["Transfer", "Adoption", "Died"]].to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-9)
    assert ((probs >= 0) & (probs <= 1)).all() and probs.std(axis=0).min() > 0


def test_class_without_column_is_one_line(make_competition, monkeypatch, delete) -> None:
    comp = make_competition(
        task="multiclass",
        config={"submission.kind": "probability", "submission.target": delete},
        edit=_classes(["Adoption", "Transfer", "Euthanasia"]),
    )
    monkeypatch.chdir(comp.parent.parent)
    result = runner.invoke(app, ["validate", "toy"])
    assert result.exit_code == 2
    line = result.output.strip()
    assert "\n" not in line and "sample_submission.csv" in line
    assert "class 'Died' of the target has no column" in line
    assert "column 'Euthanasia' is not a class of the target" in line


def test_value_columns() -> None:
    cols = ["ID", "Adoption", "Died"]
    classes = np.array(["Adoption", "Died"])
    legacy = SubmissionSpec(id="ID", target="Adoption", kind="probability")
    assert legacy.value_columns(cols, task="multiclass", classes=classes) == ["Adoption", "Died"]
    bare = SubmissionSpec(id="ID", kind="probability")
    assert bare.value_columns(cols, task="multiclass", classes=classes[::-1]) == [
        "Died",
        "Adoption",
    ]
    with pytest.raises(ValueError, match="leave submission.target out"):
        SubmissionSpec(id="ID", target="target").value_columns(cols, task="multiclass")
    assert SubmissionSpec(id="Id", kind="value").value_columns(["Id", "SalePrice"]) == [
        "SalePrice"
    ]
    with pytest.raises(ValueError, match="set submission.target"):
        bare.value_columns(cols, task="binary")
    with pytest.raises(ValueError, match="did you mean 'SalePrice'"):
        SubmissionSpec(id="Id", target="SalePrce").value_columns(["Id", "SalePrice"])


def _rare(rows: int):
    def edit(train, test, sample):
        train["target"] = train["target"].map(NAMES)
        train.loc[: rows - 1, "target"] = "Unknown"  # sorts last: the highest class code
        columns = ["Adoption", "Died", "Transfer", "Unknown"]
        return train, test, pd.DataFrame({"id": test["id"], **{c: 0.0 for c in columns}})

    return edit


@pytest.mark.parametrize("rows", [2, 1])
def test_rare_class_of_fewer_rows_than_folds_runs(
    make_competition, monkeypatch, delete, rows
) -> None:
    """A class of 2 rows (or 1) and 4 folds, as real competitions have: the run says so
    and writes a full submission (was: refused, 'cv.n_splits=4 is larger than ... class
    3'; a one-row class: a traceback from the metric, the fold's model had 3 columns)."""
    comp = make_competition(
        task="multiclass",
        config={"submission.kind": "probability", "submission.target": delete},
        edit=_rare(rows),
    )
    monkeypatch.chdir(comp.parent.parent)
    note = f"classes of fewer rows than the 4 folds: 'Unknown' ({rows} rows)"
    checked = runner.invoke(app, ["validate", "toy", "--pipeline", "auto"])
    assert checked.exit_code == 0, checked.output
    assert note in checked.output
    result = runner.invoke(app, ["run", "toy", "--set", "models.lgb.params.n_estimators=20"])
    assert result.exit_code == 0, result.output
    assert note in result.output
    (path,) = (comp / "submissions").glob("*.csv")
    sub = pd.read_csv(path)
    probs = sub[["Adoption", "Died", "Transfer", "Unknown"]].to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-9)
    assert len(sub) == 80 and (probs[:, 3] > 0).all() and (probs[:, 3] < 0.2).all()
