"""Out-of-fold target encodings, vectorised with ``np.bincount``.

When the inner folds partition the rows (k-fold, grouped), :class:`FoldTables` gets every
fold's per-category counts and sums from one ``bincount`` over ``fold * (K + 1) + code``;
a fold's encodings use only the other folds' tables, and each row reads its encoding
with one gather. Other inner folds (time: each trains on its past) go through
:func:`masked_oof`. There is no Python loop over rows or categories.
"""

from __future__ import annotations

import numpy as np

from podium.cv import Folds
from podium.features.te_smoothing import BLOCK, SmoothingRule
from podium.features.te_target import EncodedTarget

__all__ = ["FoldTables", "add_noise", "masked_oof"]


class FoldTables:
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

    def __init__(self, folds: Folds, target: EncodedTarget) -> None:
        self.n_folds = f = folds.n_splits
        self.fold = folds.fold.astype(np.int8 if f < 128 else np.int64, copy=False)
        self.target = target
        self.fold_n = np.bincount(self.fold, minlength=f).astype(np.float64)
        self.centres: list[np.ndarray] = []
        self.fold_stats: list[tuple[np.ndarray, np.ndarray]] = []
        self._w: np.ndarray | None = None
        for j in range(len(target.suffixes)):
            v = target.column(j)
            a: np.ndarray
            b: np.ndarray
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
        self, codes: np.ndarray, k1: int, rule: SmoothingRule
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
        rule: SmoothingRule,
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


def masked_oof(
    codes: np.ndarray, k1: int, target: EncodedTarget, folds: Folds, rule: SmoothingRule
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
    step = BLOCK
    for start in range(0, flat_in.size, step):
        flat_out[start : start + step] = flat_in[start : start + step].astype(np.float64)
    return out


def _take_into(table: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``table[idx]`` written over ``idx``'s own buffer (int64 -> float64), in chunks.

    Saves one row-sized array at the memory peak; each chunk is read completely before
    its slots are overwritten.
    """
    out = idx.view(np.float64)
    step = BLOCK
    for start in range(0, len(idx), step):
        out[start : start + step] = np.take(table, idx[start : start + step])
    return out


def add_noise(values: np.ndarray, std: float, rng: np.random.Generator) -> None:
    """Add N(0, std) noise in place, a block of rows at a time (no full-size temporary)."""
    step = BLOCK
    for start in range(0, len(values), step):
        chunk = values[start : start + step]
        chunk += std * rng.standard_normal(len(chunk))
