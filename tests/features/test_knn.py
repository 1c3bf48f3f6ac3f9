"""KNNFeatures: values from a naive loop, out-of-fold neighbours, grouped and time folds."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.utils.estimator_checks import parametrize_with_checks

from podium.cv import SplitContext
from podium.exceptions import ConfigError
from podium.features import knn as knn_module
from podium.features.knn import TREE_MAX_FEATURES, KNNFeatures, choose_algorithm
from podium.stages import StageChain

HAS_FAISS = importlib.util.find_spec("faiss") is not None


def _data(n: int = 120, d: int = 3, n_classes: int = 2, seed: int = 0, nan: bool = True):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, d)), columns=[f"f{i}" for i in range(d)])
    if nan:
        X.iloc[rng.choice(n, 6, replace=False), 0] = np.nan
    X["name"] = pd.Series(rng.choice(["a", "b"], n), dtype="str")
    y = rng.integers(0, n_classes, n) if n_classes else X["f1"].to_numpy() * 3 + rng.normal(size=n)
    return X, y


def _prepare(X: pd.DataFrame, cols: list[str], fit_rows: pd.DataFrame, metric: str) -> np.ndarray:
    """Median-impute and standardise with the statistics of ``fit_rows`` (a plain recipe)."""
    med = fit_rows[cols].median()
    filled_fit = fit_rows[cols].fillna(med)
    mean, std = filled_fit.mean(), filled_fit.std(ddof=0)
    Z = ((X[cols].fillna(med) - mean) / std).to_numpy()
    if metric == "cosine":
        Z = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    return Z


def _naive(query, index, target, ks, classes, metric, distances=False):
    """Expected features, one row and one class at a time (``classes`` None: regression)."""
    rows = []
    for q in query:
        if metric == "cosine":
            d = np.array([1.0 - q @ a for a in index])
        else:
            d = np.array([np.sqrt(((q - a) ** 2).sum()) for a in index])
        feats = []
        if classes is not None:
            for c in classes:
                dc = np.sort(d[target == c])
                feats += [dc[: min(k, len(dc))].mean() if len(dc) else np.nan for k in ks]
        else:
            order = np.argsort(d)
            feats += [target[order[:k]].mean() for k in ks]
            if distances:
                feats += [d[order[:k]].mean() for k in ks]
        rows.append(feats)
    return np.array(rows)


CASES = [
    dict(n_classes=2, metric="euclidean", algorithm="brute"),
    dict(n_classes=3, metric="euclidean", algorithm="brute", sklearn_brute=True),
    dict(n_classes=3, metric="euclidean", algorithm="kd_tree"),
    dict(n_classes=3, metric="cosine", algorithm="ball_tree"),
    dict(n_classes=0, metric="euclidean", algorithm="auto", distances=True),
    dict(n_classes=0, metric="cosine", algorithm="brute"),
]
if HAS_FAISS:
    CASES.append(dict(n_classes=2, metric="euclidean", algorithm="faiss"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c.values())))
def test_values_equal_naive_loop(case, monkeypatch) -> None:
    if case.get("sklearn_brute"):  # scikit-learn's search, not the small-problem NumPy path
        monkeypatch.setattr(knn_module, "SMALL_PAIRS", 0)
    n_classes = case["n_classes"]
    X, y = _data(n_classes=n_classes, seed=n_classes)
    classes = np.unique(y) if n_classes else None
    ks = (1, 3, 5)
    knn = KNNFeatures(
        ks=ks,
        metric=case["metric"],
        algorithm=case["algorithm"],
        distances=case.get("distances", False),
        n_splits=4,
        random_state=3,
    )
    out = knn.fit_transform(X, y)
    cols = ["f0", "f1", "f2"]
    assert knn.columns_ == cols  # the text column is not used
    Z = _prepare(X, cols, X, case["metric"])
    expected = np.full((len(X), out.shape[1] - X.shape[1]), np.nan)
    for tr, va in knn.folds_.split():
        expected[va] = _naive(
            Z[va], Z[tr], y[tr], ks, classes, case["metric"], case.get("distances")
        )
    tol = 1e-4 if case["algorithm"] == "faiss" else 1e-9
    new = out.drop(columns=X.columns).to_numpy()
    np.testing.assert_allclose(new, expected, rtol=tol, atol=tol)
    pd.testing.assert_frame_equal(out[X.columns], X)

    X_test, _ = _data(n=30, n_classes=n_classes, seed=99)
    got = knn.transform(X_test).drop(columns=X.columns).to_numpy()
    want = _naive(
        _prepare(X_test, cols, X, case["metric"]),
        Z,
        y,
        ks,
        classes,
        case["metric"],
        case.get("distances"),
    )
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_names_follow_classes_and_ks() -> None:
    X, _ = _data(n=60, nan=False)
    y = np.array(["no", "yes", "maybe"] * 20)
    names = KNNFeatures(ks=[2, 1]).fit(X, y).get_feature_names_out()
    assert list(names[X.shape[1] :]) == [
        f"knn_c{c}_k{k}" for c in ("maybe", "no", "yes") for k in (1, 2)
    ]
    names = (
        KNNFeatures(task="regression", prefix="nn").fit(X, np.arange(60.0)).get_feature_names_out()
    )
    assert list(names[X.shape[1] :]) == ["nn_mean_k1", "nn_mean_k2", "nn_mean_k4"]


def test_fold_partition_and_own_row_never_neighbour() -> None:
    X, y = _data(n=100, nan=False)
    knn = KNNFeatures(ks=(1,))
    oof = knn.fit_transform(X, y)
    fold = knn.folds_.fold
    assert sorted(np.unique(fold)) == list(range(5))
    for k, (tr, va) in enumerate(knn.folds_.split()):
        assert np.all(fold[va] == k) and not np.isin(tr, va).any()
    own = oof.filter(like="knn_c").to_numpy()[np.arange(100), y]
    assert (own > 1e-6).all()
    # fit().transform() indexes every row: each row finds itself at distance ~0 (brute
    # force computes |a|^2 + |b|^2 - 2ab, exact to ~1e-8)
    refit = knn.transform(X).filter(like="knn_c").to_numpy()[np.arange(100), y]
    assert (refit < 1e-6).all()


def test_duplicate_rows_in_one_group_never_meet() -> None:
    rng = np.random.default_rng(1)
    base = pd.DataFrame(rng.normal(size=(50, 2)), columns=["a", "b"])
    X = pd.concat([base, base], ignore_index=True)
    groups = np.tile(np.arange(50), 2)
    y = np.tile(rng.integers(0, 2, 50), 2)
    ctx = SplitContext(scheme="group_kfold", task="binary", groups=groups)
    knn = KNNFeatures(ks=(1,))
    oof = knn.fit_transform(X, y, split_context=ctx)
    own = oof[["knn_c0_k1", "knn_c1_k1"]].to_numpy()[np.arange(100), y]
    assert (own > 1e-6).all()
    for _, va in knn.folds_.split():
        inside = set(groups[va])
        assert not inside & set(groups[np.setdiff1d(np.arange(100), va)])
    # ungrouped folds put many copies in other folds: the test above can fail
    plain = KNNFeatures(ks=(1,)).fit_transform(X, y)
    assert (plain[["knn_c0_k1", "knn_c1_k1"]].to_numpy()[np.arange(100), y] < 1e-6).sum() > 20


def test_groups_fit_param_without_context_keeps_groups_whole() -> None:
    X, y = _data(n=90, nan=False)
    groups = np.arange(90) // 6
    knn = KNNFeatures(n_splits=3)
    knn.fit_transform(X, y, groups=groups)
    for _, va in knn.folds_.split():
        assert set(groups[va]).isdisjoint(groups[np.setdiff1d(np.arange(90), va)])


def test_time_context_uses_only_the_past() -> None:
    X, y = _data(n=120, nan=False)
    time = np.repeat(np.arange(12), 10)
    knn = KNNFeatures(ks=(1, 2), n_splits=3)
    out = knn.fit_transform(X, y, split_context=SplitContext(scheme="time", time=time))
    first = knn.folds_.fold == -1
    assert first.any() and out.loc[first, "knn_c0_k1"].isna().all()
    assert out.loc[~first].filter(like="knn_").notna().all().all()
    for tr, va in knn.folds_.split():
        assert time[tr].max() < time[va].min()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(25, 70),
    n_classes=st.sampled_from([0, 2, 3]),
    k=st.integers(0, 3),
)
def test_own_fold_targets_do_not_matter(seed: int, n: int, n_classes: int, k: int) -> None:
    """Changing y inside inner fold k leaves fold k's features unchanged."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    task = "regression" if n_classes == 0 else "multiclass"
    y = rng.normal(size=n) if n_classes == 0 else np.arange(n) % n_classes
    ctx = SplitContext(scheme="kfold", task=task)  # folds that do not depend on y
    knn = KNNFeatures(ks=(1, 2), n_splits=4, random_state=seed)
    before = knn.fit_transform(X, y, split_context=ctx)
    va = knn.folds_.valid_index(k)
    y2 = y.copy()
    y2[va] = (
        rng.normal(size=len(va)) * 10 if n_classes == 0 else rng.integers(0, n_classes, len(va))
    )
    if n_classes and len(np.unique(y2)) < n_classes:
        return  # a class vanished: the columns change, nothing to compare
    after = knn.fit_transform(X, y2, split_context=ctx)
    pd.testing.assert_frame_equal(before.iloc[va], after.iloc[va])


def test_changing_other_folds_targets_does_change_features() -> None:
    X, y = _data(n=80, nan=False, n_classes=0)
    ctx = SplitContext(scheme="kfold", task="regression")
    knn = KNNFeatures(n_splits=4)
    before = knn.fit_transform(X, y, split_context=ctx)
    va = knn.folds_.valid_index(0)
    after = knn.fit_transform(X, y + 100.0, split_context=ctx)
    assert not np.allclose(before.iloc[va]["knn_mean_k1"], after.iloc[va]["knn_mean_k1"])


def test_test_rows_are_independent_of_each_other() -> None:
    X, y = _data(nan=True)
    knn = KNNFeatures().fit(X, y)
    X_test, _ = _data(n=40, seed=5)
    full = knn.transform(X_test)
    part = X_test.iloc[::-3]
    pd.testing.assert_frame_equal(knn.transform(part), full.loc[part.index])


def test_missing_values_use_training_medians() -> None:
    X, y = _data(n=60, nan=False)
    knn = KNNFeatures(columns=["f0", "f1"], scale=False).fit(X, y)
    row = X.iloc[[0]].copy()
    row["f0"] = np.nan
    filled = row.copy()
    filled["f0"] = X["f0"].median()
    pd.testing.assert_frame_equal(
        knn.transform(row).filter(like="knn"), knn.transform(filled).filter(like="knn")
    )


def test_small_class_averages_what_it_has() -> None:
    X = pd.DataFrame({"a": [0.0, 1.0, 3.0, 10.0, 11.0, 20.0]})
    y = np.array([0, 0, 0, 0, 0, 1])
    out = KNNFeatures(ks=(1, 4), scale=False).fit(X, y).transform(pd.DataFrame({"a": [0.0]}))
    assert out["knn_c1_k1"].item() == 20.0 and out["knn_c1_k4"].item() == 20.0
    assert out["knn_c0_k4"].item() == pytest.approx((0 + 1 + 3 + 10) / 4)


def test_chain_passes_split_context() -> None:
    X, y = _data(n=80, nan=False)
    groups = np.arange(80) // 4
    ctx = SplitContext(scheme="group_kfold", task="binary", groups=groups)
    chain = StageChain([("knn", KNNFeatures())])
    via_chain = chain.fit_transform(X, y, split_context=ctx, groups=groups)
    direct = KNNFeatures().fit_transform(X, y, split_context=ctx)
    pd.testing.assert_frame_equal(via_chain, direct)


def test_choose_algorithm_rule() -> None:
    assert choose_algorithm(TREE_MAX_FEATURES, 100_000) == "kd_tree"
    assert choose_algorithm(TREE_MAX_FEATURES + 1, 100_000) == "brute"
    assert choose_algorithm(3, 500) == "brute"
    X, y = _data(n=3000, d=20, nan=False)
    assert KNNFeatures().fit(X, y).algorithm_ == "brute"


@pytest.mark.parametrize(
    ("params", "fit_kwargs", "match"),
    [
        ({}, {"y": None}, "stage 'knn_features' needs the target; it requires y"),
        ({"columns": ["f1", "ff2"]}, {}, "names column 'ff2'.* - did you mean 'f2'"),
        ({"columns": ["name"]}, {}, "must be numeric"),
        ({"ks": [0, 2]}, {}, "ks must be"),
        ({"ks": []}, {}, "ks must be"),
        ({"metric": "manhattan"}, {}, "metric must be"),
        ({"algorithm": "annoy"}, {}, "algorithm must be"),
        ({"n_splits": 1}, {}, "n_splits must be"),
    ],
)
def test_config_errors(params, fit_kwargs, match) -> None:
    X, y = _data(n=40, nan=False)
    kwargs = {"y": y, **fit_kwargs}
    with pytest.raises(ConfigError, match=match):
        KNNFeatures(**params).fit_transform(X, **kwargs)


OOF = (
    "fit_transform is out-of-fold by design (cross-fitting), so it differs from fit().transform()"
)


@parametrize_with_checks(
    [KNNFeatures(), KNNFeatures(task="regression", metric="cosine", distances=True)],
    expected_failed_checks=lambda est: {
        "check_transformer_general": OOF,
        "check_transformer_data_not_an_array": OOF,
    },
)
def test_sklearn_contract(estimator, check) -> None:
    check(estimator)


def test_engine_fold_predictions_ignore_own_targets() -> None:
    """Through run_cv: flipping y on outer fold 1 leaves fold 1's OOF predictions alone."""
    from podium.cv import build_folds
    from podium.engine.cv_loop import run_cv
    from podium.metrics import get_metric
    from podium.models.linear import LogisticRegressionAdapter
    from podium.stages import StandardScaler

    X, y = _data(n=200, nan=False)  # the model needs no NaN; the stage imputes its own
    groups = np.arange(200) // 5
    ctx = SplitContext(scheme="group_kfold", task="binary", groups=groups)
    folds = build_folds("group_kfold", n_rows=200, n_splits=4, seed=0, groups=groups)
    chain = StageChain(
        [("knn", KNNFeatures(columns=["f0", "f1", "f2"])), ("sc", StandardScaler())]
    )

    def oof(target: np.ndarray) -> np.ndarray:
        return run_cv(
            chain,
            LogisticRegressionAdapter(task="binary"),
            X.drop(columns="name"),
            target,
            folds=folds,
            metric=get_metric("roc_auc", "binary"),
            split_context=ctx,
        ).oof

    va = folds.valid_index(1)
    y2 = y.copy()
    y2[va] = 1 - y2[va]
    before, after = oof(y), oof(y2)
    np.testing.assert_array_equal(before[va], after[va])
    assert not np.array_equal(before[folds.valid_index(0)], after[folds.valid_index(0)])
