"""A run's model set in MLflow: logged by ``podium run``, read back by ``podium predict``.

A run's artifacts hold ``model/``: every fitted fold chain + model (``models/<name>/
seed<r>/fold<k>.joblib``, ``refit.joblib``), the stack's level-2 folds (``level2/``), the
:class:`~podium.ensemble.saved.SavedRun` (``run.joblib``) and, logged last, the manifest
of library versions. A run is read only when it ended FINISHED with its manifest, so a
killed run never yields half a model set; its versions are checked before unpickling.

Pickled models run code when loaded: load only runs from stores you trust.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from podium.data.newtest import read_test, test_frame
from podium.engine.saved import check_manifest, write_manifest
from podium.ensemble.saved import RUN_FILE, SavedRun, predict_run
from podium.exceptions import ConfigError
from podium.outputs import check_output
from podium.submission import build_submission, validate_submission, write_submission
from podium.tracking.base import Tracker, resolve_tracking_uri

__all__ = [
    "ARTIFACT_DIR",
    "LoadedRun",
    "PredictOutcome",
    "load_run",
    "log_models",
    "predict_file",
    "predict_rows",
    "submission_frame",
]

ARTIFACT_DIR = "model"
"""The artifact folder of a run's model set."""


def log_models(tracker: Tracker, saved: SavedRun, folder: Path, *, run_id: str) -> None:
    """Log the model set written in ``folder`` as the open run's ``model/`` artifacts; the
    manifest goes last (a model set without it is incomplete)."""
    import joblib

    joblib.dump(saved, Path(folder) / RUN_FILE)
    tracker.log_artifact(folder, artifact_path=ARTIFACT_DIR)
    with tempfile.TemporaryDirectory(prefix="podium-manifest-") as tmp:
        info = {"run_id": run_id, "run_name": saved.run_name, "pipeline": saved.pipeline,
                "competition": saved.competition.name}  # fmt: skip
        tracker.log_artifact(write_manifest(Path(tmp), info), artifact_path=ARTIFACT_DIR)


@dataclass(frozen=True, eq=False)
class LoadedRun:
    """A finished run's model set, downloaded to ``folder`` (removed with the object)."""

    run_id: str
    run_name: str
    saved: SavedRun
    folder: Path
    manifest: dict[str, object]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The run's predictions for feature rows ``X`` (as :func:`read_test` gives them)."""
        return predict_run(self.saved, self.folder, X)


def load_run(
    run: str, *, root: Path, uri: str | None = None, allow_version_mismatch: bool = False
) -> LoadedRun:
    """The model set of the run whose id or name is ``run``, in the store at ``uri``
    (default: ``$MLFLOW_TRACKING_URI``, else ``<root>/mlruns``).

    Raises:
        ConfigError: no such run, a run not FINISHED, one without saved models, or models
            saved with other library versions (one line naming the library).
    """
    from podium.tracking.mlflow_tracker import download_run_artifacts, find_run

    store = resolve_tracking_uri(uri, root)
    summary = find_run(store, run)
    label = f"{summary.name} ({summary.run_id})"
    if summary.status != "FINISHED":
        raise ConfigError(f"run {label} is {summary.status}, not FINISHED: it has no model set")
    tmp = Path(tempfile.mkdtemp(prefix="podium-run-"))
    try:
        try:
            local = download_run_artifacts(store, summary.run_id, ARTIFACT_DIR, tmp)
        except Exception:
            raise ConfigError(
                f"run {label}: no saved models (no {ARTIFACT_DIR}/ artifacts); re-run it"
            ) from None
        manifest = check_manifest(local, run=label, allow_version_mismatch=allow_version_mismatch)
        import joblib

        saved = joblib.load(local / RUN_FILE)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    loaded = LoadedRun(summary.run_id, summary.name, saved, local, manifest)
    weakref.finalize(loaded, shutil.rmtree, tmp, True)
    return loaded


def submission_frame(saved: SavedRun, ids: pd.Series, pred: np.ndarray) -> pd.DataFrame:
    """Predictions for rows with ``ids`` in the competition's submission format: the run's
    own sample submission when the ids are its test ids, else its columns over ``ids``."""
    comp = saved.competition
    spec = comp.submission
    sample = saved.sample
    if set(ids.astype(str)) != set(sample[spec.id].astype(str)) or len(ids) != len(sample):
        sample = pd.DataFrame({c: sample[c].iloc[:1].repeat(len(ids)).to_numpy()
                               for c in sample.columns})  # fmt: skip
        sample[spec.id] = ids.to_numpy()
    frame = build_submission(sample, ids, pred, spec=spec, task=comp.task, classes=saved.classes)
    validate_submission(frame, sample, spec=spec, classes=saved.classes)
    return frame


def predict_rows(loaded: LoadedRun, rows: pd.DataFrame) -> pd.DataFrame:
    """The submission-format predictions of the run for raw test ``rows`` (the columns of
    the competition's test file)."""
    saved = loaded.saved
    X, ids = test_frame(rows, saved.competition, schema=saved.schema, profile=saved.profile)
    return submission_frame(saved, ids, loaded.predict(X))


@dataclass(frozen=True)
class PredictOutcome:
    run_id: str
    run_name: str
    output: Path
    rows: int


def predict_file(
    run: str,
    *,
    test: Path,
    root: Path,
    output: Path | None = None,
    allow_version_mismatch: bool = False,
) -> PredictOutcome:
    """``podium predict``: predict the test file ``test`` with the run's saved models and
    write a submission to ``output`` (default ``<root>/competitions/<competition>/
    submissions/<run name>-<test file stem>.csv``).

    Raises:
        ConfigError, DataError: see :func:`load_run` and
            :func:`podium.data.newtest.read_test` (a file missing columns names them).
    """
    test = Path(test)
    if output is not None:
        check_output(Path(output), inputs=[test])
    loaded = load_run(run, root=root, allow_version_mismatch=allow_version_mismatch)
    saved = loaded.saved
    X, ids = read_test(test, saved.competition, schema=saved.schema, profile=saved.profile)
    frame = submission_frame(saved, ids, loaded.predict(X))
    if output is None:
        folder = Path(root) / "competitions" / saved.competition.name / "submissions"
        output = folder / f"{loaded.run_name}-{test.stem}.csv"
        check_output(output, inputs=[test])
    write_submission(frame, Path(output))
    return PredictOutcome(loaded.run_id, loaded.run_name, Path(output), len(frame))
