"""Stages: scikit-learn compatible transformers on DataFrames, and their chain."""

from podium.stages.base import (
    BaseStage,
    Stage,
    as_frame,
    check_columns,
    chosen_columns,
    stage_params,
)
from podium.stages.categorical import CategoricalEncoder
from podium.stages.chain import StageChain
from podium.stages.dates import DatetimeFeatures, datetime_columns
from podium.stages.parts import CategoryParts
from podium.stages.preprocess import (
    DropColumns,
    Imputer,
    LogTransform,
    NumericCoercer,
    StandardScaler,
    numeric_columns,
    text_columns,
)

BUILTIN_STAGES: dict[str, type] = {
    "to_numeric": NumericCoercer,
    "impute": Imputer,
    "categorical": CategoricalEncoder,
    "standard_scaler": StandardScaler,
    "log_transform": LogTransform,
    "drop": DropColumns,
    "datetime": DatetimeFeatures,
    "category_parts": CategoryParts,
}

__all__ = [
    "BUILTIN_STAGES",
    "BaseStage",
    "CategoricalEncoder",
    "CategoryParts",
    "DatetimeFeatures",
    "DropColumns",
    "Imputer",
    "LogTransform",
    "NumericCoercer",
    "Stage",
    "StageChain",
    "StandardScaler",
    "as_frame",
    "check_columns",
    "chosen_columns",
    "datetime_columns",
    "numeric_columns",
    "stage_params",
    "text_columns",
]
