"""The same seed twice: identical folds.csv, OOF predictions and submission bytes."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from podium.cli import (
    app,
    commands,  # noqa: F401
)
from podium.engine import run_models
from podium.runner import plan_run


def test_same_seed_same_everything(make_competition, monkeypatch, tmp_path) -> None:
    comp = make_competition()
    root = comp.parent.parent
    monkeypatch.chdir(root)
    runner = CliRunner()
    outs = []
    for i in range(2):
        path = tmp_path / f"sub{i}.csv"
        result = runner.invoke(
            app, ["run", "toy", "--pipeline", "baseline", "--output", str(path)]
        )
        assert result.exit_code == 0, result.output
        outs.append(path.read_bytes())
    assert outs[0] == outs[1]
    a = plan_run("toy", root=root, pipeline="baseline")
    b = plan_run("toy", root=root, pipeline="baseline")
    assert a.folds.fingerprint == b.folds.fingerprint
    np.testing.assert_array_equal(run_models(a).oof, run_models(b).oof)


def test_other_seed_other_folds(make_competition) -> None:
    comp = make_competition()
    root = comp.parent.parent
    a = plan_run("toy", root=root, seed=1)
    b = plan_run("toy", root=root, seed=2)
    assert a.folds.fingerprint != b.folds.fingerprint
