"""Why each column goes where: the column profile joined with the stages that use it.

A pipeline written with kind selectors (``columns: {kind: categorical}``, as ``auto``
is) decides nothing by column name; this module says what it decided, one line per
column that some stage picked out by name or kind, e.g.::

    MGR_ID: categorical (4243 values, 31% of test values unseen in train, integer codes)
      -> catboost: cats; lgb: te, counts; linear: cats

Numeric columns that no stage names are summarised on one line. The lines are printed
when a run starts and logged with it (``choices.txt``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

__all__ = ["explain_choices"]


def _uses(
    models: dict[str, tuple[Any, Any]], kinds: dict[str, str]
) -> dict[str, list[tuple[str, str]]]:
    """Column -> [(model, stage)] for every stage built with an explicit column list, or
    left to its ``default_kinds`` (e.g. the datetime stage: every datetime column)."""
    uses: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for model, (chain, _) in models.items():
        for step, stage in getattr(chain, "steps", None) or []:
            cols = getattr(stage, "columns", None)
            if cols is None and getattr(stage, "default_kinds", None):
                cols = [c for c, k in kinds.items() if k in stage.default_kinds]
            if isinstance(cols, list | tuple):
                for c in cols:
                    for part in c if isinstance(c, list | tuple) else (c,):
                        if (model, step) not in uses[str(part)]:
                            uses[str(part)].append((model, step))
    return uses


def _where(pairs: list[tuple[str, str]]) -> str:
    by_model: dict[str, list[str]] = defaultdict(list)
    for model, step in pairs:
        by_model[model].append(step)
    return "; ".join(f"{m}: {', '.join(s)}" for m, s in by_model.items())


def explain_choices(plan: Any, *, max_numeric: int = 8) -> list[str]:
    """One line per feature column a stage picked (its kind, the evidence, the stages),
    then one line for the numeric columns passed to every model as numbers."""
    profile = plan.data.profile
    kinds = plan.data.kinds
    uses = _uses(plan.models, kinds)
    lines: list[str] = []
    plain: list[str] = []
    for col, kind in kinds.items():
        where = uses.get(col)
        if not where and kind == "numeric":
            plain.append(col)
            continue
        reason = ""
        if col in profile:
            reason = f" ({profile[col].reason.split(' -> ')[0]})"
        target = _where(where) if where else "as the models read it"
        lines.append(f"{col}: {kind}{reason} -> {target}")
    if plain:
        shown = ", ".join(plain[:max_numeric]) + (", ..." if len(plain) > max_numeric else "")
        lines.append(f"{len(plain)} numeric column(s) -> every model as numbers: {shown}")
    return lines
