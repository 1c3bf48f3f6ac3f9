"""bench: the expert's hand-made shelter_animal features (a podium plug-in).

Run with ``--set plugins=<abs path of this file>`` beside
``--pipeline bench/pipelines/shelter_animal.yaml``. Row-wise only (no target, no fitting).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from podium.registry import Registry
from podium.stages import BaseStage

_DAYS = {"day": 1.0, "week": 7.0, "month": 30.4, "year": 365.25}


def _age_days(s: pd.Series) -> pd.Series:
    parts = s.astype("string").str.extract(r"^\s*(\d+)\s+([a-z]+?)s?\s*$")
    num = pd.to_numeric(parts[0], errors="coerce")
    unit = parts[1].map(_DAYS).astype(float)
    return (num * unit).astype(float)


class ShelterFeatures(BaseStage):
    """Age in days, name flag, sex parts, breed and colour parts. **Leakage:** none (row-wise)."""

    def __init__(self, drop_name: bool = True) -> None:
        self.drop_name = drop_name

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        return None

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        X["age_days"] = _age_days(X["AgeuponOutcome"])
        X["age_log"] = np.log1p(X["age_days"])
        name = X["Name"].astype("string")
        X["has_name"] = name.notna().astype(float)
        X["name_len"] = name.str.len().astype(float)
        sex = X["SexuponOutcome"].astype("string").fillna("Unknown")
        X["sex_intact"] = sex.str.split(" ").str[0].astype(str)
        male, female = sex.str.contains("Male"), sex.str.contains("Female")
        X["sex_male"] = male.astype(float) - female.astype(float)
        breed = X["Breed"].astype("string").fillna("")
        X["breed_mix"] = breed.str.contains("Mix").astype(float)
        X["breed_cross"] = breed.str.contains("/").astype(float)
        b1 = breed.str.replace(" Mix", "", regex=False).str.split("/").str[0]
        X["breed1"] = b1.astype(str)
        X["breed_pit"] = breed.str.contains("Pit Bull").astype(float)
        colour = X["Color"].astype("string").fillna("")
        c1 = colour.str.split("/").str[0]
        X["color1"] = c1.astype(str)
        X["color1_base"] = c1.str.split(" ").str[0].astype(str)
        X["color_pattern"] = c1.str.split(" ").str[1].fillna("none").astype(str)
        X["color_two"] = colour.str.contains("/").astype(float)
        if self.drop_name:
            X = X.drop(columns=["Name"])
        return X.drop(columns=["AgeuponOutcome"])


def register(registry: Registry) -> None:
    registry.add_stage("shelter_features", ShelterFeatures)
