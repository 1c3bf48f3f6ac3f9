"""``python -m podium.tracking._child FD PARENT``: the tracking child process of
:class:`~podium.tracking.process.ProcessTracker`, serving on the socket ``FD``.

When the parent dies its end of the socket closes: the child ends the runs it holds as
``KILLED`` and exits. A watchdog (:func:`podium.lifeline.watch_parent`) ends the child
anyway if that takes longer than a grace period."""

from __future__ import annotations

import os
import sys

from podium.lifeline import watch_parent
from podium.tracking.process import serve

_GRACE = 60.0  # seconds after the parent's death to end the runs it held


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
    if len(sys.argv) > 2:
        watch_parent(int(sys.argv[2]), grace=_GRACE, on_death=None)
    serve(int(sys.argv[1]), failure=_load())
    # Everything is written and answered: skip tearing down MLflow's ~100k objects.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
