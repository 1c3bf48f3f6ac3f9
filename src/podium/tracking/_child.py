"""``python -m podium.tracking._child FD``: the tracking child process of
:class:`~podium.tracking.process.ProcessTracker`, serving on the socket ``FD``."""

from __future__ import annotations

import os
import sys

import podium.tracking.plots  # noqa: F401  (matplotlib, for Plot objects)
from podium.tracking.mlflow_tracker import preload
from podium.tracking.process import serve

if __name__ == "__main__":
    preload()  # MLflow, quietly, while the parent sends its setup
    serve(int(sys.argv[1]))
    # Everything is written and answered: skip tearing down MLflow's ~100k objects.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
