"""Comparing metrics: two windows or versions, or a slice against the rest, with p-values.

Statistics are sums, so "everything but this slice" is ``overall - slice`` and a slice can be
tested against the rest rather than against a total that contains it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from diaglab.errors import InputError
from diaglab.stats.intervals import Estimate, FloatArray, compare_estimates
from diaglab.stats.metrics import (
    MetricSpec,
    Task,
    _bound,
    _estimates,
    _stack,
)
from diaglab.stats.scores import ScoreHistogram
from diaglab.stats.sufficient import COUNT_COLUMNS, KNOWN_COLUMNS, LATENCY_COLUMNS


def _p_values(
    spec: MetricSpec,
    a: tuple[Estimate, NDArray[np.object_]],
    b: tuple[Estimate, NDArray[np.object_]],
    labels: tuple[str, str],
) -> tuple[FloatArray, NDArray[np.object_]]:
    """p-values of a against b, and why a p-value is NaN ("b: no labelled rows")."""
    p = compare_estimates(a[0], b[0])
    reason = np.full(np.shape(p), None, dtype=object)
    sides = list(zip((a, b), labels, strict=True))
    steps: list[tuple[NDArray[np.bool_], NDArray[np.object_] | None, str]]
    steps = [
        (np.isnan(a[0].value), a[1], labels[0]),
        (np.full(p.shape, spec.test == "none"), None, f"no test for {spec.name}"),
        (np.isnan(b[0].value), b[1], labels[1]),
    ]
    steps += [(np.isnan(p) & pd.notna(r), r, label) for (_, r), label in sides]
    steps.append((np.isnan(p), None, "both standard errors are zero"))
    for mask, texts, label in steps:
        fill = mask & pd.isna(reason)
        reason[fill] = label if texts is None else [f"{label}: {t}" for t in texts[fill]]
    return p, reason


def compare_metric(
    statistics_a: pd.DataFrame,
    statistics_b: pd.DataFrame,
    metrics: str | Sequence[str],
    *,
    task: Task,
    histogram_a: ScoreHistogram | None = None,
    histogram_b: ScoreHistogram | None = None,
) -> pd.DataFrame:
    """Compare metrics between independent groups a and b (two windows, two model versions).

    Rows are paired by position; a one-row ``statistics_b`` is compared with every row of
    ``statistics_a`` (e.g. each day with a baseline week). The groups must not share rows.

    Returns
    -------
    pandas.DataFrame
        The index of ``statistics_a`` repeated per metric; columns ``metric, value_a, value_b,
        difference`` (a − b), ``p_value`` (two-sided; the test is the metric's ``MetricSpec.test``)
        and ``reason`` (why ``p_value`` is NaN, naming the side: "b: no labelled rows").
    """
    size = len(statistics_a)
    if len(statistics_b) not in {1, size}:
        raise InputError(f"statistics_b needs 1 or {size} rows, not {len(statistics_b)}")
    if len(statistics_b) == 1:
        statistics_b = statistics_b.iloc[np.zeros(size, dtype=int)]
        if histogram_b is not None:
            histogram_b = ScoreHistogram(*(np.repeat(x, size, 0) for x in histogram_b.arrays()))
    results_a = _estimates(statistics_a, metrics, task, histogram_a, 0.95)
    pairs = zip(results_a, _estimates(statistics_b, metrics, task, histogram_b, 0.95), strict=True)
    parts: list[dict[str, object]] = []
    for (spec, a, reason_a), (_, b, reason_b) in pairs:
        p, reason = _p_values(spec, (a, reason_a), (b, reason_b), ("a", "b"))
        parts.append(
            {
                "metric": spec.name,
                "value_a": a.value,
                "value_b": b.value,
                "difference": a.value - b.value,
                "p_value": p,
                "reason": reason,
            }
        )
    return _stack(statistics_a.index, parts)


def _rest(
    overall: pd.Series,
    slices: pd.DataFrame,
    histogram: ScoreHistogram | None,
    overall_histogram: ScoreHistogram | None,
) -> tuple[pd.DataFrame, ScoreHistogram | None]:
    """Statistics of the rows outside each slice: overall − slice."""
    subset_rule = "slices must be subsets of the rows behind the overall statistics"
    rest = pd.DataFrame(index=slices.index)
    for col in slices.columns.intersection(list(KNOWN_COLUMNS)):
        total = float(overall.get(col, np.nan))
        part = np.nan_to_num(slices[col].to_numpy(dtype=float, na_value=np.nan))
        rest[col] = np.nan if col in LATENCY_COLUMNS else total - part  # quantiles don't subtract
        if col in COUNT_COLUMNS and (rest[col] < -1e-9 * max(total, 1.0)).any():
            raise InputError(f"slice counts exceed the overall ones in {col!r}; {subset_rule}")
        if col in COUNT_COLUMNS:
            rest[col] = rest[col].clip(lower=0.0)
    if histogram is None or overall_histogram is None:
        if (histogram is None) != (overall_histogram is None):
            raise InputError("pass both histogram and overall_histogram, or neither")
        return rest, None
    if overall_histogram.n_groups != 1:
        raise InputError("overall_histogram must have exactly one group")
    arrays = [o - s for o, s in zip(overall_histogram.arrays(), histogram.arrays(), strict=True)]
    if any((x < -1e-9).any() for x in arrays[:2]):
        raise InputError(f"slice histograms exceed the overall histogram; {subset_rule}")
    return rest, ScoreHistogram(*(np.maximum(x, 0.0) for x in arrays))


def compare_to_rest(
    slices: pd.DataFrame,
    overall: pd.DataFrame | pd.Series | Mapping[str, float],
    metrics: str | Sequence[str],
    *,
    task: Task,
    histogram: ScoreHistogram | None = None,
    overall_histogram: ScoreHistogram | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Each slice's metric, its difference to the overall value, and a p-value for that gap.

    The p-value compares the slice with the *rest* (overall minus the slice), not with the overall
    value: the overall contains the slice, so the two are not independent, and testing against it
    understates the gap's significance, the more so the larger the slice. Slices may overlap one
    another; each must be a subset of the rows behind ``overall``. With many slices, adjust the
    p-values with :func:`~diaglab.stats.multiple_testing.benjamini_hochberg`.

    Returns
    -------
    pandas.DataFrame
        The index of ``slices`` repeated per metric; columns ``metric, value, lower, upper, n,
        overall_value, rest_value, difference`` (slice − overall), ``error_bound`` (of a value
        read off a histogram, see :func:`~diaglab.stats.metrics.metric_table`), ``p_value``
        (slice vs rest) and ``reason`` (why a value, bound or p-value is NaN; "rest: …" for the
        rest's side).
    """
    if isinstance(overall, pd.DataFrame):
        if len(overall) != 1:
            raise InputError(f"overall needs exactly one row, not {len(overall)}")
        overall = overall.iloc[0]
    known = {k: v for k, v in dict(overall).items() if k in KNOWN_COLUMNS}
    overall_row = pd.Series(known, dtype=float)
    rest, rest_histogram = _rest(overall_row, slices, histogram, overall_histogram)
    results = zip(
        _estimates(slices, metrics, task, histogram, confidence),
        _estimates(rest, metrics, task, rest_histogram, confidence),
        _estimates(overall_row.to_frame().T, metrics, task, overall_histogram, confidence),
        strict=True,
    )
    parts: list[dict[str, object]] = []
    for (spec, s, reason_s), (_, r, reason_r), (_, o, _) in results:
        p, reason = _p_values(spec, (s, reason_s), (r, reason_r), ("slice", "rest"))
        parts.append(
            {
                "metric": spec.name,
                "value": s.value,
                "lower": s.lower,
                "upper": s.upper,
                "n": s.n,
                "overall_value": o.value[0],
                "rest_value": r.value,
                "difference": s.value - o.value[0],
                "error_bound": _bound(s),
                "p_value": p,
                "reason": np.where(pd.isna(reason), reason_s, reason),
            }
        )
    return _stack(slices.index, parts)
