"""Merging user parameters over an adapter's defaults."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from podium.exceptions import ConfigError

__all__ = ["merge_params"]


def merge_params(
    defaults: Mapping[str, Any],
    user: Mapping[str, Any] | None,
    aliases: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, Any]:
    """Merge ``user`` parameters over ``defaults``, folding aliases onto one name.

    Args:
        defaults: Parameters used when the user does not set them.
        user: Parameters given by the user; they always win.
        aliases: Canonical name -> other names the library accepts for it.

    Returns:
        A new dict, keyed by the canonical name where the user gave an alias.

    Raises:
        ConfigError: If the user sets two names of the same alias group.
    """
    user = dict(user or {})
    for canonical, names in (aliases or {}).items():
        given = [n for n in (canonical, *names) if n in user]
        if len(given) > 1:
            raise ConfigError(
                f"model params set {', '.join(repr(g) for g in given)}, which are aliases "
                f"of {canonical!r}; keep only one"
            )
        if given and given[0] != canonical:
            user[canonical] = user.pop(given[0])
    return {**defaults, **user}
