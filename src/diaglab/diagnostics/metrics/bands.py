"""Alert bands of ``dl.metrics_over_time``: which windows calibrate each metric's band.

See :func:`diaglab.diagnostics.metrics.query.metrics_over_time` (Notes) for the rule and
:mod:`diaglab.stats.bands` for the arithmetic.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from diaglab.diagnostics.metrics.engine import default_baseline, reference_chunks, utc_index
from diaglab.diagnostics.metrics.resources import RESOURCE_METRICS
from diaglab.diagnostics.slices.query import metric_task
from diaglab.errors import DiaglabWarning, InputError
from diaglab.queries.timegrid import TimeGrid
from diaglab.queries.window import Window
from diaglab.stats.bands import MIN_WINDOWS, Band, calibrate_band, threshold_band
from diaglab.stats.metrics import metric_table

UNSCALED = frozenset(
    {
        "volume",
        "latency_p50",
        "latency_p90",
        "latency_p95",
        "latency_p99",
        "label_delay_p50",
        "label_delay_p90",
        "expected_calibration_error",
        *RESOURCE_METRICS,
    }
)
OPERATIONS = (
    "volume",
    "failure_rate",
    "latency_p50",
    "latency_p90",
    "latency_p95",
    "latency_p99",
    "label_coverage",
    "label_delay_p50",
    "label_delay_p90",
)
"""The operational metrics: known from the log at once, without labels."""
NOT_FROM_REFERENCE = frozenset({*OPERATIONS, *RESOURCE_METRICS})
"""Metrics the reference cannot give (it has no time, latency, label arrival or resources)."""
PROPORTIONS = frozenset(
    {
        "failure_rate",
        "label_coverage",
        "accuracy",
        "error",
        "precision",
        "recall",
        "f1",
        "roc_auc",
        "positive_rate",
        "mean_score",
        "brier_score",
    }
)


def typical_n(realized: pd.DataFrame) -> float:
    """The median size of a series' non-empty windows (of one metric's realized rows)."""
    n = realized["n"].to_numpy(float)
    n = n[np.isfinite(n) & (n > 0)]
    return float(np.median(n)) if n.size else math.nan


def metric_limits(m: str) -> tuple[float, float]:
    if m in PROPORTIONS:
        return (0.0, 1.0)
    if m == "r2" or m == "mean_residual":
        return (-math.inf, 1.0 if m == "r2" else math.inf)
    return (0.0, math.inf)


def band_for(
    store: Any,
    model: str,
    task: str,
    scores: bool,
    m: str,
    s: str,
    by_name: str | None,
    version: str | None,
    s_flat: pd.DataFrame,
    realized: pd.DataFrame,
    baseline: Window | None,
    grid: TimeGrid,
    cut: pd.DatetimeIndex,
    k: float,
    override: tuple[float | None, float | None] | None,
    center: float,
    confidence: float,
    bands_from: str,
    threshold: float | None = None,
) -> Band:
    limits = metric_limits(m)
    if override is not None:
        if not isinstance(override, tuple | list) or len(override) != 2:
            raise InputError(f"thresholds[{m!r}] is a (low, high) pair, got {override!r}")
        return threshold_band(override[0], override[1], limits=limits)
    scaled = m not in UNSCALED
    if bands_from == "reference" and m not in NOT_FROM_REFERENCE:
        ref_version = s if by_name == "model_version" else version
        versions = list(store.schema(model).versions)
        if ref_version is None and versions:
            ref_version = versions[-1]
        size_col = "n_labelled" if m not in ("mean_score", "positive_rate") else "n"
        sizes = s_flat[size_col].to_numpy(float)
        sizes = sizes[sizes > 0]
        if ref_version is not None and sizes.size:
            size = int(np.median(sizes))
            chunks = reference_chunks(
                store, model, task, scores, ref_version, size, center, threshold
            )
            if chunks is not None:
                frame, histogram = chunks
                try:
                    chunk_values: pd.DataFrame | None = metric_table(
                        frame,
                        m,
                        task=metric_task(task),  # type: ignore[arg-type]
                        histogram=histogram,
                        confidence=confidence,
                    )
                except InputError:
                    chunk_values = None
                if chunk_values is not None:
                    band = calibrate_band(
                        chunk_values["value"].to_numpy(float),
                        chunk_values["n"].to_numpy(float) if scaled else None,
                        k=k,
                        source="reference",
                        limits=limits,
                    )
                    if band.source != "none":
                        return band
    # Baseline: the series' first whole production windows.
    starts = utc_index(realized["_w"]) if len(realized) else pd.DatetimeIndex([], tz="UTC")
    values = realized["value"].to_numpy(float)
    n = realized["n"].to_numpy(float)
    whole = ~np.asarray(starts.isin(cut), dtype=bool)
    lo: pd.Timestamp | None = None
    hi: pd.Timestamp | None = None
    if baseline is not None and len(starts):
        lo = baseline.start if baseline.start is not None else starts.min()
        hi = baseline.end if baseline.end is not None else grid.ends(grid.index_of(starts)).max()
    elif baseline is None:
        have = starts[np.isfinite(values) & whole]
        if len(have):
            first = default_baseline(grid, have.min())
            lo, hi = first.start, first.end
    if lo is None or hi is None:
        return Band(math.nan, math.nan, math.nan, k, "none", limits=limits)
    pick = np.asarray((starts >= lo) & (starts < hi)) & whole
    return calibrate_band(
        values[pick], n[pick] if scaled else None, k=k, source="baseline", limits=limits
    )


def band_warnings(short: list[tuple[str, int]], freq: str) -> tuple[str, ...]:
    """A warning (issued, and returned for the result) naming the metrics with values but no
    band because their baseline holds fewer than ``MIN_WINDOWS`` windows."""
    if not short:
        return ()
    named = ", ".join(f"{m} ({n})" for m, n in sorted(set(short))[:8])
    text = (
        f"alert bands need at least {MIN_WINDOWS} baseline windows; {len(short)} metric series "
        f"have fewer per {freq!r} (windows in parentheses), so they get no band and no alerts: "
        f"{named}. Pass a longer baseline=(start, end), a shorter freq, or thresholds="
    )
    warnings.warn(text, DiaglabWarning, stacklevel=3)
    return (text,)
