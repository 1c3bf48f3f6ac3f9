"""The ``categorical`` stage on integer columns named in ``columns`` (codes such as ids)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from podium.stages import CategoricalEncoder

TRAIN = pd.DataFrame({"mgr": [10, 2, 2, 30, 10, 2], "x": np.arange(6.0)})
# read from a file with a missing value, the codes become float64; 99 is unseen
TEST = pd.DataFrame({"mgr": [2.0, np.nan, 99.0, 30.0], "x": np.arange(4.0)})


def test_native_casts_codes_to_category_and_unseen_codes_are_nan() -> None:
    enc = CategoricalEncoder(encoding="native", columns=["mgr"]).fit(TRAIN)
    out = enc.transform(TEST)
    assert isinstance(out["mgr"].dtype, pd.CategoricalDtype)
    assert list(out["mgr"].cat.categories) == ["2", "10", "30"]  # numeric order
    assert out["mgr"].astype(object).tolist()[0] == "2" and out["mgr"].iloc[3] == "30"
    assert out["mgr"].isna().tolist() == [False, True, True, False]
    assert out["x"].equals(TEST["x"])


def test_ordinal_codes_keep_numeric_order() -> None:
    out = CategoricalEncoder(encoding="ordinal", columns=["mgr"]).fit(TRAIN).transform(TEST)
    assert out["mgr"].tolist() == [0.0, -1.0, -1.0, 2.0]


@pytest.mark.parametrize("min_frequency", [None, 2])
def test_onehot_codes_and_unseen_rows_are_zero(min_frequency) -> None:
    enc = CategoricalEncoder(encoding="onehot", columns=["mgr"], min_frequency=min_frequency)
    out = enc.fit(TRAIN).transform(TEST)
    ones = out.filter(like="mgr_")
    assert "mgr" not in out
    assert ones.iloc[0].max() == 1.0 and ones.filter(like="mgr_2").iloc[0].sum() == 1.0
    if min_frequency is None:
        assert ones.columns.tolist() == ["mgr_10", "mgr_2", "mgr_30"]
        assert ones.iloc[1:3].sum().sum() == 0.0  # missing and unseen: all-zero rows


def test_text_columns_unchanged_by_default() -> None:
    X = TRAIN.assign(s=pd.Series(["a", "b", None, "a", "b", "c"], dtype="str"))
    out = CategoricalEncoder().fit(X).transform(X)
    assert out["mgr"].dtype == np.int64  # integers are only categories when named
    assert list(out["s"].cat.categories) == ["a", "b", "c"]
