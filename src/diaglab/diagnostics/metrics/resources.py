"""The resource metrics of ``dl.metrics_over_time``: what serving the predictions cost.

From the resource columns each call of ``dl.instrument`` / ``dl.Logger`` records
(:mod:`diaglab.producers.resources`): ``throughput`` (predictions per second of the window),
``cpu_ms_per_prediction`` (the calls' CPU ms per prediction, over the rows that measured it) and
``memory_mb`` (the largest peak RSS, in MB, a row of the window reported). They are computed from
one ``GROUP BY`` (:func:`resource_sums`); their alert bands come from the production baseline
(a reference has no resource figures) with a fixed width (they are not sample proportions).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from diaglab.diagnostics.metrics.table import reasons

RESOURCE_METRICS = ("throughput", "cpu_ms_per_prediction", "memory_mb")
"""Default metrics of a model whose rows carry resource figures (:func:`has_resources`)."""


def has_resources(store: Any, model: str) -> bool:
    """Whether any row of ``model`` reported resource figures (logged through a Logger or
    ``dl.instrument``; ``store.log`` rows have none)."""
    return bool(
        store.memo(
            ("mot-has-resources", model),
            lambda: store.table(model).rss_peak_mb.notnull().any().to_pyarrow().as_py(),
        )
    )


def resource_sums(keyed: Any) -> pd.DataFrame:
    """Per series and window: the calls' CPU ms summed over the rows that have it, how many do,
    and the largest peak RSS (MB) of the window."""
    agg = keyed.group_by(["_s", "_w"]).aggregate(
        cpu_ms_sum=keyed.cpu_ms.sum(),
        n_cpu=keyed.cpu_ms.count(),
        memory_mb=keyed.rss_peak_mb.max(),
        n_memory=keyed.rss_peak_mb.count(),
    )
    return agg.to_pyarrow().to_pandas()


def resource_metric(
    m: str, flat: pd.DataFrame, grid: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value, sample size and reasons of resource metric ``m`` per window of ``flat`` (the
    per-window statistics with :func:`resource_sums` merged in)."""
    rows_n = flat["n"].to_numpy(float)
    if m == "throughput":
        edges = grid.bounds(grid.index_of(flat["_w"]))
        seconds = (edges["window_end"] - edges["window_start"]).dt.total_seconds().to_numpy()
        return rows_n / seconds, rows_n, reasons(rows_n == 0, "no rows")
    measured = flat["n_cpu" if m == "cpu_ms_per_prediction" else "n_memory"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (
            flat["cpu_ms_sum"].to_numpy(float) / measured
            if m == "cpu_ms_per_prediction"
            else flat["memory_mb"].to_numpy(float)
        )
    why = reasons(
        rows_n == 0,
        "no rows",
        measured == 0,
        "no resource figures (rows logged through dl.instrument have them)",
    )
    return np.where(measured > 0, value, np.nan), measured, why
