"""OpenTelemetry into a diaglab store: a span exporter and an OTLP JSON reader.

``StoreSpanExporter(path)`` is an OpenTelemetry SDK ``SpanExporter``: put it behind a
``BatchSpanProcessor`` and every exported batch becomes one span segment of the store (written
atomically; any number of processes may export into one store at once). The store's writer
ingests the segments on its next refresh.

``read_otlp_json(path)`` reads the OTLP/JSON file format (``resourceSpans`` → ``scopeSpans`` →
``spans``, hex ids, Unix-nanosecond strings), one document or JSON Lines of documents as the
OpenTelemetry Collector's file exporter writes them; ``diaglab ingest STORE spans.json --kind
spans`` uses it. Malformed input raises :class:`~diaglab.errors.InputError` naming the line and
the field.

``import diaglab`` does not need the OpenTelemetry SDK; this module needs it only for the exporter
(``pip install 'diaglab[otel]'``).

Examples
--------
>>> from opentelemetry import trace                                          # doctest: +SKIP
>>> from opentelemetry.sdk.trace import TracerProvider                       # doctest: +SKIP
>>> from opentelemetry.sdk.trace.export import BatchSpanProcessor            # doctest: +SKIP
>>> provider = TracerProvider()                                              # doctest: +SKIP
>>> exporter = dl.otel.StoreSpanExporter("store")                            # doctest: +SKIP
>>> provider.add_span_processor(BatchSpanProcessor(exporter))                # doctest: +SKIP
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from diaglab.errors import InputError
from diaglab.producers import lifecycle
from diaglab.store import object_store
from diaglab.store.spans import SCHEMA, check_spans, write_spans

log = logging.getLogger("diaglab")

try:  # the SDK is an optional extra; the OTLP reader works without it
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    _SDK_ERROR: ImportError | None = None
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    SpanExporter = object  # type: ignore[assignment,misc]
    SpanExportResult = None  # type: ignore[assignment,misc]
    _SDK_ERROR = exc

_STATUS = {0: "unset", 1: "ok", 2: "error"}
_KIND = {0: None, 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
# Rows per segment when importing a file: large enough to keep segments few, small enough to
# bound memory.
IMPORT_CHUNK_SPANS = 200_000


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple | list):
        return list(v)
    if isinstance(v, Mapping):
        return dict(v)
    return str(v)


_ENCODE = json.JSONEncoder(sort_keys=True, default=_jsonable, separators=(",", ":")).encode


def _dumps(d: Mapping[str, Any]) -> str | None:
    return _ENCODE(d if type(d) is dict else dict(d)) if d else None


_NOTHING = object()  # no value seen yet (None is a value)


def _span_attributes(span: Any) -> str | None:
    """A span's attributes as JSON. The SDK's span keeps them in a ``BoundedAttributes`` over a
    plain dict; reading through the public ``attributes`` (a read-only view whose items Python's
    Mapping mixins iterate one by one) cost a third of building the table."""
    held = getattr(getattr(span, "_attributes", None), "_dict", None)
    if isinstance(held, dict):
        return _ENCODE(held) if held else None
    return _dumps(span.attributes)


class StoreSpanExporter(SpanExporter):
    """An OpenTelemetry ``SpanExporter`` writing each exported batch as a segment of a store.

    Parameters
    ----------
    path : str or Path
        The store directory (created if missing). The exporter never opens the DuckDB file, so a
        notebook may hold the store open meanwhile; its next ``store.refresh()`` ingests the spans.

    Notes
    -----
    ``export`` is synchronous: the batch is on disk (fsynced) when it returns SUCCESS, so
    ``force_flush`` has nothing left to do. After ``shutdown`` exports return FAILURE.

    Spans still queued in the ``BatchSpanProcessor`` are written at SIGTERM and at exit: creating
    the exporter installs diaglab's SIGTERM handler (see :mod:`diaglab.producers.lifecycle`),
    which force-flushes the global tracer provider (``trace.set_tracer_provider``) before the
    server's own handler runs; the SDK shuts the provider down at exit. A provider that is not
    the global one needs ``provider.shutdown()`` in the application's shutdown.

    Each export costs a few fsyncs (~10 ms) besides ~7 µs of CPU per span, so the SDK's default
    batches of 512 spans cap a process near 40k spans/s. For more, give the processor larger
    batches: ``BatchSpanProcessor(exporter, max_export_batch_size=8192, max_queue_size=65536)``
    (see ``bench/RESULTS.md``).
    """

    def __init__(self, path: str | Path) -> None:
        if _SDK_ERROR is not None:
            raise ImportError(
                "diaglab.otel.StoreSpanExporter needs the OpenTelemetry SDK: "
                "pip install 'diaglab[otel]'"
            ) from _SDK_ERROR
        self.path = object_store.local_root(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._shutdown = False
        self._resources: dict[int, tuple[Any, str | None, str | None]] = {}
        self.exported = 0
        self.failed = 0
        lifecycle.register_flusher("opentelemetry", _flush_tracer_provider)

    def export(self, spans: Sequence[Any]) -> Any:
        """Write ``spans`` (SDK ``ReadableSpan`` objects) as one segment."""
        if self._shutdown:
            return SpanExportResult.FAILURE
        if not spans:
            return SpanExportResult.SUCCESS
        try:
            table = self._table(spans)
            with self._lock:
                write_spans(self.path, table)
                self.exported += table.num_rows
        except Exception:
            self.failed += len(spans)
            log.exception("diaglab StoreSpanExporter could not write %d span(s)", len(spans))
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Refuse further exports (the processor flushes before calling this)."""
        self._shutdown = True

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Nothing is buffered here: every export is written before it returns."""
        return True

    def _resource(self, resource: Any) -> tuple[str | None, str | None]:
        # One resource object is shared by every span of a provider: encode it once.
        cached = self._resources.get(id(resource))
        if cached is None or cached[0] is not resource:
            attrs = dict(resource.attributes) if resource is not None else {}
            service = attrs.get("service.name")
            cached = (resource, None if service is None else str(service), _dumps(attrs))
            self._resources[id(resource)] = cached
        return cached[1], cached[2]

    def _table(self, spans: Sequence[Any]) -> pa.Table:
        trace_ids, span_ids, parents, names, kinds, services = [], [], [], [], [], []
        starts, ends, statuses, messages, attributes, resources = [], [], [], [], [], []
        kind_names, status_names = _enum_names()
        # The exporter's thread holds the service's GIL while it builds the table (a FastAPI
        # request is five spans), so each per-span step is kept to the minimum: a batch's spans
        # share their resource and mostly their trace, kind and status, each looked up once per
        # run of equal values (an Enum's hash is a Python call).
        last_trace, last_hex = None, ""
        last_resource, service, resource = _NOTHING, None, None
        last_kind, kind = _NOTHING, ""
        last_code, code = _NOTHING, ""
        for s in spans:
            ctx = s.context
            parent = s.parent
            status = s.status
            if s.resource is not last_resource:
                last_resource = s.resource
                service, resource = self._resource(last_resource)
            if ctx.trace_id != last_trace:
                last_trace, last_hex = ctx.trace_id, f"{ctx.trace_id:032x}"
            if s.kind is not last_kind:
                last_kind = s.kind
                kind = kind_names[last_kind]
            if status.status_code is not last_code:
                last_code = status.status_code
                code = status_names[last_code]
            trace_ids.append(last_hex)
            span_ids.append(f"{ctx.span_id:016x}")
            parents.append(None if parent is None else f"{parent.span_id:016x}")
            names.append(s.name)
            kinds.append(kind)
            services.append(service)
            starts.append(s.start_time)
            ends.append(s.end_time if s.end_time is not None else s.start_time)
            statuses.append(code)
            messages.append(status.description)
            attributes.append(_span_attributes(s))
            resources.append(resource)
        table = pa.table(
            [
                trace_ids,
                span_ids,
                parents,
                names,
                kinds,
                services,
                starts,
                ends,
                statuses,
                messages,
                attributes,
                resources,
            ],
            schema=SCHEMA,
        )
        check_spans(table)
        return table


def _flush_tracer_provider(timeout: float) -> None:
    """Export the spans the global tracer provider's processors still hold."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return
    force_flush = getattr(trace.get_tracer_provider(), "force_flush", None)
    if force_flush is not None:
        force_flush(int(timeout * 1000))


@functools.cache
def _enum_names() -> tuple[dict[Any, str], dict[Any, str]]:
    from opentelemetry.trace import SpanKind, StatusCode

    return (
        {k: k.name.lower() for k in SpanKind},
        {c: c.name.lower() for c in StatusCode},
    )


# -- OTLP JSON --------------------------------------------------------------------------------


def read_otlp_json(
    path: str | Path, *, chunk_spans: int = IMPORT_CHUNK_SPANS
) -> Iterator[pa.Table]:
    """The spans of an OTLP/JSON file as checked tables of up to ``chunk_spans`` rows.

    The file is either one ``{"resourceSpans": [...]}`` document (pretty-printed or not) or JSON
    Lines of such documents (the Collector's file exporter). Errors name the line and the field,
    e.g. ``spans.json line 3: resourceSpans[0].scopeSpans[0].spans[2].traceId: ...``.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    rows = _Rows(chunk_spans)
    try:
        documents: list[tuple[int | None, Any]] = [(None, json.loads(text))]
    except RecursionError:
        raise InputError(
            f"{path.name}: the JSON nests too deeply to read (attribute values may nest at most "
            f"{MAX_ATTRIBUTE_DEPTH} levels)"
        ) from None
    except json.JSONDecodeError as exc:
        if "Extra data" not in exc.msg:
            lines = [ln for ln in text.splitlines() if ln.strip()]
            if len(lines) < 2 or not _parses(lines[0]):
                raise InputError(
                    f"{path.name} line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})"
                ) from None
        documents = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                documents.append((number, json.loads(line)))
            except RecursionError:
                raise InputError(
                    f"{path.name} line {number}: the JSON nests too deeply to read (attribute "
                    f"values may nest at most {MAX_ATTRIBUTE_DEPTH} levels)"
                ) from None
            except json.JSONDecodeError as err:
                raise InputError(
                    f"{path.name} line {number} column {err.colno}: not valid JSON ({err.msg})"
                ) from None
    for lineno, doc in documents:
        where = f"{path.name} line {lineno}" if lineno is not None else path.name
        try:
            yield from _document(doc, rows)
        except _FieldError as err:
            raise InputError(f"{where}: {err.field}: {err.message}") from None
        except InputError as err:
            raise InputError(f"{where}: {err}") from None
    if rows.count:
        yield rows.table()


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


class _FieldError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class _Rows:
    def __init__(self, chunk: int) -> None:
        self.chunk = chunk
        self.cols: dict[str, list[Any]] = {n: [] for n in SCHEMA.names}
        self.count = 0

    def add(self, row: dict[str, Any]) -> None:
        for name, values in self.cols.items():
            values.append(row.get(name))
        self.count += 1

    def table(self) -> pa.Table:
        table = pa.table(self.cols, schema=SCHEMA)
        self.cols = {n: [] for n in SCHEMA.names}
        self.count = 0
        check_spans(table)
        return table


def _list(obj: Any, key: str, field: str, *aliases: str) -> list[Any]:
    for k in (key, *aliases):
        if k in obj:
            value = obj[k]
            if not isinstance(value, list):
                raise _FieldError(f"{field}.{k}", f"expected a list, got {type(value).__name__}")
            return value
    return []


def _document(doc: Any, rows: _Rows) -> Iterator[pa.Table]:
    if not isinstance(doc, dict) or "resourceSpans" not in doc:
        keys = ", ".join(doc) if isinstance(doc, dict) else type(doc).__name__
        raise _FieldError("resourceSpans", f"missing: not an OTLP traces document (got {keys})")
    for r, rs in enumerate(_list(doc, "resourceSpans", "")):
        at = f"resourceSpans[{r}]"
        if not isinstance(rs, dict):
            raise _FieldError(at, "expected an object")
        attrs = _attributes(rs.get("resource", {}).get("attributes", []), f"{at}.resource")
        service = attrs.get("service.name")
        resource = _dumps(attrs)
        scopes = _list(rs, "scopeSpans", at, "instrumentationLibrarySpans")
        for s, ss in enumerate(scopes):
            sat = f"{at}.scopeSpans[{s}]"
            for i, span in enumerate(_list(ss, "spans", sat)):
                rows.add(_span(span, f"{sat}.spans[{i}]", service, resource))
                if rows.count >= rows.chunk:
                    yield rows.table()


def _hex_id(value: Any, field: str, digits: int, *, optional: bool = False) -> str | None:
    if value in (None, "") and optional:
        return None
    if not isinstance(value, str):
        raise _FieldError(field, f"expected {digits} hex digits, got {value!r}")
    text = value.lower()
    if len(text) != digits or any(c not in "0123456789abcdef" for c in text):
        if optional and set(text) <= {"0"}:
            return None
        raise _FieldError(field, f"expected {digits} hex digits, got {value!r}")
    return text


def _nanos(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise _FieldError(field, f"expected Unix nanoseconds, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise _FieldError(field, f"expected Unix nanoseconds (a string of digits), got {value!r}")


def _enum(value: Any, names: Mapping[int, str | None], prefix: str, field: str) -> str | None:
    if value is None:
        return names[0]
    if isinstance(value, int) and value in names:
        return names[value]
    if isinstance(value, str):
        short = value.removeprefix(prefix).lower()
        if short in names.values() or short == "unspecified":
            return None if short == "unspecified" else short
    raise _FieldError(field, f"unknown value {value!r}")


def _span(span: Any, at: str, service: Any, resource: str | None) -> dict[str, Any]:
    if not isinstance(span, dict):
        raise _FieldError(at, "expected an object")
    for key in ("traceId", "spanId", "name", "startTimeUnixNano", "endTimeUnixNano"):
        if key not in span:
            raise _FieldError(f"{at}.{key}", "missing")
    start = _nanos(span["startTimeUnixNano"], f"{at}.startTimeUnixNano")
    end = _nanos(span["endTimeUnixNano"], f"{at}.endTimeUnixNano")
    if end < start:
        raise _FieldError(f"{at}.endTimeUnixNano", f"ends before it starts ({end} < {start})")
    name = span["name"]
    if not isinstance(name, str) or not name:
        raise _FieldError(f"{at}.name", f"expected a non-empty string, got {name!r}")
    status = span.get("status") or {}
    if not isinstance(status, dict):
        raise _FieldError(f"{at}.status", "expected an object")
    return {
        "trace_id": _hex_id(span["traceId"], f"{at}.traceId", 32),
        "span_id": _hex_id(span["spanId"], f"{at}.spanId", 16),
        "parent_span_id": _hex_id(
            span.get("parentSpanId"), f"{at}.parentSpanId", 16, optional=True
        ),
        "name": name,
        "kind": _enum(span.get("kind"), _KIND, "SPAN_KIND_", f"{at}.kind"),
        "service_name": None if service is None else str(service),
        "start_ns": start,
        "end_ns": end,
        "status": _enum(status.get("code"), _STATUS, "STATUS_CODE_", f"{at}.status.code"),
        "status_message": status.get("message") or None,
        "attributes": _dumps(_attributes(span.get("attributes", []), at)),
        "resource": resource,
    }


MAX_ATTRIBUTE_DEPTH = 64
"""How deeply kvlist/array attribute values may nest: deeper is refused with an error naming the
field (OpenTelemetry's SDKs send flat attributes; 64 leaves room for any real structured log)."""


def _attributes(items: Any, at: str, depth: int = 0) -> dict[str, Any]:
    if depth > MAX_ATTRIBUTE_DEPTH:
        raise _FieldError(
            at, f"attribute values nest deeper than {MAX_ATTRIBUTE_DEPTH} levels; flatten them"
        )
    if not isinstance(items, list):
        raise _FieldError(f"{at}.attributes", "expected a list of {key, value} objects")
    out: dict[str, Any] = {}
    for i, kv in enumerate(items):
        if not isinstance(kv, dict) or "key" not in kv:
            raise _FieldError(f"{at}.attributes[{i}]", "expected a {key, value} object")
        out[str(kv["key"])] = _any_value(kv.get("value"), f"{at}.attributes[{i}].value", depth + 1)
    return out


def _any_value(value: Any, at: str, depth: int = 0) -> Any:
    if value is None or value == {}:
        return None
    if not isinstance(value, dict):
        raise _FieldError(at, f"expected an AnyValue object, got {value!r}")
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            raise _FieldError(at, f"intValue {value['intValue']!r} is not an integer") from None
    if "doubleValue" in value:
        try:
            return float(value["doubleValue"])
        except (TypeError, ValueError):
            raise _FieldError(at, f"doubleValue {value['doubleValue']!r} is not a number") from None
    if "arrayValue" in value:
        items = (value["arrayValue"] or {}).get("values", [])
        if depth > MAX_ATTRIBUTE_DEPTH:
            raise _FieldError(
                at, f"attribute values nest deeper than {MAX_ATTRIBUTE_DEPTH} levels; flatten them"
            )
        return [_any_value(v, f"{at}.arrayValue[{j}]", depth + 1) for j, v in enumerate(items)]
    if "kvlistValue" in value:
        return _attributes((value["kvlistValue"] or {}).get("values", []), at, depth)
    if "bytesValue" in value:
        return base64.b64decode(value["bytesValue"]).hex()
    raise _FieldError(at, f"unknown AnyValue {sorted(value)}")


__all__ = ["StoreSpanExporter", "read_otlp_json"]
