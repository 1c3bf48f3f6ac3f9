"""Does the shipped CV rank the models as a test-mimicking CV does?

The mimic is the scheme ``cv: auto`` would pick (:func:`podium.engine.resolve_cv`: time
folds when test is later, period-tail folds when test is the later part of each period,
group folds when test groups are unseen). Every model of the pipeline, and the ensemble,
is cross-validated on both fold assignments by :func:`podium.engine.run_models`; the
check reports each one's two scores, their gap, and Kendall's tau between the two
rankings. It warns when the rankings differ or a gap exceeds the folds' noise, and names
the fix (``cv: auto``, or the scheme it resolves to).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import kendalltau

from podium.config import CVSpec
from podium.engine import ExperimentResult, Plan, make_folds, resolve_cv, run_models
from podium.ensemble.apply import apply_ensemble

__all__ = ["RankRow", "RankingResult", "mimic_plan", "ranking_check", "N_STD"]

N_STD = 2.0
"""A gap beyond this many fold standard deviations is more than noise."""


@dataclass(frozen=True)
class RankRow:
    """One model (or the ensemble): its shipped CV and its mimic CV."""

    name: str
    shipped: float
    shipped_std: float
    mimic: float
    mimic_std: float

    @property
    def gap(self) -> float:
        return self.mimic - self.shipped

    @property
    def noise(self) -> float:
        return N_STD * max(math.hypot(self.shipped_std, self.mimic_std), 1e-12)

    @property
    def beyond_noise(self) -> bool:
        return abs(self.gap) > self.noise


@dataclass(frozen=True)
class RankingResult:
    """The two CVs of every model, the rank agreement, and what to do about it.

    Attributes:
        applicable: False when there is no relation to mimic or the shipped scheme is it.
        shipped_scheme, mimic_scheme: the two schemes; ``why`` is ``cv: auto``'s reason.
        tau: Kendall's tau between the two rankings (nan with fewer than 2 models).
        fix: the cv to use instead, as a line of competition.yaml.
    """

    applicable: bool
    reason: str = ""
    metric: str = ""
    shipped_scheme: str = ""
    mimic_scheme: str = ""
    why: str = ""
    rows: tuple[RankRow, ...] = ()
    tau: float = float("nan")
    fix: str = ""
    seconds: float = 0.0

    @property
    def rank_agree(self) -> bool:
        return not self.tau < 1.0  # nan (one model) agrees

    @property
    def agree(self) -> bool:
        if not self.applicable:
            return True
        return self.rank_agree and not any(r.beyond_noise for r in self.rows)

    @property
    def message(self) -> str:
        if not self.applicable:
            return f"CV ranking vs test mimic: not applicable ({self.reason})"
        worst = max(self.rows, key=lambda r: abs(r.gap) / r.noise)
        head = (
            f"CV ranking: shipped {self.shipped_scheme} vs test-mimicking {self.mimic_scheme}: "
            f"Kendall tau {self.tau:.2f} over {len(self.rows)} models; largest gap "
            f"{worst.name} {self.metric} {worst.shipped:.5f} vs {worst.mimic:.5f}"
        )
        if self.agree:
            return head + ": agree"
        what = []
        if not self.rank_agree:
            what.append("ranks the models differently")
        if any(r.beyond_noise for r in self.rows):
            what.append(f"differs by more than {N_STD:g} std")
        return f"{head}: DISAGREE (shipped CV {' and '.join(what)}); fix: {self.fix}"


def mimic_plan(plan: Plan) -> Plan:
    """``plan`` with the folds ``cv: auto`` would build (same models, data and seed)."""
    cv = plan.cfg.competition.cv
    auto = CVSpec(
        scheme="auto", n_splits=cv.n_splits, shuffle=cv.shuffle, time=cv.time,
        groups=cv.groups,
    )  # fmt: skip
    comp = plan.cfg.competition.model_copy(update={"cv": auto})
    cfg, data, _ = resolve_cv(dataclasses.replace(plan.cfg, competition=comp), plan.data)
    folds = make_folds(cfg, data, plan.y, plan.registry)
    return dataclasses.replace(plan, cfg=cfg, data=data, folds=folds, extra_folds=())


def ranking_check(
    plan: Plan, *, shipped: Callable[[], ExperimentResult] | None = None
) -> RankingResult:
    """Cross-validate every model on the shipped folds and on the mimic's; compare.

    Args:
        plan: A prepared run.
        shipped: Gives the shipped run's result when the caller already has it (the audit
            shares it with the holdout check); default: run it.
    """
    relation = plan.relation
    if relation is None or relation.kind in ("none", "mixed"):
        kind = "none" if relation is None else relation.kind
        return RankingResult(applicable=False, reason=f"no test relation to mimic ({kind})")
    started = time.perf_counter()
    mimic = mimic_plan(plan)
    cv, mcv = plan.cfg.competition.cv, mimic.cfg.competition.cv
    if mimic.folds.fingerprint == plan.folds.fingerprint:
        return RankingResult(
            applicable=False, reason=f"the shipped cv is the test-mimicking one ({cv.scheme})"
        )
    ship = shipped() if shipped is not None else apply_ensemble(plan, run_models(plan))
    mim = apply_ensemble(mimic, run_models(mimic))
    rows = [
        RankRow(name, r.cv_mean, r.cv_std, mim.results[name].cv_mean, mim.results[name].cv_std)
        for name, r in ship.results.items()
    ]
    if ship.chosen not in ship.results:  # an ensemble
        rows.append(RankRow(ship.chosen, ship.cv_mean, ship.cv_std, mim.cv_mean, mim.cv_std))
    tau = float("nan")
    if len(rows) >= 2:
        a = np.array([r.shipped for r in rows])
        b = np.array([r.mimic for r in rows])
        tau = float(kendalltau(a, b).statistic) if np.ptp(a) > 0 and np.ptp(b) > 0 else 0.0
    return RankingResult(
        applicable=True,
        metric=plan.metric.name,
        shipped_scheme=cv.scheme,
        mimic_scheme=mcv.scheme,
        why=mcv.chosen or "",
        rows=tuple(rows),
        tau=tau,
        fix=_fix(mcv),
        seconds=time.perf_counter() - started,
    )


def _fix(cv: CVSpec) -> str:
    keys = ["scheme", "time", "groups", "period", "tail", "gap", "n_splits"]
    parts = [f"{k}: {getattr(cv, k)}" for k in keys if getattr(cv, k) not in (None, 0)]
    return "cv: auto (or cv: {" + ", ".join(parts) + "})"
