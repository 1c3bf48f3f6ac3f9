"""``cv: auto``: the scheme that mimics how the test relates to train.

The relation is measured by :func:`podium.data.relation.measure_relation`; this module
turns it into a cv spec:

* test later than train -> ``time`` (past-only folds), with a gap of the time steps
  between train and test; where the boundary overlaps (some test rows at or before the
  last training time) at least one step is purged;
* test the later part of each month / week / day -> ``period_tail`` with that period and
  the measured tail share;
* test groups unseen in train -> ``group_kfold`` on that column;
* otherwise -> ``stratified_kfold`` (podium's scheme before ``auto``; regression targets
  are stratified on quantile bins).
"""

from __future__ import annotations

from podium.config import CVSpec
from podium.data.relation import Relation

__all__ = ["choose_cv"]

FALLBACK = "stratified_kfold"


def choose_cv(relation: Relation, cv: CVSpec, task: str) -> CVSpec:
    """The spec ``scheme: auto`` resolves to (``chosen`` says why, in one line).

    Keys the user set (``n_splits``, ``shuffle``, ``period``, ``tail``, ``past_only``,
    ``gap``) are kept where they apply; what the relation measured fills the rest.
    """
    named = {cv.time, cv.groups} - {None}
    t, g = relation.time, relation.groups
    kind = relation.kind
    update: dict[str, object]
    if kind == "later" and t is not None:
        gap = cv.gap if "gap" in cv.model_fields_set else max(t.gap, int(t.share_after < 1.0))
        limit = max(0, t.n_times // (cv.n_splits + 1) - 1)
        gap = min(gap, limit)
        purged = ", purged" if t.share_after < 1.0 else ""
        update = {"scheme": "time", "time": t.column, "gap": gap}
        why = f"{t.message}; past-only time folds, gap {gap}{purged}"
    elif kind == "period_tail" and t is not None:
        tail = cv.tail if cv.tail is not None else t.tail
        n_splits = min(cv.n_splits, t.n_periods) if t.n_periods >= 2 else cv.n_splits
        update = {
            "scheme": "period_tail", "time": t.column, "period": cv.period or t.period,
            "tail": tail, "n_splits": n_splits, "gap": 0,
        }  # fmt: skip
        past = ", past only" if cv.past_only else ""
        why = f"{t.message}; validate the last {tail:.0%} of each {t.period}'s training"
        why += f" times{past}"
    elif kind == "groups_unseen" and g is not None:
        n_splits = min(cv.n_splits, g.n_groups)
        update = {"scheme": "group_kfold", "groups": g.column, "n_splits": n_splits, "gap": 0}
        why = f"{g.message}; whole groups validated"
    else:
        update = {"scheme": FALLBACK, "gap": 0}
        seen = "; ".join(x.message for x in (t, g) if x is not None)
        why = f"{seen + '; ' if seen else ''}no time order or unseen groups to mimic"
    column = update.get("time") if update["scheme"] in ("time", "period_tail") else None
    column = column or update.get("groups")
    from_features = [str(column)] if column is not None and column not in named else []
    line = f"cv: auto -> {update['scheme']}: {why}"
    return cv.model_copy(update={**update, "chosen": line, "from_features": from_features})
