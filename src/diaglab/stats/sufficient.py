"""The sufficient statistics: what the engine computes per group for the model-quality metrics.

The query engine groups prediction rows (by slice, by day, by model version) and returns per group
the counts and sums below, which one SQL ``GROUP BY`` computes in a single pass.

Sufficient statistics: one pandas row per group, its index naming the group. SQL ``SUM`` over no
rows is ``NULL``; a NULL (NaN) sum is read as "not available" and the metric gets a reason. Counts
must be present, finite and non-negative. Unless said otherwise a sum runs over *labelled* rows:
rows with both a prediction and a label.

========================  ========================================================================
column                    definition (per group)
========================  ========================================================================
``n``                     calls (rows), including failed ones
``n_failed``              calls that failed and returned no prediction
``n_labelled``            rows with a prediction and a label (classification: ``tp+fp+tn+fn``)
``tp fp tn fn``           confusion counts at the decision threshold, labelled rows
``n_positive_predicted``  rows predicted positive, labelled or not
``sum_score``             Σ s over rows with a prediction; s = probability of the positive class
``sum_score_sq``          Σ s² over rows with a prediction
``sum_log_loss``          Σ ℓ; ℓ = −y·ln s′ − (1−y)·ln(1−s′), s′ = clip(s, ε, 1−ε)
``sum_log_loss_sq``       Σ ℓ² (ε = LOG_LOSS_CLIP, as in scikit-learn)
``sum_brier``             Σ (s − y)²
``sum_brier_sq``          Σ (s − y)⁴
``sum_residual``          Σ e, with the residual e = y − ŷ (label minus prediction)
``sum_abs_err``           Σ |e|
``sum_sq_err``            Σ e² (equal to Σ |e|², so it also serves the MAE interval)
``sum_err_pow4``          Σ e⁴
``sum_y`` … ``sum_y4``    Σ (y − c), Σ (y − c)², Σ (y − c)³, Σ (y − c)⁴
``sum_sq_err_y``          Σ e²·(y − c)
``sum_sq_err_y2``         Σ e²·(y − c)²
``n_nonzero_label``       labelled rows with y ≠ 0
``sum_abs_pct_err``       Σ |e| / |y| over rows with y ≠ 0
``sum_abs_pct_err_sq``    Σ (e / y)² over rows with y ≠ 0
``latency_p50`` …         latency quantiles from the engine (p50, p90, p95, p99), passed on
========================  ========================================================================

``c`` is one constant for every group of a query (0, or better the reference mean of the label):
R² does not depend on it, and a ``c`` near the mean keeps the fourth-power sums free of
cancellation when labels are large. ROC AUC and calibration error also need a
:class:`ScoreHistogram` per group (long format from the engine: ``HISTOGRAM_COLUMNS``).
"""

from __future__ import annotations

import numpy as np

LOG_LOSS_CLIP = float(np.finfo(np.float64).eps)
"""Scores are clipped to [ε, 1 − ε] before the log loss, as scikit-learn does for float64."""

CONFUSION_COLUMNS = ("n_labelled", "tp", "fp", "tn", "fn")
SCORE_COLUMNS = (
    "sum_score",
    "sum_score_sq",
    "sum_log_loss",
    "sum_log_loss_sq",
    "sum_brier",
    "sum_brier_sq",
)
REGRESSION_COLUMNS = (
    "n_labelled",
    "sum_residual",
    "sum_abs_err",
    "sum_sq_err",
    "sum_err_pow4",
    "sum_y",
    "sum_y2",
    "sum_y3",
    "sum_y4",
    "sum_sq_err_y",
    "sum_sq_err_y2",
    "n_nonzero_label",
    "sum_abs_pct_err",
    "sum_abs_pct_err_sq",
)
LATENCY_COLUMNS = ("latency_p50", "latency_p90", "latency_p95", "latency_p99")

COUNT_COLUMNS = frozenset(
    {*CONFUSION_COLUMNS, "n", "n_failed", "n_positive_predicted", "n_nonzero_label"}
)
KNOWN_COLUMNS = frozenset({*COUNT_COLUMNS, *SCORE_COLUMNS, *REGRESSION_COLUMNS, *LATENCY_COLUMNS})
