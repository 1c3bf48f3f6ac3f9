"""A dry run of every model's stage chain on a few training rows (``podium validate``).

Stages check their column names and parameters when they are fit, which in a run happens
inside fold 1, after the data has been read and the folds built. Fitting each chain on a
small sample of the first fold's training rows finds those mistakes in a second.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from podium.engine.cv_loop import stage_fit_params
from podium.engine.plan import Plan, split_context
from podium.exceptions import ConfigError

__all__ = ["check_stages"]


def check_stages(plan: Plan, *, rows: int = 400, test_rows: int = 100) -> int:
    """Fit each model's chain on up to ``rows`` training rows of fold 1 and transform up to
    ``test_rows`` test rows; return the number of chains checked.

    Only configuration mistakes (:class:`ConfigError`: a column a stage names that the data
    lacks, a bad parameter value) are reported; anything else a sample this small may
    cause (too few rows per class for inner folds, say) is left to the run.

    Raises:
        ConfigError: prefixed with the pipeline file, naming the stage.
    """
    cfg = plan.cfg
    train_rows, _ = next(iter(plan.folds.split()))
    rng = np.random.default_rng(cfg.competition.seed)
    sample = np.sort(rng.choice(train_rows, size=min(rows, len(train_rows)), replace=False))
    X = plan.data.train.iloc[sample]
    X_test = plan.data.test.iloc[: min(test_rows, len(plan.data.test))]
    ctx = split_context(plan)
    fit_params = {**stage_fit_params(sample, ctx.groups, ctx), "X_test": X_test}
    seen: set[int] = set()
    for chain, _ in plan.models.values():
        if id(chain) in seen:
            continue
        seen.add(id(chain))
        try:
            fitted = clone(chain)
            fitted.fit_transform(X, plan.y[sample], **fit_params)
            fitted.transform(X_test)
        except ConfigError as exc:
            raise ConfigError(f"{cfg.pipeline_file}: {exc}") from None
        except Exception:  # noqa: BLE001 - a sample-size artefact, not a config mistake
            continue
    return len(seen)
