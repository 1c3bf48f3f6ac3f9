"""The weights blender with and without bagging over the folds, on real runs' OOFs.

Usage:
    uv run python bench/blend_bagging.py --oof 'DIR/**/oof.parquet' [--metric roc_auc]

Each ``oof.parquet`` is a podium run's artifact (columns ``target``, ``fold``, the
submitted ``oof``, then one column per model). For each file the script scores the nested
CV of the blend (fold k blended with weights fit on the other folds, as a run reports it)
with ``ensemble: {method: weights, params: {bag: false}}`` and with ``bag: auto`` (the
default: for metrics without a gradient in the weights, such as ROC-AUC, the weights are
the mean of searches leaving out each fold), beside the best single model's CV.

Prints a markdown table, one row per file, and the means. Binary and regression files
only (a multiclass OOF holds one column per class and model).
"""

from __future__ import annotations

import argparse
import glob
import statistics
import time

import numpy as np
import pandas as pd

from podium.cv import Folds
from podium.ensemble.blend import make_blender
from podium.ensemble.combine import nested_blend
from podium.metrics import get_metric

SETTINGS = {"bag: false": {"bag": False}, "bag: auto": {"bag": "auto"}}


def score_file(path: str, metric_name: str) -> dict[str, float]:
    frame = pd.read_parquet(path)
    members = [c for c in frame.columns if c not in ("target", "fold", "oof")]
    y, fold = frame["target"].to_numpy(), frame["fold"].to_numpy()
    P = frame[members].to_numpy(dtype=float)
    metric = get_metric(metric_name)
    folds = Folds(fold=fold, n_splits=int(fold.max()) + 1, scheme="kfold")
    out: dict[str, float] = {}
    for label, params in SETTINGS.items():
        t0 = time.perf_counter()
        _, scores = nested_blend(lambda p=params: make_blender("weights", p), P, y, folds, metric)
        out[label] = float(np.mean(scores))
        out[f"{label} s"] = time.perf_counter() - t0
    per_model = [
        np.mean([metric(y[fold == k], P[fold == k, j]) for k in range(folds.n_splits)])
        for j in range(len(members))
    ]
    best = max(per_model) if metric.greater_is_better else min(per_model)
    out["best single model"] = float(best)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--oof", action="append", required=True, help="a path or glob (repeatable)")
    ap.add_argument("--metric", default="roc_auc")
    args = ap.parse_args()
    paths = sorted({p for pattern in args.oof for p in glob.glob(pattern, recursive=True)})
    rows = {p: score_file(p, args.metric) for p in paths}
    cols = [*SETTINGS, "best single model"]
    print("| OOF file | " + " | ".join(cols) + " | seconds (false / auto) |")
    print("|---|" + "---:|" * (len(cols) + 1))
    for path, r in rows.items():
        cells = " | ".join(f"{r[c]:.5f}" for c in cols)
        print(f"| {path} | {cells} | {r['bag: false s']:.1f} / {r['bag: auto s']:.1f} |")
    means = " | ".join(f"{statistics.mean(r[c] for r in rows.values()):.5f}" for c in cols)
    print(f"| mean of {len(rows)} | {means} | |")


if __name__ == "__main__":
    main()
