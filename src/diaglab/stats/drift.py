"""Drift of each feature from per-bin and per-category counts, and one verdict per report.

The query engine ships counts (see :mod:`diaglab.stats.distances` for the bin convention and for
how the binned KS and Wasserstein statistics bound the exact ones). Here they become a
:class:`FeatureStatistics` per feature, and :func:`assess_drift` turns the statistics of a whole
report into :class:`FeatureDrift` verdicts.

The rule: significance decides *whether*, effect size decides *how much*
-----------------------------------------------------------------------
1. Each feature gets one p-value. Numeric: the binned two-sample KS test (conservative).
   Categorical: Pearson's chi-square test of homogeneity. When either side has nulls, a chi-square
   test of the missing rate joins in, and the two p-values are combined by Bonferroni (2 * min).
2. The p-values of one report are adjusted together for multiple testing: Holm by default, at
   ``alpha = 0.01``. Holm bounds the chance of *any* false alarm in a report (family-wise error),
   which is the promise a drift report makes, and it holds whatever the dependence between features;
   Benjamini–Hochberg (``correction="bh"``) bounds only the expected share of false alarms. Real
   drift at production sizes has p-values far below any alpha, so the strict default costs little.
3. Not significant: severity ``none``. Significant: ``minor``, ``moderate`` or ``major`` according
   to effect sizes whose thresholds (:class:`DriftThresholds`) do not depend on the sample size, so
   a subtle but real shift is reported as ``minor`` and never hidden, while a tiny shift in a
   10M-row log never reaches ``moderate``. Numeric effects: the Wasserstein distance in reference
   standard deviations, and PSI on 10 reference-decile bins. Categorical effects: the Jensen–Shannon
   distance, and PSI. For both, the change of the missing rate. The highest level reached by any of
   them sets the severity.
4. ``drifted`` means the severity reached ``min_severity``: ``moderate`` or ``major`` by default
   (``min_severity="minor"`` counts every significant shift, ``"major"`` only the largest). A
   significant shift below it is not hidden: :func:`drift_summary` names it ("3 of 13 features
   drifted; 2 more show a minor, significant shift: age, region"), and every row of a drift table
   carries its ``min_severity``, so an export says which rule ``drifted`` followed (``RULE``).

Limits
------
* Distribution statistics describe non-null values; nulls enter only through the missing rate.
* Effect sizes are biased upwards at small samples (noise looks like distance, most for PSI over
  many sparse categories); significance guards against that, not a correction of the effect.
* Without the current window's minimum and maximum, values outside the reference range are placed
  at its edges: the Wasserstein distance is then a lower bound and its error bound is ``inf``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import fields
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from diaglab.errors import InputError, unknown
from diaglab.stats.distances import (
    DEFAULT_PSI_BINS,
    _counts,
    _edges,
    chi_square,
    coarsen_bins,
    js_distance,
    ks_binned,
    merge_duplicate_edges,
    psi,
    total_variation,
    wasserstein_binned,
)
from diaglab.stats.drift_results import (
    _EFFECTS,
    DEFAULT_ALPHA,
    DEFAULT_MIN_SEVERITY,
    RULE,
    SEVERITIES,
    DriftThresholds,
    FeatureDrift,
    FeatureStatistics,
    Kind,
    Severity,
)
from diaglab.stats.drift_table import drift_frame, drift_summary
from diaglab.stats.multiple_testing import Correction, adjust_p_values

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_MIN_SEVERITY",
    "RULE",
    "SEVERITIES",
    "DriftThresholds",
    "FeatureDrift",
    "FeatureStatistics",
    "Kind",
    "Severity",
    "alert_band",
    "assess_drift",
    "categorical_statistics",
    "drift_frame",
    "drift_summary",
    "numeric_statistics",
]


def _count(value: float, name: str) -> float:
    if not (math.isfinite(value) and value >= 0):
        raise InputError(f"{name} must be a finite count >= 0, got {value}")
    return float(value)


def _common(
    feature: str, kind: Kind, n_ref: float, n_cur: float, ref_nulls: float, cur_nulls: float
) -> dict[str, Any]:
    """Sizes, missing rates and the missing-rate test, shared by both kinds."""
    rows_ref, rows_cur = n_ref + ref_nulls, n_cur + cur_nulls
    rate_ref = ref_nulls / rows_ref if rows_ref else math.nan
    rate_cur = cur_nulls / rows_cur if rows_cur else math.nan
    if not (rows_ref and rows_cur):
        p_missing = math.nan
    elif ref_nulls + cur_nulls == 0:
        p_missing = 1.0
    else:
        p_missing = chi_square([n_ref, ref_nulls], [n_cur, cur_nulls]).p_value
    reasons = []
    for side, rows, n in (("reference", rows_ref, n_ref), ("current window", rows_cur, n_cur)):
        if rows == 0:
            reasons.append(f"the {side} has no rows")
        elif n == 0:
            reasons.append(f"the {side} has no non-null values; only its missing rate is tested")
    return {
        "feature": feature,
        "kind": kind,
        "n_reference": round(n_ref),
        "n_current": round(n_cur),
        "missing_rate_reference": rate_ref,
        "missing_rate_current": rate_cur,
        "missing_rate_change": abs(rate_cur - rate_ref),
        "p_missing": p_missing,
        "p_value": p_missing,
        "reason": "; ".join(reasons) or None,
    }


def _with_distribution(
    common: dict[str, Any], p_distribution: float, **values: Any
) -> FeatureStatistics:
    """Statistics with a distribution test; its p-value joins the missing-rate test's if nulls."""
    any_nulls = common["missing_rate_reference"] > 0 or common["missing_rate_current"] > 0
    p_value = (
        min(1.0, 2 * min(p_distribution, common["p_missing"])) if any_nulls else p_distribution
    )
    return FeatureStatistics(
        **{**common, "p_value": p_value}, p_distribution=p_distribution, **values
    )


def numeric_statistics(
    feature: str,
    *,
    edges: ArrayLike,
    reference_counts: ArrayLike,
    current_counts: ArrayLike,
    reference_std: float,
    reference_nulls: float = 0,
    current_nulls: float = 0,
    current_below: float = 0,
    current_above: float = 0,
    current_min: float | None = None,
    current_max: float | None = None,
    psi_bins: int = DEFAULT_PSI_BINS,
    whole_numbers: bool = False,
) -> FeatureStatistics:
    """Drift statistics of a numeric feature from counts in bins at reference quantiles.

    Parameters
    ----------
    feature
        Name of the feature.
    edges
        Bin edges from reference quantiles (e.g. 101 for 100 bins), non-decreasing; repeated edges
        are merged (:func:`~diaglab.stats.distances.merge_duplicate_edges`). When the reference has
        no non-null values there are no edges: pass ``[]``, empty counts, and the current window's
        non-null count as ``current_above`` (all of it lies outside the empty reference range).
    reference_counts, current_counts
        Non-null values per bin; current values outside ``[edges[0], edges[-1]]`` are not in them.
    reference_std
        Standard deviation of the reference's non-null values.
    reference_nulls, current_nulls
        Null counts.
    current_below, current_above
        Current values below the reference minimum / above its maximum.
    current_min, current_max
        The current window's extremes. Without them, out-of-range values count as sitting at the
        reference edges, and the Wasserstein error bound becomes ``inf``.
    psi_bins
        Bins for PSI, Jensen–Shannon and total variation (default 10).
    whole_numbers
        The values are whole numbers and the edges too: a bin ``[k, k + 1)`` holds the one value
        ``k``, a point mass, so the Wasserstein distance over such bins is exact.
    """
    ref = _counts(reference_counts, "reference_counts")
    cur = _counts(current_counts, "current_counts")
    if ref.size != cur.size:
        raise InputError(f"reference and current counts differ in length: {ref.size} != {cur.size}")
    below, above = _count(current_below, "current_below"), _count(current_above, "current_above")
    ref_nulls = _count(reference_nulls, "reference_nulls")
    cur_nulls = _count(current_nulls, "current_nulls")
    n_ref, n_cur = float(ref.sum()), float(cur.sum()) + below + above
    e = _edges(edges, ref.size) if ref.size else np.empty(0)
    common = _common(feature, "numeric", n_ref, n_cur, ref_nulls, cur_nulls)
    if n_ref == 0 or n_cur == 0:
        return FeatureStatistics(**common)
    e, (ref, cur), point_mass = merge_duplicate_edges(e, ref, cur)
    if whole_numbers:
        point_mass = point_mass | (np.diff(e) == 1)
    low, high = float(e[0]), float(e[-1])
    # The extremes matter only with values out of range, and then they must lie outside it.
    if (below and current_min is not None and not -math.inf < current_min <= low) or (
        above and current_max is not None and not high <= current_max < math.inf
    ):
        raise InputError(
            f"with values outside the reference range [{low}, {high}], current_min="
            f"{current_min} and current_max={current_max} must be finite and lie outside it"
        )
    outer_low = current_min if below and current_min is not None else low
    outer_high = current_max if above and current_max is not None else high
    full_edges = np.concatenate([[outer_low], e, [outer_high]])
    full_ref = np.concatenate([[0.0], ref, [0.0]])
    full_cur = np.concatenate([[below], cur, [above]])
    full_point_mass = np.concatenate([[False], point_mass, [False]])
    wasserstein = wasserstein_binned(
        full_edges, full_ref, full_cur, reference_std=reference_std, point_mass=full_point_mass
    )
    bound_known = (not below or current_min is not None) and (not above or current_max is not None)
    ks = ks_binned(full_ref, full_cur)
    _, (ref_coarse, cur_coarse) = coarsen_bins(e, ref, cur, bins=psi_bins)
    psi_ref = np.concatenate([[0.0], ref_coarse, [0.0]])
    psi_cur = np.concatenate([[below], cur_coarse, [above]])
    return _with_distribution(
        common,
        ks.p_value,
        psi=psi(psi_ref, psi_cur),
        js_distance=js_distance(psi_ref, psi_cur),
        total_variation=total_variation(psi_ref, psi_cur),
        wasserstein=wasserstein.distance,
        wasserstein_error_bound=wasserstein.error_bound if bound_known else math.inf,
        ks_statistic=ks.statistic,
        ks_upper_bound=ks.upper_bound,
        out_of_range_share=(below + above) / n_cur,
    )


def _is_null(key: object) -> bool:
    return (
        key is None or key is pd.NA or key is pd.NaT or (isinstance(key, float) and math.isnan(key))
    )


def categorical_statistics(
    feature: str,
    *,
    reference_counts: Mapping[Hashable, float],
    current_counts: Mapping[Hashable, float],
    reference_nulls: float = 0,
    current_nulls: float = 0,
) -> FeatureStatistics:
    """Drift statistics of a categorical feature from per-category counts.

    Parameters
    ----------
    feature
        Name of the feature.
    reference_counts, current_counts
        Count per category (a dict, or ``dict(series)`` of a pandas value count); a category missing
        from one side counts 0 there. Nulls are not a category: pass them as ``*_nulls``.
    reference_nulls, current_nulls
        Null counts.
    """
    categories = list(dict.fromkeys([*reference_counts, *current_counts]))
    if any(_is_null(c) for c in categories):
        raise InputError(f"feature {feature!r}: pass null counts as reference_nulls/current_nulls")
    ref = _counts([reference_counts.get(c, 0) for c in categories], "reference_counts")
    cur = _counts([current_counts.get(c, 0) for c in categories], "current_counts")
    ref_nulls = _count(reference_nulls, "reference_nulls")
    cur_nulls = _count(current_nulls, "current_nulls")
    n_ref, n_cur = float(ref.sum()), float(cur.sum())
    common = _common(feature, "categorical", n_ref, n_cur, ref_nulls, cur_nulls)
    if n_ref == 0 or n_cur == 0:  # nothing is new, or gone, next to an empty side
        return FeatureStatistics(**common)
    new = [(-cur[i], str(c), c) for i, c in enumerate(categories) if ref[i] == 0 and cur[i] > 0]
    gone = [(-ref[i], str(c), c) for i, c in enumerate(categories) if ref[i] > 0 and cur[i] == 0]
    common["new_categories"] = tuple(c for *_, c in sorted(new, key=lambda t: t[:2]))
    common["vanished_categories"] = tuple(c for *_, c in sorted(gone, key=lambda t: t[:2]))
    chi = chi_square(ref, cur)
    return _with_distribution(
        common,
        chi.p_value,
        psi=psi(ref, cur),
        js_distance=js_distance(ref, cur),
        total_variation=total_variation(ref, cur),
        chi_square=chi.statistic,
        chi_square_dof=chi.dof,
        out_of_range_share=float(cur[ref == 0].sum() / n_cur),
    )


def _level(value: float, levels: tuple[float, float]) -> int:
    return 2 if value >= levels[1] else 1 if value >= levels[0] else 0


def assess_drift(
    features: Iterable[FeatureStatistics],
    *,
    alpha: float = DEFAULT_ALPHA,
    correction: Correction = "holm",
    thresholds: DriftThresholds | None = None,
    overrides: Mapping[str, DriftThresholds] | None = None,
    min_severity: Severity = DEFAULT_MIN_SEVERITY,
) -> tuple[FeatureDrift, ...]:
    """Verdicts for the features of one report, in input order (module docstring: the rule).

    Parameters
    ----------
    features
        One :class:`FeatureStatistics` per feature; names must be unique.
    alpha
        Family-wise (Holm, Bonferroni) or false-discovery (BH) level; default 0.01.
    correction
        ``holm`` (default), ``bh``, ``bonferroni`` or ``none``.
    thresholds
        Effect thresholds for every feature (default :class:`DriftThresholds()`).
    overrides
        Thresholds for particular features, by name.
    min_severity
        The least severity counted as ``drifted``: ``"minor"`` (every significant shift),
        ``"moderate"`` (default) or ``"major"``.
    """
    stats = list(features)
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be in (0, 1), got {alpha}")
    if min_severity not in SEVERITIES[1:]:
        raise unknown("min_severity", min_severity, SEVERITIES[1:])
    names = [s.feature for s in stats]
    if len(set(names)) != len(names):
        raise InputError(
            f"feature names repeat: {sorted({n for n in names if names.count(n) > 1})}"
        )
    overrides = dict(overrides or {})
    for name in overrides:
        if name not in names:
            raise unknown("feature", name, names)
    default = thresholds or DriftThresholds()
    adjusted = adjust_p_values([s.p_value for s in stats], method=correction)
    base = [f.name for f in fields(FeatureStatistics)]
    results = []
    for stat, p_adjusted in zip(stats, adjusted, strict=True):
        used = overrides.get(stat.feature, default)
        candidates = [
            (_level(value, used.levels(name)), -rank, name, value)
            for rank, name in enumerate(_EFFECTS[stat.kind])
            if not math.isnan(value := getattr(stat, name))
        ]
        level, _, effect_statistic, effect = max(
            candidates, default=(0, 0, _EFFECTS[stat.kind][0], math.nan)
        )
        significant = bool(p_adjusted <= alpha)  # NaN (not testable) compares False
        severity = SEVERITIES[1 + level] if significant else "none"
        results.append(
            FeatureDrift(
                **{name: getattr(stat, name) for name in base},
                p_adjusted=float(p_adjusted),
                correction=correction,
                alpha=alpha,
                severity=severity,
                drifted=SEVERITIES.index(severity) >= SEVERITIES.index(min_severity),
                effect=float(effect),
                effect_statistic=effect_statistic,
                thresholds=used,
                min_severity=min_severity,
            )
        )
    return tuple(results)


def alert_band(values: ArrayLike, *, k: float = 3.0) -> tuple[float, float]:
    """``(mean - k·std, mean + k·std)`` of a statistic over reference-sized chunks of the reference.

    Compute a drift statistic (e.g. Wasserstein, or PSI) between each of a few chunks of the
    reference, each the size of a monitoring window, and the whole reference; a later window whose
    statistic exceeds ``high`` is unusual for this feature at this window size. The standard
    deviation uses ``ddof=1``; with the handful of chunks typical here it is itself noisy, which
    ``k = 3`` allows for. NaN values are ignored; at least two finite values are needed. ``low``
    may be negative for statistics that cannot be; clip it if you show it.
    """
    if not k >= 0:
        raise InputError(f"k must be >= 0, got {k}")
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[~np.isnan(v)]
    if v.size < 2 or not np.all(np.isfinite(v)):
        raise InputError(f"alert_band needs at least two finite values, got {v.size} non-NaN")
    mean, std = float(v.mean()), float(v.std(ddof=1))
    return mean - k * std, mean + k * std
