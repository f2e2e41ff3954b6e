"""Multiple testing: p-values adjusted across the features of a report or the slices of a search."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from diaglab.errors import InputError
from diaglab.stats.intervals import FloatArray

Correction = Literal["holm", "bh", "bonferroni", "none"]

CORRECTIONS: tuple[Correction, ...] = ("holm", "bh", "bonferroni", "none")


def adjust_p_values(p_values: ArrayLike, *, method: Correction = "holm") -> FloatArray:
    """p-values adjusted for multiple testing; NaN entries stay NaN and are not counted.

    ``holm`` (Holm–Bonferroni step-down, family-wise error), ``bh`` (Benjamini–Hochberg step-up,
    false discovery rate; equals ``scipy.stats.false_discovery_control``), ``bonferroni``, or
    ``none``. Compare the result with alpha: ``adjusted <= alpha`` is a rejection.
    """
    if method not in CORRECTIONS:
        raise InputError(f"unknown correction {method!r}; known: {', '.join(CORRECTIONS)}")
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1 or np.any((p < 0) | (p > 1)):
        raise InputError("p_values must be a one-dimensional array of values in [0, 1] or NaN")
    out = np.full_like(p, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    m = tested.size
    if m == 0 or method == "none":
        out[tested] = p[tested]
        return out
    order = tested[np.argsort(p[tested], kind="stable")]
    ranked = p[order]
    if method == "bonferroni":
        adjusted = ranked * m
    elif method == "holm":
        adjusted = np.maximum.accumulate(ranked * (m - np.arange(m)))
    else:
        adjusted = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    out[order] = np.minimum(adjusted, 1.0)
    return out


def benjamini_hochberg(p_values: ArrayLike) -> FloatArray:
    """Benjamini–Hochberg adjusted p-values (q-values), controlling the false discovery rate.

    Declaring every group with an adjusted p-value ≤ α significant keeps the expected share of
    false discoveries among them at most α (for independent or positively dependent tests). NaN
    p-values (groups without a test) stay NaN and do not count towards the number of tests.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, float("nan")]).round(3).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    p = np.asarray(p_values, dtype=np.float64)
    return adjust_p_values(p.ravel(), method="bh").reshape(p.shape)


def weighted_benjamini_hochberg(
    p_values: ArrayLike, weights: ArrayLike, *, hypotheses: float | None = None
) -> FloatArray:
    """Weighted Benjamini–Hochberg adjusted p-values (Genovese, Roeder & Wasserman 2006).

    Hypothesis ``i`` with weight ``w_i`` is rejected at level α when
    ``p_i ≤ w_i · α · R / m``, where ``m`` is the number of hypotheses (``hypotheses``, which may
    exceed the number given: the others are never rejected, as if their p-value were +∞) and
    ``R`` the largest ``k`` with at least ``k`` hypotheses passing ``p_i ≤ w_i α k / m``. The
    adjusted value is ``min_{j ≥ rank(i)} m · q_(j) / j`` over the sorted ``q = p / w``, so
    ``adjusted ≤ α`` is exactly that rejection. The weights must sum to at most ``m``; equal
    weights of 1 give plain Benjamini–Hochberg. NaN p-values, p-values of 1 and zero weights are
    never rejected (adjusted value NaN, 1 and 1).

    Guarantee
    ---------
    If the weights are fixed before the data are seen and the p-values of the true null
    hypotheses are super-uniform (``P(p_i ≤ t) ≤ t``) and independent of the other p-values,
    ``FDR ≤ α · Σ_{i null} w_i / m ≤ α``.

    *Proof* (the leave-one-out argument of Benjamini & Yekutieli 2001, with weights). Let
    ``R_i`` be the number of rejections when ``p_i`` is replaced by 0: a function of the other
    p-values only. Step-up rejection is self-consistent, so ``i`` is rejected iff
    ``p_i ≤ w_i α R_i / m``, and then ``R = R_i``. Hence, with ``V`` the false rejections,

        ``FDR = E[V / max(R, 1)] = Σ_{i null} E[ 1{p_i ≤ w_i α R_i / m} / R_i ]``
        ``    = Σ_{i null} E[ P(p_i ≤ w_i α R_i / m | p_{−i}) / R_i ]``
        ``    ≤ Σ_{i null} E[ (w_i α R_i / m) / R_i ] = α Σ_{i null} w_i / m ≤ α``,

    using independence for the conditional probability and super-uniformity for the bound.
    Never rejecting a hypothesis (p-value +∞, still super-uniform) keeps the argument. Under
    positive regression dependence (PRDS) the same bound holds (Blanchard & Roquain 2008,
    Theorem 3.3 with weights); under arbitrary dependence it needs BY's ``Σ 1/k`` factor.

    Examples
    --------
    >>> weighted_benjamini_hochberg([0.004, 0.03], [4.0, 1.0], hypotheses=10).round(3).tolist()
    [0.01, 0.15]
    """
    p = np.asarray(p_values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if p.ndim != 1 or p.shape != w.shape:
        raise InputError("p_values and weights must be one-dimensional arrays of one length")
    if np.any((p < 0) | (p > 1)):
        raise InputError("p_values must lie in [0, 1] or be NaN")
    if not np.all(np.isfinite(w) & (w >= 0)):
        raise InputError("weights must be finite and non-negative")
    m = float(p.size if hypotheses is None else hypotheses)
    if w.sum() > m * (1 + 1e-9):
        raise InputError(f"weights sum to {w.sum():.6g}, more than the {m:g} hypotheses")
    out = np.full_like(p, np.nan)
    live = ~np.isnan(p)
    out[live] = 1.0
    candidates = np.flatnonzero(live & (p < 1) & (w > 0))
    if candidates.size == 0:
        return out
    q = p[candidates] / w[candidates]
    order = np.argsort(q, kind="stable")
    ranked = q[order] * m / np.arange(1, q.size + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    out[candidates[order]] = np.minimum(adjusted, 1.0)
    return out


def level_shares(levels: int) -> FloatArray:
    """The share of the false-discovery budget of each level of a slice lattice: ``2^−L``,
    normalised over levels ``1..levels`` (3 levels: 4/7, 2/7, 1/7), so that one condition, what
    a person reads first, gets half or more and each added condition half as much again."""
    if levels < 1:
        raise InputError(f"levels must be at least 1, got {levels}")
    raw = 0.5 ** np.arange(1, levels + 1)
    return np.asarray(raw / raw.sum(), dtype=np.float64)


def level_weights(level_sizes: ArrayLike, *, shares: ArrayLike | None = None) -> FloatArray:
    """Weighted-BH weight of one hypothesis at each level of a lattice with these level sizes.

    Level ``L`` (``m_L`` hypotheses) gets the share ``π_L`` of the budget (default
    :func:`level_shares`), spread evenly: each of its hypotheses weighs ``m · π_L / m_L`` with
    ``m = Σ m_L``, so the weights sum to ``m`` and :func:`weighted_benjamini_hochberg` keeps its
    guarantee. A level-``L`` hypothesis is then rejected when ``p ≤ π_L α R / m_L``: a
    one-condition slice competes with the one-condition slices, not with the whole lattice.
    Shares of empty levels go to the others.
    """
    sizes = np.asarray(level_sizes, dtype=np.float64)
    if sizes.ndim != 1 or np.any(sizes < 0):
        raise InputError("level_sizes must be non-negative counts")
    pi = level_shares(sizes.size) if shares is None else np.asarray(shares, dtype=np.float64)
    if pi.shape != sizes.shape or np.any(pi < 0) or not pi.sum() > 0:
        raise InputError("shares need one non-negative value per level, not all zero")
    pi = np.where(sizes > 0, pi, 0.0)
    if not pi.sum() > 0:
        return np.zeros_like(sizes)
    pi = pi / pi.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sizes > 0, sizes.sum() * pi / sizes, 0.0)
