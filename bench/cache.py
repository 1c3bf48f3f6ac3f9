"""Feature cache: the feature phase of a second run that changes only model parameters.

A synthetic binary competition (``--rows`` training rows, a quarter as many test rows;
numeric, categorical and group columns) is written to a temporary project and run three
times with the same pipeline: target encoding + KNN features + group aggregates, then a
small LightGBM, 5 folds.

1. ``cache: off``: the reference (features computed, nothing written);
2. cold cache: features computed and written;
3. warm cache, LightGBM's ``learning_rate`` changed: features read.

The feature phase is what the engine records as ``feature_seconds`` (the chain's fit and
transforms per fold, or the read from the cache); the whole run is ``run_models``' wall time.
The warm run's OOF predictions are checked to equal a cold run's with the same model.

Usage:
    uv run python bench/cache.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_project import binary_config, write_project

from podium.config import RunRequest
from podium.engine import run_models
from podium.session import plan_run

PIPELINE = {
    "stages": [
        {"name": "numeric", "use": "to_numeric"},
        {"name": "te", "use": "target_encoder", "params": {"columns": ["city", "shop", "brand"]}},
        {"name": "knn", "use": "knn_features", "params": {"columns": ["x0", "x1", "x2", "x3"]}},
        {
            "name": "aggs",
            "use": "group_aggregates",
            "params": {"by": ["city", "shop"], "columns": ["x0", "x1"], "aggs": ["mean", "std"]},
        },
        {"name": "cats", "use": "categorical", "params": {"encoding": "native"}},
    ],
    "models": {
        "lgb": {
            "use": "lightgbm",
            "params": {"n_estimators": 100, "learning_rate": 0.1, "num_leaves": 31},
        }
    },
}


def make_project(root: Path, rows: int, seed: int = 0) -> None:
    """The synthetic competition (train, test, sample) and PIPELINE, under ``root``."""
    rng = np.random.default_rng(seed)
    n = rows + rows // 4
    frame = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(8)})
    frame["city"] = rng.choice([f"c{i}" for i in range(50)], size=n)
    frame["shop"] = rng.choice([f"s{i}" for i in range(500)], size=n)
    frame["brand"] = rng.choice([f"b{i}" for i in range(2000)], size=n)
    signal = frame["x0"] - frame["x1"] + (frame["city"].str[1:].astype(int) % 3)
    frame["target"] = (signal + rng.normal(size=n) > 1).astype(int)
    frame.insert(0, "id", np.arange(n))
    data = root / "competitions" / "bench" / "data"
    data.mkdir(parents=True)
    frame.iloc[:rows].to_csv(data / "train.csv", index=False)
    test = frame.iloc[rows:].drop(columns="target")
    test.to_csv(data / "test.csv", index=False)
    pd.DataFrame({"id": test["id"], "target": 0.5}).to_csv(data / "sample.csv", index=False)
    submission = {"id": "id", "target": "target", "kind": "probability"}
    write_project(root, binary_config("bench", "bench", submission=submission), PIPELINE)


def one_run(root: Path, *overrides: str) -> tuple[float, float, int | None, np.ndarray]:
    plan = plan_run(RunRequest("bench", root=root, overrides=overrides))
    start = time.perf_counter()
    res = run_models(plan).results["lgb"]
    return time.perf_counter() - start, res.feature_seconds, res.cache_hits, res.oof


def cache_bytes(root: Path) -> int:
    folder = root / "cache" / "features"
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    os.environ.pop("PODIUM_CACHE_DIR", None)
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"{args.rows} training rows, {args.rows // 4} test rows, 5 folds; {uptime}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root, args.rows)
        runs = [
            ("cache off", one_run(root, "cache=off")),
            ("cold cache (write)", one_run(root)),
            ("warm cache, model changed", one_run(root, "models.lgb.params.learning_rate=0.05")),
        ]
        same = one_run(root, "cache=off", "models.lgb.params.learning_rate=0.05")[3]
        size = cache_bytes(root)
    print("| run | feature phase | whole run | folds from cache |")
    print("|---|---:|---:|---:|")
    for name, (wall, feat, hits, _) in runs:
        shown = "-" if hits is None else f"{hits}/5"
        print(f"| {name} | {feat:.2f} s | {wall:.1f} s | {shown} |")
    off, cold, warm = (r[1][1] for r in runs)
    print(f"feature phase: cold/warm {cold / warm:.0f}x, off/warm {off / warm:.0f}x")
    print(f"cache size: {size / 2**20:.1f} MiB")
    equal = np.array_equal(same, runs[2][1][3])
    print(f"warm OOF equals a cache-off run of the same model: {equal}")
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"end: {uptime}")


if __name__ == "__main__":
    main()
