"""The tidy tables of ``dl.metrics_over_time``: long rows per metric, then the result frames."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diaglab.diagnostics.metrics.engine import utc_index
from diaglab.stats.estimation import Calibration


def reasons(*rules: Any) -> np.ndarray:
    """Per row the text of the first ``(mask, text)`` pair whose mask holds, else None."""
    masks, texts = rules[::2], rules[1::2]
    out = np.full(len(masks[0]), None, dtype=object)
    for mask, text in reversed(list(zip(masks, texts, strict=True))):
        out[np.asarray(mask, dtype=bool)] = text
    return out


def rows(
    metric: str,
    kind: str,
    flat: pd.DataFrame,
    value: Any,
    n: Any,
    reason: Any,
    lower: Any = np.nan,
    upper: Any = np.nan,
    std_error: Any = np.nan,
) -> pd.DataFrame:
    """Long rows of one metric, in the shape of :func:`diaglab.stats.metrics.metric_table`."""
    return pd.DataFrame(
        {
            "metric": metric,
            "value": value,
            "lower": lower,
            "upper": upper,
            "std_error": std_error,
            "n": n,
            "reason": reason,
            "_s": flat["_s"].to_numpy(),
            "_w": flat["_w"].to_numpy(),
            "kind": kind,
        }
    )


def estimate_parts(
    per_version: Mapping[str, tuple[np.ndarray, np.ndarray]],
    calibrations: Mapping[str, Calibration],
) -> tuple[list[tuple[Calibration, Any, Any]], dict[str, int]]:
    """Each version's counts with its calibration (else the newest version's); none at all
    when no version has one."""
    parts: list[tuple[Calibration, Any, Any]] = []
    rows: dict[str, int] = {}
    for v, (n_b, pp_b) in per_version.items():
        cal = calibrations.get(v) or (
            calibrations[sorted(calibrations)[-1]] if calibrations else None
        )
        if cal is None:
            return [], {}
        rows[v] = cal.rows
        parts.append((cal, n_b, pp_b))
    return parts, rows


def tidy(
    long: pd.DataFrame,
    flat: pd.DataFrame,
    names: Sequence[str],
    bounds: Callable[[Any], pd.DataFrame],
    label_of: Callable[[Any], Any] | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``MetricsOverTime.table`` from the long rows, and ``.windows`` from the statistics.

    ``bounds`` gives the clipped ``window_start``, ``window_end`` and ``partial`` of bucket starts.
    """
    order = {m: i for i, m in enumerate(names)}
    edges = bounds(utc_index(long["_w"]))
    out = pd.DataFrame(
        {
            "series": [label_of(s) for s in long["_s"]] if label_of is not None else long["_s"],
            "window_start": pd.DatetimeIndex(edges["window_start"]),
            "window_end": pd.DatetimeIndex(edges["window_end"]),
            "partial": edges["partial"].to_numpy(bool),
            "metric": long["metric"].to_numpy(),
            "kind": long["kind"].to_numpy(),
            "value": long["value"].to_numpy(float),
            "low": long["lower"].to_numpy(float),
            "high": long["upper"].to_numpy(float),
            "n": long["n"].to_numpy(float),
            "reason": long["reason"].to_numpy(object),
            "band_low": long["band_low"].to_numpy(float),
            "band_high": long["band_high"].to_numpy(float),
            "alert": pd.array(
                [None if math.isnan(a) else bool(a) for a in long["alert"]], dtype="boolean"
            ),
            "gap": long["gap"].to_numpy(bool),
            "_order": long["metric"].map(order).to_numpy(),
            "_kind": (long["kind"] != "realized").to_numpy(int),  # realized first
            "_series": long["_s"].to_numpy(),
        }
    )
    out["reason"] = out["reason"].where(out["reason"].notna(), None)
    out = out.sort_values(["_series", "_order", "_kind", "window_start"], kind="stable")
    out = out.drop(columns=["_order", "_kind", "_series"]).reset_index(drop=True)
    edges = bounds(utc_index(flat["_w"]))
    windows = pd.DataFrame(
        {
            "series": [label_of(s) for s in flat["_s"]] if label_of is not None else flat["_s"],
            "window_start": pd.DatetimeIndex(edges["window_start"]),
            "window_end": pd.DatetimeIndex(edges["window_end"]),
            "partial": edges["partial"].to_numpy(bool),
            "n": flat["n"].to_numpy("int64"),
            "n_failed": flat["n_failed"].to_numpy("int64"),
            "n_labelled": flat["n_labelled"].to_numpy("int64"),
        }
    )
    served = (windows["n"] - windows["n_failed"]).to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        windows["label_coverage"] = np.where(served > 0, windows["n_labelled"] / served, np.nan)
    return out, windows
