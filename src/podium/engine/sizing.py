"""Model parameters that depend on the size of the training set: ``below_rows``.

A model spec may hold ``below_rows: {10000: {depth: 4, l2_leaf_reg: 5}}``: when the
training file has fewer than 10,000 rows, those parameters are merged over its ``params``
(of several bounds, the smallest that holds wins); its key ``seeds``, if any, sets the
model's seed averaging instead (``seeds: 5``: small data makes more seeds cheap, and their
average steadier). Small training sets want shallower, more regularised trees: on
telecom_churn's 5,282 rows CatBoost at depth 4 scores 0.8474 CV ROC-AUC, at depth 6
0.8445; on 30k rows and more depth 6 is the better default.

A parameter set by an override (``--set``, the competition file, a tuning trial) is never
replaced. A run resolves this once (:func:`podium.engine.plan.prepare`) so the
parameters it records are the ones trained; :func:`podium.engine.build.build_all` applies
the same rule to configs it is given directly (tuning trials), which changes nothing on a
config already resolved.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["apply_below_rows"]


def apply_below_rows(cfg: Any, n_rows: int) -> tuple[Any, list[str]]:
    """``cfg`` (a ``ResolvedConfig``) with each model's ``below_rows`` applied for
    ``n_rows`` training rows, and one line per model changed (``catboost: 5,282 training
    rows < 10,000 -> depth=4``). ``n_rows`` of 0 means unknown: nothing is applied."""
    pipe = cfg.pipeline
    pipeline_file = str(cfg.pipeline_file)
    models, notes = {}, []
    for name, spec in pipe.models.items():
        bounds = sorted(b for b in spec.below_rows if n_rows and n_rows < b)
        if not bounds:
            models[name] = spec
            continue
        wanted, seeds = spec.below_rows_entry(bounds[0])
        changes = {
            k: v
            for k, v in wanted.items()
            if cfg.source_of(f"models.{name}.params.{k}") == pipeline_file
            and spec.params.get(k, _UNSET) != v
        }
        update: dict[str, Any] = {"params": {**spec.params, **changes}} if changes else {}
        if (
            seeds is not None
            and cfg.source_of(f"models.{name}.seeds") == pipeline_file
            and spec.seeds != seeds
        ):
            update["seeds"] = changes["seeds"] = seeds  # shown with the params
        if not update:
            models[name] = spec
            continue
        models[name] = spec.model_copy(update=update)
        shown = ", ".join(f"{k}={v}" for k, v in changes.items())
        notes.append(f"{name}: {n_rows:,} training rows < {bounds[0]:,} -> {shown}")
    if not notes:
        return cfg, []
    return dataclasses.replace(cfg, pipeline=pipe.model_copy(update={"models": models})), notes


_UNSET = object()
