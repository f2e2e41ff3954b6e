"""Metrics over time as charts: one panel per metric, label coverage and volume underneath.

Input: the tidy ``table`` and the ``windows`` frame of a ``MetricsOverTime`` result (plain pandas;
this module knows nothing of queries or widgets). Per metric panel: the alert band (green area),
the interval of each value (light area), the realized series (solid line), the label-free estimate
(dashed line) and alerts (red points); windows with no data break the line instead of dropping to
zero. Under the panels, the label coverage per window (so that a dip in quality where few labels
have arrived is read as uncertain, not as a drop), and the volume as bars, on which a drag selects
a time range (selection :data:`BRUSH`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import altair as alt
import pandas as pd

from diaglab import format as fmt
from diaglab.charts._common import BRUSH_HINT, dash_legend, message_chart

BRUSH = "window"
"""Name of the x-interval selection on the volume chart; its value is the brushed time range."""

BAND_COLOR = "#b7d7a8"
ALERT_COLOR = "#d64541"
COVERAGE_COLOR = "#7d5ba6"
SHADE_COLOR = "#fdf1c7"
WINDOW_PARAMS = ("window_lo", "window_hi")
"""Chart parameters holding the current window's ends (epoch ms, or null for none)."""
WIDTH = 560
PANEL_HEIGHT = 110

_GAP: Literal["break-paths-show-domains"] = "break-paths-show-domains"  # NaN breaks the line
_TITLES = {
    "volume": "predictions per window",
    "failure_rate": "failure rate",
    "label_coverage": "label coverage",
    "label_delay_p50": "label delay p50 (days)",
    "label_delay_p90": "label delay p90 (days)",
    "latency_p50": "latency p50 (ms)",
    "latency_p90": "latency p90 (ms)",
    "latency_p95": "latency p95 (ms)",
    "latency_p99": "latency p99 (ms)",
    "error": "error rate",
    "accuracy": "accuracy",
    "roc_auc": "ROC AUC",
    "f1": "F1",
    "expected_calibration_error": "calibration error (ECE)",
    "mae": "MAE",
    "rmse": "RMSE",
    "r2": "R²",
    "throughput": "throughput (predictions/s)",
    "cpu_ms_per_prediction": "CPU per prediction (ms)",
    "memory_mb": "memory (MB)",
}


DASHES = {"realized": [1, 0], "estimated": [5, 3]}
"""How each kind of value is drawn: realized solid, the label-free estimate dashed."""


def metric_title(name: str) -> str:
    """A readable name for a metric, e.g. ``"ROC AUC"`` for ``"roc_auc"``."""
    return _TITLES.get(name, name.replace("_", " "))


def _x(title: str | None = None, *, axis: bool = True) -> alt.X:
    return alt.X(
        "window_start:T",
        title=title,
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(format="%b %d", labelAngle=0, tickMinStep=fmt.DAY_MS)
        if axis
        else alt.Axis(labels=False, ticks=False),
    )


def _clean(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()  # numpy scalars
    if isinstance(v, float):
        if not math.isfinite(v):
            return None  # JSON has no NaN or infinity: a gap
        return float(f"{v:.6g}")  # a chart needs no more digits; the spec stays small
    return v


def _frame(table: pd.DataFrame, columns: Sequence[str]) -> alt.Data:
    """The columns as inline records with JSON-safe values (NaN and infinity as null)."""
    data = table[[c for c in columns if c in table.columns]]
    for c in ("window_start", "window_end"):
        if c in data:
            data = data.assign(**{c: pd.to_datetime(data[c], utc=True)})
    records = [
        {str(k): _clean(v) for k, v in rec.items()} for rec in data.to_dict(orient="records")
    ]
    return alt.Data(values=records)


def _color(series: Sequence[str]) -> alt.Color:
    return alt.Color(
        "series:N",
        title="series",
        sort=list(series),
        legend=alt.Legend(
            orient="top",
            direction="horizontal",
            symbolType="square",
            symbolOpacity=1,
            symbolSize=120,
        )
        if len(series) > 1
        else None,
    )


def window_bounds(current: tuple[Any, Any] | None, windows: pd.DataFrame) -> dict[str, Any]:
    """The values of the chart's ``WINDOW_PARAMS`` for ``current``: its ends in epoch
    milliseconds (an open end at the first or last window), or None for no shade."""
    if current is None or (current[0] is None and current[1] is None) or not len(windows):
        return dict.fromkeys(WINDOW_PARAMS)
    starts = pd.to_datetime(windows["window_start"], utc=True)
    lo = pd.Timestamp(current[0]) if current[0] is not None else starts.min()
    hi = pd.Timestamp(current[1]) if current[1] is not None else starts.max()
    ends = (int(lo.timestamp() * 1000), int(hi.timestamp() * 1000))
    return dict(zip(WINDOW_PARAMS, ends, strict=True))


def _shade() -> alt.Chart:
    """The current window's shade, placed by the chart's ``WINDOW_PARAMS``: moving the window
    changes two parameters, not the chart."""
    lo, hi = WINDOW_PARAMS
    return (
        alt.Chart(pd.DataFrame({"shade": [0]}))
        .mark_rect(color=SHADE_COLOR, opacity=alt.ExprRef(f"{lo} === null ? 0 : 0.6"), clip=True)
        .encode(
            x=alt.X(datum=alt.ExprRef(lo), type="temporal", scale=alt.Scale(type="utc")),
            x2=alt.X2(datum=alt.ExprRef(hi)),
        )
    )


def _domain(rows: pd.DataFrame) -> list[float]:
    """The y range: every value and the band at a typical window, not the wide bounds of
    windows with almost no labels (those are clipped)."""
    values = pd.to_numeric(rows["value"], errors="coerce")
    n = pd.to_numeric(rows["n"], errors="coerce")
    typical = rows[n >= n[n > 0].median() / 4] if (n > 0).any() else rows
    parts = [values, pd.to_numeric(typical["band_low"], errors="coerce")]
    parts.append(pd.to_numeric(typical["band_high"], errors="coerce"))
    both = pd.concat(parts)
    both = both[both.map(lambda v: bool(pd.notna(v)) and abs(float(v)) != float("inf"))]
    if not len(both):
        return [0.0, 1.0]
    lo, hi = float(both.min()), float(both.max())
    pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
    return [lo - pad, hi + pad]


PANEL_COLUMNS = (
    "metric",
    "series",
    "window_start",
    "kind",
    "value",
    "low",
    "high",
    "n",
    "band_low",
    "band_high",
    "alert",
    "reason",
)


def metric_panel(
    rows: pd.DataFrame,
    metric: str,
    *,
    series: Sequence[str],
    width: int = WIDTH,
    height: int = PANEL_HEIGHT,
    shared: bool = False,
) -> alt.LayerChart:
    """One metric over time: band, intervals, realized and estimated lines, alerts.

    With ``shared=True`` the panel has no data of its own: it filters ``metric`` from the data
    of the chart it is placed in (one copy of the rows for every panel), and shades the current
    window that chart's ``WINDOW_PARAMS`` hold.
    """
    title = metric_title(metric)
    number_format = fmt.VEGA_COUNT if metric == "volume" else fmt.VEGA_NUMBER
    tooltip = [
        alt.Tooltip("window_start:T", title="window", format="%Y-%m-%d %H:%M", formatType="utc"),
        alt.Tooltip("series:N"),
        alt.Tooltip("kind:N"),
        alt.Tooltip("value:Q", title=title, format=number_format),
        alt.Tooltip("low:Q", format=number_format),
        alt.Tooltip("high:Q", format=number_format),
        alt.Tooltip("n:Q", format=fmt.VEGA_COUNT),
        alt.Tooltip("band_low:Q", title="band low", format=number_format),
        alt.Tooltip("band_high:Q", title="band high", format=number_format),
        alt.Tooltip("reason:N"),
    ]
    x = _x(axis=False)
    color = _color(series)
    y_scale = alt.Scale(domain=_domain(rows), zero=False)
    present = set(rows["kind"].astype(str))
    kinds = [k for k in DASHES if k in present] or ["realized"]
    if shared:
        base = alt.Chart().transform_filter(alt.datum.metric == metric)
    else:
        base = alt.Chart(_frame(rows, PANEL_COLUMNS))
    realized = base.transform_filter(alt.datum.kind == "realized")
    layers: list[Any] = []
    if shared:
        layers.append(_shade())
    layers += [
        realized.mark_area(color=BAND_COLOR, opacity=0.35, invalid=_GAP, clip=True).encode(
            x=x, y=alt.Y("band_low:Q", scale=y_scale), y2="band_high:Q", detail="series:N"
        ),
        base.mark_area(opacity=0.18, invalid=_GAP, clip=True).encode(
            x=x, y=alt.Y("low:Q", scale=y_scale), y2="high:Q", color=color, detail="kind:N"
        ),
        base.mark_point(filled=True, size=10, opacity=1, clip=True).encode(
            x=x, y=alt.Y("value:Q", scale=y_scale), color=color, tooltip=tooltip
        ),
        # points in their own layer: on the line they would make the dash legend two dots
        base.mark_line(invalid=_GAP, clip=True).encode(
            x=x,
            y=alt.Y("value:Q", title=title, scale=y_scale),
            color=color,
            strokeDash=alt.StrokeDash(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=kinds, range=[DASHES[k] for k in kinds]),
                # a legend lists the kinds this metric has, and only when there are two
                legend=(
                    dash_legend(orient="top", direction="horizontal") if len(kinds) > 1 else None
                ),
            ),
            detail="kind:N",
            tooltip=tooltip,
        ),
        base.transform_filter(alt.datum.alert == True)  # noqa: E712 - a Vega expression
        .mark_point(color=ALERT_COLOR, filled=True, size=46, clip=True)
        .encode(x=x, y="value:Q", shape=alt.Shape("kind:N", legend=None), tooltip=tooltip),
    ]
    return alt.LayerChart(layer=layers).properties(
        width=width, height=height, title=alt.Title(title, anchor="start", fontSize=12)
    )


def coverage_panel(
    windows: pd.DataFrame,
    *,
    series: Sequence[str],
    width: int = WIDTH,
    height: int = 60,
) -> alt.Chart:
    """Label coverage per window: the share of predictions whose label has arrived."""
    data = _frame(windows, ["series", "window_start", "n", "n_labelled", "label_coverage"])
    return (
        alt.Chart(data)
        .mark_line(invalid=_GAP, color=COVERAGE_COLOR, point=alt.OverlayMarkDef(size=8), clip=True)
        .encode(
            x=_x(axis=False),
            y=alt.Y(
                "label_coverage:Q",
                title="labelled",
                axis=alt.Axis(format=fmt.VEGA_PERCENT),
                scale=alt.Scale(domain=[0, 1]),
            ),
            detail="series:N",
            strokeDash=alt.StrokeDash("series:N", sort=list(series), legend=None),
            tooltip=[
                alt.Tooltip(
                    "window_start:T", title="window", format="%Y-%m-%d %H:%M", formatType="utc"
                ),
                alt.Tooltip("series:N"),
                alt.Tooltip("label_coverage:Q", format=fmt.VEGA_PERCENT),
                alt.Tooltip("n_labelled:Q", title="labelled", format=fmt.VEGA_COUNT),
                alt.Tooltip("n:Q", title="predictions", format=fmt.VEGA_COUNT),
            ],
        )
        .properties(
            width=width,
            height=height,
            title=alt.Title(
                "label coverage",
                subtitle="where few labels have arrived, quality values are uncertain",
                anchor="start",
                fontSize=12,
            ),
        )
    )


def volume_panel(
    windows: pd.DataFrame,
    *,
    series: Sequence[str],
    brush: str | None = BRUSH,
    width: int = WIDTH,
    height: int = 70,
) -> alt.Chart:
    """Predictions per window as bars (stacked by series); a drag selects a time range."""
    data = _frame(windows, ["series", "window_start", "window_end", "n", "n_failed"])
    chart = (
        alt.Chart(data)
        .mark_bar(opacity=0.8, orient="vertical", clip=True)
        .encode(
            x=_x(),
            x2="window_end:T",
            y=alt.Y("n:Q", title="predictions", stack=True),
            color=_color(series),
            tooltip=[
                alt.Tooltip(
                    "window_start:T", title="window", format="%Y-%m-%d %H:%M", formatType="utc"
                ),
                alt.Tooltip("series:N"),
                alt.Tooltip("n:Q", title="predictions", format=fmt.VEGA_COUNT),
                alt.Tooltip("n_failed:Q", title="failed", format=fmt.VEGA_COUNT),
            ],
        )
        .properties(
            width=width,
            height=height,
            title=alt.Title(
                "volume",
                subtitle=BRUSH_HINT if brush else "",
                anchor="start",
                fontSize=12,
            ),
        )
    )
    if brush:
        chart = chart.add_params(alt.selection_interval(name=brush, encodings=["x"]))
    return chart


def metrics_chart(
    table: pd.DataFrame,
    windows: pd.DataFrame,
    metrics: Sequence[str],
    *,
    title: str = "",
    subtitle: str = "",
    current: tuple[Any, Any] | None = None,
    brush: str | None = BRUSH,
    width: int = WIDTH,
) -> alt.VConcatChart | alt.Chart:
    """Chosen metrics over time above label coverage and volume, on one time axis.

    Parameters
    ----------
    table
        ``MetricsOverTime.table`` (rows of other metrics are ignored).
    windows
        ``MetricsOverTime.windows``.
    metrics
        The metrics to draw, one panel each, in this order.
    current
        ``(start, end)`` of the current window, shaded in each metric panel (the chart's
        ``WINDOW_PARAMS``: set them to move the shade without drawing the chart again).
    brush
        Name of the x-interval selection on the volume bars (None: none).
    """
    if not len(windows):
        return message_chart("no predictions in this window", width=width)
    series = list(dict.fromkeys(windows["series"].astype(str)))
    panels: list[Any] = []
    for m in metrics:
        rows = table[table["metric"] == m]
        if not len(rows):
            panels.append(message_chart(f"{metric_title(m)}: not computed", width=width))
            continue
        panels.append(metric_panel(rows, m, series=series, width=width, shared=True))
    panels.append(coverage_panel(windows, series=series, width=width))
    panels.append(volume_panel(windows, series=series, brush=brush, width=width))
    shown = table[table["metric"].isin(list(metrics))]
    bounds = window_bounds(current, windows)
    return (
        alt.vconcat(
            *panels,
            data=_frame(shown, PANEL_COLUMNS),
            title=alt.Title(title, subtitle=subtitle, anchor="start", fontSize=14),
            spacing=8,
        )
        .resolve_scale(x="shared", color="shared", strokeDash="independent")
        .add_params(*(alt.param(name=name, value=bounds[name]) for name in WINDOW_PARAMS))
    )
