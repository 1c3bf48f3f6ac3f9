"""Bad input: one clear line naming the file, column or key; exit code 2; nothing lost.

"Nothing lost": no submission written (not even a partial or temporary one), no MLflow
run left behind, every input file as it was. Each test states the case it checks. Most
drive the commands through typer's CliRunner (in-process, fast); the cases that need a
real process (a plug-in calling ``sys.exit``, full disks) run the console script.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from podium.cli import app
from podium.cli import commands as _commands  # noqa: F401  (registers the commands)
from podium.submission import write_submission

from .conftest import run_states, tree_digest

pytestmark = pytest.mark.faults

cli = CliRunner()


def _env(root: Path) -> dict[str, str]:
    return {"MLFLOW_TRACKING_URI": f"sqlite:///{root}/mlruns/mlflow.db"}


def _invoke(root: Path, *args: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(root)
    return cli.invoke(app, list(args))


def _error_line(output: str) -> str:
    """The one error line of a refused command (progress lines before it are allowed)."""
    assert "Traceback" not in output, output
    errors = [ln for ln in output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, output
    return errors[0]


def _refused(result, *names: str) -> str:
    """Exit 2 and exactly one (error) line, naming every one of ``names``."""
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    line = _error_line(result.output)
    for name in names:
        assert name in line, line
    return line


def _nothing_lost(comp: Path, root: Path, before: dict[str, str]) -> None:
    """No submission, no MLflow run, the competition folder's files as they were."""
    subs = comp / "submissions"
    assert not subs.exists() or not any(subs.iterdir()), list(subs.iterdir())
    assert run_states(root / "mlruns" / "mlflow.db") == []
    after = tree_digest(comp)
    assert after == before


@pytest.fixture
def competition(make_competition, tmp_path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A small competition and the digest of its files (checked untouched by the test)."""
    comp = make_competition()
    yield comp, tree_digest(comp)


# --- checked too late, or with a traceback ----------------------------------------------


def _fill(folder: Path) -> None:
    """Write zeros into ``folder`` until its file system is full."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def _tmpfs(mnt: Path, size: str) -> Iterator[Path]:
    """A real tmpfs of ``size`` at ``mnt``, unmounted afterwards (the test is skipped
    where mounting is not allowed)."""
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A real 64 KiB tmpfs."""
    with _tmpfs(tmp_path / "small-disk", "64k") as mnt:
        yield mnt


def test_output_on_a_full_disk(make_competition, podium_cli, tmp_path, small_disk) -> None:
    """Case: `--output` on a full disk (a real tmpfs, filled). Writing the submission fails
    after training: one error line naming the file and "No space left on device", exit 2,
    no temporary file and no partial submission left, the run ended FAILED (none left
    RUNNING)."""
    comp = make_competition()
    before = tree_digest(comp)
    _fill(small_disk)
    left = set(os.listdir(small_disk))
    done = podium_cli("run", "toy", "-o", str(small_disk / "sub.csv"), env=_env(tmp_path))
    assert done.returncode == 2, done.stdout + done.stderr
    line = _error_line(done.stderr)
    assert "sub.csv" in line and "No space left on device" in line, line
    assert set(os.listdir(small_disk)) == left  # no sub.csv, no .sub.csv.*.tmp
    states = dict(run_states(tmp_path / "mlruns" / "mlflow.db"))
    # the run is opened before the submission is written: it ends FAILED, none RUNNING
    # (its model runs, named "<run>/<model>", trained and ended before it failed)
    parents = [st for name, st in states.items() if name.startswith("fast-") and "/" not in name]
    assert parents == ["FAILED"]
    assert "RUNNING" not in states.values(), states
    assert tree_digest(comp) == before


def test_nan_id_in_sample_submission(make_competition, monkeypatch, tmp_path) -> None:
    """Case: an empty id in the sample submission was a TypeError traceback; now one line
    naming the sample file, the id column and the row."""

    def edit(train, test, sample):
        sample["id"] = sample["id"].astype("float64")
        sample.loc[2, "id"] = np.nan

    comp = make_competition(edit=edit)
    before = tree_digest(comp)
    result = _invoke(tmp_path, "validate", "toy", monkeypatch=monkeypatch)
    line = _refused(result, "sample_submission.csv", "'id'", "missing")
    assert "data rows 3" in line, line
    _nothing_lost(comp, tmp_path, before)


def test_competition_yaml_not_utf8(competition, monkeypatch, tmp_path) -> None:
    """Case: a Latin-1 competition.yaml was a UnicodeDecodeError traceback; now one line
    naming the file, the line and the byte."""
    comp, _ = competition
    cfg = comp / "competition.yaml"
    cfg.write_bytes(cfg.read_bytes() + 'description: "caf\xe9"\n'.encode("latin-1"))
    before = tree_digest(comp)
    result = _invoke(tmp_path, "run", "toy", monkeypatch=monkeypatch)
    n = cfg.read_bytes().count(b"\n")
    line = _refused(result, f"competition.yaml:{n}", "not UTF-8", "0xe9")
    assert line
    _nothing_lost(comp, tmp_path, before)


def _folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _broken_link(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.parent / "gone.csv")


@pytest.mark.parametrize(
    ("make_unreadable", "says"),
    [(_folder, "is a folder"), (_fifo, "is a FIFO"), (_broken_link, "broken symbolic link")],
    ids=["folder", "fifo", "broken-link"],
)
def test_unreadable_train_file(competition, monkeypatch, tmp_path, make_unreadable, says):
    """Case: a train.csv that cannot be read as a file. Tests run as root, where chmod 000
    does not stop reading, so the file is made unreadable by being a folder, a FIFO (which
    would block a reader) or a symbolic link to nothing. Each was "file not found"; now
    one line saying what it is."""
    comp, _ = competition
    make_unreadable(comp / "data" / "train.csv")
    result = _invoke(tmp_path, "validate", "toy", monkeypatch=monkeypatch)
    _refused(result, "train.csv", says)
    assert "not found" not in result.output


_PLUGIN = """
from podium.stages import BaseStage


class Boom(BaseStage):
    def __init__(self, where: str = "fit") -> None:
        self.where = where

    def _fit(self, X, y, **fit_params):
        if self.where == "fit":
            raise KeyError("no such thing")

    def _transform(self, X):
        if self.where == "transform":
            return X / 0 + {}
        return X


def register(registry):
    registry.add_stage("boom", Boom)
"""


def _plugin_competition(make_competition, where: str) -> Path:
    pipeline = {
        "stages": [
            {"name": "numeric", "use": "to_numeric"},
            {"name": "bang", "use": "boom", "params": {"where": where}},
            {"name": "cats", "use": "categorical", "params": {"encoding": "native"}},
        ],
        "models": {"lgb": {"use": "lightgbm", "params": {"n_estimators": 10}}},
    }
    comp = make_competition(pipeline=pipeline, config={"pipeline": "custom",
                                                       "plugins": "features.py"})  # fmt: skip
    (comp / "features.py").write_text(_PLUGIN)
    return comp


@pytest.mark.parametrize(
    ("where", "method", "line"), [("fit", "_fit", 11), ("transform", "_transform", 15)]
)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_plugin_stage_raises(make_competition, monkeypatch, tmp_path, where, method, line,
                             command) -> None:  # fmt: skip
    """Case: a plug-in stage that raises in fit or transform. `validate` said ok and `run`
    printed a traceback; now both give one line naming the stage, the plug-in file and
    line, and the error (validate fits the chain on a sample), exit 2, nothing written."""
    comp = _plugin_competition(make_competition, where)
    before = tree_digest(comp)
    result = _invoke(tmp_path, command, "toy", monkeypatch=monkeypatch)
    assert result.exit_code == 2, result.output
    err = _error_line(result.output)
    assert "stage 'bang'" in err and f"features.py:{line}" in err, err
    assert f"Boom.{method} raised" in err, err
    if command == "validate":
        assert "custom.yaml" in err and len(result.output.strip().splitlines()) == 1
    _nothing_lost(comp, tmp_path, before)


@pytest.mark.parametrize("where", ["import", "register"])
def test_plugin_calls_sys_exit(make_competition, podium_cli, tmp_path, where) -> None:
    """Case: a plug-in calling `sys.exit(0)` at import (or in register) made podium exit
    0 silently with no submission; now it is one error line naming the plug-in file and
    the call, exit 2."""
    comp = make_competition(config={"plugins": "features.py"})
    body = "    sys.exit(0)\n" if where == "register" else "    pass\n"
    head = "sys.exit(0)\n" if where == "import" else ""
    (comp / "features.py").write_text(f"import sys\n{head}\n\ndef register(registry):\n{body}")
    before = tree_digest(comp)
    done = podium_cli("run", "toy", env=_env(tmp_path))
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, done.stderr
    assert "features.py:" in lines[0] and "sys.exit(0)" in lines[0], lines[0]
    _nothing_lost(comp, tmp_path, before)


# --- accepted silently, or explained wrongly --------------------------------------------


def test_duplicate_column_header(competition, monkeypatch, tmp_path) -> None:
    """Case: a column name twice in train's header. pandas renamed the second `x1.1`, and
    the run went on (or blamed a missing `x1.1`); now one line naming the file, the
    column and both positions."""
    comp, _ = competition
    train = comp / "data" / "train.csv"
    text = train.read_text().split("\n", 1)
    train.write_text(text[0].replace("x2", "x1") + "\n" + text[1])
    before = tree_digest(comp)
    result = _invoke(tmp_path, "validate", "toy", monkeypatch=monkeypatch)
    _refused(result, "train.csv", "'x1' twice", "columns 2 and 3")
    assert "x1.1" not in result.output
    _nothing_lost(comp, tmp_path, before)


@pytest.mark.parametrize("role", ["train", "test"])
def test_truncated_last_row(competition, monkeypatch, tmp_path, role) -> None:
    """Case: the last row cut short (fewer fields than the header) was read with NaN and
    got a prediction; now the file is refused naming its line and the field counts."""
    comp, _ = competition
    path = comp / "data" / f"{role}.csv"
    lines = path.read_text().splitlines()
    lines[-1] = ",".join(lines[-1].split(",")[:3])  # as if the download stopped there
    path.write_text("\n".join(lines) + "\n")
    before = tree_digest(comp)
    result = _invoke(tmp_path, "run", "toy", monkeypatch=monkeypatch)
    fields = len(lines[0].split(","))
    _refused(result, f"{role}.csv:{len(lines)}", f"3 fields but the header has {fields}")
    _nothing_lost(comp, tmp_path, before)


def test_row_with_an_extra_field(competition, monkeypatch, tmp_path) -> None:
    """Case: the first data row with one field too many made pandas take the first column
    as the index, shifting every column; now refused naming the line."""
    comp, _ = competition
    path = comp / "data" / "test.csv"
    lines = path.read_text().splitlines()
    lines[1] += ",9"
    path.write_text("\n".join(lines) + "\n")
    result = _invoke(tmp_path, "validate", "toy", monkeypatch=monkeypatch)
    _refused(result, "test.csv:2", "row has 8 fields but the header has 7")


def test_duplicate_key_in_competition_yaml(competition, monkeypatch, tmp_path) -> None:
    """Case: a key given twice in competition.yaml (the last one silently won); now one
    line naming the file, the key and both lines."""
    comp, _ = competition
    cfg = comp / "competition.yaml"
    text = cfg.read_text()
    first = text.splitlines().index("seed: 7") + 1
    cfg.write_text(text + "seed: 3\n")
    n = len(cfg.read_text().splitlines())
    result = _invoke(tmp_path, "validate", "toy", monkeypatch=monkeypatch)
    _refused(result, f"competition.yaml:{n}", "'seed' given twice", f"line {first}")


def test_duplicate_key_in_pipeline_yaml(make_competition, monkeypatch, tmp_path) -> None:
    """Case: a key given twice in a pipeline YAML (a nested one: the model's params)."""
    make_competition(config={"pipeline": "dup"})
    (tmp_path / "pipelines" / "dup.yaml").write_text(
        "models:\n  lgb:\n    use: lightgbm\n    params:\n      n_estimators: 10\n"
        "      num_leaves: 7\n      n_estimators: 500\n"
    )
    result = _invoke(tmp_path, "validate", "toy", monkeypatch=monkeypatch)
    _refused(result, "dup.yaml:7", "'n_estimators' given twice", "line 5")


def test_n_splits_disagrees_with_fold_column(make_competition, monkeypatch, tmp_path) -> None:
    """Case: `cv.n_splits: 3` with a fold column holding 5 folds ran 5 folds; now refused
    naming cv.n_splits, the column and both counts. Without cv.n_splits the column's
    folds are used."""

    def edit(train, test, sample):
        train["fold"] = np.arange(len(train)) % 5

    cfg = {"cv": {"scheme": "fold_column", "fold_column": "fold", "n_splits": 3}}
    comp = make_competition(edit=edit, config=cfg)
    result = _invoke(tmp_path, "validate", "toy", monkeypatch=monkeypatch)
    _refused(result, "competition.yaml", "cv.n_splits is 3", "'fold' holds 5 folds")
    del cfg["cv"]["n_splits"]
    make_competition(edit=edit, config=cfg)
    result = _invoke(tmp_path, "validate", "toy", monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    assert "fold_column, 5 splits" in result.output
    assert comp.exists()


def test_blend_same_run_twice(competition, monkeypatch, tmp_path) -> None:
    """Case: `podium blend --runs X,X` blended a run with itself; now refused naming the
    run, before anything is logged."""
    comp, before = competition
    result = _invoke(tmp_path, "blend", "toy", "--runs", "abc123, abc123",
                     monkeypatch=monkeypatch)  # fmt: skip
    _refused(result, "--runs", "'abc123' is named twice")
    _nothing_lost(comp, tmp_path, before)


@pytest.mark.parametrize("how", [("--seed", "-1"), ("--set", "seed=-1")])
def test_negative_seed_names_seed(competition, monkeypatch, tmp_path, how) -> None:
    """Case: a negative seed blamed `cv.seed` (no such key) in competition.yaml; now the
    line names `seed` and where it was set."""
    result = _invoke(tmp_path, "validate", "toy", *how, monkeypatch=monkeypatch)
    line = _refused(result, "seed: must be >= 0, got -1", how[0])
    assert "cv.seed" not in line


def test_negative_seed_in_yaml(make_competition, monkeypatch, tmp_path) -> None:
    """Case: `seed: -1` in competition.yaml is named as the file's `seed` key."""
    make_competition(config={"seed": -1})
    result = _invoke(tmp_path, "validate", "toy", monkeypatch=monkeypatch)
    line = _refused(result, "competition.yaml: seed: must be >= 0, got -1")
    assert "cv.seed" not in line


@pytest.mark.parametrize("key", ["cv..n_splits", ".cv", "cv.", "models..use"])
def test_malformed_set_key_path(competition, monkeypatch, tmp_path, key) -> None:
    """Case: `--set cv..n_splits=3` gave a garbled message; now one line saying the key
    path is malformed."""
    result = _invoke(tmp_path, "validate", "toy", "--set", f"{key}=3", monkeypatch=monkeypatch)
    _refused(result, f"--set {key}", f"key path {key!r} is malformed")


def test_ids_print_as_plain_values(make_competition, monkeypatch, tmp_path) -> None:
    """Case: ids printed as `np.int64(1003)` in messages; now as `1003`."""

    def edit(train, test, sample):
        train.loc[3, "id"] = train.loc[2, "id"]

    make_competition(edit=edit)
    result = _invoke(tmp_path, "validate", "toy", monkeypatch=monkeypatch)
    line = _refused(result, "train.csv", "1 duplicate ids (1002)")
    assert "np." not in line


@pytest.mark.parametrize("command", ["validate", "run"])
def test_text_in_a_numeric_column_of_test(make_competition, monkeypatch, tmp_path, command):
    """Case: `x1` numeric in train and text in one test row. `validate` said ok and `run`
    failed after training naming no file; now both refuse naming the test file, the
    column, the value and its row, before training."""

    def edit(train, test, sample):
        test["x1"] = test["x1"].astype(object)
        test.loc[4, "x1"] = "n/a?"

    comp = make_competition(edit=edit)
    before = tree_digest(comp)
    result = _invoke(tmp_path, command, "toy", monkeypatch=monkeypatch)
    _refused(result, "test.csv", "'x1' is numeric in train.csv", "'n/a?' at data row 5")
    _nothing_lost(comp, tmp_path, before)


def test_blanks_in_a_numeric_column_of_test_are_missing(make_competition, monkeypatch,
                                                       tmp_path) -> None:  # fmt: skip
    """Case (the lenient side): blanks alone in a numeric test column are missing values,
    said in a notice, and the run's checks pass."""

    def edit(train, test, sample):
        test["x1"] = test["x1"].astype(object)
        test.loc[4, "x1"] = " "

    make_competition(edit=edit)
    result = _invoke(tmp_path, "validate", "toy", monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    assert "blank values in test.csv read as missing: x1" in result.output


@pytest.fixture
def full_store(tmp_path, podium_cli, make_competition) -> Iterator[Path]:
    """An MLflow SQLite store on a real 2 MiB tmpfs, created (by `podium runs`), then the
    disk filled."""
    with _tmpfs(tmp_path / "store-disk", "2m") as mnt:
        make_competition()
        env = {"MLFLOW_TRACKING_URI": f"sqlite:///{mnt}/mlflow.db"}
        created = podium_cli("runs", "toy", env=env)
        assert created.returncode == 0, created.stderr
        assert (mnt / "mlflow.db").exists()
        _fill(mnt)
        yield mnt


def test_full_disk_under_the_store(podium_cli, tmp_path, full_store) -> None:
    """Case: a full disk under mlflow.db printed ~95 lines (MLflow's logged traceback)
    and hid the cause; now one error line naming the store and "no space left on
    device", exit 2, and no submission."""
    db = full_store / "mlflow.db"
    done = podium_cli("run", "toy", env={"MLFLOW_TRACKING_URI": f"sqlite:///{db}"})
    assert done.returncode == 2, done.stderr
    line = _error_line(done.stderr)
    assert str(db) in line and "no space left on device" in line, line
    noise = [ln for ln in done.stderr.splitlines()
             if not re.match(r"(column |run |target_transform|lgb|error:)", ln)]  # fmt: skip
    assert noise == [], done.stderr
    subs = tmp_path / "competitions" / "toy" / "submissions"
    assert not subs.exists() or not any(subs.iterdir())


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_submission_mode_follows_umask(tmp_path, umask) -> None:
    """Case: submissions were created mode 0600 whatever the umask; a written submission's
    mode is 0666 & ~umask."""
    old = os.umask(umask)
    try:
        path = write_submission(pd.DataFrame({"id": [1, 2], "target": [0.1, 0.9]}),
                                tmp_path / "sub.csv")  # fmt: skip
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert pd.read_csv(path)["id"].tolist() == [1, 2]


def test_yaml_merge_keys_still_allowed(tmp_path) -> None:
    """Case (not refused): a key that overrides a `<<` merge is not a repeated key."""
    from podium.config import read_yaml

    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump({"base": {"x": 1}}) + "m:\n  <<: {x: 1, y: 2}\n  x: 5\n")
    assert read_yaml(path)["m"] == {"x": 5, "y": 2}


def test_full_artifact_disk_publishes_no_submission(make_competition, podium_cli, tmp_path,
                                                    small_disk) -> None:
    """Case: the MLflow artifact folder is on a full disk (a real tmpfs, filled) while the
    database is not. Logging fails after training: exit 2, one error line, the run ended
    FAILED (none RUNNING) and no submission published at the default path (the submission
    is renamed into place only once the run is recorded)."""
    make_competition()
    (tmp_path / "mlruns").mkdir(exist_ok=True)
    artifacts = tmp_path / "mlruns" / "artifacts"
    artifacts.symlink_to(small_disk, target_is_directory=True)
    _fill(small_disk)
    done = podium_cli("run", "toy", env=_env(tmp_path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert _error_line(done.stderr)
    subs = tmp_path / "competitions" / "toy" / "submissions"
    assert not subs.exists() or not [p for p in subs.iterdir() if p.suffix == ".csv"], (
        list(subs.iterdir())
    )
    states = run_states(tmp_path / "mlruns" / "mlflow.db")
    assert states and "RUNNING" not in {st for _, st in states}, states
    assert any(st == "FAILED" for name, st in states if name.startswith("fast-")), states
