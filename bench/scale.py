"""podium at scale: `podium run` (one LightGBM, 5 folds, submission written) against a
hand-written 5-fold LightGBM loop, on N rows of a synthetic competition.

The competition (issue 15): 10 float columns, 5 string categoricals with 10, 100, 1k, 10k
and 100k values, a binary target; the test file has N/5 rows. Data is written to
``--dir`` (default /tmp/podium_scale, never the repository), once per N.

Both sides run as fresh processes with the same LightGBM parameters, threads and folds
(StratifiedKFold(5, shuffle, seed 42), checked against podium's folds.csv), and do the same
work: read the CSVs (pyarrow), text to category, fit 5 folds, predict validation and test
rows, write a submission. podium also logs the run to MLflow (OOF/test parquet, folds,
plots) and validates the submission. Runs are interleaved (hand, podium, hand, podium...).

Measured per run: wall seconds, CPU seconds (user + system of the process tree, from
wait4), peak RSS of the largest process (wait4's ru_maxrss: what /usr/bin/time -v shows)
and the peak of the tree's summed PSS (psutil, sampled every 0.1 s; podium's tracking child
process counts there). PSS, not RSS, is summed: pages shared between the processes (the
libraries both map) count once in total instead of once per process.

Usage:
    uv run python bench/scale.py --rows 200000 1000000 [--repeats 2] [--dir /tmp/podium_scale]

Prints a markdown table (medians of the repeats) and the ratios podium / hand.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
from bench_project import binary_config, hand_script, podium_run, same_folds, write_project

REPO = Path(__file__).resolve().parents[1]
CARDINALITIES = (10, 100, 1_000, 10_000, 100_000)
PARAMS = {
    "n_estimators": 50,
    "learning_rate": 0.1,
    "num_leaves": 63,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
}
THREADS = 2

HAND_PREPARE = """
    data, out, folds_out, n_jobs = sys.argv[1:5]
    train = pd.read_csv(f"{data}/train.csv", engine="pyarrow")
    test = pd.read_csv(f"{data}/test.csv", engine="pyarrow")
    y = train.pop("target").to_numpy()
    ids = test.pop("id"); train = train.drop(columns="id")
"""
HAND_WRITE = """
    pd.DataFrame({"id": ids, "target": pred}).to_csv(out, index=False)
"""


def make_data(folder: Path, rows: int, chunk: int = 1_000_000) -> None:
    """train.csv (rows), test.csv (rows / 5) and sample.csv, written in chunks."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "sample.csv").is_file():
        return
    rng = np.random.default_rng(rows)
    dictionaries = [pa.array([f"c{i}_{j}" for j in range(n)]) for i, n in enumerate(CARDINALITIES)]
    effects = [rng.normal(size=n) for n in CARDINALITIES]
    n_test = rows // 5
    for name, n, start in (("train", rows, 0), ("test", n_test, rows)):
        writer = None
        for lo in range(0, n, chunk):
            m = min(chunk, n - lo)
            cols: dict[str, pa.Array] = {"id": pa.array(np.arange(start + lo, start + lo + m))}
            floats = rng.normal(size=(10, m))
            for i in range(10):
                cols[f"f{i}"] = pa.array(np.round(floats[i], 6))
            logit = floats[0] - 0.5 * floats[1] + 0.3 * floats[2] * floats[3]
            for i, card in enumerate(CARDINALITIES):
                codes = rng.integers(0, card, size=m)
                logit += 0.5 * effects[i][codes]
                cols[f"c{i}"] = pa.DictionaryArray.from_arrays(
                    pa.array(codes.astype(np.int32)), dictionaries[i]
                ).cast(pa.string())
            if name == "train":
                cols["target"] = pa.array((logit + rng.normal(size=m) > 0).astype(np.int8))
            table = pa.table(cols)
            if writer is None:
                writer = pa_csv.CSVWriter(folder / f"{name}.csv", table.schema)
            writer.write_table(table)
        assert writer is not None
        writer.close()
    ids = np.arange(rows, rows + n_test)
    pa_csv.write_csv(
        pa.table({"id": pa.array(ids), "target": pa.array(np.full(n_test, 0.5))}),
        folder / "sample.csv",
    )


def write_competition(root: Path) -> None:
    pipeline = {
        "models": {"lgb": {"use": "lightgbm", "params": PARAMS}},
        "n_jobs": THREADS,
        "cache": "off",
    }
    write_project(root, binary_config("scale", "one_lgb"), pipeline)


def _pss(p: psutil.Process) -> int:
    """A process's proportional set size, from /proc/PID/smaps_rollup (one line to read;
    psutil's memory_full_info walks every mapping, a noticeable CPU load at 0.1 s); its
    RSS where the kernel gives no rollup."""
    try:
        with open(f"/proc/{p.pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(p.memory_info().rss)


def measure(cmd: list[str], env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Wall, CPU (tree, from wait4), max single-process RSS and peak tree PSS (GB)."""
    log = cwd / "last_run.log"
    t0 = time.perf_counter()
    with log.open("wb") as err:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=err, stderr=err)
        top = psutil.Process(proc.pid)
        tree_peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            try:
                procs = [top, *top.children(recursive=True)]
                tree_peak = max(tree_peak, sum(_pss(p) for p in procs))
            except psutil.Error:
                pass
            time.sleep(0.1)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{cmd[:3]} failed: {log.read_text()[-2000:]}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": usage.ru_maxrss * 1024 / 1e9,
        "tree": tree_peak / 1e9,
    }


def run_case(rows: int, base: Path, repeats: int) -> dict[str, object]:
    data = base / f"data_{rows}"
    t0 = time.perf_counter()
    make_data(data, rows)
    gen = time.perf_counter() - t0
    root = base / f"root_{rows}"
    write_competition(root)
    script = root / "hand.py"
    script.write_text(hand_script(HAND_PREPARE, HAND_WRITE, PARAMS))
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{root}/mlruns/mlflow.db"}
    podium = podium_run("scale", data, root / "podium.csv")
    hand = [sys.executable, str(script), str(data), str(root / "hand.csv"),
            str(root / "folds.npy"), str(THREADS)]  # fmt: skip
    runs: dict[str, list[dict[str, float]]] = {"hand": [], "podium": []}
    for _ in range(repeats):
        runs["hand"].append(measure(hand, env, root))
        runs["podium"].append(measure(podium, env, root))
        print(rows, {k: v[-1] for k, v in runs.items()}, file=sys.stderr, flush=True)
    same = same_folds(root, root / "folds.npy")
    import pandas as pd

    diff = np.max(
        np.abs(
            pd.read_csv(root / "podium.csv")["target"].to_numpy()
            - pd.read_csv(root / "hand.csv")["target"].to_numpy()
        )
    )
    med = {
        side: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for side, rs in runs.items()
    }
    return {"rows": rows, "gen": gen, "same_folds": same, "max_diff": float(diff), **med}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[200_000, 1_000_000])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/podium_scale"))
    args = ap.parse_args()
    print(
        "| train rows | hand wall (s) | podium wall (s) | wall ratio | CPU ratio | "
        "hand peak RSS (GB) | podium peak RSS (GB) | RSS ratio | tree PSS (GB) hand / podium "
        "| tree ratio | same folds | max pred diff |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for rows in args.rows:
        r = run_case(rows, args.dir, args.repeats)
        h, p = r["hand"], r["podium"]
        assert isinstance(h, dict) and isinstance(p, dict)
        print(
            f"| {rows:,} | {h['wall']:.1f} | {p['wall']:.1f} | {p['wall'] / h['wall']:.3f} | "
            f"{p['cpu'] / h['cpu']:.3f} | {h['rss']:.2f} | {p['rss']:.2f} | "
            f"{p['rss'] / h['rss']:.3f} | {h['tree']:.2f} / {p['tree']:.2f} | "
            f"{p['tree'] / h['tree']:.3f} | {r['same_folds']} | {r['max_diff']:.1e} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
