"""Charts mean what they show: colour in the metric's direction, legends that tell series
apart, every mark clipped to its plot, numbers in one format, no interaction a static chart
does not have."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from diaglab.diagnostics.drift.chart import over_time_chart
from diaglab.diagnostics.metrics.chart import metrics_chart, volume_panel
from diaglab.diagnostics.slices.chart import MIN_SUPPORT, chart_frame, slice_chart
from diaglab.diagnostics.traces.chart import latency_chart, waterfall_chart


def _walk(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for v in node.values():
            found += _walk(v)
    elif isinstance(node, list):
        for v in node:
            found += _walk(v)
    return found


def _marks(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in _walk(spec) if "mark" in n]


def _mark_type(node: dict[str, Any]) -> str:
    m = node["mark"]
    return m if isinstance(m, str) else m["type"]


def _clipped(node: dict[str, Any]) -> bool:
    m = node["mark"]
    return isinstance(m, dict) and m.get("clip") is True


def _slices(metric: str, *, overall: float) -> pd.DataFrame:
    rows = []
    for a in ("north", "south", None):
        for b in (1.0, 2.0):
            value = {"north": overall + 0.1, "south": overall - 0.05, None: 1.0}[a]
            n = 5 if a is None else 400
            rows.append(
                {
                    "region": a,
                    "tier": b,
                    "predicate": f"region = {a!r} AND tier = {b}",
                    metric: value,
                    f"{metric}_lower": value - 0.02,
                    f"{metric}_upper": value + 0.02,
                    f"{metric}_overall": overall,
                    f"{metric}_difference": value - overall,
                    f"{metric}_p_adjusted": 0.001,
                    "n": n * 100 + 84,
                    "n_labelled": n,
                }
            )
    return pd.DataFrame(rows)


def test_heatmap_diverges_around_overall_in_the_metrics_direction():
    for metric, lower in (("error", True), ("roc_auc", False)):
        table = _slices(metric, overall=0.3)
        spec = slice_chart(table, metric, ["region", "tier"], lower_is_better=lower).to_dict()
        scales = [
            n["color"]["scale"]
            for n in _walk(spec)
            if isinstance(n.get("color"), dict) and n["color"].get("field") == "value"
        ]
        assert scales, "the cells are coloured by the value"
        scale = scales[0]
        assert scale["domainMid"] == 0.3
        assert scale["reverse"] is lower  # red is worse: above overall for error, below for AUC
        # the one-row cell (value 1.0) does not set the top of the scale
        assert max(scale["domain"]) < 0.5


def test_heatmap_cells_print_their_value_and_mark_too_few():
    frame = chart_frame(
        _slices("error", overall=0.3), "error", ["region", "tier"], lower_is_better=True, alpha=0.05
    )
    few = frame[frame["n_labelled"] < MIN_SUPPORT]
    assert len(few) and set(few["support"]) == {"too few"}
    assert all(t.startswith("too few") for t in few["cell_text"])
    ok = frame[frame["support"] == "enough"]
    assert all(
        t.split("\n")[0] == v for t, v in zip(ok["cell_text"], ok["value_text"], strict=True)
    )
    assert "(missing)" in set(frame["by0"])  # a null region has a label, not an empty row
    assert set(frame["by1"]) == {"1", "2"}  # not 1.0


def test_bar_chart_keeps_its_text_inside_the_plot_and_counts_in_the_labels():
    table = _slices("error", overall=0.3).drop_duplicates("region")
    spec = slice_chart(table, "error", ["region"]).to_dict()
    marks = _marks(spec)
    assert marks and all(_clipped(m) for m in marks)
    labels = [n["field"] for n in _walk(spec) if n.get("field") == "row_label"]
    assert labels, "each row's label carries its count"
    domains = [
        n["scale"]["domain"]
        for n in _walk(spec)
        if isinstance(n.get("scale"), dict)
        and "domain" in n["scale"]
        and n.get("field") in ("value", "x_text")
    ]
    assert domains and domains[0][1] > table["error_upper"].max()


def _metrics_table() -> tuple[pd.DataFrame, pd.DataFrame]:
    starts = pd.date_range("2026-01-01", periods=4, freq="D", tz="UTC")
    rows = []
    for kind in ("realized", "estimated"):
        for s in starts:
            rows.append(
                {
                    "metric": "roc_auc",
                    "series": "all",
                    "window_start": s,
                    "kind": kind,
                    "value": 0.8,
                    "low": 0.75,
                    "high": 0.85,
                    "n": 100,
                    "band_low": 0.7,
                    "band_high": 0.9,
                    "alert": False,
                    "reason": "",
                }
            )
    windows = pd.DataFrame(
        {
            "series": "all",
            "window_start": starts,
            "window_end": starts + pd.Timedelta("1D"),
            "n": 100,
            "n_failed": 0,
            "n_labelled": 50,
            "label_coverage": 0.5,
        }
    )
    return pd.DataFrame(rows), windows


def test_metrics_chart_clips_every_mark_and_its_legends_tell_series_apart():
    table, windows = _metrics_table()
    spec = metrics_chart(table, windows, ["roc_auc"], current=(None, None)).to_dict()
    for m in _marks(spec):
        if _mark_type(m) != "text":
            assert _clipped(m), m["mark"]
    dash = [
        n["legend"]
        for n in _walk(spec)
        if n.get("field") == "kind" and isinstance(n.get("legend"), dict)
    ]
    assert dash and dash[0]["symbolType"] == "stroke"  # a dash and a line, not two dots
    formats = [n["format"] for n in _walk(spec) if isinstance(n.get("format"), str)]
    assert "%" not in formats  # d3's bare % reads 0.000000%


def test_static_charts_do_not_ask_for_a_drag():
    _, windows = _metrics_table()
    assert "drag" not in str(volume_panel(windows, series=["all"], brush=None).to_dict())
    assert "drag" in str(volume_panel(windows, series=["all"]).to_dict())
    series = pd.DataFrame(
        {
            "window_start": windows["window_start"],
            "window_end": windows["window_end"],
            "value": 0.1,
            "n": 10,
            "alert": False,
        }
    )
    assert "drag" not in str(over_time_chart(series, (0.0, 0.2), brush=None).to_dict())


def test_latency_legend_draws_strokes_per_percentile():
    starts = pd.date_range("2026-01-01", periods=3, freq="D", tz="UTC")
    table = pd.DataFrame(
        {
            "window_start": starts,
            "name": "model",
            "volume": 10,
            "error_rate": 0.01,
            "p50_ms": 5.0,
            "p95_ms": 9.0,
            "p99_ms": 12.0,
        }
    )
    spec = latency_chart(table).to_dict()
    legends = [
        n["legend"]
        for n in _walk(spec)
        if n.get("field") == "percentile" and isinstance(n.get("legend"), dict)
    ]
    assert legends and legends[0]["symbolType"] == "stroke"


def test_waterfall_leaves_room_for_the_last_duration():
    spans = pd.DataFrame(
        {
            "span_id": ["a", "b"],
            "depth": [0, 1],
            "name": ["req", "model"],
            "service_name": "svc",
            "offset_ms": [0.0, 4.0],
            "duration_ms": [20.0, 16.0],
            "self_ms": [4.0, 16.0],
            "status": "ok",
            "status_message": "",
            "critical": [True, True],
            "orphan": False,
            "clock_skew": False,
            "copies": 1,
            "attributes": [{}, {}],
        }
    )
    spec = waterfall_chart(spans).to_dict()
    domains = [
        n["scale"]["domain"]
        for n in _walk(spec)
        if isinstance(n.get("scale"), dict) and n.get("field") == "start_ms"
    ]
    assert domains and domains[0][1] > 20.0
    assert "20 ms" in str(spec)
    assert all(_clipped(m) for m in _marks(spec))
    assert np.isfinite(domains[0][1])


def test_a_bar_value_never_runs_across_the_overall_line():
    # the screenshot case: a bar of 0.13 whose interval ends at 0.14, the overall line at 0.146
    table = _slices("error", overall=0.146).drop_duplicates("region").head(3).copy()
    table["error"] = [0.13, 0.2, 0.05]
    table["error_lower"], table["error_upper"] = [0.12, 0.18, 0.04], [0.14, 0.22, 0.06]
    frame = chart_frame(table, "error", ["region"], lower_is_better=True, alpha=0.05)
    # right of the line where the whisker ends before it; else right of the whisker
    assert list(frame["x_text"]) == [0.146, 0.22, 0.146]
    spec = slice_chart(table, "error", ["region"]).to_dict()
    texts = [
        n
        for n in _walk(spec)
        if n.get("mark", {}) in ("text", {"type": "text"})
        or (isinstance(n.get("mark"), dict) and n["mark"].get("type") == "text")
    ]
    assert texts and all(t["encoding"]["x"]["field"] == "x_text" for t in texts)


def test_a_metric_without_an_estimate_has_no_estimated_legend_entry():
    table, windows = _metrics_table()
    latency = table[table["kind"] == "realized"].assign(metric="latency_p95")
    spec = metrics_chart(
        pd.concat([table, latency]), windows, ["roc_auc", "latency_p95"], current=(None, None)
    ).to_dict()
    panels = {p["title"]["text"]: p for p in spec["vconcat"] if isinstance(p.get("title"), dict)}
    dashes = {
        title: [n for n in _walk(panel) if n.get("field") == "kind" and "scale" in n]
        for title, panel in panels.items()
    }
    (auc,) = [d for t, d in dashes.items() if "ROC" in t or "roc" in t]
    (lat,) = [d for t, d in dashes.items() if "latency" in t]
    assert auc[0]["scale"]["domain"] == ["realized", "estimated"] and auc[0]["legend"]
    assert lat[0]["scale"]["domain"] == ["realized"] and lat[0]["legend"] is None
