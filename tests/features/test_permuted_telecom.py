"""Permuted-target check on telecom churn (issue 3, "Done when").

With the target shuffled, the CV ROC-AUC of a pipeline with target encoding and KNN
features stays within 0.5 ± 0.03: the supervised stages do not leak the target into the
model's features. Runs podium's own permuted-target audit
(:func:`podium.audit.permutation.permuted_target_cv`: the train file is rewritten with the
target permuted and the whole run is planned again from it) and, for reference, the same
pipeline on the real target.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from podium.audit.permutation import permuted_target_cv
from podium.config import RunRequest
from podium.engine.experiment import run_models
from podium.session import plan_run

REPO = Path(__file__).resolve().parents[2]


def _data_dir() -> Path | None:
    for base in (os.environ.get("PODIUM_DATA_DIR"), REPO.parent / "shared" / "data"):
        if base and (Path(base) / "telecom_churn" / "train.csv").is_file():
            return Path(base) / "telecom_churn"
    return None


DATA = _data_dir()
CATEGORICAL = {"kind": "categorical"}  # the column profile's: the 15 text columns, in order
NUMERIC = ["ClientPeriod", "MonthlySpending", "TotalSpent"]
STAGES = [
    {"name": "numeric", "use": "to_numeric"},
    {"name": "te", "use": "target_encoder", "params": {"columns": CATEGORICAL}},
    {"name": "knn", "use": "knn_features", "params": {"columns": NUMERIC, "ks": [5, 20]}},
    {"name": "cats", "use": "categorical", "params": {"encoding": "native"}},
]
MODEL = {
    "lgb": {
        "use": "lightgbm",
        "params": {
            "learning_rate": 0.05, "num_leaves": 8, "min_child_samples": 30,
            "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.7,
            "n_estimators": 600,
        },
        "early_stopping": {"rounds": 50, "holdout": 0.1},
    }
}  # fmt: skip
OVERRIDES = [
    f"stages={json.dumps(STAGES)}",
    f"models={json.dumps(MODEL)}",
    "cache=off",
    "n_workers=1",
]


@pytest.mark.slow
@pytest.mark.skipif(
    DATA is None, reason="needs telecom_churn data ($PODIUM_DATA_DIR or ../shared)"
)
def test_permuted_target_auc_at_chance_with_te_and_knn() -> None:
    assert DATA is not None
    plan = plan_run(RunRequest("telecom_churn", root=REPO, overrides=OVERRIDES, data_dir=DATA))
    real = run_models(plan)
    permuted = [permuted_target_cv(plan, seed=seed) for seed in (42, 1, 2)]
    print(
        f"\ntelecom, target_encoder + knn_features + lightgbm: CV ROC-AUC "
        f"{real.cv_mean:.4f} ± {real.cv_std:.4f} (real target); permuted: "
        + ", ".join(f"{p.score:.4f} (seed {p.seed}, {p.seconds:.1f}s)" for p in permuted)
    )
    assert real.cv_mean > 0.80  # the features carry the real signal
    for p in permuted:  # chance: 0.5; its null std here is ~0.009 (5,282 rows, 26% churn)
        assert abs(p.score - 0.5) <= 0.03, p.message
