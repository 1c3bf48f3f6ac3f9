"""The audit's figures, as PNG bytes (matplotlib, Agg backend, closed after drawing)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from podium.audit import AuditResult

__all__ = ["audit_figures"]

TOP_FEATURES = 5


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return buf.getvalue()


def _figure(w: float = 6.0, h: float = 3.2) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(w, h))


def _permutation(res: AuditResult) -> bytes:
    p = res.permutation
    fig, ax = _figure(6, 2.2)
    lo, hi = p.expected - p.tolerance, p.expected + p.tolerance
    if p.statistic == "score/chance":
        lo, hi = p.expected - p.tolerance, max(p.value, p.expected) + p.tolerance
    ax.axvspan(lo, hi, color="#cde8cd", label="chance band")
    ax.axvline(p.expected, color="grey", ls="--", lw=1)
    ax.plot([p.value], [0], "o", ms=12, color="#2a7" if p.passed else "#c33", label="permuted")
    span = max(abs(p.value - p.expected), p.tolerance) * 1.6
    ax.set_xlim(p.expected - span, p.expected + span)
    ax.set_yticks([])
    ax.set_xlabel(p.statistic)
    ax.set_title(f"Permuted-target {p.statistic} = {p.value:.4f}")
    ax.legend(loc="upper right", fontsize=8)
    return _png(fig)


def _importance(res: AuditResult) -> bytes:
    imp = res.adversarial.importance.head(15)[::-1]
    fig, ax = _figure(6, 0.3 * max(len(imp), 3) + 1)
    ax.barh([str(i) for i in imp.index], imp.to_numpy(), color="#47a")
    ax.set_xlabel("share of gain")
    ax.set_title(f"Adversarial ROC-AUC = {res.adversarial.auc:.4f}: train vs test importance")
    return _png(fig)


def _distribution(col: str, tr: pd.Series, te: pd.Series) -> bytes:
    fig, ax = _figure(4.5, 2.8)
    if isinstance(tr.dtype, pd.CategoricalDtype):
        top = pd.concat([tr, te]).value_counts().index[:10]
        a = tr.value_counts(normalize=True).reindex(top, fill_value=0)
        b = te.value_counts(normalize=True).reindex(top, fill_value=0)
        x = np.arange(len(top))
        ax.bar(x - 0.2, a.to_numpy(), 0.4, label="train")
        ax.bar(x + 0.2, b.to_numpy(), 0.4, label="test")
        ax.set_xticks(x, [str(t)[:12] for t in top], rotation=45, ha="right", fontsize=7)
        ax.set_ylabel("share")
    else:
        both = pd.concat([tr, te]).dropna()
        bins = np.histogram_bin_edges(both, bins=30) if len(both) else 10
        ax.hist(tr.dropna(), bins=bins, density=True, alpha=0.55, label="train")
        ax.hist(te.dropna(), bins=bins, density=True, alpha=0.55, label="test")
        ax.set_ylabel("density")
    ax.set_title(col, fontsize=10)
    ax.legend(fontsize=8)
    return _png(fig)


def _order(res: AuditResult) -> bytes:
    d = res.duplicates
    fig, ax = _figure(6, 2.6)
    ax.plot(np.arange(1, len(d.chunk_means) + 1), d.chunk_means, "o-")
    ax.set_xlabel(f"tenth of the training file (row order); row-index ROC-AUC {d.order_auc:.3f}")
    ax.set_ylabel("target mean" if res.task == "regression" else "target rate")
    ax.set_title("Target by row order")
    return _png(fig)


def audit_figures(res: AuditResult) -> dict[str, bytes]:
    """Name (``*.png``) to PNG bytes, in display order."""
    figs = {"permutation.png": _permutation(res), "adversarial_importance.png": _importance(res)}
    adv = res.adversarial
    for i, col in enumerate(adv.importance.index[:TOP_FEATURES]):
        figs[f"adversarial_feature_{i + 1}.png"] = _distribution(
            str(col), adv.train[col], adv.test[col]
        )
    figs["target_by_row_order.png"] = _order(res)
    return figs
