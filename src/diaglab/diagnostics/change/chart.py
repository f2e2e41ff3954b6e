"""Why a metric changed, as charts: the waterfall of contributions and the period picker.

The waterfall starts at the reference's value and adds the covariate part by feature (each
feature's mix on its own, then what is left of the covariate part), the conditional part by slice
(then "elsewhere"), and ends at the window's value. A bar is red when it moved the metric the bad
way (up for a loss, down for accuracy), blue when the good way. Clicking a bar with a target (a
feature or a slice) selects it: the explorer reads the ``bar`` selection.

The period picker is the metric over time with a brush (``brush``); the other period is shaded.
The functions read tables shaped like
:class:`~diaglab.diagnostics.change.result.ChangeExplanation`'s.
"""

from __future__ import annotations

from typing import Any, cast

import altair as alt
import pandas as pd

from diaglab.charts._common import WIDTH

WORSE_COLOR = "#d64541"
BETTER_COLOR = "#2f6fbf"
TOTAL_COLOR = "#9aa5b1"
REFERENCE_COLOR = "#9aa5b1"
WINDOW_COLOR = "#e8a33d"
PART_TITLES = {"covariate": "inputs moved: ", "conditional": "same inputs: "}
OWN_ROWS = ("inputs moved", "same inputs", "mix of one feature", "rates within its bins")


def waterfall_frame(
    table: pd.DataFrame, *, start: float, metric: str, lower_is_better: bool = True
) -> pd.DataFrame:
    """The bars: ``label, start, end, value, lower, upper, direction, target, order``.

    ``start`` is the reference's value; the bars (the parts' contributors and remainders) end at
    the window's value, the last bar.
    """
    bars = table[(table["part"] != "total") & ~table["name"].isin(OWN_ROWS)]
    rows: list[dict[str, Any]] = [
        _row(f"{metric} in the reference", 0.0, start, "total", None, float("nan"), float("nan"))
    ]
    level = start
    for _, b in bars.iterrows():
        v = float(b["value"])
        worse = (v > 0) == lower_is_better
        label = PART_TITLES.get(str(b["part"]), "") + str(b["name"])
        rows.append(
            _row(
                label,
                level,
                level + v,
                "worse" if worse else "better",
                b["target"],
                b["lower"],
                b["upper"],
            )
        )
        level += v
    rows.append(
        _row(f"{metric} in the window", 0.0, level, "total", None, float("nan"), float("nan"))
    )
    frame = pd.DataFrame(rows)
    frame["value"] = frame["end"] - frame["start"]
    frame["order"] = range(len(frame))
    return frame


def _row(
    label: str, start: float, end: float, direction: str, target: Any, lo: Any, hi: Any
) -> dict[str, Any]:
    target = None if target is None or (isinstance(target, float) and target != target) else target
    return {
        "label": label,
        "start": start,
        "end": end,
        "direction": direction,
        "target": target if target is not None else "",
        "lower": float(lo),
        "upper": float(hi),
    }


def change_chart(
    table: pd.DataFrame,
    *,
    start: float,
    metric: str,
    lower_is_better: bool = True,
    title: str | None = None,
) -> alt.LayerChart:
    """The waterfall of a change's contributions, with a ``bar`` point selection on a click."""
    frame = waterfall_frame(table, start=start, metric=metric, lower_is_better=lower_is_better)
    pick = alt.selection_point(name="bar", fields=["target", "order"], on="click", empty=False)
    base = alt.Chart(frame).encode(
        y=alt.Y("label:N", sort=alt.SortField("order"), title=None, axis=alt.Axis(labelLimit=260)),
        tooltip=[
            alt.Tooltip("label:N", title="contribution"),
            alt.Tooltip("value:Q", title=f"{metric} points", format="+.4f"),
            alt.Tooltip("lower:Q", title="lower", format="+.4f"),
            alt.Tooltip("upper:Q", title="upper", format="+.4f"),
            alt.Tooltip("target:N", title="click opens"),
        ],
    )
    bars = (
        # named: unnamed, Altair names the view by a hash of its data's repr (~10 ms a redraw)
        base.properties(name="bars")
        .mark_bar()
        .encode(
            x=alt.X("start:Q", title=metric, scale=alt.Scale(zero=False)),
            x2="end:Q",
            color=alt.Color(
                "direction:N",
                scale=alt.Scale(
                    domain=["worse", "better", "total"],
                    range=[WORSE_COLOR, BETTER_COLOR, TOTAL_COLOR],
                ),
                legend=alt.Legend(title=f"moved {metric}", orient="bottom"),
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.8)),
            strokeWidth=alt.condition(pick, alt.value(2), alt.value(0)),
            stroke=alt.value("#222"),
        )
        .add_params(pick)
    )
    text = (
        base.transform_calculate(
            right="max(datum.start, datum.end)",
            # a value that rounds to zero reads 0.000, not -0.000 or +0.000 (as in the summary)
            shown="abs(datum.value) < 0.0005 ? '0.000' : format(datum.value, '+.3f')",
        )
        .mark_text(align="left", dx=3, fontSize=10, color="#333")
        .encode(x="right:Q", text="shown:N")
    )
    chart = alt.layer(bars, text).properties(width=WIDTH, height=alt.Step(20))
    if title:
        chart = chart.properties(title=title)
    return cast(alt.LayerChart, chart)


def period_chart(
    series: pd.DataFrame,
    *,
    metric: str,
    shaded: tuple[Any, Any] | None = None,
    name: str = "window",
    height: int = 110,
) -> alt.LayerChart:
    """The metric over time (``window_start``, ``value``, ``n`` labelled rows) with an interval
    brush ``brush`` on the time axis; ``shaded`` marks the other period already picked. A day
    whose value is null (no labels yet) is a gap in the line, not a point at zero."""
    brush = alt.selection_interval(name="brush", encodings=["x"])
    line = (
        # named: unnamed, Altair names the view by a hash of its data's repr (~10 ms a redraw)
        alt.Chart(series, name="over_time")
        .mark_line(point=True, color="#444", invalid="break-paths-show-domains")
        .encode(
            x=alt.X("window_start:T", title=None),
            y=alt.Y("value:Q", title=metric, scale=alt.Scale(zero=False)),
            tooltip=[
                alt.Tooltip("window_start:T", title="from"),
                alt.Tooltip("value:Q", title=metric, format=".4f"),
                alt.Tooltip("n:Q", title="labelled rows", format=","),
            ],
        )
        .add_params(brush)
    )
    layers: list[Any] = []
    if shaded is not None:
        other = "reference" if name == "window" else "window"
        shade = pd.DataFrame({"start": [shaded[0]], "end": [shaded[1]], "period": [other]})
        layers.append(
            alt.Chart(shade)
            .mark_rect(opacity=0.25)
            .encode(
                x="start:T",
                x2="end:T",
                color=alt.Color(
                    "period:N",
                    scale=alt.Scale(
                        domain=["reference", "window"], range=[REFERENCE_COLOR, WINDOW_COLOR]
                    ),
                    legend=alt.Legend(title=None, orient="top"),
                ),
            )
        )
    chart = alt.layer(*layers, line).properties(
        width=WIDTH, height=height, title=f"brush the {name}"
    )
    return cast(alt.LayerChart, chart)
