"""`auto` against `strong` in CV, paired over fold assignments (issue 10).

Usage:
    uv run python bench/auto_vs_strong.py [--competition telecom_churn] [--seeds 42-49]

For each competition and each seed, `podium run NAME --seed S` with `auto` and with
`strong` (in this process, through ``podium.api.run``; MLflow in a throwaway store): the
seed fixes the fold assignment, the early-stopping holdouts and the models' seeds, so the
two pipelines are compared on the same folds, seed by seed. One CV figure is one draw of
the fold assignment (telecom_churn's fold std is ~0.01 ROC-AUC, ~50x the gaps in
question); the mean over seeds, and how often each pipeline is ahead, is the comparison.

Prints a markdown table per competition: each seed's CV of both (the submitted figure:
the nested CV of the blend, or the best model's), the gap (positive: auto better, in the
metric's direction), each pipeline's best single model; then the mean, the paired
standard error of the gap and the count of seeds each is ahead.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PIPELINES = ("auto", "strong")


def seeds_arg(text: str) -> list[int]:
    """``42-49`` or ``1,2,42``."""
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(s) for s in text.split(",")]


def one_run(comp: str, pipeline: str, seed: int, tmp: Path) -> dict[str, object]:
    from podium.api import run
    from podium.metrics import METRICS

    t0 = time.perf_counter()
    res = run(comp, pipeline=pipeline, seed=seed, root=REPO, output=tmp / f"{pipeline}.csv")
    sign = 1.0 if METRICS[res.metric].greater_is_better else -1.0
    best = max(res.models.values(), key=lambda m: sign * m.cv_mean)
    return {
        "sign": sign,
        "cv": res.cv_mean,
        "std": res.cv_std,
        "chosen": res.chosen,
        "best": f"{best.name} {best.cv_mean:.5f}",
        "wall": time.perf_counter() - t0,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--competition", action="append")
    ap.add_argument("--seeds", type=seeds_arg, default=seeds_arg("42-49"))
    args = ap.parse_args()
    os.environ.setdefault("PODIUM_DATA_DIR", str(REPO.parent / "shared" / "data"))
    for comp in args.competition or ["telecom_churn"]:
        rows = []
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as tmp:
                os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp}/mlflow.db"
                out = {p: one_run(comp, p, seed, Path(tmp)) for p in PIPELINES}
            rows.append((seed, out))
            print(
                f"{comp} seed {seed}: "
                + ", ".join(f"{p} {o['cv']:.5f} ({o['wall']:.0f} s)" for p, o in out.items()),
                file=sys.stderr,
                flush=True,
            )
        report(comp, rows)


def report(comp: str, rows: list[tuple[int, dict[str, dict[str, object]]]]) -> None:
    sign = float(rows[0][1]["auto"]["sign"])  # type: ignore[arg-type]
    gaps = [sign * (float(o["auto"]["cv"]) - float(o["strong"]["cv"])) for _, o in rows]
    print(f"\n### {comp}\n")
    print(
        "| seed | auto CV | strong CV | auto - strong (+: auto better) | auto's best model "
        "| strong's best model | auto / strong wall s |"
    )
    print("|---:|---:|---:|---:|---|---|---:|")
    for (seed, o), gap in zip(rows, gaps, strict=True):
        a, s = o["auto"], o["strong"]
        print(
            f"| {seed} | {a['cv']:.5f} | {s['cv']:.5f} | {gap:+.5f} | {a['best']} "
            f"| {s['best']} | {a['wall']:.0f} / {s['wall']:.0f} |"
        )
    mean = {p: statistics.mean(float(o[p]["cv"]) for _, o in rows) for p in PIPELINES}
    se = statistics.stdev(gaps) / math.sqrt(len(gaps)) if len(gaps) > 1 else float("nan")
    ahead = sum(g > 0 for g in gaps), sum(g < 0 for g in gaps)
    print(
        f"| mean of {len(rows)} | {mean['auto']:.5f} | {mean['strong']:.5f} "
        f"| {statistics.mean(gaps):+.5f} (paired s.e. {se:.5f}) | auto ahead on {ahead[0]}, "
        f"strong on {ahead[1]} | | |"
    )


if __name__ == "__main__":
    main()
