"""Explanations as charts: a SHAP waterfall and the feature table.

The waterfall starts at the explainer's base value and adds one bar per feature (largest |SHAP|
first; the smallest are folded into one "other features" bar) until it reaches the model output.
Red pushes the output up (towards the positive class), blue down. The functions read anything shaped
like :class:`~diaglab.diagnostics.explain.query.Explanation`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any, Protocol, cast

import altair as alt
import pandas as pd

UP_COLOR = "#d64541"
DOWN_COLOR = "#2f6fbf"
TOTAL_COLOR = "#9aa5b1"
MAX_BARS = 10
WIDTH = 380


class ExplanationLike(Protocol):
    @property
    def base_value(self) -> float: ...

    @property
    def prediction(self) -> float: ...

    @property
    def output_space(self) -> str: ...

    @property
    def values(self) -> Mapping[str, float]: ...

    @property
    def features(self) -> Mapping[str, Any]: ...


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "missing"
    if isinstance(v, float):
        return f"{v:,.6g}"
    return str(v)


def waterfall_data(ex: ExplanationLike, *, max_bars: int = MAX_BARS) -> pd.DataFrame:
    """The waterfall's bars: ``label, start, end, shap, kind, order``."""
    ordered = sorted(ex.values.items(), key=lambda kv: abs(kv[1]), reverse=True)
    shown, rest = ordered[:max_bars], ordered[max_bars:]
    rows = [{"label": "base value", "start": 0.0, "end": ex.base_value, "kind": "total"}]
    steps = [(f"{f} = {_fmt(ex.features.get(f))}", v) for f, v in shown]
    if rest:
        steps.append((f"{len(rest)} other features", sum(x for _, x in rest)))
    level = ex.base_value
    for label, v in steps:
        kind = "up" if v >= 0 else "down"
        rows.append({"label": label, "start": level, "end": level + v, "kind": kind})
        level += v
    rows.append({"label": "model output", "start": 0.0, "end": ex.prediction, "kind": "total"})
    df = pd.DataFrame(rows)
    df["shap"] = df["end"] - df["start"]
    df["order"] = range(len(df))
    return df


def space_label(space: str) -> str:
    """An output space as a reader writes it: ``log-odds``, ``probability``, ``value``."""
    return space.replace("_", "-")


def waterfall_chart(ex: ExplanationLike, *, title: str | None = None) -> alt.LayerChart:
    """The SHAP waterfall of one explanation as an Altair layer (bars and their values)."""
    df = waterfall_data(ex)
    space = space_label(ex.output_space)
    base = alt.Chart(df).encode(
        y=alt.Y("label:N", sort=alt.SortField("order"), title=None),
        tooltip=[
            alt.Tooltip("label:N", title="feature"),
            alt.Tooltip("shap:Q", title="SHAP", format="+.4f"),
            alt.Tooltip("end:Q", title=f"output ({space})", format=".4f"),
        ],
    )
    bars = base.mark_bar().encode(
        x=alt.X("start:Q", title=f"model output ({space})", scale=alt.Scale(zero=False)),
        x2="end:Q",
        color=alt.Color(
            "kind:N",
            scale=alt.Scale(
                domain=["up", "down", "total"], range=[UP_COLOR, DOWN_COLOR, TOTAL_COLOR]
            ),
            legend=None,
        ),
    )
    text = (
        base.transform_calculate(right="max(datum.start, datum.end)")
        .mark_text(align="left", dx=3, fontSize=10, color="#333")
        .encode(x="right:Q", text=alt.Text("shap:Q", format="+.3f"))
    )
    chart = alt.layer(bars, text).properties(width=WIDTH, height=alt.Step(18))
    if title:
        chart = chart.properties(title=title)
    return cast(alt.LayerChart, chart)


def feature_table_html(table: pd.DataFrame, *, max_rows: int = 20) -> str:
    """The explanation's feature table as compact HTML with flags as badges."""
    head = "<tr><th>feature</th><th>value</th><th>SHAP</th><th>reference</th><th>flags</th></tr>"
    body = []
    for rec in table.head(max_rows).to_dict(orient="records"):
        shap = float(rec.get("shap", 0.0))
        color = UP_COLOR if shap >= 0 else DOWN_COLOR
        if rec.get("kind") == "categorical":
            share = rec.get("reference_share")
            where = "" if share is None or _nan(share) else f"{float(share):.1%} of reference"
        else:
            pct = rec.get("percentile")
            where = "" if pct is None or _nan(pct) else f"percentile {100 * float(pct):.0f}"
        flags = [
            name
            for name, col in (
                ("out of range", "out_of_range"),
                ("unseen category", "unseen_category"),
                ("missing", "missing"),
                ("drifted", "drifted_in_window"),
            )
            if rec.get(col) is True
        ]
        badges = " ".join(
            f"<span class='diaglab-flag' style='background:#fdecea;color:#8a1c1c;"
            f"padding:0 4px;border-radius:3px'>{html.escape(f)}</span>"
            for f in flags
        )
        body.append(
            f"<tr><td>{html.escape(str(rec['feature']))}</td>"
            f"<td>{html.escape(_fmt(rec.get('value')))}</td>"
            f"<td style='color:{color};text-align:right'>{shap:+.4f}</td>"
            f"<td>{html.escape(where)}</td><td>{badges}</td></tr>"
        )
    return (
        "<table class='diaglab-explain-table' style='border-collapse:collapse;font-size:12px'>"
        f"{head}{''.join(body)}</table>"
    )


def _nan(v: Any) -> bool:
    try:
        return math.isnan(float(v))
    except (TypeError, ValueError):
        return False
