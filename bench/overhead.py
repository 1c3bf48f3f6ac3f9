"""podium's overhead: `podium run` with one LightGBM model vs a hand-written 5-fold loop.

Both run as fresh processes (imports included), on the same folds (checked: the hand loop's
fold ids equal podium's folds.csv), with the same LightGBM parameters and the same work:
read the CSVs, parse the numbers-as-text column, cast text to category, fit 5 folds,
predict validation and test rows, write a submission. podium also logs the run to MLflow
(params, metrics, folds, OOF/test parquet, plots) and validates the submission.

Usage:
    uv run python bench/overhead.py [--rows 300000] [--repeats 3]

Prints a markdown table: wall seconds (median of repeats) and the ratio podium / hand.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_project import binary_config, hand_script, podium_run, same_folds, write_project

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
PARAMS = {
    "n_estimators": 300,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
}

HAND_PREPARE = """
    data, target, out, folds_out, n_jobs, id_col = sys.argv[1:7]
    train = pd.read_csv(f"{data}/train.csv"); test = pd.read_csv(f"{data}/test.csv")
    sample = pd.read_csv(f"{data}/sample.csv")
    y = train.pop(target).to_numpy()
    drop = [id_col] if id_col != "-" else []
    train = train.drop(columns=drop); test = test.drop(columns=drop)
    for df in (train, test):
        for c in df.columns:
            if df[c].dtype == object or str(df[c].dtype) == "str":
                num = pd.to_numeric(df[c].astype("string").str.strip(), errors="coerce")
                if num.notna().mean() > 0.95 * df[c].astype("string").str.strip().ne("").mean():
                    df[c] = num
"""
HAND_WRITE = """
    sample.iloc[:, 1] = pred
    sample.to_csv(out, index=False)
"""


def synthetic(folder: Path, rows: int) -> None:
    rng = np.random.default_rng(0)
    n = rows + rows // 4
    cols = {f"x{i}": rng.normal(size=n) for i in range(20)}
    cols.update(
        {f"c{i}": rng.choice([f"v{j}" for j in range(8 + 4 * i)], size=n) for i in range(5)}
    )
    frame = pd.DataFrame(cols)
    frame["amount"] = np.round(rng.gamma(2, 50, size=n), 2).astype(str)
    logit = frame["x0"] - frame["x1"] + (frame["c0"] == "v1") + rng.normal(size=n)
    frame["target"] = (logit > 0.5).astype(int)
    frame.insert(0, "id", np.arange(n))
    frame.iloc[:rows].to_csv(folder / "train.csv", index=False)
    test = frame.iloc[rows:].drop(columns="target")
    test.to_csv(folder / "test.csv", index=False)
    pd.DataFrame({"id": test["id"], "target": 0.5}).to_csv(folder / "sample.csv", index=False)


def write_competition(
    root: Path,
    data: Path,
    *,
    target: str,
    id_col: str | None,
    sub_id: str,
    sub_target: str,
    n_jobs: int,
) -> None:
    submission = {"id": sub_id, "target": sub_target}
    config = binary_config("bench", "one_lgb", id=id_col, target=target, submission=submission)
    pipeline = {
        "stages": [
            {"name": "numeric", "use": "to_numeric"},
            {"name": "cats", "use": "categorical", "params": {"encoding": "native"}},
        ],
        "models": {"lgb": {"use": "lightgbm", "params": PARAMS}},
        "n_jobs": n_jobs,
    }
    write_project(root, config, pipeline)


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - t0


def compare(
    name: str,
    data: Path,
    *,
    target: str,
    id_col: str | None,
    sub_id: str,
    sub_target: str,
    rows: int,
    repeats: int,
) -> dict[str, object]:
    n_jobs = 1 if rows < 50_000 else (os.cpu_count() or 1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_competition(
            root,
            data,
            target=target,
            id_col=id_col,
            sub_id=sub_id,
            sub_target=sub_target,
            n_jobs=n_jobs,
        )
        env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{root}/mlruns/mlflow.db"}
        script = root / "hand.py"
        script.write_text(hand_script(HAND_PREPARE, HAND_WRITE, PARAMS))
        podium = podium_run("bench", data, root / "podium.csv")
        hand = [
            sys.executable,
            str(script),
            str(data),
            target,
            str(root / "hand.csv"),
            str(root / "folds.npy"),
            str(n_jobs),
            id_col or "-",
        ]
        timed(podium, env, root)  # warm-up: creates the MLflow store, fills OS caches
        timed(hand, env, root)
        p_times, h_times = [], []
        for _ in range(repeats):
            p_times.append(timed(podium, env, root))
            h_times.append(timed(hand, env, root))
        same = same_folds(root, root / "folds.npy")
        p_sub = pd.read_csv(root / "podium.csv").iloc[:, 1].to_numpy()
        h_sub = pd.read_csv(root / "hand.csv").iloc[:, 1].to_numpy()
    p, h = statistics.median(p_times), statistics.median(h_times)
    return {
        "case": name,
        "rows": rows,
        "podium_s": p,
        "hand_s": h,
        "ratio": p / h,
        "same_folds": same,
        "max_pred_diff": float(np.max(np.abs(p_sub - h_sub))),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        synth = Path(tmp)
        synthetic(synth, args.rows)
        results.append(
            compare(
                "synthetic (20 num + 5 cat + 1 text-number)",
                synth,
                target="target",
                id_col="id",
                sub_id="id",
                sub_target="target",
                rows=args.rows,
                repeats=args.repeats,
            )
        )
    tele = SHARED / "telecom_churn"
    if tele.is_dir():
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            for src, dst in (
                ("train.csv", "train.csv"),
                ("test.csv", "test.csv"),
                ("submission.csv", "sample.csv"),
            ):
                (data / dst).write_bytes((tele / src).read_bytes())
            results.append(
                compare(
                    "telecom_churn",
                    data,
                    target="Churn",
                    id_col=None,
                    sub_id="Id",
                    sub_target="Churn",
                    rows=5282,
                    repeats=args.repeats,
                )
            )
    print(
        "| case | train rows | podium run (s) | hand loop (s) | podium / hand | same folds "
        "| max abs pred diff |"
    )
    print("|---|---:|---:|---:|---:|---|---:|")
    for r in results:
        print(
            f"| {r['case']} | {r['rows']} | {r['podium_s']:.2f} | {r['hand_s']:.2f} | "
            f"{r['ratio']:.3f} | {r['same_folds']} | {r['max_pred_diff']:.2e} |"
        )


if __name__ == "__main__":
    main()
