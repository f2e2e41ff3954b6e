"""Small charts of findings made outside the explorers (reports, ``dl.finding``).

They chart aggregates only (a few dozen rows): a finding's chart travels in its JSON.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

TOP = 15


def drift_chart(table: pd.DataFrame) -> dict[str, Any]:
    import altair as alt

    top = table.head(TOP)[["feature", "severity", "effect", "effect_statistic"]].copy()
    order = ["none", "minor", "moderate", "major"]
    colors = ["#9e9e9e", "#f2c14e", "#f08a4b", "#d64541"]
    chart = (
        alt.Chart(top)
        .mark_bar()
        .encode(
            y=alt.Y("feature:N", sort=None, title=None),
            x=alt.X("effect:Q", title="effect size"),
            color=alt.Color(
                "severity:N", scale=alt.Scale(domain=order, range=colors), title="severity"
            ),
            tooltip=[
                "feature",
                "severity",
                "effect_statistic",
                alt.Tooltip("effect", format=".3g"),
            ],
        )
        .properties(width=420, title="drift effect per feature (most severe first)")
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def slices_chart(table: pd.DataFrame, value: str, low: str, high: str, title: str) -> Any:
    import altair as alt

    frame = table.head(TOP)[["slice", value, low, high]].copy()
    base = alt.Chart(frame).encode(y=alt.Y("slice:N", sort=None, title=None))
    bars = base.mark_bar(color="#d64541").encode(
        x=alt.X(f"{value}:Q", title=value), tooltip=["slice", alt.Tooltip(value, format=".3g")]
    )
    rules = base.mark_rule(color="#333").encode(x=f"{low}:Q", x2=f"{high}:Q")
    spec: dict[str, Any] = (bars + rules).properties(width=420, title=title).to_dict()
    return spec


def metrics_chart(table: pd.DataFrame) -> dict[str, Any]:
    import altair as alt

    cols = ["window_start", "metric", "value", "band_low", "band_high", "alert"]
    frame = table[table["series"] == "all"][cols].copy()
    frame["window_start"] = frame["window_start"].astype(str)
    base = alt.Chart(frame).encode(x=alt.X("window_start:T", title=None))
    band = base.mark_area(opacity=0.2, color="#4c78a8").encode(y="band_low:Q", y2="band_high:Q")
    line = base.mark_line(color="#4c78a8").encode(y=alt.Y("value:Q", title=None))
    dots = (
        base.transform_filter("datum.alert")
        .mark_point(color="#d64541", filled=True, size=60)
        .encode(y="value:Q", tooltip=["window_start:T", "metric", "value"])
    )
    layered = (band + line + dots).properties(width=420, height=110)
    spec: dict[str, Any] = (
        layered.facet(row=alt.Row("metric:N", title=None))
        .resolve_scale(y="independent")
        .properties(title="quality over time (band: expected range; red: alert)")
        .to_dict()
    )
    return spec
