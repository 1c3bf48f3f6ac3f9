"""``podium predict``: a run's saved models rebuild its submission byte for byte (baseline,
blend, stack), predict new files of the same columns, and refuse other library versions
and files missing columns with one line (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from podium.cli import (
    app,
    commands,  # noqa: F401
)
from podium.engine.saved import LIBRARIES

runner = CliRunner()

_LGB = {
    "use": "lightgbm",
    "params": {"n_estimators": 40, "learning_rate": 0.1, "num_leaves": 7, "min_child_samples": 5},
    "stages": [{"name": "cats", "use": "categorical", "params": {"encoding": "native"}}],
}
_LINEAR = {
    "use": "linear",
    "params": {"C": 0.5, "alpha": 1.0},
    "stages": [
        {"name": "impute", "use": "impute"},
        {"name": "cats", "use": "categorical", "params": {"encoding": "onehot"}},
        {"name": "scale", "use": "standard_scaler"},
    ],
}


def _pipeline(ensemble: dict[str, Any] | None, **lgb: Any) -> dict[str, Any]:
    models: dict[str, Any] = {"lgb": {**_LGB, **lgb}}
    if ensemble is not None:
        models["linear"] = _LINEAR
    pipe: dict[str, Any] = {"stages": [{"name": "numeric", "use": "to_numeric"}], "models": models}
    if ensemble is not None:
        pipe["ensemble"] = ensemble
    return pipe


def _run(make_competition, monkeypatch, pipeline: dict[str, Any], task: str = "binary"):
    comp = make_competition(task=task, pipeline=pipeline, n_train=160, n_test=60)
    root = comp.parent.parent
    monkeypatch.chdir(root)
    result = runner.invoke(app, ["run", "toy", "--pipeline", "custom"])
    assert result.exit_code == 0, result.output
    (sub,) = (comp / "submissions").glob("*.csv")
    return comp, root, sub


def _predict(root: Path, run: str, test: Path, *extra: str) -> Any:
    return runner.invoke(
        app, ["predict", run, "--test", str(test), "-o", str(root / "p.csv"), *extra]
    )


@pytest.mark.parametrize(
    ("ensemble", "task", "lgb"),
    [
        (None, "binary", {"early_stopping": {"rounds": 5, "holdout": 0.2}, "seeds": 2}),
        (None, "regression", {"test_predictions": "refit"}),
        ({"method": "weights"}, "binary", {}),
        ({"method": "weights"}, "regression", {}),  # rmsle: blended in log1p space
        ({"method": "stack", "level2": {"lr": {"use": "linear"}}}, "binary", {}),
        (
            {
                "method": "stack",
                "level2": {"lr": {"use": "linear"}, "lgb2": _LGB},
                "final": "weights",
                "passthrough": ["x1"],
            },
            "multiclass",
            {},
        ),
    ],
    ids=["baseline-seeds", "refit-rmsle", "blend", "blend-rmsle", "stack", "stack2-multiclass"],
)
def test_predict_reproduces_the_submission(
    make_competition, monkeypatch, ensemble, task, lgb
) -> None:
    comp, root, sub = _run(make_competition, monkeypatch, _pipeline(ensemble, **lgb), task)
    by_name = _predict(root, sub.stem, comp / "data" / "test.csv")
    assert by_name.exit_code == 0, by_name.output
    assert (root / "p.csv").read_bytes() == sub.read_bytes()


def test_predict_new_file_same_columns_and_refusals(make_competition, monkeypatch) -> None:
    comp, root, sub = _run(make_competition, monkeypatch, _pipeline({"method": "weights"}))
    test = pd.read_csv(comp / "data" / "test.csv")
    # a new file: other rows order, a subset, columns shuffled, an extra column
    new = test.sample(frac=0.5, random_state=1)[list(reversed(test.columns))].assign(extra=1)
    new_file = root / "new_test.csv"
    new.to_csv(new_file, index=False)
    res = _predict(root, sub.stem, new_file)
    assert res.exit_code == 0, res.output
    got = pd.read_csv(root / "p.csv")
    assert got["id"].tolist() == new["id"].tolist()
    full = pd.read_csv(sub).set_index("id")["target"]
    assert got.set_index("id")["target"].to_numpy() == pytest.approx(
        full.loc[new["id"]].to_numpy()
    )

    # a file missing columns: one line naming them, exit 2
    test.drop(columns=["x2", "color"]).to_csv(new_file, index=False)
    res = _predict(root, sub.stem, new_file)
    assert res.exit_code == 2
    line = res.output.strip()
    assert "\n" not in line and "x2" in line and "color" in line and str(new_file) in line

    # no such run
    res = _predict(root, "no-such-run", comp / "data" / "test.csv")
    assert res.exit_code == 2 and "no run 'no-such-run'" in res.output


def test_changed_library_version_is_one_line(make_competition, monkeypatch) -> None:
    from mlflow import MlflowClient

    comp, root, sub = _run(make_competition, monkeypatch, _pipeline(None))
    client = MlflowClient()
    (run,) = client.search_runs(
        [client.get_experiment_by_name("toy").experiment_id], f"attributes.run_name = '{sub.stem}'"
    )
    manifest = Path(client.download_artifacts(run.info.run_id, "model/manifest.json", str(root)))
    data = json.loads(manifest.read_text())
    assert set(data["versions"]) == set(LIBRARIES)
    installed = data["versions"]["scikit-learn"]
    data["versions"]["scikit-learn"] = "0.0.1"
    manifest.write_text(json.dumps(data))
    client.log_artifact(run.info.run_id, str(manifest), "model")  # the edited manifest

    res = _predict(root, run.info.run_id, comp / "data" / "test.csv")
    assert res.exit_code == 2
    line = res.output.strip()
    assert "\n" not in line
    assert "scikit-learn 0.0.1" in line and f"scikit-learn {installed}" in line
    assert sub.stem in line and run.info.run_id in line
    res = _predict(root, run.info.run_id, comp / "data" / "test.csv", "--allow-version-mismatch")
    assert res.exit_code == 0, res.output
    assert (root / "p.csv").read_bytes() == sub.read_bytes()


def test_second_run_from_the_feature_cache_keeps_its_chains(make_competition, monkeypatch) -> None:
    """A run whose features come from the cache saves the fitted chains cached with them."""
    comp = make_competition(task="binary", pipeline=_pipeline(None), n_train=160, n_test=60)
    root = comp.parent.parent
    monkeypatch.chdir(root)
    subs, outputs = [], []
    for n in (30, 35):  # the second run changes only the model: every fold hits the cache
        args = ["run", "toy", "--pipeline", "custom", "--set", "cache=on"]
        result = runner.invoke(app, [*args, "--set", f"models.lgb.params.n_estimators={n}"])
        assert result.exit_code == 0, result.output
        subs.append(next(p for p in (comp / "submissions").glob("*.csv") if p not in subs))
        outputs.append(result.output)
    assert "features: 0/4 folds from cache" in outputs[0]
    assert "features: 4/4 folds from cache" in outputs[1]
    chains = list((root / "feature-cache").rglob("chain.joblib"))
    assert len(chains) == 4
    res = _predict(root, subs[1].stem, comp / "data" / "test.csv")
    assert res.exit_code == 0, res.output
    assert (root / "p.csv").read_bytes() == subs[1].read_bytes()


def test_a_run_that_failed_while_logging_models_is_refused(make_competition, monkeypatch) -> None:
    """The fold files are logged, then the manifest fails: the run ends FAILED, no
    submission is published and ``predict`` refuses the run (one line, exit 2)."""
    import podium.saved_runs

    def broken(folder: Path, info: dict[str, Any]) -> Path:
        raise OSError("disk full while writing the manifest")

    monkeypatch.setattr(podium.saved_runs, "write_manifest", broken)
    comp = make_competition(task="binary", pipeline=_pipeline(None), n_train=160, n_test=60)
    root = comp.parent.parent
    monkeypatch.chdir(root)
    result = runner.invoke(app, ["run", "toy", "--pipeline", "custom"])
    assert result.exit_code != 0
    subs = comp / "submissions"
    assert not subs.exists() or not list(subs.glob("*.csv"))
    from mlflow import MlflowClient

    client = MlflowClient()
    runs = client.search_runs([client.get_experiment_by_name("toy").experiment_id])
    (run,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert run.info.status == "FAILED"
    res = _predict(root, run.info.run_id, comp / "data" / "test.csv")
    assert res.exit_code == 2
    assert "is FAILED, not FINISHED" in res.output and "\n" not in res.output.strip()


def test_repeated_cv_runs_are_replayed_and_a_per_repeat_stack_refused(
    make_competition, monkeypatch
) -> None:
    """cv.repeats: 2 keeps every repeat's folds (models/<m>/repeat1/...): a blended run is
    rebuilt byte for byte; a stack, fit per repeat, is refused in one line (exit 2)."""
    comp, root, sub = _run(make_competition, monkeypatch, _pipeline({"method": "weights"}))
    test = comp / "data" / "test.csv"
    blended = runner.invoke(app, ["run", "toy", "--pipeline", "custom", "--set", "cv.repeats=2"])
    assert blended.exit_code == 0, blended.output
    new = sorted((comp / "submissions").glob("*.csv"), key=lambda p: p.stat().st_mtime)[-1]
    assert new != sub
    again = _predict(root, new.stem, test)
    assert again.exit_code == 0, again.output
    assert (root / "p.csv").read_bytes() == new.read_bytes()
    stacked = runner.invoke(
        app,
        ["run", "toy", "--pipeline", "custom", "--set", "cv.repeats=2",
         "--set", "ensemble.method=stack", "--set", "ensemble.level2={lr: {use: linear}}"],
    )  # fmt: skip
    assert stacked.exit_code == 0, stacked.output
    last = sorted((comp / "submissions").glob("*.csv"), key=lambda p: p.stat().st_mtime)[-1]
    refused = _predict(root, last.stem, test)
    assert refused.exit_code == 2
    assert "not saved" in refused.output and len(refused.output.strip().splitlines()) == 1
