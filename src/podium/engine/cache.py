"""The feature cache: a fold's stage-chain outputs, reused by runs that change nothing
the features depend on (e.g. only model parameters).

Key of an entry (sha256 over all of these):

- the chain: every stage's name, class and ``get_params(deep=False)`` (nested stages
  too), canonically serialised;
- the code: podium's version and the source of ``podium.stages``, ``podium.features`` and
  ``podium.cv``, the versions of numpy, pandas, scikit-learn, scipy and pyarrow, and the
  source file of every stage class defined outside podium (editing a plug-in invalidates);
- the inputs, by content: training frame, target, test frame (the transductive input),
  groups and split context; a config change that reshapes the frame (``data.drop``) or a
  permuted target misses, where a data-file fingerprint would not;
- the fold: its training and validation rows (``refit`` for the fit on all rows);
- the run's salt: the competition seed.

Models with identical chains share entries. Entries live in
``<project>/cache/features/<competition>/`` (``$PODIUM_CACHE_DIR/<competition>/``); see
:mod:`podium.engine.cache_store` for the format. ``podium cache clear`` deletes them.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from podium.engine.cache_key import (
    Unkeyable,
    array_digest,
    chain_description,
    code_fingerprint,
    digest,
    value_digest,
)
from podium.engine.cache_store import (
    CacheUsage,
    NoRoundTrip,
    clear_cache,
    read_entry,
    usage,
    write_entry,
)
from podium.engine.pickled import dump_pickled, load_pickled
from podium.features import FEATURE_STAGES

if TYPE_CHECKING:
    from podium.config import ResolvedConfig

__all__ = [
    "CACHE_ENV",
    "CacheSlot",
    "CacheUsage",
    "FeatureCache",
    "cache_root",
    "clear_cache",
    "feature_cache_dir",
    "usage",
    "wants_cache",
]

logger = logging.getLogger(__name__)

CACHE_ENV = "PODIUM_CACHE_DIR"


def cache_root(project_root: Path) -> Path:
    """``$PODIUM_CACHE_DIR``, else ``<project_root>/cache/features``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path(project_root) / "cache" / "features"


def feature_cache_dir(cfg: ResolvedConfig) -> Path:
    """The competition's cache folder; the project root is the folder that holds
    ``competitions/`` (a competition folder elsewhere is its own root)."""
    comp_dir = cfg.competition_dir
    root = comp_dir.parent.parent if comp_dir.parent.name == "competitions" else comp_dir
    return cache_root(root) / cfg.competition.name


def _is_podium(cls: type) -> bool:
    return cls.__module__ == "podium" or cls.__module__.startswith("podium.")


def wants_cache(chain: Any, mode: str | bool) -> bool:
    """Whether ``chain`` is cached under ``cache: mode`` (``auto``: when it has a feature
    stage or a plug-in stage; preprocessing alone is cheaper to recompute than to read)."""
    if mode in ("off", False):
        return False
    if mode in ("on", True):
        return True
    costly = tuple(FEATURE_STAGES.values())
    stages = [s for _, s in (getattr(chain, "steps", None) or [])]
    return any(isinstance(s, costly) or not _is_podium(type(s)) for s in stages)


_CHAIN_FILE = "chain.joblib"


@dataclass(frozen=True)
class CacheSlot:
    """One chain on one run's inputs: finds and stores its folds' features (picklable,
    used inside fold worker processes)."""

    directory: Path
    base: str
    chain: str

    def key(self, fold: str, train_rows: np.ndarray, valid_rows: np.ndarray) -> str:
        return digest(self.base, fold, array_digest(train_rows), array_digest(valid_rows))

    def load(self, key: str, parts: tuple[str, ...]) -> dict[str, pd.DataFrame] | None:
        """The stored frames of ``parts`` (``train``, ``valid``, ``test``), or ``None``."""
        return read_entry(self.directory / key, parts)

    def store(
        self, key: str, frames: dict[str, pd.DataFrame], *, fold: str, chain: Any = None
    ) -> bool:
        """Store ``frames`` (and the fitted ``chain`` that made them, when given, for runs
        that keep their models); a failure is logged, never raised (the run goes on)."""
        info = {
            "chain": self.chain,
            "fold": fold,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        try:
            done = write_entry(self.directory / key, frames, info)
            if done and chain is not None:
                dump_pickled(chain, self.directory / key / _CHAIN_FILE)
            return done
        except NoRoundTrip as exc:
            logger.info("feature cache: fold %s not cached: %s", fold, exc)
        except OSError as exc:
            logger.warning("feature cache: cannot write %s: %s", self.directory, exc)
        return False

    def load_chain(self, key: str) -> Any:
        """The fitted chain stored with the entry ``key``, or ``None`` (none stored, or
        unreadable: the caller then fits the chain again)."""
        file = self.directory / key / _CHAIN_FILE
        if not file.is_file():
            return None
        try:
            return load_pickled(file)
        except Exception as exc:  # an unpickling failure of any kind is a miss
            logger.info("feature cache: fitted chain %s unreadable (%s)", file, exc)
            return None


@dataclass
class FeatureCache:
    """A competition's cache folder and what every key of the run shares.

    Args:
        directory: where entries go (see :func:`feature_cache_dir`).
        salt: JSON-able values added to every key (the competition seed).
    """

    directory: Path
    salt: dict[str, Any] = field(default_factory=dict)
    _memo: dict[int, tuple[Any, str]] = field(default_factory=dict, repr=False)

    def slot(
        self,
        chain: Any,
        *,
        X: pd.DataFrame,
        y: np.ndarray,
        X_test: pd.DataFrame | None,
        groups: np.ndarray | None = None,
        split_context: Any = None,
    ) -> CacheSlot | None:
        """The slot of ``chain`` on these inputs; ``None`` if it cannot be keyed."""
        try:
            desc, classes = chain_description(chain)
            inputs = [self._digest(v) for v in (X, y, X_test, groups, split_context)]
            code = code_fingerprint(classes)
        except Unkeyable as exc:
            logger.info("feature cache: not used for this chain: %s", exc)
            return None
        text = json.dumps(desc, sort_keys=True)
        base = digest("podium-features-1", json.dumps(self.salt, sort_keys=True), text, code)
        return CacheSlot(Path(self.directory), digest(base, *inputs), _short(chain))

    def _digest(self, value: Any) -> str:
        """Input hashes; a frame's is remembered (a run passes the same frames again)."""
        if not isinstance(value, pd.DataFrame):
            return value_digest(value)
        hit = self._memo.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        d = value_digest(value)
        self._memo[id(value)] = (value, d)
        return d


def _short(chain: Any) -> str:
    steps = getattr(chain, "steps", None) or []
    return ", ".join(f"{name}={type(stage).__name__}" for name, stage in steps)
