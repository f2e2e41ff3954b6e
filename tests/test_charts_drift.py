"""Drift charts: pure functions from results to Vega-Lite; what they mark and what they select."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from diaglab.diagnostics.drift.chart import (
    BRUSH,
    NEW_COLOR,
    detail_chart,
    distribution_chart,
    over_time_chart,
    sparkline_svg,
)


@dataclass(frozen=True)
class Dist:
    feature: str
    kind: str
    bins: pd.DataFrame


def _bins(kind: str) -> pd.DataFrame:
    if kind == "numeric":
        rows = [
            ("< 10", 5.0, 10.0, 0, 4, True),
            ("[10, 20)", 10.0, 20.0, 50, 30, False),
            ("[20, 30)", 20.0, 30.0, 0, 0, False),
            ("[30, 40)", 30.0, 40.0, 50, 60, False),
        ]
    else:
        rows = [("web", np.nan, np.nan, 70, 50, False), ("api", np.nan, np.nan, 0, 40, True)]
    df = pd.DataFrame(rows, columns=["bin", "left", "right", "reference", "current", "new"])
    for side in ("reference", "current"):
        df[f"{side}_share"] = df[side] / df[side].sum()
    return df


def _series(n: int = 10) -> pd.DataFrame:
    start = pd.date_range("2026-01-01", periods=n, freq="D", tz="UTC")
    value = np.r_[np.full(n - 3, 0.01), [0.2, 0.3, math.nan]]
    return pd.DataFrame(
        {
            "feature": "x",
            "window_start": start,
            "window_end": start + pd.Timedelta("1D"),
            "value": value,
            "n": 100,
            "missing_rate": 0.0,
            "alert": value > 0.05,
        }
    )


def _values(spec: dict[str, Any]) -> list[dict[str, Any]]:
    data = spec.get("datasets", {})
    return [row for rows in data.values() for row in rows]


def test_distribution_marks_values_the_reference_never_saw() -> None:
    spec = distribution_chart(Dist("x", "numeric", _bins("numeric"))).to_dict()
    rows = _values(spec)
    assert {r["tick"] for r in rows} == {"< 10", "10", "30"}  # empty bins are dropped
    unseen = [r for r in rows if r["group"] == "current, unseen in reference"]
    assert [r["tick"] for r in unseen] == ["< 10"]
    assert NEW_COLOR in spec["encoding"]["color"]["scale"]["range"]


def test_distribution_of_categories_marks_new_ones() -> None:
    spec = distribution_chart(Dist("c", "categorical", _bins("categorical"))).to_dict()
    unseen = [r for r in _values(spec) if r["group"] == "current, unseen in reference"]
    assert [r["bin"] for r in unseen] == ["api"]
    assert "new category" in spec["title"]["subtitle"]


def test_over_time_has_the_brush_the_band_and_alert_points() -> None:
    spec = over_time_chart(_series(), (0.0, 0.05), current=("2026-01-08", None)).to_dict()
    params = spec.get("params", [])
    assert [p["name"] for p in params] == [BRUSH]
    assert params[0]["select"] == {"type": "interval", "encodings": ["x"]}
    layers = spec["layer"]
    marks = [
        layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        for layer in layers
    ]
    assert marks == ["rect", "rect", "line", "point"]  # band, current window, series, alerts
    assert layers[-1]["transform"] == [{"filter": "datum.alert"}]
    rows = _values(spec)
    assert any(r.get("high") == 0.05 for r in rows)
    assert any(r.get("value") is None for r in rows)  # NaN is sent as null, not NaN


def test_over_time_without_a_band_or_brush() -> None:
    spec = over_time_chart(_series(), (math.nan, math.nan), brush=None).to_dict()
    assert "params" not in spec
    assert len(spec["layer"]) == 2


def test_detail_says_what_is_missing() -> None:
    spec = detail_chart(None, None, None, title="label: no drift").to_dict()
    texts = [r.get("text") for r in _values(spec)]
    assert "no distribution: a side has no values" in texts
    assert "no series over time for this column" in texts
    assert spec["title"]["text"] == "label: no drift"


def test_detail_stacks_distribution_over_time_and_missing_rate() -> None:
    dist = Dist("x", "numeric", _bins("numeric"))
    spec = detail_chart(dist, _series(), (0, 0.05), title="x: major drift").to_dict()
    assert len(spec["vconcat"]) == 3
    assert spec["params"][0]["name"] == BRUSH


def test_sparkline_draws_line_band_and_alerts() -> None:
    s = _series()
    svg = sparkline_svg(s["value"], high=0.05, alerts=s["alert"])
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<circle") == 2  # the NaN window is a gap, not an alert point
    assert "stroke-dasharray" in svg
    assert sparkline_svg([math.nan, math.nan]) == ""
