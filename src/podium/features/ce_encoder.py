"""``ce_encoder``: any `category_encoders <https://contrib.scikit-learn.org/category_encoders/>`_
encoder as one podium stage, cross-fitted on the run's folds when it uses the target.

Supervised encoders (``WOEEncoder``, ``CatBoostEncoder``, ``JamesSteinEncoder``,
``GLMMEncoder``, ``MEstimateEncoder``, ``TargetEncoder``, ``LeaveOneOutEncoder``, ...) go
through :class:`~podium.features.crossfit.CrossFit`, podium's one cross-fitting mechanism:
the training rows of a fold get the output of encoders fit on the other inner folds, and
validation and test rows that of one encoder fit on every training row. Unsupervised
encoders (``OrdinalEncoder``, ``BinaryEncoder``, ``CountEncoder``, ...) learn nothing from
the target and are fit once.
"""

from __future__ import annotations

import importlib.util
import inspect
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import clone

from podium.cv import SplitContext
from podium.exceptions import ConfigError, ParamError, did_you_mean
from podium.features.crossfit import CrossFit, CrossFitted, infer_task, target_codes
from podium.stages.base import BaseStage, as_frame, chosen_columns, stage_params
from podium.stages.preprocess import text_columns

__all__ = ["CeEncoder", "encoder_names"]

STAGE = "ce_encoder"
PREFIX = "ce_"
BINARY_ONLY = ("WOEEncoder",)
NEEDS = {"GLMMEncoder": "statsmodels"}  # encoder -> module it imports


def encoder_names() -> list[str]:
    """The encoders category_encoders exports (importing it is cheap: encoders load lazily)."""
    import category_encoders

    return [n for n in category_encoders.__all__ if n.endswith("Encoder")]


def _encoder_class(name: str) -> type:
    import category_encoders

    return getattr(category_encoders, name)


def _supervised(cls: type) -> bool:
    from category_encoders.utils import SupervisedTransformerMixin

    return issubclass(cls, SupervisedTransformerMixin)


@contextmanager
def _quiet() -> Iterator[None]:
    """category_encoders sets a pandas option pandas 3 deprecates, on every fit/transform."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*no_silent_downcasting.*")
        yield


@stage_params
class _Fitted(BaseStage):
    """One category_encoders encoder on ``columns`` (one per class of a multiclass
    target): ``ce_<output>`` columns. Internal: :class:`CeEncoder` cross-fits it.

    ``classes`` (the labels of the whole fitting rows, so every inner fold makes the same
    columns) turns a classification target into 0/1 indicators: of the larger label for
    two classes, of each class for more.
    """

    encoder: str = "TargetEncoder"
    columns: list[str] | None = None
    encoder_params: dict[str, Any] | None = None
    classes: list[Any] | None = None
    keep_original: bool = False

    def _targets(self, y: pd.Series | None) -> list[tuple[str, pd.Series | None]]:
        """(suffix, target) per encoder: the target, or one indicator per class."""
        if y is None or self.classes is None:
            return [("", y)]
        labels = self.classes[-1:] if len(self.classes) <= 2 else self.classes
        suffix = len(self.classes) > 2
        return [(f"_{c}" if suffix else "", (y == c).astype(np.int64)) for c in labels]

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        cls = _encoder_class(self.encoder)
        cols = list(self.columns or [])
        self.encoders_ = []
        for suffix, target in self._targets(y):
            enc = cls(cols=cols, **(self.encoder_params or {}))
            with _quiet():
                enc.fit(X[cols], None if target is None else target.set_axis(X.index))
            self.encoders_.append((suffix, enc))

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        cols = list(self.columns or [])
        parts = []
        with _quiet():
            for suffix, enc in self.encoders_:
                part = pd.DataFrame(enc.transform(X[cols])).set_axis(X.index)
                parts.append(part.add_prefix(PREFIX).add_suffix(suffix))
        kept = X if self.keep_original else X.drop(columns=cols)
        return pd.concat([kept, *parts], axis=1)


@stage_params
class CeEncoder(CrossFitted, BaseStage):
    """A category_encoders encoder (``encoder``, by class name) on ``columns``: ``ce_<col>``
    columns (``ce_<col>_<k>`` for encoders with several outputs per column, or per class
    of a multiclass target), which replace the encoded columns unless ``keep_original``.

    Binary targets are given to the encoder as 0/1 (the larger label is 1); a multiclass
    target gets one encoder per class, on its 0/1 indicator (``ce_<col>_<class>``);
    regression targets are given as they are. ``WOEEncoder`` needs a binary target.
    The task is ``split_context.task`` when the engine gives it, else inferred.

    **Leakage:** for an encoder that uses the target, ``fit_transform(X, y,
    split_context=)`` returns out-of-fold encodings through
    :class:`~podium.features.crossfit.CrossFit`: the rows are split into ``n_splits``
    inner folds that follow the outer scheme (grouped outside -> whole groups inside;
    time -> past only; the earliest time block gets NaN), and a row's encoding comes from
    an encoder fit on the other inner folds. ``fit(X, y)`` fits one encoder on all rows
    for ``transform`` of validation and test rows, which never refits, so
    ``fit_transform(X, y) != fit(X, y).transform(X)`` by design. Encoders that do not use
    the target are fit once on the fitting rows, and ``fit_transform`` equals
    ``fit().transform()``.

    Args:
        encoder: a category_encoders class name (``WOEEncoder``, ``CatBoostEncoder``, ...).
        columns: the columns to encode; None: every text or category column.
        encoder_params: the encoder's own parameters (``cols`` is ``columns``).
        n_splits: number of inner folds (supervised encoders).
        random_state: seed of the inner folds.
        keep_original: keep the encoded columns next to their encodings.

    Example:
        ``{name: woe, use: ce_encoder, params: {encoder: WOEEncoder,
        columns: {kind: categorical}, encoder_params: {regularization: 1.0}}}``
    """

    stage_name = "ce_encoder"

    encoder: str = "TargetEncoder"
    columns: list[str] | None = None
    encoder_params: dict[str, Any] | None = None
    n_splits: int = 5
    random_state: int | None = 0
    keep_original: bool = False

    @classmethod
    def check_params(cls, params: Mapping[str, Any]) -> None:
        """Check ``encoder`` and ``encoder_params`` when the pipeline is built, before data.

        Raises:
            ParamError: an unknown encoder (with the closest name), one whose optional
                dependency is missing, or an unknown encoder parameter.
        """
        name = params.get("encoder", "TargetEncoder")
        names = encoder_names()
        if name not in names:
            raise ParamError(
                "params.encoder",
                f"unknown category_encoders encoder {name!r}{did_you_mean(str(name), names)}",
            )
        module = NEEDS.get(name)
        if module is not None and importlib.util.find_spec(module) is None:
            raise ParamError(
                "params.encoder", f"{name} needs {module}, which is not installed "
                f"(pip install {module})",
            )  # fmt: skip
        given = params.get("encoder_params") or {}
        if not isinstance(given, Mapping):
            raise ParamError("params.encoder_params", f"expected a mapping, got {given!r}")
        valid = [p for p in inspect.signature(_encoder_class(name)).parameters if p != "cols"]
        for key in given:
            if key == "cols":
                raise ParamError("params.encoder_params.cols", "give the columns as columns")
            if key not in valid:
                raise ParamError(
                    f"params.encoder_params.{key}",
                    f"unknown parameter of {name}{did_you_mean(str(key), valid)}",
                )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    def _base(self, X: pd.DataFrame, y: Any, split_context: SplitContext | None) -> _Fitted:
        """The one-encoder stage for these rows (checked), and whether it uses the target."""
        self.check_params(self.get_params())
        cls = _encoder_class(self.encoder)
        self.supervised_ = _supervised(cls)
        columns = chosen_columns(X, self.columns, STAGE, text_columns)
        task, classes = None, None
        if self.supervised_:
            if y is None:
                raise ConfigError(
                    f"stage {STAGE!r} requires y to be passed, but the target y is None: "
                    f"{self.encoder} encodes categories by the target"
                )
            yv = np.asarray(y)
            task = (split_context.task if split_context is not None else None) or infer_task(yv)
            if self.encoder in BINARY_ONLY and task != "binary":
                raise ConfigError(
                    f"stage {STAGE!r}: {self.encoder} needs a binary target, this one is {task}"
                )
            if task != "regression":
                classes = target_codes(yv)[1].tolist()
        self.columns_, self.task_ = columns, task
        return _Fitted(self.encoder, columns, dict(self.encoder_params or {}), classes,
                       self.keep_original)  # fmt: skip

    def fit(
        self, X: Any, y: Any = None, *, split_context: SplitContext | None = None, **_: Any
    ) -> Self:
        """Fit one encoder on all rows (for ``transform`` of validation and test rows)."""
        X = as_frame(X)
        base = self._base(X, y, split_context)
        if self.supervised_:
            self.model_: Any = CrossFit(base, self.n_splits, self.random_state).fit(X, y)
        else:
            self.model_ = clone(base).fit(X, y)
        self._record(X)
        return self

    def _fit_transform(
        self, X: pd.DataFrame, y: Any, split_context: SplitContext | None
    ) -> pd.DataFrame:
        """Out-of-fold encodings of ``X`` for a supervised encoder (see **Leakage**)."""
        base = self._base(X, y, split_context)
        if not self.supervised_:
            return self.fit(X, y).transform(X)
        cross = CrossFit(base, self.n_splits, self.random_state)
        out = cross.fit_transform(X, y, split_context=split_context)
        self.model_ = cross
        self._record(X)
        return out

    def _record(self, X: pd.DataFrame) -> None:
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.feature_names_out_ = list(self._transform(X.iloc[:1]).columns)

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(self.model_.transform(X))
