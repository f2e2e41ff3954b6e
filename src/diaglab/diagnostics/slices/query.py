"""``dl.slice_metrics``: model quality per slice of the inputs, computed in the engine.

A slice here is one bin of one or two features. Numeric features are cut at quantiles (of the
registered reference when it has the feature, else of the rows queried), rounded to few
significant digits so predicates read well (``income < 32,000``); categorical values rarer than
``other_threshold`` are folded into one "other" bin; missing values get a bin of their own. Every
bin is a :class:`~diaglab.queries.filters.Slice` whose predicate selects exactly its rows.

The engine returns, per slice, only what the requested metrics need
(:mod:`diaglab.diagnostics.slices.scan`): a binary model's rows counted per (slice, predicted class,
label, score bin) with a few sums, from which the confusion counts, the sufficient statistics of
:mod:`diaglab.stats.metrics` and the score histogram all follow; and latency counts in
log-spaced bins, from which the quantiles are read (within 0.5% of the exact ones, see
:mod:`diaglab.stats.log_histogram`). The metrics, their intervals and the slice-vs-rest tests
come from :func:`~diaglab.stats.metrics.compare_to_rest`, the p-values adjusted across slices
with Benjamini–Hochberg. The bins, whether the model logged scores, and each scope's counts are
kept in the store's memo until it ingests anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from diaglab.diagnostics.slices.bins import Binning, binnings
from diaglab.diagnostics.slices.scan import (
    EXACT_ROWS,
    Needs,
    SliceCounts,
    exact_score_histogram,
    slice_counts,
)
from diaglab.errors import InputError, unknown
from diaglab.queries.filters import Slice
from diaglab.queries.result import Result
from diaglab.queries.scope import resolved_thresholds, scoped_table, threshold_text
from diaglab.stats.comparison import compare_to_rest
from diaglab.stats.log_histogram import RELATIVE_TOLERANCE
from diaglab.stats.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from diaglab.stats.multiple_testing import benjamini_hochberg
from diaglab.stats.scores import DEFAULT_SCORE_BINS, ScoreHistogram
from diaglab.stats.sufficient import LOG_LOSS_CLIP

if TYPE_CHECKING:
    from diaglab.diagnostics.slices.spec import SliceMetricsSpec

LATENCY = ("latency_p50", "latency_p90", "latency_p95", "latency_p99")
_SCORE_METRICS = frozenset(
    n for n, s in CLASSIFICATION_METRICS.items() if s.needs_scores or s.needs_histogram
)
BINARY_QUALITY = (
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "log_loss",
    "brier_score",
    "expected_calibration_error",
)
"""A binary model's quality metrics beyond accuracy, in the order tables show them."""
DEFAULT_METRICS = {
    "binary": (
        "accuracy",
        "error",
        *BINARY_QUALITY,
        "positive_rate",
        "mean_score",
        "label_coverage",
        "failure_rate",
        "latency_p50",
        "latency_p95",
        "latency_p99",
    ),
    "multiclass": (
        "accuracy",
        "error",
        "label_coverage",
        "failure_rate",
        "latency_p50",
        "latency_p95",
        "latency_p99",
    ),
    "regression": (
        "mae",
        "rmse",
        "mape",
        "r2",
        "mean_residual",
        "label_coverage",
        "failure_rate",
        "latency_p50",
        "latency_p95",
        "latency_p99",
    ),
}
_MULTICLASS_OK = frozenset(DEFAULT_METRICS["multiclass"]) | {"latency_p90"}


# -- the rows a query sees --------------------------------------------------------------------


def metric_task(task: str | None) -> str:
    return "regression" if task == "regression" else "classification"


def has_scores(table: Any) -> bool:
    return bool(table.score.notnull().any().to_pyarrow().as_py())


def statistic_aggregates(
    table: Any, task: str, *, scores: bool, latency: bool, center: float = 0.0
) -> dict[str, Any]:
    """The sufficient statistics of :mod:`diaglab.stats.metrics` as Ibis aggregates of ``table``."""
    pred, y, s = table.prediction, table.label, table.score

    def count(cond: Any) -> Any:
        return cond.cast("int64").sum()

    served = pred.notnull()
    labelled = served & y.notnull()
    aggs: dict[str, Any] = {
        "n": table.count(),
        "n_failed": count(pred.isnull()),
        "n_labelled": count(labelled),
    }
    if task == "binary":
        aggs.update(
            tp=count(labelled & (pred == 1) & (y == 1)),
            fp=count(labelled & (pred == 1) & (y == 0)),
            tn=count(labelled & (pred == 0) & (y == 0)),
            fn=count(labelled & (pred == 0) & (y == 1)),
            n_positive_predicted=count(pred == 1),
        )
        if scores:
            clipped = s.clip(LOG_LOSS_CLIP, 1 - LOG_LOSS_CLIP)
            loss = -(y * clipped.ln() + (1 - y) * (1 - clipped).ln())
            brier = (s - y) * (s - y)
            aggs.update(
                n_scored=count(s.notnull()),
                sum_score=s.sum(),
                sum_score_sq=(s * s).sum(),
                sum_log_loss=loss.sum(),
                sum_log_loss_sq=(loss * loss).sum(),
                sum_brier=brier.sum(),
                sum_brier_sq=(brier * brier).sum(),
            )
    elif task == "multiclass":
        # Only accuracy and error are defined from these: right as tp, wrong as fp.
        right = labelled & (pred == y)
        aggs.update(tp=count(right), fp=count(labelled & (pred != y)))
        aggs.update(tn=ibis.literal(0, "int64"), fn=ibis.literal(0, "int64"))
    else:
        e = y - pred
        yc = y - center
        e2 = e * e
        nonzero = y.notnull() & (y != 0)
        pct = ibis.ifelse(nonzero, e.abs() / y.abs(), ibis.null("float64"))
        aggs.update(
            sum_residual=e.sum(),
            sum_abs_err=e.abs().sum(),
            sum_sq_err=e2.sum(),
            sum_err_pow4=(e2 * e2).sum(),
            sum_y=ibis.ifelse(labelled, yc, ibis.null("float64")).sum(),
            sum_y2=ibis.ifelse(labelled, yc * yc, ibis.null("float64")).sum(),
            sum_y3=ibis.ifelse(labelled, yc * yc * yc, ibis.null("float64")).sum(),
            sum_y4=ibis.ifelse(labelled, yc * yc * yc * yc, ibis.null("float64")).sum(),
            sum_sq_err_y=(e2 * yc).sum(),
            sum_sq_err_y2=(e2 * yc * yc).sum(),
            n_nonzero_label=count(labelled & nonzero),
            sum_abs_pct_err=pct.sum(),
            sum_abs_pct_err_sq=(pct * pct).sum(),
        )
    if latency:
        aggs["_latency"] = table.latency_ms.quantile([0.5, 0.9, 0.95, 0.99])
    return aggs


def histogram_query(table: Any, keys: Mapping[str, Any]) -> Any:
    """Per group and score bin: positives, negatives and the score sum of labelled rows."""
    s, y = table.score, table.label
    rows = table.filter(table.prediction.notnull() & y.notnull() & s.notnull())
    score_bin = ibis.least((rows.score * DEFAULT_SCORE_BINS).floor(), DEFAULT_SCORE_BINS - 1)
    grouped = rows.mutate(**{k: v for k, v in keys.items()}, score_bin=score_bin.cast("int16"))
    return grouped.group_by([*keys, "score_bin"]).aggregate(
        bin_positives=(grouped.label == 1).cast("int64").sum(),
        bin_negatives=(grouped.label == 0).cast("int64").sum(),
        bin_sum_score=grouped.score.sum(),
    )


def split_latency(frame: pd.DataFrame) -> pd.DataFrame:
    if "_latency" not in frame.columns:
        return frame
    lat = frame.pop("_latency")
    for i, col in enumerate(LATENCY):
        frame[col] = [float(v[i]) if v is not None and v[i] is not None else np.nan for v in lat]
    return frame


def label_center(store: Any, model: str, table: Any) -> float:
    """A constant near the label mean, which keeps R²'s fourth-power sums well conditioned."""

    def compute() -> float:
        v = table.label.mean().to_pyarrow().as_py()
        return float(v) if v is not None else 0.0

    value: float = store.memo(("slice-label-center", model), compute)
    return value


def resolve_metrics(
    metrics: str | Sequence[str] | None, task: str, model: str, scores: bool
) -> list[str]:
    """The metric names to compute; a clear error for names that do not fit the model."""
    if metrics is None:
        names = list(DEFAULT_METRICS[task])
        return [m for m in names if scores or m not in _SCORE_METRICS]
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    registry = REGRESSION_METRICS if task == "regression" else CLASSIFICATION_METRICS
    for m in names:
        if m not in registry:
            raise unknown(f"{metric_task(task)} metric", m, list(registry))
        if task == "multiclass" and m not in _MULTICLASS_OK:
            raise InputError(
                f"metric {m!r} is not defined per slice for a multiclass model; "
                f"choose from: {', '.join(sorted(_MULTICLASS_OK))}"
            )
        if task == "binary" and m in _SCORE_METRICS and not scores:
            label_only = sorted(n for n in registry if n not in _SCORE_METRICS)
            raise InputError(
                f"metric {m!r} needs prediction scores, but model {model!r} logged only classes "
                "here: log the probability of the positive class as the prediction "
                "(store.log(..., predictions=probabilities)); from classes alone diaglab "
                f"computes: {', '.join(label_only)}"
            )
    return names


# -- slice_metrics ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, repr=False)
class SliceMetrics(Result):
    """Metrics per slice (``dl.slice_metrics``).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per slice, largest first (the columns are listed under ``dl.slice_metrics``).
    model, window, where, version
        What was asked (``window`` and ``where`` as text).
    metrics : list of str
        The metrics computed, in order.
    bins : dict
        Per ``by`` feature, the labels of its bins.
    overall : dict
        Each metric over the whole selection.
    n : int
        Predictions in the selection.
    footnotes : dict
        Per metric read off a histogram, a sentence saying how close it is to the exact value.
    exact : tuple of str
        Metrics computed exactly from the scores although a histogram was asked for (small
        selections' ROC AUC).
    empty_reason : str or None
        Why the table is empty (no predictions in the selection), else None.
    """

    table: pd.DataFrame
    model: str
    window: str
    where: str | None
    version: str | None
    metrics: list[str]
    bins: dict[str, list[str]] = field(default_factory=dict)
    overall: dict[str, float] = field(default_factory=dict)
    n: int = 0
    footnotes: dict[str, str] = field(default_factory=dict)
    exact: tuple[str, ...] = ()
    empty_reason: str | None = None
    threshold: str | None = None


def slice_metrics(store: Any, spec: SliceMetricsSpec) -> SliceMetrics:
    """Metrics per slice of one or two features, with intervals and the gap to the overall value.

    Parameters
    ----------
    store : diaglab.Store
    model : str
    by : str or list of one or two str
        The features to slice by. Numeric ones are cut into quantile bins, categorical ones
        grouped (values rarer than ``other_threshold`` folded into "other"); missing values form
        their own bin.
    metrics : str or list of str, optional
        Names from ``diaglab.stats.metrics`` (``CLASSIFICATION_METRICS`` / ``REGRESSION_METRICS``);
        default: all that the model's outputs support. Latency quantiles are read off
        log-spaced counts, within 0.5% of the exact ones (``diaglab.stats.log_histogram``).
        ROC AUC comes from a 100-bin score histogram (``roc_auc_error_bound`` bounds the gap),
        or exactly from the scores when the selection has at most 50,000 labelled, scored rows
        (``result.exact``, bound 0).
    window : dl.Window or (start, end), optional
        Only predictions in this time window (default: all).
    where : dl.Slice or str, optional
        Only these rows, e.g. ``"channel = 'web'"``.
    bins : int, edges, or a mapping feature -> int or edges, optional
        Numeric bins: a count of quantile bins (default 5, reference quantiles when a reference
        is registered) or explicit cut points. For categorical features an int caps the number
        of kept values.
    version : str, optional
        Only this model version's predictions.
    threshold : float, optional
        Decide the binary class at this score threshold (default: each version's registered one).
    other_threshold : float
        Categories with a smaller share of the rows than this are folded into "other".
    confidence : float
        Level of the intervals.

    Returns
    -------
    SliceMetrics
        ``table``: one row per slice, largest first: ``slice`` (a :class:`dl.Slice`),
        ``predicate``, one column per ``by`` feature with the bin label, ``n``, ``share``,
        ``n_labelled``, then per
        metric ``<m>``, ``<m>_lower``, ``<m>_upper``, ``<m>_overall``, ``<m>_difference`` (slice −
        overall), ``<m>_p_value`` (slice vs the rest), ``<m>_p_adjusted`` (Benjamini–Hochberg
        across the slices) and ``<m>_reason`` (why a value is NaN, e.g. "no labelled rows");
        a metric read off a histogram (``roc_auc``, latency quantiles) also has
        ``<m>_error_bound``, the largest gap to its value on the raw rows, and a sentence in
        ``footnotes[m]`` for charts and exports. The result also holds the overall values
        (``overall``), the bins and the query.

    Examples
    --------
    >>> r = dl.slice_metrics(store, "credit", by=["region", "income"])  # doctest: +SKIP
    >>> r.table[["predicate", "n", "error", "error_lower", "error_upper"]]  # doctest: +SKIP
    """
    asked = spec.scope
    threshold = asked.threshold
    model, window, where, version = spec.model, asked.window, asked.where, asked.version
    by, metrics, bins = spec.by, spec.metrics, spec.bins
    other_threshold, confidence = spec.other_threshold, spec.confidence
    by_list = [by] if isinstance(by, str) else list(by)
    if not 1 <= len(by_list) <= 2:
        raise InputError(f"slice by one or two features, got {len(by_list)}")
    if len(set(by_list)) != len(by_list):
        raise InputError(f"by= names a feature twice: {by_list}")
    schema = store.schema(model)
    by_list = [schema.resolve(f) for f in by_list]  # the stored columns (feature namespace)
    task = schema.task or "binary"
    table, win = scoped_table(store, model, window, where, version, threshold)
    cache_key = (str(win), str(where) if where is not None else None)
    plan = binnings(
        store,
        model,
        table,
        by_list,
        bins=bins,
        other_threshold=other_threshold,
        version=version,
        cache_key=cache_key,
    )
    # Whether the model logged scores at all is a fact of the store's rows (one query per
    # generation); whether this scope has any is counted by the scan itself (``n_scored``).
    model_scores = task == "binary" and bool(
        store.memo(("slice-model-has-scores", model), lambda: has_scores(store.table(model)))
    )
    names = resolve_metrics(metrics, task, model, model_scores)
    needs = Needs.of(names, task, model_scores)
    center = label_center(store, model, store.table(model)) if task == "regression" else 0.0
    # The counts of this scope, remembered until the store ingests anything: an explorer's
    # redraw or a metric with the same needs does not scan again.
    cuts = tuple(resolved_thresholds(schema, threshold, version).items())
    scope = (model, cache_key, version, tuple(by_list), repr(bins), other_threshold, cuts)
    counts: SliceCounts = store.memo(
        ("slice-counts", *scope, needs, center),
        lambda: slice_counts(
            table,
            task,
            plan,
            by_list,
            needs,
            lambda keyed: statistic_aggregates(
                keyed, task, scores=False, latency=False, center=center
            ),
            aggregates_key=center,
        ),
    )
    stats = counts.stats
    if needs.scores and not (stats["n_scored"].sum() > 0):
        # a scope without scores: the default drops the score metrics, a named one is an error
        names = resolve_metrics(metrics, task, model, False)
        needs = Needs.of(names, task, False)
    keys = [f"_k{i}" for i in range(len(by_list))]
    histogram = overall_histogram = None
    if needs.histogram and counts.histogram is not None:
        index = pd.MultiIndex.from_frame(stats[keys]) if len(keys) > 1 else None
        histogram = ScoreHistogram.from_frame(
            counts.histogram,
            index=index if index is not None else pd.Index(stats[keys[0]]),
            by=keys,
        )
        overall_histogram = ScoreHistogram(*(a.sum(axis=0) for a in histogram.arrays()))
    overall = stats.drop(columns=keys).sum(numeric_only=True, min_count=1)
    for col, value in counts.overall_latency.items():
        overall[col] = value
    exact = None
    if histogram is not None and "roc_auc" in names and len(stats):
        # a small selection's AUC from its scores, not the histogram (remembered like the counts)
        exact = store.memo(
            ("slice-exact-scores", *scope, EXACT_ROWS),
            lambda: exact_score_histogram(table, plan, by_list, stats),
        )
    return _slice_frame(
        stats,
        overall,
        names,
        task,
        plan,
        by_list,
        keys,
        histogram,
        overall_histogram,
        confidence,
        attrs={
            "model": model,
            "window": str(win),
            "where": None if where is None else str(where),
            "version": version,
            "threshold": threshold_text(schema, threshold, version),
            "metrics": names,
            "bins": {f: [b.label for b in plan[f].bins] for f in by_list},
        },
        exact=exact,
    )


def _compared(
    frame: pd.DataFrame,
    overall: pd.Series,
    names: list[str],
    task: str,
    histogram: ScoreHistogram | None,
    overall_histogram: ScoreHistogram | None,
    confidence: float,
) -> dict[str, pd.DataFrame]:
    """``compare_to_rest`` per metric, each metric's rows in slice order."""
    if not names:
        return {}
    long = compare_to_rest(
        frame,
        overall,
        names,
        task=metric_task(task),  # type: ignore[arg-type]
        histogram=histogram,
        overall_histogram=overall_histogram,
        confidence=confidence,
    )
    size = len(frame)
    return {m: long.iloc[i * size : (i + 1) * size] for i, m in enumerate(names)}


def _footnote(metric: str, largest: float) -> str:
    """What a metric read off a histogram is, and how far from the exact value it can be."""
    if metric == "roc_auc" and largest == 0:
        return (
            f"ROC AUC computed exactly from the scores (at most {EXACT_ROWS:,} labelled rows "
            "with a score in this selection)"
        )
    if metric == "roc_auc":
        return (
            f"ROC AUC from a {DEFAULT_SCORE_BINS}-bin score histogram (a pair of rows in one bin "
            f"counts half): within ±{largest:.2g} of the exact AUC here (roc_auc_error_bound)"
        )
    return (
        f"{metric} read off log-spaced latency bins: within {RELATIVE_TOLERANCE:.1%} of the exact "
        f"quantile (±{largest:.3g} ms here, {metric}_error_bound)"
    )


def _slice_frame(
    stats: pd.DataFrame,
    overall: pd.Series,
    names: list[str],
    task: str,
    plan: Mapping[str, Binning],
    by_list: list[str],
    keys: list[str],
    histogram: ScoreHistogram | None,
    overall_histogram: ScoreHistogram | None,
    confidence: float,
    attrs: dict[str, Any],
    exact: ScoreHistogram | None = None,
) -> SliceMetrics:
    slices = [
        Slice(
            *(
                c
                for f, k in zip(by_list, keys, strict=True)
                for c in plan[f].bin(int(r[k])).conditions
            )
        )
        for r in stats.to_dict(orient="records")
    ]
    n_overall = overall.get("n", 0)
    total_n = 0.0 if n_overall is None or pd.isna(n_overall) else float(n_overall)
    out = pd.DataFrame(
        {
            "slice": slices,
            "predicate": [str(s) for s in slices],
            **{
                f: [plan[f].bin(int(c)).label for c in stats[k]]
                for f, k in zip(by_list, keys, strict=True)
            },
            "n": stats["n"].astype("int64"),
            "share": stats["n"] / total_n if total_n else np.nan,
            "n_labelled": stats["n_labelled"].astype("int64"),
        }
    )
    if len(stats):
        frame = stats.drop(columns=keys)
        parts = _compared(frame, overall, names, task, histogram, overall_histogram, confidence)
        if exact is not None:
            total = ScoreHistogram(*(a.sum(axis=0) for a in exact.arrays()))
            exact_auc = _compared(frame, overall, ["roc_auc"], task, exact, total, confidence)
            auc = exact_auc["roc_auc"]
            parts["roc_auc"] = auc.assign(error_bound=np.where(auc["value"].notna(), 0.0, np.nan))
            attrs["exact"] = ("roc_auc",)
        columns: dict[str, Any] = {}
        for m in names:
            part = parts[m]
            p = part["p_value"].to_numpy(dtype=float)
            columns[m] = part["value"].to_numpy(dtype=float)
            columns[f"{m}_lower"] = part["lower"].to_numpy(dtype=float)
            columns[f"{m}_upper"] = part["upper"].to_numpy(dtype=float)
            columns[f"{m}_overall"] = part["overall_value"].to_numpy(dtype=float)
            columns[f"{m}_difference"] = part["difference"].to_numpy(dtype=float)
            columns[f"{m}_p_value"] = p
            columns[f"{m}_p_adjusted"] = benjamini_hochberg(p)
            columns[f"{m}_reason"] = part["reason"].to_numpy(dtype=object)
            bound = part["error_bound"].to_numpy(dtype=float)
            if np.isfinite(bound).any():
                columns[f"{m}_error_bound"] = bound
                attrs.setdefault("footnotes", {})[m] = _footnote(m, float(np.nanmax(bound)))
        out = pd.concat([out, pd.DataFrame(columns, index=out.index)], axis=1)
    out = out.sort_values("n", ascending=False, kind="stable").reset_index(drop=True)
    attrs["overall"] = {
        m: float(out[f"{m}_overall"].iloc[0]) if len(out) and f"{m}_overall" in out else np.nan
        for m in names
    }
    attrs["n"] = int(total_n)
    if not total_n:
        attrs["empty_reason"] = (
            f"no predictions in this selection (window {attrs.get('window')}, "
            f"where {attrs.get('where')}, version {attrs.get('version')}): nothing to compare"
        )
    return SliceMetrics(table=out, **attrs)
