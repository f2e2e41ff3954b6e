"""Pieces every chart module shares."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

WIDTH = 460


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
