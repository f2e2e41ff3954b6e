"""Distances and two-sample tests computed from counts, never from rows.

The query engine bins each numeric feature at quantiles of the reference and ships back per-bin
counts for the reference and the current window; for a categorical feature it ships per-category
counts. The functions here turn those counts into statistics, each checked against scipy on raw data
in the tests.

Bins
----
``edges`` has one entry more than the counts. Bin ``i`` is ``[edges[i], edges[i + 1])`` and the last
bin is closed, as in :func:`numpy.histogram`. Edges must be non-decreasing. Reference quantiles
repeat for discrete features; :func:`merge_duplicate_edges` collapses the repeats.

How the binned statistics approximate the exact ones
----------------------------------------------------
Let ``F`` and ``G`` be the empirical CDFs of the reference and the current window, ``p_i`` and
``q_i`` the shares of bin ``i`` and ``w_i`` its width. Counts give ``F`` and ``G`` exactly just
below every edge; inside a bin each can be anywhere between its values at the two ends of the bin.

* Kolmogorov–Smirnov. :func:`ks_binned` evaluates ``|F - G|`` at the edges only, so it is a lower
  bound of the exact two-sample statistic ``D``. Inside bin ``i``, ``|F - G|`` cannot exceed
  ``max(F_{i+1} - G_i, G_{i+1} - F_i)``; the largest of these is reported as ``upper_bound``, and
  ``binned D <= D <= upper_bound <= binned D + max_i max(p_i, q_i)``. With 100 reference-quantile
  bins the gap is at most about 0.01 plus the largest share of the current in one bin. The p-value
  applies scipy's two-sample distribution (``scipy.stats.kstwo`` at the effective size
  ``round(n m / (n + m))``, exactly what ``scipy.stats.ks_2samp(method="asymp")`` does) to the
  binned statistic, so it is conservative: never smaller than the exact test's p-value. Ties
  (discrete features) make the test conservative too.
* Wasserstein-1 is ``∫ |F - G| dx``. :func:`wasserstein_binned` interpolates both CDFs linearly
  inside each bin (values spread evenly over the bin), or as a step at the left edge for bins that
  start at a point mass of a discrete feature, and integrates that exactly. Pointwise the
  interpolated difference is within ``max(p_i, q_i)`` of the true one, so
  ``|W_binned - W| <= Σ_i w_i max(p_i, q_i)`` (returned as ``error_bound``, in the same unit as the
  distance). The bound is loose: for a location shift the errors in ``F`` and ``G`` largely cancel.
  The bound needs finite outer edges: mass outside the reference range must sit in bins whose outer
  edge is the current window's minimum or maximum (see ``diaglab.stats.drift.numeric_statistics``).
* PSI, Jensen–Shannon and total variation are computed on the bins as given; they describe the
  binned distributions and approximate no continuous quantity. PSI in particular grows with the
  number of bins, hence :func:`coarsen_bins`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from diaglab.errors import InputError

FloatArray = NDArray[np.float64]

DEFAULT_PSI_EPS = 1e-4
"""Floor on bin shares in :func:`psi`, so an empty bin costs ``(q - 1e-4) ln(q / 1e-4)``, not ∞."""

KS_EXACT_MAX_N = 10_000
"""Above this effective sample size the KS p-value uses the limiting (Kolmogorov) distribution."""

DEFAULT_PSI_BINS = 10
"""Bins for PSI: its usual thresholds (0.1 / 0.25) were set on deciles."""

DEFAULT_MIN_EXPECTED = 5.0
"""Cochran's rule: chi-square cells expected below this are pooled in :func:`chi_square`."""


def _counts(values: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InputError(f"{name} must be finite and non-negative")
    return arr


def _pair(reference: ArrayLike, current: ArrayLike) -> tuple[FloatArray, FloatArray]:
    ref = _counts(reference, "reference counts")
    cur = _counts(current, "current counts")
    if ref.shape != cur.shape:
        raise InputError(f"reference and current counts differ in length: {ref.size} != {cur.size}")
    return ref, cur


def _shares(ref: FloatArray, cur: FloatArray) -> tuple[FloatArray, FloatArray] | None:
    n_ref, n_cur = ref.sum(), cur.sum()
    if n_ref <= 0 or n_cur <= 0:
        return None
    return ref / n_ref, cur / n_cur


def _edges(edges: ArrayLike, n_bins: int) -> FloatArray:
    e = np.asarray(edges, dtype=np.float64)
    if e.ndim != 1 or e.size != n_bins + 1:
        raise InputError(f"expected {n_bins + 1} bin edges for {n_bins} bins, got shape {e.shape}")
    if not np.all(np.isfinite(e)):
        raise InputError("bin edges must be finite")
    if np.any(np.diff(e) < 0):
        raise InputError("bin edges must be non-decreasing")
    return e


def psi(reference: ArrayLike, current: ArrayLike, *, eps: float = DEFAULT_PSI_EPS) -> float:
    """Population stability index ``Σ (q - p) ln(q / p)`` of two count vectors.

    Parameters
    ----------
    reference, current
        Counts per bin or category, same length and order.
    eps
        Floor on the shares (default ``1e-4``), so a bin empty on one side adds
        ``(q - eps) ln(q / eps)`` instead of infinity. Every term is >= 0 whatever the floor, so
        PSI >= 0, and it is 0 for equal shares.

    Returns
    -------
    float
        NaN when either side has no counts. PSI grows with the number of bins; its usual reading
        (< 0.1 stable, 0.1–0.25 moderate, > 0.25 major) assumes about 10 bins
        (:func:`coarsen_bins`).

    Examples
    --------
    >>> round(psi([50, 50], [40, 60]), 4)
    0.0405
    """
    if not eps > 0:
        raise InputError(f"eps must be positive, got {eps}")
    shares = _shares(*_pair(reference, current))
    if shares is None:
        return math.nan
    p, q = (np.maximum(s, eps) for s in shares)
    return float(np.sum((q - p) * np.log(q / p)))


def js_distance(reference: ArrayLike, current: ArrayLike) -> float:
    """Jensen–Shannon distance (base 2) of two count vectors: in [0, 1], symmetric, 0 when equal.

    The square root of the Jensen–Shannon divergence, as ``scipy.spatial.distance.jensenshannon``
    with ``base=2``. Empty bins need no smoothing. NaN when either side has no counts.
    """
    shares = _shares(*_pair(reference, current))
    if shares is None:
        return math.nan
    p, q = shares
    m = (p + q) / 2
    divergence = (special.rel_entr(p, m).sum() + special.rel_entr(q, m).sum()) / (2 * math.log(2))
    return float(math.sqrt(min(max(divergence, 0.0), 1.0)))


def total_variation(reference: ArrayLike, current: ArrayLike) -> float:
    """Total variation distance ``½ Σ |p - q|``: the share of mass that moved, in [0, 1].

    NaN when either side has no counts.
    """
    shares = _shares(*_pair(reference, current))
    if shares is None:
        return math.nan
    p, q = shares
    return float(min(0.5 * np.abs(p - q).sum(), 1.0))


@dataclass(frozen=True)
class BinnedWasserstein:
    """Wasserstein-1 distance from binned counts, divided by the reference standard deviation.

    Attributes
    ----------
    distance
        ``W1 / reference_std`` under linear interpolation inside bins; NaN when a side is empty.
    error_bound
        ``Σ_i w_i max(p_i, q_i) / reference_std``: ``|distance - exact| <= error_bound``.
    """

    distance: float
    error_bound: float


def wasserstein_binned(
    edges: ArrayLike,
    reference: ArrayLike,
    current: ArrayLike,
    *,
    reference_std: float,
    point_mass: ArrayLike | None = None,
) -> BinnedWasserstein:
    """W1 between two binned distributions, in units of the reference standard deviation.

    Both CDFs are interpolated linearly inside each bin and ``∫ |F - G|`` is integrated exactly;
    see the module docstring for the error bound. With ``reference_std == 0`` (a constant reference)
    the distance is 0 if the distributions coincide and ``inf`` otherwise.

    Parameters
    ----------
    edges
        Bin edges, one more than the counts; non-decreasing and finite.
    reference, current
        Counts per bin.
    reference_std
        Standard deviation of the reference values (>= 0).
    point_mass
        Optional flag per bin: its values sit at its left edge (a point mass of a discrete feature,
        from :func:`merge_duplicate_edges`), so both CDFs step there instead of rising linearly.
        Exact for purely discrete features; the error bound holds either way.
    """
    ref, cur = _pair(reference, current)
    e = _edges(edges, ref.size)
    if not (math.isfinite(reference_std) and reference_std >= 0):
        raise InputError(f"reference_std must be finite and >= 0, got {reference_std}")
    shares = _shares(ref, cur)
    if shares is None:
        return BinnedWasserstein(math.nan, math.nan)
    p, q = shares
    d = np.concatenate([[0.0], np.cumsum(p) - np.cumsum(q)])
    a, b = d[:-1], d[1:]
    width = np.diff(e)
    abs_sum = np.abs(a) + np.abs(b)
    crossing = a * b < 0
    # |linear function| integrated over a bin: a trapezoid, or two triangles when it changes sign.
    triangles = np.divide(a * a + b * b, 2 * abs_sum, out=np.zeros_like(a), where=crossing)
    area = width * np.where(crossing, triangles, abs_sum / 2)
    if point_mass is not None:
        steps = np.asarray(point_mass, dtype=np.bool_)
        if steps.shape != width.shape:
            raise InputError(f"point_mass needs one flag per bin, got shape {steps.shape}")
        area = np.where(steps, width * np.abs(b), area)
    raw = float(area.sum())
    raw_bound = float(np.sum(width * np.maximum(p, q)))
    return BinnedWasserstein(_per_std(raw, reference_std), _per_std(raw_bound, reference_std))


def _per_std(value: float, std: float) -> float:
    if std > 0:
        return value / std
    return 0.0 if value == 0 else math.inf


@dataclass(frozen=True)
class BinnedKS:
    """Two-sample Kolmogorov–Smirnov statistic evaluated at bin edges.

    Attributes
    ----------
    statistic
        ``max |F - G|`` over the edges: a lower bound of the exact statistic.
    upper_bound
        An upper bound of the exact statistic (<= statistic + the largest bin share on either side).
    p_value
        From ``scipy.stats.kstwo`` at the effective size; conservative (see the module docstring).
    n_reference, n_current
        Total counts.
    """

    statistic: float
    upper_bound: float
    p_value: float
    n_reference: float
    n_current: float


def ks_binned(reference: ArrayLike, current: ArrayLike) -> BinnedKS:
    """Kolmogorov–Smirnov statistic, its upper bound and a p-value from ordered bin counts.

    Only the order of the bins matters, not the edges. NaN statistics when either side is empty.

    Examples
    --------
    >>> ks_binned([10, 10, 10, 10], [10, 10, 10, 10]).p_value
    1.0
    """
    ref, cur = _pair(reference, current)
    n_ref, n_cur = float(ref.sum()), float(cur.sum())
    shares = _shares(ref, cur)
    if shares is None:
        return BinnedKS(math.nan, math.nan, math.nan, n_ref, n_cur)
    big_f = np.concatenate([[0.0], np.cumsum(shares[0])])
    big_g = np.concatenate([[0.0], np.cumsum(shares[1])])
    statistic = float(np.max(np.abs(big_f - big_g)))
    inside = np.maximum(big_f[1:] - big_g[:-1], big_g[1:] - big_f[:-1])
    upper = float(min(max(statistic, float(inside.max(initial=0.0))), 1.0))
    effective_n = max(1, round(n_ref * n_cur / (n_ref + n_cur)))
    if effective_n > KS_EXACT_MAX_N:
        # kstwo's exact series takes ~20 ms per call at this size; the limiting distribution
        # agrees with it to within 1e-3 here and is what ks_2samp itself uses for large samples.
        p_value = float(stats.kstwobign.sf(statistic * math.sqrt(effective_n)))
    else:
        p_value = float(stats.kstwo.sf(statistic, effective_n))
    p_value = float(np.clip(p_value, 0.0, 1.0))
    return BinnedKS(statistic, upper, p_value, n_ref, n_cur)


@dataclass(frozen=True)
class ChiSquare:
    """Chi-square test of homogeneity of two count vectors (a 2 x k contingency table).

    Attributes
    ----------
    statistic, dof, p_value
        Pearson's statistic, its degrees of freedom and p-value (no continuity correction).
    pooled
        How many categories were pooled because their expected count was below ``min_expected``.
    """

    statistic: float
    dof: int
    p_value: float
    pooled: int


def chi_square(
    reference: ArrayLike, current: ArrayLike, *, min_expected: float = DEFAULT_MIN_EXPECTED
) -> ChiSquare:
    """Pearson's chi-square test that reference and current share one categorical distribution.

    Categories empty on both sides are dropped; a category absent on one side only is an ordinary
    cell. Categories whose expected count on either side is below ``min_expected`` (default 5,
    Cochran's rule) are pooled into one cell, and that pool joins the smallest regular category if
    it is still below the rule, so that the chi-square approximation holds. With fewer than two
    cells left the test cannot see a difference: statistic 0, p-value 1. NaN when a side is empty.
    Equals ``scipy.stats.chi2_contingency(table, correction=False)`` when nothing is pooled.
    """
    ref, cur = _pair(reference, current)
    table = np.vstack([ref, cur])
    rows = table.sum(axis=1)
    if rows.min() <= 0:
        return ChiSquare(math.nan, 0, math.nan, 0)
    table = table[:, table.sum(axis=0) > 0]
    share_small_row = rows.min() / rows.sum()
    sparse = table.sum(axis=0) * share_small_row < min_expected
    pooled = int(sparse.sum())
    if pooled:
        pool = table[:, sparse].sum(axis=1)
        table = table[:, ~sparse]
        if pool.sum() * share_small_row < min_expected and table.shape[1] > 0:
            smallest = int(np.argmin(table.sum(axis=0)))
            table[:, smallest] += pool
        else:
            table = np.column_stack([table, pool])
    if table.shape[1] < 2:
        return ChiSquare(0.0, 0, 1.0, pooled)
    expected = np.outer(rows, table.sum(axis=0)) / rows.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    dof = table.shape[1] - 1
    return ChiSquare(statistic, dof, float(stats.chi2.sf(statistic, dof)), pooled)


def merge_duplicate_edges(
    edges: ArrayLike, *counts: ArrayLike
) -> tuple[FloatArray, tuple[FloatArray, ...], NDArray[np.bool_]]:
    """Collapse repeated bin edges (discrete features binned at quantiles) and their counts.

    A zero-width bin ``[a, a)`` can only hold values equal to ``a`` when the engine's convention
    differs from numpy's, and those belong to the bin that starts at ``a``; its counts move there.
    Repeats of the largest edge keep one closed point bin ``[max, max]`` (numpy puts the values
    equal to the maximum there), so a binary 0/1 feature keeps its two bins. A constant feature
    ends as the single bin ``[a, a]``.

    Returns
    -------
    (edges, counts, point_mass)
        Strictly increasing edges, except that the last two are equal when the point bin at the
        maximum is kept; each count vector summed accordingly; and per merged bin whether its left
        edge was repeated, i.e. the reference has a point mass there holding all but at most one
        fine bin's share of the bin (:func:`wasserstein_binned` uses it).

    Examples
    --------
    >>> e, (c,), point_mass = merge_duplicate_edges([0, 0, 0, 1, 1], [0, 0, 6, 4])
    >>> e.tolist(), c.tolist(), point_mass.tolist()
    ([0.0, 1.0, 1.0], [6.0, 4.0], [True, True])
    """
    vectors = [_counts(c, "counts") for c in counts]
    n_bins = vectors[0].size if vectors else max(np.asarray(edges).size - 1, 0)
    e = _edges(edges, n_bins)
    if any(v.size != n_bins for v in vectors):
        raise InputError("every count vector needs one entry per bin")
    unique, repeats = np.unique(e, return_counts=True)
    if unique.size == e.size:
        return e, tuple(vectors), np.zeros(n_bins, dtype=np.bool_)
    # Each bin joins the merged bin starting at its left edge; the top value's bin is [max, max].
    target = np.searchsorted(unique, e[:-1])
    merged = [
        np.bincount(target, weights=v, minlength=unique.size).astype(np.float64) for v in vectors
    ]
    new_edges, point_mass = np.append(unique, unique[-1]), repeats > 1
    if unique.size > 1 and all(m[-1] == 0 for m in merged):
        new_edges, merged, point_mass = unique, [m[:-1] for m in merged], point_mass[:-1]
    return new_edges, tuple(merged), point_mass


def coarsen_bins(
    edges: ArrayLike, reference: ArrayLike, *others: ArrayLike, bins: int = DEFAULT_PSI_BINS
) -> tuple[FloatArray, tuple[FloatArray, ...]]:
    """Merge adjacent fine bins into about ``bins`` bins of about equal reference mass (as equal
    as the fine bins allow: a fine bin is never split).

    PSI grows with the number of bins, and its usual thresholds were set on about 10 (the default),
    so 100 quantile bins are coarsened before PSI. Each fine bin joins the coarse bin in which the
    middle of its reference mass falls, so 100 reference-quantile bins become 10 deciles; a bin
    holding a large point mass (discrete features) yields fewer, larger bins. With no reference
    mass, bins are grouped by position. Fewer fine bins than ``bins`` are returned unchanged.

    Returns
    -------
    (edges, counts)
        Coarse edges and the reference followed by ``others``, summed per coarse bin.
    """
    if bins < 1:
        raise InputError(f"bins must be >= 1, got {bins}")
    ref = _counts(reference, "reference counts")
    vectors = [ref, *(_counts(c, "counts") for c in others)]
    if any(v.size != ref.size for v in vectors):
        raise InputError("every count vector needs one entry per bin")
    e = _edges(edges, ref.size)
    if ref.size <= bins:
        return e, tuple(vectors)
    total = ref.sum()
    if total > 0:
        middle = (np.cumsum(ref) - ref / 2) / total
        group = np.minimum((middle * bins).astype(np.int64), bins - 1)
    else:
        group = np.arange(ref.size) * bins // ref.size
    starts = np.concatenate([[0], np.flatnonzero(np.diff(group)) + 1])
    new_edges = np.append(e[starts], e[-1])
    return new_edges, tuple(np.add.reduceat(v, starts) for v in vectors)
