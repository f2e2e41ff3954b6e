"""Quantiles of a positive quantity (latency) from counts in log-spaced bins.

The engine counts rows per bin ``b = floor(ln(max(x, floor_value)) · bins_per_e)``: a bin spans
a factor ``e^(1/bins_per_e)`` of its value (0.5% at the default ``LOG_BINS = 200``). A quantile
is read as numpy (and SQL's ``quantile_cont``) define it, linearly between the two rows around
the position ``q·(N − 1)``, each of those rows placed by its rank inside its bin. Each lies
within one bin of its true value, so the quantile is within one bin's width
(``RELATIVE_TOLERANCE``, 0.5%) of the exact one, however sparse the rows. Values below the
engine's floor count as the floor. Counts add up: the histogram of a union of groups (every
slice together) is the sum of theirs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

LOG_BINS = 200
"""Bins per factor e: a bin spans 0.5% of its value."""
RELATIVE_TOLERANCE = float(np.exp(1 / LOG_BINS) - 1)
"""One bin's width (0.5%): the largest relative gap to the exact quantile."""


def log_bin(value: ArrayLike, bins_per_e: int = LOG_BINS) -> NDArray[np.int64]:
    """The bin of each value, as the engine computes it (for tests and small inputs)."""
    return np.floor(np.log(np.asarray(value, dtype=float)) * bins_per_e).astype(np.int64)


def log_quantiles(
    bins: ArrayLike, counts: ArrayLike, qs: Sequence[float], bins_per_e: int = LOG_BINS
) -> NDArray[np.float64]:
    """The ``qs`` quantiles of the values counted in ``bins`` (NaN when nothing was counted).

    Parameters
    ----------
    bins : array of int
        Log bins (any order, repeats allowed: their counts add up).
    counts : array
        Rows per entry of ``bins``.
    qs : sequence of float
        Quantile levels in [0, 1].
    """
    b = np.asarray(bins, dtype=np.int64)
    n = np.asarray(counts, dtype=float)
    if b.shape != n.shape:
        raise ValueError(f"bins and counts differ in shape: {b.shape} vs {n.shape}")
    if any(not 0 <= q <= 1 for q in qs):
        raise ValueError(f"quantile levels must lie in [0, 1], got {list(qs)}")
    keep = n > 0
    if not keep.any():
        return np.full(len(qs), np.nan)
    uniq, inverse = np.unique(b[keep], return_inverse=True)
    per_bin = np.bincount(inverse, weights=n[keep])
    cum = np.cumsum(per_bin)
    total = cum[-1]

    def row(rank: float) -> float:
        """The row of 0-based ``rank``: its bin, and its place among the bin's rows."""
        i = min(int(np.searchsorted(cum, rank, side="right")), len(cum) - 1)
        before = cum[i - 1] if i else 0.0
        inside = (rank - before + 0.5) / per_bin[i]
        return float(np.exp((uniq[i] + min(max(inside, 0.0), 1.0)) / bins_per_e))

    out = np.empty(len(qs))
    for j, q in enumerate(qs):
        # numpy's (and SQL's quantile_cont's) definition: linear between the two rows around
        # the position q·(N − 1)
        position = q * (total - 1)
        low = np.floor(position)
        lo, hi = row(low), row(min(low + 1, total - 1))
        out[j] = lo + (position - low) * (hi - lo)
    return out
