"""The practice competitions have the traits they are built for (small versions, fast)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from practice import grade, load_competition, prepare  # noqa: E402
from practice.access import COLUMNS  # noqa: E402
from practice.bike import FEATURES, TRAIN_ONLY  # noqa: E402

from podium.config import CompetitionConfig  # noqa: E402


@pytest.fixture(scope="module")
def comps(tmp_path_factory):
    root = tmp_path_factory.mktemp("practice")
    return prepare(root, ["employee_access", "bike_sharing"], small=True, seed=3)


def _read(comp, name):
    return pd.read_csv(comp.data_dir / name)


def test_access_integer_high_cardinality_with_unseen_test_values(comps):
    comp = comps["employee_access"]
    train, test = _read(comp, "train.csv"), _read(comp, "test.csv")
    assert list(train.columns) == ["ACTION", *COLUMNS]
    assert list(test.columns) == ["id", *COLUMNS]
    for col in COLUMNS:
        assert pd.api.types.is_integer_dtype(train[col]) and pd.api.types.is_integer_dtype(test[col])
    card = train[COLUMNS].nunique()
    assert card["RESOURCE"] >= 300 and card["MGR_ID"] >= 300 and card["ROLE_FAMILY_DESC"] >= 200
    assert (card >= 8).all()
    unseen = ~test["RESOURCE"].isin(set(train["RESOURCE"]))
    assert 0.02 < unseen.mean() < 0.3
    # ROLE_CODE relabels ROLE_TITLE one to one
    assert train.groupby("ROLE_TITLE")["ROLE_CODE"].nunique().max() == 1
    assert 0.90 < train["ACTION"].mean() < 0.97
    assert "ACTION" not in test.columns and not (comp.data_dir / "test_labels.csv").exists()


def _pair_gain(pairs: bool) -> float:
    """Test ROC-AUC that out-of-fold pair mean-encodings add to the single-column ones."""
    from practice.access import make_access
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    train, test, labels = make_access(0, n_train=20_000, n_test=10_000, pairs=pairs)
    y, prior = train["ACTION"].to_numpy(), train["ACTION"].mean()
    fold = np.arange(len(train)) % 5

    def encode(cols):
        key = train[cols[0]].to_numpy() * 10**6 + train[cols[-1]].to_numpy()
        tkey = test[cols[0]].to_numpy() * 10**6 + test[cols[-1]].to_numpy()
        oof = np.empty(len(train))
        for k in range(5):
            stats = pd.Series(y[fold != k]).groupby(key[fold != k]).agg(["sum", "count"])
            rate = (stats["sum"] + 5 * prior) / (stats["count"] + 5)
            oof[fold == k] = pd.Series(key[fold == k]).map(rate).fillna(prior).to_numpy()
        stats = pd.Series(y).groupby(key).agg(["sum", "count"])
        rate = (stats["sum"] + 5 * prior) / (stats["count"] + 5)
        return oof, pd.Series(tkey).map(rate).fillna(prior).to_numpy()

    singles = [encode([c]) for c in COLUMNS]
    duo = [encode(["RESOURCE", "ROLE_ROLLUP_2"]), encode(["RESOURCE", "ROLE_FAMILY"])]
    auc = []
    for feats in (singles, singles + duo):
        x = np.log(np.column_stack([f[0] for f in feats]))
        xt = np.log(np.column_stack([f[1] for f in feats]))
        model = LogisticRegression(max_iter=500).fit(x, y)
        auc.append(roc_auc_score(labels["ACTION"], model.predict_proba(xt)[:, 1]))
    return auc[1] - auc[0]


def test_access_signal_lives_partly_in_pairs():
    with_pairs, without = _pair_gain(True), _pair_gain(False)
    assert with_pairs > 0.015 and with_pairs > without + 0.01, (with_pairs, without)


def test_bike_timestamp_id_train_only_columns_and_day_split(comps):
    comp = comps["bike_sharing"]
    train, test = _read(comp, "train.csv"), _read(comp, "test.csv")
    assert list(test.columns) == ["datetime", *FEATURES]
    assert set(TRAIN_ONLY) <= set(train.columns) and not set(TRAIN_ONLY) & set(test.columns)
    assert comp.train_only == TRAIN_ONLY
    assert (train["count"] == train["casual"] + train["registered"]).all()
    stamp = pd.to_datetime(train["datetime"], format="%Y-%m-%d %H:%M:%S")
    assert train["datetime"].iloc[0] == "2011-01-01 00:00:00"
    assert (stamp.dt.minute == 0).all() and stamp.is_monotonic_increasing
    assert stamp.dt.day.max() == 19
    assert pd.to_datetime(test["datetime"]).dt.day.min() == 20
    by_hour = train[train["workingday"] == 1].groupby(stamp.dt.hour)["count"].mean()
    assert by_hour[8] > 3 * by_hour[3] and by_hour[17] > 3 * by_hour[3]
    weekend = train[train["workingday"] == 0]
    assert weekend["casual"].mean() > 2 * train[train["workingday"] == 1]["casual"].mean()
    for col in ("season", "holiday", "workingday", "weather", "humidity", "count"):
        assert pd.api.types.is_integer_dtype(train[col])


def test_configs_load_and_labels_stay_outside_the_data(comps):
    for comp in comps.values():
        cfg = CompetitionConfig.model_validate(comp.config)
        assert "pipeline" not in comp.config  # `podium run` with none named: podium's default
        assert comp.labels.parent == comp.data_dir.parent and comp.labels.is_file()
        assert sorted(p.name for p in comp.data_dir.iterdir()) == [
            "sample_submission.csv", "test.csv", "train.csv"]
        labels, sample = pd.read_csv(comp.labels), _read(comp, "sample_submission.csv")
        assert len(labels) == len(sample) == len(_read(comp, "test.csv"))
        assert cfg.data.target in labels.columns


def test_grade_scores_perfect_and_constant_submissions(comps, tmp_path):
    access, bike = comps["employee_access"], comps["bike_sharing"]
    labels = pd.read_csv(access.labels)
    perfect = pd.DataFrame({"id": labels["id"][::-1], "Action": labels["ACTION"][::-1] * 1.0})
    perfect.to_csv(tmp_path / "a.csv", index=False)
    assert grade(access, tmp_path / "a.csv") == 1.0
    labels = pd.read_csv(bike.labels)
    sub = pd.DataFrame({"datetime": labels["datetime"], "count": np.e - 1.0})
    sub.to_csv(tmp_path / "b.csv", index=False)
    want = np.sqrt(np.mean((1.0 - np.log1p(labels["count"])) ** 2))
    assert grade(bike, tmp_path / "b.csv") == pytest.approx(want)
    assert load_competition(access.comp_dir.parents[1], "employee_access") == access


def test_holdout_keeps_the_real_test_columns(tmp_path):
    from practice.holdout import HoldoutSpec, write_holdout

    rng = np.random.default_rng(0)
    src = tmp_path / "src"
    src.mkdir()
    n = 200
    train = pd.DataFrame({"RowID": [f"A{i}" for i in range(n)], "x": rng.normal(size=n),
                          "sub": rng.choice(["p", "q"], n), "y": rng.choice(["a", "b", "c"], n)})
    train.to_csv(src / "train.csv", index=False)
    pd.DataFrame(columns=["ID", "x"]).to_csv(src / "test.csv", index=False)
    cfg = {"name": "toy", "data": {"id": "ID", "target": "y", "train_filter": "x < 1.0"},
           "task": "multiclass",
           "metric": "logloss", "pipeline": "baseline",
           "submission": {"id": "ID", "target": "a", "kind": "probability"}}
    comp = write_holdout(tmp_path / "out", HoldoutSpec("toy", cfg, rename={"RowID": "ID"}), src)
    test, labels = _read(comp, "test.csv"), pd.read_csv(comp.labels)
    kept = int((train["x"] < 1.0).sum())
    assert list(test.columns) == ["ID", "x"] and len(test) == int(np.ceil(0.2 * kept))
    assert (test["x"] < 1.0).all() and len(test) + len(_read(comp, "train.csv")) == n
    assert list(_read(comp, "sample_submission.csv").columns) == ["ID", "a", "b", "c"]
    assert comp.train_only == ["sub"]
    assert not set(test["ID"]) & set(_read(comp, "train.csv")["ID"])
    counts = labels["y"].value_counts(normalize=True)
    assert (counts - train["y"].value_counts(normalize=True)).abs().max() < 0.03  # stratified
    assert "pipeline" not in comp.config and comp.name == "toy_holdout"
    sample = _read(comp, "sample_submission.csv")  # uniform over 3 classes: log loss ln 3
    assert grade(comp, comp.data_dir / "sample_submission.csv") == pytest.approx(np.log(3))
    sample[["a", "b", "c"]] = [2.0, 2.0, 2.0]  # rows rescaled to sum to 1 before scoring
    sample.to_csv(tmp_path / "s.csv", index=False)
    assert grade(comp, tmp_path / "s.csv") == pytest.approx(np.log(3))
    spec = HoldoutSpec("toy", cfg, rename={"RowID": "ID"})
    small = write_holdout(tmp_path / "small", spec, src, max_rows=100)
    assert len(_read(small, "train.csv")) + len(_read(small, "test.csv")) == 100
