"""Fold-by-fold reporting: a progress bar on a terminal, one summary line per fold."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from podium.cli.app import print_notices
from podium.engine.explain import explain_choices

__all__ = ["FoldReporter", "print_leaderboard"]


def print_leaderboard(console: Console, board: Any) -> None:
    """Print a :class:`podium.ensemble.leaderboard.Leaderboard` as its text table."""
    for line in board.lines():
        console.print(line, markup=False, highlight=False, soft_wrap=True)


class FoldReporter:
    """Prints ``model fold k/n metric=... best_iter=... 1.2s`` lines, with a bar on a TTY."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Progress | None = None
        self.task: Any = None
        self.metric = "score"
        self.n_repeats = 1

    def __enter__(self) -> FoldReporter:
        if self.console.is_terminal:
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.progress.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.progress is not None:
            self.progress.stop()

    def start(self, plan: Any, run_name: str) -> None:
        self.metric = plan.metric.name
        print_notices(plan.data.notices, self.console)
        for line in explain_choices(plan):
            self.console.print(f"column {line}", markup=False, highlight=False)
        self.n_repeats = len(plan.repeats)
        n = plan.folds.n_splits * len(plan.models) * self.n_repeats
        reps = f" x {self.n_repeats} repeats" if self.n_repeats > 1 else ""
        self.console.print(
            f"run {run_name}: {len(plan.models)} model(s) x {plan.folds.n_splits} folds{reps} "
            f"({plan.folds.scheme}, folds {plan.fold_fingerprint})"
        )
        if getattr(plan, "target_note", ""):
            self.console.print(plan.target_note)
        for line in getattr(plan, "sizing", ()):
            self.console.print(f"params {line}", markup=False, highlight=False)
        if self.progress is not None:
            self.task = self.progress.add_task("training", total=n)

    def fold(self, name: str, fr: Any, n_folds: int) -> None:
        it = f" best_iter={fr.best_iteration}" if fr.best_iteration is not None else ""
        rep = f" repeat {fr.repeat + 1}/{self.n_repeats}" if self.n_repeats > 1 else ""
        self.console.print(
            f"{name}{rep} fold {fr.fold + 1}/{n_folds} {self.metric}={fr.score:.5f}{it} "
            f"{fr.fit_seconds + fr.predict_seconds:.1f}s"
        )
        if self.progress is not None:
            self.progress.advance(self.task)

    def model(self, res: Any) -> None:
        self.console.print(
            f"{res.name}: CV {res.metric}={res.cv_mean:.5f}±{res.cv_std:.5f} {res.seconds:.1f}s"
            f"{_repeats_note(res)}{_cache_note(res)}"
        )


def _repeats_note(res: Any) -> str:
    """``; std over 3 repeats 0.00123`` with repeated CV."""
    std = getattr(res, "cv_std_repeats", None)
    return "" if std is None else f"; std over {len(res.repeats)} repeats {std:.5f}"


def _cache_note(res: Any) -> str:
    """``; features: 4/5 folds from cache (0.3s)`` when the feature cache was used."""
    hits = getattr(res, "cache_hits", None)
    if hits is None:
        return ""
    refit = ""
    if res.refit_cache_hit is not None:
        refit = ", refit from cache" if res.refit_cache_hit else ", refit computed"
    n, secs = len(res.folds), res.feature_seconds
    return f"; features: {hits}/{n} folds from cache{refit} ({secs:.1f}s)"
