"""The commands: ``run``, ``validate``, ``new``, ``blend`` (``runs`` is in :mod:`.runs`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from podium.cli.app import _state, command, err, fail, out, print_notices, project_root
from podium.cli.options import CompetitionArg, DataDirOpt, with_request
from podium.cli.progress import FoldReporter, print_leaderboard
from podium.exceptions import PodiumError

if TYPE_CHECKING:
    from podium.config import RunRequest


@command()
@with_request
def run(
    request: RunRequest,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Submission path (default: under the competition)."),
    ] = None,
    params: Annotated[
        str | None, typer.Option("--params", help="'best': the best tuned parameters.")
    ] = None,
    storage: Annotated[
        str | None, typer.Option("--storage", help="Optuna storage URL for --params.")
    ] = None,
    study: Annotated[str | None, typer.Option("--study", help="Study name for --params.")] = None,
    keep_early_stopping: Annotated[
        bool,
        typer.Option(
            "--keep-early-stopping",
            help="With --params best: keep early stopping, not the trial's fixed count.",
        ),
    ] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Recompute features (same as --set cache=off).")
    ] = False,
    sample: Annotated[
        float | None,
        typer.Option("--sample", help="Train on this fraction of the rows (data.sample)."),
    ] = None,
    executor: Annotated[
        str | None,
        typer.Option(
            "--executor", help="Where folds run: local, dask or a tcp://host:8786 scheduler."
        ),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit", help="Seconds: models not started by then are skipped (time_limit)."
        ),
    ] = None,
) -> None:
    """Cross-validate the pipeline, log the run to MLflow and write a submission."""
    from podium.tracking.process import warm_up

    if keep_early_stopping and params is None:
        fail(PodiumError("--keep-early-stopping applies to --params best only"))
    warm_up()  # MLflow loads in a child process while podium loads, reads and trains
    from podium.runner import run_competition

    reporter = FoldReporter(err)
    with reporter:
        outcome = run_competition(
            replace(
                request,
                overrides=(
                    *request.overrides,
                    *(["cache=off"] if no_cache else []),
                    *([f"data.sample={sample}"] if sample is not None else []),
                    *([f"executor={executor}"] if executor is not None else []),
                    *([f"time_limit={time_limit}"] if time_limit is not None else []),
                ),
            ),
            output=output,
            on_start=reporter.start,
            on_fold=reporter.fold,
            on_model=reporter.model,
            params=params,
            storage=storage,
            study=study,
            keep_early_stopping=keep_early_stopping,
            on_tuned=lambda lines: (
                None
                if not lines
                else err.print("\n".join(f"tuned {x}" for x in lines), markup=False)
            ),
        )
    res = outcome.result
    metric = outcome.plan.metric.name
    from podium.ensemble.leaderboard import build_leaderboard

    print_leaderboard(out, build_leaderboard(outcome.plan.metric, res))
    naive = "" if res.naive_score is None else f"; in-sample {res.naive_score:.5f}"
    if res.cv_std_repeats is not None:
        n = len(outcome.plan.repeats)
        naive += f"; std over {n} repeats {res.cv_std_repeats:.5f}"
    out.print(
        f"CV {metric} = {res.cv_mean:.5f} ± {res.cv_std:.5f} ({res.chosen}{naive}); "
        f"run {outcome.run_name} ({outcome.run_id})"
    )
    if outcome.plan.cfg.competition.cv.chosen:
        out.print(outcome.plan.cfg.competition.cv.chosen, markup=False, highlight=False)
    out.print(f"submission: {outcome.submission}")
    if _state["verbose"] and outcome.phases is not None:
        for line in outcome.phases.lines():
            err.print(line, highlight=False)


@command()
@with_request
def validate(request: RunRequest) -> None:
    """Check config and data and build the folds, without training."""
    from podium.runner import plan_run

    plan = plan_run(request)
    from podium.engine import check_stages

    checked = check_stages(plan)
    d, cfg, folds = plan.data, plan.cfg, plan.folds
    out.print(f"competition {cfg.competition.name}: config {cfg.competition_file} ok")
    models = ", ".join(plan.models)
    out.print(f"pipeline {cfg.pipeline_name}: {cfg.pipeline_file} ok; models: {models}")
    out.print(
        f"data {d.data_dir}: train {d.train.shape[0]}x{d.train.shape[1]}, "
        f"test {d.test.shape[0]} rows, fingerprint {d.fingerprint}"
    )
    out.print(f"columns: {d.profile.summary()} (podium profile shows each)")
    print_notices(d.notices, out)
    if plan.relation is not None:
        for line in plan.relation.lines():
            out.print(line, markup=False, highlight=False)
    out.print(plan.cv_note, markup=False, highlight=False)
    out.print(f"folds: {folds.scheme}, {folds.n_splits} splits, fingerprint {folds.fingerprint}")
    if len(plan.repeats) > 1:
        prints = ", ".join(f.fingerprint for f in plan.repeats)
        out.print(f"repeated cv: {len(plan.repeats)} fold assignments (fingerprints {prints})")
    out.print(plan.target_note)
    for line in plan.sizing:
        out.print(f"params {line}", markup=False, highlight=False)
    out.print(f"stages: {checked} chain(s) fit on a sample of fold 1's training rows, ok")


_COMPETITION_TEMPLATE = """\
# {name}: declare the competition once. Paths are relative to the data folder
# (--data-dir, $PODIUM_DATA_DIR/{name}/, or competitions/{name}/data/).
name: {name}
description: ""
data:
  train: train.csv
  test: test.csv
  sample_submission: sample_submission.csv
  id: id              # null when ids are the test row index
  target: target
task: binary          # binary | multiclass | regression
metric: roc_auc       # roc_auc logloss accuracy f1 | rmse rmsle mae
cv: {{scheme: auto, n_splits: 5}}   # auto: the scheme that mimics how test relates to train
seed: 42
# pipeline: auto      # the default: pipelines/auto.yaml, zero config; name another here
overrides: {{}}
submission: {{id: id, target: target, kind: probability}}
tracking: {{experiment: {name}}}
plugins: features.py  # this competition's own stages and models: register() in features.py
"""

_PLUGIN_TEMPLATE = '''\
"""{name}: stages and models of this competition only.

podium imports this file when competition.yaml says ``plugins: features.py`` and calls
``register(registry)``; nothing is registered at import. A registered stage is used from
the pipeline YAML like a built-in one:

    stages:
      - {{name: fare_per_person, use: ratio, params: {{numerator: fare, denominator: family}}}}

Leakage rules (README, "Plug-ins"): ``fit`` sees only the training rows of a fold and
``transform`` must not learn. A stage that needs the target must cross-fit (or use the
built-in ``target_encoder``). A stage may read other files of the data folder through the
``split_context`` fit parameter (``split_context.data_dir``) but never the train file's
target: every row's target would reach every fold, and ``podium audit`` flags it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from podium.registry import Registry
from podium.stages import BaseStage, check_columns


class Ratio(BaseStage):
    """Add ``numerator / denominator`` as column ``name`` (a zero denominator gives NaN).

    **Leakage:** none. Each row uses only its own columns and ``fit`` learns nothing from
    the rows or the target, so ``fit_transform(X)`` equals ``fit(X).transform(X)``.

    Args:
        numerator, denominator: Numeric columns of X.
        name: The new column.
    """

    def __init__(self, numerator: str = "", denominator: str = "", name: str = "ratio") -> None:
        self.numerator = numerator
        self.denominator = denominator
        self.name = name

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **fit_params: Any) -> None:
        check_columns(X, [self.numerator, self.denominator], "ratio", "a ratio")

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        den = pd.to_numeric(X[self.denominator], errors="coerce").replace(0, np.nan)
        out = X.copy()
        out[self.name] = pd.to_numeric(X[self.numerator], errors="coerce") / den
        return out


def register(registry: Registry) -> None:
    """Add this competition's stages (``registry.add_stage``) and models (``add_model``)."""
    registry.add_stage("ratio", Ratio)
'''


@command()
def new(
    name: Annotated[str, typer.Argument(help="Name of the new competition.")],
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Folder with train.csv and test.csv: their column kinds go into the "
            "competition.yaml as comments.",
        ),
    ] = None,
) -> None:
    """Scaffold competitions/NAME/ with a competition.yaml and a features.py to edit."""
    root = project_root()
    folder = root / "competitions" / name
    if folder.exists():
        fail(PodiumError(f"{folder} already exists"))
    if not name.replace("_", "").replace("-", "").isalnum():
        fail(PodiumError(f"competition name {name!r}: use letters, digits, '_' or '-'"))
    text = _COMPETITION_TEMPLATE.format(name=name)
    if data_dir is not None:
        try:
            text = _with_kinds(text, data_dir, name)
        except PodiumError as exc:
            fail(exc)
    (folder / "data").mkdir(parents=True)
    (folder / "competition.yaml").write_text(text)
    (folder / "features.py").write_text(_PLUGIN_TEMPLATE.format(name=name))
    out.print(
        f"created {folder / 'competition.yaml'} and {folder / 'features.py'}; "
        f"put the data files in {folder / 'data'}"
    )


def _with_kinds(template: str, data_dir: Path, name: str) -> str:
    """The template with the inferred column kinds of the data files as comments."""
    from podium.data import profile_files

    train, test = Path(data_dir) / "train.csv", Path(data_dir) / "test.csv"
    profile = profile_files(train, test)
    lines = [
        f"  # column kinds inferred from {train} and {test.name} "
        f"(podium profile {name} shows why);",
        "  # uncomment a line to fix a kind (numeric categorical id datetime text):",
        "  # kinds:",
    ]
    width = max(len(c) for c in profile.kinds) + 1
    for col, kind in profile.kinds.items():
        if kind not in ("train_only", "constant"):
            lines.append(f"  #   {col + ':':<{width}} {kind}")
    empty = f"absent from (or empty in) {test.name}"
    for kind, what in (("constant", "constant"), ("train_only", empty)):
        cols = profile.columns(kind)
        if cols:
            lines.append(f"  # {what}: {', '.join(cols)}")
    anchor = "  target: target\n"
    text = template.replace(anchor, anchor + "\n".join(lines) + "\n", 1)
    from podium.cli.scaffold import guess_fields

    try:
        fields = guess_fields(Path(data_dir), test.name, profile) or {}
    except (OSError, ValueError, KeyError):  # an unreadable sample: the template's lines stay
        fields = {}
    for old, line in fields.items():
        text = text.replace(old, line, 1)
    return text


from podium.cli import tune as _tune  # noqa: F401,E402


@command()
def blend(
    competition: CompetitionArg,
    runs: Annotated[
        str,
        typer.Option(
            "--runs",
            help="Runs 'A,B,...' (names, ids or id prefixes) or 'top:N' (best N distinct runs "
            "on the same folds).",
        ),
    ] = "top:3",
    method: Annotated[
        str, typer.Option("--method", help="weights | rank | power | hill | mean | stack")
    ] = "weights",
    data_dir: DataDirOpt = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Submission path.")] = None,
) -> None:
    """Blend finished runs (same folds only) into a new run and submission."""
    from podium.tracking.process import warm_up

    warm_up()  # MLflow loads in a child process while podium loads
    from podium.cross_run import blend_runs

    outcome = blend_runs(
        competition,
        root=project_root(),
        runs=runs,
        method=method,
        data_dir=data_dir,
        output=output,
    )
    res = outcome.result
    for s in outcome.members:
        w = (res.weights or {}).get(s.name)
        shown = "" if w is None else f" weight {w:.3f}"
        out.print(f"member {s.name} ({s.run_id}) CV {s.cv_mean:.5f}{shown}")
    out.print(
        f"CV {res.cv_mean:.5f} ± {res.cv_std:.5f} (nested; in-sample {res.naive_score:.5f}); "
        f"run {outcome.run_name} ({outcome.run_id})"
    )
    out.print(f"submission: {outcome.submission}")


from podium.cli import audit as _audit  # noqa: F401,E402
from podium.cli import cache as _cache  # noqa: F401,E402
from podium.cli import predict as _predict  # noqa: F401,E402
from podium.cli import profile as _profile  # noqa: F401,E402
from podium.cli import reference as _reference  # noqa: F401,E402
from podium.cli import runs as _runs  # noqa: F401,E402
