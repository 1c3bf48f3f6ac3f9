"""``sparse_linear``: a linear model that one-hot encodes categoricals itself, sparsely.

It takes the stage chain's DataFrame as it is (no ``categorical``/``impute``/``scale``
stages needed) and builds a scipy CSR design matrix, never a dense one-hot:

* **categorical columns** are those of dtype ``category``, ``str`` or ``object``, plus the
  columns named in the ``categorical`` parameter (e.g. integer codes; a pipeline generator
  can pass a profile's categorical columns there). Integer and boolean columns are numeric
  unless named. Each becomes one sparse indicator per category seen at least
  ``min_frequency`` times in the training rows; rarer and unseen values (and missing
  values, if rare) share one "other" indicator per column. Missing is its own category.
* **numeric columns**: ``log1p`` of non-negative columns whose training skewness exceeds
  ``log_skewed`` (``null``: never), missing (and infinite) values imputed with the training
  median, a missing-value indicator for columns with NaN in training rows
  (``missing_indicator``), then standardised with the training mean and std.

Then scikit-learn's ``LogisticRegression`` (binary, multiclass) or ``Ridge``
(regression; ``Lasso`` with ``regression_penalty: l1``, ignored for classification like
``alpha``: L1 scored 0.1100 RMSE of log price on house_prices against ridge's 0.1122) is
fit on the CSR matrix. Their parameters are accepted too; as for
``linear``, those of the variant not in use are ignored (``C`` for classification,
``alpha`` for regression). 30k rows x 9 text columns of ~5k categories each peak at
226 MB RSS for a fold's fit + predict (bench/sparse_linear_memory.py), where a dense
one-hot of the same design would take 2.3 GB (the old linear model's took ~4 GB).

Importances: for each input column, the sum over its design columns of
``|coef| x std`` of that column (numerics have std 1; an indicator of frequency p has
``sqrt(p(1-p))``), averaged over classes.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import sparse

from podium._validate import Integral, Interval, Real, check_param
from podium.exceptions import ConfigError, DataError, did_you_mean
from podium.models._check import check_names
from podium.models._columns import is_categorical, to_float
from podium.models._sklearn import SklearnAdapter

__all__ = ["SparseLinearAdapter", "SparseDesign"]

_OWN = {
    "categorical": None,
    "min_frequency": 5,
    "log_skewed": 0.75,  # as the log_transform stage: 0.8494 vs 0.8446 ROC-AUC on telecom
    "missing_indicator": True,
    "regression_penalty": "l2",  # l2: Ridge; l1: Lasso (regression only, like alpha)
}
_NAN = "\x00nan"
_L1 = {"regression_penalty": "l1"}


class SparseDesign:
    """Column-wise encoder of a DataFrame into a CSR matrix (fitted on training rows).

    Args:
        categorical: positions of the columns to one-hot (besides text/category dtypes).
        min_frequency: categories rarer than this in training share an "other" column.
        log_skewed: skewness above which a non-negative numeric column is log1p'd.
        missing_indicator: add an indicator for numeric columns with NaN in training.
    """

    def __init__(
        self,
        categorical: frozenset[int],
        min_frequency: int,
        log_skewed: float | None,
        missing_indicator: bool,
    ) -> None:
        self.categorical = categorical
        self.min_frequency = min_frequency
        self.log_skewed = log_skewed
        self.missing_indicator = missing_indicator

    def fit_transform(self, X: pd.DataFrame) -> sparse.csr_matrix:
        n = len(X)
        self.cats_: dict[int, pd.Index] = {}
        self.num_: list[int] = []
        self.log_: list[bool] = []
        self.median_: list[float] = []
        self.mean_: list[float] = []
        self.std_: list[float] = []
        self.indicator_: list[int] = []
        # per block of design columns: (input column position, std) of each (importances)
        self.info_: dict[str, list[tuple[int, float]]] = {"num": [], "ind": [], "cat": []}
        for j in range(X.shape[1]):
            s = X.iloc[:, j]
            if j in self.categorical or is_categorical(s.dtype):
                keys = _keys(s)
                counts = keys.value_counts()
                kept = counts[counts >= self.min_frequency]
                self.cats_[j] = pd.Index(kept.index)
                freq = np.append(kept.to_numpy(), n - kept.sum()) / max(n, 1)
                self.info_["cat"] += [(j, float(sd)) for sd in np.sqrt(freq * (1 - freq))]
                continue
            v = _numbers(s)
            finite = v[~np.isnan(v)]
            skew = _skewness(finite)
            log = (
                self.log_skewed is not None
                and finite.size > 0
                and finite.min() >= 0
                and skew > self.log_skewed
            )
            if log:
                v = np.log1p(v)
            median = float(np.nanmedian(v)) if finite.size else 0.0
            filled = np.where(np.isnan(v), median, v)
            std = float(filled.std())
            self.num_.append(j)
            self.log_.append(bool(log))
            self.median_.append(median)
            self.mean_.append(float(filled.mean()))
            self.std_.append(std if std > 0 else 1.0)
            self.info_["num"].append((j, 1.0 if std > 0 else 0.0))
            if self.missing_indicator and finite.size < n:
                p = 1 - finite.size / n
                self.indicator_.append(j)
                self.info_["ind"].append((j, float(np.sqrt(p * (1 - p)))))
        return self.transform(X)

    def transform(self, X: pd.DataFrame) -> sparse.csr_matrix:
        n = len(X)
        blocks: list[sparse.spmatrix] = []
        if self.num_:
            dense = np.empty((n, len(self.num_)))
            for i, j in enumerate(self.num_):
                v = _numbers(X.iloc[:, j])
                if self.log_[i]:
                    v = np.log1p(np.clip(v, 0, None))
                v = np.where(np.isnan(v), self.median_[i], v)
                dense[:, i] = (v - self.mean_[i]) / self.std_[i]
            blocks.append(sparse.csr_matrix(dense))
        if self.indicator_:
            miss = np.column_stack([np.isnan(_numbers(X.iloc[:, j])) for j in self.indicator_])
            blocks.append(sparse.csr_matrix(miss.astype(np.float64)))
        for j, cats in self.cats_.items():
            codes = cats.get_indexer(_keys(X.iloc[:, j]))
            codes = np.where(codes < 0, len(cats), codes)  # rare or unseen: "other"
            ones = np.ones(n)
            blocks.append(
                sparse.csr_matrix((ones, (np.arange(n), codes)), shape=(n, len(cats) + 1))
            )
        if not blocks:
            return sparse.csr_matrix((n, 0))
        return sparse.hstack(blocks, format="csr", dtype=np.float64)

    def design_owners(self) -> tuple[np.ndarray, np.ndarray]:
        """For the design columns, in :meth:`transform`'s order: input column and std."""
        parts = [self.info_[b] for b in ("num", "ind", "cat")]
        owner = [j for part in parts for j, _ in part]
        scale = [sd for part in parts for _, sd in part]
        return np.asarray(owner, dtype=int), np.asarray(scale, dtype=float)


def _keys(s: pd.Series) -> pd.Index:
    """A categorical column's values as text (missing: its own key)."""
    obj = s.astype(object)
    return pd.Index(obj.where(obj.notna(), _NAN).astype(str))


def _numbers(s: pd.Series) -> np.ndarray:
    """A numeric column as float64, with inf as NaN."""
    try:
        v = np.asarray(to_float(s), dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise DataError(f"column {s.name!r} could not be read as numbers: {err}") from err
    return np.where(np.isinf(v), np.nan, v)


def _skewness(v: np.ndarray) -> float:
    if v.size < 3:
        return 0.0
    sd = v.std()
    return 0.0 if sd == 0 else float(np.mean(((v - v.mean()) / sd) ** 3))


class SparseLinearAdapter(SklearnAdapter):
    """Logistic regression / ridge on a sparse one-hot + standardised design (see module)."""

    name: ClassVar[str] = "sparse_linear"
    search_space: ClassVar[dict[str, dict[str, Any]]] = {
        "C": {"float": [0.001, 100.0], "log": True},
        "alpha": {"float": [0.01, 1000.0], "log": True},
        "min_frequency": {"int": [1, 50], "log": True},
    }
    tasks: ClassVar[frozenset[str]] = frozenset({"binary", "multiclass", "regression"})
    needs_numeric: ClassVar[bool] = False

    def _estimator_class(self) -> type:
        from sklearn.linear_model import Lasso, LogisticRegression, Ridge

        if self.task != "regression":
            return LogisticRegression
        return Lasso if (self.params or {}).get("regression_penalty") == "l1" else Ridge

    def _defaults(self) -> dict[str, Any]:
        if self.task == "regression":
            if self._estimator_class().__name__ == "Lasso":
                return {"alpha": 1.0, "max_iter": 20000, "random_state": self.seed}
            return {"alpha": 1.0, "random_state": self.seed}
        # saga with tol 1e-3: 0.7s vs lbfgs's 22s on 24k rows x 12k sparse columns (bench),
        # 5.1s vs 4.5s on shelter animal's 21k rows; the same log loss (+-0.0015) on both
        return {
            "C": 1.0,
            "solver": "saga",
            "tol": 1e-3,
            "max_iter": 1000,
            "random_state": self.seed,
        }

    def param_names(self) -> frozenset[str]:
        """The parameters this adapter uses for its task (tuning searches only these)."""
        return frozenset(_OWN) | set(self._estimator_class()().get_params())

    def _check_params(self, params: dict[str, Any]) -> None:
        valid: set[str] = set()
        for task, extra in (("binary", {}), ("regression", {}), ("regression", _L1)):
            valid |= SparseLinearAdapter(task=task, params=extra).param_names()
        check_names(f"model {self.name!r}", params, valid)
        cats = params.get("categorical")
        if cats is not None and (
            not isinstance(cats, list | tuple) or not all(isinstance(c, str) for c in cats)
        ):
            raise ConfigError(f"model {self.name!r}: categorical must be a list of column names")
        mf = params.get("min_frequency", 1)
        check_param("min_frequency", mf, Interval(Integral, 1), where=f"model {self.name!r}")
        if params.get("regression_penalty", "l2") not in ("l1", "l2"):
            raise ConfigError(f"model {self.name!r}: regression_penalty must be 'l1' or 'l2'")
        ls = params.get("log_skewed")
        check_param(
            "log_skewed", ls, None, Interval(Real, finite=False),
            where=f"model {self.name!r}", expected="a number or null",
        )  # fmt: skip

    def _split_params(self) -> tuple[dict[str, Any], dict[str, Any]]:
        user = dict(self.params or {})
        own = {k: user.pop(k, v) for k, v in _OWN.items()}
        allowed = set(self._estimator_class()().get_params())
        est = {**self._defaults(), **{k: v for k, v in user.items() if k in allowed}}
        return own, est

    def _prepare(self, X: pd.DataFrame, *, fitting: bool) -> Any:
        if fitting:
            own, _ = self._split_params()
            names = [str(c) for c in self._columns]
            positions = set()
            for c in own["categorical"] or ():
                if c not in names:
                    raise ConfigError(
                        f"model {self.name!r}: categorical column {c!r} is not a feature"
                        + did_you_mean(c, names)
                    )
                positions.add(names.index(c))
            self.design_ = SparseDesign(
                frozenset(positions),
                int(own["min_frequency"]),
                None if own["log_skewed"] is None else float(own["log_skewed"]),
                bool(own["missing_indicator"]),
            )
            return self.design_.fit_transform(X)
        return self.design_.transform(X)

    def _fit_params(self) -> dict[str, Any]:
        return self._split_params()[1]

    def _importances(self) -> np.ndarray:
        coef = np.abs(np.atleast_2d(np.asarray(self.model_.coef_, dtype=float))).mean(axis=0)
        owner, scale = self.design_.design_owners()
        out = np.zeros(len(self._columns))
        np.add.at(out, owner, coef * scale)
        return out
