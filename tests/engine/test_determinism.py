"""The same seed twice: identical folds.csv, OOF predictions and submission bytes."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from podium.cli import (
    app,
    commands,  # noqa: F401
)
from podium.config import RunRequest
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
    a = plan_run(RunRequest("toy", root=root, pipeline="baseline"))
    b = plan_run(RunRequest("toy", root=root, pipeline="baseline"))
    assert a.folds.fingerprint == b.folds.fingerprint
    np.testing.assert_array_equal(run_models(a).oof, run_models(b).oof)


def test_other_seed_other_folds(make_competition) -> None:
    comp = make_competition()
    root = comp.parent.parent
    a = plan_run(RunRequest("toy", root=root, seed=1))
    b = plan_run(RunRequest("toy", root=root, seed=2))
    assert a.folds.fingerprint != b.folds.fingerprint


def test_seed_averaging_averages_repeats_on_the_same_folds(make_competition) -> None:
    comp = make_competition()
    root = comp.parent.parent
    one = plan_run(RunRequest("toy", root=root))
    three = plan_run(RunRequest("toy", root=root, overrides=["models.lgb.seeds=3"]))
    assert one.folds.fingerprint == three.folds.fingerprint
    single = run_models(one).results["lgb"]
    avg = run_models(three).results["lgb"]
    assert avg.extra["seeds"] == 3 and len(avg.extra["seed_scores"]) == 3
    assert avg.extra["seed_scores"][0] == single.cv_mean  # repeat 0 is the plain model
    assert not np.array_equal(avg.oof, single.oof)
    for k, (_, va) in enumerate(three.folds.split()):
        assert avg.folds[k].score == three.metric(three.y[va], avg.oof[va])
