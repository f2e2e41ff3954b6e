"""Traces as charts: one trace's waterfall (a Gantt of its spans) and span latency over time.

Inputs are plain DataFrames from :mod:`diaglab.diagnostics.traces.query` and
:mod:`diaglab.diagnostics.traces.span_stats`: ``Trace.spans`` for the waterfall, ``SpanStats.table``
for the latency chart. At most a few hundred marks each.
Clicking a bar of the waterfall sets the point selection :data:`PICK` (field ``span_id``).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from diaglab import format as fmt
from diaglab.charts._common import dash_legend, message_chart

PICK = "span"
"""Name of the point selection on the waterfall; its value names the picked ``span_id``."""
WIDTH = 520
ROW = 22
STATUS_COLORS = {"ok": "#4c78a8", "unset": "#9ecae9", "error": "#d64541"}
CRITICAL_COLOR = "#f28e2b"
PERCENTILES = ("p50_ms", "p95_ms", "p99_ms")
# Waterfalls beyond this many spans show the first ones and say so: a browser draws a few
# hundred bars quickly, not tens of thousands.
MAX_SPANS = 400
# Points of the latency chart (Altair refuses more than 5,000 rows inline, and rightly so).
MAX_POINTS = 4_800


def waterfall_frame(spans: pd.DataFrame) -> pd.DataFrame:
    """The columns the waterfall draws, one row per span in the given (waterfall) order."""
    df = spans.head(MAX_SPANS)
    flags = []
    for orphan, skew, copies in zip(df["orphan"], df["clock_skew"], df["copies"], strict=True):
        marks = [
            text
            for on, text in (
                (orphan, "parent missing"),
                (skew, "clock skew"),
                (int(copies) > 1, f"{int(copies)} copies"),
            )
            if on
        ]
        flags.append(", ".join(marks))
    return pd.DataFrame(
        {
            "order": range(len(df)),
            "span_id": df["span_id"].astype(str),
            "label": [
                "\u2003" * int(d) + str(n) for d, n in zip(df["depth"], df["name"], strict=True)
            ],
            "name": df["name"].astype(str),
            "service": df["service_name"].fillna("").astype(str),
            "start_ms": df["offset_ms"].astype(float),
            "end_ms": (df["offset_ms"] + df["duration_ms"]).astype(float),
            "duration_ms": df["duration_ms"].astype(float).round(3),
            "self_ms": df["self_ms"].astype(float).round(3),
            "status": df["status"].fillna("unset").astype(str),
            "message": df["status_message"].fillna("").astype(str),
            "critical": df["critical"].astype(bool),
            "flags": flags,
            "attributes": [
                json.dumps(a, sort_keys=True, default=str)[:300] if a else ""
                for a in df["attributes"]
            ],
        }
    )


def waterfall_chart(
    spans: pd.DataFrame, *, title: str | None = None, width: int | str = WIDTH
) -> alt.Chart:
    """A Gantt of one trace: a bar per span from its start to its end (ms after the trace's
    start), indented by depth, coloured by status; the critical path outlined; the span's
    attributes, self time and flags in the tooltip.
    """
    if spans.empty:
        return message_chart("no spans")
    frame = waterfall_frame(spans)
    frame["duration_text"] = [fmt.quantity(v, "ms") for v in frame["duration_ms"]]
    end = float(frame["end_ms"].max()) if len(frame) else 1.0
    # room after the last bar for its duration text, inside the plot
    x_scale = alt.Scale(domain=[0, end * 1.15 or 1.0], nice=False)
    pick = alt.selection_point(name=PICK, fields=["span_id"], on="click", empty=False)
    y = alt.Y(
        "order:O",
        axis=alt.Axis(
            title=None,
            labelExpr=_label_expr(frame["label"].tolist()),
            labelLimit=220,
            labelFontSize=11,
        ),
    )
    tooltip = [
        alt.Tooltip("name:N"),
        alt.Tooltip("service:N"),
        alt.Tooltip("start_ms:Q", title="start (ms)", format=fmt.VEGA_NUMBER),
        alt.Tooltip("duration_ms:Q", title="duration (ms)", format=fmt.VEGA_NUMBER),
        alt.Tooltip("self_ms:Q", title="self time (ms)", format=fmt.VEGA_NUMBER),
        alt.Tooltip("status:N"),
        alt.Tooltip("message:N"),
        alt.Tooltip("flags:N"),
        alt.Tooltip("attributes:N"),
        alt.Tooltip("span_id:N"),
    ]
    bars = (
        alt.Chart(frame)
        .mark_bar(height={"band": 0.7}, cornerRadius=2, clip=True)
        .encode(
            x=alt.X("start_ms:Q", title="time since the trace started (ms)", scale=x_scale),
            x2="end_ms:Q",
            y=y,
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values())),
                legend=alt.Legend(title="status", orient="bottom"),
            ),
            stroke=alt.condition(
                alt.datum.critical, alt.value(CRITICAL_COLOR), alt.value("transparent")
            ),
            strokeWidth=alt.condition(pick, alt.value(3), alt.value(2)),
            opacity=alt.condition(alt.datum.flags != "", alt.value(0.6), alt.value(1.0)),
            tooltip=tooltip,
        )
        .add_params(pick)
    )
    text = (
        alt.Chart(frame)
        .mark_text(align="left", dx=3, fontSize=10, color="#333", clip=True)
        .encode(x=alt.X("end_ms:Q", scale=x_scale), y=y, text="duration_text:N")
    )
    heading = title or "trace"
    if len(spans) > MAX_SPANS:
        heading += f" (first {MAX_SPANS} of {len(spans)} spans)"
    return (bars + text).properties(width=width, height=max(ROW * len(frame), 40), title=heading)


def _label_expr(labels: Sequence[str]) -> str:
    """A Vega expression mapping the row number to its (indented) span name."""
    return json.dumps(list(labels)) + "[datum.value]"


def latency_chart(
    table: pd.DataFrame,
    *,
    names: Sequence[str] | None = None,
    percentiles: Sequence[str] = PERCENTILES,
    log_scale: bool = True,
) -> alt.Chart | alt.VConcatChart:
    """Span latency percentiles over time: a line per span name, dashes per percentile, and
    a bar of error rate underneath. ``table`` is ``SpanStats.table``; missing windows are gaps.
    """
    if table.empty:
        return message_chart("no spans in this period")
    bad = [p for p in percentiles if p not in PERCENTILES]
    if bad:
        raise ValueError(f"unknown percentile column {bad[0]!r}; known: {', '.join(PERCENTILES)}")
    df = table if names is None else table[table["name"].isin(list(names))]
    percentiles = list(percentiles)
    note = ""
    if len(df) * len(percentiles) > MAX_POINTS and len(percentiles) > 1:
        percentiles = ["p95_ms"] if "p95_ms" in percentiles else percentiles[:1]
        note = f"only {percentiles[0][:-3]} (too many windows for all percentiles)"
    if len(df) > MAX_POINTS:
        keep = sorted(df["window_start"].unique())[-(MAX_POINTS // max(df["name"].nunique(), 1)) :]
        df = df[df["window_start"].isin(keep)]
        note = f"the last {len(keep)} windows; " + (note or "")
    long = df.melt(
        id_vars=["window_start", "name", "volume", "error_rate"],
        value_vars=list(percentiles),
        var_name="percentile",
        value_name="ms",
    )
    long["percentile"] = long["percentile"].str.replace("_ms", "", regex=False)
    legend = alt.Legend(orient="right", title="span")
    base = alt.Chart(long).encode(
        x=alt.X("window_start:T", title=None),
        color=alt.Color("name:N", legend=legend),
    )
    lines = base.mark_line(strokeWidth=1.5, clip=True).encode(
        y=alt.Y(
            "ms:Q",
            title="latency (ms)",
            scale=alt.Scale(type="log") if log_scale else alt.Scale(zero=True),
        ),
        strokeDash=alt.StrokeDash(
            "percentile:N",
            legend=dash_legend("percentile"),
        ),
        detail="percentile:N",
        tooltip=[
            alt.Tooltip("window_start:T", title="window"),
            "name:N",
            "percentile:N",
            alt.Tooltip("ms:Q", format=fmt.VEGA_NUMBER),
            alt.Tooltip("volume:Q", format=fmt.VEGA_COUNT),
            alt.Tooltip("error_rate:Q", format=fmt.VEGA_PERCENT),
        ],
    )
    errors = (
        alt.Chart(df)
        .mark_bar(opacity=0.8)
        .encode(
            x=alt.X("window_start:T", title=None),
            y=alt.Y("error_rate:Q", title="error rate", axis=alt.Axis(format=fmt.VEGA_PERCENT)),
            color=alt.Color("name:N", legend=legend),
            xOffset="name:N",
            tooltip=[
                "window_start:T",
                "name:N",
                alt.Tooltip("error_rate:Q", format=fmt.VEGA_PERCENT),
            ],
        )
        .properties(width=WIDTH, height=70)
    )
    top = lines.properties(width=WIDTH, height=220)
    if note:
        top = top.properties(title=alt.TitleParams(note.rstrip("; "), fontSize=11, color="#666"))
    return alt.vconcat(top, errors)


def trace_summary_html(t: Any, *, links_pending: bool = False) -> str:
    """One trace (a :class:`diaglab.Trace`) in a few lines: duration, slowest stage, flags and
    linked predictions (or that they are still being looked up)."""
    spans = t.spans
    slow = spans.loc[spans["span_id"] == t.slowest_span].iloc[0]
    share = slow["self_ms"] / t.duration_ms if t.duration_ms else float("nan")
    flags = "".join(f"<li style='color:#8a1c1c'>{html.escape(f)}</li>" for f in t.flags)
    links = (
        "<i>looking them up…</i>"
        if links_pending
        else ", ".join(
            f"{html.escape(m)}: {html.escape(', '.join(ids[:5]))}" + (" …" if len(ids) > 5 else "")
            for m, ids in t.prediction_ids.items()
        )
        or "none logged with this trace id"
    )
    return (
        f"<div><b>{len(spans)} spans</b>, {fmt.quantity(t.duration_ms, 'ms')}, depth {t.depth}; "
        f"slowest stage <b>{html.escape(t.slowest_stage)}</b> "
        f"({fmt.quantity(slow['self_ms'], 'ms')} self time, {fmt.percent(share, digits=2)} of the "
        "trace)<br>"
        f"predictions: {links}<ul style='margin:2px 0'>{flags}</ul></div>"
    )
