"""KNN features: time per neighbour-search method, inside a 5-fold outer cross-validation.

Per outer fold, as the engine does: ``KNNFeatures.fit_transform`` on the training part
(5 inner folds: out-of-fold features) and ``transform`` of the validation part. Each
method runs the same folds on the same data (``make_classification``, 2 classes); the
features of every method are compared with brute force (max abs difference).

A method that passes ``--budget`` seconds stops after the fold in progress; its total is
then extrapolated from the folds it ran and marked as such.

Usage:
    uv run python bench/knn.py [--rows 100000] [--cols 20] [--budget 300] [--write]

``--write`` replaces the ``knn`` section of BENCHMARKS.md with the tables of this run
(several ``--cols`` values may be given: ``--cols 20 5``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification

from podium.cv import Folds, SplitContext, build_folds
from podium.features.knn import TREE_MAX_FEATURES, KNNFeatures, choose_algorithm

REPO = Path(__file__).resolve().parents[1]
METHODS = ["brute", "kd_tree", "ball_tree", "faiss", "auto"]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}, "
        f"load average {load:.1f} at start"
    )


def run_method(
    method: str, X: pd.DataFrame, y: np.ndarray, folds, budget: float
) -> tuple[float, int, list[np.ndarray]]:
    """Seconds spent, outer folds done and the features of each fold (oof + valid)."""
    ctx = SplitContext(scheme="stratified_kfold", task="binary")
    spent, outs = 0.0, []
    for tr, va in folds.split():
        knn = KNNFeatures(ks=(1, 2, 4), algorithm=method, n_splits=5, random_state=0, n_jobs=-1)
        t0 = time.perf_counter()
        oof = knn.fit_transform(X.iloc[tr], y[tr], split_context=ctx.subset(tr))
        valid = knn.transform(X.iloc[va])
        spent += time.perf_counter() - t0
        cols = [c for c in oof.columns if c.startswith("knn_")]
        outs.append(np.vstack([oof[cols].to_numpy(), valid[cols].to_numpy()]))
        if spent > budget:
            break
    return spent, len(outs), outs


def make_data(rows: int, cols: int) -> tuple[pd.DataFrame, np.ndarray, Folds]:
    """A seeded two-class problem (make_classification) and its 5 stratified folds."""
    X_arr, y = make_classification(
        n_samples=rows,
        n_features=cols,
        n_informative=max(2, cols // 2),
        n_redundant=cols // 4,
        n_classes=2,
        random_state=0,
    )
    X = pd.DataFrame(X_arr, columns=[f"f{i}" for i in range(cols)])
    folds = build_folds("stratified_kfold", n_rows=rows, n_splits=5, seed=0, y=y, task="binary")
    return X, y, folds


def bench(rows: int, cols: int, budget: float, methods: list[str]) -> str:
    X, y, folds = make_data(rows, cols)
    auto = choose_algorithm(cols, int(rows * 0.8))  # as fit decides on a training part
    lines = [
        f"**{rows:,} rows x {cols} columns**, 2 classes, k in {{1, 2, 4}}, 5 outer x 5 inner "
        f'folds; `algorithm="auto"` chose **{auto}** (rule: k-d tree up to '
        f"{TREE_MAX_FEATURES} columns, brute force above).",
        "",
        "| method | seconds (5 outer folds) | vs brute | max abs diff vs brute |",
        "|---|---:|---:|---:|",
    ]
    results: dict[str, tuple[float, bool, list[np.ndarray]]] = {}
    for method in methods:
        if method == "faiss" and importlib.util.find_spec("faiss") is None:
            continue
        spent, done, outs = run_method(method, X, y, folds, budget)
        total = spent * folds.n_splits / done
        results[method] = (total, done < folds.n_splits, outs)
        print(f"{cols} cols {method}: {spent:.1f}s for {done} folds", file=sys.stderr, flush=True)
    base_total, _, base_outs = results["brute"]
    for method, (total, partial, outs) in results.items():
        diff = max(float(np.nanmax(np.abs(a - b))) for a, b in zip(outs, base_outs, strict=False))
        n = len(outs)
        shown = f"~{total:.0f} (from {n} fold{'s' * (n > 1)})" if partial else f"{total:.1f}"
        label = f"auto ({auto})" if method == "auto" else method
        lines.append(f"| {label} | {shown} | {total / base_total:.2f}x | {diff:.1e} |")
    return "\n".join(lines)


def interleave(rows: int, cols: int, methods: list[str], rounds: int) -> str:
    """Outer fold 0 only, methods alternating (A B A B ...) so load drift hits all alike."""
    X, y, folds = make_data(rows, cols)
    tr, va = next(folds.split())
    ctx = SplitContext(scheme="stratified_kfold", task="binary").subset(tr)
    times: dict[str, list[float]] = {m: [] for m in methods}
    for _ in range(rounds):
        for method in methods:
            knn = KNNFeatures(ks=(1, 2, 4), algorithm=method, n_jobs=-1)
            t0 = time.perf_counter()
            knn.fit_transform(X.iloc[tr], y[tr], split_context=ctx)
            knn.transform(X.iloc[va])
            times[method].append(time.perf_counter() - t0)
    lines = [f"Interleaved, outer fold 0, {rows:,} x {cols}: seconds per round", ""]
    lines += [f"- {m}: " + ", ".join(f"{t:.1f}" for t in ts) for m, ts in times.items()]
    return "\n".join(lines)


def write_section(body: str) -> None:
    path = REPO / "BENCHMARKS.md"
    text = path.read_text()
    start, end = "<!-- section: knn -->", "<!-- /section: knn -->"
    new = f"{start}\n{body.strip()}\n{end}"
    text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: new, text, flags=re.S)
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cols", type=int, nargs="+", default=[20])
    parser.add_argument("--budget", type=float, default=300.0, help="seconds per method")
    parser.add_argument("--methods", nargs="+", default=METHODS)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument(
        "--interleave",
        type=int,
        default=0,
        metavar="ROUNDS",
        help="only time outer fold 0, alternating --methods, ROUNDS times",
    )
    args = parser.parse_args()
    if args.interleave:
        for cols in args.cols:
            print(interleave(args.rows, cols, args.methods, args.interleave))
        return
    date = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
    header = [
        "## KNN features: neighbour search",
        "",
        f"- date: {date}",
        f"- machine: {machine()}; shared with other engineers' test runs, so times are noisy",
        f"- command: `{' '.join(['uv run python bench/knn.py', *sys.argv[1:]])}`",
        "- every method gets both cores (`n_jobs=-1`; brute force and faiss use all threads)",
        "",
    ]
    tables = [bench(args.rows, cols, args.budget, args.methods) for cols in args.cols]
    body = "\n".join(header) + "\n" + "\n\n".join(tables) + "\n"
    print(body)
    if args.write:
        write_section(body)


if __name__ == "__main__":
    main()
