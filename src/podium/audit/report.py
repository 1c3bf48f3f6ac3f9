"""The audit's outputs: a self-contained HTML page, a terminal summary, tracker artifacts.

The HTML has no external resources: styles are inline and plots are base64 PNG data URIs,
so the page can be mailed, attached to an MLflow run or opened from disk.
"""

from __future__ import annotations

import base64
import html
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from podium.audit import AuditResult
from podium.audit.duplicates import ID_AUC, TE_RHO
from podium.audit.holdout import N_STD
from podium.audit.plots import audit_figures
from podium.outputs import unique_run_name
from podium.tracking.base import Tracker

__all__ = ["render_html", "print_summary", "log_audit", "summary_dict"]

_COLORS = {"leak": "#c0392b", "warning": "#d68910", "info": "#566573"}
_CSS = """
body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}
h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em}
table{border-collapse:collapse}td,th{padding:.25em .6em;border-bottom:1px solid #eee;
text-align:left;vertical-align:top}.sev{font-weight:bold;text-transform:uppercase}
.verdict{font-size:1.2em;padding:.6em;border-radius:4px;color:#fff}
img{max-width:100%;margin:.3em}.grid img{max-width:48%}code{background:#f4f4f4}
"""


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in pairs
    )


def render_html(res: AuditResult, figures: dict[str, bytes] | None = None) -> str:
    """The report page (figures default to :func:`~podium.audit.plots.audit_figures`)."""
    figs = audit_figures(res) if figures is None else figures
    p, a, d, h = res.permutation, res.adversarial, res.duplicates, res.holdout
    verdict = ("LEAK FOUND", _COLORS["leak"]) if res.leak_found else ("no leak found", "#1e8449")
    findings = "".join(
        f'<tr><td class="sev" style="color:{_COLORS[f.severity]}">{f.severity}</td>'
        f"<td>{html.escape(f.check)}</td><td>{html.escape(f.message)}</td></tr>"
        for f in res.findings
    )
    dists = "".join(_img(b, n) for n, b in figs.items() if n.startswith("adversarial_feature_"))
    perm_rows = _rows([
        ("statistic", p.statistic), ("value", f"{p.value:.4f}"),
        ("chance", f"{p.expected:.2f}"), ("tolerance", f"{p.tolerance:.4f}"),
        ("verdict", "at chance" if p.passed else "beyond chance: leak"),
        (f"{p.metric} (permuted)", f"{p.score:.5f}"),
        (f"{p.metric} at chance", f"{p.metric_chance:.5f}"),
        ("scored predictions", p.chosen), ("permutation seed", str(p.seed)),
    ])  # fmt: skip

    def cols(found: list[Any]) -> str:
        return ", ".join(f"{c.column} (AUC {c.auc:.3f})" for c in found) or "none"

    conflicts = f"{d.conflicting_rows} rows / {d.conflicting_groups} groups"
    dup_rows = _rows([
        ("test rows repeating a training row", f"{d.test_in_train} of {d.n_test}"),
        ("training rows repeating another", str(d.train_duplicate_rows)),
        ("identical features, different targets", conflicts),
        ("row-index ROC-AUC", f"{d.order_auc:.4f} (chance 0.5 ± {d.order_tolerance:.4f})"),
        ("id-like columns", cols(d.id_like)),
        ("near-unique numeric columns", cols(d.near_unique)),
        ("target-statistic columns", ", ".join(c.column for c in d.target_stats) or "none"),
    ])  # fmt: skip
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>podium audit: {html.escape(res.competition)}</title><style>{_CSS}</style></head>
<body>
<h1>podium audit: {html.escape(res.competition)}</h1>
<p>pipeline <code>{html.escape(res.pipeline)}</code>, task {res.task}, metric {res.metric},
{res.n_train} training and {res.n_test} test rows; {stamp}.</p>
<p class="verdict" style="background:{verdict[1]}">{verdict[0]}</p>
<h2 id="findings">Findings</h2>
<table>{findings}</table>
<h2 id="permutation">Permuted-target CV</h2>
<p id="permutation-figure">Permuted-target {p.statistic} = <b>{p.value:.4f}</b>
(chance {p.expected:.2f}, tolerance {p.tolerance:.4f}).</p>
<p>The whole pipeline (stages, models, ensemble) ran on the same folds with the target
shuffled. Classification: ROC-AUC must lie within 0.5 ± max(0.03, 3 × sqrt((n1+n0+1) /
(12 n1 n0))) (the null standard deviation; smallest class as n1). Regression: the permuted
score over the score of predicting each fold's training mean must not fall below
1 − max(0.02, 2/√n).</p>
{_img(figs["permutation.png"], "permuted-target statistic")}
<table>{perm_rows}</table>
<h2 id="adversarial">Adversarial validation</h2>
<p id="adversarial-auc">Adversarial ROC-AUC = <b>{a.auc:.4f}</b> (5-fold stratified
LightGBM telling train rows from test rows; shift reported from 0.6, strong from 0.75).</p>
{_img(figs["adversarial_importance.png"], "adversarial importance")}
<p>Top features, train versus test:</p><div class="grid">{dists}</div>
<h2 id="duplicates">Duplicates and identifiers</h2>
<p>Id-like: integer columns with ≥ 95% distinct values, a leak from ROC-AUC {ID_AUC}
against the target. Target statistic: ≥ 10 value groups, 90% of them equal to their target
mean, or ≥ 20 whose target means are ordered like the values (|Spearman| ≥ {TE_RHO}): the
mark of a target encoding fit on all training rows.</p>
<table>{dup_rows}</table>
{_img(figs["target_by_row_order.png"], "target by row order")}
<h2 id="holdout">CV versus holdout</h2>
<p>{html.escape(h.message)}</p>
<p>Disagreement: the holdout more than {N_STD:g} fold standard deviations from the CV mean.</p>
<h2 id="ranking">CV ranking versus the test-mimicking CV</h2>
<p>{html.escape(res.ranking.message)}</p>
{_ranking_table(res)}
<h2 id="timings">Timings</h2>
<table>{_rows([(k, f"{v:.1f} s") for k, v in res.timings.items()])}</table>
</body></html>
"""


def _ranking_table(res: AuditResult) -> str:
    r = res.ranking
    if not r.applicable:
        return ""
    head = (
        f"<tr><th>model</th><th>shipped {html.escape(r.shipped_scheme)}</th>"
        f"<th>mimic {html.escape(r.mimic_scheme)}</th><th>gap</th><th>beyond noise</th></tr>"
    )
    body = "".join(
        f"<tr><td>{html.escape(x.name)}</td><td>{x.shipped:.5f} ± {x.shipped_std:.5f}</td>"
        f"<td>{x.mimic:.5f} ± {x.mimic_std:.5f}</td><td>{x.gap:+.5f}</td>"
        f"<td>{'yes' if x.beyond_noise else 'no'}</td></tr>"
        for x in r.rows
    )
    return f"<p>{html.escape(r.why)}</p><table>{head}{body}</table>"


def summary_dict(res: AuditResult) -> dict[str, Any]:
    """The numbers of the audit, JSON-ready (also logged as ``audit.json``)."""
    p, a, d, h = res.permutation, res.adversarial, res.duplicates, res.holdout
    top = {str(k): float(v) for k, v in a.importance.head(10).items()}
    return {
        "competition": res.competition,
        "pipeline": res.pipeline,
        "leak_found": res.leak_found,
        "permutation": {"statistic": p.statistic, "value": p.value, "expected": p.expected,
                        "tolerance": p.tolerance, "passed": p.passed, "metric": p.metric,
                        "score": p.score, "metric_chance": p.metric_chance},
        "adversarial": {"auc": a.auc, "level": a.level, "importance": top},
        "duplicates": {"test_in_train": d.test_in_train, "conflicting_rows": d.conflicting_rows,
                       "order_auc": d.order_auc, "id_like": [c.column for c in d.id_like],
                       "target_stats": [c.column for c in d.target_stats]},
        "holdout": {"applicable": h.applicable, "cv_mean": h.cv_mean, "cv_std": h.cv_std,
                    "holdout": h.holdout, "agree": h.agree},
        "ranking": {"applicable": res.ranking.applicable, "agree": res.ranking.agree,
                    "tau": res.ranking.tau, "shipped": res.ranking.shipped_scheme,
                    "mimic": res.ranking.mimic_scheme, "fix": res.ranking.fix,
                    "models": [{"name": x.name, "shipped": x.shipped, "mimic": x.mimic,
                                "gap": x.gap, "beyond_noise": x.beyond_noise}
                               for x in res.ranking.rows]},
        "findings": [f.__dict__ for f in res.findings],
        "timings": res.timings,
    }  # fmt: skip


def print_summary(res: AuditResult, console: Any) -> None:
    """The findings as a rich table, then the verdict."""
    from rich.table import Table

    table = Table(title=f"audit of {res.competition} ({res.pipeline})")
    for col in ("severity", "check", "finding"):
        table.add_column(col)
    style = {"leak": "bold red", "warning": "yellow", "info": "dim"}
    for f in res.findings:
        table.add_row(f"[{style[f.severity]}]{f.severity}[/]", f.check, f.message)
    console.print(table)
    if res.leak_found:
        console.print("[bold red]LEAK FOUND[/]")
    else:
        console.print("[green]no leak found[/]")


def log_audit(tracker: Tracker, res: AuditResult, page: str, figures: dict[str, bytes]) -> str:
    """Log the audit as a run ``audit-<stamp>`` tagged ``podium.audit=1``; return its id."""
    run_name = unique_run_name("audit", time.time())
    tags = {
        "podium.audit": "1",
        "podium.competition": res.competition,
        "podium.pipeline": res.pipeline,
        "podium.audit.leak": str(res.leak_found).lower(),
    }
    p, a = res.permutation, res.adversarial
    metrics = {
        "audit.permuted_statistic": p.value,
        "audit.permuted_score": p.score,
        "audit.adversarial_auc": a.auc,
        "audit.row_order_auc": res.duplicates.order_auc,
        "audit.test_in_train": float(res.duplicates.test_in_train),
        "audit.n_leaks": float(sum(f.severity == "leak" for f in res.findings)),
    }
    if res.holdout.applicable:
        metrics["audit.holdout"] = res.holdout.holdout
    if res.ranking.applicable:
        metrics["audit.ranking_tau"] = res.ranking.tau
    with tracker.run(run_name, tags=tags) as run_id, tempfile.TemporaryDirectory() as tmp:
        tracker.log_metrics({k: float(v) for k, v in metrics.items() if v == v})
        tracker.log_text(page, "audit.html")
        tracker.log_text(json.dumps(summary_dict(res), indent=2, default=float), "audit.json")
        folder = Path(tmp) / "audit_plots"
        folder.mkdir()
        for name, png in figures.items():
            (folder / name).write_bytes(png)
        tracker.log_artifact(folder)
    return run_id
