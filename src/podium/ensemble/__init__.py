"""Ensembles on the run's folds: blending (nested CV), stacking, and across runs."""

from podium.ensemble.apply import apply_ensemble, check_ensemble
from podium.ensemble.blend import (
    BLENDERS,
    BestBlender,
    Blender,
    HillClimbBlender,
    MeanBlender,
    PowerBlender,
    RankBlender,
    WeightsBlender,
    make_blender,
)
from podium.ensemble.combine import EnsembleResult, blend, nested_blend, stack_frame
from podium.ensemble.stack import stack

__all__ = [
    "BLENDERS",
    "BestBlender",
    "Blender",
    "EnsembleResult",
    "HillClimbBlender",
    "MeanBlender",
    "PowerBlender",
    "RankBlender",
    "WeightsBlender",
    "apply_ensemble",
    "check_ensemble",
    "blend",
    "make_blender",
    "nested_blend",
    "stack",
    "stack_frame",
]
