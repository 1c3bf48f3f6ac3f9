"""Target and count encoding of every column pair (``pairs: all``) on integer codes.

The shape of the hand-written winning pipeline's competition: 30k rows, 9 integer code
columns (cardinalities like an employee-access table: 7518, 4243, 128, 177, 449, 343,
2358, 67 and a 1:1 copy of the 343-level column), a binary target. One outer fold of a
5-fold CV: ``fit_transform`` on the 24k training rows, ``transform`` of the 6k
validation rows and of a 30k test frame. Time is CPU time (user + system) of the
process, single-threaded, median of ``--repeats``.

Usage:
    uv run python bench/pairs.py [--rows 30000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from podium.features import CountEncoder, TargetEncoder

CARDINALITIES = (7518, 4243, 128, 177, 449, 343, 2358, 67)


def make(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    cols = {}
    for i, k in enumerate(CARDINALITIES):
        p = 1.0 / np.arange(1, k + 1) ** 0.8  # a few frequent codes, a long tail
        cols[f"c{i}"] = rng.choice(k, size=n, p=p / p.sum()) * 7 + 100
    X = pd.DataFrame(cols)
    X["c8"] = X["c5"] * 3 + 1  # determined by c5: its pair with c5 is skipped
    logit = (X["c2"] % 5 == 0) * 1.0 + (X["c3"] % 3 == 0) * 0.8 - 1.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int).to_numpy()
    return X, y


def one_fold(X: pd.DataFrame, y: np.ndarray, X_test: pd.DataFrame) -> dict[str, float]:
    tr = np.arange(len(X)) % 5 != 0
    X_tr, X_va, y_tr = X[tr].reset_index(drop=True), X[~tr].reset_index(drop=True), y[tr]
    out = {}
    for name, stage in (
        ("target_encoder", TargetEncoder(pairs="all")),
        ("count_encoder", CountEncoder(pairs="all")),
    ):
        t0 = time.process_time()
        enc = stage.fit_transform(X_tr, y_tr)
        stage.transform(X_va)
        stage.transform(X_test)
        out[name] = time.process_time() - t0
        out[f"{name} outputs"] = enc.shape[1] - X.shape[1]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    X, y = make(args.rows)
    X_test, _ = make(args.rows, seed=1)
    runs = [one_fold(X, y, X_test) for _ in range(args.repeats)]
    print(f"{args.rows} rows x {X.shape[1]} integer columns, pairs: all, one outer fold")
    for key in runs[0]:
        values = [r[key] for r in runs]
        if key.endswith("outputs"):
            print(f"  {key}: {int(values[0])} columns (9 singles + kept pairs)")
        else:
            print(f"  {key}: {np.median(values):.3f} s CPU (median of {len(values)})")


if __name__ == "__main__":
    main()
