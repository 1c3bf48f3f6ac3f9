"""Data loss and security: podium never deletes, overwrites or writes outside what it owns.

Each test states the promise it checks and drives the real console script.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from podium.outputs import unique_run_name

from .conftest import PODIUM, run_states, tree_digest

pytestmark = pytest.mark.faults


def _env(root: Path) -> dict[str, str]:
    return {"MLFLOW_TRACKING_URI": f"sqlite:///{root}/mlruns/mlflow.db"}


def test_cache_clear_deletes_only_podium_entries(make_competition, podium_cli, tmp_path) -> None:
    """Promise: `podium cache clear` removes the feature-cache entries podium wrote and
    nothing else under $PODIUM_CACHE_DIR (notes, data folders, stray files stay)."""
    cache = tmp_path / "feature-cache"
    make_competition(
        pipeline={
            "stages": [{"name": "cnt", "use": "count_encoder", "params": {"columns": ["color"]}}],
            "models": {"lgb": {"use": "lightgbm", "params": {"n_estimators": 20}}},
        },
        config={"pipeline": "custom"},
    )
    env = {**_env(tmp_path), "PODIUM_CACHE_DIR": str(cache)}
    done = podium_cli("run", "toy", env=env)
    assert done.returncode == 0, done.stderr
    entries = [d for d in (cache / "toy").iterdir() if d.is_dir()]
    assert entries, "the run should have cached its features"
    # things that are not the cache's, beside and inside its folders
    (cache / "my_notes").mkdir()
    (cache / "my_notes" / "ideas.txt").write_text("keep me")
    (cache / "other_data").mkdir()
    (cache / "other_data" / "train.csv").write_text("a,b\n1,2\n")
    (cache / "toy" / "README.txt").write_text("mine")
    (cache / "toy" / "notes").mkdir()
    (cache / "toy" / "notes" / "n.txt").write_text("mine too")
    keep = {**tree_digest(cache / "my_notes"), **tree_digest(cache / "other_data")}

    done = podium_cli("cache", "clear", env=env)
    assert done.returncode == 0, done.stderr
    assert re.search(rf"removed {len(entries)} entries", done.stdout), done.stdout
    assert {**tree_digest(cache / "my_notes"), **tree_digest(cache / "other_data")} == keep
    assert (cache / "toy" / "README.txt").read_text() == "mine"
    assert (cache / "toy" / "notes" / "n.txt").read_text() == "mine too"
    assert not any(e.exists() for e in entries)


@pytest.mark.parametrize("where", ["train.csv", "test.csv", "sample_submission.csv", "new.csv"])
def test_output_may_not_clobber_inputs(make_competition, podium_cli, tmp_path, where) -> None:
    """Promise: `--output` inside the data folder (an input or a new file there) is refused
    before training: exit 2, one line naming the path, no file touched, no run opened."""
    comp = make_competition()
    data = comp / "data"
    before = tree_digest(data)
    done = podium_cli("run", "toy", "-o", str(data / where), env=_env(tmp_path))
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and where in lines[0] and "--output" in lines[0], done.stderr
    assert tree_digest(data) == before
    assert run_states(tmp_path / "mlruns" / "mlflow.db") == []


def test_output_may_not_clobber_config(make_competition, podium_cli, tmp_path) -> None:
    """Promise: `--output` naming the competition.yaml is refused and the file is unchanged."""
    comp = make_competition()
    cfg = comp / "competition.yaml"
    text = cfg.read_text()
    done = podium_cli("run", "toy", "-o", str(cfg), env=_env(tmp_path))
    assert done.returncode == 2 and "is an input of the run" in done.stderr, done.stderr
    assert cfg.read_text() == text


def test_output_onto_a_folder_is_refused_before_training(make_competition, podium_cli,
                                                        tmp_path) -> None:
    """Promise: `--output` onto an existing folder or under a file fails before any fold
    (no fold line printed), exit 2, one line."""
    make_competition()
    (tmp_path / "afile").write_text("x")
    for bad in (tmp_path, tmp_path / "afile" / "sub.csv"):
        done = podium_cli("run", "toy", "-o", str(bad), env=_env(tmp_path))
        assert done.returncode == 2, done.stderr
        assert "fold 1/" not in done.stdout + done.stderr
        assert len([ln for ln in done.stderr.splitlines() if ln.strip()]) == 1, done.stderr
    assert (tmp_path / "afile").read_text() == "x"


@pytest.mark.parametrize("name", ["../../escaped", "a/b", "..", "/abs"])
def test_competition_name_cannot_escape(make_competition, podium_cli, tmp_path, name) -> None:
    """Promise: a `name:` that is not a plain folder name is one config error (exit 2)
    naming the key, and nothing is written outside the cache folder."""
    comp = make_competition()
    cfg = yaml.safe_load((comp / "competition.yaml").read_text())
    cfg["name"] = name
    (comp / "competition.yaml").write_text(yaml.safe_dump(cfg))
    cache = tmp_path / "deep" / "er" / "feature-cache"
    done = podium_cli("run", str(comp), env={**_env(tmp_path), "PODIUM_CACHE_DIR": str(cache)})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "name" in done.stderr and "plain folder name" in done.stderr, done.stderr
    assert not (tmp_path / "deep").exists() and not (tmp_path / "escaped").exists()


def test_run_names_unique_within_a_second() -> None:
    """Promise: run names (and so default submission paths) differ for runs started at
    the same instant."""
    names = {unique_run_name("strong", 1_700_000_000.0) for _ in range(200)}
    assert len(names) == 200
    assert all(n.startswith("strong-20231114-221320-") for n in names)


def test_two_runs_at_once_on_a_fresh_store(make_competition, tmp_path) -> None:
    """Promise: two `podium run`s started together on a new MLflow store both succeed,
    with distinct run names and submission files, each holding its own predictions."""
    make_competition()
    env = dict(__import__("os").environ, **_env(tmp_path))
    procs = [
        subprocess.Popen([*PODIUM, "run", "toy", "--seed", str(s)], cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for s in (1, 2)
    ]  # fmt: skip
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_o, e) in zip(procs, outs, strict=True):
        assert p.returncode == 0, e
    subs = [re.search(r"submission: (\S+)", o).group(1) for o, _ in outs]
    assert subs[0] != subs[1]
    frames = [pd.read_csv(tmp_path / s) for s in subs]
    assert not frames[0]["target"].equals(frames[1]["target"])  # seeds 1 and 2 differ
    states = run_states(tmp_path / "mlruns" / "mlflow.db")
    parents = {n for n, st in states if n.startswith("fast-") and "/" not in n}  # not "<run>/lgb"
    assert len(parents) == 2 and all(st == "FINISHED" for _, st in states), states
