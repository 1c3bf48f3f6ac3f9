"""Which feature stages help the strong pipelines' models? (issue 3, item 9)

For each competition, every variant is one of ``pipelines/strong.yaml``'s models (as the
competition resolves it, ``pipeline_overrides`` included) with a feature stage put in
front of its own stages. All variants of a competition run in one podium plan, through
podium's engine (``podium.session.plan_run`` + ``podium.engine.experiment.run_models``),
on the run's one fold assignment, so fold k is the same rows for every variant and the
differences are paired: "delta" is the mean over folds of (variant - base) and "se" its
standard error (std of the 5 differences / sqrt(5)). The engine seeds each model by its
position in the plan, so variants also differ from their base by the model seed; the
``+copy`` variants (the base model again, no stage) measure that seed noise alone.
The score is the competition metric
(telecom: ROC-AUC, higher is better; house prices: RMSE of log price, lower is better).

Usage:
    uv run python bench/feature_choice.py [--competition telecom_churn house_prices]
        [--models lgb xgb ...]

Writes ``bench/results/feature_choice-<competition>.json`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]

TELECOM_CATS = {"kind": "categorical"}  # the column profile's: the 15 text columns, in order
TELECOM_NUM = ["ClientPeriod", "MonthlySpending", "TotalSpent"]
HOUSE_TE = ["Neighborhood", "MSSubClass", "Exterior1st", "Exterior2nd", "Condition1",
            "SaleType", "HouseStyle"]  # fmt: skip
HOUSE_AGG_COLS = ["GrLivArea", "OverallQual", "TotalBsmtSF", "YearBuilt", "LotArea"]


def _stage(name: str, use: str, **params: Any) -> dict[str, Any]:
    return {"name": name, "use": use, "params": params}


# variant suffix -> the stage put first in the model's own stages
STAGES: dict[str, dict[str, dict[str, Any]]] = {
    "telecom_churn": {
        "te": _stage("te", "target_encoder", columns=TELECOM_CATS),
        "count": _stage("count", "count_encoder", columns=TELECOM_CATS),
        "knn": _stage("knn", "knn_features", columns=TELECOM_NUM, ks=[5, 20, 50]),
    },
    "house_prices": {
        "aggs": _stage(
            "aggs",
            "group_aggregates",
            by=["Neighborhood"],
            columns=HOUSE_AGG_COLS,
            aggs=["mean", "diff"],
        ),  # fmt: skip
        "te": _stage("te", "target_encoder", columns=HOUSE_TE),
    },
}
# which variants each model gets (catboost is left out: it target-encodes itself);
# "copy" is the base model again (seed noise)
PLAN: dict[str, dict[str, list[str]]] = {
    "telecom_churn": {
        "lgb": ["te", "count", "knn", "copy"],
        "xgb": ["te", "count"],
        "rf": ["te", "knn"],
        "linear": ["knn", "te"],
    },
    "house_prices": {
        "lgb": ["aggs", "te", "copy"],
        "xgb": ["aggs", "te"],
        "rf": ["aggs", "te", "copy"],
        "linear": ["aggs", "te"],
    },
}


def variants(comp: str, only: list[str] | None) -> dict[str, dict[str, Any]]:
    """Model specs: each chosen strong model, and one copy per feature stage."""
    from podium.config import load_config

    cfg = load_config(comp, root=REPO, pipeline="strong")
    out: dict[str, dict[str, Any]] = {}
    for name, suffixes in PLAN[comp].items():
        if only and name not in only:
            continue
        base = cfg.pipeline.models[name].model_dump(mode="json", exclude_defaults=True)
        out[name] = base
        for sfx in suffixes:
            spec = copy.deepcopy(base)
            if sfx != "copy":
                spec["stages"] = [STAGES[comp][sfx], *spec.get("stages", [])]
            out[f"{name}+{sfx}"] = spec
    return out


def run(comp: str, only: list[str] | None) -> list[dict[str, Any]]:
    from podium.config import RunRequest
    from podium.engine.experiment import run_models
    from podium.session import plan_run

    models = variants(comp, only)
    data = Path(os.environ.get("PODIUM_DATA_DIR", REPO.parent / "shared" / "data"))
    overrides = [f"models={json.dumps(models)}", "cache=off", "ensemble={method: best}"]
    request = RunRequest(
        comp, root=REPO, pipeline="strong", overrides=overrides, data_dir=data / comp
    )
    plan = plan_run(request)
    started = time.perf_counter()
    results = run_models(plan).results
    print(f"{comp}: {len(models)} variants in {time.perf_counter() - started:.0f}s", flush=True)
    rows = []
    for name, res in results.items():
        base = results[name.split("+")[0]]
        scores = np.array([f.score for f in res.folds])
        diff = scores - np.array([f.score for f in base.folds])
        rows.append(
            {
                "competition": comp,
                "variant": name,
                "cv_mean": float(res.cv_mean),
                "cv_std": float(res.cv_std),
                "fold_scores": scores.tolist(),
                "delta": float(diff.mean()),
                "delta_se": float(diff.std(ddof=1) / np.sqrt(len(diff))),
                "seconds": float(res.seconds),
            }
        )
    suffix = "" if only is None else "-" + "-".join(only)
    (REPO / "bench" / "results" / f"feature_choice-{comp}{suffix}.json").write_text(
        json.dumps(rows, indent=1)
    )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--competition", nargs="+", default=["telecom_churn", "house_prices"])
    ap.add_argument("--models", nargs="+", help="only these strong models (and variants)")
    args = ap.parse_args()
    load = os.getloadavg()
    print("| competition | variant | CV mean ± std | delta vs base ± se | seconds |")
    print("|---|---|---:|---:|---:|")
    for comp in args.competition:
        for r in run(comp, args.models):
            delta = "-" if "+" not in r["variant"] else f"{r['delta']:+.4f} ± {r['delta_se']:.4f}"
            print(
                f"| {comp} | {r['variant']} | {r['cv_mean']:.4f} ± {r['cv_std']:.4f} | "
                f"{delta} | {r['seconds']:.0f} |",
                flush=True,
            )
    end = os.getloadavg()
    print(f"load average 1/5/15 min: {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} at start, "
          f"{end[0]:.1f}/{end[1]:.1f}/{end[2]:.1f} at end")  # fmt: skip


if __name__ == "__main__":
    main()
