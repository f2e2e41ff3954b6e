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
