"""Group fairness on counts: per-group rates with intervals, and the disparities between groups.

Every rate is a proportion of per-group counts (from one engine ``GROUP BY``):

=======================  ==================================  ===========================
metric                   definition                          Fairlearn
=======================  ==================================  ===========================
``selection_rate``       predicted positive / rows           ``selection_rate``
``true_positive_rate``   tp / (tp + fn)                      ``true_positive_rate``
``false_positive_rate``  fp / (fp + tn)                      ``false_positive_rate``
``precision``            tp / (tp + fp)                      ``precision_score``
``error``                (fp + fn) / labelled                1 − ``accuracy_score``
``calibration_error``    binned ECE (analytic, see below)
=======================  ==================================  ===========================

``selection_rate`` counts every decided row, labelled or not, so demographic parity is known
before labels arrive. Intervals are Wilson's (:func:`~diaglab.stats.intervals.wilson_interval`);
a difference of two groups' rates gets Newcombe's hybrid score interval (method 10 of Newcombe
1998), built from the two Wilson intervals, and a ratio the Katz log interval. The ECE's interval
is analytic per bin (:func:`diaglab.stats.scores.calibration_error_interval`: Wilson per bin,
Bonferroni over bins); its difference to the reference group has none.

Disparity measures, as Fairlearn defines them (``method="between_groups"``): the difference is
the largest group value minus the smallest, the ratio the smallest over the largest.

>>> d, lo, hi = difference_interval(40, 100, 25, 100)
>>> round(float(d), 2), round(float(lo), 3), round(float(hi), 3)
(0.15, 0.02, 0.273)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from diaglab.stats.intervals import (
    Estimate,
    FloatArray,
    proportion_estimate,
    wilson_interval,
    z_value,
)

GROUP_METRICS = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "precision",
    "error",
    "calibration_error",
)
LABEL_FREE = frozenset({"selection_rate"})
MEASURES: Mapping[str, tuple[str, ...]] = {
    "demographic_parity": ("selection_rate",),
    "equalized_odds": ("true_positive_rate", "false_positive_rate"),
    "equal_opportunity": ("true_positive_rate",),
    "predictive_parity": ("precision",),
}
"""Each disparity measure and the group metrics it compares (equalized odds: the worse of two)."""

_RATES: dict[str, tuple[str | tuple[str, ...], str | tuple[str, ...]]] = {
    "selection_rate": ("n_positive_predicted", "n"),
    "true_positive_rate": ("tp", ("tp", "fn")),
    "false_positive_rate": ("fp", ("fp", "tn")),
    "precision": ("tp", ("tp", "fp")),
    "error": (("fp", "fn"), ("tp", "fp", "tn", "fn")),
}


def _sum(counts: Mapping[str, ArrayLike], names: str | tuple[str, ...]) -> FloatArray:
    parts = (names,) if isinstance(names, str) else names
    return np.sum([np.asarray(counts[p], dtype=float) for p in parts], axis=0)


def rate_counts(counts: Mapping[str, ArrayLike], metric: str) -> tuple[FloatArray, FloatArray]:
    """``(successes, trials)`` of a rate metric from the per-group counts ``n``,
    ``n_positive_predicted``, ``tp``, ``fp``, ``tn``, ``fn``."""
    num, den = _RATES[metric]
    return _sum(counts, num), _sum(counts, den)


def group_rate(
    counts: Mapping[str, ArrayLike], metric: str, *, confidence: float = 0.95
) -> Estimate:
    """A rate metric per group with its Wilson interval (NaN where its denominator is 0)."""
    k, n = rate_counts(counts, metric)
    return proportion_estimate(k, n, confidence=confidence)


def difference_interval(
    k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike, *, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``p1 − p2`` of two independent proportions with Newcombe's hybrid score interval.

    ``L = d − sqrt((p1 − l1)² + (u2 − p2)²)``, ``U = d + sqrt((u1 − p1)² + (p2 − l2)²)`` with
    ``(l, u)`` each proportion's Wilson interval; NaN where either has no trials.
    """
    a, b, c, e = (np.asarray(x, dtype=float) for x in (k1, n1, k2, n2))
    l1, u1 = wilson_interval(a, b, confidence=confidence)
    l2, u2 = wilson_interval(c, e, confidence=confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = a / b, c / e
        d = p1 - p2
        lower = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        upper = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, lower, upper


def ratio_interval(
    k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike, *, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``p1 / p2`` with the Katz log interval ``exp(ln r ± z·sqrt(1/k1 − 1/n1 + 1/k2 − 1/n2))``;
    a zero count is taken as 0.5 in the standard error only. NaN where ``p2 = 0`` or no trials."""
    a, b, c, e = (np.asarray(x, dtype=float) for x in (k1, n1, k2, n2))
    z = z_value(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a / b) / (c / e)
        se = np.sqrt(1 / np.maximum(a, 0.5) - 1 / b + 1 / np.maximum(c, 0.5) - 1 / e)
        lower, upper = r * np.exp(-z * se), r * np.exp(z * se)
    bad = ~np.isfinite(r)
    return r, np.where(bad, np.nan, lower), np.where(bad, np.nan, upper)


def extreme_pair(values: FloatArray, eligible: np.ndarray) -> tuple[int, int] | None:
    """Indices of the largest and the smallest finite value among ``eligible`` groups (the
    first one on ties); None with fewer than two such groups."""
    ok = np.flatnonzero(eligible & np.isfinite(values))
    if ok.size < 2:
        return None
    hi = ok[int(np.argmax(values[ok]))]
    lo = ok[int(np.argmin(values[ok]))]
    return int(hi), int(lo)
