"""Out-of-fold target encoding, vectorised with ``np.bincount``.

Each key (a column or a combination) is factorized once. For the out-of-fold encodings
one ``bincount`` over ``fold * (K + 1) + code`` gives every inner fold's per-category
counts and sums at once; a fold's training statistics come from the other folds' tables,
and each row reads its encoding with one fancy-indexing gather. There is no Python loop
over rows or categories, and the all-rows fit comes from the same tables.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from podium.cv import Folds, SplitContext
from podium.exceptions import ConfigError, DataError
from podium.features.counts import (
    MAX_PAIRS,
    KeyCodes,
    expand_keys,
    interaction_order,
    key_name,
    parse_keys,
)
from podium.features.crossfit import (
    check_supervised_fit_on,
    context_for,
    infer_task,
    make_inner_folds,
    target_codes,
)
from podium.stages.base import BaseStage, as_frame, check_columns

__all__ = ["TargetEncoder"]

STAGE = "target_encoder"
TASKS = ("binary", "multiclass", "regression")
WARN_UNIQUE = 100_000
_LOGGED: set[str] = set()  # warning lines already logged by this process

logger = logging.getLogger(__name__)
_BLOCK = 1 << 16  # elements per block: per-fold table encoding, in-place casts, gathers


@dataclass
class _Target:
    """The target as one float column per output: 0/1 indicators, or y (regression)."""

    task: str
    suffixes: list[str]
    classes: np.ndarray | None
    codes: np.ndarray | None = None  # class codes (multiclass): indicators made per use
    values: np.ndarray | None = None  # the one column (binary int8 0/1 / regression y)

    @property
    def indicator(self) -> bool:
        return self.task != "regression"

    def column(self, j: int) -> np.ndarray:
        """Output j's target column: int8 0/1 indicators, or float y (regression)."""
        if self.values is not None:
            return self.values
        assert self.codes is not None
        return (self.codes == j).view(np.int8)

    def strata(self) -> np.ndarray | None:
        """Class codes to stratify inner folds on (None for regression)."""
        if self.task == "regression":
            return None
        if self.codes is not None:
            return self.codes
        return self.values


class TargetEncoder(BaseStage):
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
            :func:`podium.features.counts.expand_keys`; chosen on the fitting rows, without
            the target).
        interactions: ``k`` also encodes combinations of 2..k columns (2 = ``pairs: all``).
        max_pairs: the most combinations added by ``pairs``/``interactions``.

    Example:
        >>> te = TargetEncoder(columns=["city", ["city", "shop"]], smoothing=20.0)
        >>> X_tr_enc = te.fit_transform(X_tr, y_tr)   # out-of-fold
        >>> X_va_enc = te.transform(X_va)
    """

    def __init__(
        self,
        columns: list[Any] | None = None,
        smoothing: str | float = "auto",
        min_count: int = 1,
        noise: float = 0.0,
        n_splits: int = 5,
        random_state: int | None = 0,
        task: str | None = None,
        keep_original: bool = True,
        prefix: str = "te_",
        fit_on: str = "train",
        pairs: str | None = None,
        interactions: int | None = None,
        max_pairs: int = MAX_PAIRS,
    ) -> None:
        self.columns = columns
        self.smoothing = smoothing
        self.min_count = min_count
        self.noise = noise
        self.n_splits = n_splits
        self.random_state = random_state
        self.task = task
        self.keep_original = keep_original
        self.prefix = prefix
        self.fit_on = fit_on
        self.pairs = pairs
        self.interactions = interactions
        self.max_pairs = max_pairs

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    # -- fitting ---------------------------------------------------------------------

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        keys, target = self._prepare(X, y, None)
        self._learn(X, keys, target, folds=None)

    def fit_transform(
        self,
        X: Any,
        y: Any = None,
        split_context: SplitContext | None = None,
        groups: Any = None,
    ) -> pd.DataFrame:
        """Out-of-fold encodings of ``X``; also learns all-rows encodings for ``transform``.

        Args:
            X: the fitting rows.
            y: their target.
            split_context: the outer scheme for these rows (the engine passes it).
            groups: without a context, group labels make the inner folds grouped.
        """
        split_context = context_for(split_context, groups)
        X = as_frame(X)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        keys, target = self._prepare(X, y, split_context)
        folds = [
            make_inner_folds(
                len(X),
                n_splits=self.n_splits,
                random_state=self.random_state,
                y_codes=target.strata(),
                split_context=split_context,
                stage=STAGE,
            )
        ]
        oof = self._learn(X, keys, target, folds=folds)  # empties the list
        out = self._assemble(X, oof)
        self.feature_names_out_ = list(out.columns)
        return out

    def _prepare(
        self, X: pd.DataFrame, y: Any, ctx: SplitContext | None
    ) -> tuple[list[tuple[Hashable, ...]], _Target]:
        self._check_params()
        check_supervised_fit_on(self.fit_on, STAGE)
        if y is None:
            raise ConfigError(
                f"stage {STAGE!r} needs the target; it requires y to be passed, but the "
                "target y is None (give the stage the training target, or remove it)"
            )
        keys = parse_keys(list(X.columns) if self.columns is None else self.columns, STAGE)
        check_columns(X, list(dict.fromkeys(c for k in keys for c in k)), STAGE, "columns")
        order = interaction_order(self.pairs, self.interactions, self.max_pairs, STAGE)
        keys = expand_keys(X, keys, order, self.max_pairs)
        task = self.task or (ctx.task if ctx is not None else None)
        return keys, _target(np.asarray(y), len(X), task)

    def _check_params(self) -> None:
        s = self.smoothing
        if not (s == "auto" if isinstance(s, str) else isinstance(s, Real) and s >= 0):
            raise ConfigError(
                f"stage {STAGE!r}: smoothing must be 'auto' or a number >= 0, got {s!r}"
            )
        for name in ("min_count", "noise"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Real) or value < 0:
                raise ConfigError(f"stage {STAGE!r}: {name} must be >= 0, got {value!r}")
        if self.task is not None and self.task not in TASKS:
            raise ConfigError(f"stage {STAGE!r}: task must be one of {TASKS}, got {self.task!r}")

    def _learn(
        self,
        X: pd.DataFrame,
        keys: list[tuple[Hashable, ...]],
        target: _Target,
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
            plan, inner = _Partition(inner, target), None
        rule = _Rule(self.smoothing, self.min_count)
        rng = np.random.default_rng(self.random_state) if self.noise else None
        oof: dict[str, np.ndarray] = {}
        for key in keys:
            book = KeyCodes(key)
            codes = book.fit_codes(X)
            _warn_numeric(X, key, codes, book.n_codes)
            names = [f"{self.prefix}{key_name(key)}{sfx}" for sfx in target.suffixes]
            for name in names:
                if name in X.columns:
                    raise ConfigError(
                        f"stage {STAGE!r}: output column {name!r} already exists in the data; "
                        "set a different prefix"
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
                values = [] if inner is None else _masked_oof(codes, k1, target, inner, rule)
            del codes
            if rng is not None:
                for v in values:
                    _add_noise(v, float(self.noise), rng)
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


def _target(y: np.ndarray, n_rows: int, task: str | None) -> _Target:
    """Validate ``y`` and turn it into per-output weights."""
    if y.ndim != 1:
        y = y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y
    if y.ndim != 1 or len(y) != n_rows:
        raise DataError(
            f"stage {STAGE!r}: y must be one value per row ({n_rows}), got shape {y.shape}"
        )
    if y.dtype.kind not in "biu":
        missing = np.asarray(pd.isna(y))
        if missing.any():
            raise DataError(
                f"stage {STAGE!r}: y has {int(missing.sum())} missing value(s) "
                f"(first at row {int(np.argmax(missing))})"
            )
    codes = classes = None
    if task is None:
        if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
            task = "regression"
        else:
            codes, classes = target_codes(y)
            task = infer_task(y, classes)
    if task == "regression":
        try:
            yf = y.astype(np.float64, copy=False)
        except (TypeError, ValueError) as err:
            raise DataError(f"stage {STAGE!r}: task 'regression' needs numeric y: {err}") from None
        return _Target(task, [""], None, values=yf)
    if codes is None or classes is None:
        codes, classes = target_codes(y)
    if task == "binary":
        if len(classes) > 2:
            raise ConfigError(f"stage {STAGE!r}: task 'binary' but y has {len(classes)} classes")
        if len(classes) == 2:
            single = (codes == 1).view(np.int8)
        else:  # one class present: 0/False means "never positive"
            zero = classes.dtype.kind in "biuf" and classes[0] == 0
            single = np.full(len(y), 0 if zero else 1, dtype=np.int8)
        return _Target(task, [""], classes, values=single)
    return _Target(task, [f"_{c}" for c in classes], classes, codes=codes)


@dataclass
class _Rule:
    """How per-category counts and sums become encodings (smoothing and min_count)."""

    smoothing: Any
    min_count: float

    @property
    def auto(self) -> bool:
        return self.smoothing == "auto"

    def fit(self, codes: np.ndarray, v: np.ndarray, k1: int, indicator: bool) -> np.ndarray:
        """Encodings ``(K+1,)`` learned from rows with ``codes`` and target column ``v``."""
        centre = 0.0 if indicator or not v.size else float(v.mean())
        w = v - centre if centre else v
        n = np.bincount(codes, minlength=k1).astype(np.float64)
        s = np.bincount(codes, weights=w, minlength=k1)
        q = None
        if self.auto:
            q = s if indicator else np.bincount(codes, weights=w * w, minlength=k1)
        rows = max(v.size, 1)
        prior = float(w.sum()) / rows
        var = (float(w.sum()) if indicator else float(np.dot(w, w))) / rows - prior**2
        return self.encode(n, s, q, prior, var) + centre

    def encode(
        self,
        n: np.ndarray,
        s: np.ndarray,
        q: np.ndarray | None,
        prior: float,
        var: float,
        *,
        missing_bin: bool = True,
    ) -> np.ndarray:
        """Encodings from counts ``n``, sums ``s`` and sums of squares ``q`` per category.

        ``missing_bin=False`` for a block of categories that does not start at bin 0.

        Bin 0 (missing/unseen), empty bins, bins below ``min_count`` and undefined values
        get the prior. "auto" is scikit-learn's empirical Bayes (Micci-Barreca eq. 5-6).
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.auto:
                assert q is not None
                mean = s / n  # three category-sized buffers, no other temporaries
                within = q / n
                lam = np.multiply(mean, mean)
                within -= lam
                np.maximum(within, 0.0, out=within)
                np.multiply(n, var, out=lam)
                within += lam  # now lam + within
                lam /= within
                del within
                enc = mean
                enc -= prior
                enc *= lam
                enc += prior
            else:
                m = float(self.smoothing)
                enc = s + m * prior
                enc /= n + m
        bad = ~np.isfinite(enc)
        if self.min_count > 1:
            bad |= n < self.min_count
        bad[0] |= missing_bin
        enc[bad] = prior
        return enc

    def encode_into(
        self,
        out: np.ndarray,
        n: np.ndarray,
        s: np.ndarray,
        prior: float,
        var: float,
        n_minus: np.ndarray | None = None,
    ) -> None:
        """Indicator encodings (``q`` is ``s``) written into ``out`` a block at a time.

        The counts are ``n`` (``n - n_minus`` if given); ``out`` may be ``s`` itself. The
        temporaries are block-sized instead of category-sized, so a 1M-category key
        does not hold five extra category-sized arrays next to its per-fold tables.
        """
        for start in range(0, len(out), _BLOCK):
            sl = slice(start, start + _BLOCK)
            n_blk = n[sl] if n_minus is None else n[sl] - n_minus[sl]
            out[sl] = self.encode(n_blk, s[sl], s[sl], prior, var, missing_bin=start == 0)


class _Partition:
    """Out-of-fold encodings when the inner folds partition the rows (k-fold, grouped).

    One ``bincount`` over ``fold * (K+1) + code`` gives each fold's own per-category
    counts and sums at once; a fold's encodings use only the other folds' tables, and a
    single gather gives every row the encoding of its own fold. A row's encoding is
    exactly (to the last bit) independent of its fold's targets: counts and indicator
    sums are whole numbers, so "totals minus own" is exact and is done in place; for
    regression the other folds' tables are pooled in a fixed order around the training
    prior (Chan et al.'s parallel variance formula, each fold centred on its own mean).

    Memory (0/1 targets): besides the key's codes, which become the flat index and then
    the output column in place, it holds the per-fold tables (an int32 count and a float64
    sum per fold and category) and block-sized temporaries; the sums come from counting
    the rarer value's rows, not from a weighted ``bincount`` (a row-sized float64 copy).
    """

    def __init__(self, folds: Folds, target: _Target) -> None:
        self.n_folds = f = folds.n_splits
        self.fold = folds.fold.astype(np.int8 if f < 128 else np.int64, copy=False)
        self.target = target
        self.fold_n = np.bincount(self.fold, minlength=f).astype(np.float64)
        self.centres: list[np.ndarray] = []
        self.fold_stats: list[tuple[np.ndarray, np.ndarray]] = []
        self._w: np.ndarray | None = None
        for j in range(len(target.suffixes)):
            v = target.column(j)
            if target.indicator:  # 0/1 int8: count the 1s, no float64 copy of v
                c = np.zeros(f)
                a = np.bincount(self.fold[v.view(bool)], minlength=f).astype(np.float64)
                b = a
            else:
                c = np.bincount(self.fold, weights=v, minlength=f) / self.fold_n
                w = v - c[self.fold]
                a = np.bincount(self.fold, weights=w, minlength=f)
                b = np.bincount(self.fold, weights=w * w, minlength=f)
                self._w = w
            self.centres.append(c)
            self.fold_stats.append((a, b))

    def encode(
        self, codes: np.ndarray, k1: int, rule: _Rule
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """All-rows encodings ``(K+1, outputs)`` and each output's out-of-fold column.

        ``codes`` is overwritten (it becomes the flat index ``fold * (K+1) + code``).
        """
        f = self.n_folds
        idx = codes
        for k in range(1, f):
            np.add(idx, k * k1, out=idx, where=self.fold == k)
        n_f = np.bincount(idx, minlength=f * k1).reshape(f, k1)  # each fold's own counts
        if len(idx) < 2**31:
            n_f = n_f.astype(np.int32)
        n_all = n_f.sum(axis=0, dtype=np.int64).astype(np.float64)
        exact = self.target.indicator
        n_out = len(self.target.suffixes)
        enc = np.empty((k1, n_out))
        values = []
        for j in range(n_out):
            if exact:
                a_f = _indicator_sums(idx, self.target.column(j), n_f)
                a_all = a_f.sum(axis=0)
                rule.encode_into(enc[:, j], n_all, a_all, *self._moments(j, None)[1:])
                np.subtract(a_all, a_f, out=a_f)  # training sums of each fold
                del a_all
                for k in range(f):  # training counts of fold k: all minus its own
                    rule.encode_into(a_f[k], n_all, a_f[k], *self._moments(j, k)[1:], n_f[k])
                table = a_f  # now the encodings
            else:
                w = self._w if self._w is not None else self.target.column(j)
                a_f = np.bincount(idx, weights=w, minlength=f * k1).reshape(f, k1)
                b_f = None
                if rule.auto:
                    b_f = np.bincount(idx, weights=w * w, minlength=f * k1).reshape(f, k1)
                enc[:, j] = self._pooled(j, n_f, a_f, b_f, rule, skip=None)
                table = np.empty((f, k1))
                for k in range(f):
                    table[k] = self._pooled(j, n_f, a_f, b_f, rule, skip=k)
                del a_f, b_f
            if j == n_out - 1 and idx.dtype.itemsize == 8:
                values.append(_take_into(table.ravel(), idx))  # idx is not needed any more
            else:
                values.append(np.take(table.ravel(), idx))
            del table
        return enc, values

    def _moments(self, j: int, skip: int | None) -> tuple[float, float, float]:
        """(centre, prior - centre, variance) of output j over every fold but ``skip``."""
        use = [i for i in range(self.n_folds) if i != skip]
        c = self.centres[j]
        a, b = self.fold_stats[j]
        rows = float(sum(self.fold_n[i] for i in use))
        centre = 0.0
        if not self.target.indicator:
            centre = float(sum(self.fold_n[i] * c[i] + a[i] for i in use)) / rows
        s = q = 0.0
        for i in use:  # the scalar version of _pool, in the same fixed order
            d = c[i] - centre
            s += a[i] + self.fold_n[i] * d
            q += b[i] + 2 * d * a[i] + self.fold_n[i] * d * d
        prior = float(s) / rows
        return centre, prior, float(q) / rows - prior**2

    def _pooled(
        self,
        j: int,
        n_f: np.ndarray,
        a_f: np.ndarray,
        b_f: np.ndarray | None,
        rule: _Rule,
        skip: int | None,
    ) -> np.ndarray:
        """Regression encodings learned from every fold but ``skip`` (None: all folds)."""
        centre, prior, var = self._moments(j, skip)
        use = [i for i in range(self.n_folds) if i != skip]
        c = self.centres[j]
        d = [c[i] - centre for i in use]
        n, s, q = _pool(
            [n_f[i] for i in use],
            [a_f[i] for i in use],
            None if b_f is None else [b_f[i] for i in use],
            d,
        )
        return rule.encode(n, s, q, prior, var) + centre


def _pool(
    n: list[np.ndarray], a: list[np.ndarray], b: list[np.ndarray] | None, d: list[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Counts, sums and squares of ``y - centre`` pooled over folds (fixed order).

    Fold i holds count ``n_i``, sum ``a_i`` and squares ``b_i`` of ``y - c_i``;
    ``d_i = c_i - centre`` moves them to the common centre.
    """
    tot_n = n[0].astype(np.float64)
    tot_s = a[0] + n[0] * d[0] if d[0] else a[0].copy()
    tot_q = None
    if b is not None:
        tot_q = b[0] + (2 * d[0]) * a[0] + n[0] * d[0] ** 2 if d[0] else b[0].copy()
    for i in range(1, len(n)):
        tot_n += n[i]
        tot_s += a[i]
        if d[i]:
            tot_s += n[i] * d[i]
        if tot_q is not None and b is not None:
            tot_q += b[i]
            if d[i]:
                tot_q += (2 * d[i]) * a[i]
                tot_q += n[i] * d[i] ** 2
    return tot_n, tot_s, tot_q


def _masked_oof(
    codes: np.ndarray, k1: int, target: _Target, folds: Folds, rule: _Rule
) -> list[np.ndarray]:
    """Out-of-fold encodings for general inner folds (time: each trains on its past).

    Rows that no inner fold validates (the earliest time block) get NaN.
    """
    values = []
    for j in range(len(target.suffixes)):
        v = target.column(j)
        out = np.full(len(codes), np.nan)
        for tr, va in folds.split():
            table = rule.fit(codes[tr], v[tr], k1, target.indicator)
            out[va] = table[codes[va]]
        values.append(out)
    return values


def _indicator_sums(idx: np.ndarray, v: np.ndarray, n_f: np.ndarray) -> np.ndarray:
    """Each fold's own per-category sums of a 0/1 column ``v``, float64 ``(folds, K+1)``.

    Counts the flat indices of the rarer value instead of a weighted ``bincount`` (which
    would cast ``v`` to a row-sized float64 array): at most half the rows are gathered,
    and the integer table becomes float64 in place. Exact: the sums are whole numbers.
    """
    ones = v.view(bool)
    n_ones = int(np.count_nonzero(ones))
    if 2 * n_ones <= len(v):
        sums = np.bincount(idx[ones], minlength=n_f.size).reshape(n_f.shape)
    else:  # mostly ones: count the zeros and subtract them from the counts
        sums = np.bincount(idx[~ones], minlength=n_f.size).reshape(n_f.shape)
        np.subtract(n_f, sums, out=sums)
    return _float_inplace(sums)


def _float_inplace(a: np.ndarray) -> np.ndarray:
    """An int64 array as float64 in its own buffer, converted a chunk at a time."""
    out = a.view(np.float64)
    flat_in, flat_out = a.reshape(-1), out.reshape(-1)
    step = _BLOCK
    for start in range(0, flat_in.size, step):
        flat_out[start : start + step] = flat_in[start : start + step].astype(np.float64)
    return out


def _take_into(table: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``table[idx]`` written over ``idx``'s own buffer (int64 -> float64), in chunks.

    Saves one row-sized array at the memory peak; each chunk is read completely before
    its slots are overwritten.
    """
    out = idx.view(np.float64)
    step = _BLOCK
    for start in range(0, len(idx), step):
        out[start : start + step] = np.take(table, idx[start : start + step])
    return out


def _add_noise(values: np.ndarray, std: float, rng: np.random.Generator) -> None:
    """Add N(0, std) noise in place, a block of rows at a time (no full-size temporary)."""
    step = _BLOCK
    for start in range(0, len(values), step):
        chunk = values[start : start + step]
        chunk += std * rng.standard_normal(len(chunk))


def _warn_numeric(X: pd.DataFrame, key: tuple[Hashable, ...], codes: np.ndarray, k: int) -> None:
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
            f"stage {STAGE!r}: column {key[0]!r} is numeric with {what.format(WARN_UNIQUE)}; "
            "its target encoding mostly memorises y - bin it, or encode an id-like column "
            "as text/category"
        )
        if message not in _LOGGED:
            _LOGGED.add(message)
            logger.warning("%s", message)
