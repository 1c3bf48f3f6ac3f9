"""category_parts: quantities with units, token flags and missing flags of text categoricals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from podium.exceptions import ConfigError
from podium.stages import BUILTIN_STAGES, CategoryParts
from podium.stages.parts import parse_quantities


def _frame(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    ages = np.array(["1 year", "3 weeks", "2 years", "5 months", "4 days", "10 years"])
    colours = np.array([f"{a}/{b}" for a in ("Brown", "White", "Black", "Tan", "Red")
                        for b in ("White", "Black", "Cream", "Blue", "Gray")])
    names = np.array([f"n{i}" for i in range(60)], dtype=object)
    name = rng.choice(names, n)
    name[rng.random(n) < 0.3] = None
    return pd.DataFrame({
        "age": pd.Series(rng.choice(ages, n), dtype="str"),
        "colour": pd.Series(rng.choice(colours, n), dtype="str"),
        "name": pd.Series(name, dtype="str"),
        "sex": pd.Series(rng.choice(["M", "F"], n), dtype="str"),
        "x": rng.normal(size=n),
    })


def test_registered():
    assert BUILTIN_STAGES["category_parts"] is CategoryParts


def test_quantities_with_time_units_become_days():
    X = _frame()
    out = CategoryParts().fit(X).transform(X)
    want = {"1 year": 365.25, "3 weeks": 21.0, "5 months": 5 * 30.4375, "4 days": 4.0}
    got = dict(zip(out["age"], out["age__value"], strict=True))
    for text, days in want.items():
        assert got[text] == pytest.approx(days)
    assert list(out.columns[:5]) == list(X.columns)  # originals kept, in order


def test_one_unknown_unit_is_kept_as_written_and_mixed_units_are_skipped():
    one = pd.DataFrame({"w": pd.Series(["3 kg", "5 kg", "7.5 kg", None] * 10, dtype="str")})
    out = CategoryParts().fit(one).transform(one)
    assert np.isnan(out["w__value"].iloc[3])
    assert out["w__value"].tolist()[:3] == [3.0, 5.0, 7.5]
    mixed = pd.DataFrame({"w": pd.Series(["3 kg", "5 lb", "7 m"] * 10, dtype="str")})
    assert "w__value" not in CategoryParts().fit(mixed).transform(mixed)


def test_token_flags_of_compound_values():
    X = _frame()
    st = CategoryParts().fit(X)
    out = st.transform(X)
    assert "colour" in st.tokens_ and "White" in st.tokens_["colour"]
    white = out["colour"].str.split("/").map(lambda p: "White" in p).astype(float)
    np.testing.assert_array_equal(out["colour__has_White"].to_numpy(), white.to_numpy())
    # names: as many tokens as values, no flags; sex: too few values
    assert "name" not in st.tokens_ and "sex" not in st.tokens_


def test_missing_flag_only_for_columns_of_many_values():
    X = _frame()
    st = CategoryParts().fit(X)
    out = st.transform(X)
    assert st.missing_ == ["name"]
    np.testing.assert_array_equal(out["name__isna"].to_numpy(), X["name"].isna().to_numpy(float))


def test_learned_on_training_rows_and_unseen_values_are_handled():
    X = _frame()
    st = CategoryParts().fit(X)
    test = pd.DataFrame({"age": ["7 weeks", None], "colour": ["Purple/White", None],
                         "name": [None, "zz"], "sex": ["M", "F"], "x": [0.0, 1.0]})
    test = test.astype({c: "str" for c in ("age", "colour", "name", "sex")})
    out = st.transform(test)
    assert out["age__value"].iloc[0] == 49.0 and np.isnan(out["age__value"].iloc[1])
    assert out["colour__has_White"].tolist() == [1.0, 0.0]
    assert out["name__isna"].tolist() == [1.0, 0.0]
    assert list(out.columns) == st.feature_names_out_


def test_columns_limit_the_inspected_columns_and_unknown_names_raise():
    X = _frame()
    out = CategoryParts(columns=["colour"]).fit(X).transform(X)
    assert not any(c.startswith(("age__", "name__")) for c in out.columns)
    with pytest.raises(ConfigError, match="colr"):
        CategoryParts(columns=["colr"]).fit(X)


def test_no_text_columns_returns_the_frame_unchanged():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0, 1, 0]})
    out = CategoryParts().fit(X).transform(X)
    pd.testing.assert_frame_equal(out, X)


def test_parse_quantities():
    number, unit = parse_quantities(pd.Series(["2 Years", "1 month", "x", "3.5hrs"]))
    assert number.tolist()[:2] == [2.0, 1.0] and np.isnan(number.iloc[2])
    assert unit.tolist()[:2] == ["year", "month"] and unit.iloc[3] == "hr"
