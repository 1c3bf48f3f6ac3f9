"""``python -m podium.tracking._child FD``: the tracking child process of
:class:`~podium.tracking.process.ProcessTracker`, serving on the socket ``FD``."""

from __future__ import annotations

import os
import sys

from podium.tracking.process import serve


def _load() -> BaseException | None:
    """Import MLflow (quietly) and matplotlib while the parent sends its setup; a failure
    is returned, for the parent to report in one line."""
    try:
        import podium.tracking.plots  # noqa: F401  (matplotlib, for Plot objects)
        from podium.tracking.mlflow_tracker import preload

        preload()
    except Exception as exc:
        return exc
    return None


if __name__ == "__main__":
    serve(int(sys.argv[1]), failure=_load())
    # Everything is written and answered: skip tearing down MLflow's ~100k objects.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
