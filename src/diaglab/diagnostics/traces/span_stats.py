"""Span statistics over time: per span name and window, volume, errors and latency percentiles.

``dl.span_stats(store, freq="1D")`` counts in the engine and ships counts, not spans: the latency
percentiles come from log-spaced duration histograms (:mod:`diaglab.stats.log_histogram`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from diaglab.diagnostics.traces.search import find_traces, window_filter
from diaglab.errors import InputError, unknown
from diaglab.queries.result import Result
from diaglab.queries.timegrid import Freq, span_of
from diaglab.queries.window import Window
from diaglab.stats.log_histogram import LOG_BINS, log_quantiles

if TYPE_CHECKING:
    from diaglab.diagnostics.traces.spec import SpanStatsSpec

SPAN_QUANTILES = (0.5, 0.95, 0.99)
MIN_DURATION_MS = 1e-3
"""Durations below one microsecond (or negative, under clock skew) count as one microsecond."""


@dataclass(frozen=True, repr=False)
class SpanStats(Result):
    """Per span name and window: volume, errors and latency percentiles; and the slowest traces.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``window_start``, ``window_end`` (UTC, clipped to the window), ``partial`` (cut
        by the window's start or end), ``name``, ``volume``, ``errors``, ``error_rate``,
        ``p50_ms``, ``p95_ms``, ``p99_ms``, ``mean_ms``. Windows without spans of a name are
        absent (gaps), never zeros.
    slowest : pandas.DataFrame
        The slowest traces (by root span duration): ``trace_id``, ``name``, ``start``,
        ``duration_ms``, ``status``.
    freq : str
    names : tuple of str
        Span names, most frequent first.
    """

    table: pd.DataFrame = field(repr=False)
    slowest: pd.DataFrame = field(repr=False)
    freq: str
    names: tuple[str, ...]

    def summary(self) -> pd.DataFrame:
        """One row per span name over the whole period: volume, error rate, median p95."""
        g = self.table.groupby("name", sort=False)
        out = pd.DataFrame(
            {
                "volume": g["volume"].sum(),
                "errors": g["errors"].sum(),
                "median_p50_ms": g["p50_ms"].median(),
                "median_p95_ms": g["p95_ms"].median(),
                "max_p99_ms": g["p99_ms"].max(),
            }
        )
        out["error_rate"] = out["errors"] / out["volume"]
        return out.loc[list(self.names)].reset_index()


def span_stats(store: Any, spec: SpanStatsSpec) -> SpanStats:
    """Per span name per ``freq`` window: volume, error rate, latency p50/p95/p99; slowest traces.

    ``freq`` follows the grammar of :mod:`diaglab.queries.timegrid` ('1h', '1D', '7D', 'W', 'M',
    ...; calendar periods in ``tz``, weeks from ``week_start``). The percentiles are read
    from log-spaced duration histograms counted in the engine (within 0.5% of the exact ones,
    :mod:`diaglab.stats.log_histogram`): memory stays bounded however many spans a window holds,
    and only counts come back. Results are kept until the store ingests anything new.

    Examples
    --------
    >>> stats = dl.span_stats(store, freq="1D")  # doctest: +SKIP
    >>> stats.summary()  # doctest: +SKIP
    """
    window, freq, names, top, tz = spec.scope.window, spec.freq, spec.names, spec.top, spec.tz
    week_start = spec.week_start
    period = Freq.parse(freq, tz=tz, week_start=week_start)
    if not isinstance(top, int) or top < 1:
        raise InputError(f"top must be a positive integer, got {top!r}")
    win = Window.of(window)
    spans = window_filter(store.spans(), win)
    if names is not None:
        known = _names(store)
        bad = [n for n in names if n not in known]
        if bad:
            raise unknown("span name", bad[0], known)
        spans = spans.filter(spans.name.isin(list(names)))

    def first_last() -> tuple[Any, Any]:
        lo, hi = span_of(spans, "start_ns")
        return (
            None if lo is None else pd.Timestamp(lo, unit="ns", tz="UTC"),
            None if hi is None else pd.Timestamp(hi, unit="ns", tz="UTC"),
        )

    def compute() -> SpanStats:
        grid = period.grid(win, span=first_last)
        dur = (spans.end_ns - spans.start_ns).cast("float64") / 1e6
        keyed = spans.mutate(
            bucket=grid.index(spans.start_ns // 1000),
            dur=dur,
            failed=(spans.status == "error").cast("int64"),
            b=(dur.clip(lower=MIN_DURATION_MS).ln() * LOG_BINS).floor().cast("int32"),
        )
        stats = keyed.group_by(["bucket", "name"]).aggregate(
            volume=lambda t: t.count(),
            errors=lambda t: t.failed.sum(),
            mean_ms=lambda t: t.dur.mean(),
        )
        timed = keyed.filter(keyed.dur.notnull())
        counts = timed.group_by(["bucket", "name", "b"]).aggregate(n=timed.count())
        df = store.ibis.to_pyarrow(stats).to_pandas().sort_values(["name", "bucket"])
        quantiles = {
            key: log_quantiles(part["b"].to_numpy(), part["n"].to_numpy(), SPAN_QUANTILES)
            for key, part in store.ibis.to_pyarrow(counts).to_pandas().groupby(["bucket", "name"])
        }
        for j, q in enumerate(SPAN_QUANTILES):
            df[f"p{round(q * 100)}_ms"] = [
                quantiles[k][j] if k in quantiles else np.nan
                for k in zip(df["bucket"], df["name"], strict=True)
            ]
        df = df[["bucket", "name", "volume", "errors", "p50_ms", "p95_ms", "p99_ms", "mean_ms"]]
        edges = grid.bounds(df.pop("bucket").to_numpy("int64"))
        for i, column in enumerate(("window_start", "window_end", "partial")):
            df.insert(i, column, edges[column].to_numpy())
        df["volume"] = df["volume"].astype("int64")
        df["errors"] = df["errors"].fillna(0).astype("int64")
        df["error_rate"] = df["errors"] / df["volume"]
        order = df.groupby("name")["volume"].sum().sort_values(ascending=False, kind="stable")
        from diaglab.diagnostics.traces.spec import FindTracesSpec

        found = find_traces(store, FindTracesSpec.build("slowest", window=window, limit=top))
        slowest = found.table
        return SpanStats(df.reset_index(drop=True), slowest, freq, tuple(order.index))

    key = (
        "span_stats",
        repr(period),
        period.tz,
        period.week_start,
        repr(win),
        tuple(names or ()),
        top,
    )
    return store.memo(key, compute)


def _names(store: Any) -> list[str]:
    spans = store.spans()
    got = store.ibis.to_pyarrow(spans.select("name").distinct())
    return sorted(got.column(0).to_pylist())


__all__ = ["SpanStats", "span_stats"]
