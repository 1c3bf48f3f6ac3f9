"""Repeated CV (``cv.repeats``): R fold assignments, averaged OOF, the CV spread over repeats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from podium.cli import (
    app,
    commands,  # noqa: F401
)
from podium.config import RunRequest
from podium.cv import Folds
from podium.engine import cross_validate, run_models
from podium.exceptions import ConfigError
from podium.runner import plan_run


def _plan(comp: Path, *overrides: str, pipeline: str = "fast"):
    return plan_run(
        RunRequest(comp, root=comp.parent.parent, pipeline=pipeline, overrides=overrides)
    )


def test_repeats_draw_fingerprinted_assignments_with_new_seeds(make_competition) -> None:
    comp = make_competition()
    one = _plan(comp)
    three = _plan(comp, "cv.repeats=3")
    assert len(one.repeats) == 1 and one.fold_fingerprint == one.folds.fingerprint
    assert len(three.repeats) == 3 and three.n_folds == 12
    prints = [f.fingerprint for f in three.repeats]
    assert prints[0] == one.folds.fingerprint  # repeat 0 is the run's usual assignment
    assert len(set(prints)) == 3
    assert three.fold_fingerprint not in prints  # one print for the set of repeats
    seeded = _plan(comp, "seed=8")  # repeat r is drawn with seed + r
    assert three.repeats[1].fingerprint == seeded.folds.fingerprint


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        (["cv.scheme=time", "cv.time=day"], "scheme 'time' has no seed"),
        (["cv.shuffle=false"], "cv.shuffle is false"),
    ],
)
def test_repeats_need_a_scheme_with_a_seed(make_competition, overrides, words) -> None:
    comp = make_competition()
    with pytest.raises(ConfigError, match=words) as err:
        _plan(comp, "cv.repeats=3", *overrides)
    assert "cv.repeats is 3" in str(err.value) and "\n" not in str(err.value)


def test_repeats_below_one_and_cli_exit_2(make_competition, monkeypatch) -> None:
    comp = make_competition()
    with pytest.raises(ConfigError, match="repeats"):
        _plan(comp, "cv.repeats=0")
    monkeypatch.chdir(comp.parent.parent)
    args = ["validate", "toy", "--set", "cv.repeats=2", "--set", "cv.scheme=time"]
    result = CliRunner().invoke(app, [*args, "--set", "cv.time=day"])
    assert result.exit_code == 2, result.output
    assert "cv.repeats is 2" in result.output


def test_repeated_cv_averages_oof_and_reports_std_over_repeats(
    make_competition, te_pipeline
) -> None:
    comp = make_competition(pipeline=te_pipeline)
    plan = _plan(comp, "cv.repeats=3", pipeline="custom")
    seen: list[tuple[int, int]] = []
    res = run_models(plan, on_fold=lambda name, fr, n: seen.append((fr.repeat, fr.fold))).results
    lgb = res["lgb"]
    assert seen == [(r, k) for r in range(3) for k in range(4)]
    assert len(lgb.repeats) == 3 and len(lgb.folds) == 12
    # each repeat is an ordinary CV on its own folds, and its OOF is complete
    for folds, rep in zip(plan.repeats, lgb.repeats, strict=True):
        assert [f.n_valid for f in rep.folds] == [len(va) for _, va in folds.split()]
        assert not np.isnan(rep.oof).any()
    np.testing.assert_allclose(lgb.oof, np.mean([r.oof for r in lgb.repeats], axis=0))
    np.testing.assert_allclose(lgb.test, np.mean([r.test for r in lgb.repeats], axis=0))
    scores = [f.score for f in lgb.folds]
    assert lgb.cv_mean == pytest.approx(np.mean(scores))
    assert lgb.cv_std == pytest.approx(np.std(scores))
    assert lgb.cv_std_repeats == pytest.approx(np.std([r.cv_mean for r in lgb.repeats]))
    assert lgb.cv_std_repeats > 0  # different fold draws give different CVs
    assert not np.array_equal(lgb.repeats[0].oof, lgb.repeats[1].oof)


def test_repeats_with_model_seeds(make_competition) -> None:
    comp = make_competition()
    plan = _plan(comp, "cv.repeats=2", "models.lgb.seeds=2")
    lgb = run_models(plan).results["lgb"]
    assert len(lgb.repeats) == 2
    assert all(r.extra["seeds"] == 2 for r in lgb.repeats)
    assert [f.repeat for f in lgb.folds] == [0] * 4 + [1] * 4


def test_cache_keys_hold_the_repeat(make_competition, te_pipeline, tmp_path) -> None:
    comp = make_competition(pipeline=te_pipeline)
    plan = _plan(comp, "cv.repeats=2", "cache=on", pipeline="custom")
    first = run_models(plan, cache_dir=tmp_path / "cache").results["lgb"]
    assert [r.cache_hits for r in first.repeats] == [0, 0]  # repeat 1 reuses nothing of 0
    again = run_models(plan, cache_dir=tmp_path / "cache").results["lgb"]
    assert again.cache_hits == 8
    np.testing.assert_array_equal(first.oof, again.oof)


def test_cross_validate_with_one_assignment_is_run_cv(make_competition) -> None:
    from podium.engine import run_cv
    from podium.engine.plan import split_context

    comp = make_competition()
    plan = _plan(comp)
    chain, model = plan.models["lgb"]
    spec = plan.cfg.pipeline.models["lgb"]
    one = cross_validate(plan, "lgb", chain, model, index=0, with_test=False)
    ref = run_cv(chain, model, plan.data.train, plan.y, folds=plan.folds, metric=plan.metric,
                 name="lgb", early_stopping=spec.early_stopping, seed=plan.cfg.competition.seed,
                 target_transform=plan.cfg.pipeline.target_transform,
                 target_range=plan.target_range, split_context=split_context(plan))  # fmt: skip
    assert one.repeats == () and one.cv_std_repeats is None
    np.testing.assert_array_equal(one.oof, ref.oof)
    assert one.cv_mean == ref.cv_mean


def test_repeated_run_logs_std_over_repeats_and_each_repeats_folds(
    make_competition, monkeypatch
) -> None:
    from mlflow import MlflowClient

    from podium.tracking.mlflow_tracker import preload

    comp = make_competition()
    root = comp.parent.parent
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, ["run", "toy", "--set", "cv.repeats=3"])
    assert result.exit_code == 0, result.output
    assert "4 folds x 3 repeats" in result.output and "repeat 3/3 fold 4/4" in result.output
    plan = _plan(comp, "cv.repeats=3")
    preload()
    client = MlflowClient(tracking_uri=f"sqlite:///{root}/mlruns/mlflow.db")
    runs = client.search_runs([client.get_experiment_by_name("toy").experiment_id])
    (run,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    (child,) = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    metrics = run.data.metrics
    assert metrics["cv_std_repeats"] > 0
    assert f"std over 3 repeats {metrics['cv_std_repeats']:.5f}" in result.output
    assert metrics["lgb.cv_std_repeats"] == metrics["cv_std_repeats"]  # lgb is the pick
    assert child.data.metrics["cv_std_repeats"] == metrics["cv_std_repeats"]
    tags = run.data.tags
    assert tags["podium.cv_repeats"] == "3"
    assert tags["podium.fold_fingerprints"].split(",") == [f.fingerprint for f in plan.repeats]
    assert tags["podium.fold_fingerprint"] == plan.fold_fingerprint
    names = ["folds.csv", "folds_repeat1.csv", "folds_repeat2.csv"]
    assert set(names) <= {a.path for a in client.list_artifacts(run.info.run_id)}
    for r, name in enumerate(names):
        local = Path(client.download_artifacts(run.info.run_id, name, str(root / "dl")))
        folds = Folds.from_csv(local, scheme="stratified_kfold")
        assert folds.fingerprint == plan.repeats[r].fingerprint
    steps = sorted(m.step for m in client.get_metric_history(child.info.run_id, "fold_roc_auc"))
    assert steps == list(range(12))
    (sub,) = (comp / "submissions").glob("*.csv")
    frame = pd.read_csv(sub)
    assert len(frame) == 80 and frame["target"].between(0, 1).all()
