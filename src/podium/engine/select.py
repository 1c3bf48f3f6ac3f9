"""Kind selectors: stage ``columns`` given by column kind, resolved when the chain is built.

A pipeline may write ``columns: {kind: categorical}`` (or ``{kind: [categorical, text]}``,
with ``exclude: [A, B]``) wherever a stage takes a list of columns. The competition's
column profile (``CompetitionData.kinds``: feature column -> kind) turns it into the
concrete list, in the data's column order, before the stage is constructed. Stages (and
the feature cache's key, which hashes stage parameters) therefore only ever see column
lists: two competitions whose kinds differ get different parameters, hence different keys.

Kinds are those of the data as loaded: a selector used after a stage that renames or
removes columns (one-hot, datetime parts) still names the original columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podium.config import COLUMN_KINDS
from podium.exceptions import ConfigError, did_you_mean

__all__ = ["KINDS", "SELECTOR_PARAMS", "resolve_columns", "select_columns"]

KINDS = tuple(k for k in COLUMN_KINDS if k != "train_only")  # train-only columns are dropped
SELECTOR_PARAMS = ("columns", "by")  # stage parameters that may hold a selector
_KEYS = ("kind", "exclude")


def resolve_columns(
    params: Mapping[str, Any], kinds: Mapping[str, str] | None, where: str
) -> dict[str, Any]:
    """``params`` with every selector (a mapping under ``columns``/``by``) made a list.

    Args:
        params: a stage's parameters as written in the pipeline.
        kinds: the competition's feature column -> kind, or None if it has none.
        where: the stage's key path (``stages.cats``), for error messages.

    Raises:
        ConfigError: one line naming ``<where>.params.<key>``: a selector without kinds,
            an unknown kind or selector key, or an excluded column that is not a feature.
    """
    out = dict(params)
    for key in SELECTOR_PARAMS:
        value = params.get(key)
        if isinstance(value, Mapping):
            out[key] = select_columns(value, kinds, f"{where}.params.{key}")
    return out


def select_columns(
    selector: Mapping[str, Any], kinds: Mapping[str, str] | None, where: str
) -> list[str]:
    """The feature columns whose kind the selector names, minus ``exclude`` (may be [])."""
    for key in selector:
        if key not in _KEYS:
            raise ConfigError(
                f"{where}: unknown selector key {key!r}{did_you_mean(str(key), _KEYS)} "
                "(a selector is {kind: <kind or list>, exclude: [<columns>]})"
            )
    if "kind" not in selector:
        raise ConfigError(f"{where}: a column selector needs 'kind', e.g. {{kind: categorical}}")
    wanted = selector["kind"]
    wanted = [wanted] if isinstance(wanted, str) else wanted
    if not isinstance(wanted, list | tuple) or not wanted:
        raise ConfigError(f"{where}.kind: expected a kind or a list of kinds, got {wanted!r}")
    for kind in wanted:
        if kind not in KINDS:
            raise ConfigError(
                f"{where}.kind: unknown column kind {kind!r}{did_you_mean(str(kind), KINDS)}"
            )
    if kinds is None:
        raise ConfigError(
            f"{where}: a kind selector needs the competition's column kinds, which this "
            "competition does not have - list the columns instead"
        )
    exclude = selector.get("exclude") or []
    exclude = [exclude] if isinstance(exclude, str) else exclude
    if not isinstance(exclude, list | tuple):
        raise ConfigError(f"{where}.exclude: expected a list of columns, got {exclude!r}")
    for col in exclude:
        if col not in kinds:
            raise ConfigError(
                f"{where}.exclude: {col!r} is not a feature column"
                f"{did_you_mean(str(col), map(str, kinds))}"
            )
    return [c for c, k in kinds.items() if k in wanted and c not in exclude]
