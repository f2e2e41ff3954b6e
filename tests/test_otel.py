"""StoreSpanExporter with the real OpenTelemetry SDK; dl.instrument and the active trace id."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import numpy as np
import pandas as pd
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult
from opentelemetry.trace import Status, StatusCode

import diaglab as dl
from diaglab.otel import StoreSpanExporter
from diaglab.store.segments import list_segments


def provider_for(path: Path, service: str = "scoring", **batch: int) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(StoreSpanExporter(path), **batch))
    return provider


def handle(tracer, i: int, fail: bool = False) -> str:
    """One request: a root with feature lookup, model (with a nested call) and post-processing."""
    with tracer.start_as_current_span("request", attributes={"request.n": i}) as root:
        with tracer.start_as_current_span("feature_lookup"):
            pass
        with (
            tracer.start_as_current_span("model", attributes={"model.version": "v2"}),
            tracer.start_as_current_span("predict_proba"),
        ):
            pass
        try:
            with tracer.start_as_current_span("postprocess"):
                if fail:
                    raise ValueError("threshold missing")
        except ValueError:
            root.set_status(Status(StatusCode.ERROR, "postprocess failed"))
        return f"{root.get_span_context().trace_id:032x}"


def test_exporter_writes_nested_and_failed_spans_through_a_batch_processor(tmp_path):
    provider = provider_for(tmp_path / "store", max_export_batch_size=7)
    tracer = provider.get_tracer("test")
    ids = [handle(tracer, i, fail=i == 3) for i in range(5)]
    assert provider.force_flush()
    provider.shutdown()
    segments = list(list_segments(tmp_path / "store", "spans"))
    assert len(segments) >= 3  # 25 spans in batches of at most 7: one segment per export

    store = dl.open(tmp_path / "store")
    try:
        assert len(store.spans().to_pandas()) == 25
        t = dl.trace(store, ids[3])
        s = t.spans
        assert list(s["name"]) == [
            "request",
            "feature_lookup",
            "model",
            "predict_proba",
            "postprocess",
        ]
        assert list(s["depth"]) == [0, 1, 1, 2, 1]
        assert s["kind"].iloc[0] == "internal"
        assert s["service_name"].unique().tolist() == ["scoring"]
        assert s["attributes"].iloc[0] == {"request.n": 3}
        assert s["attributes"].iloc[2] == {"model.version": "v2"}
        # the SDK records the exception on the span and sets its status to error
        post = s.set_index("name").loc["postprocess"]
        assert post["status"] == "error" and "threshold missing" in post["status_message"]
        assert (
            s["status"].iloc[0] == "error" and s["status_message"].iloc[0] == "postprocess failed"
        )
        assert set(t.errors) == set(s.loc[s["status"] == "error", "span_id"])
        assert dl.trace(store, ids[0]).errors == ()
    finally:
        store.close()


def test_shutdown_and_force_flush_behave(tmp_path):
    exporter = StoreSpanExporter(tmp_path / "s")
    provider = TracerProvider()
    spans: list = []

    class Keep(BatchSpanProcessor):
        def on_end(self, span):  # collect finished spans to export by hand
            spans.append(span)

    provider.add_span_processor(Keep(exporter))
    with provider.get_tracer("t").start_as_current_span("one"):
        pass
    assert exporter.force_flush() is True
    assert exporter.export([]) is SpanExportResult.SUCCESS
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    assert exporter.exported == 1
    exporter.shutdown()
    assert exporter.export(spans) is SpanExportResult.FAILURE
    assert len(list(list_segments(tmp_path / "s", "spans"))) == 1


def _export_in_child(path: str, worker: int, n: int, queue) -> None:
    provider = provider_for(Path(path), service=f"worker-{worker}", max_export_batch_size=64)
    tracer = provider.get_tracer("child")
    ids = [handle(tracer, i) for i in range(n)]
    provider.shutdown()
    queue.put(ids)


def test_many_processes_export_into_one_store_while_it_is_open(tmp_path):
    root = tmp_path / "store"
    store = dl.open(root)  # the writer holds the DuckDB file meanwhile
    try:
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        procs = [
            ctx.Process(target=_export_in_child, args=(str(root), w, 40, queue)) for w in range(3)
        ]
        for p in procs:
            p.start()
        ids = [i for _ in procs for i in queue.get(timeout=120)]
        for p in procs:
            p.join(timeout=60)
            assert p.exitcode == 0
        report = store.refresh()
        assert report.rows == 3 * 40 * 5 and report.duplicates == 0
        rows = store.spans().to_pandas()
        assert len(rows) == 600 and rows["trace_id"].nunique() == 120 == len(set(ids))
        assert sorted(rows["service_name"].unique()) == ["worker-0", "worker-1", "worker-2"]
        assert all(len(dl.trace(store, i, links=False).spans) == 5 for i in ids[::17])
    finally:
        store.close()


def test_instrument_records_the_active_opentelemetry_trace_id(tmp_path):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.random(50), "b": rng.random(50)})
    clf = LogisticRegression().fit(X, (X["a"] > 0.5).astype(int))
    provider = TracerProvider()
    tracer = provider.get_tracer("t")
    logger = dl.Logger(tmp_path / "s", model="m")
    model = dl.instrument(clf, logger)
    with tracer.start_as_current_span("request") as span:
        model.predict_proba(X.iloc[:3])
        expected = f"{span.get_span_context().trace_id:032x}"
    model.predict_proba(X.iloc[3:5])  # no active span: no trace id
    model.predict_proba(X.iloc[5:6], trace_id="ab" * 16)  # an explicit one wins
    logger.close()
    store = dl.open(tmp_path / "s")
    try:
        got = store.table("m").to_pandas()["trace_id"].tolist()
    finally:
        store.close()
    assert got.count(expected) == 3
    assert sum(t is None or t != t for t in got) == 2
    assert got.count("ab" * 16) == 1
    assert otel_trace.get_current_span().get_span_context().is_valid is False


def test_import_diaglab_does_not_import_the_sdk():
    import subprocess
    import sys

    code = "import sys, diaglab; print('opentelemetry.sdk' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
