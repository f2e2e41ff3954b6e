"""Slice results as charts: a bar per slice with its interval and count, or a heatmap for two
features. Input is the table of :func:`diaglab.slice_metrics` (one row per slice); at most a few
hundred marks. Clicking a bar or a cell sets the point selection :data:`PICK` (field ``key``)."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from diaglab.charts._common import message_chart

PICK = "pick"
"""Name of the point selection on the slice chart; its value names the picked row's ``key``."""
WORSE_COLOR = "#c0392b"
BETTER_COLOR = "#2e7d32"
NEUTRAL_COLOR = "#7f8c9a"
WIDTH = 460


def chart_frame(
    table: pd.DataFrame, metric: str, by: Sequence[str], *, lower_is_better: bool, alpha: float
) -> pd.DataFrame:
    """The columns the charts draw: labels, value, interval, count and a verdict per slice."""
    by = list(by)
    value = table[metric].astype(float)
    diff = table[f"{metric}_difference"].astype(float)
    p_adj = table[f"{metric}_p_adjusted"].astype(float)
    worse = diff > 0 if lower_is_better else diff < 0
    significant = p_adj < alpha
    verdict = np.where(significant & worse, "worse", np.where(significant, "better", "as overall"))
    frame = pd.DataFrame(
        {
            "key": [str(i) for i in range(len(table))],
            "label": [" · ".join(str(r[f]) for f in by) for r in table.to_dict(orient="records")],
            **{f"by{i}": table[f].astype(str).to_numpy() for i, f in enumerate(by)},
            "value": value,
            "lower": table[f"{metric}_lower"].astype(float),
            "upper": table[f"{metric}_upper"].astype(float),
            "overall": table[f"{metric}_overall"].astype(float),
            "n": table["n"].astype(int),
            "n_labelled": table["n_labelled"].astype(int),
            "p_adjusted": p_adj,
            "verdict": verdict,
            "predicate": table["predicate"].astype(str),
        }
    )
    frame["count_text"] = [f"n={n:,}" for n in frame["n"]]
    return frame


_COLORS = alt.Scale(
    domain=["worse", "better", "as overall"], range=[WORSE_COLOR, BETTER_COLOR, NEUTRAL_COLOR]
)


def bar_chart(frame: pd.DataFrame, *, metric: str, title: str) -> alt.TopLevelMixin:
    """Horizontal bars per slice with their interval, the overall value as a rule, and counts."""
    pick = alt.selection_point(name=PICK, fields=["key"], on="click", clear="dblclick")
    height = max(60, 22 * len(frame))
    order = frame.sort_values("value", ascending=False)["label"].tolist()
    y = alt.Y("label:N", sort=order, title=None)
    tooltip = [
        alt.Tooltip("predicate:N", title="slice"),
        alt.Tooltip("value:Q", title=metric, format=".4g"),
        alt.Tooltip("lower:Q", format=".4g"),
        alt.Tooltip("upper:Q", format=".4g"),
        alt.Tooltip("n:Q", format=","),
        alt.Tooltip("n_labelled:Q", title="labelled", format=","),
        alt.Tooltip("p_adjusted:Q", title="p (adj.)", format=".2g"),
    ]
    base = alt.Chart(frame).properties(width=WIDTH, height=height)
    bars = (
        base.mark_bar(height={"band": 0.7})
        .encode(
            x=alt.X("value:Q", title=metric),
            y=y,
            color=alt.Color("verdict:N", scale=_COLORS, title="vs overall"),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
            tooltip=tooltip,
        )
        .add_params(pick)
    )
    whiskers = base.mark_rule(color="#333").encode(x="lower:Q", x2="upper:Q", y=y)
    counts = base.mark_text(align="left", dx=4, color="#555", fontSize=10).encode(
        x=alt.X("upper:Q"), y=y, text="count_text:N"
    )
    overall = (
        alt.Chart(frame.head(1))
        .mark_rule(color="#333", strokeDash=[4, 3])
        .encode(x="overall:Q", tooltip=[alt.Tooltip("overall:Q", format=".4g")])
    )
    return alt.layer(bars, whiskers, counts, overall).properties(title=title)


def heatmap(
    frame: pd.DataFrame, *, metric: str, by: Sequence[str], title: str
) -> alt.TopLevelMixin:
    """One cell per pair of bins of two features: colour the metric, text the count."""
    pick = alt.selection_point(name=PICK, fields=["key"], on="click", clear="dblclick")
    x = alt.X("by1:N", title=by[1], sort=None)
    y = alt.Y("by0:N", title=by[0], sort=None)
    base = alt.Chart(frame).properties(width=WIDTH, height=max(120, 34 * frame["by0"].nunique()))
    cells = (
        base.mark_rect(stroke="white")
        .encode(
            x=x,
            y=y,
            color=alt.Color("value:Q", title=metric, scale=alt.Scale(scheme="orangered")),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.55)),
            tooltip=[
                alt.Tooltip("predicate:N", title="slice"),
                alt.Tooltip("value:Q", title=metric, format=".4g"),
                alt.Tooltip("lower:Q", format=".4g"),
                alt.Tooltip("upper:Q", format=".4g"),
                alt.Tooltip("n:Q", format=","),
                alt.Tooltip("verdict:N"),
            ],
        )
        .add_params(pick)
    )
    text = base.mark_text(fontSize=10).encode(x=x, y=y, text="count_text:N")
    return alt.layer(cells, text).properties(title=title)


def slice_chart(
    table: pd.DataFrame,
    metric: str,
    by: Sequence[str],
    *,
    lower_is_better: bool = True,
    alpha: float = 0.05,
    title: str | None = None,
    footnote: str | None = None,
) -> alt.TopLevelMixin:
    """The bar chart (one feature) or the heatmap (two) of a ``slice_metrics`` table;
    ``footnote`` is the result's note on ``metric`` (``result.footnotes.get(metric)``)."""
    if table.empty:
        return message_chart("no rows in this selection")
    frame = chart_frame(table, metric, by, lower_is_better=lower_is_better, alpha=alpha)
    text = title or f"{metric} by {' × '.join(by)}"
    if len(by) == 2:
        chart = heatmap(frame, metric=metric, by=by, title=text)
    else:
        chart = bar_chart(frame, metric=metric, title=text)
    if footnote:  # a value read off a histogram says so, with its bound
        chart = chart.properties(title=alt.Title(text, subtitle=footnote, anchor="start"))
    return chart
