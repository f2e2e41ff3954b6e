"""Slice results as charts: a bar per slice with its interval and count, or a heatmap for two
features. Input is the table of :func:`diaglab.slice_metrics` (one row per slice); at most a few
hundred marks. Clicking a bar or a cell sets the point selection :data:`PICK` (field ``key``)."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from diaglab import format as fmt
from diaglab.charts._common import message_chart

PICK = "pick"
"""Name of the point selection on the slice chart; its value names the picked row's ``key``."""
WORSE_COLOR = "#c0392b"
BETTER_COLOR = "#2e7d32"
NEUTRAL_COLOR = "#7f8c9a"
WIDTH = 460


MIN_SUPPORT = 30
"""Cells with fewer labelled rows are drawn as "too few": their value would only be noise."""


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
    records = table.to_dict(orient="records")
    frame = pd.DataFrame(
        {
            "key": [str(i) for i in range(len(table))],
            "label": [" · ".join(fmt.label(r[f]) for f in by) for r in records],
            **{f"by{i}": [fmt.label(r[f]) for r in records] for i, f in enumerate(by)},
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
    frame["count_text"] = [f"n={fmt.count(n)}" for n in frame["n"]]
    frame["value_text"] = [fmt.number(v) for v in frame["value"]]
    # a bar's value is printed right of its whisker, and right of the dashed overall line when
    # the whisker ends before it: a label that started left of the line would run across it
    end = frame["upper"].where(np.isfinite(frame["upper"]), frame["value"]).fillna(0.0)
    frame["x_text"] = np.fmax(end.to_numpy(dtype=float), frame["overall"].to_numpy(dtype=float))
    frame["row_label"] = [
        f"{a}  ({c})" for a, c in zip(frame["label"], frame["count_text"], strict=True)
    ]
    enough = (frame["n_labelled"] >= MIN_SUPPORT) & frame["value"].notna()
    frame["support"] = np.where(enough, "enough", "too few")
    frame["cell_text"] = [
        f"{v}\n{c}" if ok else f"too few\n{c}"
        for v, c, ok in zip(frame["value_text"], frame["count_text"], enough, strict=True)
    ]
    return frame


_COLORS = alt.Scale(
    domain=["worse", "better", "as overall"], range=[WORSE_COLOR, BETTER_COLOR, NEUTRAL_COLOR]
)


def _tooltip(metric: str) -> list[alt.Tooltip]:
    return [
        alt.Tooltip("predicate:N", title="slice"),
        alt.Tooltip("value:Q", title=metric, format=fmt.VEGA_NUMBER),
        alt.Tooltip("lower:Q", format=fmt.VEGA_NUMBER),
        alt.Tooltip("upper:Q", format=fmt.VEGA_NUMBER),
        alt.Tooltip("overall:Q", format=fmt.VEGA_NUMBER),
        alt.Tooltip("n:Q", format=fmt.VEGA_COUNT),
        alt.Tooltip("n_labelled:Q", title="labelled", format=fmt.VEGA_COUNT),
        alt.Tooltip("p_adjusted:Q", title="p (adj.)", format=".2~g"),
        alt.Tooltip("verdict:N", title="vs overall"),
    ]


def bar_chart(
    frame: pd.DataFrame, *, metric: str, title: str, width: int = WIDTH
) -> alt.TopLevelMixin:
    """Horizontal bars per slice with their interval, the overall value as a rule, the value
    printed past the end of each whisker and past the rule; each row's label carries its
    count."""
    pick = alt.selection_point(name=PICK, fields=["key"], on="click", clear="dblclick")
    height = max(60, 22 * len(frame))
    order = frame.sort_values("value", ascending=False)["row_label"].tolist()
    y = alt.Y("row_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    ends = pd.concat([frame["lower"], frame["upper"], frame["value"], frame["overall"]])
    ends = ends.astype(float)[np.isfinite(ends.astype(float))]
    lo = min(0.0, float(ends.min())) if len(ends) else 0.0
    hi = max(0.0, float(ends.max())) if len(ends) else 1.0
    # room for the printed value right of the longest whisker, inside the plot
    x_scale = alt.Scale(domain=[lo, hi + 0.18 * ((hi - lo) or 1.0)], nice=False)
    base = alt.Chart(frame).properties(width=width, height=height)
    bars = (
        base.mark_bar(height={"band": 0.7}, clip=True)
        .encode(
            x=alt.X("value:Q", title=metric, scale=x_scale),
            y=y,
            color=alt.Color(
                "verdict:N",
                scale=_COLORS,
                title="vs overall",
                legend=alt.Legend(orient="top", symbolType="square", symbolOpacity=1),
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
            tooltip=_tooltip(metric),
        )
        .add_params(pick)
    )
    whiskers = base.mark_rule(color="#333", clip=True).encode(x="lower:Q", x2="upper:Q", y=y)
    values = base.mark_text(align="left", dx=4, color="#333", fontSize=10, clip=True).encode(
        x=alt.X("x_text:Q", scale=x_scale), y=y, text="value_text:N"
    )
    overall = (
        alt.Chart(frame.head(1))
        .mark_rule(color="#333", strokeDash=[4, 3], clip=True)
        .encode(x="overall:Q", tooltip=[alt.Tooltip("overall:Q", format=fmt.VEGA_NUMBER)])
    )
    return alt.layer(bars, whiskers, values, overall).properties(title=title)


def _diverging(frame: pd.DataFrame, *, lower_is_better: bool) -> alt.Scale:
    """Centred on the overall value, symmetric over the cells with enough support, red where
    the metric is worse (above overall when lower is better, below when higher is)."""
    ok = frame[frame["support"] == "enough"]
    overall = float(frame["overall"].iloc[0]) if len(frame) else 0.0
    spread = (ok["value"] - overall).abs().max() if len(ok) else np.nan
    if not np.isfinite(spread) or spread == 0:
        spread = abs(overall) * 0.1 or 1.0
    return alt.Scale(
        scheme="redblue",
        domain=[overall - spread, overall + spread],
        domainMid=overall,
        reverse=lower_is_better,
        clamp=True,
    )


def heatmap(
    frame: pd.DataFrame,
    *,
    metric: str,
    by: Sequence[str],
    title: str,
    lower_is_better: bool = True,
    width: int = WIDTH,
) -> alt.TopLevelMixin:
    """One cell per pair of bins of two features, coloured by the metric on a diverging scale
    centred on the overall value (red: worse, blue: better), with the value and count printed
    in the cell; cells with fewer than :data:`MIN_SUPPORT` labelled rows are grey "too few"."""
    pick = alt.selection_point(name=PICK, fields=["key"], on="click", clear="dblclick")
    x = alt.X("by1:N", title=by[1], sort=None, axis=alt.Axis(labelAngle=-30, labelLimit=120))
    y = alt.Y("by0:N", title=by[0], sort=None, axis=alt.Axis(labelLimit=160))
    direction = "lower is better" if lower_is_better else "higher is better"
    base = alt.Chart(frame).properties(width=width, height=max(120, 38 * frame["by0"].nunique()))
    cells = (
        base.transform_filter(alt.datum.support == "enough")
        .mark_rect(stroke="white", clip=True)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "value:Q",
                title=[metric, f"({direction})"],
                scale=_diverging(frame, lower_is_better=lower_is_better),
                legend=alt.Legend(format=fmt.VEGA_NUMBER, gradientLength=120),
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.55)),
            tooltip=_tooltip(metric),
        )
        .add_params(pick)
    )
    few = (
        base.transform_filter(alt.datum.support == "too few")
        .mark_rect(stroke="white", color="#e6e6e6", clip=True)
        .encode(x=x, y=y, tooltip=_tooltip(metric))
    )
    text = base.mark_text(fontSize=10, lineBreak="\n", color="#222", clip=True).encode(
        x=x, y=y, text="cell_text:N"
    )
    return alt.layer(few, cells, text).properties(
        title=alt.Title(
            title,
            subtitle=f"red: worse than overall, blue: better; grey: under {MIN_SUPPORT} labels",
            anchor="start",
        )
    )


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
        chart = heatmap(frame, metric=metric, by=by, title=text, lower_is_better=lower_is_better)
    else:
        chart = bar_chart(frame, metric=metric, title=text)
    if footnote:  # a value read off a histogram says so, with its bound
        chart = chart.properties(title=alt.Title(text, subtitle=footnote, anchor="start"))
    return chart
