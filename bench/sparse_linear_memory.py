"""Peak memory of ``sparse_linear`` on many high-cardinality categorical columns.

``--rows`` rows (default 30k) x ``--cols`` text columns (default 9) of ~``--levels``
categories each (default 5k, Zipf-like so many are rare), plus 3 numeric columns; a
5-class target (as shelter animal outcomes). Each measurement runs in a fresh process
and reports its peak RSS (``ru_maxrss``): ``data`` only builds the frame; ``fit`` also fits
the model on the training rows (4/5) and predicts the rest, as one fold does.

Usage:
    uv run python bench/sparse_linear_memory.py [--rows 30000] [--task multiclass]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd


def make_frame(
    rows: int, cols: int, levels: int, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, levels + 1) ** 0.7
    weights /= weights.sum()
    data = {
        f"c{j}": pd.Series(rng.choice(levels, size=rows, p=weights).astype(str), dtype="str")
        for j in range(cols)
    }
    for j in range(3):
        data[f"x{j}"] = rng.normal(size=rows)
    X = pd.DataFrame(data)
    signal = sum((X[f"c{j}"].str.len() % 2) for j in range(cols)) + X["x0"]
    y = np.digitize(signal + rng.normal(size=rows), np.quantile(signal, [0.2, 0.4, 0.6, 0.8]))
    return X, y.astype(np.int64)


def measure(mode: str, args: argparse.Namespace) -> dict[str, float]:
    X, y = make_frame(args.rows, args.cols, args.levels)
    out: dict[str, float] = {}
    if mode == "fit":
        from podium.models import make_model

        task = args.task
        if task == "binary":
            y = (y >= 2).astype(np.int64)
        n_fit = len(X) * 4 // 5
        model = make_model(
            "sparse_linear", task=task, params={"min_frequency": args.min_frequency}
        )
        t0 = time.perf_counter()
        model.fit(X.iloc[:n_fit], y[:n_fit])
        pred = model.predict(X.iloc[n_fit:])
        out["seconds"] = time.perf_counter() - t0
        design = model.design_.transform(X.iloc[:n_fit])
        out["design_columns"] = design.shape[1]
        out["design_nnz"] = design.nnz
        out["dense_onehot_gb"] = n_fit * design.shape[1] * 8 / 1e9
        out["pred_finite"] = float(np.isfinite(pred).all())
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=30_000)
    p.add_argument("--cols", type=int, default=9)
    p.add_argument("--levels", type=int, default=5_000)
    p.add_argument("--min-frequency", type=int, default=5)
    p.add_argument("--task", default="multiclass", choices=["binary", "multiclass"])
    p.add_argument("--mode", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.mode:
        print(json.dumps(measure(args.mode, args)))
        return
    res = {}
    for mode in ("data", "fit"):
        cmd = [sys.executable, __file__, *sys.argv[1:], "--mode", mode]
        res[mode] = json.loads(
            subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        )
    fit, data = res["fit"], res["data"]
    a = args
    print(
        f"sparse_linear {a.task}, {a.rows} rows x {a.cols} text columns of ~{a.levels} levels "
        f"(min_frequency {a.min_frequency}): design {fit['design_columns']:.0f} columns, "
        f"{fit['design_nnz']:.0f} non-zeros (dense: {fit['dense_onehot_gb']:.1f} GB)"
    )
    peak, base = fit["peak_rss_mb"], data["peak_rss_mb"]
    print(
        f"peak RSS: data only {base:.0f} MB, fit + predict {peak:.0f} MB "
        f"(+{peak - base:.0f} MB); fit + predict {fit['seconds']:.1f}s"
    )


if __name__ == "__main__":
    main()
