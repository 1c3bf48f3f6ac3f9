"""The lean load: pyarrow CSV read as the C parser would, parquet/feather files, shared
category dtypes, int32 where it fits, and the fixed ``data.sample`` subset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from podium.config import RunRequest
from podium.data.csvfile import read_table
from podium.data.lean import downcast_integers, sample_rows, to_categories
from podium.engine.phases import PhaseClock
from podium.runner import plan_run


def test_csv_read_keeps_dates_as_text_and_falls_back_on_late_type_change(tmp_path) -> None:
    n = 200_000  # past pyarrow's first block: its type guess for "n" breaks at the end
    frame = pd.DataFrame({"day": ["2020-01-02"] * n, "n": np.arange(n).astype(str)})
    frame.loc[n - 1, "n"] = "oops"
    path = tmp_path / "train.csv"
    frame.to_csv(path, index=False)
    got = read_table(path, "train", tmp_path)
    assert isinstance(got["day"].dtype, pd.StringDtype) and got["day"].iloc[0] == "2020-01-02"
    assert isinstance(got["n"].dtype, pd.StringDtype) and got["n"].iloc[-1] == "oops"


@pytest.mark.parametrize("suffix", [".parquet", ".feather"])
def test_columnar_files_read_as_the_csv(tmp_path, suffix) -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", None, "z"], "c": [0.5, np.nan, 2.0]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    write = frame.to_parquet if suffix == ".parquet" else frame.to_feather
    write(tmp_path / f"t{suffix}")
    pd.testing.assert_frame_equal(
        read_table(tmp_path / f"t{suffix}", "train", tmp_path),
        read_table(tmp_path / "t.csv", "train", tmp_path),
    )


def test_broken_parquet_is_one_line(tmp_path) -> None:
    from podium.exceptions import DataError

    (tmp_path / "t.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match=r"t\.parquet: cannot read train file as parquet"):
        read_table(tmp_path / "t.parquet", "train", tmp_path)


def test_categories_are_shared_and_numbers_as_text_stay_text() -> None:
    train = pd.DataFrame({"c": ["b", "a", None], "n": ["1", "2", "3"]})
    test = pd.DataFrame({"c": ["z", "a", "b"], "n": ["4", "x", "5"]})
    assert to_categories(train, test, ["c", "n"]) == ["c"]
    assert list(train["c"].cat.categories) == ["a", "b", "z"]
    assert train["c"].dtype == test["c"].dtype and train["c"].isna().iloc[2]
    assert isinstance(train["n"].dtype, pd.StringDtype)


def test_integers_narrow_only_where_every_frame_fits() -> None:
    a = pd.DataFrame({"small": [1, 2], "big": [1, 2], "f": [0.1, 0.2]})
    b = pd.DataFrame({"small": [3, 4], "big": [1, 2**40], "f": [0.5, 1.0]})
    assert downcast_integers(a, b) == ["small"]
    assert a["small"].dtype == np.int32 and b["small"].dtype == np.int32
    assert a["big"].dtype == np.int64 and a["f"].dtype == np.float64


def test_sample_is_seeded_and_stratified() -> None:
    y = pd.Series(["a"] * 900 + ["b"] * 100)
    rows = sample_rows(1000, 0.1, 7, y)
    assert len(rows) == 100 and (y.iloc[rows] == "b").sum() == 10
    np.testing.assert_array_equal(rows, sample_rows(1000, 0.1, 7, y))
    assert not np.array_equal(rows, sample_rows(1000, 0.1, 8, y))


def test_sampled_plan_has_its_own_fingerprints(make_competition) -> None:
    root = make_competition(n_train=400).parent.parent
    full = plan_run(RunRequest("toy", root=root))
    half = plan_run(RunRequest("toy", root=root, overrides=["data.sample=0.5"]))
    again = plan_run(RunRequest("toy", root=root, overrides=["data.sample=0.5"]))
    assert len(half.data.train) == 200 and len(half.data.y) == 200
    assert half.data.fingerprint == f"{full.data.fingerprint}-sample0.5-seed7"
    assert half.folds.fingerprint != full.folds.fingerprint
    assert half.folds.fingerprint == again.folds.fingerprint
    pd.testing.assert_frame_equal(half.data.train, again.data.train)
    assert any(n.startswith("data.sample: 200 of the training rows") for n in half.data.notices)


def test_sample_must_be_a_fraction(make_competition) -> None:
    from podium.exceptions import ConfigError

    root = make_competition().parent.parent
    with pytest.raises(ConfigError, match="data.sample.*less than 1"):
        plan_run(RunRequest("toy", root=root, overrides=["data.sample=1.5"]))


def test_phase_clock_records_time_and_memory() -> None:
    clock = PhaseClock()
    with clock.phase("load"):
        blob = np.ones(20_000_000)  # 160 MB: the peak grows past it
    del blob
    secs, peak = clock.phases["load"]
    assert secs >= 0 and peak >= 160
    assert set(clock.metrics()) == {"phase_load_seconds", "phase_load_peak_rss_mb"}
    assert clock.lines()[0].startswith("phase load: ")


def test_verbose_run_prints_and_logs_phases(make_competition, monkeypatch) -> None:
    from mlflow import MlflowClient
    from typer.testing import CliRunner

    from podium.cli import app, commands  # noqa: F401

    comp = make_competition()
    monkeypatch.chdir(comp.parent.parent)
    res = CliRunner().invoke(app, ["-v", "run", "toy"])
    assert res.exit_code == 0, res.output
    for phase in ("load", "folds", "ensemble", "logging"):
        assert f"phase {phase}: " in res.output
    run_id = res.output.split("(")[-1].split(")")[0]
    client = MlflowClient(tracking_uri=f"sqlite:///{comp.parent.parent}/mlruns/mlflow.db")
    metrics = client.get_run(run_id).data.metrics
    assert metrics["phase_folds_peak_rss_mb"] > 0 and "phase_logging_seconds" in metrics
