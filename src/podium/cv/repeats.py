"""Repeated CV: several fold assignments of one run, drawn with different seeds.

Repeat 0 is the run's usual assignment (seed ``seed``); repeat ``r`` is drawn the same way
with seed ``seed + r``. Only schemes that shuffle can be repeated: the others would draw
the same folds every time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from podium.cv.folds import Folds
from podium.exceptions import ConfigError

__all__ = [
    "RANDOM_SCHEMES",
    "as_repeats",
    "check_repeatable",
    "repeat_seed",
    "repeats_fingerprint",
]

RANDOM_SCHEMES: tuple[str, ...] = (
    "kfold",
    "stratified_kfold",
    "group_kfold",
    "stratified_group_kfold",
)
"""Schemes whose folds depend on the seed (when ``cv.shuffle`` is true)."""


def check_repeatable(scheme: str, *, shuffle: bool, repeats: int, where: str = "cv") -> None:
    """Raise :class:`ConfigError` when ``repeats > 1`` asks for folds that have no seed."""
    if repeats <= 1:
        return
    if scheme not in RANDOM_SCHEMES:
        raise ConfigError(
            f"{where}: cv.repeats is {repeats} but scheme {scheme!r} has no seed (every repeat "
            f"would draw the same folds); use cv.repeats: 1 or one of {list(RANDOM_SCHEMES)}"
        )
    if not shuffle:
        raise ConfigError(
            f"{where}: cv.repeats is {repeats} but cv.shuffle is false (every repeat would "
            "draw the same folds); set cv.shuffle: true or cv.repeats: 1"
        )


def repeat_seed(seed: int, repeat: int) -> int:
    """The seed repeat ``repeat`` draws its folds with (repeat 0: ``seed`` itself)."""
    return int(seed) + int(repeat)


def repeats_fingerprint(folds: Sequence[Folds]) -> str:
    """One fingerprint for all repeats; with one assignment, that assignment's own."""
    if len(folds) == 1:
        return folds[0].fingerprint
    text = "repeats:" + ",".join(f.fingerprint for f in folds)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def as_repeats(folds: Folds | Sequence[Folds]) -> tuple[Folds, ...]:
    """``folds`` as a tuple of fold assignments (one :class:`Folds` is one repeat)."""
    out = (folds,) if isinstance(folds, Folds) else tuple(folds)
    if not out:
        raise ValueError("at least one fold assignment is needed")
    sizes = {(f.n_rows, f.n_splits) for f in out}
    if len(sizes) > 1:
        raise ValueError(f"repeats must share rows and n_splits, got {sorted(sizes)}")
    return out
