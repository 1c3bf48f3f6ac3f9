"""``podium audit``: look for leaks and for a CV that will not match the leaderboard.

:func:`run_audit` runs the checks on one competition and returns an :class:`AuditResult`;
:mod:`podium.audit.report` turns it into an HTML page and a terminal summary.

Example:
    >>> result = run_audit(RunRequest("telecom_churn", root=Path(".")))  # doctest: +SKIP
    >>> result.leak_found, [f.message for f in result.findings]  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from podium.audit.adversarial import AdversarialResult, adversarial_folds, adversarial_validation
from podium.audit.duplicates import DuplicatesResult, duplicates_and_ids
from podium.audit.holdout import HoldoutResult, cv_vs_holdout
from podium.audit.permutation import PermutationResult, permuted_target_cv
from podium.audit.ranking import RankingResult, ranking_check
from podium.config import RunRequest
from podium.engine import ExperimentResult, Plan, run_models
from podium.ensemble.apply import apply_ensemble
from podium.session import plan_run

__all__ = [
    "AuditResult",
    "Finding",
    "run_audit",
    "audit_plan",
    "adversarial_folds",
    "AdversarialResult",
    "DuplicatesResult",
    "HoldoutResult",
    "PermutationResult",
    "RankingResult",
]

SEVERITIES = ("leak", "warning", "info")
_T = TypeVar("_T")


@dataclass(frozen=True)
class Finding:
    """One sentence of the audit: ``severity`` is ``leak``, ``warning`` or ``info``."""

    check: str
    severity: str
    message: str


@dataclass(frozen=True, eq=False)
class AuditResult:
    """Everything the audit measured on one competition and pipeline.

    ``leak_found`` is true when any finding has severity ``leak`` (the CLI exits 1).
    """

    competition: str
    pipeline: str
    task: str
    metric: str
    n_train: int
    n_test: int
    permutation: PermutationResult
    adversarial: AdversarialResult
    duplicates: DuplicatesResult
    holdout: HoldoutResult
    findings: tuple[Finding, ...]
    timings: dict[str, float] = field(default_factory=dict)
    ranking: RankingResult = field(
        default_factory=lambda: RankingResult(applicable=False, reason="not run")
    )

    @property
    def leak_found(self) -> bool:
        return any(f.severity == "leak" for f in self.findings)


def run_audit(
    request: RunRequest, *, on_step: Callable[[str], None] | None = None
) -> AuditResult:
    """Plan the competition's run (as ``podium run`` would) and audit it.

    Raises:
        ConfigError, DataError: as :func:`podium.session.plan_run`.
    """
    return audit_plan(plan_run(request), on_step=on_step)


def audit_plan(plan: Plan, *, on_step: Callable[[str], None] | None = None) -> AuditResult:
    """Run every check on a prepared plan (see :func:`run_audit`)."""
    step = on_step or (lambda _: None)
    comp = plan.cfg.competition
    timings: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], _T]) -> _T:
        step(name)
        t = time.perf_counter()
        out = fn()
        timings[name] = time.perf_counter() - t
        return out

    data = plan.data
    adv = timed(
        "adversarial", lambda: adversarial_validation(data.train, data.test, seed=comp.seed)
    )
    dup = timed(
        "duplicates", lambda: duplicates_and_ids(adv.train, plan.y, adv.test, task=comp.task)
    )
    perm = timed("permutation", lambda: permuted_target_cv(plan))
    memo: dict[str, ExperimentResult] = {}

    def shipped() -> ExperimentResult:  # the shipped CV, run once for both checks below
        if "run" not in memo:
            memo["run"] = apply_ensemble(plan, run_models(plan))
        return memo["run"]

    hold = timed("holdout", lambda: cv_vs_holdout(plan, shipped=shipped))
    rank = timed("ranking", lambda: ranking_check(plan, shipped=shipped))
    return AuditResult(
        competition=comp.name,
        pipeline=plan.cfg.pipeline_name,
        task=comp.task,
        metric=plan.metric.name,
        n_train=len(data.train),
        n_test=len(data.test),
        permutation=perm,
        adversarial=adv,
        duplicates=dup,
        holdout=hold,
        findings=_findings(perm, adv, dup, hold, rank),
        timings=timings,
        ranking=rank,
    )


def _findings(
    perm: PermutationResult,
    adv: AdversarialResult,
    dup: DuplicatesResult,
    hold: HoldoutResult,
    rank: RankingResult,
) -> tuple[Finding, ...]:
    out = [Finding("permutation", "info" if perm.passed else "leak", perm.message)]
    out.append(Finding("adversarial", "info" if adv.level == "none" else "warning", adv.message))
    out += [Finding("duplicates", "leak", m) for m in dup.leaks]
    out += [Finding("duplicates", "warning", m) for m in dup.warnings]
    out += [Finding("duplicates", "info", m) for m in dup.info]
    out.append(Finding("holdout", "info" if hold.agree else "warning", hold.message))
    out.append(Finding("ranking", "info" if rank.agree else "warning", rank.message))
    return tuple(sorted(out, key=lambda f: SEVERITIES.index(f.severity)))
