"""TraceExplorer (and the inspector's trace) driven from Python: set traits, wait, read."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from conftest import credit_frame, credit_target
from diaglab.diagnostics.traces.chart import MAX_POINTS, PICK, latency_chart, waterfall_frame
from diaglab.errors import UnknownNameError

START = pd.Timestamp("2026-01-01", tz="UTC")
MS = 1_000_000
N = 120


def trace_hex(i: int) -> str:
    return f"{i + 1:032x}"


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    """A model with 120 predictions, each with a 3-span trace; request 7 is slow in 'lookup',
    request 11 fails in 'model', prediction r5 has no trace, r6's trace has no spans."""
    store = dl.open(tmp_path_factory.mktemp("traces") / "store")
    train = credit_frame(800, 1)
    clf = lgb.LGBMClassifier(n_estimators=20, num_leaves=8, verbose=-1, random_state=0)
    clf.fit(train.assign(region=train["region"].astype("category")), credit_target(train, 2))
    store.register_model("m", clf, "v1")
    prod = credit_frame(N, 3)
    ts = START + pd.to_timedelta(np.arange(N) * 30, unit="min")
    traces = [trace_hex(i) for i in range(N)]
    traces[5] = None
    store.log(
        "m",
        prod,
        store.load_model("m").predict_proba(prod)[:, 1],
        timestamps=ts,
        prediction_ids=[f"r{i}" for i in range(N)],
        trace_ids=traces,
    )
    store.set_reference("m", credit_frame(300, 5), labels=credit_target(credit_frame(300, 5), 6))
    rows = {
        k: []
        for k in (
            "trace_id",
            "span_id",
            "parent_span_id",
            "name",
            "start_ns",
            "end_ns",
            "status",
            "status_message",
            "attributes",
        )
    }
    for i in range(N):
        if i == 6:
            continue
        t0 = int(ts[i].value)
        lookup = (300 if i == 7 else 5) * MS
        for k, (name, parent, s, e) in enumerate(
            [
                ("request", None, 0, lookup + 20 * MS),
                ("lookup", 0, MS, MS + lookup),
                ("model", 0, lookup + 2 * MS, lookup + 15 * MS),
            ]
        ):
            failed = i == 11 and name == "model"
            rows["trace_id"].append(trace_hex(i))
            rows["span_id"].append(f"{i:014x}{k:02x}")
            rows["parent_span_id"].append(None if parent is None else f"{i:014x}{parent:02x}")
            rows["name"].append(name)
            rows["start_ns"].append(t0 + s)
            rows["end_ns"].append(t0 + e)
            rows["status"].append("error" if failed else "ok")
            rows["status_message"].append("OOM" if failed else None)
            rows["attributes"].append({"stage": name, "i": i})
    store.log_spans(rows)
    yield store
    store.close()


@pytest.fixture
def explorer(traced):
    ex = dl.TraceExplorer(traced)
    ex.wait(60)
    yield ex
    ex.close()


def test_opens_the_slowest_trace_with_its_waterfall(explorer):
    assert explorer.last_error is None
    assert explorer.traces["trace_id"].iloc[0] == trace_hex(7)
    assert explorer.trace_id == trace_hex(7)
    assert explorer.result is not None and explorer.result.slowest_stage == "lookup"
    spans = explorer.data()
    assert list(spans["name"]) == ["request", "lookup", "model"]
    assert "slowest stage <b>lookup</b>" in explorer.summary.value
    assert "m: r7" in explorer.summary.value
    spec = explorer.waterfall.spec
    assert PICK in str(spec) and "time since the trace started (ms)" in str(spec)
    assert len(explorer.trace_list.rows) == len(explorer.traces) == 25
    durations = explorer.trace_list.frame["duration ms"]  # sorted by the duration header
    assert durations.is_monotonic_decreasing and explorer.trace_list.sort[0] == "duration ms"
    assert "lookup" in str(explorer.latency.spec)


def test_failed_traces_and_picking_one_from_the_list(explorer):
    explorer.find = "failed"
    explorer.wait(60)
    assert explorer.traces["trace_id"].tolist() == [trace_hex(11)]
    assert explorer.trace_id == trace_hex(11)
    assert explorer.result.errors and "1 span(s) failed" in explorer.summary.value
    explorer.find = "slowest"
    explorer.wait(60)
    explorer.trace_list.value = trace_hex(3)  # a click on its row's button
    explorer.wait(60)
    assert explorer.trace_id == trace_hex(3)
    assert explorer.result.trace_id == trace_hex(3)


def test_trace_by_prediction_id_and_span_details(explorer):
    explorer.id_text.value = "r42"
    explorer.find_picker.value = "prediction"
    explorer.wait(60)
    assert explorer.trace_id == trace_hex(42)
    explorer.span = f"{42:014x}01"
    assert "stage" in explorer.span_html.value and "lookup" in explorer.span_html.value
    finding = explorer.capture("r42's trace")
    assert finding.query["call"] == f"dl.trace(store, '{trace_hex(42)}')"
    assert finding.frame()["name"].tolist() == ["request", "lookup", "model"]


def test_errors_show_under_the_widget(explorer):
    explorer.id_text.value = "r5"  # logged without a trace id
    explorer.find_picker.value = "prediction"
    explorer.wait(60)
    assert isinstance(explorer.last_error, UnknownNameError)
    assert "without a trace id" in explorer.error_area.value
    explorer.id_text.value = "nope"
    explorer.wait(60)
    assert "unknown prediction id &#x27;nope&#x27;" in explorer.error_area.value
    explorer.find = "slowest"
    explorer.wait(60)
    assert explorer.last_error is None
    with pytest.raises(UnknownNameError, match="known: failed, prediction, slowest"):
        explorer.find = "quickest"
    with pytest.raises(dl.InputError, match="32 hex digits"):
        explorer.trace_id = "abc"
    explorer.trace_id = trace_hex(6)  # logged, but no spans arrived
    explorer.wait(60)
    assert "no span of it is stored" in explorer.error_area.value


def test_latency_over_time_follows_freq(explorer):
    explorer.freq = "6h"
    explorer.wait(60)
    assert explorer.stats is not None and explorer.stats.freq == "6h"
    days = explorer.stats.table["window_start"].dt.floor("D").nunique()
    assert len(explorer.stats.table) > days  # several windows a day


def test_waterfall_frame_marks_flags_and_the_latency_chart_stays_small(traced):
    t = dl.trace(traced, trace_hex(7))
    frame = waterfall_frame(t.spans)
    assert frame["label"].tolist()[1].startswith("\u2003")  # indented by depth
    assert frame["critical"].all()
    many = pd.DataFrame(
        {
            "window_start": pd.date_range("2026-01-01", periods=6000, freq="h", tz="UTC"),
            "name": "x",
            "volume": 1,
            "errors": 0,
            "error_rate": 0.0,
            "p50_ms": 1.0,
            "p95_ms": 2.0,
            "p99_ms": 3.0,
        }
    )
    spec = latency_chart(many).to_dict()
    values = [v for d in spec["datasets"].values() for v in d]
    assert len(values) <= 2 * MAX_POINTS
    assert "the last 4800 windows; only p95" in str(spec)


def test_inspector_shows_the_predictions_trace_or_says_why_not(traced):
    ins = dl.PredictionInspector(traced, "m")
    try:
        ins.wait(120)
        ins.prediction_id = "r7"
        ins.wait(120)
        assert ins.trace_result is not None and ins.trace_result.trace_id == trace_hex(7)
        assert "slowest stage <b>lookup</b>" in ins.trace.value
        assert ins.trace_chart.layout.display == ""
        assert "time since the trace started (ms)" in str(ins.trace_chart.spec)
        ins.prediction_id = "r5"
        ins.wait(120)
        assert ins.trace_result is None and "without a trace id" in ins.trace.value
        assert ins.trace_chart.layout.display == "none"
        ins.prediction_id = "r6"
        ins.wait(120)
        assert "has no stored spans" in ins.trace.value
    finally:
        ins.close()


def test_the_trace_shown_is_the_row_drawn_selected_and_the_widget_syncs_its_state(explorer):
    state = explorer.trace_list.get_state()
    assert state["_model_module"] == "anywidget" and "rows" in state  # a widget the page can draw
    assert explorer.trace_list.value == explorer.trace_id
    assert explorer.trace_id in explorer.trace_list.row_keys
