"""Label-free performance estimates: confidence-based performance estimation (CBPE).

When labels have not arrived, a *calibrated* score says how often the model is right: a row with
calibrated probability ``p`` of being positive that is predicted positive is right with probability
``p``, one predicted negative with ``1 − p``. Summed over a window this gives the expected accuracy;
treating each row as ``p`` of a positive and ``1 − p`` of a negative gives the expected ROC curve
and its AUC (NannyML's CBPE, Kivimäki et al.).

Calibration: isotonic regression (pool-adjacent-violators) of the labelled reference's positive
share on the score, fitted on the reference's score histogram (``DEFAULT_SCORE_BINS`` bins), so no
row leaves the engine. Isotonic rather than Platt scaling because it assumes only that the
probability rises with the score: gradient-boosted models are often miscalibrated in shapes a
logistic curve cannot follow, and with tens of thousands of reference rows its variance is small.
Bins the reference never saw take the value of the nearest bin that it did.

Intervals are for the value the realized metric will take once labels arrive, if the calibration
still holds: accuracy's variance is the Poisson-binomial one (``Σ p(1 − p) / n²``) plus the
calibration's own (each isotonic block's share has binomial variance on its reference rows); the
AUC's is Newcombe's interval at the expected class sizes.

What CBPE can and cannot see (tested in tests/test_metrics_time.py): it follows a drop caused by
covariate shift (more rows where the model is unsure); it cannot see concept shift (the same
inputs now meaning another outcome), because it assumes ``P(y | score)`` is the reference's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from diaglab.errors import InputError
from diaglab.stats.intervals import Estimate, FloatArray, auc_estimate, z_value
from diaglab.stats.scores import ScoreHistogram, binned_roc_auc

ESTIMATED_METRICS = ("accuracy", "roc_auc")


@dataclass(frozen=True, eq=False)
class Calibration:
    """Calibrated probability of the positive class per score bin.

    Attributes
    ----------
    probability
        Per bin, the isotonic fit (shape ``(n_bins,)``).
    block
        Per bin, the id of its isotonic block (bins sharing one fitted value).
    block_rows
        Per bin, the reference rows in its block (the fit's sample size there).
    rows
        Labelled reference rows with a score.
    method
        ``"isotonic"``.
    """

    probability: FloatArray
    block: NDArray[np.int64]
    block_rows: FloatArray
    rows: int
    method: str = "isotonic"


def _pav(share: FloatArray, weight: FloatArray) -> tuple[FloatArray, NDArray[np.int64]]:
    """Weighted pool-adjacent-violators: the non-decreasing fit and block id per point."""
    values: list[float] = []
    weights: list[float] = []
    sizes: list[int] = []
    for v, w in zip(share, weight, strict=True):
        values.append(float(v))
        weights.append(float(w))
        sizes.append(1)
        while len(values) > 1 and values[-2] > values[-1]:
            w2 = weights[-2] + weights[-1]
            v2 = (values[-2] * weights[-2] + values[-1] * weights[-1]) / w2
            s2 = sizes[-2] + sizes[-1]
            del values[-1], weights[-1], sizes[-1]
            values[-1], weights[-1], sizes[-1] = v2, w2, s2
    fit = np.repeat(values, sizes)
    block = np.repeat(np.arange(len(sizes)), sizes)
    return fit, block


def fit_calibration(positives: ArrayLike, negatives: ArrayLike) -> Calibration:
    """Isotonic calibration from a reference score histogram (labelled rows per bin).

    Raises
    ------
    InputError
        If the reference has no positive or no negative labels.
    """
    pos = np.asarray(positives, dtype=float).ravel()
    neg = np.asarray(negatives, dtype=float).ravel()
    if pos.shape != neg.shape:
        raise InputError("positives and negatives need one length")
    if not (np.isfinite(pos).all() and np.isfinite(neg).all() and (pos >= 0).all()):
        raise InputError("histogram counts must be finite and non-negative")
    if pos.sum() == 0 or neg.sum() == 0:
        raise InputError(
            "calibrating scores needs labelled reference rows of both classes; the reference has "
            f"{int(pos.sum())} positive and {int(neg.sum())} negative labels with a score"
        )
    total = pos + neg
    seen = np.flatnonzero(total > 0)
    fit, block = _pav(pos[seen] / total[seen], total[seen])
    rows_per_block = np.bincount(block, weights=total[seen])
    # Every bin takes the nearest seen bin's value (ties: the lower one).
    nearest = seen[np.clip(np.searchsorted(seen, np.arange(pos.size)), 0, seen.size - 1)]
    lower = seen[np.clip(np.searchsorted(seen, np.arange(pos.size), side="right") - 1, 0, None)]
    pick = np.where(
        np.abs(np.arange(pos.size) - lower) <= np.abs(nearest - np.arange(pos.size)),
        lower,
        nearest,
    )
    where = np.searchsorted(seen, pick)
    return Calibration(
        probability=fit[where],
        block=block[where].astype(np.int64),
        block_rows=rows_per_block[block[where]].astype(float),
        rows=int(total.sum()),
    )


def expected_counts(calibration: Calibration, scored: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Expected positives and negatives per group and bin from the counts of scored rows."""
    n = np.atleast_2d(np.asarray(scored, dtype=float))
    p = calibration.probability
    return n * p, n * (1 - p)


def cbpe(
    parts: Sequence[tuple[Calibration, ArrayLike, ArrayLike]],
    *,
    confidence: float = 0.95,
) -> dict[str, Estimate]:
    """Expected accuracy and ROC AUC per group, with intervals for the realized values.

    Parameters
    ----------
    parts
        One ``(calibration, scored, predicted_positive)`` per model version (or a single one):
        its calibration from :func:`fit_calibration` on that version's reference, the rows with
        a score per group and bin (shape ``(n_groups, n_bins)``, labelled or not), and of those
        the rows predicted positive. Expected counts add up over the parts.
    confidence
        Level of the intervals.

    Returns
    -------
    dict
        ``{"accuracy": Estimate, "roc_auc": Estimate}``, NaN for groups without scored rows.
    """
    if not parts:
        raise InputError("cbpe needs at least one (calibration, scored, predicted_positive)")
    arrays = []
    for calibration, scored, predicted_positive in parts:
        n_b = np.atleast_2d(np.asarray(scored, dtype=float))
        pp_b = np.atleast_2d(np.asarray(predicted_positive, dtype=float))
        size = calibration.probability.size
        if n_b.shape != pp_b.shape or n_b.shape[1] != size:
            raise InputError(
                f"scored {n_b.shape} and predicted_positive {pp_b.shape} need shape "
                f"(groups, {size})"
            )
        if ((pp_b > n_b + 1e-9) | (pp_b < 0)).any():
            raise InputError("predicted_positive must lie between 0 and scored")
        arrays.append((calibration, n_b, pp_b))
    if len({a[1].shape for a in arrays}) != 1:
        raise InputError("every part needs the same (groups, bins) shape")
    n = sum(a[1].sum(axis=1) for a in arrays)
    right = np.zeros_like(n)
    variance = np.zeros_like(n)
    positives = np.zeros_like(arrays[0][1])
    negatives = np.zeros_like(arrays[0][1])
    with np.errstate(invalid="ignore", divide="ignore"):
        for calibration, n_b, pp_b in arrays:
            p = calibration.probability
            right += (pp_b * p + (n_b - pp_b) * (1 - p)).sum(axis=1)
            variance += (n_b * p * (1 - p)).sum(axis=1) / n**2  # Poisson-binomial sampling
            coefficient = (2 * pp_b - n_b) / n[:, None]  # d accuracy / d p_b
            first = np.unique(calibration.block, return_index=True)[1]
            for b, i in enumerate(first):
                c = coefficient[:, calibration.block == b].sum(axis=1)
                q = p[i]
                variance += c**2 * q * (1 - q) / calibration.block_rows[i]
            pos, neg = expected_counts(calibration, n_b)
            positives += pos
            negatives += neg
        accuracy = np.where(n > 0, right / n, np.nan)
        std_error = np.sqrt(variance)
    z = z_value(confidence)
    acc = Estimate(
        accuracy,
        np.clip(accuracy - z * std_error, 0, 1),
        np.clip(accuracy + z * std_error, 0, 1),
        std_error,
        n,
    )
    histogram = ScoreHistogram(positives, negatives, np.zeros_like(positives))
    auc = auc_estimate(
        binned_roc_auc(histogram),
        positives.sum(axis=1),
        negatives.sum(axis=1),
        confidence=confidence,
    )
    return {"accuracy": acc, "roc_auc": auc}
