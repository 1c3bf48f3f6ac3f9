"""Out-of-fold target encoding: podium vs category_encoders vs scikit-learn vs bare numpy.

Every contender does the same work on the same folds: for each of the outer folds,
out-of-fold encode the training part (inner folds: podium's default, a stratified shuffled
5-fold, precomputed once and handed to the others) and encode the validation part with an
encoder fit on the whole training part. Data: 3 integer columns with cardinalities 100,
10k and 1M, a binary target.

- podium: ``TargetEncoder(columns=..., smoothing="auto").fit_transform(X_tr, y_tr)`` then
  ``.transform(X_va)`` (its time includes building its own inner folds);
- scikit-learn: ``TargetEncoder(smooth="auto", cv=PredefinedSplit(inner_fold))``;
- category_encoders: ``TargetEncoder`` fit on each inner fold's training rows and applied
  to its validation rows, then fit on the whole training part for the validation part;
- numpy: a bare loop - ``pd.factorize`` each column, then per inner fold ``np.bincount``
  of the training rows (sums and counts, m-estimate) and a gather for the fold's rows.

Each contender runs in its own process. Per outer fold the caller (the engine's part, the
same for everyone) slices ``X.iloc[tr]``, ``y[tr]``, ``X.iloc[va]``; the contender's call
then gets those slices. Time is the CPU time (user + system) of that call, slicing and
data loading excluded: every contender is single-threaded here, and on a shared machine
CPU time is far steadier than wall time (which is reported too).

Memory, from the process's peak RSS (``ru_maxrss``, its high-water mark reset through
``/proc/self/clear_refs`` before each phase; ``malloc_trim(0)`` first, so memory the
allocator kept from an earlier phase is not counted as in use), as a multiple of the
input frame's ``memory_usage(deep=True)`` (3 int64 columns):

- *encoder peak*: the call's peak above the RSS just before it, when the caller's slices
  already exist - the encoder's own working memory and outputs (which it returns, so
  they count), not the copies the caller made to hand it its input. This is what the
  target (<= 2.5x the frame) is about.
- *whole-loop peak*: the highest RSS of the fold loop (slicing included) above the RSS
  before the loop. ``harness`` only slices: its figure is the engine's share, which every
  contender pays on top of its own.

Usage:
    uv run python bench/target_encoding.py [--rows 1000000 10000000] [--ce-max-rows 2000000]
        [--write]

``--write`` puts the table into BENCHMARKS.md (section ``target_encoding``).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
CARDINALITIES = {"c100": 100, "c10k": 10_000, "c1m": 1_000_000}
N_FOLDS = 5
CONTENDERS = ("harness", "numpy", "podium", "sklearn", "category_encoders")
SECTION = "target_encoding"


# -- data (parent) -----------------------------------------------------------------------


def make_data(rows: int, folder: Path) -> None:
    """Columns, target, outer folds and every outer fold's inner folds, as .npy files."""
    from podium.cv import build_folds
    from podium.features import make_inner_folds

    rng = np.random.default_rng(0)
    logit = np.zeros(rows)
    for name, card in CARDINALITIES.items():
        col = rng.integers(0, card, rows)
        effect = np.random.default_rng(card).normal(0, 0.5, card)
        logit += effect[col]
        np.save(folder / f"{name}.npy", col)
    y = (rng.random(rows) < 1 / (1 + np.exp(-(logit - 1)))).astype(np.int64)
    np.save(folder / "y.npy", y)
    outer = build_folds("stratified_kfold", n_rows=rows, n_splits=N_FOLDS, seed=0, y=y)
    np.save(folder / "outer.npy", outer.fold)
    for k, (tr, _) in enumerate(outer.split()):
        inner = make_inner_folds(len(tr), n_splits=5, random_state=0, y_codes=y[tr])
        np.save(folder / f"inner{k}.npy", inner.fold.astype(np.int8))


# -- contenders (worker) -------------------------------------------------------------------


def run_podium(Xtr, ytr, Xva, inner):
    from podium.features import TargetEncoder

    te = TargetEncoder(columns=list(CARDINALITIES), smoothing="auto")
    return te.fit_transform(Xtr, ytr), te.transform(Xva)


def run_sklearn(Xtr, ytr, Xva, inner):
    from sklearn.model_selection import PredefinedSplit
    from sklearn.preprocessing import TargetEncoder

    te = TargetEncoder(smooth="auto", cv=PredefinedSplit(inner), target_type="binary")
    return te.fit_transform(Xtr, ytr), te.transform(Xva)


def run_category_encoders(Xtr, ytr, Xva, inner):
    import category_encoders as ce

    cols = list(CARDINALITIES)
    parts = []
    for j in range(5):
        fit_rows, enc_rows = np.flatnonzero(inner != j), np.flatnonzero(inner == j)
        enc = ce.TargetEncoder(cols=cols).fit(Xtr.iloc[fit_rows], ytr[fit_rows])
        parts.append(enc.transform(Xtr.iloc[enc_rows]))
    oof = pd.concat(parts).loc[Xtr.index]
    enc = ce.TargetEncoder(cols=cols).fit(Xtr, ytr)
    return oof, enc.transform(Xva)


def run_numpy(Xtr, ytr, Xva, inner, m=10.0):
    ytr = ytr.astype(np.float64)
    oof, valid = {}, {}
    splits = [(np.flatnonzero(inner != j), np.flatnonzero(inner == j)) for j in range(5)]
    for col in CARDINALITIES:
        codes, uniques = pd.factorize(Xtr[col].to_numpy())
        k = len(uniques)
        out = np.empty(len(codes))
        for fit_rows, enc_rows in splits:
            c, w = codes[fit_rows], ytr[fit_rows]
            prior = w.mean()
            enc = (np.bincount(c, weights=w, minlength=k) + m * prior) / (
                np.bincount(c, minlength=k) + m
            )
            out[enc_rows] = enc[codes[enc_rows]]
        oof[col] = out
        prior = ytr.mean()
        enc = np.append(
            (np.bincount(codes, weights=ytr, minlength=k) + m * prior)
            / (np.bincount(codes, minlength=k) + m),
            prior,
        )
        valid[col] = enc[pd.Index(uniques).get_indexer(Xva[col].to_numpy())]  # -1 -> prior
    return oof, valid


def run_harness(Xtr, ytr, Xva, inner):
    return None  # the slicing, outside the call, is all it does


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class _Peak:
    """Peak RSS of a phase: trim the heap, reset the high-water mark, read it after."""

    def __init__(self) -> None:
        import ctypes

        try:
            self._trim = ctypes.CDLL("libc.so.6").malloc_trim
        except OSError:
            self._trim = None
        self.reset_ok = True

    def start(self) -> int:
        """Trim and reset; return the RSS (kB) the phase starts from."""
        gc.collect()
        if self._trim is not None:
            self._trim(0)
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            self.reset_ok = False
        return _rss_kb()

    @staticmethod
    def peak() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def worker(contender: str, folder: Path, max_folds: int) -> None:
    """Run one contender on the saved data; print a JSON line with time and memory."""
    import warnings

    warnings.simplefilter("ignore")
    logging.getLogger("podium").setLevel(logging.ERROR)  # the 1M-value int column warning
    run = globals()[f"run_{contender}"]
    if contender == "category_encoders":
        import category_encoders  # noqa: F401
    import sklearn.preprocessing  # noqa: F401

    import podium.features  # noqa: F401

    X = pd.DataFrame({c: np.load(folder / f"{c}.npy") for c in CARDINALITIES}, copy=False)
    y = np.load(folder / "y.npy")
    outer = np.load(folder / "outer.npy")
    inner = [np.load(folder / f"inner{k}.npy") for k in range(N_FOLDS)]
    frame_bytes = int(X.memory_usage(deep=True).sum())
    meter = _Peak()
    base_kb = meter.start()
    loop_kb = enc_kb = 0
    times, cpu = [], []
    for k in range(max_folds):
        meter.start()
        tr, va = np.flatnonzero(outer != k), np.flatnonzero(outer == k)
        Xtr, ytr, Xva = X.iloc[tr], y[tr], X.iloc[va]  # the caller's part
        loop_kb = max(loop_kb, meter.peak() - base_kb)
        before_kb = meter.start()
        t0, c0 = time.perf_counter(), time.process_time()
        result = run(Xtr, ytr, Xva, inner[k])
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        peak_kb = meter.peak()
        enc_kb = max(enc_kb, peak_kb - before_kb)
        loop_kb = max(loop_kb, peak_kb - base_kb)
        del result, tr, va, Xtr, ytr, Xva
    print(
        json.dumps(
            {
                "contender": contender,
                "rows": len(X),
                "folds_run": max_folds,
                "fold_seconds": times,
                "fold_cpu_seconds": cpu,
                "encoder_peak_bytes": enc_kb * 1024,
                "loop_peak_bytes": loop_kb * 1024,
                "peak_reset": meter.reset_ok,
                "frame_bytes": frame_bytes,
            }
        )
    )


# -- orchestration (parent) ----------------------------------------------------------------


def measure(contender: str, folder: Path, max_folds: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", contender, "--data", str(folder)]
    cmd += ["--max-folds", str(max_folds)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{contender} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(results: list[dict]) -> str:
    lines = [
        "| rows | contender | outer folds run | CPU s / fold | CPU s, 5 folds | "
        "x podium (CPU) | wall s, 5 folds | encoder peak / frame | whole-loop peak / frame |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    by_rows: dict[int, list[dict]] = {}
    for r in results:
        by_rows.setdefault(r["rows"], []).append(r)
    for rows, group in by_rows.items():
        cpu = {r["contender"]: float(np.mean(r["fold_cpu_seconds"])) for r in group}
        ref = cpu.get("podium")
        for r in group:
            name = r["contender"]
            note = "" if r["folds_run"] == N_FOLDS else " (x5 extrapolated)"
            ratio = f"{cpu[name] / ref:.2f}" if ref and name != "harness" else "-"
            wall = float(np.mean(r["fold_seconds"])) * N_FOLDS
            enc = "-" if name == "harness" else f"{r['encoder_peak_bytes'] / r['frame_bytes']:.2f}"
            loop = r["loop_peak_bytes"] / r["frame_bytes"]
            lines.append(
                f"| {rows:,} | {name} | {r['folds_run']} | {cpu[name]:.2f} | "
                f"{cpu[name] * N_FOLDS:.1f}{note} | {ratio} | {wall:.1f}{note} | {enc} | "
                f"{loop:.2f} |"
            )
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_kb / 2**20:.1f} GiB RAM, "
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}"
    )


def _load(avg: tuple[float, float, float]) -> str:
    return "/".join(f"{x:.1f}" for x in avg)


def write_section(text: str) -> None:
    path = REPO / "BENCHMARKS.md"
    doc = path.read_text()
    start, end = f"<!-- section: {SECTION} -->", f"<!-- /section: {SECTION} -->"
    head, rest = doc.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{text.strip()}\n{end}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--contenders", nargs="+", default=list(CONTENDERS))
    parser.add_argument(
        "--ce-max-rows",
        type=int,
        default=2_000_000,
        help="above this, category_encoders runs 1 outer fold and is extrapolated to 5",
    )
    parser.add_argument("--write", action="store_true", help="write BENCHMARKS.md section")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--max-folds", type=int, default=N_FOLDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, Path(args.data), args.max_folds)
        return
    results = []
    load_start = os.getloadavg()
    for rows in args.rows:
        with tempfile.TemporaryDirectory(prefix="te_bench_") as tmp:
            folder = Path(tmp)
            make_data(rows, folder)
            for name in args.contenders:
                slow = name == "category_encoders" and rows > args.ce_max_rows
                res = measure(name, folder, 1 if slow else N_FOLDS)
                print(json.dumps(res), file=sys.stderr, flush=True)
                results.append(res)
    text = table(results)
    load_end = _load(os.getloadavg())
    load = f"load average (1/5/15 min) {_load(load_start)} at start, {load_end} at end"
    print(text)
    print(load)
    if args.write:
        python = Path(sys.executable)
        if python.is_relative_to(REPO):
            python = python.relative_to(REPO)
        command = f"{python} bench/target_encoding.py " + " ".join(sys.argv[1:])
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        write_section(
            f"### Target encoding\n\n{stamp}; {machine()}; {load}.\n\n`{command}`\n\n{text}\n"
        )


if __name__ == "__main__":
    main()
