"""Reading runs back from MLflow: an experiment's runs, artifacts, a run found by name."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Any

from podium.stores import redact
from podium.tracking import lookup
from podium.tracking.base import RunSummary
from podium.tracking.mlflow_tracker._calls import calling

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Reading", "download_run_artifacts", "find_run"]


class Reading:
    """The reading half of :class:`~podium.tracking.mlflow_tracker.MlflowTracker` (its
    ``uri``, ``_client`` and ``experiment_id``)."""

    uri: str
    experiment_id: str
    _client: Any

    def list_runs(self, *, parent_only: bool = True, max_results: int = 100) -> list[RunSummary]:
        """Return the experiment's runs, newest first (top-level runs only by default)."""
        query = "tags.`mlflow.parentRunId` IS NULL" if parent_only else ""
        with calling(self.uri, "search runs"):
            runs = self._client.search_runs(
                [self.experiment_id],
                query,
                max_results=max_results,
                order_by=["attributes.start_time DESC"],
            )
        return [RunSummary.from_run(run) for run in runs]

    def download_artifact(self, run_id: str, name: str, dst_dir: Path) -> Path:
        """Copy the artifact ``name`` of ``run_id`` into ``dst_dir`` and return its path."""
        dst = Path(dst_dir)
        dst.mkdir(parents=True, exist_ok=True)
        with calling(self.uri, f"download artifact {name!r} of run {run_id}"):
            return Path(self._client.download_artifacts(run_id, name, str(dst)))

    def load_frame(self, run_id: str, name: str) -> pd.DataFrame:
        """Read a parquet artifact logged with :meth:`log_frame`."""
        import pandas as pd

        if not name.endswith(".parquet"):
            name += ".parquet"
        with TemporaryDirectory(prefix="podium-") as tmp:
            return pd.read_parquet(self.download_artifact(run_id, name, Path(tmp)))


def find_run(uri: str, key: str) -> RunSummary:
    """The run whose id, name or unique id prefix is ``key``, in any experiment of the
    store (matched as :func:`podium.tracking.lookup.find_run` matches).

    Raises:
        ConfigError: no such run (with the closest name), or a name or prefix runs share.
    """
    runs: list[Any] = []
    with calling(uri, f"find run {key!r}"):
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        client = MlflowClient(tracking_uri=uri)
        with suppress(MlflowException):
            return RunSummary.from_run(client.get_run(key.strip()))
        experiments = [e.experiment_id for e in client.search_experiments()]
        if experiments:
            runs = list(client.search_runs(experiments))
    summaries = [RunSummary.from_run(r) for r in runs]
    return lookup.find_run(summaries, key, where=f"the store {redact(uri)}")


def download_run_artifacts(uri: str, run_id: str, path: str, dst: Path) -> Path:
    """Copy the artifact file or folder ``path`` of ``run_id`` into ``dst``; its local path."""
    Path(dst).mkdir(parents=True, exist_ok=True)
    with calling(uri, f"download artifact {path!r} of run {run_id}"):
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=uri)
        return Path(client.download_artifacts(run_id, path, str(dst)))
