"""Cross-fitting: out-of-fold outputs inside the rows a stage is fit on.

Supervised stages (target encoding, KNN target features) must not see the target of the
rows they produce features for. ``fit_transform`` therefore splits the fitting rows into
inner folds, fits on the other folds and transforms each fold's own rows; ``fit`` learns
from all rows for ``transform`` of validation and test rows.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from podium.cv import Folds, SplitContext
from podium.exceptions import ConfigError, DataError, LeakageError
from podium.stages.base import as_frame

__all__ = [
    "CrossFit",
    "check_supervised_fit_on",
    "context_for",
    "infer_task",
    "make_inner_folds",
    "target_codes",
]

MAX_CLASSES = 20
_FAST_SCHEMES = ("kfold", "stratified_kfold")


def infer_task(y: np.ndarray, classes: np.ndarray | None = None) -> str:
    """``binary``, ``multiclass`` or ``regression`` from the target values.

    The rule: bool, text and category targets are classification; numeric targets are
    classification when every value is a whole number and there are at most 20 distinct
    values; everything else is regression. Two classes or fewer is ``binary``. Pass the
    task explicitly (the engine does, through ``SplitContext.task``) for an integer
    regression target with few values.

    Args:
        y: the target values.
        classes: its distinct values, if already known (saves a pass).
    """
    kind = y.dtype.kind
    if kind in "fc" and not np.all(np.mod(y, 1) == 0):
        return "regression"
    if classes is None:
        classes = target_codes(y)[1]
    if kind in "iufc" and len(classes) > MAX_CLASSES:
        return "regression"
    return "binary" if len(classes) <= 2 else "multiclass"


def target_codes(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class codes ``0..C-1`` (sorted classes) and the classes, without hashing small ints."""
    if y.dtype.kind in "biu" and y.size:
        yi = y.astype(np.int64, copy=False)
        lo, hi = int(yi.min()), int(yi.max())
        if hi - lo < 1_000_000:
            shifted = yi - lo if lo else yi
            present = np.bincount(shifted, minlength=hi - lo + 1) > 0
            lut = np.cumsum(present) - 1
            classes = (np.flatnonzero(present) + lo).astype(y.dtype)
            return lut[shifted], classes
    codes, classes = pd.factorize(y, sort=True)
    return codes.astype(np.int64, copy=False), np.asarray(classes)


def check_supervised_fit_on(fit_on: Any, stage: str) -> None:
    """A stage that needs the target learns from training rows only (``fit_on='train'``).

    Raises:
        LeakageError: ``fit_on='train+test'``: test rows have no target, and the option
            exists for unsupervised stages (count_encoder, group_aggregates).
        ConfigError: any other value but ``'train'``.
    """
    if fit_on == "train+test":
        raise LeakageError(
            f"stage {stage!r} needs the target, which the test rows do not have: "
            "fit_on='train+test' is only for unsupervised stages (count_encoder, "
            "group_aggregates); use fit_on='train'"
        )
    if fit_on != "train":
        raise ConfigError(f"stage {stage!r}: fit_on must be 'train', got {fit_on!r}")


def context_for(split_context: SplitContext | None, groups: Any) -> SplitContext | None:
    """The split context, or a grouped one built from ``groups`` when there is none."""
    if split_context is None and groups is not None:
        return SplitContext(scheme="group_kfold", groups=np.asarray(groups))
    return split_context


def make_inner_folds(
    n_rows: int,
    *,
    n_splits: int,
    random_state: int | None,
    y_codes: np.ndarray | None = None,
    split_context: SplitContext | None = None,
    stage: str = "crossfit",
) -> Folds:
    """Inner folds on ``n_rows`` fitting rows that follow the outer scheme.

    Without a context, or when the outer scheme is ``kfold``/``stratified_kfold``/
    ``fold_column``, the folds are a shuffled k-fold partition, stratified on ``y_codes``
    when given (built in O(n): a permutation, no per-fold index arrays, so it costs less
    than the encoding itself). Grouped and time schemes come from
    :meth:`SplitContext.inner_folds` and are checked: no group spans two inner folds and
    a time fold only trains on strictly earlier times.

    Args:
        n_rows: number of fitting rows.
        n_splits: number of inner folds (>= 2).
        random_state: seed of the shuffle (None: fresh entropy).
        y_codes: class codes to stratify on (classification), else None.
        split_context: the outer scheme, restricted to the fitting rows.
        stage: stage name for error messages.

    Raises:
        ConfigError: bad ``n_splits`` or fewer rows than inner folds.
        LeakageError: the context cannot be followed (e.g. grouped outside but no
            groups given) or an inner fold would train on its own rows.
    """
    if isinstance(n_splits, bool) or not isinstance(n_splits, int | np.integer) or n_splits < 2:
        raise ConfigError(f"stage {stage!r}: n_splits must be an integer >= 2, got {n_splits!r}")
    if n_rows < n_splits:
        raise ConfigError(
            f"stage {stage!r}: n_splits={n_splits} inner folds need at least {n_splits} rows, "
            f"got {n_rows}"
        )
    seed = _seed(random_state)
    ctx = split_context
    if ctx is None or ctx.inner_scheme in _FAST_SCHEMES:
        stratify = ctx is None or ctx.inner_scheme == "stratified_kfold"
        fold = _shuffled_kfold(n_rows, n_splits, seed, y_codes if stratify else None)
        scheme = "stratified_kfold" if stratify and y_codes is not None else "kfold"
        return Folds(fold, n_splits, scheme)
    scheme = ctx.inner_scheme
    if "group" in scheme and ctx.groups is None:
        raise LeakageError(
            f"stage {stage!r}: the outer folds are grouped ({ctx.scheme!r}) but the split "
            "context has no groups; ungrouped inner folds would leak across groups"
        )
    if scheme == "time" and ctx.time is None:
        raise LeakageError(
            f"stage {stage!r}: the outer folds are time-ordered but the split context has "
            "no time values; shuffled inner folds would train on the future"
        )
    for name in ("groups", "time"):
        values = getattr(ctx, name)
        if values is not None and len(values) != n_rows:
            raise DataError(
                f"stage {stage!r}: split_context.{name} has {len(values)} values, "
                f"expected one per fitting row ({n_rows})"
            )
    y = None if y_codes is None else np.asarray(y_codes)
    folds = ctx.inner_folds(n_rows, n_splits=n_splits, seed=seed, y=y)
    _check_follows(folds, ctx, stage)
    return folds


def _seed(random_state: int | None) -> int:
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer):
        raise ConfigError(f"random_state must be an int or None, got {random_state!r}")
    return int(random_state) % (2**32)


def _shuffled_kfold(n: int, k: int, seed: int, y_codes: np.ndarray | None) -> np.ndarray:
    """Fold id per row: a shuffled, balanced k-fold (within each class if ``y_codes``).

    Each class's rows get the labels ``offset, offset+1, ... (mod k)`` in random order;
    the offset carries over between classes so fold sizes differ by at most one.
    """
    rng = np.random.default_rng(seed)
    if y_codes is None:
        return rng.permutation((np.arange(n) % k).astype(np.int8 if k < 128 else np.int64))
    yc = np.asarray(y_codes)
    counts = np.bincount(yc)
    present = np.flatnonzero(counts)
    if len(present) > 64:  # many classes: sort rows by class once instead
        order = rng.permutation(n)
        order = order[np.argsort(yc[order], kind="stable")]
        fold = np.empty(n, dtype=np.int64)
        fold[order] = np.arange(n) % k
        return fold
    fold = np.empty(n, dtype=np.int8 if k < 128 else np.int64)
    offset = 0
    for c in present:  # a loop over classes (at most 64), not rows
        labels = (np.arange(offset, offset + counts[c]) % k).astype(fold.dtype)
        fold[yc == c] = rng.permutation(labels)
        offset += int(counts[c])
    return fold


def _check_follows(folds: Folds, ctx: SplitContext, stage: str) -> None:
    """LeakageError unless inner folds keep groups whole and time folds past-only."""
    fold = folds.fold
    if ctx.groups is not None and "group" in ctx.inner_scheme:
        g, uniques = pd.factorize(np.asarray(ctx.groups))
        fold_of = np.full(len(uniques), -2, dtype=np.int64)
        fold_of[g] = fold
        split = fold_of[g] != fold
        if split.any():
            i = int(np.argmax(split))
            raise LeakageError(
                f"stage {stage!r}: inner folds split group {uniques[g[i]]!r} across folds"
            )
    if ctx.time is not None and ctx.inner_scheme == "time":
        ranks = pd.factorize(np.asarray(ctx.time), sort=True)[0]
        for k, (tr, va) in enumerate(folds.split()):
            if len(tr) and ranks[tr].max() >= ranks[va].min():
                raise LeakageError(
                    f"stage {stage!r}: inner time fold {k} trains on rows not earlier than "
                    "its own validation rows"
                )
    check_disjoint(folds, stage)


def check_disjoint(folds: Folds, stage: str) -> None:
    """LeakageError if an inner fold's training rows include one of its own rows."""
    if folds.train_mask is None:
        return
    rows = np.flatnonzero(folds.fold >= 0)
    own = folds.train_mask[rows, folds.fold[rows]]
    if own.any():
        row = int(rows[np.argmax(own)])
        raise LeakageError(
            f"stage {stage!r}: inner fold {folds.fold[row]} would train on its own row {row}"
        )


class CrossFit(TransformerMixin, BaseEstimator):
    """Out-of-fold outputs of any stage: one clone of ``base`` per inner fold.

    **Leakage:** ``fit_transform(X, y)`` returns, for each inner fold, the output of a
    clone fit on the other inner folds, so no row's output depends on its own target.
    ``fit(X, y)`` fits one clone on all rows (``estimator_``) that ``transform`` uses for
    validation and test rows. Hence ``fit_transform(X, y) != fit(X, y).transform(X)`` by
    design. Inner folds follow the outer scheme given as ``split_context`` (grouped
    outside -> grouped inside, time -> past only); rows that no inner fold validates
    (the earliest time block) get NaN in the columns ``base`` adds and their input
    values in the columns it passes through.

    Args:
        base: the stage to cross-fit (cloned, never fitted itself).
        n_splits: number of inner folds.
        random_state: seed of the inner shuffle.

    Example:
        >>> cf = CrossFit(SomeSupervisedStage(), n_splits=5)
        >>> X_tr_out = cf.fit_transform(X_tr, y_tr)   # out-of-fold
        >>> X_va_out = cf.transform(X_va)             # from the all-rows clone
    """

    def __init__(self, base: Any = None, n_splits: int = 5, random_state: int | None = 0) -> None:
        self.base = base
        self.n_splits = n_splits
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        if self.base is not None:
            base_tags = self.base.__sklearn_tags__()
            tags.target_tags.required = base_tags.target_tags.required
            tags.input_tags = base_tags.input_tags
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _check_base(self) -> None:
        if self.base is None or not hasattr(self.base, "fit"):
            raise ConfigError(
                f"CrossFit needs a stage with fit/transform as base, got {self.base!r}"
            )

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> Self:
        """Fit one clone of ``base`` on all rows (used by ``transform``)."""
        self._check_base()
        X = as_frame(X)
        self.estimator_ = clone(self.base).fit(X, y)
        self._record(X)
        return self

    def fit_transform(
        self,
        X: Any,
        y: Any = None,
        split_context: SplitContext | None = None,
        groups: Any = None,
    ) -> pd.DataFrame:
        """Out-of-fold outputs of ``base`` on ``X``; also fits ``estimator_`` on all rows.

        Args:
            X: the fitting rows.
            y: their target.
            split_context: the outer scheme for these rows (the engine passes it).
            groups: without a context, group labels make the inner folds grouped.
        """
        self._check_base()
        split_context = context_for(split_context, groups)
        X = as_frame(X)
        yv = None if y is None else np.asarray(y)
        y_codes = None
        task = split_context.task if split_context is not None else None
        if yv is not None and (task or infer_task(yv)) != "regression":
            y_codes = target_codes(yv)[0]
        folds = make_inner_folds(
            len(X),
            n_splits=self.n_splits,
            random_state=self.random_state,
            y_codes=y_codes,
            split_context=split_context,
        )
        self.folds_ = folds
        self.estimators_, parts, rows = [], [], []
        for tr, va in folds.split():
            est = clone(self.base).fit(X.iloc[tr], None if yv is None else yv[tr])
            self.estimators_.append(est)
            parts.append(pd.DataFrame(est.transform(X.iloc[va])))
            rows.append(va)
        self.estimator_ = clone(self.base).fit(X, yv)
        self._record(X)
        out = pd.concat(parts, axis=0, ignore_index=True)
        pos = np.concatenate(rows)
        full = out.set_axis(pos).reindex(pd.RangeIndex(len(X)))
        missing = np.setdiff1d(np.arange(len(X)), pos)
        if missing.size:
            for col in full.columns.intersection(X.columns):
                full.iloc[missing, full.columns.get_loc(col)] = X[col].iloc[missing].to_numpy()
        full.index = X.index
        return full

    def transform(self, X: Any) -> pd.DataFrame:
        """Transform with the clone fit on all rows (no refit)."""
        check_is_fitted(self, "estimator_")
        return pd.DataFrame(self.estimator_.transform(X))

    def _record(self, X: pd.DataFrame) -> None:
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return np.asarray(self.estimator_.get_feature_names_out(input_features), dtype=object)
