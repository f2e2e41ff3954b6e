"""Model-quality metrics with honest intervals, from per-group sufficient statistics.

The query engine groups prediction rows (by slice, by day, by model version) and returns per group
the counts and sums of :mod:`diaglab.stats.sufficient`, which one SQL ``GROUP BY`` computes in a
single pass. Everything here works on those aggregates, vectorised over groups, and never sees a
row. Because every statistic is
a sum, the statistics of "all rows except this slice" are ``overall − slice``
(:func:`diaglab.stats.comparison.compare_to_rest` relies on it).

The sufficient statistics (one pandas row per group) and their column names are defined in
:mod:`diaglab.stats.sufficient`; ROC AUC and calibration error also need a
:class:`~diaglab.stats.scores.ScoreHistogram` per group.

Every NaN value, bound or p-value comes with a ``reason`` ("no labelled rows", "no predicted
positives", ...); a metric is never reported as 0 for lack of data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from diaglab.errors import InputError, unknown
from diaglab.stats.intervals import (
    Estimate,
    FloatArray,
    auc_estimate,
    f1_estimate,
    mean_estimate,
    proportion_estimate,
    r2_estimate,
    rmse_estimate,
)
from diaglab.stats.log_histogram import RELATIVE_TOLERANCE
from diaglab.stats.scores import (
    ScoreHistogram,
    binned_calibration_error,
    binned_roc_auc,
    binned_roc_auc_error_bound,
    calibration_error_interval,
)
from diaglab.stats.sufficient import (
    CONFUSION_COLUMNS,
    COUNT_COLUMNS,
    KNOWN_COLUMNS,
    LATENCY_COLUMNS,
    SCORE_COLUMNS,
)

Task = Literal["classification", "regression"]
TASKS: tuple[Task, ...] = ("classification", "regression")

_Columns = dict[str, FloatArray]
_Reasons = list[tuple[NDArray[np.bool_], str]]


class Direction(StrEnum):
    """Which way a metric improves."""

    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class MetricSpec:
    """A registered metric: what it needs and how its interval and difference test work."""

    name: str
    task: Task
    direction: Direction
    description: str
    columns: tuple[str, ...]
    interval_method: str
    test: str
    needs_scores: bool
    needs_histogram: bool


class _Outcome(NamedTuple):
    estimate: Estimate
    empty: _Reasons  # checked before NULL sums: they explain them
    undefined: _Reasons = []  # noqa: RUF012 - never mutated
    no_interval: _Reasons = []  # noqa: RUF012


_Compute = Callable[[_Columns, ScoreHistogram | None, float], _Outcome]


def _no_rows(c: _Columns, count: FloatArray, text: str) -> _Reasons:
    return [*([(c["n"] == 0, "no rows")] if "n" in c else []), (count == 0, text)]


def _labelled(c: _Columns) -> _Reasons:
    return _no_rows(c, c["n_labelled"], "no labelled rows")


def _served(c: _Columns) -> FloatArray:
    return c["n"] - c["n_failed"]


def _few(count: FloatArray) -> _Reasons:
    return [(count < 2, "interval needs at least 2 rows")]


def _accuracy(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    correct = c["tp"] + c["tn"]
    return _Outcome(proportion_estimate(correct, c["n_labelled"], confidence=conf), _labelled(c))


def _error(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    wrong = c["fp"] + c["fn"]
    return _Outcome(proportion_estimate(wrong, c["n_labelled"], confidence=conf), _labelled(c))


def _precision(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    predicted = c["tp"] + c["fp"]
    reasons = [*_labelled(c), (predicted == 0, "no predicted positives")]
    return _Outcome(proportion_estimate(c["tp"], predicted, confidence=conf), reasons)


def _recall(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    positives = c["tp"] + c["fn"]
    reasons = [*_labelled(c), (positives == 0, "no positive labels")]
    return _Outcome(proportion_estimate(c["tp"], positives, confidence=conf), reasons)


def _f1(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    empty = c["tp"] + c["fp"] + c["fn"] == 0
    reasons = [*_labelled(c), (empty, "no positive labels or predicted positives")]
    return _Outcome(f1_estimate(c["tp"], c["fp"], c["fn"], confidence=conf), reasons)


def _positive_rate(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    served = _served(c)
    estimate = proportion_estimate(c["n_positive_predicted"], served, confidence=conf)
    return _Outcome(estimate, _no_rows(c, served, "no successful predictions"))


def _label_coverage(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    served = _served(c)
    estimate = proportion_estimate(c["n_labelled"], served, confidence=conf)
    return _Outcome(estimate, _no_rows(c, served, "no successful predictions"))


def _failure_rate(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    estimate = proportion_estimate(c["n_failed"], c["n"], confidence=conf)
    return _Outcome(estimate, [(c["n"] == 0, "no rows")])


def _mean_score(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    served = _served(c)
    sums = c["sum_score"], c["sum_score_sq"]
    estimate = mean_estimate(*sums, served, confidence=conf, bounds=(0, 1))
    return _Outcome(estimate, _no_rows(c, served, "no successful predictions"), [], _few(served))


def _log_loss(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    n, sums = c["n_labelled"], (c["sum_log_loss"], c["sum_log_loss_sq"])
    estimate = mean_estimate(*sums, n, confidence=conf, bounds=(0, np.inf))
    return _Outcome(estimate, _labelled(c), [], _few(n))


def _brier_score(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    n, sums = c["n_labelled"], (c["sum_brier"], c["sum_brier_sq"])
    estimate = mean_estimate(*sums, n, confidence=conf, bounds=(0, 1))
    return _Outcome(estimate, _labelled(c), [], _few(n))


def _roc_auc(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    assert h is not None  # _columns() checked it
    positives, negatives = h.positives.sum(axis=1), h.negatives.sum(axis=1)
    reasons = [
        *_no_rows(c, positives + negatives, "no labelled rows with a score"),
        (positives == 0, "no positive labels"),
        (negatives == 0, "no negative labels"),
    ]
    estimate = auc_estimate(binned_roc_auc(h), positives, negatives, confidence=conf)
    return _Outcome(replace(estimate, error_bound=binned_roc_auc_error_bound(h)), reasons)


def _no_interval(value: FloatArray, n: FloatArray) -> Estimate:
    nan = np.full(np.shape(value), np.nan)
    return Estimate(value, nan, nan, nan, n, test="none")


def _calibration_error(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    assert h is not None  # _columns() checked it
    total = h.positives.sum(axis=1) + h.negatives.sum(axis=1)
    lower, upper = calibration_error_interval(h, confidence=conf)
    nan = np.full(np.shape(total), np.nan)
    estimate = Estimate(binned_calibration_error(h), lower, upper, nan, total, test="none")
    return _Outcome(estimate, _no_rows(c, total, "no labelled rows with a score"))


def _latency(column: str) -> _Compute:
    def latency(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
        n = c.get("n", np.full(np.shape(c[column]), np.nan))
        always = np.ones(np.shape(n), dtype=bool)
        no_interval = [(always, "no interval: quantile from the engine")]
        estimate = replace(_no_interval(c[column], n), error_bound=c[column] * RELATIVE_TOLERANCE)
        return _Outcome(estimate, [(n == 0, "no rows")], [], no_interval)

    return latency


def _mae(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    n, sums = c["n_labelled"], (c["sum_abs_err"], c["sum_sq_err"])  # |e|² = e²
    estimate = mean_estimate(*sums, n, confidence=conf, bounds=(0, np.inf))
    return _Outcome(estimate, _labelled(c), [], _few(n))


def _mean_residual(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    n, sums = c["n_labelled"], (c["sum_residual"], c["sum_sq_err"])
    return _Outcome(mean_estimate(*sums, n, confidence=conf), _labelled(c), [], _few(n))


def _mape(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    n, sums = c["n_nonzero_label"], (c["sum_abs_pct_err"], c["sum_abs_pct_err_sq"])
    estimate = mean_estimate(*sums, n, confidence=conf, bounds=(0, np.inf))
    return _Outcome(estimate, [*_labelled(c), (n == 0, "no non-zero labels")], [], _few(n))


def _rmse(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    n = c["n_labelled"]
    estimate = rmse_estimate(c["sum_sq_err"], c["sum_err_pow4"], n, confidence=conf)
    return _Outcome(estimate, _labelled(c), [], _few(n))


_R2_SUMS = (
    "sum_sq_err",
    "sum_err_pow4",
    "sum_y",
    "sum_y2",
    "sum_y3",
    "sum_y4",
    "sum_sq_err_y",
    "sum_sq_err_y2",
)


def _r2(c: _Columns, h: ScoreHistogram | None, conf: float) -> _Outcome:
    n = c["n_labelled"]
    estimate = r2_estimate(**{k: c[k] for k in _R2_SUMS}, count=n, confidence=conf)
    undefined = [(np.isnan(estimate.value), "labels are constant (R² undefined)")]
    return _Outcome(estimate, _labelled(c), undefined, _few(n))


_WILSON, _Z2 = "Wilson score", "two-proportion z-test"
_T, _WELCH = "Student t on the row mean", "Welch t-test"
_SERVED = ("n", "n_failed")
_Row = tuple[str, Direction, str, tuple[str, ...], str, str, _Compute]
_H, _L, _N = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER, Direction.NEUTRAL
# name, direction, description, columns, interval method, difference test, computation
_COMMON: list[_Row] = [
    ("label_coverage", _H, "labelled share of successful predictions",
     (*_SERVED, "n_labelled"), _WILSON, _Z2, _label_coverage),
    ("failure_rate", _L, "share of calls that failed", _SERVED, _WILSON, _Z2, _failure_rate),
    *[(col, _L, f"latency quantile {col[-3:]}, from the engine", (col,), "none", "none",
       _latency(col)) for col in LATENCY_COLUMNS],
]  # fmt: skip
_CLASSIFICATION: list[_Row] = [
    ("accuracy", _H, "share of labelled rows classified right", CONFUSION_COLUMNS,
     _WILSON, _Z2, _accuracy),
    ("error", _L, "1 − accuracy: the misclassification rate, which the slice finder ranks by",
     CONFUSION_COLUMNS, _WILSON, _Z2, _error),
    ("precision", _H, "tp / (tp + fp)", CONFUSION_COLUMNS, _WILSON, _Z2, _precision),
    ("recall", _H, "tp / (tp + fn)", CONFUSION_COLUMNS, _WILSON, _Z2, _recall),
    ("f1", _H, "2tp / (2tp + fp + fn)", CONFUSION_COLUMNS,
     "Wilson on J = tp / (tp + fp + fn), mapped to 2J / (1 + J)", "two-proportion z-test on J",
     _f1),
    ("positive_rate", _N, "share of successful predictions that are positive",
     (*_SERVED, "n_positive_predicted"), _WILSON, _Z2, _positive_rate),
    ("mean_score", _N, "mean predicted probability", (*_SERVED, "sum_score", "sum_score_sq"),
     _T, _WELCH, _mean_score),
    ("log_loss", _L, "mean log loss", ("n_labelled", "sum_log_loss", "sum_log_loss_sq"),
     _T, _WELCH, _log_loss),
    ("brier_score", _L, "mean (score − label)²", ("n_labelled", "sum_brier", "sum_brier_sq"),
     _T, _WELCH, _brier_score),
    ("roc_auc", _H, "area under the ROC curve, from the score histogram", (),
     "Newcombe score-type", "z-test, Hanley–McNeil variance at the pooled AUC", _roc_auc),
    ("expected_calibration_error", _L, "Σ_b (n_b / n)·|mean score_b − positive share_b|", (),
     "Wilson per bin, Bonferroni over bins", "none", _calibration_error),
]  # fmt: skip
_REGRESSION: list[_Row] = [
    ("mae", _L, "mean absolute error", ("n_labelled", "sum_abs_err", "sum_sq_err"),
     _T, _WELCH, _mae),
    ("error", _L, "mean absolute error, which the slice finder ranks by",
     ("n_labelled", "sum_abs_err", "sum_sq_err"), _T, _WELCH, _mae),
    ("rmse", _L, "root mean squared error", ("n_labelled", "sum_sq_err", "sum_err_pow4"),
     "delta method on log MSE", _WELCH, _rmse),
    ("r2", _H, "1 − Σe² / Σ(y − ȳ)²", ("n_labelled", *_R2_SUMS), "normal, delta method",
     "z-test", _r2),
    ("mape", _L, "mean |e| / |y| over rows with y ≠ 0",
     ("n_labelled", "n_nonzero_label", "sum_abs_pct_err", "sum_abs_pct_err_sq"), _T, _WELCH,
     _mape),
    ("mean_residual", _N, "mean of y − ŷ (bias)", ("n_labelled", "sum_residual", "sum_sq_err"),
     _T, _WELCH, _mean_residual),
]  # fmt: skip


def _registry(task: Task, rows: list[_Row]) -> tuple[Mapping[str, MetricSpec], dict[str, _Compute]]:
    specs = {}
    for name, direction, description, columns, interval, test, _ in rows:
        histogram = name in ("roc_auc", "expected_calibration_error")
        scores = histogram or bool(set(columns) & set(SCORE_COLUMNS))
        spec = MetricSpec(
            name, task, direction, description, columns, interval, test, scores, histogram
        )
        specs[name] = spec
    return MappingProxyType(specs), {row[0]: row[-1] for row in rows}


CLASSIFICATION_METRICS, _CLASSIFICATION_COMPUTE = _registry(
    "classification", _CLASSIFICATION + _COMMON
)
"""Classification metrics by name (read-only)."""
REGRESSION_METRICS, _REGRESSION_COMPUTE = _registry("regression", _REGRESSION + _COMMON)
"""Regression metrics by name (read-only)."""
_REGISTRIES = {
    "classification": (CLASSIFICATION_METRICS, _CLASSIFICATION_COMPUTE),
    "regression": (REGRESSION_METRICS, _REGRESSION_COMPUTE),
}


def metric_spec(name: str, *, task: Task) -> MetricSpec:
    """The registry entry of a metric.

    Raises
    ------
    UnknownNameError
        For an unknown task or metric, naming the valid ones.
    """
    if task not in _REGISTRIES:
        raise unknown("task", task, TASKS)
    registry = _REGISTRIES[task][0]
    if name not in registry:
        raise unknown(f"{task} metric", name, list(registry))
    return registry[name]


def _columns(
    statistics: pd.DataFrame, specs: list[MetricSpec], histogram: ScoreHistogram | None
) -> _Columns:
    label_only = ", ".join(n for n, s in CLASSIFICATION_METRICS.items() if not s.needs_scores)
    for spec in specs:
        missing = [col for col in spec.columns if col not in statistics.columns]
        no_histogram = spec.needs_histogram and histogram is None
        if spec.needs_scores and (no_histogram or missing):
            lacking = "score histogram (histogram=)" if no_histogram else ", ".join(missing)
            raise InputError(
                f"metric {spec.name!r} needs prediction scores but got no {lacking}; log the "
                "probability of the positive class as each prediction's score (from predicted "
                f"classes alone diaglab computes: {label_only})"
            )
        if missing:
            raise InputError(
                f"metric {spec.name!r} needs the columns {', '.join(spec.columns)}; missing: "
                f"{', '.join(missing)} (defined in diaglab.stats.metrics)"
            )
    if histogram is not None and histogram.n_groups != len(statistics):
        raise InputError(f"histogram has {histogram.n_groups} groups, statistics {len(statistics)}")
    c = {
        col: statistics[col].to_numpy(dtype=float, na_value=np.nan)
        for col in statistics.columns
        if col in KNOWN_COLUMNS
    }
    for col in COUNT_COLUMNS & c.keys():
        if not (np.isfinite(c[col]).all() and (c[col] >= 0).all()):
            raise InputError(f"count column {col!r} must be finite and non-negative (no NULLs)")
    rules: list[tuple[bool, str]] = []
    if set(CONFUSION_COLUMNS) <= c.keys():
        total = c["tp"] + c["fp"] + c["tn"] + c["fn"]
        rules.append(
            (np.isclose(total, c["n_labelled"]).all(), "tp+fp+tn+fn must equal n_labelled")
        )
    if {"n", "n_failed"} <= c.keys():
        served = c["n"] - c["n_failed"]
        rules.append((bool((served >= 0).all()), "n_failed must not exceed n"))
        rules += [
            (bool((c[col] <= served + 1e-9).all()), f"{col} must not exceed n − n_failed")
            for col in ("n_labelled", "n_positive_predicted")
            if col in c
        ]
    for ok, rule in rules:
        if not ok:
            raise InputError(f"inconsistent statistics: {rule}")
    return c


def _estimates(
    statistics: pd.DataFrame,
    metrics: str | Sequence[str],
    task: Task,
    histogram: ScoreHistogram | None,
    confidence: float,
) -> list[tuple[MetricSpec, Estimate, NDArray[np.object_]]]:
    """Every metric's estimate, with NaN wherever a reason applies and the first reason kept."""
    specs = [
        metric_spec(name, task=task)
        for name in ([metrics] if isinstance(metrics, str) else metrics)
    ]
    if not specs:
        raise InputError("name at least one metric")
    c = _columns(statistics, specs, histogram)
    results = []
    for spec in specs:
        outcome = _REGISTRIES[task][1][spec.name](c, histogram, confidence)
        estimate = outcome.estimate
        nulls = [(np.isnan(c[col]), f"{col} is missing (NULL)") for col in spec.columns]
        undefined = [(np.isnan(estimate.value), "undefined")]
        reason = np.full(np.shape(estimate.value), None, dtype=object)
        for mask, text in [*outcome.empty, *nulls, *outcome.undefined, *undefined]:
            reason[mask & pd.isna(reason)] = text
        void = pd.notna(reason)
        unbounded = np.isnan(estimate.lower) | np.isnan(estimate.upper)
        for mask, text in [*outcome.no_interval, (unbounded, "interval undefined")]:
            reason[mask & pd.isna(reason)] = text
        no_interval = pd.notna(reason)
        bounds = (estimate.lower, estimate.upper, estimate.std_error)
        lower, upper, std_error = (np.where(no_interval, np.nan, a) for a in bounds)
        value = np.where(void, np.nan, estimate.value)
        bound = (
            None if estimate.error_bound is None else np.where(void, np.nan, estimate.error_bound)
        )
        estimate = replace(
            estimate, value=value, lower=lower, upper=upper, std_error=std_error, error_bound=bound
        )
        results.append((spec, estimate, reason))
    return results


def metric_table(
    statistics: pd.DataFrame,
    metrics: str | Sequence[str],
    *,
    task: Task,
    histogram: ScoreHistogram | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Metrics with confidence intervals for every group (row) of ``statistics``.

    Parameters
    ----------
    statistics
        Sufficient statistics, one row per group (columns in the module docstring).
    metrics
        One name or several, from ``CLASSIFICATION_METRICS`` or ``REGRESSION_METRICS``.
    task
        ``"classification"`` or ``"regression"``.
    histogram
        Score histograms aligned with the rows; needed for ``roc_auc`` and
        ``expected_calibration_error``.
    confidence
        Two-sided level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Long format, the group index repeated per metric, columns ``metric, value, lower, upper,
        std_error, n, error_bound, reason``: ``n`` is the sample size behind the estimate (its
        denominator); ``error_bound`` the largest gap to the value on the raw rows of a metric
        read off a histogram (``roc_auc``: pairs in one score bin; latency quantiles: one log bin,
        0.5%), NaN for exact ones; ``reason`` says why value or bounds are NaN and is missing
        (NA) when all are finite.

    Raises
    ------
    InputError
        If a needed column or the histogram is missing (naming what to log), or counts are invalid.
    UnknownNameError
        For an unknown metric or task.

    Examples
    --------
    >>> stats = pd.DataFrame({"n_labelled": [100, 0], "tp": [40, 0], "fp": [10, 0],
    ...                       "tn": [45, 0], "fn": [5, 0]}, index=["a", "b"])
    >>> metric_table(stats, "accuracy", task="classification")[["value", "n", "reason"]]
       value      n            reason
    a   0.85  100.0               NaN
    b    NaN    0.0  no labelled rows
    """
    parts = [
        {
            "metric": spec.name,
            "value": e.value,
            "lower": e.lower,
            "upper": e.upper,
            "std_error": e.std_error,
            "n": e.n,
            "error_bound": _bound(e),
            "reason": reason,
        }
        for spec, e, reason in _estimates(statistics, metrics, task, histogram, confidence)
    ]
    return _stack(statistics.index, parts)


def _bound(e: Estimate) -> FloatArray:
    """The estimate's histogram error bound, NaN where it is exact."""
    return np.full(np.shape(e.value), np.nan) if e.error_bound is None else e.error_bound


def _stack(index: pd.Index, parts: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """One long frame from per-metric columns (scalars broadcast), the index repeated per metric."""
    size = len(index)
    columns = {
        key: np.concatenate([np.broadcast_to(np.asarray(part[key]), (size,)) for part in parts])
        for key in parts[0]
    }
    return pd.DataFrame(columns, index=index[np.tile(np.arange(size), len(parts))])


@dataclass(frozen=True)
class MetricValue:
    """One metric of one group: value, interval, standard error, sample size, reason for NaN."""

    metric: str
    value: float
    lower: float
    upper: float
    std_error: float
    n: float
    reason: str | None
    confidence: float
    interval_method: str


def metric_value(
    statistics: Mapping[str, float],
    metric: str,
    *,
    task: Task,
    histogram: ScoreHistogram | None = None,
    confidence: float = 0.95,
) -> MetricValue:
    """One metric for one group given as a mapping of statistics; see :func:`metric_table`."""
    frame = pd.DataFrame({key: [value] for key, value in statistics.items()})
    r = metric_table(frame, metric, task=task, histogram=histogram, confidence=confidence).iloc[0]
    number = {k: float(r[k]) for k in ("value", "lower", "upper", "std_error", "n")}
    method = metric_spec(metric, task=task).interval_method
    reason = None if pd.isna(r["reason"]) else str(r["reason"])
    return MetricValue(
        metric=metric, **number, reason=reason, confidence=confidence, interval_method=method
    )
