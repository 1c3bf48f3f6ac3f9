"""The end-of-run leaderboard: every model by CV, the ensemble's line, and a remark when
the ensemble does not beat the best single model.

``podium run`` prints it (``podium.cli``) and logs it as ``leaderboard.txt`` and
``leaderboard.csv``; both come from :func:`build_leaderboard`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from podium.engine import ExperimentResult

__all__ = ["Leaderboard", "LeaderRow", "build_leaderboard"]


@dataclass(frozen=True)
class LeaderRow:
    """One line: a model, or the ensemble (``kind`` ``"ensemble"``).

    ``share`` is the model's blend weight or, for a stack, its share of the level-2
    model's coefficient magnitudes (``None`` when it has none, e.g. not a member).
    """

    name: str
    kind: str
    cv_mean: float
    cv_std: float
    seconds: float | None
    share: float | None = None


@dataclass(frozen=True)
class Leaderboard:
    """The models best first, then the ensemble line.

    Attributes:
        metric: the competition's metric name.
        share_label: what ``share`` holds (``weight``, ``stack coef``) or ``None``.
        remark: one line when the ensemble is not better than the best single model.
    """

    metric: str
    rows: tuple[LeaderRow, ...]
    share_label: str | None = None
    remark: str | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per line: ``name, kind, cv_<metric>, cv_std, seconds[, share]``."""
        frame = pd.DataFrame(
            {
                "name": [r.name for r in self.rows],
                "kind": [r.kind for r in self.rows],
                f"cv_{self.metric}": [r.cv_mean for r in self.rows],
                "cv_std": [r.cv_std for r in self.rows],
                "seconds": [r.seconds for r in self.rows],
            }
        )
        if self.share_label is not None:
            frame[self.share_label.replace(" ", "_")] = [r.share for r in self.rows]
        return frame

    def lines(self) -> list[str]:
        """The table as fixed-width text lines (the remark last, when there is one)."""
        head = ["", "model", f"CV {self.metric}", "time"]
        if self.share_label is not None:
            head.append(self.share_label)
        body: list[list[str]] = []
        rank = 0
        for r in self.rows:
            rank += r.kind == "model"
            cells = [
                f"{rank}" if r.kind == "model" else "=",
                r.name,
                f"{r.cv_mean:.5f} ± {r.cv_std:.5f}",
                "-" if r.seconds is None else f"{r.seconds:.1f}s",
            ]
            if self.share_label is not None:
                cells.append("-" if r.share is None else f"{r.share:.3f}")
            body.append(cells)
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
        right = {0, 2, 3, 4}

        def fmt(cells: list[str]) -> str:
            parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in
                     enumerate(zip(cells, widths, strict=True))]  # fmt: skip
            return "  ".join(parts).rstrip()

        out = [fmt(head), fmt(["-" * w for w in widths])]
        models = [fmt(c) for c, r in zip(body, self.rows, strict=True) if r.kind == "model"]
        rest = [fmt(c) for c, r in zip(body, self.rows, strict=True) if r.kind != "model"]
        out += models
        if rest:
            out += [fmt(["-" * w for w in widths]), *rest]
        if self.remark:
            out.extend(self.remark.splitlines())
        return out

    def to_text(self) -> str:
        return "\n".join(self.lines()) + "\n"


def build_leaderboard(metric: Any, result: ExperimentResult) -> Leaderboard:
    """The leaderboard of a run's ``result``; ``metric`` has ``name`` and
    ``greater_is_better`` (a :class:`podium.metrics.Metric`)."""
    sign = 1.0 if metric.greater_is_better else -1.0
    models = sorted(result.results.values(), key=lambda r: -sign * r.cv_mean)
    shares, label = _shares(result)
    rows = [
        LeaderRow(r.name, "model", r.cv_mean, r.cv_std, r.seconds, shares.get(r.name))
        for r in models
    ]
    remark = None
    if result.chosen not in result.results:  # an ensemble made the submission
        rows.append(
            LeaderRow(
                f"ensemble ({result.chosen})", "ensemble", result.cv_mean, result.cv_std,
                None, math.fsum(shares.values()) if shares else None,
            )
        )  # fmt: skip
        best = models[0]
        if sign * result.cv_mean <= sign * best.cv_mean:
            remark = (
                f"note: the ensemble ({result.chosen}, CV {result.cv_mean:.5f}) is not better "
                f"than the best single model {best.name} (CV {best.cv_mean:.5f})"
            )
    elif len(models) > 1:
        rows.append(
            LeaderRow(
                f"submission: {result.chosen} (best)", "ensemble", result.cv_mean,
                result.cv_std, None, None,
            )
        )  # fmt: skip
    if result.skipped:
        skipped = f"not run (time limit): {', '.join(result.skipped)}"
        remark = skipped if remark is None else f"{remark}\n{skipped}"
    return Leaderboard(metric.name, tuple(rows), label, remark)


def _shares(result: ExperimentResult) -> tuple[dict[str, float], str | None]:
    """Blend weights, or a stack's coefficient magnitudes per member (normalized to sum 1;
    a multiclass member's per-class columns ``name_j`` summed)."""
    if result.weights:
        return {k: float(v) for k, v in result.weights.items()}, "weight"
    coefs = result.details.get("importance")
    members = result.details.get("members") or []
    if result.chosen != "stack" or not isinstance(coefs, dict) or not members:
        return {}, None
    per: dict[str, float] = {}
    for col, value in coefs.items():
        owner = next(
            (m for m in sorted(members, key=len, reverse=True)
             if col == m or str(col).startswith(f"{m}_")),
            None,
        )  # fmt: skip
        if owner is not None:
            per[owner] = per.get(owner, 0.0) + abs(float(value))
    total = math.fsum(per.values())
    if total <= 0:
        return {}, None
    return {k: v / total for k, v in per.items()}, "stack coef"
