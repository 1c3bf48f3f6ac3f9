"""KNN features: distances to the nearest training rows of each class, or their mean target.

The course's "KNN features": for classification, for each class ``c`` and each ``k`` the
mean distance from a row to its ``k`` nearest training rows of class ``c``; for regression,
the mean target of the ``k`` nearest training rows. They need the target, so the stage is
cross-fitted (see :class:`KNNFeatures`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from podium._validate import Integral, Interval, check_param
from podium.cv import SplitContext
from podium.exceptions import ConfigError, DataError
from podium.features.crossfit import CrossFitStage, infer_task
from podium.stages.base import check_columns, stage_params

__all__ = ["KNNFeatures", "choose_algorithm", "TREE_MAX_FEATURES"]

ALGORITHMS = ("auto", "brute", "kd_tree", "ball_tree", "faiss")
METRICS = ("euclidean", "cosine")
TASKS = ("auto", "classification", "regression")
#: ``algorithm="auto"`` uses a k-d tree up to this many columns and brute force above it.
#: From ``bench/knn.py`` (BENCHMARKS.md, section knn): at 20 columns brute force beats the
#: trees ~12x, at 5 columns the k-d tree beats brute force ~5x; ball trees never won.
TREE_MAX_FEATURES = 8
#: Brute force on at most this many (query, indexed) pairs runs as one NumPy matrix:
#: scikit-learn's search costs ~50 ms per call in thread-pool set-up here, whatever the size.
SMALL_PAIRS = 1_000_000


def choose_algorithm(n_features: int, n_index: int) -> str:
    """The neighbour search ``algorithm="auto"`` uses (see :data:`TREE_MAX_FEATURES`).

    Brute force for few indexed rows (< 2000, where building a tree does not pay) or more
    than ``TREE_MAX_FEATURES`` columns; a k-d tree otherwise.
    """
    if n_index < 2_000 or n_features > TREE_MAX_FEATURES:
        return "brute"
    return "kd_tree"


def _kneighbors(
    index: np.ndarray, query: np.ndarray, k: int, algorithm: str, n_jobs: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Distances (ascending) and positions of the ``k`` nearest ``index`` rows per query row."""
    if len(query) == 0 or k == 0:
        return np.empty((len(query), k)), np.empty((len(query), k), dtype=np.int64)
    if algorithm == "brute" and len(query) * len(index) <= SMALL_PAIRS:
        return _brute_numpy(index, query, k)
    if algorithm == "faiss":
        import faiss  # optional; checked in fit

        flat = faiss.IndexFlatL2(index.shape[1])
        flat.add(np.ascontiguousarray(index, dtype=np.float32))
        d2, idx = flat.search(np.ascontiguousarray(query, dtype=np.float32), k)
        return np.sqrt(np.maximum(d2, 0.0)).astype(np.float64), idx.astype(np.int64)
    from sklearn.neighbors import NearestNeighbors  # imported when used: ~0.15 s

    nn = NearestNeighbors(n_neighbors=k, algorithm=algorithm, n_jobs=n_jobs).fit(index)
    return nn.kneighbors(query)


def _brute_numpy(index: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exhaustive search in one matrix, for small problems (see :data:`SMALL_PAIRS`)."""
    d2 = (query**2).sum(1)[:, None] + (index**2).sum(1)[None, :] - 2.0 * (query @ index.T)
    np.maximum(d2, 0.0, out=d2)
    if k < index.shape[0]:
        cand = np.argpartition(d2, k - 1, axis=1)[:, :k]
    else:
        cand = np.broadcast_to(np.arange(index.shape[0]), d2.shape)
    d2k = np.take_along_axis(d2, cand, axis=1)
    order = np.argsort(d2k, axis=1, kind="stable")
    idx = np.take_along_axis(cand, order, axis=1)
    return np.sqrt(np.take_along_axis(d2k, order, axis=1)), idx.astype(np.int64)


def _cumulative_means(values: np.ndarray, ks: list[int]) -> np.ndarray:
    """Mean of the first ``min(k, available)`` columns for every ``k``; NaN if none."""
    out = np.full((values.shape[0], len(ks)), np.nan)
    m = values.shape[1]
    if m == 0:
        return out
    sums = np.cumsum(values, axis=1)
    for j, k in enumerate(ks):
        kk = min(k, m)
        out[:, j] = sums[:, kk - 1] / kk
    return out


def _label(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


@stage_params
class KNNFeatures(CrossFitStage):
    """Distances to the nearest neighbours of each class (or their mean target) as features.

    Classification gives ``<prefix>_c<class>_k<k>``: the mean Euclidean (or cosine)
    distance to the ``k`` nearest training rows of that class. Regression gives
    ``<prefix>_mean_k<k>``: the mean target of the ``k`` nearest training rows (plus
    ``<prefix>_dist_k<k>``, their mean distance, with ``distances=True``). A class with
    fewer than ``k`` training rows averages the ones it has (NaN if it has none). One
    neighbour query per class (per fold) with ``max(ks)`` neighbours gives every ``k``.

    Missing values (NaN, ±inf) are replaced by the median of the fitting rows, then columns
    are standardised with the fitting rows' mean and std (``scale=True``); ``cosine``
    scales rows to unit length and searches by Euclidean distance, reporting ``1 - cos``
    (an all-zero row has no direction and sits at 0.5 from every unit row).

    **Leakage:** the features use the target, so the stage cross-fits.
    ``fit_transform(X, y, split_context=)`` returns out-of-fold values: each row's
    neighbours come only from the other inner folds, which follow the outer scheme through
    ``split_context.inner_folds`` (grouped outside: a group is never split, so a row never
    finds a neighbour in its own group; time: only earlier rows, and the first time block,
    which has no past, gets NaN). Without a context, ``groups`` gives group k-fold, else
    stratified (classification) or plain shuffled k-fold. A row is never its own
    neighbour. ``fit`` indexes all given rows, and ``transform`` (validation and test rows)
    only queries them, so ``fit(X, y).transform(X)`` differs from ``fit_transform(X, y)``.
    Imputation and scaling statistics come from the fitting rows only (they use no target).
    The inner folds of the last ``fit_transform`` are kept as ``folds_``.

    Args:
        columns: numeric columns to use; None uses every numeric column.
        ks: numbers of neighbours to average over.
        metric: ``euclidean`` or ``cosine``.
        n_splits: inner folds for the out-of-fold values of ``fit_transform``.
        random_state: seed of the inner folds.
        scale: standardise the columns first (statistics from the fitting rows).
        algorithm: ``auto`` (:func:`choose_algorithm`), ``brute``, ``kd_tree``,
            ``ball_tree`` or ``faiss`` (needs the ``faiss-cpu`` package; float32).
        task: ``auto`` (``split_context.task``, else podium's rule in
            :func:`~podium.features.crossfit.infer_task`: whole numbers with at most 20
            distinct values are classes), ``classification`` or ``regression``.
        distances: regression only: also output the mean neighbour distances.
        prefix: start of the output column names.
        n_jobs: threads of the scikit-learn neighbour search.
        fit_on: ``train`` only; ``train+test`` (an option of the unsupervised stages) raises
            LeakageError, since test rows have no target.

    Example:
        >>> knn = KNNFeatures(columns=["x1", "x2"], ks=(1, 4))
        >>> oof = knn.fit_transform(X_train, y_train)   # out-of-fold, for the model's fit
        >>> valid = knn.transform(X_valid)               # neighbours among all train rows
    """

    stage_name = "knn_features"
    target_hint = "KNN features are distances to each class (or the mean target) of the neighbours"

    columns: list[str] | None = None
    ks: tuple[int, ...] | list[int] = (1, 2, 4)
    metric: str = "euclidean"
    n_splits: int = 5
    random_state: int = 0
    scale: bool = True
    algorithm: str = "auto"
    task: str = "auto"
    distances: bool = False
    prefix: str = "knn"
    n_jobs: int | None = None
    fit_on: str = "train"

    # ---- fitting -------------------------------------------------------------------------

    def _fit_transform(
        self, X: pd.DataFrame, y: Any, split_context: SplitContext | None
    ) -> pd.DataFrame:
        self.fit(X, y, split_context=split_context)
        Z = self._matrix(X)
        classification = self.task_ == "classification"
        folds = self._inner_folds(
            len(X), split_context, self.fit_target_ if classification else None
        )
        self.folds_ = folds
        out = np.full((len(X), len(self.feature_names_out_) - X.shape[1]), np.nan)
        for k in range(folds.n_splits):
            train, valid = folds.train_index(k), folds.valid_index(k)
            out[valid] = self._features(Z[valid], Z[train], self.fit_target_[train])
        return self._join(X, out)

    def _fit(
        self,
        X: pd.DataFrame,
        y: pd.Series | None,
        split_context: SplitContext | None = None,
        **_: Any,
    ) -> None:
        assert y is not None  # checked by CrossFitStage.fit
        if len(y) != len(X):
            raise DataError(f"{self._where}: y has {len(y)} values but X has {len(X)} rows")
        if y.isna().any():
            raise DataError(f"{self._where}: y has {int(y.isna().sum())} missing value(s)")
        self.columns_ = self._pick_columns(X)
        self.ks_ = sorted({int(k) for k in self.ks})
        self.task_ = self._resolve_task(y, split_context)
        raw = self._raw(X)
        with warnings.catch_warnings():  # an all-missing column: median 0 below
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(raw, axis=0) if len(raw) else np.zeros(raw.shape[1])
        self.medians_ = np.where(np.isfinite(med), med, 0.0)
        filled = np.where(np.isfinite(raw), raw, self.medians_)
        self.mean_ = filled.mean(axis=0) if self.scale else np.zeros(raw.shape[1])
        std = filled.std(axis=0) if self.scale else np.ones(raw.shape[1])
        self.scale_ = np.where(std > 0, std, 1.0)
        if self.task_ == "classification":
            self.classes_, codes = np.unique(y.to_numpy(), return_inverse=True)
            self.fit_target_ = codes.astype(np.int64)
        else:
            self.fit_target_ = y.to_numpy(dtype=np.float64)
        self.fit_data_ = self._matrix(X)
        self.algorithm_ = (
            choose_algorithm(len(self.columns_), len(X))
            if self.algorithm == "auto"
            else self.algorithm
        )

    def _check_params(self) -> None:
        def bad(name: str, expected: str, got: Any) -> ConfigError:
            return ConfigError(self._msg(f"{name} must be {expected}, got {got!r}"))

        ks = self.ks
        if (
            isinstance(ks, str | bytes)
            or not hasattr(ks, "__iter__")
            or not list(ks)
            or not all(Interval(Integral, 1).is_satisfied_by(k) for k in ks)
        ):
            raise bad("ks", "a non-empty list of integers >= 1", ks)
        if self.metric not in METRICS:
            raise bad("metric", f"one of {list(METRICS)}", self.metric)
        if self.algorithm not in ALGORITHMS:
            raise bad("algorithm", f"one of {list(ALGORITHMS)}", self.algorithm)
        if self.task not in TASKS:
            raise bad("task", f"one of {list(TASKS)}", self.task)
        check_param("n_splits", self.n_splits, Interval(Integral, 2), where=self._where)
        check_param("random_state", self.random_state, Interval(Integral, 0), where=self._where)
        if self.algorithm == "faiss":
            try:
                import faiss  # noqa: F401
            except ImportError:
                raise ConfigError(
                    self._msg(
                        "algorithm 'faiss' needs the faiss-cpu package (pip install "
                        "faiss-cpu); or use algorithm 'auto'"
                    )
                ) from None

    def _pick_columns(self, X: pd.DataFrame) -> list[str]:
        check_columns(X, self.columns, self.stage_name, "columns")
        numeric = [
            c
            for c in X.columns
            if pd.api.types.is_numeric_dtype(X[c])
            and not isinstance(X[c].dtype, pd.CategoricalDtype)
        ]
        if self.columns is None:
            if not numeric:
                raise ConfigError(f"{self._where}: X has no numeric columns to search on")
            return numeric
        text = [c for c in self.columns if c not in numeric]
        if text:
            raise ConfigError(
                f"{self._where}: columns must be numeric, but {text} are not "
                "(encode them first, e.g. with a 'categorical' stage using ordinal codes)"
            )
        return list(self.columns)

    def _resolve_task(self, y: pd.Series, split_context: SplitContext | None) -> str:
        if self.task != "auto":
            return str(self.task)
        task = split_context.task if split_context is not None else None
        task = task or infer_task(y.to_numpy())
        return "regression" if task == "regression" else "classification"

    # ---- transforming --------------------------------------------------------------------

    def _raw(self, X: pd.DataFrame) -> np.ndarray:
        return X[self.columns_].to_numpy(dtype=np.float64, na_value=np.nan)

    def _matrix(self, X: pd.DataFrame) -> np.ndarray:
        raw = self._raw(X)
        Z = (np.where(np.isfinite(raw), raw, self.medians_) - self.mean_) / self.scale_
        if self.metric == "cosine":
            norms = np.linalg.norm(Z, axis=1, keepdims=True)
            Z = Z / np.where(norms > 0, norms, 1.0)
        return Z

    def _distance(self, euclid: np.ndarray) -> np.ndarray:
        return euclid**2 / 2.0 if self.metric == "cosine" else euclid

    def _features(self, query: np.ndarray, index: np.ndarray, target: np.ndarray) -> np.ndarray:
        if not self.columns_:  # columns: [] (a kind selector that matched nothing): no-op
            return np.empty((len(query), 0))
        kmax = self.ks_[-1]
        blocks = []
        if self.task_ == "classification":
            for code in range(len(self.classes_)):
                rows = index[target == code]
                dist, _ = _kneighbors(
                    rows, query, min(kmax, len(rows)), self.algorithm_, self.n_jobs
                )
                blocks.append(_cumulative_means(self._distance(dist), self.ks_))
        else:
            dist, idx = _kneighbors(
                index, query, min(kmax, len(index)), self.algorithm_, self.n_jobs
            )
            blocks.append(_cumulative_means(target[idx], self.ks_))
            if self.distances:
                blocks.append(_cumulative_means(self._distance(dist), self.ks_))
        return np.hstack(blocks)

    def _names(self) -> list[str]:
        p = self.prefix
        if not self.columns_:
            return []
        if self.task_ == "classification":
            return [f"{p}_c{_label(c)}_k{k}" for c in self.classes_ for k in self.ks_]
        names = [f"{p}_mean_k{k}" for k in self.ks_]
        return names + ([f"{p}_dist_k{k}" for k in self.ks_] if self.distances else [])

    def _join(self, X: pd.DataFrame, values: np.ndarray) -> pd.DataFrame:
        names = self._names()
        clash = [n for n in names if n in X.columns]
        if clash:
            raise ConfigError(
                f"{self._where}: output column {clash[0]!r} already exists; set prefix"
            )
        new = pd.DataFrame(values, columns=names, index=X.index)
        return pd.concat([X, new], axis=1)

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        values = self._features(self._matrix(X), self.fit_data_, self.fit_target_)
        return self._join(X, values)
