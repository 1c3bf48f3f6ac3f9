"""Reading a test file for a finished run (``podium predict``): the run's feature columns,
converted as the run's own test file was (numbers in text, datetimes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from podium.config import CompetitionConfig
from podium.data.csvfile import read_csv
from podium.data.loader import _check_unique, _convert_datetimes, _numbers_in_test
from podium.data.profile import Profile
from podium.exceptions import DataError

__all__ = ["read_test", "test_frame"]


def read_test(
    path: Path, cfg: CompetitionConfig, *, schema: pd.DataFrame, profile: Profile
) -> tuple[pd.DataFrame, pd.Series]:
    """The features and ids of the test file ``path``, read as a run with these train
    columns (``schema``: no rows) and ``profile`` read its test file.

    Raises:
        DataError: the file is unreadable, lacks feature or id columns (one line naming
            them all), or has missing or duplicate ids.
    """
    path = Path(path)
    frame = read_csv(path, "test", path.parent)
    return test_frame(frame, cfg, schema=schema, profile=profile, source=path)


def test_frame(
    test: pd.DataFrame,
    cfg: CompetitionConfig,
    *,
    schema: pd.DataFrame,
    profile: Profile,
    source: Path | str = "the frame",
) -> tuple[pd.DataFrame, pd.Series]:
    """:func:`read_test` for rows already read (``source`` names them in messages)."""
    spec = cfg.data
    needed = list(schema.columns) + ([spec.id] if spec.id and spec.id not in schema else [])
    missing = [c for c in needed if c not in test.columns]
    if missing:
        raise DataError(
            f"{source}: missing {len(missing)} column{'s' if len(missing) > 1 else ''} the run "
            f"was trained on: {', '.join(missing)}"
        )
    if spec.id is not None:
        ids = test[spec.id]
        _check_unique(ids, Path(str(source)), spec.id)
    else:
        ids = pd.Series(np.arange(len(test)), name=cfg.submission.id)
    features = test[list(schema.columns)].reset_index(drop=True)
    train = schema.copy()
    _numbers_in_test(train, features, profile, Path("train"), Path(str(source)))
    _convert_datetimes(train, features, profile)
    return features, ids.reset_index(drop=True)
