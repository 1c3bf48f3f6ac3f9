"""Out-of-fold target encoding: the :class:`TargetEncoder` stage.

Each key (a column or a combination) is factorized once (:mod:`podium.features.keys`).
The target becomes one column per output (:mod:`~podium.features.te_target`); the
out-of-fold encodings come from per-fold tables built with one ``bincount``
(:mod:`~podium.features.te_folds`), and smoothing turns counts and sums into encodings
(:mod:`~podium.features.te_smoothing`). The all-rows fit comes from the same tables.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from podium._validate import Interval, Real, check_param
from podium.cv import Folds, SplitContext
from podium.exceptions import ConfigError
from podium.features.crossfit import CrossFitStage
from podium.features.keys import MAX_PAIRS, KeyCodes, KeyedStage, key_name
from podium.features.te_folds import FoldTables, add_noise, masked_oof
from podium.features.te_smoothing import SmoothingRule
from podium.features.te_target import EncodedTarget, encoded_target
from podium.stages.base import stage_params

__all__ = ["TargetEncoder"]

TASKS = ("binary", "multiclass", "regression")
WARN_UNIQUE = 100_000
_LOGGED: set[str] = set()  # warning lines already logged by this process

logger = logging.getLogger(__name__)


@stage_params
class TargetEncoder(KeyedStage, CrossFitStage):
    """Smoothed mean of the target per category: ``te_<col>`` (``te_<col>_<class>``).

    Binary targets give P(positive class) (the larger label; 1 for 0/1 targets),
    multiclass targets one column per class (one-vs-rest), regression targets the mean
    of y. ``smoothing="auto"`` is scikit-learn's empirical-Bayes blend
    ``lambda * mean_c + (1 - lambda) * prior`` with
    ``lambda = n_c var / (n_c var + within_var_c)``; a number ``m`` gives the m-estimate
    ``(sum_c + m * prior) / (n_c + m)``. The prior is the mean of y over the fitting rows.
    Categories seen fewer than ``min_count`` times in the fitting rows, categories never
    seen, and missing values (NaN is not a category) get the prior.

    The task is ``task`` if given, else ``split_context.task``, else inferred: bool/text
    targets, and whole-number targets with at most 20 distinct values, are
    classification; anything else is regression.

    **Leakage:** ``fit_transform(X, y, split_context=None)`` returns out-of-fold
    encodings: the rows are split into ``n_splits`` inner folds and a row's encoding uses
    only the other folds' targets (and its fold's prior is theirs too). Inner folds follow
    the outer scheme given as ``split_context`` (grouped outside -> whole groups inside;
    time -> each inner fold learns only from earlier times; rows of the earliest time
    block have no past and get NaN). ``fit(X, y)`` learns on all given rows for
    ``transform`` of validation and test rows, which only map values and never refit, so
    a test row's encoding does not depend on other test rows. Hence
    ``fit_transform(X, y) != fit(X, y).transform(X)`` by design. ``noise`` is added to the
    out-of-fold training encodings only.

    Args:
        columns: columns to encode; an item may be a list of 2+ columns encoded jointly
            (``te_a__b``); None means every column.
        smoothing: ``"auto"`` or a non-negative float m (m-estimate).
        min_count: categories seen fewer times in the fitting rows get the prior.
        noise: std of Gaussian noise added to the out-of-fold encodings (seeded).
        n_splits: number of inner folds.
        random_state: seed of the inner folds and the noise.
        task: ``binary``, ``multiclass`` or ``regression``; None: see above.
        keep_original: keep the encoded columns (GBDTs still get the native category).
        prefix: prefix of the output names.
        fit_on: ``train`` only; ``train+test`` (an option of the unsupervised stages) raises
            LeakageError, since test rows have no target.
        pairs: ``all`` also encodes every informative pair of the single columns (see
            :func:`podium.features.keys.expand_keys`; chosen on the fitting rows, without
            the target).
        interactions: ``k`` also encodes combinations of 2..k columns (2 = ``pairs: all``).
        max_pairs: the most combinations added by ``pairs``/``interactions``.
        min_values: single columns with fewer distinct values on the fitting rows are
            not encoded alone, and a combination needs a member with that many.

    Example:
        >>> te = TargetEncoder(columns=["city", ["city", "shop"]], smoothing=20.0)
        >>> X_tr_enc = te.fit_transform(X_tr, y_tr)   # out-of-fold
        >>> X_va_enc = te.transform(X_va)
    """

    stage_name = "target_encoder"

    columns: list[Any] | None = None
    smoothing: str | float = "auto"
    min_count: int = 1
    noise: float = 0.0
    n_splits: int = 5
    random_state: int | None = 0
    task: str | None = None
    keep_original: bool = True
    prefix: str = "te_"
    fit_on: str = "train"
    pairs: str | None = None
    interactions: int | None = None
    max_pairs: int = MAX_PAIRS
    min_values: int = 0

    # -- fitting ---------------------------------------------------------------------

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        keys, target = self._prepare(X, y, None)
        self._learn(X, keys, target, folds=None)

    def _fit_transform(
        self, X: pd.DataFrame, y: Any, split_context: SplitContext | None
    ) -> pd.DataFrame:
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        keys, target = self._prepare(X, y, split_context)
        folds = [self._inner_folds(len(X), split_context, target.strata())]
        oof = self._learn(X, keys, target, folds=folds)  # empties the list
        out = self._assemble(X, oof)
        self.feature_names_out_ = list(out.columns)
        return out

    def _prepare(
        self, X: pd.DataFrame, y: Any, ctx: SplitContext | None
    ) -> tuple[list[tuple[Hashable, ...]], EncodedTarget]:
        keys = self._expand_keys(X, self._parse_keys(X)[0])
        task = self.task or (ctx.task if ctx is not None else None)
        return keys, encoded_target(np.asarray(y), len(X), task, self.stage_name)

    def _check_params(self) -> None:
        s = self.smoothing
        if not (s == "auto" if isinstance(s, str) else isinstance(s, Real) and s >= 0):
            raise ConfigError(self._msg(f"smoothing must be 'auto' or a number >= 0, got {s!r}"))
        for name in ("min_count", "noise"):
            value = getattr(self, name)
            check_param(name, value, Interval(Real, 0, finite=False), where=self._where,
                        expected=">= 0")  # fmt: skip
        if self.task is not None and self.task not in TASKS:
            raise ConfigError(self._msg(f"task must be one of {TASKS}, got {self.task!r}"))

    def _learn(
        self,
        X: pd.DataFrame,
        keys: list[tuple[Hashable, ...]],
        target: EncodedTarget,
        folds: list[Folds] | None,
    ) -> dict[str, np.ndarray]:
        """Fit the all-rows encodings; return the out-of-fold ones if ``folds`` is given.

        ``folds`` comes in a list that is emptied once the k-fold plan holds what it needs,
        so the int64 fold array is freed before the encodings are built.
        """
        self.task_ = target.task
        self.classes_ = target.classes
        self.keys_, self.encodings_, self.names_ = [], [], []
        self.prior_ = np.array([target.column(j).mean() for j in range(len(target.suffixes))])
        plan, inner = None, None if folds is None else folds.pop()
        if inner is not None and inner.train_mask is None and bool((inner.fold >= 0).all()):
            plan, inner = FoldTables(inner, target), None
        rule = SmoothingRule(self.smoothing, self.min_count)
        rng = np.random.default_rng(self.random_state) if self.noise else None
        oof: dict[str, np.ndarray] = {}
        for key in keys:
            book = KeyCodes(key)
            codes = book.fit_codes(X)
            _warn_numeric(X, key, codes, book.n_codes, self.stage_name)
            names = [f"{self.prefix}{key_name(key)}{sfx}" for sfx in target.suffixes]
            for name in names:
                if name in X.columns:
                    raise ConfigError(
                        self._msg(
                            f"output column {name!r} already exists in the data; "
                            "set a different prefix"
                        )
                    )
            k1 = book.n_codes + 1
            if plan is not None:
                enc, values = plan.encode(codes, k1, rule)
            else:
                enc = np.column_stack(
                    [
                        rule.fit(codes, target.column(j), k1, target.indicator)
                        for j in range(len(names))
                    ]
                )
                values = [] if inner is None else masked_oof(codes, k1, target, inner, rule)
            del codes
            if rng is not None:
                for v in values:
                    add_noise(v, float(self.noise), rng)
            self.keys_.append(book)
            self.encodings_.append(enc)
            self.names_.append(names)
            oof.update(zip(names, values, strict=False))
        return oof

    # -- transforming ----------------------------------------------------------------

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out: dict[str, np.ndarray] = {}
        for book, enc, names in zip(self.keys_, self.encodings_, self.names_, strict=True):
            codes = book.codes(X)
            for j, name in enumerate(names):
                out[name] = np.take(enc[:, j], codes)
        return self._assemble(X, out)

    def _assemble(self, X: pd.DataFrame, new: dict[str, np.ndarray]) -> pd.DataFrame:
        base = X
        if not self.keep_original:
            used = list(dict.fromkeys(c for book in self.keys_ for c in book.columns))
            base = X.drop(columns=used)
        return pd.concat([base, pd.DataFrame(new, index=X.index, copy=False)], axis=1)


def _warn_numeric(
    X: pd.DataFrame, key: tuple[Hashable, ...], codes: np.ndarray, k: int, stage: str
) -> None:
    """One warning line for a numeric column with very many or per-row unique values.

    Logged (``podium.features.target_encoding``, WARNING) rather than ``warnings.warn``:
    the process-wide warning filters are not thread-safe, and a library that silences
    warnings in another thread (MLflow's import, while a run trains) would hide it. Each
    message is logged once per process, not once per fold.
    """
    if len(key) != 1:
        return
    s = X[key[0]]
    numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    if not numeric or isinstance(s.dtype, pd.CategoricalDtype):
        return
    n_valid = int(np.count_nonzero(codes))
    if k > WARN_UNIQUE or (n_valid > 1 and k == n_valid):
        what = "a distinct value on every row" if k == n_valid else "over {:,} distinct values"
        message = (
            f"stage {stage!r}: column {key[0]!r} is numeric with {what.format(WARN_UNIQUE)}; "
            "its target encoding mostly memorises y - bin it, or encode an id-like column "
            "as text/category"
        )
        if message not in _LOGGED:
            _LOGGED.add(message)
            logger.warning("%s", message)
