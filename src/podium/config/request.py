"""What names one run: :class:`RunRequest`, built once by the CLI or :mod:`podium.api`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from podium.config.loader import ResolvedConfig, load_config

__all__ = ["RunRequest"]


@dataclass(frozen=True)
class RunRequest:
    """The inputs every command that plans a run shares (``podium run``, ``validate``,
    ``audit``): built once where the arguments are parsed and passed down whole.

    Attributes:
        competition: a name under ``root/competitions`` or a path to its folder (or file).
        root: the project folder (``competitions/``, ``pipelines/``, ``mlruns/``).
        pipeline: as ``--pipeline`` (default: the competition's).
        overrides: as ``--set``: ``key.path=value`` strings (a list is kept as a tuple).
        seed: as ``--seed``: replaces the competition seed.
        data_dir: as ``--data-dir``.
    """

    competition: str | Path
    root: Path
    pipeline: str | None = None
    overrides: tuple[str, ...] = ()
    seed: int | None = None
    data_dir: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", tuple(self.overrides))

    def config(self) -> ResolvedConfig:
        """The request's resolved config (see :func:`podium.config.load_config`)."""
        return load_config(
            self.competition,
            root=self.root,
            pipeline=self.pipeline,
            overrides=self.overrides,
            seed=self.seed,
        )
