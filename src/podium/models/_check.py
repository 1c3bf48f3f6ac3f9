"""Model parameters checked against what each library accepts, before any training.

Names: LightGBM's documented parameters and aliases (its own alias table) plus its
scikit-learn wrapper's arguments; XGBoost's ``XGBModel`` arguments plus its booster
parameters; CatBoost's classifier and regressor arguments; a scikit-learn estimator's
``__init__`` arguments. Unknown names get a "did you mean". Values: the common numeric
parameters of the GBDTs (learning rate, leaves, iterations, depth, sampling fractions,
regularisation) and scikit-learn's own ``_parameter_constraints``, checked with
scikit-learn's validator. A bad parameter raises :class:`~podium.exceptions.ParamError`
naming the key.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from numbers import Integral, Real
from typing import Any

from podium.exceptions import ParamError, did_you_mean

__all__ = [
    "catboost_names",
    "check_names",
    "check_values",
    "gbdt_constraints",
    "lightgbm_names",
    "signature_names",
    "xgboost_names",
]

# XGBoost's booster parameters (https://xgboost.readthedocs.io/en/stable/parameter.html)
# that XGBModel does not name in its signature; it passes them on through **kwargs.
_XGB_BOOSTER = (
    "eta", "min_split_loss", "lambda", "alpha", "seed", "seed_per_iteration", "nthread",
    "disable_default_eval_metric", "num_class", "updater", "refresh_leaf", "process_type",
    "max_cached_hist_node", "tweedie_variance_power", "huber_slope", "quantile_alpha",
    "aft_loss_distribution", "aft_loss_distribution_scale", "lambdarank_pair_method",
    "lambdarank_num_pair_per_sample", "lambdarank_unbiased", "lambdarank_bias_norm",
    "ndcg_exp_gain", "sample_type", "normalize_type", "rate_drop", "one_drop", "skip_drop",
    "feature_selector", "top_k", "use_rmm", "nthreads", "num_feature", "num_pbuffer",
    "sampling_method", "max_delta_step", "scale_pos_weight", "missing",
)  # fmt: skip


def _interval(kind: type, low: float | None, high: float | None, closed: str) -> Any:
    from sklearn.utils._param_validation import Interval

    return Interval(kind, low, high, closed=closed)


def signature_names(*classes: Callable[..., Any]) -> frozenset[str]:
    """The keyword arguments the classes' ``__init__`` accept (``self`` and ``**`` left out)."""
    names: set[str] = set()
    for cls in classes:
        for p in inspect.signature(cls).parameters.values():
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                names.add(p.name)
    return frozenset(names)


@functools.cache
def _lightgbm_aliases() -> dict[str, tuple[str, ...]]:
    from lightgbm.basic import _ConfigAliases

    table = _ConfigAliases._get_all_param_aliases()  # name -> [name, *aliases]
    return {k: tuple(v) for k, v in table.items()}


@functools.cache
def lightgbm_names() -> frozenset[str]:
    """Every name LightGBM's scikit-learn models accept."""
    import lightgbm

    names = {n for group in _lightgbm_aliases().values() for n in group}
    return frozenset(names | signature_names(lightgbm.LGBMModel))


@functools.cache
def xgboost_names() -> frozenset[str]:
    """Every name XGBoost's scikit-learn models accept (signature + booster parameters)."""
    import xgboost

    return signature_names(xgboost.XGBModel) | frozenset(_XGB_BOOSTER)


@functools.cache
def catboost_names() -> frozenset[str]:
    """Every name CatBoost's classifier or regressor accepts."""
    import catboost

    return signature_names(catboost.CatBoostClassifier, catboost.CatBoostRegressor)


def _common_gbdt() -> dict[str, list[Any]]:
    positive = [_interval(Real, 0, None, "neither")]
    fraction = [_interval(Real, 0, 1, "right")]
    non_negative = [_interval(Real, 0, None, "left")]
    iterations = [_interval(Integral, 1, None, "left")]
    return {
        "learning_rate": positive,
        "n_estimators": iterations,
        "subsample": fraction,
        "colsample_bytree": fraction,
        "colsample_bylevel": fraction,
        "colsample_bynode": fraction,
        "reg_alpha": non_negative,
        "reg_lambda": non_negative,
        "min_child_weight": non_negative,
    }


@functools.cache
def gbdt_constraints(library: str) -> dict[str, list[Any]]:
    """Value constraints (scikit-learn's format) of a GBDT library's common parameters,
    keyed by every name that sets them (``lightgbm``, ``xgboost`` or ``catboost``)."""
    common = _common_gbdt()
    ints = {lo: [_interval(Integral, lo, None, "left")] for lo in (0, 1, 2)}
    if library == "lightgbm":
        by_canonical = {
            "learning_rate": common["learning_rate"],
            "num_iterations": common["n_estimators"],
            "num_leaves": ints[2],
            "max_depth": [Integral, None],
            "bagging_fraction": common["subsample"],
            "feature_fraction": common["subsample"],
            "feature_fraction_bynode": common["subsample"],
            "lambda_l1": common["reg_alpha"],
            "lambda_l2": common["reg_alpha"],
            "min_gain_to_split": common["reg_alpha"],
            "min_data_in_leaf": ints[0],
            "min_sum_hessian_in_leaf": common["reg_alpha"],
            "max_bin": ints[2],
            "bagging_freq": ints[0],
        }
        aliases = _lightgbm_aliases()
        return {n: c for k, c in by_canonical.items() for n in aliases.get(k, (k,))}
    if library == "xgboost":
        return {
            **common,
            "eta": common["learning_rate"],
            "num_boost_round": common["n_estimators"],
            "num_round": common["n_estimators"],
            "max_depth": [*ints[0], None],
            "max_leaves": [*ints[0], None],
            "max_bin": [_interval(Integral, 2, None, "left"), None],
            "gamma": common["reg_alpha"],
            "min_split_loss": common["reg_alpha"],
            "alpha": common["reg_alpha"],
            "lambda": common["reg_alpha"],
        }
    if library == "catboost":
        return {
            "learning_rate": common["learning_rate"],
            "eta": common["learning_rate"],
            **{n: common["n_estimators"] for n in ("iterations", "n_estimators", "num_trees")},
            "num_boost_round": common["n_estimators"],
            "depth": [_interval(Integral, 1, 16, "both")],
            "max_depth": [_interval(Integral, 1, 16, "both")],
            "l2_leaf_reg": common["reg_alpha"],
            "reg_lambda": common["reg_alpha"],
            "subsample": common["subsample"],
            "colsample_bylevel": common["subsample"],
            "rsm": common["subsample"],
            "random_strength": common["reg_alpha"],
            "bagging_temperature": common["reg_alpha"],
            "border_count": [_interval(Integral, 1, 65535, "both")],
            "max_bin": [_interval(Integral, 1, 65535, "both")],
            "min_data_in_leaf": ints[1],
            "min_child_samples": ints[1],
            "num_leaves": ints[2],
            "max_leaves": ints[2],
        }
    raise ValueError(f"no constraints for {library!r}")


def check_names(
    owner: str, params: Mapping[str, Any], valid: Iterable[str], *, prefix: str = "params"
) -> None:
    """Raise ParamError for the first name of ``params`` not in ``valid``.

    ``owner`` names what takes the parameters (``model 'lightgbm'``); ``prefix`` is the
    key the parameters sit under.
    """
    known = frozenset(valid)
    for key in params:
        if key not in known:
            raise ParamError(
                f"{prefix}.{key}",
                f"unknown parameter of {owner}" + did_you_mean(str(key), known),
            )


def check_values(
    owner: str,
    params: Mapping[str, Any],
    constraints: Mapping[str, list[Any]],
    *,
    prefix: str = "params",
) -> None:
    """Raise ParamError for the first value that breaks its constraint (scikit-learn's
    constraint format, see ``sklearn.utils._param_validation``)."""
    from sklearn.utils._param_validation import (
        InvalidParameterError,
        validate_parameter_constraints,
    )

    for key, value in params.items():
        if key not in constraints or constraints[key] == "no_validation":
            continue
        value = _integral(value, constraints[key])
        try:
            validate_parameter_constraints({key: constraints[key]}, {key: value}, owner)
        except InvalidParameterError as err:
            raise ParamError(f"{prefix}.{key}", _reason(str(err))) from None


def _integral(value: Any, constraint: list[Any]) -> Any:
    """A float with an integer value (``8.0``) passes an integer constraint as ``8``."""
    if isinstance(value, float) and value.is_integer():
        if any(getattr(c, "type", None) is Integral for c in constraint):
            return int(value)
    return value


def _reason(message: str) -> str:
    """scikit-learn's "The 'x' parameter of y must be Z. Got V instead." as "must be Z, got V"."""
    m = re.search(r" must be (.*)\. Got (.*) instead\.?$", message, flags=re.S)
    return f"must be {m.group(1)}, got {m.group(2)}" if m else message
