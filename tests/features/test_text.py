"""TfidfSVD: shapes, values from plain scikit-learn, determinism, unseen words, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.estimator_checks import parametrize_with_checks

from podium.exceptions import ConfigError
from podium.features.text import TfidfSVD

WORDS = "red green blue apple pie sky night cold warm river stone tree".split()


def _frame(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    docs = [" ".join(rng.choice(WORDS, rng.integers(1, 7))) for _ in range(n)]
    title = [" ".join(rng.choice(WORDS[:5], 2)) for _ in range(n)]
    X = pd.DataFrame({"desc": docs, "title": title, "num": rng.normal(size=n)})
    X["desc"] = X["desc"].astype("str")
    X.loc[3, "desc"] = None
    return X


def test_shapes_names_and_dropped_text() -> None:
    X = _frame()
    out = TfidfSVD(columns=["desc", "title"], n_components=4).fit_transform(X)
    expected = ["num"] + [f"{c}_svd{i}" for c in ("desc", "title") for i in range(4)]
    assert list(out.columns) == expected
    assert out.shape == (60, 9) and (out.dtypes.iloc[1:] == np.float64).all()
    kept = TfidfSVD(columns=["desc"], n_components=3, keep_original=True).fit_transform(X)
    assert list(kept.columns) == ["desc", "title", "num", "desc_svd0", "desc_svd1", "desc_svd2"]


def test_default_columns_are_the_string_columns() -> None:
    X = _frame().assign(cat=lambda d: d["title"].astype("category"))
    stage = TfidfSVD(n_components=2).fit(X)
    assert stage.columns_ == ["desc", "title"]


def test_values_equal_plain_sklearn() -> None:
    X = _frame()
    stage = TfidfSVD(
        columns=["desc"], n_components=5, word_ngrams=[1, 2], char_ngrams=[2, 3], random_state=7
    )
    out = stage.fit(X.iloc[:40]).transform(X.iloc[40:])
    texts = X["desc"].fillna("").tolist()
    common = dict(sublinear_tf=True, max_features=50_000)
    word = TfidfVectorizer(ngram_range=(1, 2), **common).fit(texts[:40])
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), **common).fit(texts[:40])
    both = lambda t: sp.hstack([word.transform(t), char.transform(t)]).tocsr()  # noqa: E731
    svd = TruncatedSVD(5, random_state=7).fit(both(texts[:40]))
    np.testing.assert_allclose(
        out.filter(like="desc_svd").to_numpy(), svd.transform(both(texts[40:]))
    )


def test_deterministic_and_seeded() -> None:
    X = _frame(n=80)
    a = TfidfSVD(columns=["desc"], n_components=6).fit_transform(X)
    b = TfidfSVD(columns=["desc"], n_components=6).fit_transform(X)
    pd.testing.assert_frame_equal(a, b)


def test_unseen_words_missing_text_and_row_independence() -> None:
    X = _frame()
    stage = TfidfSVD(columns=["desc", "title"], n_components=3).fit(X)
    T = pd.DataFrame(
        {
            "desc": ["zebra quokka", None, "apple zebra"],
            "title": ["x", "red", ""],
            "num": [0.0, 1.0, 2.0],
        }
    )
    out = stage.transform(T)
    np.testing.assert_array_equal(out.loc[[0, 1], ["desc_svd0", "desc_svd1", "desc_svd2"]], 0.0)
    assert out.loc[2, "desc_svd0"] != 0.0
    pd.testing.assert_frame_equal(stage.transform(T.iloc[[2]]), out.iloc[[2]])


def test_vocabulary_comes_from_fitting_rows_only() -> None:
    X = _frame()
    fit_rows = X.assign(desc="apple pie")
    stage = TfidfSVD(columns=["desc"], n_components=2).fit(fit_rows)
    assert set(stage.vectorizers_["desc"][0].vocabulary_) == {"apple", "pie", "apple pie"}


def test_more_components_than_terms_pads_with_zeros() -> None:
    X = pd.DataFrame({"t": ["a bb", "bb cc", "a cc", None]})
    out = TfidfSVD(n_components=8, word_ngrams=[1, 1]).fit_transform(X)
    assert out.shape == (4, 8)
    np.testing.assert_array_equal(out[[f"t_svd{i}" for i in range(3, 8)]], 0.0)


def test_empty_vocabulary_gives_zeros() -> None:
    X = pd.DataFrame({"t": pd.Series(["", None, "  "], dtype="str")})
    out = TfidfSVD(columns=["t"], n_components=2).fit_transform(X)
    np.testing.assert_array_equal(out.to_numpy(), 0.0)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"columns": ["dsec"]}, "did you mean 'desc'"),
        ({"word_ngrams": None, "char_ngrams": None}, "set word_ngrams or char_ngrams"),
        ({"word_ngrams": [2, 1]}, "word_ngrams must be"),
        ({"n_components": 0}, "n_components must be"),
    ],
)
def test_config_errors(params, match) -> None:
    with pytest.raises(ConfigError, match=match):
        TfidfSVD(**params).fit(_frame())


# On numeric arrays there is no text column, so the default stage passes values through;
# the checks still cover the contract (params, clone, pickling, fitted state, n_features).
@parametrize_with_checks([TfidfSVD()])
def test_sklearn_contract(estimator, check) -> None:
    check(estimator)
