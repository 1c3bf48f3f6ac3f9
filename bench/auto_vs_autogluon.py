"""`podium run` with no pipeline named against AutoGluon best_quality, side by side.

Usage (full run, on a quiet machine; AutoGluon's venv from bench/autogluon_venv.sh):
    uv run python bench/auto_vs_autogluon.py [--pipeline [COMP=]PATH]...
Until `auto` is podium's default and podium drops train-only columns itself (strong's
linear model is a logistic regression: bike sharing, a regression, needs a ridge):
    BIKE="bike_sharing=--set models.linear.use=ridge --set 'models.linear.params={alpha: 1}'"
    BIKE="$BIKE --set target_transform=log1p"
    uv run python bench/auto_vs_autogluon.py --podium-args "--pipeline strong" \
        --podium-args "$BIKE" --drop-train-only
Smoke run (small data, 30 s for AutoGluon, no DyStack: it overruns short limits):
    uv run python bench/auto_vs_autogluon.py --small --podium-args "--pipeline strong" \
        --podium-args "$BIKE" --drop-train-only --ag-time 30 \
        --ag-fit-args '{"dynamic_stacking": false}'

For each competition (the practice ones, employee_access and bike_sharing, and holdouts of
telecom_churn, house_prices and shelter_animal; see bench/practice/) this writes the
competition under --workdir, runs `uv run podium run COMP_DIR --data-dir DATA --output SUB`
as a new user would (plus --podium-args) and takes its wall time W, then runs AutoGluon
(bench/ag_fit.py in its own venv) with time_limit=W (or --ag-time), and grades both
submission files on the held-out labels with podium's metric functions. `--pipeline
[COMP=]PATH` also runs a hand-written pipeline for the "within 0.002 of the best
hand-written pipeline" check. Prints a markdown section ready for BENCHMARKS.md and appends
it to --report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from practice import ALL, Competition, grade, metric_of, prepare

REPO = Path(__file__).resolve().parents[1]
AG_VENV = Path(os.environ.get("PODIUM_AG_VENV", "/tmp/podium-ag-venv"))


@dataclass
class Outcome:
    """One competitor's run on one competition."""

    label: str
    score: float | None = None
    wall: float | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/podium-bench-auto"))
    ap.add_argument("--competitions", default=",".join(ALL),
                    help=f"comma list (default all: {','.join(ALL)})")
    ap.add_argument("--small", action="store_true", help="small generated competitions")
    ap.add_argument("--seed", type=int, default=0, help="data generation and holdout seed")
    ap.add_argument("--data-root", type=Path, help="real data (default $PODIUM_DATA_DIR)")
    ap.add_argument("--podium-args", action="append", default=[], metavar="[COMP=]ARGS",
                    help='extra `podium run` arguments, e.g. "--pipeline strong"; with COMP= '
                    "for one competition only (repeatable)")
    ap.add_argument("--pipeline", action="append", default=[], metavar="[COMP=]PATH[+PLUGIN]",
                    help="a hand-written pipeline to run too, with the plug-in file it "
                    "needs after a + (repeatable)")
    ap.add_argument("--ag-time", type=float, help="AutoGluon time_limit (default: podium's W)")
    ap.add_argument("--ag-python", type=Path, default=AG_VENV / "bin" / "python")
    ap.add_argument("--ag-presets", default="best_quality")
    ap.add_argument("--ag-fit-args", default="{}", help="JSON of extra fit() arguments")
    ap.add_argument("--no-ag", action="store_true", help="skip AutoGluon")
    ap.add_argument("--drop-train-only", action="store_true",
                    help="list train-only columns in data.drop (if podium does not yet)")
    ap.add_argument("--report", type=Path, help="append here (default WORKDIR/report.md)")
    return ap.parse_args()


def _sh(cmd: list[str]) -> str:
    return " ".join(shlex.quote(str(c)) for c in cmd)


def _timed(cmd: list[str], log: Path, *, cwd: Path, env: dict | None = None) -> tuple[int, float]:
    log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with log.open("w") as fh:
        fh.write(f"$ {_sh(cmd)}\n")
        fh.flush()
        rc = subprocess.run(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT).returncode
    return rc, time.perf_counter() - t0


def _last_line(log: Path, prefix: str = "") -> str:
    lines = [ln for ln in log.read_text().splitlines() if ln.strip() and ln.startswith(prefix)]
    return lines[-1].strip() if lines else ""


def drop_train_only(comp: Competition) -> list[str]:
    """Add the competition's train-only columns to data.drop in its competition.yaml."""
    cols = comp.train_only
    if cols:
        path = comp.comp_dir / "competition.yaml"
        cfg = comp.config
        cfg["data"]["drop"] = sorted({*cfg["data"].get("drop", []), *cols})
        path.write_text(yaml.safe_dump(cfg, sort_keys=False, default_flow_style=None))
    return cols


def run_podium(comp: Competition, extra: list[str], label: str, work: Path) -> Outcome:
    """`uv run podium run COMP_DIR --data-dir DATA --output SUB [extra]`, timed and graded."""
    out = work / "runs" / comp.name / label
    shutil.rmtree(out, ignore_errors=True)
    sub = out / "submission.csv"
    cmd = ["uv", "run", "podium", "run", str(comp.comp_dir), "--data-dir", str(comp.data_dir),
           "--output", str(sub), *extra]
    env = {**os.environ, "PODIUM_CACHE_DIR": str(out / "cache"),
           "MLFLOW_TRACKING_URI": _store(work)}
    rc, wall = _timed(cmd, out / "podium.log", cwd=REPO, env=env)
    result = Outcome(label, wall=wall, extra={"cmd": _sh(cmd), "log": str(out / "podium.log")})
    if rc != 0 or not sub.is_file():
        result.note = f"failed (exit {rc}): {_last_line(out / 'podium.log')[:160]}"
        return result
    result.score = grade(comp, sub)
    result.note = _last_line(out / "podium.log", "CV ").split("; run ")[0]
    return result


def _store(work: Path) -> str:
    return f"sqlite:///{(work / 'mlruns' / 'mlflow.db').resolve()}"


def warm_store(work: Path) -> None:
    """Create the MLflow store once, so no timed run pays for its schema migrations."""
    (work / "mlruns").mkdir(parents=True, exist_ok=True)
    code = "import mlflow, sys; mlflow.set_tracking_uri(sys.argv[1]); mlflow.search_experiments()"
    subprocess.run(["uv", "run", "python", "-c", code, _store(work)], cwd=REPO, check=True,
                   capture_output=True)


def _keep_id(comp: Competition) -> bool:
    """Give AutoGluon the id column when it is a timestamp (it then carries the signal)."""
    import pandas as pd

    data = comp.config["data"]
    if not data.get("id"):
        return False
    ids = pd.read_csv(comp.data_dir / data.get("test", "test.csv"), usecols=[data["id"]],
                      nrows=50)[data["id"]]
    if pd.api.types.is_numeric_dtype(ids):
        return False
    try:
        pd.to_datetime(ids, format="%Y-%m-%d %H:%M:%S")
    except (ValueError, TypeError):
        return False
    return True


def _ag_env(python: Path) -> dict[str, str]:
    """Our environment less podium's venv and uv's variables: Ray sees that this bench runs
    under `uv run` and would start its workers in podium's venv (no ray there) otherwise."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH") and not k.startswith("UV_")}
    env["PATH"] = os.pathsep.join([str(python.parent), env.get("PATH", "")])
    env["RAY_ENABLE_UV_RUN_RUNTIME_ENV"] = "0"
    return env


def run_autogluon(comp: Competition, time_limit: float, args: argparse.Namespace) -> Outcome:
    """bench/ag_fit.py in AutoGluon's venv with time_limit, timed and graded."""
    cfg = comp.config
    data, sub_spec = cfg["data"], cfg["submission"]
    out = args.workdir / "runs" / comp.name / "autogluon"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    sub = out / "submission.csv"
    cmd = [str(args.ag_python), str(REPO / "bench" / "ag_fit.py"),
           "--train", str(comp.data_dir / data.get("train", "train.csv")),
           "--test", str(comp.data_dir / data.get("test", "test.csv")),
           "--sample", str(comp.data_dir / data.get("sample_submission", "sample_submission.csv")),
           "--out", str(sub), "--label", data["target"], "--task", cfg["task"],
           "--metric", cfg["metric"], "--time-limit", str(time_limit),
           "--sub-id", sub_spec["id"], "--sub-target", sub_spec["target"],
           "--path", str(out / "models"), "--presets", args.ag_presets,
           "--fit-args", args.ag_fit_args, "--facts", str(out / "facts.json")]
    if data.get("id"):
        cmd += ["--id", data["id"]] + (["--keep-id"] if _keep_id(comp) else [])
    if data.get("train_filter"):
        cmd += ["--query", data["train_filter"]]
    rc, wall = _timed(cmd, out / "ag.log", cwd=out, env=_ag_env(args.ag_python))
    result = Outcome("autogluon", wall=wall, extra={"cmd": _sh(cmd), "log": str(out / "ag.log"),
                                                    "time_limit": time_limit})
    if rc != 0 or not sub.is_file():
        result.note = f"failed (exit {rc}): {_last_line(out / 'ag.log')[:160]}"
        return result
    result.score = grade(comp, sub)
    facts = json.loads((out / "facts.json").read_text())
    result.extra.update(facts)
    result.note = f"{facts['n_models']} models, best {facts['best_model']}"
    return result


def _for(comp: str, name: str) -> bool:
    return comp in (name, name.removesuffix("_holdout"))


def _podium_extra(specs: list[str], name: str) -> list[str]:
    """The global --podium-args, then those given as ``name=ARGS``."""
    out: list[str] = []
    for spec in specs:
        comp, sep, rest = spec.partition("=")
        if sep and comp in ALL:
            out += shlex.split(rest) if _for(comp, name) else []
        else:
            out += shlex.split(spec)
    return out


def _hand_pipelines(specs: list[str], name: str) -> list[str]:
    paths = []
    for spec in specs:
        comp, sep, path = spec.partition("=")
        if not sep:
            paths.append(spec)
        elif _for(comp, name):
            paths.append(path)
    return paths


def _hand_args(spec: str) -> list[str]:
    """``PATH`` or ``PATH+PLUGIN`` (a plug-in file the pipeline needs) as run arguments."""
    path, plus, plugin = spec.partition("+")
    extra = ["--set", f"plugins={Path(plugin).resolve()}"] if plus else []
    return ["--pipeline", str(Path(path).resolve()), *extra]


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.5f}"


def _winner(comp: Competition, a: Outcome, b: Outcome) -> str:
    if a.score is None or b.score is None:
        return "-"
    if a.score == b.score:
        return "tie"
    return "**podium**" if metric_of(comp).better(a.score, b.score) else "AutoGluon"


def _gap(comp: Competition, auto: Outcome, hand: Outcome) -> str:
    if auto.score is None or hand.score is None:
        return "-"
    diff = auto.score - hand.score
    rel = f" ({diff / hand.score:+.2%})" if comp.config["task"] == "regression" else ""
    return f"{diff:+.5f}{rel}"


def machine() -> str:
    mem_kb = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
                  if ln.startswith("MemTotal"))
    cpu = next((ln.split(":", 1)[1].strip() for ln in
                Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name")),
               platform.processor())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} cores ({cpu}), {mem_kb / 2**20:.0f} GiB, Python "
            f"{platform.python_version()}; load average at the start {load}")


def ag_version(python: Path) -> str:
    code = "import autogluon.tabular as a, pandas as p; print(a.__version__, p.__version__)"
    try:
        res = subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                             check=True)
    except (OSError, subprocess.CalledProcessError):
        return "not installed (bash bench/autogluon_venv.sh)"
    ver, pandas = res.stdout.split()
    return f"AutoGluon {ver} (pandas {pandas}, own venv {python.parent.parent})"


def main() -> None:
    args = _args()
    names = [n.strip() for n in args.competitions.split(",") if n.strip()]
    work = args.workdir.resolve()
    args.workdir = work
    started = dt.datetime.now(dt.UTC)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                            capture_output=True, text=True).stdout.strip()
    command = _sh(["uv", "run", "python", "bench/auto_vs_autogluon.py", *sys.argv[1:]])
    head = [f"- date: {started:%Y-%m-%d %H:%M} UTC; {machine()}",
            f"- podium commit {commit}; {ag_version(args.ag_python)}",
            f"- command: `{command}`"]
    print("\n".join(head), flush=True)
    shutil.rmtree(work / "comps", ignore_errors=True)
    comps = prepare(work / "comps", names, small=args.small, seed=args.seed,
                    data_root=args.data_root)
    warm_store(work)
    rows, notes = [], []
    for name, comp in comps.items():
        if args.drop_train_only and (cols := drop_train_only(comp)):
            notes.append(f"{name}: data.drop += {cols} (--drop-train-only)")
        auto = run_podium(comp, _podium_extra(args.podium_args, name), "podium", work)
        print(f"{name}: podium {_fmt(auto.score)} in {auto.wall:.0f}s  {auto.note}", flush=True)
        hands = [run_podium(comp, _hand_args(p), f"hand-{i}", work)
                 for i, p in enumerate(_hand_pipelines(args.pipeline, name))]
        for p, h in zip(_hand_pipelines(args.pipeline, name), hands, strict=True):
            print(f"{name}: hand {p} {_fmt(h.score)} in {h.wall:.0f}s  {h.note}", flush=True)
            notes.append(f"{name} hand-written `{p}`: {_fmt(h.score)} in {h.wall:.0f}s; {h.note}")
        limit = args.ag_time or (math.ceil(auto.wall) if auto.score is not None else None)
        if args.no_ag or limit is None:
            ag = Outcome("autogluon", note="not run")
        else:
            ag = run_autogluon(comp, limit, args)
            print(f"{name}: AutoGluon {_fmt(ag.score)} in {ag.wall:.0f}s (time_limit {limit}s)"
                  f"  {ag.note}", flush=True)
            if ag.score is not None:
                x = ag.extra
                notes.append(f"{name} AutoGluon: ray start {x['ray_init_s']}s, fit {x['fit_s']}s "
                             f"(time_limit {limit}s), predict {x['predict_s']}s; {ag.note}")
        if auto.score is not None:
            notes.append(f"{name} podium: {auto.note}")
        for r in (auto, *hands, ag):
            if r.score is None:
                notes.append(f"{name} {r.label}: {r.note} (log {r.extra.get('log', '-')})")
        rows.append((comp, auto, hands, ag))
    print_report(args, head, rows, notes)


def print_report(args: argparse.Namespace, head: list[str], rows: list, notes: list) -> None:
    hand_cols = bool(args.pipeline)
    cols = ["competition", "metric", "podium", "AutoGluon", "winner", "podium wall s",
            "AG wall s (time_limit)"] + (["hand-written", "podium - hand"] if hand_cols else [])
    lines = ["<!-- section: auto-vs-autogluon -->",
             "## `podium run` (no pipeline named) against AutoGluon best_quality", "", *head,
             f"- sizes: {'small (smoke)' if args.small else 'full'}; podium args: "
             f"`{' | '.join(args.podium_args) or '(none)'}`; AutoGluon presets {args.ag_presets}, "
             f"fit args {args.ag_fit_args}, time_limit "
             f"{args.ag_time or 'W, podium wall s'}",
             "- AutoGluon is given the train file less the id (kept when it is a timestamp) and"
             " less train-only columns, with the competition's train_filter; roc_auc ->"
             " roc_auc, logloss -> log_loss, rmsle -> log1p target with"
             " root_mean_squared_error; both submission files are graded by"
             " bench/practice/grade.py with podium's metric functions", "",
             "| " + " | ".join(cols) + " |", "|" + "---|" * 2 + "---:|" * (len(cols) - 2)]
    for comp, auto, hands, ag in rows:
        metric = metric_of(comp)
        arrow = "higher" if metric.greater_is_better else "lower"
        ag_wall = "-" if ag.wall is None else f"{ag.wall:.0f} ({ag.extra['time_limit']:.0f})"
        cells = [comp.name, f"{metric.name} ({arrow} is better)", _fmt(auto.score),
                 _fmt(ag.score), _winner(comp, auto, ag),
                 "-" if auto.wall is None else f"{auto.wall:.0f}", ag_wall]
        if hand_cols:
            best = min((h for h in hands if h.score is not None), default=None,
                       key=lambda h: -h.score if metric.greater_is_better else h.score)
            cells += [_fmt(best.score) if best else "-", _gap(comp, auto, best) if best else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [""] + [f"- {n}" for n in notes]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    report = args.report or args.workdir / "report.md"
    with report.open("a") as fh:
        fh.write(text + "\n")
    print(f"appended to {report}")


if __name__ == "__main__":
    main()
