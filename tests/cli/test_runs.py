"""`podium runs` finds runs (id, name, best CV first, kinds, 80 columns, --json) and every
command that takes a run accepts its name, id or id prefix; `blend` refuses duplicates."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from podium.cli import app
from podium.cli import commands as _commands  # noqa: F401  (registers the commands)
from podium.exceptions import ConfigError
from podium.tracking.base import RunSummary, cv_metrics
from podium.tracking.lookup import find_run, find_runs, rank_runs, same_run

runner = CliRunner()


def _run_id(output: str) -> str:
    return re.search(r"\(([0-9a-f]{32})\)", output).group(1)


def _runs_json(*args: str) -> list[dict]:
    res = runner.invoke(app, ["runs", "toy", "--json", *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_runs_table_json_names_and_duplicates(make_competition, monkeypatch):
    comp = make_competition()
    monkeypatch.chdir(comp.parent.parent)
    ids = []
    for leaves in (3, 15, 3):  # the third run repeats the first: same config and seed
        res = runner.invoke(app, ["run", "toy", "--set", f"models.lgb.params.num_leaves={leaves}"])
        assert res.exit_code == 0, res.output
        ids.append(_run_id(res.output))
    first, other, again = ids

    runs = _runs_json()
    assert [r["id"] for r in runs if r["id"] in ids] and len(runs) == 3
    assert set(runs[0]) == {"id", "name", "kind", "pipeline", "status", "cv_mean", "cv_std",
                            "metric", "started", "duration", "submission"}  # fmt: skip
    cvs = [r["cv_mean"] for r in runs]
    assert cvs == sorted(cvs, reverse=True)  # roc_auc: best (highest) first
    assert {r["kind"] for r in runs} == {"run"} and {r["pipeline"] for r in runs} == {"fast"}
    newest = _runs_json("--sort", "time")
    assert [r["id"] for r in newest] == [again, other, first]
    assert [r["name"] for r in _runs_json("--sort", "name")] == sorted(r["name"] for r in runs)
    assert _runs_json("--pipeline", "strong") == []
    names = {r["id"]: r["name"] for r in runs}

    table = runner.invoke(app, ["runs", "toy"], env={"COLUMNS": "80"})
    assert table.exit_code == 0, table.output
    lines = [line.strip() for line in table.stdout.splitlines()]
    assert max(len(line) for line in table.stdout.splitlines()) <= 80
    assert max(len(line) for line in lines) <= 80
    for r in runs:  # whole names and short ids, in CV order
        assert any(line.startswith(r["id"][:8]) and r["name"] in line for line in lines), (
            table.stdout
        )
    order = [line[:8] for line in lines if line[:8] in {i[:8] for i in ids}]
    assert order == [r["id"][:8] for r in runs]

    # blend by name and by id prefix
    res = runner.invoke(app, ["blend", "toy", "--runs", f"{names[first]},{other[:6]}"])
    assert res.exit_code == 0, res.output
    assert f"member {names[first]} ({first})" in res.output
    assert f"member {names[other]} ({other})" in res.output
    blend_id = _run_id(res.output.splitlines()[-2])
    assert [r["id"] for r in _runs_json("--kind", "blend")] == [blend_id]
    assert {r["kind"] for r in _runs_json()} == {"run", "blend"}

    # duplicates: the same run twice, two identical runs, and top:N skipping the repeat
    for spec, says in (
        (f"{first},{names[first]}", "are one run"),
        (f"{first},{again}", "are identical runs (same pipeline, config and seed)"),
    ):
        res = runner.invoke(app, ["blend", "toy", "--runs", spec])
        assert res.exit_code == 2, res.output
        assert says in res.stderr and len(res.stderr.strip().splitlines()) == 1
    res = runner.invoke(app, ["blend", "toy", "--runs", "top:3"])
    assert res.exit_code == 0, res.output
    members = [line for line in res.stdout.splitlines() if line.startswith("member ")]
    assert len(members) == 2 and any(other in line for line in members)

    res = runner.invoke(app, ["blend", "toy", "--runs", f"{names[first][:-1]}x,{other}"])
    assert res.exit_code == 2
    assert f"no run '{names[first][:-1]}x'" in res.stderr and "did you mean" in res.stderr
    res = runner.invoke(app, ["blend", "toy", "--runs", f"{blend_id},{other}"])
    assert res.exit_code == 2 and "is not a finished podium run (blend" in res.stderr


def test_runs_refuses_unknown_kind_and_sort(make_competition, monkeypatch):
    monkeypatch.chdir(make_competition().parent.parent)
    for args, says in ((["--kind", "tunes"], "did you mean 'tune'"),
                       (["--sort", "cvs"], "did you mean 'cv'")):  # fmt: skip
        res = runner.invoke(app, ["runs", "toy", *args])
        assert res.exit_code == 2 and says in res.stderr, res.output
    res = runner.invoke(app, ["runs", "toy", "--kind", "tune"])
    assert res.exit_code == 0 and "no tune runs yet for toy" in res.stderr


def _summary(run_id: str, name: str, cv: float | None, t: int = 0, **tags: str) -> RunSummary:
    return RunSummary(
        run_id=run_id, name=name, status="FINISHED", start_time=datetime.fromtimestamp(t, UTC),
        cv_mean=cv, cv_std=0.01, tags={"podium.pipeline": "p", "podium.seed": "1", **tags},
    )  # fmt: skip


def test_find_run_by_id_name_prefix_and_ambiguity():
    runs = [_summary("abc123" + "0" * 26, "strong-1", 0.8),
            _summary("abd456" + "0" * 26, "strong-2", 0.7)]  # fmt: skip
    assert find_run(runs, "strong-2") is runs[1]
    assert find_run(runs, "abc1") is runs[0] and find_run(runs, runs[1].run_id) is runs[1]
    with pytest.raises(ConfigError, match=r"'ab' matches 2 runs \(abc12300 strong-1, "):
        find_run(runs, "ab")
    with pytest.raises(ConfigError, match=r"no run 'strong-3' .* did you mean 'strong-"):
        find_run(runs, "strong-3")
    with pytest.raises(ConfigError, match="are one run"):
        find_runs(runs, ["abc", "strong-1"])


def test_rank_runs_direction_kinds_and_same_run():
    runs = [
        _summary("a" * 32, "r1", 0.30, 1),
        _summary("b" * 32, "r2", 0.10, 2),
        _summary("c" * 32, "r3", None, 3),
        _summary("d" * 32, "t1", 0.05, 4, **{"podium.kind": "tune"}),
        _summary("e" * 32, "b1", 0.20, 5, **{"podium.blend": "1"}),
    ]
    lower = rank_runs(runs, greater_is_better=False)
    assert [s.name for s in lower] == ["r2", "b1", "r1", "r3"]  # rmse: smallest first
    assert [s.name for s in rank_runs(runs)] == ["r1", "b1", "r2", "r3"]
    assert [s.name for s in rank_runs(runs, kinds=("tune",))] == ["t1"]
    fp = {"podium.config_fingerprint": "x"}
    a, b = _summary("1" * 32, "a", 0.3, **fp), _summary("2" * 32, "b", 0.3, **fp)
    assert same_run(a, b)
    assert not same_run(a, _summary("3" * 32, "c", 0.3, **{"podium.config_fingerprint": "y"}))
    assert not same_run(a, _summary("4" * 32, "d", 0.3, **{**fp, "podium.seed": "2"}))
    assert same_run(_summary("5" * 32, "e", 0.3), _summary("6" * 32, "f", 0.3))  # untagged
    assert not same_run(_summary("5" * 32, "e", 0.3), _summary("6" * 32, "f", 0.31))


def test_cv_metrics_reads_either_key_name():
    assert cv_metrics({"cv_mean": 0.8, "cv_std": 0.1}, "roc_auc") == (0.8, 0.1)
    assert cv_metrics({"cv_roc_auc": 0.7, "cv_roc_auc_std": 0.2}, "roc_auc") == (0.7, 0.2)
    assert cv_metrics({"best_value": 0.6}, "roc_auc") == (0.6, None)


def test_run_record_is_json_with_nan_as_null():
    from podium.tracking.lookup import run_record

    record = run_record(_summary("a" * 32, "r1", float("nan")))
    assert json.loads(json.dumps(record, allow_nan=False))["cv_mean"] is None
    assert record["kind"] == "run" and record["pipeline"] == "p"
