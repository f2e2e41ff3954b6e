"""``dl.fairness_over_time``: each disparity measure per ``freq`` window, with alert bands.

The same cells as :func:`diaglab.diagnostics.fairness.query.fairness`, keyed by window too (one
query), give each window's groups and disparities. A measure's band is calibrated on its baseline
windows (:func:`diaglab.stats.bands.calibrate_band`, as for ``dl.metrics_over_time``): by default
the first 14 days or the first 8 windows, whichever is longer; its half-width scales with the
smaller compared group's size, since a difference of two rates is mostly sampling noise. ``bounds``
replaces a band by fixed limits, e.g. ``{"equalized_odds": (None, 0.05)}``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from diaglab.diagnostics.fairness.disparities import (
    disparity_frame,
    reference_groups,
    with_reference,
)
from diaglab.diagnostics.fairness.query import checked, fairness_cells, group_frame, group_labeller
from diaglab.diagnostics.metrics.engine import default_baseline, utc_index
from diaglab.errors import DiaglabWarning, InputError, unknown
from diaglab.queries.result import Result
from diaglab.queries.scope import scoped_table, threshold_text
from diaglab.queries.timegrid import Freq, epoch_micros, span_of
from diaglab.queries.window import Window
from diaglab.stats.bands import Band, calibrate_band, threshold_band
from diaglab.stats.fairness import MEASURES

if TYPE_CHECKING:
    from diaglab.diagnostics.fairness.spec import FairnessOverTimeSpec


@dataclass(frozen=True, kw_only=True, repr=False)
class FairnessOverTime(Result):
    """Disparities per window.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (``sensitive``, ``measure``, ``window_start``): the columns of
        ``FairnessReport.disparities`` plus ``n`` (rows in the window), ``band_low``,
        ``band_high`` and ``alert`` (1.0 outside the band, 0.0 inside, NaN unknown).
    groups : pandas.DataFrame
        Each window's group metrics (``FairnessReport.groups`` with ``window_start``).
    bands : pandas.DataFrame
        Per (``sensitive``, ``measure``): the band's centre, spread, source and windows.
    """

    model: str
    freq: str
    sensitive: tuple[str, ...]
    table: pd.DataFrame = field(repr=False)
    groups: pd.DataFrame = field(repr=False)
    bands: pd.DataFrame = field(repr=False)
    threshold: str = ""
    warnings: tuple[str, ...] = ()

    def alerts(self) -> pd.DataFrame:
        """The windows outside their band."""
        return self.table[self.table["alert"] == 1.0].reset_index(drop=True)


def fairness_over_time(
    store: Any,
    spec: FairnessOverTimeSpec,
    *,
    group_names: Mapping[str, Mapping[str, str]] | None = None,
) -> FairnessOverTime:
    """Demographic parity, equalized odds, equal opportunity and predictive parity per window.

    Parameters are those of :func:`diaglab.diagnostics.fairness.query.fairness`, plus ``freq`` (the
    window grammar of :mod:`diaglab.queries.timegrid`), ``band_sigma`` (half-width of the bands in
    standard deviations), ``bounds`` (fixed ``(low, high)`` per measure instead of a band),
    ``baseline`` (the windows calibrating the bands), ``tz`` and ``week_start``.

    Examples
    --------
    >>> ft = dl.fairness_over_time(store, "credit", sensitive="region", freq="7D")  # doctest: +SKIP
    >>> ft.alerts()[["window_start", "measure", "difference", "band_high"]]  # doctest: +SKIP
    """
    model, window, where = spec.model, spec.scope.window, spec.scope.where
    version, threshold, sensitive = spec.scope.version, spec.scope.threshold, spec.sensitive
    freq, metrics, reference = spec.freq, spec.metrics, spec.reference_group
    min_support, max_difference, band_sigma = spec.min_support, spec.max_difference, spec.band_sigma
    bounds, baseline, confidence = spec.bounds, spec.baseline, spec.confidence
    tz, week_start = spec.tz, spec.week_start
    schema, attrs, names = checked(store, model, sensitive, metrics, min_support)
    fixed = dict(bounds or {})
    for m in fixed:
        if m not in MEASURES:
            raise unknown("measure in bounds", m, list(MEASURES))
    period = Freq.parse(freq, tz=tz, week_start=week_start)
    table, win = scoped_table(store, model, window, where, version, threshold)
    grid = period.grid(win, span=lambda: span_of(table))
    backend = str(getattr(store.ibis, "name", "duckdb"))
    w = grid.index(epoch_micros(table.timestamp, backend))
    key = ("fairness-time-cells", model, str(win), str(where), version, threshold, tuple(attrs))
    cells = store.memo(
        (*key, grid.key),
        lambda: fairness_cells(table, attrs, {"_w": w}),
    )
    label = group_labeller(store, schema, attrs, group_names)
    cells["window_start"] = grid.starts(cells["_w"].to_numpy("int64"))
    cells = cells.drop(columns=["_w"])
    keys = ["window_start"]
    groups = group_frame(cells, attrs, label, names, confidence, keys=keys)
    # the reference group is chosen on the whole period, so it is the same in every window
    overall = groups.groupby(["sensitive", "group", "name"], as_index=False, sort=False).agg(
        n=("n", "sum")
    )
    refs, _ = reference_groups(overall, reference, attrs)
    parts = []
    for _, part in groups.groupby("window_start", sort=True):
        present = {s: g for s, g in refs.items() if (part["group"] == g).any()}
        part = part[part["sensitive"].isin(present)]
        if not part.empty:
            parts.append(with_reference(part, present, names, min_support, confidence))
    groups = pd.concat(parts, ignore_index=True) if parts else groups.iloc[:0]
    table_out = disparity_frame(groups, names, refs, min_support, max_difference, confidence, keys)
    if table_out.empty:
        raise InputError(f"no disparity can be computed for {model!r} in {win}: no rows")
    size = groups.groupby(["window_start", "sensitive"])["n"].sum()
    table_out["n"] = size.reindex(
        pd.MultiIndex.from_frame(table_out[["window_start", "sensitive"]])
    ).to_numpy()
    smaller = _smaller_group(groups, table_out)
    table_out, bands, notes = _judge(table_out, smaller, fixed, baseline, grid, band_sigma)
    for note in notes:
        warnings.warn(note, DiaglabWarning, stacklevel=3)
    first = ["sensitive", "measure", "window_start"]
    table_out = table_out[first + [c for c in table_out.columns if c not in first]]
    return FairnessOverTime(
        model=model,
        freq=str(period),
        sensitive=tuple(attrs),
        table=table_out.sort_values(first, ignore_index=True),
        groups=groups,
        bands=bands,
        threshold=threshold_text(schema, threshold, version),
        warnings=tuple(notes),
    )


def _smaller_group(groups: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    """Per disparity row, the size (labelled rows; rows for the selection rate) of the smaller
    of its two extreme groups."""
    sizes: dict[tuple[Any, Any, Any], tuple[float, float]] = {
        (w, s, g): (float(n), float(nl))
        for w, s, g, n, nl in zip(
            groups["window_start"],
            groups["sensitive"],
            groups["group"],
            groups["n"],
            groups["n_labelled"],
            strict=True,
        )
    }
    out = np.full(len(table), np.nan)
    for i, r in enumerate(table.to_dict(orient="records")):
        high, low = r["group_high"], r["group_low"]
        if not isinstance(high, str) or not isinstance(low, str):  # no pair this window
            continue
        column = 0 if r["measure"] == "demographic_parity" else 1
        hi = sizes[(r["window_start"], r["sensitive"], high)][column]
        lo = sizes[(r["window_start"], r["sensitive"], low)][column]
        out[i] = min(hi, lo)
    return out


def _judge(
    table: pd.DataFrame,
    sizes: np.ndarray,
    fixed: Mapping[str, tuple[float | None, float | None]],
    baseline: Any,
    grid: Any,
    k: float,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    table = table.copy()
    low = np.full(len(table), np.nan)
    high = np.full(len(table), np.nan)
    alert = np.full(len(table), np.nan)
    rows, notes = [], []
    span = Window.of(baseline) if baseline is not None else None
    series: dict[Any, Any] = dict(table.groupby(["sensitive", "measure"], sort=False).indices)
    for (s, m), at in series.items():
        part = table.iloc[at]
        values = part["difference"].to_numpy(float)
        n = sizes[at]
        band: Band
        if m in fixed:
            lo_hi = fixed[m]
            if not isinstance(lo_hi, tuple | list) or len(lo_hi) != 2:
                raise InputError(f"bounds[{m!r}] is a (low, high) pair, got {lo_hi!r}")
            band = threshold_band(lo_hi[0], lo_hi[1], limits=(0.0, 1.0))
        else:
            starts = utc_index(part["window_start"])
            known = np.isfinite(values)
            first = starts[known].min() if known.any() else starts.min()
            chosen = span if span is not None else default_baseline(grid, first)
            lo = chosen.start if chosen.start is not None else starts.min()
            hi = chosen.end if chosen.end is not None else starts.max() + pd.Timedelta(1, "us")
            inside = np.asarray((starts >= lo) & (starts < hi))
            band = calibrate_band(
                values[inside], n[inside], k=k, source="baseline", limits=(0.0, 1.0)
            )
            if band.source == "none":
                notes.append(
                    f"{s}: {m} has {band.windows} baseline window(s) with a value; a band needs "
                    "8: pass a longer baseline=, a shorter freq, or bounds="
                )
        lo_b, hi_b, al = band.judge(values, n)
        low[at], high[at], alert[at] = lo_b, hi_b, al
        rows.append(
            {
                "sensitive": s,
                "measure": m,
                "center": band.center,
                "spread": band.spread,
                "source": band.source,
                "windows": band.windows,
                "low": band.low,
                "high": band.high,
            }
        )
    table["band_low"], table["band_high"], table["alert"] = low, high, alert
    return table, pd.DataFrame(rows), notes
