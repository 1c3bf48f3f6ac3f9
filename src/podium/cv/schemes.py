"""CV schemes as registry entries: what a scheme gets (:class:`FoldRequest`) and gives.

A scheme is any object with ``build(request) -> Folds`` (or an integer array of fold ids,
-1 = never validated, recorded as a ``fold_column`` assignment). The built-in schemes are
:class:`BuiltinScheme` entries of :func:`podium.cv.splitters.build_folds`; a plug-in adds
one with ``registry.add_scheme(name, scheme)`` and a competition uses it with
``cv: {scheme: <name>, params: {...}}`` (its own parameters in ``cv.params``).

Example (a plug-in file)::

    class EveryOther:
        def build(self, request):
            return np.arange(request.n_rows) % request.n_splits

    def register(registry):
        registry.add_scheme("every_other", EveryOther())
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from podium.cv.folds import SCHEMES, Folds, as_int_array, infer_n_splits
from podium.cv.splitters import build_folds
from podium.exceptions import ConfigError

__all__ = ["BUILTIN_SCHEMES", "BuiltinScheme", "FoldRequest", "build_scheme"]


@dataclass(frozen=True, eq=False)
class FoldRequest:
    """What a scheme builds folds from: the cv settings and the per-row columns they name.

    ``groups``, ``time`` and ``fold_column`` are the values of the columns ``cv.groups``,
    ``cv.time`` and ``cv.fold_column`` name (None when not named); ``params`` is
    ``cv.params`` (a plug-in scheme's own settings).
    """

    n_rows: int
    n_splits: int = 5
    seed: int = 0
    shuffle: bool = True
    y: np.ndarray | None = None
    task: str | None = None
    groups: np.ndarray | None = None
    time: np.ndarray | None = None
    gap: int = 0
    fold_column: np.ndarray | None = None
    period: str | None = None
    tail: float | None = None
    past_only: bool = False
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BuiltinScheme:
    """One of podium's schemes (:data:`podium.cv.SCHEMES`), built by ``build_folds``."""

    name: str

    def build(self, request: FoldRequest) -> Folds:
        r = request
        extra: dict[str, Any] = {}
        if self.name == "period_tail":
            extra = {"period": r.period, "tail": r.tail, "past_only": r.past_only}
        return build_folds(
            self.name, n_rows=r.n_rows, n_splits=r.n_splits, seed=r.seed, shuffle=r.shuffle,
            y=r.y, task=r.task, groups=r.groups, time=r.time, gap=r.gap,
            fold_column=r.fold_column, **extra,
        )  # fmt: skip


BUILTIN_SCHEMES: dict[str, BuiltinScheme] = {name: BuiltinScheme(name) for name in SCHEMES}


def build_scheme(scheme: Any, name: str, request: FoldRequest) -> Folds:
    """Run ``scheme.build(request)`` and check what it gives.

    Raises:
        ConfigError: the result is neither Folds nor fold ids, or does not cover the rows.
    """
    out = scheme.build(request)
    if isinstance(out, Folds):
        folds = out
    elif isinstance(out, np.ndarray | list):
        fold = as_int_array(np.asarray(out), f"cv scheme {name!r} fold ids")
        folds = Folds(fold, infer_n_splits(fold, f"cv scheme {name!r} fold ids"), "fold_column")
    else:
        raise ConfigError(
            f"cv scheme {name!r}: build(request) must return Folds or fold ids, "
            f"got {type(out).__name__}"
        )
    if folds.n_rows != request.n_rows:
        raise ConfigError(
            f"cv scheme {name!r}: built folds for {folds.n_rows} rows, expected {request.n_rows}"
        )
    return folds
