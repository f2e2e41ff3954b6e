"""Drift results as charts: distributions, the statistic over time, the missing rate, sparklines.

Every function takes results (a :class:`~diaglab.diagnostics.drift.query.Distribution`-like object,
or the rows of one feature from ``DriftOverTime.table``) and returns an Altair chart or, for
sparklines, an SVG string. They draw aggregates only: ~20 bins, ≤30 categories, one point per time
window.

Colours: the reference is grey, the current window blue, and what the reference never saw
(values outside its range, new categories) red. Severities use :data:`SEVERITY_COLORS`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Protocol

import altair as alt
import pandas as pd

from diaglab import format as fmt
from diaglab.charts._common import BRUSH_HINT, message_chart

BRUSH = "window"
"""Name of the x-interval selection on the over-time chart; its value is the brushed time range."""

REFERENCE_COLOR = "#9aa5b1"
CURRENT_COLOR = "#2f6fbf"
NEW_COLOR = "#d64541"
BAND_COLOR = "#b7d7a8"
SEVERITY_COLORS = {
    "none": "#2e7d32",
    "minor": "#c9a300",
    "moderate": "#e67e22",
    "major": "#c0392b",
}
WIDTH = 420

_EFFECT_NAMES = {
    "wasserstein": "W₁/σ",
    "js_distance": "JS",
    "psi": "PSI",
    "missing_rate_change": "Δ missing",
}


class DistributionLike(Protocol):
    """What the distribution chart reads: ``Distribution`` from ``dl.drift(...).distribution``."""

    @property
    def feature(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def bins(self) -> pd.DataFrame: ...


def effect_label(statistic: str) -> str:
    """A short name for an effect statistic, e.g. ``"W₁/σ"`` for ``"wasserstein"``."""
    return _EFFECT_NAMES.get(statistic, statistic)


def distribution_chart(
    dist: DistributionLike, *, width: int = WIDTH, height: int = 150
) -> alt.Chart:
    """Reference and current share of each bin (numeric) or category, side by side.

    Numeric bins hold equal shares of the reference, so the grey bars are level and the blue ones
    show where the current window has more or less mass. Bins outside the reference's range and
    categories the reference never saw are drawn red and labelled in the tooltip.
    """
    bins = dist.bins.reset_index(drop=True)
    bins = bins[(bins["reference"] > 0) | (bins["current"] > 0)].reset_index(drop=True)
    rows: list[dict[str, Any]] = []
    for order, b in bins.iterrows():
        new = bool(b["new"])
        tick = _tick(b, first=order == 0) if dist.kind == "numeric" else str(b["bin"])
        for side, share, count in (
            ("reference", b["reference_share"], b["reference"]),
            ("current", b["current_share"], b["current"]),
        ):
            group = side if side == "reference" or not new else "current, unseen in reference"
            rows.append(
                {
                    "tick": tick,
                    "bin": str(b["bin"]),
                    "order": int(order),  # type: ignore[call-overload]
                    "side": side,
                    "group": group,
                    "share": _finite(share),
                    "count": int(count),
                    "new": new,
                }
            )
    data = pd.DataFrame(
        rows, columns=["tick", "bin", "order", "side", "group", "share", "count", "new"]
    )
    unseen = "outside the reference range" if dist.kind == "numeric" else "new category"
    subtitle = (
        f"{getattr(dist, 'binning', 'quantile bins')}; red: " + unseen
        if dist.kind == "numeric"
        else "share per category; red: " + unseen
    )
    return (
        alt.Chart(data, title=alt.Title("reference vs current", subtitle=subtitle, anchor="start"))
        .mark_bar(clip=True)
        .encode(
            x=alt.X(
                "tick:N",
                sort=alt.EncodingSortField("order", order="ascending"),
                title="lower edge of each bin" if dist.kind == "numeric" else None,
                axis=alt.Axis(
                    labelAngle=-40, labelLimit=90, titleFontWeight="normal", titleColor="#666"
                ),
            ),
            xOffset=alt.XOffset("side:N", sort=["reference", "current"]),
            y=alt.Y("share:Q", title="share", axis=alt.Axis(format=fmt.VEGA_PERCENT)),
            color=alt.Color(
                "group:N",
                scale=alt.Scale(
                    domain=["reference", "current", "current, unseen in reference"],
                    range=[REFERENCE_COLOR, CURRENT_COLOR, NEW_COLOR],
                ),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=[
                alt.Tooltip("bin:N"),
                alt.Tooltip("side:N"),
                alt.Tooltip("count:Q", format=fmt.VEGA_COUNT),
                alt.Tooltip("share:Q", format=fmt.VEGA_PERCENT),
                alt.Tooltip("new:N", title=unseen),
            ],
        )
        .properties(width=width, height=height)
    )


def over_time_chart(
    series: pd.DataFrame,
    band: tuple[float, float] | None,
    *,
    statistic: str = "psi",
    current: tuple[Any, Any] | None = None,
    brush: str | None = BRUSH,
    width: int = WIDTH,
    height: int = 130,
) -> alt.LayerChart:
    """The statistic per window with its alert band; windows above the band are red points.

    Parameters
    ----------
    series : DataFrame
        One feature's rows of ``DriftOverTime.table``: window_start, window_end, value, n, alert.
    band : (low, high) or None
        The alert band calibrated on the reference; NaN or None draws none.
    current : (start, end), optional
        The current window, shaded; an open side extends to the data.
    brush : str or None
        Name of the x-interval selection added to the chart (None: no selection).
    """
    data = _time_frame(series, ["value", "n", "alert"])
    x = alt.X(
        "window_start:T",
        title=None,
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(format="%b %d", labelAngle=0, tickMinStep=fmt.DAY_MS),
    )
    name = effect_label(statistic)
    tooltip = [
        alt.Tooltip("window_start:T", title="window", format="%Y-%m-%d %H:%M", formatType="utc"),
        alt.Tooltip("value:Q", title=name, format=fmt.VEGA_NUMBER),
        alt.Tooltip("n:Q", format=fmt.VEGA_COUNT),
    ]
    line = (
        alt.Chart(data)
        .mark_line(
            color=CURRENT_COLOR, point=alt.OverlayMarkDef(size=14, color=CURRENT_COLOR), clip=True
        )
        .encode(x=x, y=alt.Y("value:Q", title=name), tooltip=tooltip)
    )
    if brush:
        line = line.add_params(alt.selection_interval(name=brush, encodings=["x"]))
    alerts = (
        alt.Chart(data)
        .transform_filter(alt.datum.alert)
        .mark_point(color=NEW_COLOR, filled=True, size=46, clip=True)
        .encode(x=x, y="value:Q", tooltip=tooltip)
    )
    layers: list[Any] = []
    low, high = band if band is not None else (math.nan, math.nan)
    if math.isfinite(high):
        band_data = pd.DataFrame({"low": [max(0.0, _finite(low, 0.0))], "high": [high]})
        layers.append(
            alt.Chart(band_data)
            .mark_rect(color=BAND_COLOR, opacity=0.45, clip=True)
            .encode(
                y="low:Q",
                y2="high:Q",
                tooltip=[alt.Tooltip("high:Q", title="alert above", format=fmt.VEGA_NUMBER)],
            )
        )
    shade = _current_shade(data, current)
    if shade is not None:
        layers.append(shade)
    layers += [line, alerts]
    title = alt.Title(
        f"{name} per window",
        subtitle="green: alert band from the reference; red: above it"
        + (f"; {BRUSH_HINT}" if brush else ""),
        anchor="start",
    )
    return alt.LayerChart(layer=layers, title=title).properties(width=width, height=height)


def missing_rate_chart(series: pd.DataFrame, *, width: int = WIDTH, height: int = 70) -> alt.Chart:
    """The share of missing values per window."""
    data = _time_frame(series, ["missing_rate", "n"])
    return (
        alt.Chart(data, title=alt.Title("missing rate per window", anchor="start"))
        .mark_line(color="#7d5ba6", point=alt.OverlayMarkDef(size=10, color="#7d5ba6"), clip=True)
        .encode(
            x=alt.X(
                "window_start:T",
                title=None,
                scale=alt.Scale(type="utc"),
                axis=alt.Axis(format="%b %d", labelAngle=0, tickMinStep=fmt.DAY_MS),
            ),
            y=alt.Y(
                "missing_rate:Q",
                title="missing",
                axis=alt.Axis(format=fmt.VEGA_PERCENT),
                scale=alt.Scale(domainMin=0),
            ),
            tooltip=[
                alt.Tooltip(
                    "window_start:T", title="window", format="%Y-%m-%d %H:%M", formatType="utc"
                ),
                alt.Tooltip("missing_rate:Q", format=fmt.VEGA_PERCENT),
                alt.Tooltip("n:Q", format=fmt.VEGA_COUNT),
            ],
        )
        .properties(width=width, height=height)
    )


def detail_chart(
    dist: DistributionLike | None,
    series: pd.DataFrame | None,
    band: tuple[float, float] | None,
    *,
    title: str,
    subtitle: str = "",
    statistic: str = "psi",
    current: tuple[Any, Any] | None = None,
    brush: str | None = BRUSH,
    width: int = WIDTH,
) -> alt.VConcatChart:
    """One feature's drift: its distribution, the statistic over time, and the missing rate.

    A missing part (no distribution, or no series over time, as for the label) is replaced by a
    line of text saying so.
    """
    parts: list[Any] = []
    if dist is not None and len(dist.bins):
        parts.append(distribution_chart(dist, width=width))
    else:
        parts.append(message_chart("no distribution: a side has no values", width=width))
    if series is not None and len(series):
        parts.append(
            over_time_chart(
                series, band, statistic=statistic, current=current, brush=brush, width=width
            )
        )
        parts.append(missing_rate_chart(series, width=width))
    else:
        parts.append(message_chart("no series over time for this column", width=width))
    return alt.vconcat(
        *parts,
        title=alt.Title(title, subtitle=subtitle, anchor="start", fontSize=14),
        spacing=14,
    ).resolve_scale(color="independent")


def sparkline_svg(
    values: Iterable[float],
    *,
    high: float | None = None,
    alerts: Iterable[bool] | None = None,
    width: int = 84,
    height: int = 20,
) -> str:
    """A tiny inline SVG of a series: a line, the band's upper edge dashed, alerts as red dots.

    Returns ``""`` when there is nothing to draw. NaN values leave gaps.
    """
    vals = [float(v) for v in values]
    finite = [v for v in vals if math.isfinite(v)]
    if not finite:
        return ""
    top = max([*finite, high if high is not None and math.isfinite(high) else 0.0]) or 1.0
    pad = 2.0
    step = (width - 2 * pad) / max(len(vals) - 1, 1)

    def y(v: float) -> float:
        return height - pad - (height - 2 * pad) * (v / top if top > 0 else 0.0)

    segments: list[list[str]] = [[]]
    for i, v in enumerate(vals):
        if math.isfinite(v):
            segments[-1].append(f"{pad + i * step:.1f},{y(v):.1f}")
        elif segments[-1]:
            segments.append([])
    parts = [
        f'<polyline fill="none" stroke="{CURRENT_COLOR}" stroke-width="1.2" '
        f'points="{" ".join(seg)}"/>'
        for seg in segments
        if seg
    ]
    if high is not None and math.isfinite(high):
        parts.insert(
            0,
            f'<line x1="0" x2="{width}" y1="{y(high):.1f}" y2="{y(high):.1f}" '
            f'stroke="{BAND_COLOR}" stroke-width="1.5" stroke-dasharray="3,2"/>',
        )
    flags = [False] * len(vals) if alerts is None else [bool(a) for a in alerts]
    for i, (v, a) in enumerate(zip(vals, flags, strict=False)):
        if a and math.isfinite(v):
            parts.append(
                f'<circle cx="{pad + i * step:.1f}" cy="{y(v):.1f}" r="1.6" fill="{NEW_COLOR}"/>'
            )
    return (
        f'<svg class="diaglab-sparkline" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(parts)
        + "</svg>"
    )


def _tick(b: pd.Series, *, first: bool) -> str:
    """The axis label of a numeric bin: its lower edge, or '< x' / '> x' out of range."""
    if b["new"]:
        return f"< {fmt.compact(b['right'])}" if first else f"> {fmt.compact(b['left'])}"
    return fmt.compact(float(b["left"]))


def _finite(value: Any, default: float | None = None) -> Any:
    v = float(value)
    return v if math.isfinite(v) else default


def _time_frame(series: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    data = series[["window_start", "window_end", *columns]].copy()
    for col in ("window_start", "window_end"):
        data[col] = pd.to_datetime(data[col], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    for col in columns:
        if col != "alert" and col != "n":
            data[col] = [_finite(v) for v in data[col]]
    return data


def _current_shade(data: pd.DataFrame, current: tuple[Any, Any] | None) -> alt.Chart | None:
    if current is None or not len(data) or current == (None, None):
        return None
    start, end = current
    lo = data["window_start"].min() if start is None else _iso(start)
    hi = data["window_end"].max() if end is None else _iso(end)
    shade = pd.DataFrame({"start": [lo], "end": [hi], "what": ["current window"]})
    return (
        alt.Chart(shade)
        .mark_rect(color=CURRENT_COLOR, opacity=0.12, clip=True)
        .encode(
            x=alt.X("start:T", scale=alt.Scale(type="utc")),
            x2="end:T",
            tooltip=[alt.Tooltip("what:N", title="shaded")],
        )
    )


def _iso(ts: Any) -> str:
    t = pd.Timestamp(ts)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")
