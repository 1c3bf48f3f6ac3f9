"""Cross-fitting: out-of-fold outputs inside the rows a stage is fit on.

Supervised stages (target encoding, KNN target features) must not see the target of the
rows they produce features for. ``fit_transform`` therefore splits the fitting rows into
inner folds (:mod:`podium.features.inner_folds`), fits on the other folds and transforms
each fold's own rows; ``fit`` learns from all rows for ``transform`` of validation and
test rows.

:class:`CrossFitStage` is the base of podium's supervised stages: it owns the
``fit_transform(X, y, split_context, groups)`` signature, the checks every such stage
makes (its parameters, ``fit_on``, a missing target) and the inner-fold set-up; error
messages name the stage by its ``stage_name``. :class:`CrossFit` cross-fits any stage.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from podium.cv import Folds, SplitContext
from podium.exceptions import ConfigError, LeakageError
from podium.features.inner_folds import check_disjoint, context_for, make_inner_folds
from podium.features.target_codes import MAX_CLASSES, infer_task, target_codes
from podium.stages.base import BaseStage, NamedStage, as_frame, stage_params

__all__ = [
    "MAX_CLASSES",
    "CrossFit",
    "CrossFitStage",
    "CrossFitted",
    "check_disjoint",
    "check_supervised_fit_on",
    "context_for",
    "infer_task",
    "make_inner_folds",
    "target_codes",
]


def check_supervised_fit_on(fit_on: Any, stage: str) -> None:
    """A stage that needs the target learns from training rows only (``fit_on='train'``).

    Raises:
        LeakageError: ``fit_on='train+test'``: test rows have no target, and the option
            exists for unsupervised stages (count_encoder, group_aggregates).
        ConfigError: any other value but ``'train'``.
    """
    if fit_on == "train+test":
        raise LeakageError(
            f"stage {stage!r} needs the target, which the test rows do not have: "
            "fit_on='train+test' is only for unsupervised stages (count_encoder, "
            "group_aggregates); use fit_on='train'"
        )
    if fit_on != "train":
        raise ConfigError(f"stage {stage!r}: fit_on must be 'train', got {fit_on!r}")


class CrossFitted(NamedStage):
    """What every cross-fitted stage shares: the out-of-fold ``fit_transform``.

    A subclass sets ``stage_name`` (its registry name, used by every error message),
    stores ``n_splits`` and ``random_state``, and implements ``_fit_transform(X, y,
    split_context)``; ``_check_fit(y)`` runs first.
    """

    stage_name: ClassVar[str] = "crossfit"
    n_splits: int
    random_state: int | None

    def fit_transform(
        self,
        X: Any,
        y: Any = None,
        split_context: SplitContext | None = None,
        groups: Any = None,
    ) -> pd.DataFrame:
        """Out-of-fold outputs for ``X``; also fits on all rows for ``transform``.

        Each row's output comes from a fit on the other inner folds only, so
        ``fit_transform(X, y) != fit(X, y).transform(X)`` by design.

        Args:
            X: the fitting rows.
            y: their target.
            split_context: the outer scheme for these rows (the engine passes it).
            groups: without a context, group labels make the inner folds grouped.
        """
        split_context = context_for(split_context, groups)
        X = as_frame(X)
        self._check_fit(y)
        return self._fit_transform(X, y, split_context)

    def _check_fit(self, y: Any) -> None:
        """Checks made before fitting (override)."""

    def _fit_transform(
        self, X: pd.DataFrame, y: Any, split_context: SplitContext | None
    ) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def _inner_folds(
        self, n_rows: int, split_context: SplitContext | None, y_codes: np.ndarray | None
    ) -> Folds:
        """The inner folds of ``n_rows`` fitting rows (see :func:`make_inner_folds`)."""
        return make_inner_folds(
            n_rows,
            n_splits=self.n_splits,
            random_state=self.random_state,
            y_codes=y_codes,
            split_context=split_context,
            stage=self.stage_name,
        )


class CrossFitStage(CrossFitted, BaseStage):
    """Base of the stages that learn from the target (and therefore cross-fit).

    Beyond :class:`CrossFitted`: the target is required (sklearn tag), ``fit`` and
    ``fit_transform`` both check the parameters (``_check_params``), that ``fit_on`` is
    ``train`` and that ``y`` is given; ``target_hint`` ends the missing-target message.
    """

    target_hint: ClassVar[str] = "give the stage the training target, or remove it"
    fit_on: str

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> Self:
        X = as_frame(X)
        self._check_fit(y)
        return super().fit(X, y, **fit_params)

    def _check_fit(self, y: Any) -> None:
        self._check_params()
        check_supervised_fit_on(self.fit_on, self.stage_name)
        if y is None:
            raise ConfigError(
                f"{self._where} needs the target; it requires y to be passed, but the target "
                f"y is None ({self.target_hint})"
            )

    def _check_params(self) -> None:
        """The stage's own parameter checks (override)."""


@stage_params
class CrossFit(CrossFitted, TransformerMixin, BaseEstimator):
    """Out-of-fold outputs of any stage: one clone of ``base`` per inner fold.

    **Leakage:** ``fit_transform(X, y)`` returns, for each inner fold, the output of a
    clone fit on the other inner folds, so no row's output depends on its own target.
    ``fit(X, y)`` fits one clone on all rows (``estimator_``) that ``transform`` uses for
    validation and test rows. Hence ``fit_transform(X, y) != fit(X, y).transform(X)`` by
    design. Inner folds follow the outer scheme given as ``split_context`` (grouped
    outside -> grouped inside, time -> past only); rows that no inner fold validates
    (the earliest time block) get NaN in the columns ``base`` adds and their input
    values in the columns it passes through.

    Args:
        base: the stage to cross-fit (cloned, never fitted itself).
        n_splits: number of inner folds.
        random_state: seed of the inner shuffle.

    Example:
        >>> cf = CrossFit(SomeSupervisedStage(), n_splits=5)
        >>> X_tr_out = cf.fit_transform(X_tr, y_tr)   # out-of-fold
        >>> X_va_out = cf.transform(X_va)             # from the all-rows clone
    """

    base: Any = None
    n_splits: int = 5
    random_state: int | None = 0

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        if self.base is not None:
            base_tags = self.base.__sklearn_tags__()
            tags.target_tags.required = base_tags.target_tags.required
            tags.input_tags = base_tags.input_tags
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _check_base(self) -> None:
        if self.base is None or not hasattr(self.base, "fit"):
            raise ConfigError(
                f"CrossFit needs a stage with fit/transform as base, got {self.base!r}"
            )

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> Self:
        """Fit one clone of ``base`` on all rows (used by ``transform``)."""
        self._check_base()
        X = as_frame(X)
        self.estimator_ = clone(self.base).fit(X, y)
        self._record(X)
        return self

    def _check_fit(self, y: Any) -> None:
        self._check_base()

    def _fit_transform(
        self, X: pd.DataFrame, y: Any, split_context: SplitContext | None
    ) -> pd.DataFrame:
        yv = None if y is None else np.asarray(y)
        y_codes = None
        task = split_context.task if split_context is not None else None
        if yv is not None and (task or infer_task(yv)) != "regression":
            y_codes = target_codes(yv)[0]
        folds = self._inner_folds(len(X), split_context, y_codes)
        self.folds_ = folds
        self.estimators_, parts, rows = [], [], []
        for tr, va in folds.split():
            est = clone(self.base).fit(X.iloc[tr], None if yv is None else yv[tr])
            self.estimators_.append(est)
            parts.append(pd.DataFrame(est.transform(X.iloc[va])))
            rows.append(va)
        self.estimator_ = clone(self.base).fit(X, yv)
        self._record(X)
        out = pd.concat(parts, axis=0, ignore_index=True)
        pos = np.concatenate(rows)
        full = out.set_axis(pos).reindex(pd.RangeIndex(len(X)))
        missing = np.setdiff1d(np.arange(len(X)), pos)
        if missing.size:
            for col in full.columns.intersection(X.columns):
                full.iloc[missing, full.columns.get_loc(col)] = X[col].iloc[missing].to_numpy()
        full.index = X.index
        return full

    def transform(self, X: Any) -> pd.DataFrame:
        """Transform with the clone fit on all rows (no refit)."""
        check_is_fitted(self, "estimator_")
        return pd.DataFrame(self.estimator_.transform(X))

    def _record(self, X: pd.DataFrame) -> None:
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return np.asarray(self.estimator_.get_feature_names_out(input_features), dtype=object)
