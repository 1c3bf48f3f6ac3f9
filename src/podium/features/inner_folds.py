"""Inner folds: the folds a cross-fitted stage splits its fitting rows into.

They follow the outer scheme (:class:`~podium.cv.SplitContext`): grouped outside ->
whole groups inside, time -> each inner fold learns only from earlier times; otherwise a
shuffled (stratified) k-fold built in O(n). Every set of inner folds is checked before
use: no group spans two folds, no time fold trains on its own period or later, no fold
trains on its own rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from podium._validate import Integral, Interval, check_param
from podium.cv import Folds, SplitContext
from podium.exceptions import ConfigError, DataError, LeakageError

__all__ = ["check_disjoint", "context_for", "make_inner_folds"]

_FAST_SCHEMES = ("kfold", "stratified_kfold")


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
    check_param("n_splits", n_splits, Interval(Integral, 2), where=f"stage {stage!r}")
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
    check_param("random_state", random_state, Interval(Integral), expected="an int or None")
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
