"""sparse_linear: sparse one-hot + scaled numerics, then logistic regression / ridge."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.metrics import roc_auc_score

from podium.exceptions import ConfigError
from podium.models import make_model


def _frame(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    breed = pd.Series(rng.choice([f"b{i}" for i in range(300)], size=n), dtype="str")
    code = rng.integers(0, 8, size=n)
    X = pd.DataFrame(
        {
            "breed": breed,  # high cardinality: most levels are rare
            "code": code,  # integer codes, one-hot only when named
            "price": np.exp(rng.normal(3, 1, size=n)),  # skewed, non-negative
            "x": rng.normal(size=n),
        }
    )
    X.loc[rng.random(n) < 0.1, "x"] = np.nan
    X.loc[rng.random(n) < 0.05, "breed"] = None
    logit = 2 * (X["code"] % 2 == 0) + X["x"].fillna(0) - 1
    y = (logit + rng.logistic(size=n) > 0).astype(int).to_numpy()
    return X, y


def test_design_is_sparse_with_rare_levels_pooled() -> None:
    X, y = _frame()
    model = make_model("sparse_linear", params={"categorical": ["code"], "min_frequency": 5})
    model.fit(X, y)
    design = model._prepare(model._rename(X), fitting=False)
    assert sparse.issparse(design) and design.format == "csr"
    kept = (X["breed"].astype(object).fillna("nan").value_counts() >= 5).sum()
    # 2 numerics + 1 missing indicator (x) + breed's kept levels + other + 8 codes + other
    assert design.shape == (len(X), 2 + 1 + kept + 1 + 8 + 1)
    assert model.design_.log_ == [True, False]  # price is log1p'd, x is not
    imp = model.feature_importances_
    assert list(imp.index) == ["breed", "code", "price", "x"] and imp.idxmax() == "code"


def test_learns_named_integer_codes_and_survives_unseen_levels() -> None:
    X, y = _frame()
    test, y_test = _frame(seed=1)
    test.loc[:10, "breed"] = "never seen"
    test.loc[:5, "price"] = np.inf
    named = make_model("sparse_linear", params={"categorical": ["code"]}).fit(X, y)
    numeric = make_model("sparse_linear").fit(X, y)  # code is a number: x % 2 is not linear
    p_named, p_numeric = named.predict(test), numeric.predict(test)
    assert np.isfinite(p_named).all()
    assert roc_auc_score(y_test, p_named) > roc_auc_score(y_test, p_numeric) + 0.05


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_other_tasks(task: str) -> None:
    X, y = _frame()
    target = X["x"].fillna(0).to_numpy() * 3 + y if task == "regression" else y + (X["x"] > 0.5)
    model = make_model("sparse_linear", task=task, params={"C": 0.5, "alpha": 2.0}).fit(X, target)
    pred = model.predict(X)
    if task == "regression":
        assert type(model.estimator_).__name__ == "Ridge" and model.estimator_.alpha == 2.0
        assert np.corrcoef(pred, target)[0, 1] > 0.8
    else:
        assert pred.shape == (len(X), 3) and np.allclose(pred.sum(axis=1), 1)


def test_bad_params_are_one_line() -> None:
    with pytest.raises(ConfigError, match="did you mean 'min_frequency'"):
        make_model("sparse_linear", params={"min_frequencies": 3})
    with pytest.raises(ConfigError, match="min_frequency must be an integer >= 1"):
        make_model("sparse_linear", params={"min_frequency": 0})
    X, y = _frame(100)
    with pytest.raises(ConfigError, match="categorical column 'cod' is not a feature - did you mean 'code'"):
        make_model("sparse_linear", params={"categorical": ["cod"]}).fit(X, y)
