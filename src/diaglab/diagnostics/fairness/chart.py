"""Fairness charts: each group's metrics with intervals, and disparities over time with bands.

Both take the tables of :mod:`diaglab.diagnostics.fairness.query` / ``fairness_time`` and return
Altair charts; clicking a group in :func:`groups_chart` selects it (the selection ``GROUP_PICK``
holds the row's ``key``, its position in the groups table).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from diaglab.charts._common import WIDTH, message_chart

GROUP_PICK = "group_pick"
TITLES = {
    "selection_rate": "selection rate",
    "true_positive_rate": "true positive rate",
    "false_positive_rate": "false positive rate",
    "precision": "precision",
    "error": "error",
    "calibration_error": "calibration error (ECE)",
}
MEASURE_TITLES = {
    "demographic_parity": "demographic parity",
    "equalized_odds": "equalized odds",
    "equal_opportunity": "equal opportunity",
    "predictive_parity": "predictive parity",
}

# a dot at the end of a scale (a rate of 0 or 1, the first or last window) is drawn whole
# inside the plot: the scale keeps this many pixels free at each end
INSIDE = alt.Scale(padding=8)


def groups_chart(
    groups: pd.DataFrame, metrics: Sequence[str], *, title: str = "", subtitle: str = ""
) -> alt.TopLevelMixin:
    """Groups × metrics: a point per group and metric with its interval, the reference group's
    value as a rule, groups under the minimum support in grey."""
    shown = [m for m in metrics if m in groups.columns]
    if groups.empty or not shown:
        return message_chart("no groups to show")
    rows = []
    for key, g in enumerate(groups.to_dict(orient="records")):
        for m in shown:
            rows.append(
                {
                    "key": key,
                    "row": f"{g['sensitive']}: {g['name']}",
                    "sensitive": g["sensitive"],
                    "metric": TITLES.get(m, m),
                    "value": g[m],
                    "lower": g.get(f"{m}_lower"),
                    "upper": g.get(f"{m}_upper"),
                    "n": g["n"],
                    "supported": "yes" if g["supported"] else "no (too few rows)",
                    "reference": bool(g["reference"]),
                }
            )
    long = pd.DataFrame(rows)
    order = list(dict.fromkeys(long["row"]))
    pick = alt.selection_point(name=GROUP_PICK, fields=["key"], on="click", clear="dblclick")
    base = alt.Chart(long).encode(
        y=alt.Y("row:N", sort=order, title=None),
        tooltip=[
            alt.Tooltip("row:N", title="group"),
            alt.Tooltip("metric:N"),
            alt.Tooltip("value:Q", format=".4f"),
            alt.Tooltip("lower:Q", format=".4f"),
            alt.Tooltip("upper:Q", format=".4f"),
            alt.Tooltip("n:Q", format=","),
            alt.Tooltip("supported:N"),
        ],
    )
    color = alt.Color(
        "supported:N",
        scale=alt.Scale(domain=["yes", "no (too few rows)"], range=["#1f77b4", "#aaaaaa"]),
        legend=alt.Legend(title="in the disparities", orient="bottom"),
    )
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("lower:Q", title=None, scale=INSIDE), x2="upper:Q", color=color
    )
    points = (
        base.mark_point(filled=True, size=60)
        .encode(
            x=alt.X("value:Q", title=None, scale=INSIDE),
            color=color,
            shape=alt.condition("datum.reference", alt.value("diamond"), alt.value("circle")),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        )
        .add_params(pick)
    )
    per_metric = (bars + points).properties(width=max(WIDTH // max(len(shown), 1), 150))
    return (
        per_metric.facet(
            column=alt.Column("metric:N", title=None, sort=[TITLES.get(m, m) for m in shown])
        )
        .resolve_scale(x="independent")
        .properties(title=alt.TitleParams(title, subtitle=subtitle or alt.Undefined))
    )


def disparity_time_chart(
    table: pd.DataFrame, *, title: str = "", subtitle: str = ""
) -> alt.TopLevelMixin:
    """Each disparity measure's difference per window: its interval, its alert band, alerts red."""
    if table.empty:
        return message_chart("no windows to show")
    data = table.assign(
        series=table["sensitive"] + ": " + table["measure"].map(lambda m: MEASURE_TITLES.get(m, m)),
        alerted=table["alert"] == 1.0,
    )[
        [
            "series",
            "window_start",
            "difference",
            "difference_lower",
            "difference_upper",
            "band_low",
            "band_high",
            "alerted",
            "group_high",
            "group_low",
        ]
    ]
    base = alt.Chart(data).encode(x=alt.X("window_start:T", title=None, scale=INSIDE))
    band = base.mark_area(opacity=0.18, color="#2ca02c").encode(
        y=alt.Y("band_low:Q", title="difference", scale=INSIDE), y2="band_high:Q"
    )
    interval = base.mark_rule(color="#888").encode(y="difference_lower:Q", y2="difference_upper:Q")
    line = base.mark_line(point=True).encode(
        y="difference:Q",
        tooltip=[
            alt.Tooltip("window_start:T", title="window"),
            alt.Tooltip("difference:Q", format=".4f"),
            alt.Tooltip("group_high:N", title="highest"),
            alt.Tooltip("group_low:N", title="lowest"),
        ],
    )
    alerts = (
        base.transform_filter("datum.alerted")
        .mark_point(color="#c0392b", size=80, filled=True)
        .encode(y="difference:Q")
    )
    layered = (band + interval + line + alerts).properties(width=WIDTH, height=110)
    # each facet's name above its plot, left-aligned: at the left (Vega-Lite's default for rows)
    # a name rotated beside the y-axis title collides with it
    header = alt.Header(labelOrient="top", labelAngle=0, labelAlign="left", labelAnchor="start")
    return layered.facet(row=alt.Row("series:N", title=None, header=header)).properties(
        title=alt.TitleParams(title, subtitle=subtitle or alt.Undefined)
    )
