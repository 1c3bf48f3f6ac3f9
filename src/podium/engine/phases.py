"""Where a run's time and memory go: wall seconds and peak memory per phase.

A run's phases are ``load`` (read and check the data, build the folds and models), ``folds``
(every model's cross-validation), ``ensemble`` and ``logging`` (the submission and the
MLflow run). ``podium -v run`` prints them; the run logs them as metrics
(``phase_<name>_seconds``, ``phase_<name>_peak_rss_mb``).
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["PhaseClock", "peak_rss_mb"]


def peak_rss_mb() -> float:
    """The peak resident memory so far, in MB: of this process, or of its largest finished
    child process (local fold workers) where that was larger."""
    scale = 1.0 if sys.platform == "darwin" else 1024.0  # ru_maxrss: bytes on macOS, else KB
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) * scale / 1e6


@dataclass
class PhaseClock:
    """``with clock.phase("load"): ...`` records the phase's seconds and the peak memory
    at its end (the peak is of the whole process so far: it only grows)."""

    phases: dict[str, tuple[float, float]] = field(default_factory=dict)
    _started: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        self.start(name)
        try:
            yield
        finally:
            self.stop(name)

    def start(self, name: str) -> None:
        self._started[name] = time.perf_counter()

    def stop(self, name: str) -> None:
        self.phases[name] = (time.perf_counter() - self._started.pop(name), peak_rss_mb())

    def metrics(self) -> dict[str, float]:
        out = {}
        for name, (secs, peak) in self.phases.items():
            out[f"phase_{name}_seconds"] = round(secs, 3)
            out[f"phase_{name}_peak_rss_mb"] = round(peak, 1)
        return out

    def lines(self) -> list[str]:
        return [
            f"phase {name}: {secs:.1f}s, peak memory {peak / 1000:.2f} GB"
            for name, (secs, peak) in self.phases.items()
        ]
