"""``dl.compare_versions``: two model versions side by side, with deltas and their disagreement.

Two views of one question ("is v2 better than v1?"):

- **Over the same period**, each version's metrics on the requests it answered: per metric the
  values, the delta ``b − a`` with a normal interval from the two standard errors (independent
  groups: a rollout splits the traffic), and the metric's own difference test
  (:func:`diaglab.stats.comparison.compare_metric`).
- **On shared requests** (shadow traffic: both versions scored one request, recognised by the
  same ``trace_id``): how often their predicted classes differ (Wilson interval), the mean
  absolute score difference, and on the shared labelled requests the paired accuracy delta with
  McNemar's test, which is far more sensitive than comparing two independent accuracies.

The engine returns sufficient statistics per version (one ``GROUP BY``), a score histogram, and
for the shared requests one join aggregated to a handful of counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from diaglab.diagnostics.slices.query import (
    has_scores,
    histogram_query,
    label_center,
    resolve_metrics,
    split_latency,
    statistic_aggregates,
)
from diaglab.errors import InputError, unknown
from diaglab.queries.filters import where as apply_where
from diaglab.queries.result import Result
from diaglab.queries.scope import decided
from diaglab.queries.window import Window
from diaglab.stats.comparison import compare_metric
from diaglab.stats.intervals import wilson_interval, z_value
from diaglab.stats.metrics import Task, metric_table
from diaglab.stats.scores import ScoreHistogram

if TYPE_CHECKING:
    from diaglab.diagnostics.versions.spec import CompareVersionsSpec

_DEFAULT = {
    "binary": ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier_score",
               "positive_rate", "mean_score", "failure_rate", "latency_p50", "latency_p99"),
    "multiclass": ("accuracy", "failure_rate", "latency_p50", "latency_p99"),
    "regression": ("mae", "rmse", "r2", "failure_rate", "latency_p50", "latency_p99"),
}  # fmt: skip


@dataclass(frozen=True, repr=False)
class VersionComparison(Result):
    """Two versions of a model compared.

    Attributes
    ----------
    model, a, b, window
        What was compared.
    table
        One row per metric: ``metric, value_a, value_b, delta`` (b − a), ``delta_low,
        delta_high`` (interval), ``p_value``, ``n_a, n_b`` and ``reason`` (why a value is NaN).
    shared
        Shadow traffic: ``n_shared`` requests both versions scored, ``disagreement`` (share whose
        predicted class differs) with ``disagreement_low/high``, ``mean_abs_score_difference``,
        and on the ``n_shared_labelled`` ones ``accuracy_delta`` (b − a, paired) with its
        interval and McNemar's ``mcnemar_p_value``. NaN when there are no shared requests.
    """

    model: str
    a: str
    b: str
    window: Window
    table: pd.DataFrame = field(repr=False)
    shared: dict[str, float] = field(repr=False)

    def __str__(self) -> str:
        n = int(self.shared.get("n_shared", 0) or 0)
        text = f"{self.model!r} {self.b} vs {self.a} over {self.window}"
        if n:
            text += f"; {n:,} shared requests, {self.shared['disagreement']:.2%} disagree"
        return text


def _shared(table: Any, a: str, b: str, task: str, confidence: float) -> dict[str, float]:
    def side(v: str, suffix: str) -> Any:
        t = table.filter(
            (table.model_version == v) & table.trace_id.notnull() & table.prediction.notnull()
        )
        return t.group_by("trace_id").aggregate(
            **{
                f"p{suffix}": t.prediction.arbitrary(),
                f"s{suffix}": t.score.arbitrary(),
                f"y{suffix}": t.label.arbitrary(),
            }
        )

    left, right = side(a, "a"), side(b, "b")
    j = left.inner_join(right, "trace_id")
    y = ibis.coalesce(j.ya, j.yb)
    labelled = y.notnull()
    right_a = labelled & (j.pa == y)
    right_b = labelled & (j.pb == y)

    def count(cond: Any) -> Any:
        return cond.cast("int64").sum()

    aggs = {
        "n_shared": j.count(),
        "n_disagree": count(j.pa != j.pb),
        "n_shared_labelled": count(labelled),
        "only_a_right": count(right_a & ~right_b),
        "only_b_right": count(right_b & ~right_a),
    }
    if task == "binary":
        aggs["sum_abs_score_difference"] = (j.sa - j.sb).abs().sum()
    row = j.aggregate(**aggs).to_pyarrow().to_pylist()[0]
    n = float(row["n_shared"] or 0)
    k = float(row["n_disagree"] or 0)
    lo, hi = wilson_interval(k, n, confidence=confidence)
    nl = float(row["n_shared_labelled"] or 0)
    oa, ob = float(row["only_a_right"] or 0), float(row["only_b_right"] or 0)
    delta = (ob - oa) / nl if nl else math.nan
    # Paired difference of two proportions: Var = ((oa + ob) − (ob − oa)² / n) / n².
    se = math.sqrt(max(oa + ob - (ob - oa) ** 2 / nl, 0.0)) / nl if nl else math.nan
    z = z_value(confidence)
    discordant = oa + ob
    mcnemar = (
        float(scipy_stats.binomtest(int(ob), int(discordant), 0.5).pvalue)
        if discordant
        else math.nan
    )
    sad = row.get("sum_abs_score_difference")
    return {
        "n_shared": n,
        "disagreement": k / n if n else math.nan,
        "disagreement_low": float(lo),
        "disagreement_high": float(hi),
        "mean_abs_score_difference": float(sad) / n if n and sad is not None else math.nan,
        "n_shared_labelled": nl,
        "accuracy_delta": delta,
        "accuracy_delta_low": delta - z * se,
        "accuracy_delta_high": delta + z * se,
        "mcnemar_p_value": mcnemar,
    }


def compare_versions(store: Any, spec: CompareVersionsSpec) -> VersionComparison:
    """Compare model versions ``a`` and ``b``: metric deltas (b − a) and shadow disagreement.

    Parameters
    ----------
    store : diaglab.Store
    model : str
    a, b : str
        The versions; ``b`` is the candidate, deltas are ``b − a``.
    window : dl.Window or (start, end), optional
        Only predictions in this period (default: everything).
    metrics : str or list of str, optional
        Metric names of :mod:`diaglab.stats.metrics`; default accuracy, precision, recall, F1,
        ROC AUC, log loss, Brier, positive rate, mean score, failure rate, latency p50/p99
        (regression: MAE, RMSE, R², failures, latency).
    where : dl.Slice or str, optional
        Only these rows.
    threshold : float, optional
        Decide both versions' classes at this score threshold (default: each one's registered).
    confidence : float
        Level of the intervals.

    Returns
    -------
    VersionComparison
        ``.table`` per metric, ``.shared`` for requests both versions scored (same trace id).

    Examples
    --------
    >>> c = dl.compare_versions(store, "credit", "v1", "v2", window=("2026-01-25", "2026-02-08"))
    ... # doctest: +SKIP
    >>> c.table[["metric", "value_a", "value_b", "delta", "delta_low", "delta_high"]]
    ... # doctest: +SKIP
    """
    model, a, b, window, where = spec.model, spec.a, spec.b, spec.scope.window, spec.scope.where
    threshold = spec.scope.threshold
    metrics, confidence = spec.metrics, spec.confidence
    if a == b:
        raise InputError(f"compare two different versions, got {a!r} twice")
    schema = store.schema(model)
    for v in (a, b):
        if v not in schema.versions:
            raise unknown(f"version of model {model!r}:", v, list(schema.versions))
    task = schema.task or "binary"
    win = Window.of(window)
    table = decided(store.table(model), schema, threshold)
    table = apply_where(win.filter(table), where)
    table = table.filter(table.model_version.isin([a, b]))
    scores = task == "binary" and bool(
        store.memo(("versions-has-scores", model), lambda: has_scores(store.table(model)))
    )
    wanted = list(_DEFAULT[task]) if metrics is None else metrics
    if metrics is None and not scores:
        wanted = [
            m for m in wanted if m not in ("roc_auc", "log_loss", "brier_score", "mean_score")
        ]
    names = resolve_metrics(wanted, task, model, scores)
    latency = any(m.startswith("latency_") for m in names)
    center = label_center(store, model, store.table(model)) if task == "regression" else 0.0
    keyed = table.mutate(_v=table.model_version)
    aggs = statistic_aggregates(keyed, task, scores=scores, latency=latency, center=center)
    stats = split_latency(keyed.group_by("_v").aggregate(**aggs).to_pyarrow().to_pandas())
    stats = stats.set_index("_v").reindex([a, b])
    counts = [c for c in stats.columns if c.startswith("n") or c in ("tp", "fp", "tn", "fn")]
    stats[counts] = stats[counts].fillna(0)
    histogram = None
    if scores and any(m in ("roc_auc", "expected_calibration_error") for m in names):
        hist = histogram_query(table, {"_v": table.model_version}).to_pyarrow().to_pandas()
        histogram = ScoreHistogram.from_frame(hist, index=stats.index, by=["_v"])
    mt: Task = "regression" if task == "regression" else "classification"
    values = metric_table(stats, names, task=mt, histogram=histogram, confidence=confidence)
    per_a = values.loc[[a]].reset_index(drop=True)
    per_b = values.loc[[b]].reset_index(drop=True)
    hist_a = hist_b = None
    if histogram is not None:
        hist_a = ScoreHistogram(*(x[:1] for x in histogram.arrays()))
        hist_b = ScoreHistogram(*(x[1:] for x in histogram.arrays()))
    tests = compare_metric(
        stats.iloc[[1]],
        stats.iloc[[0]],
        names,
        task=mt,
        histogram_a=hist_b,
        histogram_b=hist_a,
    ).reset_index(drop=True)
    z = z_value(confidence)
    delta = per_b["value"].to_numpy(float) - per_a["value"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        se = np.sqrt(
            per_a["std_error"].to_numpy(float) ** 2 + per_b["std_error"].to_numpy(float) ** 2
        )
    reason = [
        ra if isinstance(ra, str) else rb if isinstance(rb, str) else None
        for ra, rb in zip(per_a["reason"], per_b["reason"], strict=True)
    ]
    out = pd.DataFrame(
        {
            "metric": per_a["metric"],
            "value_a": per_a["value"].to_numpy(float),
            "value_b": per_b["value"].to_numpy(float),
            "delta": delta,
            "delta_low": delta - z * se,
            "delta_high": delta + z * se,
            "p_value": tests["p_value"].to_numpy(float),
            "n_a": per_a["n"].to_numpy(float),
            "n_b": per_b["n"].to_numpy(float),
            "reason": reason,
        }
    )
    shared = _shared(table, a, b, task, confidence)
    return VersionComparison(model, a, b, win, out, shared)
