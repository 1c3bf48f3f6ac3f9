"""How per-category counts and sums become target encodings: smoothing and ``min_count``.

``smoothing="auto"`` is scikit-learn's empirical-Bayes blend (Micci-Barreca eq. 5-6); a
number ``m`` gives the m-estimate ``(sum_c + m * prior) / (n_c + m)``. Bin 0 (missing or
unseen values), empty bins and bins below ``min_count`` get the prior.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["BLOCK", "SmoothingRule"]

BLOCK = 1 << 16  # elements per block: per-fold table encoding, in-place casts, gathers


@dataclass
class SmoothingRule:
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
        for start in range(0, len(out), BLOCK):
            sl = slice(start, start + BLOCK)
            n_blk = n[sl] if n_minus is None else n[sl] - n_minus[sl]
            out[sl] = self.encode(n_blk, s[sl], s[sl], prior, var, missing_bin=start == 0)
