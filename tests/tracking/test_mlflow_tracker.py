"""Tests of podium.tracking against a real SQLite MLflow store under tmp_path."""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from podium.exceptions import TrackingError
from podium.tracking import (
    MlflowTracker,
    NullTracker,
    RunSummary,
    Tracker,
    default_tracking_uri,
    feature_importance_figure,
    residual_figure,
    roc_curve_figure,
)

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project root whose mlruns/mlflow.db is shared by the tests of this module."""
    return tmp_path_factory.mktemp("project")


@pytest.fixture
def tracker(root: Path) -> MlflowTracker:
    """A tracker on the shared store, in a fresh experiment."""
    return MlflowTracker(uri=default_tracking_uri(root), experiment=f"exp-{uuid.uuid4().hex}")


@pytest.fixture
def client(tracker: MlflowTracker):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracker.uri)


def test_first_store_creation_prints_nothing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import mlflow  # noqa: F401  (importing MLflow resets the alembic logger)

    alembic = logging.getLogger("alembic")
    old_level = alembic.level
    alembic.setLevel(logging.INFO)  # as if an application had turned alembic's logs on
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tracker = MlflowTracker(uri=default_tracking_uri(tmp_path), experiment="fresh")
            with tracker.run("quiet"):
                tracker.log_params({"a": 1})
                tracker.log_metrics({"m": 1.0})
                tracker.log_text("x", "note.txt")
        assert alembic.level == logging.INFO  # podium's silencing is scoped to its calls
    finally:
        alembic.setLevel(old_level)
    out, err = capfd.readouterr()
    assert (tmp_path / "mlruns" / "mlflow.db").is_file()
    assert out == ""
    assert err == ""
    assert [str(w.message) for w in caught] == []


def test_nested_runs_record_parent_id_and_tags(tracker: MlflowTracker, client) -> None:
    with tracker.run("parent", tags={"podium.metric": "auc"}) as parent_id:
        with tracker.run("fold-0", nested=True, tags={"fold": "0"}) as child0:
            pass
        with tracker.run("fold-1", nested=True) as child1:
            tracker.set_tags({"fold": 1})
    parent = client.get_run(parent_id)
    assert parent.info.status == "FINISHED"
    assert parent.info.run_name == "parent"
    assert parent.data.tags["podium.metric"] == "auc"
    assert "mlflow.parentRunId" not in parent.data.tags
    for child_id, name in ((child0, "fold-0"), (child1, "fold-1")):
        child = client.get_run(child_id)
        assert child.info.run_name == name
        assert child.data.tags["mlflow.parentRunId"] == parent_id
        assert child.data.tags["fold"] == name[-1]
        assert child.info.status == "FINISHED"


def test_params_are_flattened_truncated_and_batched(tracker: MlflowTracker, client) -> None:
    params = {
        "model": {"name": "lgbm", "params": {"num_leaves": 31, "lr": 0.05}},
        "features": ["a", "b"],
        "seed": None,
        "long": "x" * 10_000,
        **{f"p{i:03d}": i for i in range(150)},
    }
    with tracker.run("params") as run_id:
        tracker.log_params(params)
    logged = client.get_run(run_id).data.params
    assert logged["model.name"] == "lgbm"
    assert logged["model.params.num_leaves"] == "31"
    assert logged["model.params.lr"] == "0.05"
    assert logged["features"] == "['a', 'b']"
    assert logged["seed"] == "None"
    assert logged["long"] == "x" * 6000
    assert logged["p149"] == "149"
    assert len(logged) == 156


def test_metrics_keep_their_steps(tracker: MlflowTracker, client) -> None:
    with tracker.run("metrics") as run_id:
        for step, loss in enumerate([0.9, 0.5, 0.3]):
            tracker.log_metrics({"loss": loss}, step=step)
        tracker.log_metrics({"cv_mean": np.float32(0.75)})
    history = client.get_metric_history(run_id, "loss")
    assert [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)] == [
        (0, 0.9),
        (1, 0.5),
        (2, 0.3),
    ]
    assert client.get_run(run_id).data.metrics["cv_mean"] == pytest.approx(0.75)


@pytest.mark.parametrize("fail", [False, True])
def test_batch_runs_hold_everything_until_the_run_ends(
    tracker: MlflowTracker, client, fail: bool
) -> None:
    """``batch=True`` writes nothing while the run is open and everything when it ends,
    including over MLflow's per-request limits and when the body fails."""
    with pytest.raises(ZeroDivisionError) if fail else contextlib.nullcontext():
        with tracker.run("held", batch=True) as run_id:
            tracker.log_params({f"p{i:03d}": i for i in range(150)})
            for step in range(1200):
                tracker.log_metrics({"loss": 1.0 / (step + 1)}, step=step)
            tracker.set_tags({"podium.note": "held"})
            assert client.get_run(run_id).data.params == {}
            assert client.get_run(run_id).data.metrics == {}
            if fail:
                1 / 0  # noqa: B018
    run = client.get_run(run_id)
    assert run.info.status == ("FAILED" if fail else "FINISHED")
    assert len(run.data.params) == 150 and run.data.params["p149"] == "149"
    assert run.data.tags["podium.note"] == "held"
    history = client.get_metric_history(run_id, "loss")
    assert sorted(m.step for m in history) == list(range(1200))


def test_artifacts_land_under_mlruns_and_frames_round_trip(
    tracker: MlflowTracker, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    oof = pd.DataFrame(
        {"id": [3, 1, 2], "pred": [0.1, 0.7, 0.4], "fold": pd.Series([0, 1, 2], dtype="int8")}
    ).set_index("id")
    extra = tmp_path / "report.md"
    extra.write_text("# hi")
    with tracker.run("frames") as run_id:
        tracker.log_frame(oof, "oof.parquet")
        tracker.log_frame(oof, "preds/test")
        tracker.log_text("a: 1\n", "config.resolved.yaml")
        tracker.log_artifact(extra, artifact_path="reports")
    run_dir = root / "mlruns" / "artifacts" / run_id / "artifacts"
    assert (run_dir / "oof.parquet").is_file()
    assert (run_dir / "preds" / "test.parquet").is_file()
    assert (run_dir / "config.resolved.yaml").read_text() == "a: 1\n"
    assert (run_dir / "reports" / "report.md").read_text() == "# hi"
    assert list(cwd.iterdir()) == []
    pd.testing.assert_frame_equal(tracker.load_frame(run_id, "oof.parquet"), oof)
    pd.testing.assert_frame_equal(tracker.load_frame(run_id, "preds/test"), oof)
    copied = tracker.download_artifact(run_id, "config.resolved.yaml", tmp_path / "dl")
    assert copied == tmp_path / "dl" / "config.resolved.yaml"
    assert copied.read_text() == "a: 1\n"
    with pytest.raises(TrackingError, match="missing.parquet"):
        tracker.load_frame(run_id, "missing")


def test_figures_are_logged_as_png_and_closed(tracker: MlflowTracker, root: Path) -> None:
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    with tracker.run("figures") as run_id:
        tracker.log_figure(fig, "line")
        tracker.log_figure(roc_curve_figure(y, rng.random(200)), "plots/roc.png")
        tracker.log_figure(residual_figure(y, rng.random(200)), "plots/residuals.png")
        importances = pd.Series(rng.random(40), index=[f"f{i}" for i in range(40)])
        tracker.log_figure(feature_importance_figure(importances, top=10), "plots/imp.png")
    run_dir = root / "mlruns" / "artifacts" / run_id / "artifacts"
    for name in ("line.png", "plots/roc.png", "plots/residuals.png", "plots/imp.png"):
        assert (run_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.get_fignums() == []


def test_failing_run_ends_failed_and_reraises(tracker: MlflowTracker, client) -> None:
    with pytest.raises(ZeroDivisionError):
        with tracker.run("parent") as parent_id:
            with tracker.run("fold", nested=True) as child_id:
                1 / 0  # noqa: B018
    for run_id in (parent_id, child_id):
        run = client.get_run(run_id)
        assert run.info.status == "FAILED"
        assert run.data.tags["podium.error"] == "ZeroDivisionError: division by zero"
    with tracker.run("next") as run_id:  # the tracker is usable again
        pass
    assert client.get_run(run_id).info.status == "FINISHED"


def test_list_runs_returns_parents_with_cv_scores(tracker: MlflowTracker) -> None:
    for i, score in enumerate([0.71, 0.74]):
        with tracker.run(f"cv-{i}", tags={"podium.metric": "auc"}):
            with tracker.run("fold-0", nested=True):
                tracker.log_metrics({"auc": score})
            tracker.log_metrics({"cv_mean": score, "cv_std": 0.01 * (i + 1)})
            tracker.set_tags({"podium.models": "lgbm, xgb", "podium.submission": "sub.csv"})
    runs = tracker.list_runs()
    assert [r.name for r in runs] == ["cv-1", "cv-0"]
    newest = runs[0]
    assert isinstance(newest, RunSummary)
    assert (newest.metric, newest.cv_mean, newest.cv_std) == ("auc", 0.74, 0.02)
    assert newest.models == ["lgbm", "xgb"]
    assert newest.submission == "sub.csv"
    assert newest.status == "FINISHED"
    assert newest.duration_s is not None and newest.duration_s >= 0
    assert newest.start_time.tzinfo is not None
    assert len(tracker.list_runs(parent_only=False)) == 4
    assert len(tracker.list_runs(max_results=1)) == 1


def test_worker_threads_log_into_the_open_run(tracker: MlflowTracker, client) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def trial(i: int) -> str:
        with tracker.run(f"trial-{i}", nested=True) as run_id:
            tracker.log_metrics({"score": float(i)})
        return run_id

    with tracker.run("study") as parent_id:
        with ThreadPoolExecutor(2) as pool:
            children = list(pool.map(trial, range(3)))
        tracker.log_metrics({"best": 2.0})
    for i, child_id in enumerate(children):
        child = client.get_run(child_id)
        assert child.data.tags["mlflow.parentRunId"] == parent_id
        assert child.data.metrics == {"score": float(i)}
    assert client.get_run(parent_id).data.metrics == {"best": 2.0}


def test_misuse_is_reported(tracker: MlflowTracker) -> None:
    with pytest.raises(TrackingError, match="no open run"):
        tracker.log_metrics({"a": 1.0})
    with tracker.run("outer"):
        with pytest.raises(TrackingError, match="nested=True"):
            with tracker.run("inner"):
                pass
        with pytest.raises(TrackingError, match="numbers"):
            tracker.log_metrics({"a": "high"})
        with pytest.raises(TrackingError, match="no such file"):
            tracker.log_artifact(Path("does/not/exist.txt"))


@pytest.mark.parametrize(
    "make_uri",
    [
        lambda tmp: "postgresql://user:secret@127.0.0.1:1/db",
        lambda tmp: "http://127.0.0.1:1",
        lambda tmp: f"sqlite:///{tmp / 'a-file' / 'mlflow.db'}",
        lambda tmp: f"sqlite:///{tmp / 'corrupt.db'}",
    ],
    ids=["postgres-closed-port", "http-closed-port", "sqlite-under-a-file", "sqlite-corrupt"],
)
def test_unusable_store_fails_fast_with_one_line(tmp_path: Path, make_uri) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "corrupt.db").write_bytes(b"this is not a database" * 100)
    start = time.perf_counter()
    with pytest.raises(TrackingError) as info:
        MlflowTracker(uri=make_uri(tmp_path), experiment="x")
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert "\n" not in message
    assert "secret" not in message


def test_file_store_uri_is_a_tracking_error(tmp_path: Path) -> None:
    with pytest.raises(TrackingError) as info:
        MlflowTracker(uri=str(tmp_path / "mlruns"), experiment="x")
    assert "\n" not in str(info.value)


def test_uri_defaults_to_env_var_then_project_root(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = default_tracking_uri(root)
    assert uri == f"sqlite:///{root.resolve()}/mlruns/mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert MlflowTracker(experiment="env", root=tmp_path).uri == uri
    assert not (tmp_path / "mlruns").exists()
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    monkeypatch.chdir(root)
    assert MlflowTracker(experiment="cwd").uri == uri


def test_null_tracker_accepts_everything() -> None:
    import matplotlib.pyplot as plt

    tracker = NullTracker()
    assert isinstance(tracker, Tracker)
    with tracker.run("x", tags={"a": "b"}) as run_id:
        with tracker.run("y", nested=True) as child_id:
            tracker.log_params({"a": {"b": 1}})
            tracker.log_metrics({"m": 1.0}, step=2)
            tracker.set_tags({"t": "v"})
            tracker.log_artifact(Path("nowhere"))
            tracker.log_text("t", "t.txt")
            tracker.log_frame(pd.DataFrame({"a": [1]}), "f.parquet")
            tracker.log_figure(plt.figure(), "fig.png")
    assert run_id == child_id == ""
    assert plt.get_fignums() == []
    with pytest.raises(KeyError):
        with tracker.run("z"):
            raise KeyError("propagates")


def test_mlflow_tracker_satisfies_the_protocol(tracker: MlflowTracker) -> None:
    assert isinstance(tracker, Tracker)


def test_tracker_calls_leave_the_warning_filters_alone(tracker: MlflowTracker) -> None:
    """The store is opened on a background thread while models train: swapping the
    process-wide warning filters there would silence the main thread's warnings."""
    import threading

    with tracker.run("first"):
        tracker.log_metrics({"m": 0.0})  # MLflow imported, its module filter installed
    before = list(warnings.filters)
    same: list[bool] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            same.append(list(warnings.filters) == before)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with tracker.run("watched"):
            for step in range(20):
                tracker.log_metrics({"m": float(step)}, step=step)
    finally:
        stop.set()
        watcher.join()
    assert same and all(same)


def test_a_batch_run_whose_held_values_are_refused_ends_failed(
    tracker: MlflowTracker, client
) -> None:
    with pytest.raises(TrackingError, match="Duplicate parameter keys"):
        with tracker.run("dup", batch=True) as run_id:
            tracker.log_params({"a": 1})
            tracker.log_params({"a": 2})  # refused only when the batch is written
    run = client.get_run(run_id)
    assert run.info.status == "FAILED"
    assert "Duplicate parameter keys" in run.data.tags["podium.error"]


def test_a_plot_logged_to_two_runs_is_drawn_once(
    tracker: MlflowTracker, client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pickle

    from podium.tracking import Plot, plots

    calls: list[int] = []
    real = plots.feature_importance_figure

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(plots, "feature_importance_figure", counted)
    importances = pd.Series([3.0, 1.0, 2.0], index=["a", "b", "c"])

    def received() -> Plot:  # a copy, as the tracking child receives each request
        return pickle.loads(pickle.dumps(Plot("feature_importance_figure", importances)))

    with tracker.run("parent") as parent:
        with tracker.run("model", nested=True) as child:
            tracker.log_figure(received(), "feature_importance.png")
        tracker.log_figure(received(), "feature_importance")
    assert len(calls) == 1
    doubled = importances * 2
    with tracker.run("in-process"):  # the runner's own two Plot objects over one Series
        tracker.log_figure(Plot("feature_importance_figure", doubled), "a.png")
        tracker.log_figure(Plot("feature_importance_figure", doubled), "b.png")
    assert len(calls) == 2
    pngs = [
        Path(client.download_artifacts(run, "feature_importance.png", str(tmp_path / run)))
        for run in (child, parent)
    ]
    assert pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pngs[0].read_bytes() == pngs[1].read_bytes()


def test_run_dated_by_the_work_and_experiment_described(root: Path) -> None:
    """A run logged after its work has the work's start and end; the experiment gets its
    description and extra tags, and a changed description replaces the old one."""
    from mlflow import MlflowClient

    from podium.tracking.view import VIEW_TAG_PREFIX, runs_view_tags

    name = f"exp-{uuid.uuid4().hex}"
    view = runs_view_tags("roc_auc", True)
    tracker = MlflowTracker(
        uri=default_tracking_uri(root), experiment=name, description="Churn, by AUC",
        experiment_tags=view,
    )  # fmt: skip
    with tracker.run("model", start_time=1_700_000_000.25, end_time=1_700_000_012.75) as run_id:
        tracker.log_metrics({"cv_roc_auc": 0.8})
    client = MlflowClient(tracking_uri=tracker.uri)
    info = client.get_run(run_id).info
    assert (info.start_time, info.end_time) == (1_700_000_000_250, 1_700_000_012_750)
    exp = client.get_experiment(tracker.experiment_id)
    assert exp.tags["mlflow.note.content"] == "Churn, by AUC"
    envelope = json.loads(exp.tags[VIEW_TAG_PREFIX + "podium-cv"])
    state = json.loads(envelope["state"])
    assert state["selectedColumns"][:2] == ["metrics.`cv_roc_auc`", "metrics.`cv_roc_auc_std`"]
    assert state["orderByKey"] == "metrics.`cv_roc_auc`" and state["orderByAsc"] is False
    MlflowTracker(uri=tracker.uri, experiment=name, description="Churn, by log loss")
    assert client.get_experiment(tracker.experiment_id).tags["mlflow.note.content"] == (
        "Churn, by log loss"
    )
