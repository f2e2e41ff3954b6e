"""StoreSpanExporter's table: each span's fields once, its attributes read without the SDK's
read-only view (its Mapping mixins iterate one item at a time on the service's GIL)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Status, StatusCode

from diaglab.otel import StoreSpanExporter


class _Keep(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans):
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


def _request_spans() -> list[ReadableSpan]:
    """Spans as FastAPI makes them for a request: a server span and internal ones."""
    keep = _Keep()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(keep))
    tracer = provider.get_tracer("t")
    server = {"http.request.method": "POST", "server.port": 8000, "url.path": "/predict"}
    for _ in range(3):
        with tracer.start_as_current_span(
            "POST /predict", kind=otel_trace.SpanKind.SERVER, attributes=server
        ):
            with tracer.start_as_current_span("fastapi.endpoint", attributes={"code": "f"}):
                pass
            with tracer.start_as_current_span("predict") as span:
                span.set_status(Status(StatusCode.ERROR, "boom"))
    return keep.spans


def test_a_batchs_rows_carry_each_spans_own_fields(tmp_path):
    spans = _request_spans()
    rows = StoreSpanExporter(tmp_path)._table(spans).to_pylist()
    assert [r["name"] for r in rows] == [s.name for s in spans]
    assert [r["kind"] for r in rows] == ["internal", "internal", "server"] * 3
    assert [r["status"] for r in rows] == ["unset", "error", "unset"] * 3
    assert [r["status_message"] for r in rows] == [None, "boom", None] * 3
    assert [r["attributes"] and json.loads(r["attributes"]) for r in rows][:3] == [
        {"code": "f"},
        None,
        {"http.request.method": "POST", "server.port": 8000, "url.path": "/predict"},
    ]
    assert all(
        r["trace_id"] == f"{s.context.trace_id:032x}" for r, s in zip(rows, spans, strict=True)
    )


def test_an_sdk_spans_attributes_are_read_without_its_read_only_view(tmp_path, monkeypatch):
    spans = _request_spans()
    views: list[str] = []
    public = ReadableSpan.attributes

    def attributes(self):
        views.append(self.name)
        return public.fget(self)

    monkeypatch.setattr(ReadableSpan, "attributes", property(attributes))
    StoreSpanExporter(tmp_path)._table(spans)
    assert views == []


@pytest.mark.parametrize("attributes", [{"b": 1, "a": [1, 2]}, {}, None])
def test_a_span_of_another_sdk_keeps_its_attributes(tmp_path, attributes):
    # not the SDK's class: its public attributes are read
    sdk = _request_spans()[1]
    other = SimpleNamespace(
        **{k: getattr(sdk, k) for k in ("context", "parent", "status", "resource", "kind")},
        name="other",
        start_time=sdk.start_time,
        end_time=sdk.end_time,
        attributes=attributes,
    )
    (row,) = StoreSpanExporter(tmp_path)._table([other]).to_pylist()
    assert row["attributes"] == (
        json.dumps(attributes, sort_keys=True, separators=(",", ":")) if attributes else None
    )
