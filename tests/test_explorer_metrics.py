"""MetricsExplorer driven from Python: set traits, feed brush events, capture. No kernel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import altair as alt
import ipywidgets as w
import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from diaglab.diagnostics.metrics import query as metrics_module
from diaglab.errors import UnknownNameError

START = pd.Timestamp("2026-01-01", tz="UTC")
WORSE = 14  # the model gets worse from this day


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """21 days of a binary model, v1 then v2 from day 10, labels 1-5 days late; from day 14
    the labels stop following the score for region 'north' (the model degrades there)."""
    path = tmp_path_factory.mktemp("metrics-store") / "store"
    rng = np.random.default_rng(11)
    store = dl.open(path)
    for day in range(21):
        n = 600
        x = rng.normal(size=n)
        region = rng.choice(["north", "south"], n)
        p = 1 / (1 + np.exp(-(2.5 * x - 1.5)))
        y = (rng.random(n) < p).astype(int)
        if day >= WORSE:
            north = region == "north"
            y[north] = (rng.random(int(north.sum())) < 0.5).astype(int)
        ts = START + pd.Timedelta(days=day) + pd.to_timedelta(np.sort(rng.random(n)), unit="D")
        ids = store.log(
            "credit",
            pd.DataFrame({"x": x, "region": region}),
            p,
            timestamps=ts,
            latency_ms=rng.lognormal(3, 0.3, n),
            model_version="v1" if day < 10 else "v2",
        )
        store.log_labels(
            "credit", ids, y, timestamps=ts + pd.to_timedelta(rng.uniform(1, 5, n), "D")
        )
    store.close()
    return path


@pytest.fixture
def store(store_path: Path) -> Iterator[Any]:
    s = dl.open(store_path)
    yield s
    s.close()


@pytest.fixture
def explorer(store: Any) -> Iterator[dl.MetricsExplorer]:
    ex = dl.MetricsExplorer(store, "credit")
    ex.wait()
    yield ex
    ex.close()


class Calls:
    """Counts the queries the explorer runs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.n = 0
        real = metrics_module.metrics_over_time

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.n += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(metrics_module, "metrics_over_time", counted)


def _brush(ex: dl.MetricsExplorer, lo: Any, hi: Any) -> None:
    """What the JupyterChart's JavaScript sends when the volume bars are brushed."""
    ex.chart._vl_selections = {
        "window": {
            "value": {"window_start": [lo, hi]},
            "store": [
                {
                    "unit": "concat_4",
                    "fields": [{"field": "window_start", "channel": "x", "type": "R"}],
                    "values": [[lo, hi]],
                }
            ],
        }
    }


def _ms(day: str) -> float:
    return pd.Timestamp(day, tz="UTC").value / 1e6


def _marks(spec: dict[str, Any]) -> list[str]:
    out = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            mark = node.get("mark")
            if mark is not None:
                out.append(mark if isinstance(mark, str) else mark.get("type"))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return out


def test_explorer_is_a_displayable_widget_with_css_hooks(explorer: dl.MetricsExplorer) -> None:
    assert isinstance(explorer, w.VBox)
    bundle = explorer._repr_mimebundle_()
    assert bundle is not None and "application/vnd.jupyter.widget-view+json" in bundle
    assert "diaglab-metrics" in explorer._dom_classes
    assert "diaglab-metrics-chart" in explorer.chart._dom_classes
    assert "diaglab-metrics-window" in explorer.window_label._dom_classes
    assert "diaglab-error" in explorer.error_area._dom_classes
    assert isinstance(explorer.chart, alt.JupyterChart)
    assert explorer.metrics == ["accuracy", "roc_auc", "latency_p95"]
    assert explorer.last_error is None
    assert "MetricsExplorer 'credit'" in repr(explorer)


def test_data_is_metrics_over_time_of_the_state(explorer: dl.MetricsExplorer, store: Any) -> None:
    expected = dl.metrics_over_time(store, "credit", metrics=explorer.metrics).table
    pd.testing.assert_frame_equal(explorer.data(), expected)


def test_chart_has_a_panel_per_metric_coverage_volume_and_a_brush(
    explorer: dl.MetricsExplorer,
) -> None:
    spec = explorer.chart.spec
    assert spec is not None
    panels = spec["vconcat"]
    assert len(panels) == 3 + 2  # the metrics, label coverage, volume
    assert "bar" in _marks(panels[-1])
    params = [*spec.get("params", []), *panels[-1].get("params", [])]
    brush = [p for p in params if p["name"] == "window"]
    assert len(brush) == 1 and brush[0]["select"]["type"] == "interval"
    assert "line" in _marks(panels[-2])
    assert {"area", "line", "point"} <= set(_marks(panels[0]))
    text = json.dumps(spec)
    assert "estimated" in text and "realized" in text and "break-paths-show-domains" in text


def test_alerts_appear_after_the_degradation(explorer: dl.MetricsExplorer) -> None:
    data = explorer.data()
    acc = data[(data["metric"] == "accuracy") & (data["kind"] == "realized")]
    late = acc["window_start"] >= START + pd.Timedelta(days=WORSE)
    assert acc.loc[late, "alert"].fillna(False).all()
    assert not acc.loc[~late, "alert"].fillna(False).any()
    assert "alerts" in explorer.status.value and "accuracy" in explorer.status.value


def test_brushing_sets_the_current_window_without_a_query(
    explorer: dl.MetricsExplorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Calls(monkeypatch)
    chart = explorer.chart.chart
    _brush(explorer, _ms("2026-01-15 03:00"), _ms("2026-01-18 20:00"))
    assert explorer.window == dl.Window("2026-01-15", "2026-01-19")
    assert explorer.window_text.value == "2026-01-15 .. 2026-01-19"
    assert "[2026-01-15, 2026-01-19)" in explorer.window_label.value
    assert "2,400 predictions" in explorer.window_label.value
    assert calls.n == 0
    assert explorer.chart.chart is chart  # not redrawn: the brush stays under the mouse
    explorer.window = ("2026-01-14", "2026-01-19")  # set from Python: the shade moves
    assert explorer.chart.chart is chart
    lo, hi = (explorer.chart.params.window_lo, explorer.chart.params.window_hi)
    assert (lo, hi) == (_ms("2026-01-14"), _ms("2026-01-19"))
    explorer.window = None  # everything: no shade
    assert explorer.chart.params.window_lo is None


def test_split_by_version_and_metric_choice_recompute(
    explorer: dl.MetricsExplorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Calls(monkeypatch)
    explorer.by = "version"
    explorer.wait()
    assert explorer.by == "model_version" and explorer.by_picker.value == "model_version"
    result = explorer.result
    assert result is not None and result.series == ["v1", "v2"]
    explorer.metric_picker.value = ("label_coverage", "accuracy")
    explorer.wait()
    assert explorer.metrics == ["label_coverage", "accuracy"]
    assert set(explorer.data()["metric"]) == {"label_coverage", "accuracy"}
    assert calls.n == 2


def test_as_of_shows_what_was_known_then(explorer: dl.MetricsExplorer) -> None:
    explorer.as_of_text.value = "2026-01-12"
    explorer.wait()
    result = explorer.result
    assert result is not None and result.as_of == pd.Timestamp("2026-01-12", tz="UTC")
    windows = result.windows
    assert windows["window_start"].max() < pd.Timestamp("2026-01-13", tz="UTC")
    recent = windows[windows["window_start"] == pd.Timestamp("2026-01-11", tz="UTC")]
    assert recent["label_coverage"].iloc[0] < 0.1  # labels take 1-5 days
    assert "as of 2026-01-12" in explorer.status.value


def test_bad_input_is_shown_under_the_widget(explorer: dl.MetricsExplorer) -> None:
    explorer.where_text.value = "colour = 'red'"
    assert explorer.last_error is not None and "colour" in str(explorer.last_error)
    assert "colour" in explorer.error_area.value
    explorer.window_text.value = "yesterday"
    assert "start .. end" in explorer.error_area.value
    with pytest.raises(UnknownNameError, match=r"known: .*accuracy"):
        explorer.metrics = ["accurcy"]
    explorer.as_of_text.value = "not a date"
    assert "as_of" in explorer.error_area.value


def test_an_error_in_the_worker_is_shown_and_kept(
    explorer: dl.MetricsExplorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("engine went away")

    monkeypatch.setattr(metrics_module, "metrics_over_time", broken)
    explorer.freq = "6h"
    explorer.wait()
    assert isinstance(explorer.last_error, RuntimeError)
    assert "engine went away" in explorer.error_area.value
    assert "not updated" in explorer.status.value


def test_capture_holds_state_query_table_and_chart(explorer: dl.MetricsExplorer) -> None:
    explorer.window = ("2026-01-14", "2026-01-21")
    found = explorer.capture("accuracy fell", note="north region")
    assert found.explorer == "MetricsExplorer" and found.model == "credit"
    assert found.state is not None and found.state["window"]["start"].startswith("2026-01-14")
    assert found.query["function"] == "diaglab.metrics_over_time"
    assert "dl.metrics_over_time(store, 'credit'" in found.query["call"]
    assert {"metric", "value", "alert"} <= set(found.table["columns"])
    assert found.table["rows"]
    assert found.chart is not None and found.chart["vconcat"]
    json.dumps(found.to_json())  # JSON-safe


def test_the_metrics_picker_is_a_checkbox_per_metric(explorer):
    picker = explorer.metric_picker
    assert len(picker.labels) == len(picker.options) >= 5  # every metric in sight
    second = picker.options[1][1] if isinstance(picker.options[1], tuple) else picker.options[1]
    picker.chosen = sorted({*picker.chosen, 1})  # what ticking the second box sends
    explorer.wait()
    assert second in explorer.metrics and second in picker.value
    with pytest.raises(dl.UnknownNameError, match="unknown choice"):
        picker.value = ("no_such_metric",)


def test_status_and_subtitle_read_in_words(explorer: dl.MetricsExplorer) -> None:
    assert explorer.window == dl.Window()
    assert "everything logged" in explorer.window_label.value  # not "[…, …)"
    assert "dashed" in str(explorer.chart.chart.to_dict()["title"]["subtitle"])
    labels = dict(o if isinstance(o, tuple) else (o, o) for o in explorer.by_picker.options)
    assert labels["version"] == "model_version"  # split by "version", not "model_version"
    explorer.metrics = ["label_coverage"]  # no label-free estimate: no dashed line to explain
    explorer.wait()
    assert "dashed" not in str(explorer.chart.chart.to_dict()["title"]["subtitle"])
