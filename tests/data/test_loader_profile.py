"""The loader's use of the profile: train-only columns dropped, datetimes parsed, the
datetime id kept as a feature, data.kinds checked; datetime64 columns reach models and
preprocessing stages without crashing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from podium.config import load_config
from podium.data import load_data
from podium.exceptions import ConfigError, DataError
from podium.models.gbdt import LightGBMAdapter
from podium.models.linear import LogisticRegressionAdapter
from podium.stages.categorical import CategoricalEncoder
from podium.stages.preprocess import Imputer, NumericCoercer


def _load(comp):
    cfg = load_config(comp, root=comp.parent.parent)
    return load_data(cfg.competition, comp / "data")


def _add_columns(train, test, sample):
    n, m = len(train), len(test)
    train["casual"] = np.arange(n) % 7  # in train only
    train["registered"] = np.arange(n) % 11
    stamps = pd.date_range("2016-01-01", periods=n + m, freq="h").strftime("%Y-%m-%d %H:%M:%S")
    train["when"] = stamps[:n]
    test["when"] = stamps[n:]
    train.loc[5, "when"] = "not a date"


def test_train_only_dropped_and_datetimes_parsed(make_competition) -> None:
    data = _load(make_competition(edit=_add_columns))
    assert "casual" not in data.train.columns and "registered" not in data.train.columns
    assert data.notices[0] == (
        "train-only columns dropped: casual, registered (absent from test.csv)"
    )
    assert data.profile.kinds["casual"] == "train_only"
    assert data.kinds["when"] == "datetime"
    for frame in (data.train, data.test):
        assert pd.api.types.is_datetime64_any_dtype(frame["when"].dtype)
    assert data.train["when"].isna().tolist().count(True) == 1  # "not a date" -> NaT
    assert data.test["when"].iloc[0] == pd.Timestamp("2016-01-01") + pd.Timedelta(hours=240)
    assert "datetime columns parsed to datetime64: when (1 unparseable values -> NaT)" in (
        data.notices
    )
    assert data.profile["color"].kind == "categorical"


def _two_date_formats(train, test, sample):
    n, m = len(train), len(test)
    days = pd.date_range("2016-01-01", periods=n + m, freq="D")
    text = [d.strftime("%Y-%m-%d" if i % 2 else "%m/%d/%Y") for i, d in enumerate(days)]
    train["when"], test["when"] = text[:n], text[n:]


def test_a_column_of_two_date_formats_is_parsed_and_says_how(make_competition) -> None:
    data = _load(make_competition(edit=_two_date_formats))
    n = len(data.train)
    assert data.kinds["when"] == "datetime"
    expected = pd.date_range("2016-01-01", periods=n, freq="D")
    assert (data.train["when"].to_numpy() == expected.to_numpy()).all()
    assert (
        "datetime columns parsed to datetime64: when (no one format fits: read value by "
        "value, 01/02 as January 2)"
    ) in data.notices


def _empty_in_test(train, test, sample):
    train["sensor"] = np.arange(len(train)) * 0.5
    test["sensor"] = np.nan  # a column of the test file with no value at all


def test_column_all_missing_in_test_dropped(make_competition) -> None:
    data = _load(make_competition(edit=_empty_in_test))
    assert data.profile.kinds["sensor"] == "train_only"
    assert data.profile["sensor"].reason.startswith("all missing in test.csv")
    assert "sensor" not in data.train.columns
    assert "columns all missing in test.csv dropped: sensor" in data.notices


def _row_numbers(train, test, sample):
    ids = np.arange(1, len(test) + 1)
    return train, test, pd.DataFrame({"ImageId": ids[::-1], "target": 0.5})


def test_null_id_with_sample_numbered_from_one(make_competition) -> None:
    """id null and a sample of 1..n (Digit Recognizer's ImageId): test row k is id k+1
    (was: 'ids in column 'ImageId' do not match the test ids (e.g. 80)')."""
    config = {"data.id": None, "data.drop": ["id", "grp", "day"], "submission.id": "ImageId"}
    data = _load(make_competition(config=config, edit=_row_numbers))
    assert data.test_ids.tolist() == list(range(1, 81))
    assert "data.id is null and sample_submission.csv's 'ImageId' is 1..80: " in data.notices[-1]


def _datetime_id(train, test, sample):
    n, m = len(train), len(test)
    stamps = pd.date_range("2011-01-01", periods=n + m, freq="h").strftime("%Y-%m-%d %H:%M:%S")
    train["id"], test["id"] = stamps[:n], stamps[n:]
    sample["id"] = stamps[n:]


@pytest.mark.parametrize("keep", [True, False])
def test_datetime_id_is_kept_as_a_feature(make_competition, keep) -> None:
    data = _load(make_competition(edit=_datetime_id, config={"data.datetime_id": keep}))
    assert data.profile.kinds["id"] == "datetime"
    assert ("id" in data.train.columns) is keep
    assert ("id" in data.test.columns) is keep
    if keep:
        assert data.train.columns[0] == "id"
        assert data.test["id"].iloc[0] == pd.Timestamp("2011-01-01 00:00:00") + pd.Timedelta(
            hours=240
        )
        assert any("id column 'id' is a datetime" in n for n in data.notices)
    assert data.test_ids.iloc[0] == "2011-01-11 00:00:00"  # the submission keeps the text


def test_integer_id_is_not_a_feature(make_competition) -> None:
    data = _load(make_competition())
    assert data.profile.kinds["id"] == "id"
    assert "id" not in data.train.columns
    assert data.notices == []


def _store_codes(train, test, sample):
    rng = np.random.default_rng(3)
    stores = rng.choice(90_000, 12, replace=False)
    train["store"] = rng.choice(stores, len(train))
    test["store"] = rng.choice(stores, len(test))


def test_kinds_override_and_codes_notice(make_competition) -> None:
    config = {"data.kinds": {"x1": "categorical", "day": "id"}}
    data = _load(make_competition(config=config, edit=_store_codes))
    assert data.kinds["x1"] == "categorical" and data.profile.kinds["day"] == "id"
    assert data.profile["x1"].inferred == "numeric"
    assert data.kinds["store"] == "categorical"
    assert data.notices == [
        "integer columns profiled as category codes: store "
        "(podium profile shows why; data.kinds sets a kind)"
    ]


def test_kinds_unknown_kind_is_a_config_error(make_competition) -> None:
    comp = make_competition(config={"data.kinds": {"x1": "categorial"}})
    with pytest.raises(ConfigError, match=r"data.kinds.*unknown kind 'categorial'.*'categorical'"):
        load_config(comp, root=comp.parent.parent)


def test_kinds_unknown_column_is_a_data_error(make_competition) -> None:
    comp = make_competition(config={"data.kinds": {"colour": "categorical"}})
    with pytest.raises(
        DataError, match=r"train.csv: data.kinds column 'colour' not found - did you mean 'color'"
    ):
        _load(comp)


def _frame_with_dates() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 200
    when = pd.Series(pd.date_range("2016-01-01", periods=n, freq="D"))
    when[3] = pd.NaT
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "when": when,
            "when_tz": pd.date_range("2016-01-01", periods=n, freq="D", tz="Europe/Paris"),
            "color": pd.Series(rng.choice(["a", "b", None], n), dtype="str"),
        }
    )
    y = (X["x"] + (np.arange(n) > 100) > 0.5).astype(int).to_numpy()
    return X, y


def test_models_read_datetime64_as_seconds() -> None:
    X, y = _frame_with_dates()
    prepared = CategoricalEncoder(encoding="native").fit_transform(Imputer().fit_transform(X))
    assert pd.api.types.is_datetime64_any_dtype(prepared["when"].dtype)
    proba = LightGBMAdapter(task="binary", params={"n_estimators": 20}).fit(prepared, y)
    assert proba.predict(prepared).shape == (200,)
    numeric = CategoricalEncoder(encoding="onehot").fit_transform(
        Imputer().fit_transform(X.drop(index=3))
    )
    logit = LogisticRegressionAdapter(task="binary").fit(numeric, y[numeric.index])
    assert np.isfinite(logit.predict(numeric)).all()


def test_seconds_since_epoch() -> None:
    from podium.models._columns import datetimes_as_seconds

    X = pd.DataFrame(
        {
            "d": pd.to_datetime(["1970-01-02", None]),
            "t": pd.to_datetime(["1970-01-01T01:00+01:00"] * 2),
        }
    )
    out = datetimes_as_seconds(X)
    assert out["d"].iloc[0] == 86400.0 and np.isnan(out["d"].iloc[1])
    assert out["t"].tolist() == [0.0, 0.0]


def test_stages_skip_datetime64() -> None:
    X, _ = _frame_with_dates()
    for stage in (NumericCoercer(), Imputer(), CategoricalEncoder(encoding="ordinal")):
        out = stage.fit_transform(X)
        assert out["when"].equals(X["when"]), type(stage).__name__
    assert Imputer().fit(X).text_columns_ == ["color"]
