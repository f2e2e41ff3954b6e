"""Spans in the store, dl.trace, dl.span_stats, find_traces and the OTLP JSON import."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from diaglab.cli import main
from diaglab.errors import InputError, UnknownNameError
from diaglab.stats.log_histogram import RELATIVE_TOLERANCE
from diaglab.store.segments import list_segments

T0 = 1_767_225_600_123_456_789  # 2026-01-01T00:00:00.123456789Z: nanoseconds must survive


def tid(i: int) -> str:
    return f"{i:032x}"


def sid(i: int) -> str:
    return f"{i:016x}"


def spans(rows: list[tuple]) -> dict[str, list]:
    """(trace, span, parent, name, start offset ns, end offset ns, status) rows as columns."""
    return {
        "trace_id": [tid(r[0]) for r in rows],
        "span_id": [sid(r[1]) for r in rows],
        "parent_span_id": [None if r[2] is None else sid(r[2]) for r in rows],
        "name": [r[3] for r in rows],
        "start_ns": [T0 + r[4] for r in rows],
        "end_ns": [T0 + r[5] for r in rows],
        "status": [r[6] if len(r) > 6 else "ok" for r in rows],
        "service_name": ["svc"] * len(rows),
        "attributes": [{"i": r[1]} for r in rows],
    }


MS = 1_000_000
# One request: root 0..100 ms; a -> (a1, a2); b after a; b fails.
PIPELINE = [
    (1, 1, None, "request", 0, 100 * MS),
    (1, 3, 1, "b", 60 * MS, 95 * MS, "error"),
    (1, 2, 1, "a", 5 * MS, 55 * MS),
    (1, 4, 2, "a1", 6 * MS, 20 * MS),
    (1, 5, 2, "a2", 25 * MS, 50 * MS),
]


def test_trace_is_ordered_for_a_waterfall_with_depth_offsets_and_self_time(store):
    assert store.log_spans(spans(PIPELINE)) == 5
    t = dl.trace(store, tid(1))
    s = t.spans
    assert list(s["name"]) == ["request", "a", "a1", "a2", "b"]
    assert list(s["depth"]) == [0, 1, 2, 2, 1]
    assert t.depth == 2
    assert list(s["offset_ms"]) == [0, 5, 6, 25, 60]
    assert list(s["duration_ms"]) == [100, 50, 14, 25, 35]
    # a's self time: 50 ms minus its children's 14 + 25 ms
    assert s.set_index("name").loc["a", "self_ms"] == pytest.approx(11)
    assert s.set_index("name").loc["request", "self_ms"] == pytest.approx(100 - 50 - 35)
    assert t.slowest_stage == "b" and t.slowest_span == sid(3)
    # walking back from the root's end: b, then a, then a's last child a2, then a1
    assert t.critical_path == (sid(1), sid(3), sid(2), sid(5), sid(4))
    assert t.errors == (sid(3),)
    assert t.duration_ms == 100
    assert s["attributes"].iloc[1] == {"i": 2}
    # nanosecond precision is kept end to end
    assert s["start"].iloc[0].value == T0 and s["start_ns"].iloc[0] == T0
    assert not t.orphans and not t.clock_skew and not t.duplicates
    assert "failed" in repr(t)


def test_orphans_are_shown_at_the_root_and_flagged(store):
    store.log_spans(spans([(2, 1, None, "root", 0, 10 * MS), (2, 2, 99, "lost", 2 * MS, 4 * MS)]))
    t = dl.trace(store, tid(2))
    assert t.orphans == (sid(2),)
    assert list(t.spans["depth"]) == [0, 0]
    assert any("parent never arrived" in f for f in t.flags)


def test_clock_skewed_children_are_flagged_not_refused(store):
    store.log_spans(
        spans([(3, 1, None, "root", 10 * MS, 20 * MS), (3, 2, 1, "early", 5 * MS, 12 * MS)])
    )
    t = dl.trace(store, tid(3))
    assert t.clock_skew == (sid(2),)
    assert list(t.spans["name"]) == ["root", "early"]  # still under its parent
    assert t.spans["offset_ms"].iloc[0] == 5  # the trace starts at its earliest span


def test_a_parent_cycle_is_shown_not_looped_over(store):
    store.log_spans(
        spans([(4, 1, 2, "a", 0, 10 * MS), (4, 2, 1, "b", MS, 5 * MS), (4, 3, None, "r", 0, MS)])
    )
    t = dl.trace(store, tid(4))
    assert sorted(t.spans["name"]) == ["a", "b", "r"]
    assert sid(1) in t.orphans or sid(2) in t.orphans


def test_duplicate_span_ids_are_stored_once_and_reported(store):
    store.log_spans(spans(PIPELINE))
    store.log_spans(spans(PIPELINE[:2]))  # a retried export
    rows = store.spans().to_pandas()
    assert len(rows) == 5
    t = dl.trace(store, tid(1))
    assert set(t.duplicates) == {sid(1), sid(3)}
    assert t.spans.set_index("span_id").loc[sid(1), "copies"] == 2
    # the same in a read-only process, which reads the segment files
    ro = dl.open(store.path, read_only=True)
    try:
        assert len(ro.spans().to_pandas()) == 5
        assert set(dl.trace(ro, tid(1)).duplicates) == {sid(1), sid(3)}
    finally:
        ro.close()


def test_refresh_ingests_span_segments_once_and_counts_repeats(tmp_path):
    from diaglab.store.spans import spans_table, write_spans

    root = tmp_path / "s"
    root.mkdir()
    write_spans(root, spans_table(spans(PIPELINE)))
    write_spans(root, spans_table(spans(PIPELINE[:1])))
    store = dl.open(root, refresh=False)
    try:
        report = store.refresh()
        assert (report.segments, report.rows, report.duplicates) == (2, 5, 1)
        assert store.refresh().segments == 0
        assert len(list(list_segments(root, "spans"))) == 2
        store.rebuild()
        assert len(store.spans().to_pandas()) == 5
    finally:
        store.close()


def test_unknown_and_malformed_trace_ids_raise_clear_errors(store):
    store.log_spans(spans(PIPELINE))
    with pytest.raises(UnknownNameError, match=r"unknown trace id '0+7': no span .*\(5 spans"):
        dl.trace(store, tid(7))
    with pytest.raises(InputError, match="32 hex digits"):
        dl.trace(store, "not-a-trace")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"trace_id": ["xyz"] * 5}, "row 0: trace_id must be 32 hex digits"),
        ({"span_id": [sid(1)] * 4 + ["12"]}, "row 4: span_id must be 16 hex digits"),
        ({"end_ns": [T0 - 1] * 5}, "row 0: a span cannot end before it starts"),
        ({"status": ["ok", "bad", "ok", "ok", "ok"]}, "row 1: status must be one of"),
        ({"colour": ["red"] * 5}, "unknown span column.*colour"),
    ],
)
def test_bad_spans_are_refused_naming_the_column_and_row(store, change, message):
    data = spans(PIPELINE) | change
    with pytest.raises(InputError, match=message):
        store.log_spans(data)
    assert not list(list_segments(store.path, "spans"))


def test_spans_need_their_columns(store):
    with pytest.raises(InputError, match="missing: span_id"):
        store.log_spans({"trace_id": [tid(1)], "name": ["x"], "start_ns": [1], "end_ns": [2]})


def test_start_and_end_timestamps_may_stand_in_for_nanoseconds(store):
    start = pd.Timestamp(T0, unit="ns", tz="UTC")
    store.log_spans(
        {
            "trace_id": [tid(9)],
            "span_id": [sid(1)],
            "name": ["x"],
            "start": pd.Series([start]),
            "end": pd.Series([start + pd.Timedelta(3, "ms")]),
        }
    )
    t = dl.trace(store, tid(9))
    assert t.spans["start"].iloc[0] == start and t.duration_ms == 3


def _traffic(store, n_days: int = 3, per_day: int = 50) -> pd.DataFrame:
    """Root + child spans over days; durations known, every 10th child fails."""
    rng = np.random.default_rng(0)
    rows = []
    k = 0
    for day in range(n_days):
        for i in range(per_day):
            k += 1
            start = day * 86_400 * 10**9 + i * 60 * 10**9
            dur = int(rng.integers(1, 500)) * MS
            child = int(rng.integers(1, dur // MS)) * MS
            rows.append((k, 1, None, "request", start, start + dur, "ok"))
            status = "error" if k % 10 == 0 else "ok"
            rows.append((k, 2, 1, "model", start, start + child, status))
    store.log_spans(spans(rows))
    return pd.DataFrame(rows, columns=["trace", "span", "parent", "name", "s", "e", "status"])


def test_span_stats_match_numpy_per_name_and_day(store):
    truth = _traffic(store)
    stats = dl.span_stats(store, freq="1D")
    truth["day"] = pd.to_datetime(T0 + truth["s"], unit="ns", utc=True).dt.floor("D")
    truth["ms"] = (truth["e"] - truth["s"]) / MS
    for (day, name), g in truth.groupby(["day", "name"]):
        row = stats.table[(stats.table["window_start"] == day) & (stats.table["name"] == name)]
        assert len(row) == 1
        r = row.iloc[0]
        assert r["volume"] == len(g)
        assert r["errors"] == (g["status"] == "error").sum()
        for q in (50, 95, 99):  # read from log-spaced histograms: within one bin (0.5%)
            assert r[f"p{q}_ms"] == pytest.approx(np.percentile(g["ms"], q), rel=RELATIVE_TOLERANCE)
    assert set(stats.names) == {"request", "model"}
    summary = stats.summary().set_index("name")
    assert summary.loc["model", "error_rate"] == pytest.approx(15 / 150)
    # the slowest traces are the longest roots
    roots = truth[truth["name"] == "request"].sort_values("ms", ascending=False)
    assert list(stats.slowest["trace_id"][:5]) == [tid(k) for k in roots["trace"][:5]]


def test_span_stats_leave_empty_windows_out(store):
    _traffic(store, n_days=1)
    store.log_spans(spans([(999, 1, None, "request", 5 * 86_400 * 10**9, 5 * 86_400 * 10**9 + MS)]))
    days = dl.span_stats(store, freq="1D").table["window_start"].dt.day.unique()
    assert sorted(days) == [1, 6]  # no zero rows for days 2..5


def test_span_stats_bad_arguments(store):
    _traffic(store, n_days=1)
    with pytest.raises(InputError, match="freq 'often'"):
        dl.span_stats(store, freq="often")
    with pytest.raises(UnknownNameError, match="unknown span name 'modle'; known: model"):
        dl.span_stats(store, names=["modle"])


def test_find_traces_slowest_failed_and_by_prediction(store):
    truth = _traffic(store, n_days=1)
    failed = dl.find_traces(store, "failed", limit=100).table
    assert set(failed["trace_id"]) == {tid(k) for k in truth.loc[truth.status == "error", "trace"]}
    store.log(
        "credit",
        pd.DataFrame({"x": [1.0, 2.0]}),
        [0.1, 0.9],
        prediction_ids=["a", "b"],
        trace_ids=[tid(3), None],
    )
    got = dl.find_traces(store, "prediction", prediction_id="a").table
    assert got["trace_id"].tolist() == [tid(3)]
    assert dl.trace(store, tid(3)).prediction_ids == {"credit": ("a",)}
    with pytest.raises(UnknownNameError, match="logged without a trace id"):
        dl.find_traces(store, "prediction", prediction_id="b")
    with pytest.raises(UnknownNameError, match="unknown prediction id 'zz'"):
        dl.find_traces(store, "prediction", prediction_id="zz")
    with pytest.raises(UnknownNameError, match="known: failed, prediction, slowest"):
        dl.find_traces(store, "fastest")  # type: ignore[arg-type]


# -- OTLP JSON --------------------------------------------------------------------------------


def otlp(trace_hex: str, *, bad: dict | None = None) -> dict:
    span = {
        "traceId": trace_hex,
        "spanId": "00f067aa0ba902b7",
        "parentSpanId": "",
        "name": "GET /score",
        "kind": 2,
        "startTimeUnixNano": str(T0),
        "endTimeUnixNano": str(T0 + 5 * MS),
        "attributes": [
            {"key": "http.status_code", "value": {"intValue": "500"}},
            {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}]}}},
        ],
        "status": {"code": "STATUS_CODE_ERROR", "message": "boom"},
    }
    child = {
        "traceId": trace_hex,
        "spanId": "00f067aa0ba902b8",
        "parentSpanId": "00f067aa0ba902b7",
        "name": "model",
        "kind": "SPAN_KIND_INTERNAL",
        "startTimeUnixNano": str(T0 + MS),
        "endTimeUnixNano": str(T0 + 4 * MS),
    }
    span.update(bad or {})
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]
                },
                "scopeSpans": [{"scope": {"name": "x"}, "spans": [span, child]}],
            }
        ]
    }


def test_cli_ingests_an_otlp_json_document_and_json_lines(tmp_path, capsys):
    doc = tmp_path / "spans.json"
    doc.write_text(json.dumps(otlp("4bf92f3577b34da6a3ce929d0e0e4736"), indent=2))
    lines = tmp_path / "spans.jsonl"
    lines.write_text("\n".join(json.dumps(otlp(f"{i:032x}")) for i in range(1, 4)) + "\n")
    root = tmp_path / "store"
    assert main(["ingest", str(root), str(doc), "--kind", "spans"]) == 0
    assert "ingested 2 spans" in capsys.readouterr().out
    assert main(["ingest", str(root), str(lines), "--kind", "spans"]) == 0
    store = dl.open(root)
    try:
        t = dl.trace(store, "4bf92f3577b34da6a3ce929d0e0e4736")
        root_span = t.spans.iloc[0]
        assert root_span["name"] == "GET /score" and root_span["kind"] == "server"
        assert root_span["status"] == "error" and root_span["status_message"] == "boom"
        assert root_span["attributes"] == {"http.status_code": 500, "tags": ["a"]}
        assert root_span["service_name"] == "api" and root_span["start"].value == T0
        assert t.spans.iloc[1]["depth"] == 1 and t.spans.iloc[1]["kind"] == "internal"
        assert len(store.spans().to_pandas()) == 8
    finally:
        store.close()


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ({"traceId": "xyz"}, r"line 2: resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId"),
        ({"startTimeUnixNano": "soon"}, r"line 2: .*spans\[0\]\.startTimeUnixNano"),
        ({"status": {"code": "STATUS_CODE_MAYBE"}}, r"line 2: .*spans\[0\]\.status\.code"),
    ],
)
def test_malformed_otlp_json_lines_name_the_line_and_field(tmp_path, capsys, bad, expected):
    f = tmp_path / "bad.jsonl"
    f.write_text(json.dumps(otlp(tid(1))) + "\n" + json.dumps(otlp(tid(2), bad=bad)) + "\n")
    assert main(["ingest", str(tmp_path / "s"), str(f), "--kind", "spans"]) == 2
    err = capsys.readouterr().err
    assert __import__("re").search(expected, err), err
    assert not list(list_segments(tmp_path / "s", "spans"))  # nothing half-imported


def test_broken_json_names_the_line(tmp_path, capsys):
    f = tmp_path / "broken.jsonl"
    f.write_text(json.dumps(otlp(tid(1))) + "\n" + '{"resourceSpans": [\n')
    assert main(["ingest", str(tmp_path / "s"), str(f), "--kind", "spans"]) == 2
    assert "broken.jsonl line 2 column" in capsys.readouterr().err
    g = tmp_path / "other.json"
    g.write_text(json.dumps({"resourceLogs": []}))
    assert main(["ingest", str(tmp_path / "s"), str(g), "--kind", "spans"]) == 2
    assert "not an OTLP traces document" in capsys.readouterr().err


# -- the sample scenario --------------------------------------------------------------------


def test_sample_traces_plant_a_slow_feature_lookup_on_the_slow_path(sample_store, sample_truth):
    traces = sample_truth["traces"]
    assert traces["traces"] == sample_truth["counts"]["predictions"]
    assert traces["spans"] == 4 * traces["traces"]
    t = sample_store.table("credit")
    slow = t.filter((t.channel == "partner_api") | (t.loan_amount > 50_000)).limit(3).to_pandas()
    fast = t.filter((t.channel == "web") & (t.loan_amount < 20_000)).limit(3).to_pandas()
    for row in slow.itertuples():
        tr = dl.trace(sample_store, row.trace_id)
        assert tr.slowest_stage == "feature_lookup"
        assert tr.duration_ms == pytest.approx(row.latency_ms, abs=1e-6)
        assert tr.prediction_ids == {"credit": (row.prediction_id,)}
    for row in fast.itertuples():
        assert dl.trace(sample_store, row.trace_id).slowest_stage == "model"
    stats = dl.span_stats(sample_store, freq="7D").summary().set_index("name")
    assert stats.loc["postprocess", "errors"] == traces["failed"]["traces"] > 0
    failed = dl.find_traces(sample_store, "failed", limit=1000).table
    assert sorted(failed["trace_id"]) == traces["failed"]["trace_ids"]


def test_a_traces_linked_predictions_are_looked_up_once_until_the_store_changes(store, monkeypatch):
    from diaglab.store import spans as span_store

    _traffic(store, n_days=1)

    def log(ids: list[str]) -> None:
        features = pd.DataFrame({"x": [1.0] * len(ids)})
        store.log(
            "credit", features, [0.5] * len(ids), prediction_ids=ids, trace_ids=[tid(3)] * len(ids)
        )

    log(["a"])
    calls: list[str] = []
    real = span_store.predictions_of_trace

    def counted(con, model, t):
        calls.append(t)
        return real(con, model, t)

    monkeypatch.setattr(span_store, "predictions_of_trace", counted)
    assert dl.trace(store, tid(3)).prediction_ids == {"credit": ("a",)}
    assert dl.trace(store, tid(3)).prediction_ids == {"credit": ("a",)}  # the panel's second ask
    assert calls == [tid(3)]
    log(["c"])  # the store changed: looked up again, and the new prediction is linked
    assert dl.trace(store, tid(3)).prediction_ids == {"credit": ("a", "c")}
    assert calls == [tid(3), tid(3)]
