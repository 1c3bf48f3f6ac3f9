"""Default search spaces for the registry's models.

Used automatically when the pipeline's ``search_space`` has no entry for the tuned model
(entries for shared stages are still sampled alongside). The ranges are the usual ones for
tabular data of thousands to millions of rows; iteration counts are not searched because
the boosting models stop early. ``fixed`` values are set on every trial unless the
pipeline sets them (LightGBM needs ``subsample_freq`` for ``subsample`` to act).
"""

from __future__ import annotations

from typing import Any

from podium.models import MODEL_ADAPTERS
from podium.tuning.space import SearchSpace, parse_space

__all__ = ["DEFAULT_SPACES", "DEFAULT_FIXED", "default_space"]

DEFAULT_SPACES: dict[str, dict[str, dict[str, Any]]] = {
    "lightgbm": {
        "learning_rate": {"float": [0.01, 0.2], "log": True},
        "num_leaves": {"int": [4, 128], "log": True},
        "min_child_samples": {"int": [5, 200], "log": True},
        "subsample": {"float": [0.5, 1.0]},
        "colsample_bytree": {"float": [0.3, 1.0]},
        "reg_lambda": {"float": [1e-3, 30.0], "log": True},
        "reg_alpha": {"float": [1e-3, 10.0], "log": True},
    },
    "xgboost": {
        "learning_rate": {"float": [0.01, 0.2], "log": True},
        "max_depth": {"int": [2, 10]},
        "min_child_weight": {"float": [0.1, 50.0], "log": True},
        "subsample": {"float": [0.5, 1.0]},
        "colsample_bytree": {"float": [0.3, 1.0]},
        "reg_lambda": {"float": [1e-3, 30.0], "log": True},
        "reg_alpha": {"float": [1e-3, 10.0], "log": True},
    },
    "catboost": {
        "learning_rate": {"float": [0.01, 0.2], "log": True},
        "depth": {"int": [3, 8]},
        "l2_leaf_reg": {"float": [0.5, 30.0], "log": True},
        "random_strength": {"float": [1e-2, 10.0], "log": True},
        "rsm": {"float": [0.3, 1.0]},
    },
    "logistic_regression": {
        "C": {"float": [1e-3, 100.0], "log": True},
        "class_weight": {"categorical": [None, "balanced"]},
    },
    "ridge": {"alpha": {"float": [1e-3, 1e3], "log": True}},
    # task-aware: C is used for classification, alpha for regression (the other is ignored)
    "linear": {
        "C": {"float": [1e-3, 100.0], "log": True},
        "alpha": {"float": [1e-3, 1e3], "log": True},
    },
    "sparse_linear": {
        "C": {"float": [1e-3, 100.0], "log": True},
        "alpha": {"float": [1e-2, 1e3], "log": True},
        "min_frequency": {"int": [1, 50], "log": True},
    },
    "lasso": {"alpha": {"float": [1e-5, 1.0], "log": True}},
    "random_forest": {
        "max_features": {"float": [0.1, 1.0]},
        "min_samples_leaf": {"int": [1, 50], "log": True},
    },
    "extra_trees": {
        "max_features": {"float": [0.1, 1.0]},
        "min_samples_leaf": {"int": [1, 50], "log": True},
    },
    "knn": {
        "n_neighbors": {"int": [3, 200], "log": True},
        "weights": {"categorical": ["uniform", "distance"]},
        "p": {"categorical": [1, 2]},
    },
}

DEFAULT_FIXED: dict[str, dict[str, Any]] = {"lightgbm": {"subsample_freq": 1}}


def default_space(model: str, use: str, task: str | None = None) -> SearchSpace | None:
    """The default space of registry model ``use`` for pipeline model ``model``.

    With ``task``, a task-aware model's space keeps only the parameters of its variant
    for that task (``linear``: ``C`` for classification, ``alpha`` for regression).

    Returns:
        A space over ``models.<model>.params.*``, or ``None`` if ``use`` has no default.
    """
    entries = DEFAULT_SPACES.get(use)
    if entries is None:
        return None
    if task is not None and use in MODEL_ADAPTERS:
        used = MODEL_ADAPTERS[use](task=task).param_names()
        if used is not None:
            entries = {k: v for k, v in entries.items() if k in used}
    prefix = f"models.{model}.params."
    space = parse_space(
        {prefix + k: v for k, v in entries.items()}, source=f"default space of {use}"
    )
    fixed = {prefix + k: v for k, v in DEFAULT_FIXED.get(use, {}).items()}
    return SearchSpace(params=space.params, fixed=fixed, origin=f"default space of {use}")
