"""ProcessTracker: MLflow logging from a child process, against a real SQLite store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from podium.exceptions import TrackingError
from podium.tracking import Plot, ProcessTracker, Tracker, default_tracking_uri

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return default_tracking_uri(tmp_path)


def _client(uri: str):
    from podium.tracking.mlflow_tracker import preload

    preload()  # MLflow, with its own import-time warnings ignored
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri)


def test_a_run_logged_from_the_child_is_complete(uri: str, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("hello")
    rng = np.random.default_rng(0)
    y, score = rng.integers(0, 2, 300), rng.random(300)
    with ProcessTracker(uri=uri, experiment="e") as tracker:
        assert isinstance(tracker, Tracker)
        with tracker.run("parent", tags={"podium.competition": "c"}, batch=True) as run_id:
            tracker.log_params({"model": {"lr": 0.1}})
            tracker.log_metrics({"cv_mean": 0.75})
            for k in range(3):
                tracker.log_metrics({"fold_score": 0.7 + k / 100}, step=k)
            with tracker.run("child", nested=True) as child_id:
                tracker.set_tags({"podium.model": "lightgbm"})
            tracker.log_artifact(note)
            tracker.log_text("a: 1\n", "config.resolved.yaml")
            tracker.log_frame(pd.DataFrame({"oof": score}), "oof.parquet")
            tracker.log_figure(Plot("roc_curve_figure", y, score), "roc_curve.png")
    client = _client(uri)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["model.lr"] == "0.1"
    assert run.data.metrics["cv_mean"] == 0.75
    assert run.data.tags["podium.competition"] == "c"
    history = client.get_metric_history(run_id, "fold_score")
    assert sorted((m.step, m.value) for m in history) == [(0, 0.7), (1, 0.71), (2, 0.72)]
    child = client.get_run(child_id)
    assert child.data.tags["mlflow.parentRunId"] == run_id
    assert child.data.tags["podium.model"] == "lightgbm"
    names = {a.path for a in client.list_artifacts(run_id)}
    assert {"note.txt", "config.resolved.yaml", "oof.parquet", "roc_curve.png"} <= names
    png = Path(client.download_artifacts(run_id, "roc_curve.png", str(tmp_path)))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    oof = pd.read_parquet(client.download_artifacts(run_id, "oof.parquet", str(tmp_path)))
    np.testing.assert_array_equal(oof["oof"].to_numpy(), score)


def test_an_error_in_the_body_ends_the_run_failed_and_propagates(uri: str) -> None:
    with ProcessTracker(uri=uri, experiment="e") as tracker:
        with pytest.raises(ValueError, match="boom"), tracker.run("r") as run_id:
            raise ValueError("boom: the model diverged")
        with tracker.run("after") as after:  # the tracker is still usable
            tracker.log_metrics({"m": 1.0})
    client = _client(uri)
    failed = client.get_run(run_id)
    assert failed.info.status == "FAILED"
    assert failed.data.tags["podium.error"] == "ValueError: boom: the model diverged"
    assert client.get_run(after).info.status == "FINISHED"


def test_a_failing_call_is_one_tracking_error_and_the_child_goes_on(
    uri: str, tmp_path: Path
) -> None:
    with ProcessTracker(uri=uri, experiment="e") as tracker:
        with tracker.run("r") as run_id:
            with pytest.raises(TrackingError, match="no such file") as info:
                tracker.log_artifact(tmp_path / "missing.csv")
            assert "\n" not in str(info.value)
            tracker.log_metrics({"m": 2.0})
    assert _client(uri).get_run(run_id).data.metrics["m"] == 2.0


def test_a_store_that_cannot_open_is_one_line_from_wait_ready(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    tracker = ProcessTracker(uri=f"sqlite:///{bad}", experiment="e")
    with pytest.raises(TrackingError) as info:
        tracker.wait_ready()
    assert "\n" not in str(info.value) and str(info.value)
    with pytest.raises(TrackingError):  # and every later call says so too
        tracker.log_metrics({"m": 1.0})
    tracker.close()


def test_runs_left_open_by_a_killed_parent_end_killed(uri: str, tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from podium.tracking import ProcessTracker
        t = ProcessTracker(uri={uri!r}, experiment="e")
        with t.run("doomed") as run_id:
            t.log_metrics({{"m": 1.0}})
            print(run_id, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    run_id = proc.stdout.strip()
    client = _client(uri)
    deadline = time.time() + 60
    while client.get_run(run_id).info.status == "RUNNING" and time.time() < deadline:
        time.sleep(0.2)
    run = client.get_run(run_id)
    assert run.info.status == "KILLED"
    assert run.data.metrics["m"] == 1.0


def test_podium_run_imports_neither_mlflow_nor_matplotlib_and_needs_no_main_guard(
    make_competition, tmp_path: Path
) -> None:
    # A plain script, no `if __name__ == "__main__"`: the child is a fresh interpreter,
    # so nothing re-runs this script (multiprocessing's spawn would, and fail).
    comp = make_competition()
    root = comp.parent.parent
    script = tmp_path / "plain.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import json, sys
            from pathlib import Path
            from podium.config import RunRequest
            from podium.runner import run_competition
            request = RunRequest({str(comp)!r}, root=Path({str(root)!r}), pipeline="fast")
            out = run_competition(request)
            print(json.dumps({{"run_id": out.run_id, "submission": str(out.submission),
                              "mlflow": "mlflow" in sys.modules,
                              "matplotlib": "matplotlib" in sys.modules}}))
            """
        )
    )
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'runs.db'}"}
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == {**out, "mlflow": False, "matplotlib": False}
    assert Path(out["submission"]).is_file()
    client = _client(env["MLFLOW_TRACKING_URI"])
    run = client.get_run(out["run_id"])
    assert run.info.status == "FINISHED" and "cv_mean" in run.data.metrics
    parents = client.search_runs([run.info.experiment_id], "tags.`mlflow.parentRunId` IS NULL")
    assert [r.info.run_id for r in parents] == [out["run_id"]]  # one run, not two
    names = {a.path for a in client.list_artifacts(out["run_id"])}
    assert {"roc_curve.png", "feature_importance.png", "oof.parquet", "folds.csv"} <= names


def test_plot_is_checked_and_pickles_by_kind() -> None:
    import pickle

    with pytest.raises(ValueError, match="not a plot function"):
        Plot("os_system", "rm")
    plot = pickle.loads(pickle.dumps(Plot("residual_figure", [1.0, 2.0], [1.5, 2.5])))
    assert plot.kind == "residual_figure" and len(plot.args) == 2
    assert plot.draw().axes  # a matplotlib figure with its two panels


def test_ctrl_c_reaches_only_the_parent_which_ends_the_run_killed(uri: str) -> None:
    script = textwrap.dedent(
        f"""
        import signal, time
        from podium.tracking import ProcessTracker
        # a shell's background job starts with SIGINT ignored; a terminal's script has it
        signal.signal(signal.SIGINT, signal.default_int_handler)
        t = ProcessTracker(uri={uri!r}, experiment="e")
        try:
            with t.run("interrupted") as run_id:
                print(run_id, flush=True)
                time.sleep(120)
        except KeyboardInterrupt:
            print("caught", flush=True)
        t.close()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's job
    )
    run_id = proc.stdout.readline().strip()
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends: the whole foreground group
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and out.strip() == "caught", err
    assert "Traceback" not in err
    run = _client(uri).get_run(run_id)
    assert run.info.status == "KILLED"
    assert run.data.tags["podium.error"] == "KeyboardInterrupt"  # one_line: no message


def test_a_warmed_up_child_is_used_once_and_an_unused_one_is_stopped(uri: str) -> None:
    from podium.tracking import process

    process.warm_up()
    warm = process._warm
    assert warm is not None
    process.warm_up()  # idempotent: still the same child
    assert process._warm is warm
    with ProcessTracker(uri=uri, experiment="e") as tracker:
        assert tracker._proc is warm[0] and process._warm is None
        with tracker.run("r") as run_id:
            tracker.log_metrics({"m": 3.0})
    assert _client(uri).get_run(run_id).data.metrics["m"] == 3.0
    process.warm_up()
    proc = process._warm[0]
    process._discard_warm()  # what exit does with an unused child
    assert proc.poll() is not None and process._warm is None


def _script(code: str, tmp_path: Path) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line last."""
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(code))
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_value_the_child_cannot_unpickle_is_one_error_and_the_run_goes_on(
    uri: str, tmp_path: Path
) -> None:
    # A str subclass defined in the caller's __main__ pickles by reference: the child has
    # no such module attribute. That call fails alone; the tracker and the run go on.
    out = _script(
        f"""
        import json
        from podium.exceptions import TrackingError
        from podium.tracking import ProcessTracker

        class Note(str):
            pass

        with ProcessTracker(uri={uri!r}, experiment="e") as t:
            with t.run("r") as run_id:
                try:
                    t.log_text(Note("hi"), "note.txt")
                    error = None
                except TrackingError as exc:
                    error = str(exc)
                t.log_params({{"fn": lambda: 1}})  # stringified, like MlflowTracker does
                t.log_metrics({{"m": 1.0}})
        print(json.dumps({{"run_id": run_id, "error": error}}))
        """,
        tmp_path,
    )
    assert out["error"].startswith("the tracking process could not read a request: ")
    assert "\n" not in out["error"]
    run = _client(uri).get_run(out["run_id"])
    assert run.info.status == "FINISHED" and run.data.metrics["m"] == 1.0
    assert run.data.params["fn"].startswith("<function")


def test_a_value_that_cannot_be_pickled_is_refused_before_sending(uri: str) -> None:
    import threading

    with ProcessTracker(uri=uri, experiment="e") as tracker, tracker.run("r") as run_id:
        frame = pd.DataFrame({"x": [threading.Lock()]})
        with pytest.raises(TrackingError, match="cannot send log_frame"):
            tracker.log_frame(frame, "locks.parquet")
        tracker.log_metrics({"m": 1.0})
    assert _client(uri).get_run(run_id).info.status == "FINISHED"


def test_an_interrupted_call_breaks_the_tracker_and_the_child_ends_the_run_killed(
    uri: str,
) -> None:
    # Ctrl-C between a request and its answer: the answer is never read, so the tracker
    # must not be used again (the next answer would be the old one's).
    tracker = ProcessTracker(uri=uri, experiment="e")
    with pytest.raises(KeyboardInterrupt), tracker.run("r") as run_id:
        real = tracker._conn.recv

        def interrupted() -> object:
            tracker._conn.recv = real
            raise KeyboardInterrupt

        tracker._conn.recv = interrupted
        tracker.log_text("x", "x.txt")
    with pytest.raises(TrackingError, match="interrupted"):
        tracker.log_metrics({"m": 1.0})
    tracker.close()
    assert tracker._proc.returncode is not None
    client = _client(uri)
    deadline = time.time() + 60
    while client.get_run(run_id).info.status == "RUNNING" and time.time() < deadline:
        time.sleep(0.2)
    assert client.get_run(run_id).info.status == "KILLED"


def test_a_dead_child_is_one_error_and_close_reaps_it(uri: str) -> None:
    tracker = ProcessTracker(uri=uri, experiment="e")
    tracker.wait_ready()
    tracker._proc.kill()
    with pytest.raises(TrackingError, match=r"the tracking process died \(exit code -9\)"):
        tracker.log_metrics({"m": 1.0})
    tracker.close()
    assert tracker._proc.returncode == -9 and tracker._conn.closed


def test_a_store_that_does_not_open_in_time_stops_the_child(uri: str) -> None:
    tracker = ProcessTracker(uri=uri, experiment="e")
    with pytest.raises(TrackingError, match="did not open within 0.001 s"):
        tracker.wait_ready(timeout=0.001)
    assert tracker._proc.returncode is not None  # stopped, not left importing
    tracker.close()


def test_a_child_that_cannot_import_mlflow_says_so_in_one_line(uri: str, tmp_path: Path) -> None:
    broken = tmp_path / "shadow" / "mlflow"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('this mlflow is broken')\n")
    out = _script(
        f"""
        import json, sys
        sys.path.insert(0, {str(broken.parent)!r})  # the child resolves modules as we do
        from podium.exceptions import TrackingError
        from podium.tracking import ProcessTracker

        t = ProcessTracker(uri={uri!r}, experiment="e")
        try:
            t.wait_ready()
            error = None
        except TrackingError as exc:
            error = str(exc)
        t.close()
        print(json.dumps({{"error": error}}))
        """,
        tmp_path,
    )
    assert out["error"] == "MLflow is not installed (this mlflow is broken) - `uv add mlflow`"
