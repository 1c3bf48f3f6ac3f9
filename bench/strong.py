"""Wall time of `podium run <competition> --pipeline strong` (fresh process, MLflow included).

Usage:
    uv run python bench/strong.py [--competition telecom_churn] [--repeats 1]

Targets: telecom_churn strong <= 3 minutes (issue 2) and <= 10 minutes with its ensemble
(issue 5) on this 2-core machine. Prints one markdown row per competition.
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

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--competition", action="append")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    data = os.environ.get("PODIUM_DATA_DIR", str(REPO.parent / "shared" / "data"))
    print("| competition | wall s (median) | CV line |")
    print("|---|---:|---|")
    for comp in args.competition or ["telecom_churn"]:
        times, line = [], ""
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as tmp:
                env = {
                    **os.environ,
                    "PODIUM_DATA_DIR": data,
                    "MLFLOW_TRACKING_URI": f"sqlite:///{tmp}/mlflow.db",
                }
                cmd = [
                    str(Path(sys.executable).parent / "podium"),
                    "run",
                    comp,
                    "--pipeline",
                    "strong",
                    "--output",
                    f"{tmp}/sub.csv",
                ]
                t0 = time.perf_counter()
                out = subprocess.run(
                    cmd, env=env, cwd=REPO, check=True, capture_output=True, text=True
                ).stdout
                times.append(time.perf_counter() - t0)
                line = next(ln for ln in out.splitlines() if ln.startswith("CV "))
        print(f"| {comp} | {statistics.median(times):.1f} | {line.split(';')[0]} |")


if __name__ == "__main__":
    main()
