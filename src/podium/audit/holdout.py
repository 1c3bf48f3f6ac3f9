"""CV versus a holdout that mimics the test split (time order or unseen groups).

Only for competitions whose cv names ``time`` or ``groups``: the shipped scheme's CV is
compared with a holdout of the last 20% by time, or of 20% of the groups unseen in
training. They disagree when the holdout lies more than 2 fold standard deviations from
the CV mean.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from podium.cv import Folds
from podium.engine import ExperimentResult, Plan, run_models
from podium.ensemble.apply import apply_ensemble

__all__ = ["HoldoutResult", "cv_vs_holdout", "HOLDOUT_SHARE", "N_STD"]

HOLDOUT_SHARE = 0.2
N_STD = 2.0


@dataclass(frozen=True)
class HoldoutResult:
    """The shipped CV and the holdout score, or why the check does not apply."""

    applicable: bool
    kind: str = ""
    reason: str = ""
    metric: str = ""
    cv_mean: float = float("nan")
    cv_std: float = float("nan")
    holdout: float = float("nan")
    n_holdout: int = 0
    seconds: float = 0.0

    @property
    def agree(self) -> bool:
        if not self.applicable:
            return True
        return bool(abs(self.holdout - self.cv_mean) <= N_STD * max(self.cv_std, 1e-12))

    @property
    def message(self) -> str:
        if not self.applicable:
            return f"CV vs holdout: not applicable ({self.reason})"
        verdict = "agree" if self.agree else f"DISAGREE (> {N_STD:g} std)"
        return (
            f"CV vs {self.kind} holdout: CV {self.metric} {self.cv_mean:.5f} ± {self.cv_std:.5f}, "
            f"holdout {self.holdout:.5f} on {self.n_holdout} rows: {verdict}"
        )


def _time_folds(t: np.ndarray) -> Folds:
    order = np.argsort(t, kind="stable")
    n = len(t)
    cut1, cut2 = int(n * (1 - HOLDOUT_SHARE)), int(n * (1 - 2 * HOLDOUT_SHARE))
    # Snap cuts to the start of a time value so a period is never split.
    ts = t[order]
    cut1 = int(np.searchsorted(ts, ts[cut1], side="left"))
    cut2 = int(np.searchsorted(ts, ts[cut2], side="left"))
    fold = np.full(n, -1, dtype=np.int64)
    fold[order[cut1:]] = 0
    fold[order[cut2:cut1]] = 1
    mask = np.zeros((n, 2), dtype=bool)
    mask[order[:cut1], 0] = True
    mask[order[:cut2], 1] = True
    return Folds(fold=fold, n_splits=2, scheme="time", train_mask=mask)


def _group_folds(g: np.ndarray, seed: int) -> Folds:
    uniq = np.unique(g)
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(uniq)
    k = max(1, int(round(len(uniq) * HOLDOUT_SHARE)))
    fold = np.full(len(g), 1, dtype=np.int64)
    fold[np.isin(g, shuffled[:k])] = 0
    return Folds(fold=fold, n_splits=2, scheme="group_kfold")


def cv_vs_holdout(
    plan: Plan, *, shipped: Callable[[], ExperimentResult] | None = None
) -> HoldoutResult:
    """Run the shipped CV and the mimicking holdout; compare (fold 0 is the holdout).

    ``shipped`` gives the shipped run's result when the caller already has it."""
    cv = plan.cfg.competition.cv
    if cv.time is None and cv.groups is None:
        return HoldoutResult(applicable=False, reason="the cv names no time or groups column")
    started = time.perf_counter()
    if cv.time is not None:
        kind, folds = "last-20%-by-time", _time_folds(plan.data.cv_columns[cv.time].to_numpy())
    else:
        groups = plan.data.cv_columns[cv.groups].to_numpy()
        if np.unique(groups).size < 5:
            return HoldoutResult(applicable=False, reason="fewer than 5 groups")
        kind, folds = "unseen-groups", _group_folds(groups, plan.cfg.competition.seed)
    shipped_result = shipped() if shipped is not None else apply_ensemble(plan, run_models(plan))
    mimic = dataclasses.replace(plan, folds=folds, extra_folds=())  # one holdout, no repeats
    held = apply_ensemble(mimic, run_models(mimic))
    return HoldoutResult(
        applicable=True,
        kind=kind,
        metric=plan.metric.name,
        cv_mean=float(shipped_result.cv_mean),
        cv_std=float(shipped_result.cv_std),
        holdout=float(held.fold_scores[0]),
        n_holdout=int((folds.fold == 0).sum()),
        seconds=time.perf_counter() - started,
    )
