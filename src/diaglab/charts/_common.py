"""Pieces every chart module shares."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

WIDTH = 460
BRUSH_HINT = "drag to pick a window"
"""What an interactive chart's subtitle says of its brush; a static copy says nothing of it."""


def message_chart(text: str, *, width: int = WIDTH, height: int = 60) -> alt.Chart:
    """A placeholder panel that says why a chart is missing."""
    return (
        alt.Chart(pd.DataFrame({"text": [text]}))
        .mark_text(align="left", color="#666", fontSize=12)
        .encode(text="text:N", x=alt.value(4), y=alt.value(height / 2))
        .properties(width=width, height=height)
    )


def dash_legend(title: str | None = None, **options: Any) -> alt.Legend:
    """A legend for a ``strokeDash`` channel drawn as strokes, so solid, dashed and dotted
    series read apart (points on a line would draw each entry as the same dot)."""
    return alt.Legend(
        title=title,
        symbolType="stroke",
        symbolStrokeColor="#333",
        symbolStrokeWidth=2,
        symbolSize=300,
        **options,
    )


def static_chart(spec: Any) -> Any:
    """A Vega-Lite spec as a report or image shows it: titles no longer tell the reader to
    drag a brush that picks nothing there (a copy; ``spec`` is unchanged)."""
    if isinstance(spec, list):
        return [static_chart(item) for item in spec]
    if not isinstance(spec, dict):
        return spec
    out = {}
    for key, value in spec.items():
        if key == "subtitle" and isinstance(value, str) and BRUSH_HINT in value:
            parts = [p for p in value.split("; ") if p != BRUSH_HINT]
            value = "; ".join(parts)
        out[key] = value if key in ("data", "datasets") else static_chart(value)
    return out
