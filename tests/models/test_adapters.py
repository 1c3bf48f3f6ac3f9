"""Tests of podium.models: every adapter behind the registry follows one contract."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

from podium.exceptions import ConfigError, DataError, NotFittedError
from podium.models import MODEL_ADAPTERS, ModelAdapter, get_adapter, make_model

pytestmark = pytest.mark.filterwarnings("error")

GBDTS = ["lightgbm", "xgboost", "catboost"]
SKLEARN = [
    "logistic_regression",
    "ridge",
    "lasso",
    "random_forest",
    "extra_trees",
    "knn",
    "linear",
]
SELF_ENCODING = ["sparse_linear"]  # reads text columns itself (one-hot, sparse)
SUPPORTED = {
    "lightgbm": {"binary", "multiclass", "regression"},
    "xgboost": {"binary", "multiclass", "regression"},
    "catboost": {"binary", "multiclass", "regression"},
    "logistic_regression": {"binary", "multiclass"},
    "ridge": {"regression"},
    "lasso": {"regression"},
    "random_forest": {"binary", "multiclass", "regression"},
    "extra_trees": {"binary", "multiclass", "regression"},
    "knn": {"binary", "multiclass", "regression"},
    "linear": {"binary", "multiclass", "regression"},
    "sparse_linear": {"binary", "multiclass", "regression"},
}
CASES = [(name, task) for name, tasks in SUPPORTED.items() for task in sorted(tasks)]
N_TRAIN = 240


def small_params(name: str, **extra: object) -> dict[str, object]:
    """Few iterations so the suite stays fast; a larger learning rate to compensate."""
    cls = MODEL_ADAPTERS[name]
    params: dict[str, object] = dict(extra)
    if cls.iteration_param:
        params.setdefault(cls.iteration_param, 40)
    if name in GBDTS:
        params.setdefault("learning_rate", 0.1)
    return params


def make_data(task: str, n: int = 320, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {"x1": rng.normal(size=n), "x2": rng.normal(size=n), "noise": rng.normal(size=n)}
    )
    signal = 1.5 * X["x1"] + X["x2"] + rng.normal(scale=0.5, size=n)
    if task == "binary":
        y = (signal > 0).astype(np.int64).to_numpy()
    elif task == "multiclass":
        y = np.digitize(signal, [-0.8, 0.8]).astype(np.int64)
    else:
        y = signal.to_numpy(dtype=float)
    return X, y


def fit(
    name: str, task: str, X: pd.DataFrame, y: np.ndarray, *, n_jobs: int = 1, seed: int = 0
) -> ModelAdapter:
    """Fit on one thread (fast on a busy machine); multi-threading is tested separately."""
    model = make_model(name, task=task, params=small_params(name), seed=seed, n_jobs=n_jobs)
    return model.fit(X, y)


# ------------------------------------------------------------------------ registry
def test_registry_names_and_class_variables() -> None:
    assert set(MODEL_ADAPTERS) == set(SUPPORTED)
    for name, cls in MODEL_ADAPTERS.items():
        assert cls.name == name
        assert set(cls.tasks) == SUPPORTED[name]
        assert cls.supports_early_stopping == (name in GBDTS)
        assert cls.needs_numeric == (name not in GBDTS + SELF_ENCODING)
    assert MODEL_ADAPTERS["catboost"].iteration_param == "iterations"
    assert MODEL_ADAPTERS["lightgbm"].iteration_param == "n_estimators"
    assert MODEL_ADAPTERS["knn"].iteration_param is None


def test_unknown_model_suggests_name() -> None:
    with pytest.raises(ConfigError, match="did you mean 'lightgbm'"):
        get_adapter("lightgbn")


def test_init_only_stores_arguments_and_clones() -> None:
    model = MODEL_ADAPTERS["lightgbm"](task="regression", params={"num_leaves": 7}, seed=3)
    assert model.get_params() == {
        "task": "regression",
        "params": {"num_leaves": 7},
        "seed": 3,
        "n_jobs": 2,
    }
    assert clone(model).get_params() == model.get_params()


# ------------------------------------------------------------------ core contract
@pytest.mark.parametrize(("name", "task"), CASES)
def test_fit_predict_contract(name: str, task: str) -> None:
    X, y = make_data(task)
    X_tr, y_tr, X_te, y_te = X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]
    model = fit(name, task, X_tr, y_tr)
    pred = model.predict(X_te)

    if task == "multiclass":
        assert pred.shape == (len(X_te), 3)
        assert np.all((pred >= 0) & (pred <= 1))
        np.testing.assert_allclose(pred.sum(axis=1), 1.0, atol=1e-6)
        assert accuracy_score(y_te, pred.argmax(axis=1)) > 0.6
    elif task == "binary":
        assert pred.shape == (len(X_te),)
        assert np.all((pred >= 0) & (pred <= 1))
        assert roc_auc_score(y_te, pred) > 0.8
    else:
        assert pred.shape == (len(X_te),)
        assert r2_score(y_te, pred) > 0.5

    importances = model.feature_importances_
    assert isinstance(importances, pd.Series)
    assert list(importances.index) == list(X.columns)
    assert importances.dtype == np.float64
    if name != "knn":
        assert importances["x1"] > importances["noise"]
    assert model.n_features_in_ == 3
    assert list(model.feature_names_in_) == list(X.columns)
    if name in GBDTS:
        assert model.best_iteration_ == 40
    else:
        assert model.best_iteration_ is None

    again = fit(name, task, X_tr, y_tr).predict(X_te)
    np.testing.assert_array_equal(pred, again)


@pytest.mark.parametrize("name", GBDTS + ["random_forest", "logistic_regression", "knn"])
def test_no_output_from_libraries(name: str, capfd: pytest.CaptureFixture[str]) -> None:
    X, y = make_data("binary")
    model = fit(name, "binary", X, y)
    model.predict(X)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_predict_uses_fit_column_order_and_ignores_extra_columns() -> None:
    X, y = make_data("regression")
    model = fit("lightgbm", "regression", X, y)
    shuffled = X[["noise", "x2", "x1"]].assign(extra=1.0)
    np.testing.assert_array_equal(model.predict(shuffled), model.predict(X))
    with pytest.raises(DataError, match="'x2'"):
        model.predict(X.drop(columns="x2"))


@pytest.mark.parametrize("name", ["lightgbm", "xgboost"])
def test_odd_column_names_are_accepted(name: str) -> None:
    X, y = make_data("binary")
    X.columns = ["a[0]", "b<1>", 'c:"x"']
    model = fit(name, "binary", X, y)
    assert list(model.feature_importances_.index) == list(X.columns)


def test_multiclass_with_a_class_missing_from_training() -> None:
    X, y = make_data("multiclass")
    keep = y != 1
    model = fit("logistic_regression", "multiclass", X[keep], y[keep])
    pred = model.predict(X)
    assert pred.shape == (len(X), 3)
    np.testing.assert_array_equal(pred[:, 1], 0.0)
    np.testing.assert_allclose(pred.sum(axis=1), 1.0)


def test_seed_reaches_the_library() -> None:
    X, y = make_data("regression")
    X_new, _ = make_data("regression", seed=5)
    first = fit("extra_trees", "regression", X, y).predict(X_new)
    other = fit("extra_trees", "regression", X, y, seed=1).predict(X_new)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("name", GBDTS + ["random_forest"])
def test_deterministic_with_two_threads(name: str) -> None:
    X, y = make_data("multiclass", n=400)
    X["x3"] = X["x1"] * X["noise"]  # more features -> more parallel work per split
    first = fit(name, "multiclass", X, y, n_jobs=2).predict(X)
    second = fit(name, "multiclass", X, y, n_jobs=2).predict(X)
    np.testing.assert_array_equal(first, second)


# ---------------------------------------------------------------- early stopping
@pytest.mark.parametrize("name", GBDTS)
@pytest.mark.parametrize("task", ["binary", "regression"])
def test_early_stopping_on_noise(name: str, task: str) -> None:
    X, _ = make_data(task)
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, len(X)) if task == "binary" else rng.normal(size=len(X))
    params = small_params(name, **{MODEL_ADAPTERS[name].iteration_param: 300})
    model = make_model(name, task=task, params=params, n_jobs=1)
    model.fit(
        X[:N_TRAIN], y[:N_TRAIN], eval_set=(X[N_TRAIN:], y[N_TRAIN:]), early_stopping_rounds=10
    )
    assert model.best_iteration_ is not None
    assert 1 <= model.best_iteration_ < 300

    refit = model.with_iterations(model.best_iteration_)
    assert "model_" not in vars(refit)
    with pytest.raises(NotFittedError):
        refit.predict(X)
    assert refit.params[refit.iteration_param] == model.best_iteration_
    assert refit.params["learning_rate"] == 0.1
    assert model.params[model.iteration_param] == 300  # original untouched
    # The eval set only decides when to stop: the first trees are the same.
    refit.fit(X[:N_TRAIN], y[:N_TRAIN])
    assert refit.best_iteration_ == model.best_iteration_
    np.testing.assert_allclose(refit.predict(X), model.predict(X), rtol=1e-6, atol=1e-9)


def test_models_without_early_stopping_ignore_eval_set() -> None:
    X, y = make_data("binary")
    plain = fit("random_forest", "binary", X, y).predict(X)
    model = make_model("random_forest", params=small_params("random_forest"), n_jobs=1)
    model.fit(X, y, eval_set=(X, y), early_stopping_rounds=5)
    np.testing.assert_array_equal(model.predict(X), plain)


def test_with_iterations_replaces_aliases() -> None:
    model = make_model("lightgbm", params={"num_iterations": 100, "num_leaves": 7})
    assert model.with_iterations(12).params == {"n_estimators": 12, "num_leaves": 7}
    assert model.params == {"num_iterations": 100, "num_leaves": 7}


def test_with_iterations_errors() -> None:
    with pytest.raises(ConfigError, match="no iteration count"):
        make_model("knn").with_iterations(10)
    with pytest.raises(ConfigError, match="positive integer"):
        make_model("xgboost").with_iterations(0)


# ------------------------------------------------------------------ categoricals
def categorical_data(kind: str) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(2)
    n = 300
    levels = rng.choice(["red", "green", "blue"], n)
    values = pd.Series(levels).where(rng.random(n) > 0.1)  # ~10% missing
    num = pd.Series(rng.normal(size=n)).where(rng.random(n) > 0.1)
    X = pd.DataFrame({"colour": values, "num": num})
    if kind == "category":
        X["colour"] = X["colour"].astype("category")
    y = ((levels == "red") ^ (rng.random(n) < 0.1)).astype(np.int64)
    X_test = pd.DataFrame(
        {"colour": ["red", "purple", None, "blue", "green"], "num": [0.1, np.nan, 1.0, 2.0, 0.0]}
    )
    if kind == "category":
        X_test["colour"] = X_test["colour"].astype("category")
    return X, y, X_test


@pytest.mark.parametrize("name", GBDTS)
@pytest.mark.parametrize("kind", ["category", "str"])
def test_gbdt_categoricals_with_nan_and_unseen_levels(name: str, kind: str) -> None:
    X, y, X_test = categorical_data(kind)
    if kind == "str":
        assert X["colour"].dtype == "str"  # pandas 3 default text dtype
    model = fit(name, "binary", X[:200], y[:200])
    assert roc_auc_score(y[200:], model.predict(X[200:])) > 0.75
    pred = model.predict(X_test)
    assert pred.shape == (5,)
    assert np.all(np.isfinite(pred) & (pred >= 0) & (pred <= 1))
    assert pred[0] > pred[3]  # red is the positive class
    np.testing.assert_array_equal(fit(name, "binary", X[:200], y[:200]).predict(X_test), pred)


@pytest.mark.parametrize("name", GBDTS)
@pytest.mark.parametrize("kind", ["category", "str"])
def test_gbdt_categorical_with_no_value_in_the_fitting_rows(name: str, kind: str) -> None:
    # An early-stopping split of a small fold can leave a rare categorical column with no
    # value at all: XGBoost crashed on its empty category list ("cannot call `vectorize` on
    # size 0 inputs", house_prices at 1,166 rows); the column is all missing, as it is.
    X, y, X_test = categorical_data(kind)
    X["rare"] = pd.Series([None] * len(X), dtype="str")
    X_test["rare"] = pd.Series(["a", None, "b", None, "a"], dtype="str")
    if kind == "category":
        X["rare"] = pd.Categorical(X["rare"], categories=["a", "b"])
        X_test["rare"] = X_test["rare"].astype("category")
    model = fit(name, "binary", X[:200], y[:200])
    pred = model.predict(X_test)
    assert pred.shape == (5,) and np.all(np.isfinite(pred))
    X_eval = X[200:].copy()
    es = make_model(name, task="binary", params=small_params(name), n_jobs=1).fit(
        X[:200], y[:200], eval_set=(X_eval, y[200:]), early_stopping_rounds=5
    )
    assert np.all(np.isfinite(es.predict(X_test)))


@pytest.mark.parametrize("name", SKLEARN)
@pytest.mark.parametrize("kind", ["category", "str"])
def test_sklearn_models_reject_text_columns(name: str, kind: str) -> None:
    X, y, _ = categorical_data(kind)
    task = "regression" if name in ("ridge", "lasso") else "binary"
    with pytest.raises(
        ConfigError, match=r"'colour'.*'categorical' stage \(encoding: onehot or ordinal\)"
    ):
        fit(name, task, X.assign(num=X["num"].fillna(0.0)), y)


def test_models_without_nan_support_name_the_column() -> None:
    X, y, _ = categorical_data("category")
    X = X.drop(columns="colour")
    with pytest.raises(ConfigError, match="missing values.*'num'"):
        fit("logistic_regression", "binary", X, y)
    fit("random_forest", "binary", X, y)  # forests accept NaN


# -------------------------------------------------------------------- bad config
@pytest.mark.parametrize(
    ("name", "bad", "suggestion"),
    [
        ("random_forest", "n_estimator", "n_estimators"),
        ("logistic_regression", "max_iters", "max_iter"),
        ("ridge", "alpah", "alpha"),
        ("knn", "n_neighbours", "n_neighbors"),
        ("extra_trees", "max_depht", "max_depth"),
    ],
)
def test_unknown_sklearn_param(name: str, bad: str, suggestion: str) -> None:
    task = "regression" if name in ("ridge", "lasso") else "binary"
    with pytest.raises(ConfigError, match=rf"params\.{bad}: .*did you mean {suggestion!r}"):
        make_model(name, task=task, params={bad: 1})
    X, y = make_data(task)
    with pytest.raises(ConfigError, match="did you mean"):
        MODEL_ADAPTERS[name](task=task, params={bad: 1}).fit(X, y)


def test_invalid_sklearn_param_value_is_config_error() -> None:
    X, y = make_data("binary")
    with pytest.raises(ConfigError, match="C"):
        MODEL_ADAPTERS["logistic_regression"](params={"C": -1.0}).fit(X, y)


def test_gbdt_alias_conflict() -> None:
    with pytest.raises(ConfigError, match="aliases"):
        make_model("catboost", params={"iterations": 10, "n_estimators": 20})


@pytest.mark.parametrize(
    ("name", "task"), [("ridge", "binary"), ("logistic_regression", "regression")]
)
def test_unsupported_task(name: str, task: str) -> None:
    with pytest.raises(ConfigError, match="does not support task"):
        make_model(name, task=task)
    X, y = make_data(task)
    with pytest.raises(ConfigError, match="does not support task"):
        MODEL_ADAPTERS[name](task=task).fit(X, y)


def test_unknown_task_suggests() -> None:
    with pytest.raises(ConfigError, match="did you mean 'binary'"):
        make_model("lightgbm", task="binery")


def test_bad_targets() -> None:
    X, y = make_data("multiclass")
    with pytest.raises(DataError, match="0/1"):
        fit("lightgbm", "binary", X, y)
    with pytest.raises(DataError, match="single class"):
        fit("knn", "binary", X, np.zeros(len(X), dtype=int))
    with pytest.raises(DataError, match="rows"):
        fit("ridge", "regression", X, y[:-1].astype(float))


def test_not_fitted() -> None:
    model = make_model("xgboost")
    with pytest.raises(NotFittedError):
        model.predict(make_data("binary")[0])
    with pytest.raises(NotFittedError):
        _ = model.feature_importances_
    assert not hasattr(model, "best_iteration_")


@pytest.mark.parametrize("name", GBDTS)
def test_gbdt_early_stopping_with_categoricals_is_silent(
    name: str, capfd: pytest.CaptureFixture[str]
) -> None:
    X, y, X_test = categorical_data("category")
    X_eval = pd.concat([X[200:], X_test[:2]], ignore_index=True)  # unseen 'purple'
    y_eval = np.concatenate([y[200:], [1, 0]])
    model = make_model(name, params=small_params(name), n_jobs=1)
    model.fit(X[:200], y[:200], eval_set=(X_eval, y_eval), early_stopping_rounds=5)
    assert model.best_iteration_ is not None and model.best_iteration_ <= 40
    assert model.predict(X_test).shape == (5,)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.parametrize("name", ["lightgbm", "xgboost", "catboost", "random_forest", "ridge"])
def test_nullable_and_bool_columns(name: str) -> None:
    rng = np.random.default_rng(3)
    n = 200
    flag = rng.random(n) > 0.5
    X = pd.DataFrame(
        {
            "flag": flag,
            "count": pd.array(rng.integers(0, 5, n), dtype="Int64"),
            "maybe": pd.array(rng.random(n) > 0.5, dtype="boolean"),
            "f32": rng.normal(size=n).astype("float32"),
        }
    )
    if name not in ("ridge", "lasso"):  # linear models cannot take missing values
        X.loc[3, "count"] = pd.NA
        X.loc[4, "maybe"] = pd.NA
    y = flag * 2.0 + rng.normal(scale=0.1, size=n)
    model = fit(name, "regression", X, y)
    assert r2_score(y, model.predict(X)) > 0.8


@pytest.mark.parametrize("name", ["lightgbm", "catboost", "logistic_regression"])
def test_pickle_round_trip(name: str) -> None:
    X, y = make_data("binary")
    model = fit(name, "binary", X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    pd.testing.assert_series_equal(restored.feature_importances_, model.feature_importances_)
