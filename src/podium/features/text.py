"""Text columns to dense features: TF-IDF of word and/or character n-grams, then truncated SVD."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from podium._validate import Integral, Interval, check_param
from podium.exceptions import ConfigError
from podium.stages.base import BaseStage, chosen_columns, stage_params

if TYPE_CHECKING:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["TfidfSVD", "free_text_columns"]


def free_text_columns(X: pd.DataFrame) -> list[str]:
    """Columns holding strings (pandas ``str`` or object), not categories."""
    return [
        c
        for c in X.columns
        if pd.api.types.is_string_dtype(X[c]) and not isinstance(X[c].dtype, pd.CategoricalDtype)
    ]


def _texts(s: pd.Series) -> list[str]:
    return s.astype(object).where(s.notna(), "").astype(str).tolist()


def _ngrams(value: Any, name: str, where: str) -> tuple[int, int] | None:
    if value is None:
        return None
    ok = (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(Interval(Integral, 1).is_satisfied_by(v) for v in value)
        and value[0] <= value[1]
    )
    if not ok:
        raise ConfigError(
            f"{where}: {name} must be [min_n, max_n] with 1 <= min_n <= max_n, "
            f"or null, got {value!r}"
        )
    return int(value[0]), int(value[1])


@stage_params
class TfidfSVD(BaseStage):
    """TF-IDF of each text column reduced to ``n_components`` dense SVD features.

    Per text column: scikit-learn ``TfidfVectorizer`` on word n-grams (``word_ngrams``)
    and/or character n-grams inside word boundaries (``char_ngrams``), stacked, then
    ``TruncatedSVD(n_components, random_state)``. Outputs ``<col>_svd0 .. <col>_svd<n-1>``
    (float64) and drops the text column unless ``keep_original``. Missing text is the
    empty string; words never seen in fitting are ignored. When the fitting rows have fewer
    terms or rows than ``n_components``, the extra outputs are zeros, so the columns do not
    depend on the data.

    **Leakage:** none from the target (it is not used). Vocabulary, idf weights and SVD
    axes come from the fitting rows only (the training part of each fold); validation and
    test rows are only transformed, each row on its own.

    Args:
        columns: text columns; None uses every string column (name them when the data
            also has string categories).
        n_components: SVD features per column.
        word_ngrams: ``[min_n, max_n]`` word n-grams, or None for none.
        char_ngrams: ``[min_n, max_n]`` character n-grams (``char_wb``), or None.
        max_features: largest vocabulary per analyzer (most frequent terms).
        min_df: minimum document frequency of a term (count, or share if a float).
        sublinear_tf: use ``1 + log(tf)``.
        lowercase: lowercase before tokenizing.
        random_state: seed of the randomized SVD.
        keep_original: keep the text columns in the output.

    Example:
        >>> text = TfidfSVD(columns=["description"], n_components=20, char_ngrams=[2, 4])
    """

    stage_name = "tfidf_svd"

    columns: list[str] | None = None
    n_components: int = 16
    word_ngrams: tuple[int, int] | list[int] | None = (1, 2)
    char_ngrams: tuple[int, int] | list[int] | None = None
    max_features: int | None = 50_000
    min_df: int | float = 1
    sublinear_tf: bool = True
    lowercase: bool = True
    random_state: int = 0
    keep_original: bool = False

    def _vectorizers(self) -> list[TfidfVectorizer]:
        from sklearn.feature_extraction.text import TfidfVectorizer

        word = _ngrams(self.word_ngrams, "word_ngrams", self._where)
        char = _ngrams(self.char_ngrams, "char_ngrams", self._where)
        if word is None and char is None:
            raise ConfigError(f"{self._where}: set word_ngrams or char_ngrams (both are null)")
        common = dict(
            max_features=self.max_features,
            min_df=self.min_df,
            sublinear_tf=self.sublinear_tf,
            lowercase=self.lowercase,
            dtype=np.float64,
        )
        out = []
        if word is not None:
            out.append(TfidfVectorizer(analyzer="word", ngram_range=word, **common))
        if char is not None:
            out.append(TfidfVectorizer(analyzer="char_wb", ngram_range=char, **common))
        return out

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, **_: Any) -> None:
        n = self.n_components
        check_param("n_components", n, Interval(Integral, 1), where=self._where)
        self.columns_ = chosen_columns(X, self.columns, self.stage_name, free_text_columns)
        self.vectorizers_: dict[str, list[TfidfVectorizer]] = {}
        self.svds_: dict[str, TruncatedSVD | None] = {}
        for col in self.columns_:
            texts = _texts(X[col])
            fitted = []
            for vec in self._vectorizers():
                try:
                    vec.fit(texts)
                except ValueError:  # empty vocabulary: no words in the fitting rows
                    continue
                fitted.append(vec)
            self.vectorizers_[col] = fitted
            tfidf = self._tfidf(col, texts)
            n_eff = min(n, tfidf.shape[1], tfidf.shape[0])
            svd = None
            if n_eff >= 1:
                from sklearn.decomposition import TruncatedSVD

                svd = TruncatedSVD(n_components=n_eff, random_state=self.random_state)
                with np.errstate(divide="ignore", invalid="ignore"):  # constant text: var 0
                    svd.fit(tfidf)
            self.svds_[col] = svd

    def _tfidf(self, col: str, texts: list[str]) -> sp.csr_matrix:
        parts = [vec.transform(texts) for vec in self.vectorizers_[col]]
        if not parts:
            return sp.csr_matrix((len(texts), 0))
        return sp.hstack(parts, format="csr")

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        blocks = []
        for col in self.columns_:
            values = np.zeros((len(X), self.n_components))
            svd = self.svds_[col]
            if svd is not None and len(X):
                reduced = svd.transform(self._tfidf(col, _texts(X[col])))
                values[:, : reduced.shape[1]] = reduced
            names = [f"{col}_svd{i}" for i in range(self.n_components)]
            blocks.append(pd.DataFrame(values, columns=names, index=X.index))
        base = X if self.keep_original else X.drop(columns=self.columns_)
        clash = [c for b in blocks for c in b.columns if c in base.columns]
        if clash:
            raise ConfigError(f"{self._where}: output column {clash[0]!r} already exists")
        return pd.concat([base, *blocks], axis=1) if blocks else base
