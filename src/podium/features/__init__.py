"""Feature stages: leak-proof supervised encoders and unsupervised group statistics.

``FEATURE_STAGES`` maps registry names to stage classes; ``engine.default_registry()``
adds them next to the built-in preprocessing stages.
"""

from podium.features.aggregates import AGGS, GroupAggregates
from podium.features.ce_encoder import CeEncoder
from podium.features.counts import CountEncoder
from podium.features.crossfit import CrossFit, CrossFitStage, infer_task, make_inner_folds
from podium.features.keys import KeyCodes
from podium.features.knn import KNNFeatures
from podium.features.lags import LagFeatures
from podium.features.target_encoding import TargetEncoder
from podium.features.text import TfidfSVD

FEATURE_STAGES: dict[str, type] = {
    "target_encoder": TargetEncoder,
    "count_encoder": CountEncoder,
    "group_aggregates": GroupAggregates,
    "knn_features": KNNFeatures,
    "lag_features": LagFeatures,
    "tfidf_svd": TfidfSVD,
    "ce_encoder": CeEncoder,
}

__all__ = [
    "AGGS",
    "FEATURE_STAGES",
    "CeEncoder",
    "CountEncoder",
    "CrossFit",
    "CrossFitStage",
    "GroupAggregates",
    "KNNFeatures",
    "KeyCodes",
    "LagFeatures",
    "TargetEncoder",
    "TfidfSVD",
    "infer_task",
    "make_inner_folds",
]
