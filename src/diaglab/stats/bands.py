"""Alert bands for metrics over time: how far a window's value may move by chance.

A band is calibrated on values of the same metric over *calibration windows*: chunks of the
labelled reference the size of a monitoring window, or the first production windows when the
reference cannot give the metric (latency, volume, label coverage). Its centre is their mean and
its half-width ``k`` standard deviations.

Sampling noise shrinks like ``1/sqrt(n)``, and production windows differ in size (late labels make
recent windows thin), so for metrics estimated from a sample (a proportion or a mean) the spread is
measured at a common size ``m`` and rescaled to each window's own size ``n``:
``half-width(n) = k · s · sqrt(m / n)``, where ``s`` is the standard deviation of
``(v_i − mean) · sqrt(n_i / m)`` over the calibration windows. Quantiles, counts and binned
calibration error keep a fixed half-width (``k · s``): their spread is not mostly sampling noise.

A fixed threshold (``low`` / ``high`` given by a person) overrides the calibrated band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from diaglab.errors import InputError
from diaglab.stats.intervals import FloatArray

MIN_WINDOWS = 8
"""Fewer calibration windows than this give no band: the spread of a few values is itself too
uncertain. For normal noise a new window leaves a 3-sigma band calibrated on 3 windows with
probability 0.12 (Student's t, 2 degrees of freedom), on 8 windows 0.025, against 0.0027 for
a known spread."""


@dataclass(frozen=True)
class Band:
    """A metric's alert band.

    Attributes
    ----------
    center
        Mean of the metric over the calibration windows (NaN for a fixed threshold).
    spread
        Standard deviation at size ``size`` (NaN for a fixed threshold or too few windows).
    size
        The window size ``m`` the spread refers to; NaN when the half-width does not scale.
    k
        Half-width in standard deviations.
    source
        ``"reference"`` (chunks of the reference), ``"baseline"`` (first production windows),
        ``"threshold"`` (set by hand) or ``"none"`` (nothing to calibrate on).
    windows
        Number of calibration windows.
    low, high
        For a fixed threshold: its bounds (either may be infinite). NaN otherwise.
    limits
        The metric's possible range; bounds are clipped to it.
    """

    center: float
    spread: float
    size: float
    k: float
    source: str
    windows: int = 0
    low: float = math.nan
    high: float = math.nan
    limits: tuple[float, float] = (-math.inf, math.inf)

    def bounds(self, n: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """``(low, high)`` per window of sizes ``n``; NaN where there is no band."""
        sizes = np.asarray(n, dtype=float)
        if self.source == "threshold":
            low = np.full(sizes.shape, self.low)
            high = np.full(sizes.shape, self.high)
            return low, high
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.sqrt(self.size / sizes) if math.isfinite(self.size) else np.ones_like(sizes)
            half = self.k * self.spread * np.where(sizes > 0, scale, np.nan)
        low = np.clip(self.center - half, *self.limits)
        high = np.clip(self.center + half, *self.limits)
        return low, high

    def judge(self, values: ArrayLike, n: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``(low, high, alert)`` per window: alert is 1.0 outside the band, 0.0 inside, NaN
        where the value or the band is missing."""
        v = np.asarray(values, dtype=float)
        low, high = self.bounds(n)
        outside = (v < np.where(np.isnan(low), -np.inf, low)) | (
            v > np.where(np.isnan(high), np.inf, high)
        )
        known = np.isfinite(v) & ~(np.isnan(low) & np.isnan(high))
        return low, high, np.where(known, outside.astype(float), np.nan)


def calibrate_band(
    values: ArrayLike,
    sizes: ArrayLike | None = None,
    *,
    k: float = 3.0,
    source: str = "reference",
    limits: tuple[float, float] = (-math.inf, math.inf),
) -> Band:
    """A band from a metric's values over calibration windows (see the module docstring).

    Parameters
    ----------
    values
        The metric per calibration window (NaN ignored).
    sizes
        Each window's sample size; when given, the half-width scales with ``sqrt(m / n)``, ``m``
        the median size. None keeps a fixed half-width.
    k
        Half-width in standard deviations (``>= 0``).
    source
        Where the windows come from, recorded in the band.
    limits
        The metric's range, e.g. (0, 1) for a proportion.

    Returns
    -------
    Band
        With ``source="none"`` and NaN spread when fewer than ``MIN_WINDOWS`` values are finite.
    """
    if not k >= 0:
        raise InputError(f"k must be >= 0, got {k!r}")
    v = np.asarray(values, dtype=float).ravel()
    n = np.ones_like(v) if sizes is None else np.asarray(sizes, dtype=float).ravel()
    if n.shape != v.shape:
        raise InputError(f"values ({v.size}) and sizes ({n.size}) differ in length")
    ok = np.isfinite(v) & np.isfinite(n) & (n > 0)
    v, n = v[ok], n[ok]
    if v.size < MIN_WINDOWS:
        return Band(math.nan, math.nan, math.nan, k, "none", int(v.size), limits=limits)
    if sizes is None:
        m = math.nan
        spread = float(v.std(ddof=1))
        center = float(v.mean())
    else:
        m = float(np.median(n))
        center = float(np.average(v, weights=n))
        spread = float(np.sqrt(np.sum((v - center) ** 2 * n / m) / (v.size - 1)))
    return Band(center, spread, m, k, source, int(v.size), limits=limits)


def threshold_band(
    low: float | None, high: float | None, *, limits: tuple[float, float] = (-math.inf, math.inf)
) -> Band:
    """A fixed band set by hand: alert below ``low`` or above ``high`` (None: no bound)."""
    lo = -math.inf if low is None else float(low)
    hi = math.inf if high is None else float(high)
    if math.isnan(lo) or math.isnan(hi) or lo > hi:
        raise InputError(f"a threshold needs low <= high, got ({low!r}, {high!r})")
    return Band(math.nan, math.nan, math.nan, math.nan, "threshold", 0, lo, hi, limits)
