"""Spans: the request-tracing rows of a store, their segments, table and checks.

Spans arrive from the OpenTelemetry exporter (:mod:`diaglab.otel`), from OTLP JSON files
(``diaglab ingest STORE spans.json --kind spans``) and from :meth:`Store.log_spans`. Each batch is
one segment under ``segments/spans/otel/`` (per-writer files, so any number of processes can export
at once) and is ingested exactly once into ``spans.spans``.

Columns: ``trace_id`` (32 hex), ``span_id`` (16 hex), ``parent_span_id`` (None for a root),
``name``, ``kind``, ``service_name``, ``start_ns`` / ``end_ns`` (Unix epoch nanoseconds, UTC: the
full precision OpenTelemetry records, which a TIMESTAMPTZ would cut to microseconds), ``status``
(``"unset"``, ``"ok"`` or ``"error"``), ``status_message``, ``attributes`` and ``resource`` (JSON
objects as text: DuckDB's JSON functions query them and Parquet dictionary-encodes the repeated
resource). The DuckDB table adds ``trace_key``, the first 60 bits of the trace id as a BIGINT
with an ART index on it, so one trace's spans are found without scanning the table.

A span id logged twice for one trace (a retried export, two collectors) is stored once, the first
copy; the repeats are counted in the ingest report and listed in ``spans.duplicates`` so that
:func:`diaglab.trace` can flag them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from diaglab.errors import InputError
from diaglab.store.segments import Segment, segment_dir, write_segment

if TYPE_CHECKING:
    from diaglab.store.engine import Engine, IngestReport

log = logging.getLogger("diaglab")

KIND = "spans"
# Spans belong to services, not to one model: every span segment lives in one directory.
SPANS_DIR = "otel"
STATUSES = ("unset", "ok", "error")
KINDS = ("internal", "server", "client", "producer", "consumer")

SCHEMA = pa.schema(
    [
        ("trace_id", pa.string()),
        ("span_id", pa.string()),
        ("parent_span_id", pa.string()),
        ("name", pa.string()),
        ("kind", pa.string()),
        ("service_name", pa.string()),
        ("start_ns", pa.int64()),
        ("end_ns", pa.int64()),
        ("status", pa.string()),
        ("status_message", pa.string()),
        ("attributes", pa.string()),
        ("resource", pa.string()),
    ]
)
REQUIRED = ("trace_id", "span_id", "name", "start_ns", "end_ns")
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_SPAN_ID = re.compile(r"^[0-9a-f]{16}$")
# SQL that turns a trace id (32 hex) into the indexed BIGINT: its first 15 hex digits.
TRACE_KEY_SQL = "('0x' || substr(trace_id, 1, 15))::BIGINT"

_DUCK_TYPES = {pa.string(): "VARCHAR", pa.int64(): "BIGINT"}
TABLE_COLUMNS = {"trace_key": "BIGINT"} | {f.name: _DUCK_TYPES[f.type] for f in SCHEMA}


def trace_key(trace_id: str) -> int:
    """The BIGINT ``trace_key`` of a (checked) trace id, as :data:`TRACE_KEY_SQL` computes it."""
    return int(trace_id[:15], 16)


# -- building a checked batch ----------------------------------------------------------------


def spans_table(data: Any) -> pa.Table:
    """A checked span table in :data:`SCHEMA` from a pyarrow Table, DataFrame or dict of columns.

    Ids are lower-cased; ``start``/``end`` timestamp columns (time-zone aware) may stand in for
    ``start_ns``/``end_ns``; dict-valued ``attributes``/``resource`` are written as JSON.
    Raises :class:`InputError` naming the column and the first offending row.
    """
    table = _as_table(data)
    n = table.num_rows
    cols: dict[str, pa.Array] = {}
    names = set(table.column_names)
    for alias, target in (("start", "start_ns"), ("end", "end_ns")):
        if target not in names and alias in names:
            cols[target] = _nanos(table.column(alias), alias)
    missing = [c for c in REQUIRED if c not in names and c not in cols]
    if missing:
        raise InputError(
            f"spans need the columns {', '.join(REQUIRED)}; missing: {', '.join(missing)} "
            f"(columns given: {', '.join(table.column_names) or 'none'})"
        )
    extra = sorted(names - set(SCHEMA.names) - {"start", "end"})
    if extra:
        raise InputError(
            f"unknown span column(s) {', '.join(extra)}; known: {', '.join(SCHEMA.names)}"
        )
    for field in SCHEMA:
        if field.name in cols:
            continue
        if field.name not in names:
            cols[field.name] = pa.nulls(n, field.type)
            continue
        col = table.column(field.name).combine_chunks()
        if field.name in ("attributes", "resource") and not pa.types.is_string(col.type):
            col = pa.array([_json_text(v, field.name) for v in col.to_pylist()], pa.string())
        try:
            cols[field.name] = col.cast(field.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise InputError(
                f"span column {field.name!r} must be {field.type}, got {col.type}: {exc}"
            ) from None
    for name in ("trace_id", "span_id", "parent_span_id"):
        cols[name] = pc.utf8_lower(cols[name])
    out = pa.table(cols, schema=SCHEMA)
    check_spans(out)
    return out


def check_spans(table: pa.Table) -> None:
    """Refuse spans that cannot be stored: bad ids, no name, end before start, unknown status."""
    for name, pattern, what in (
        ("trace_id", _TRACE_ID, "32 hex digits"),
        ("span_id", _SPAN_ID, "16 hex digits"),
        ("parent_span_id", _SPAN_ID, "16 hex digits or empty for a root span"),
    ):
        col = table.column(name)
        # a missing parent is a root; a missing trace or span id is an error
        ok = pc.fill_null(pc.match_substring_regex(col, pattern.pattern), name == "parent_span_id")
        _first_bad(table, ok, f"{name} must be {what}", name)
    _first_bad(
        table,
        pc.fill_null(pc.not_equal(pc.utf8_length(table["name"]), 0), False),
        "every span needs a name",
        "name",
    )
    for col in ("start_ns", "end_ns"):
        _first_bad(table, pc.is_valid(table[col]), f"{col} is missing", col)
    _first_bad(
        table,
        pc.fill_null(pc.greater_equal(table["end_ns"], table["start_ns"]), True),
        "a span cannot end before it starts (end_ns < start_ns)",
        "end_ns",
    )
    status = pc.fill_null(table["status"], "unset")
    _first_bad(
        table, pc.is_in(status, pa.array(STATUSES)), f"status must be one of {STATUSES}", "status"
    )


def _first_bad(table: pa.Table, ok: Any, message: str, column: str) -> None:
    flags = np.asarray(ok.to_numpy(zero_copy_only=False), dtype=bool)
    if flags.all():
        return
    row = int(np.flatnonzero(~flags)[0])
    value = table.column(column)[row].as_py()
    raise InputError(
        f"span row {row}: {message}; got {column}={value!r} "
        f"({int((~flags).sum())} row(s) like this)"
    )


def _as_table(data: Any) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, Mapping):
        return pa.table({str(k): _column(v) for k, v in data.items()})
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return pa.table({str(c): _column(data[c]) for c in data.columns})
    raise InputError(
        f"spans must be a pyarrow Table, a pandas DataFrame or a dict of columns, "
        f"not {type(data).__name__}"
    )


def _column(values: Any) -> pa.Array | pa.ChunkedArray:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values
    dtype = getattr(values, "dtype", None)
    if getattr(dtype, "tz", None) is not None:  # a time-zone-aware pandas column, kept in ns
        naive = values.dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("ns")
        return pa.array(naive.to_numpy(), pa.timestamp("ns")).cast(pa.timestamp("ns", "UTC"))
    if dtype is not None and dtype != np.dtype(object):  # a typed array or Series: keep its unit
        return pa.array(values, from_pandas=True)
    seq = list(values)
    if any(isinstance(v, Mapping) for v in seq):
        return pa.array([None if v is None else json.dumps(v, sort_keys=True) for v in seq])
    return pa.array(seq, from_pandas=True)


def _nanos(col: pa.ChunkedArray, name: str) -> pa.Array:
    if not pa.types.is_timestamp(col.type):
        raise InputError(f"span column {name!r} must hold timestamps, got {col.type}")
    if col.type.tz is None:
        raise InputError(f"span column {name!r} holds naive timestamps; give them a time zone")
    return col.cast(pa.timestamp("ns", "UTC")).cast(pa.int64()).combine_chunks()


def _json_text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return json.dumps(dict(value), sort_keys=True, default=str)
    if isinstance(value, Sequence) and not isinstance(value, str):  # Arrow MAP → list of pairs
        return json.dumps(dict(value), sort_keys=True, default=str)
    raise InputError(f"span column {name!r} must hold JSON objects, got {type(value).__name__}")


# Spans of one request sit together and ids share prefixes with their neighbours; starts and ends
# climb slowly: delta encodings store them in a fraction of the space (~13 vs ~30 bytes a span).
ENCODING = {
    "trace_id": "DELTA_BYTE_ARRAY",
    "span_id": "DELTA_BYTE_ARRAY",
    "parent_span_id": "DELTA_BYTE_ARRAY",
    "start_ns": "DELTA_BINARY_PACKED",
    "end_ns": "DELTA_BINARY_PACKED",
}


def write_spans(root: Path, table: pa.Table, *, segment_id: str | None = None) -> Segment:
    """Write a checked span table as one segment (atomic: temp → fsync → rename)."""
    return write_segment(
        root, KIND, SPANS_DIR, table, segment_id=segment_id, column_encoding=ENCODING
    )


# -- the DuckDB side --------------------------------------------------------------------------


def _q(name: str) -> str:
    return '"' + name + '"'


def ensure_tables(engine: Engine) -> None:
    """Create ``spans.spans`` (with its trace index) and ``spans.duplicates`` when missing."""
    con = engine.con
    con.execute("CREATE SCHEMA IF NOT EXISTS spans")
    if engine.read_only:
        return
    if not engine.has_table("spans", "spans"):
        cols = ", ".join(f"{_q(c)} {t}" for c, t in TABLE_COLUMNS.items())
        con.execute(f"CREATE TABLE spans.spans ({cols})")
        con.execute("CREATE INDEX IF NOT EXISTS spans_trace_key ON spans.spans (trace_key)")
    con.execute(
        "CREATE TABLE IF NOT EXISTS spans.duplicates "
        "(trace_id VARCHAR, span_id VARCHAR, copies BIGINT)"
    )


def ingest_in_batches(
    engine: Engine, segments: Sequence[Segment], done: Callable[[int], Any] | None = None
) -> IngestReport:
    """Ingest span segments, a transaction per batch of them (``done(n)`` after each)."""
    from diaglab.store.engine import IngestReport

    report = IngestReport()
    for group in engine.batches(segments):
        engine.con.execute("BEGIN TRANSACTION")
        try:
            ensure_tables(engine)
            report = report + ingest(engine, group)
            engine.con.execute("COMMIT")
        except BaseException:
            engine.con.execute("ROLLBACK")
            raise
        if done is not None:
            done(len(group))
    return report


def ingest(engine: Engine, segments: Sequence[Segment]) -> IngestReport:
    """Ingest span segments (in a transaction the caller holds): each (trace, span) id once."""
    from diaglab.store.engine import IngestReport

    con = engine.con
    files = [str(s.path) for s in segments]
    counts = engine._file_rows(files)
    source = (
        f"SELECT *, {TRACE_KEY_SQL} AS trace_key FROM read_parquet(?, union_by_name=true, "
        "filename=true, file_row_number=true)"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _diaglab_spans AS {source}", [files])
    try:
        repeats = con.execute(
            "SELECT trace_id, span_id, count(*) AS n FROM ("
            "  SELECT trace_id, span_id FROM _diaglab_spans"
            "  UNION ALL SELECT t.trace_id, t.span_id FROM spans.spans AS t"
            "  SEMI JOIN _diaglab_spans AS s ON t.trace_key = s.trace_key "
            "  AND t.trace_id = s.trace_id AND t.span_id = s.span_id"
            ") GROUP BY trace_id, span_id HAVING count(*) > 1"
        ).fetchall()
        cols = ", ".join(_q(c) for c in TABLE_COLUMNS)
        if not repeats:
            con.execute(f"INSERT INTO spans.spans ({cols}) SELECT {cols} FROM _diaglab_spans")
            inserted = sum(counts)
        else:
            con.execute(
                f"INSERT INTO spans.spans ({cols}) SELECT {cols} FROM _diaglab_spans AS s "
                "ANTI JOIN spans.spans AS t ON t.trace_key = s.trace_key "
                "AND t.trace_id = s.trace_id AND t.span_id = s.span_id "
                "QUALIFY row_number() OVER (PARTITION BY s.trace_id, s.span_id "
                "ORDER BY s.filename, s.file_row_number) = 1"
            )
            inserted = sum(counts) - sum(int(r[2]) - 1 for r in repeats)
            # Copies counted so far plus this batch's extra ones.
            con.executemany(
                "INSERT INTO spans.duplicates VALUES (?, ?, ?)",
                [[r[0], r[1], int(r[2])] for r in repeats],
            )
            log.warning(
                "diaglab: %d span id(s) arrived more than once (e.g. trace %s span %s); "
                "the first copy of each is kept",
                len(repeats),
                repeats[0][0],
                repeats[0][1],
            )
    finally:
        con.execute("DROP TABLE IF EXISTS _diaglab_spans")
    engine._ledger(segments, counts)
    return IngestReport(len(segments), inserted, sum(counts) - inserted, spans=inserted)


def create_views(engine: Engine) -> None:
    """Read-only fallback: ``spans.spans`` and ``spans.duplicates`` as views over the segments."""
    con = engine.con
    con.execute("CREATE SCHEMA IF NOT EXISTS spans")
    files = sorted(segment_dir(engine.root, KIND, SPANS_DIR).glob("*.parquet"))
    cols = ", ".join(_q(c) for c in TABLE_COLUMNS)
    if files:
        listing = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"
        raw = (
            f"SELECT *, {TRACE_KEY_SQL} AS trace_key FROM read_parquet({listing}, "
            "union_by_name=true, filename=true, file_row_number=true)"
        )
        spans = (
            f"SELECT {cols} FROM ({raw}) QUALIFY row_number() OVER (PARTITION BY trace_id, "
            "span_id ORDER BY filename, file_row_number) = 1"
        )
        dups = (
            f"SELECT trace_id, span_id, count(*) AS copies FROM ({raw}) "
            "GROUP BY trace_id, span_id HAVING count(*) > 1"
        )
    else:
        spans = (
            "SELECT "
            + ", ".join(f"NULL::{t} AS {_q(c)}" for c, t in TABLE_COLUMNS.items())
            + " LIMIT 0"
        )
        dups = (
            "SELECT NULL::VARCHAR AS trace_id, NULL::VARCHAR AS span_id, "
            "NULL::BIGINT AS copies LIMIT 0"
        )
    con.execute(f"CREATE OR REPLACE VIEW spans.spans AS {spans}")
    con.execute(f"CREATE OR REPLACE VIEW spans.duplicates AS {dups}")


# -- point lookups (the waterfall of one trace) ----------------------------------------------


@dataclass(frozen=True)
class TraceRows:
    """The stored spans of one trace (rows in the order of the columns asked for) and, per span
    id, how many extra copies of it arrived and were dropped."""

    rows: list[tuple[Any, ...]]
    extra_copies: dict[str, int]


def lookup_trace(con: Any, trace_id: str, columns: Sequence[str]) -> TraceRows:
    """The spans of ``trace_id`` (checked: 32 hex) through ``con``, a DuckDB connection.

    Only ``trace_key = ?`` goes to DuckDB: a lone equality on an indexed column is answered from
    the ART index (~1 ms in 10M spans), while a second condition makes it scan every row group;
    the full id is compared here (two ids may share their first 60 bits).
    """
    unknown_cols = [c for c in columns if c not in TABLE_COLUMNS]
    if unknown_cols:
        raise InputError(f"unknown span column(s) {unknown_cols}; known: {list(TABLE_COLUMNS)}")
    select = ", ".join(_q(c) for c in ("trace_id", *columns))
    got = con.execute(
        f"SELECT {select} FROM spans.spans WHERE trace_key = ?", [trace_key(trace_id)]
    ).fetchall()
    rows = [r[1:] for r in got if r[0] == trace_id]
    extra = con.execute(
        "SELECT span_id, sum(copies - 1) FROM spans.duplicates WHERE trace_id = ? GROUP BY span_id",
        [trace_id],
    ).fetchall()
    return TraceRows(rows, {str(s): int(n) for s, n in extra})


def describe(con: Any) -> tuple[int, list[str]]:
    """How many spans are stored, and up to three of their trace ids (for error messages)."""
    total = int(con.execute("SELECT count(*) FROM spans.spans").fetchall()[0][0])
    some = [r[0] for r in con.execute("SELECT trace_id FROM spans.spans LIMIT 3").fetchall()]
    return total, some


def predictions_of_trace(con: Any, model: str, trace_id: str) -> tuple[str, ...]:
    """Ids of the ``model`` predictions logged with ``trace_id`` (``model`` a checked name)."""
    from diaglab.store.engine import q

    rows = con.execute(
        f"SELECT prediction_id FROM main.{q(model)} WHERE trace_id = ?", [trace_id]
    ).fetchall()
    return tuple(sorted(str(r[0]) for r in rows))
