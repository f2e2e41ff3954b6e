"""A read-only store whose segment files are queried by Apache Spark through Ibis.

``dl.open(path, engine="spark", spark=session)`` gives a :class:`SparkStore`: the same tables as a
DuckDB :class:`~diaglab.store.store.Store` (same names, columns and Ibis types), built as Ibis
expressions over Spark's Parquet reader on the segment directories. Nothing is exported or copied:
producers keep writing segments (through a DuckDB store or a ``dl.Logger``) and Spark reads them.

How each table is rebuilt from the segments, the way the DuckDB engine builds it at ingest:

- predictions: the first occurrence of each ``prediction_id`` (ordered by segment, then row) with
  the latest label joined in (the label with the greatest ``seq`` wins);
- labels: every label with ``seq`` = segment id + the row number in hex, as in DuckDB;
- reference: per model version, the rows of its newest reference segment.

Spark lists a directory's files when it is read, so segments written after
:meth:`SparkStore.refresh` are not seen until the next refresh (as on a read-only DuckDB store).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops

from diaglab.errors import InputError, ReadOnlyStoreError, unknown
from diaglab.store import models as registry
from diaglab.store.compaction import hide_replaced
from diaglab.store.compiled import compiling_once
from diaglab.store.engine import IngestReport, prediction_columns, reference_columns
from diaglab.store.memo import Memo
from diaglab.store.schema import ModelSchema
from diaglab.store.segments import KINDS, check_model_name
from diaglab.store.spark_session import default_session

MEMO_ENTRIES = 64
_IBIS_TYPES: dict[str, dt.DataType] = {
    "VARCHAR": dt.string,
    "DOUBLE": dt.float64,
    "TIMESTAMPTZ": dt.Timestamp(timezone="UTC", scale=6),
}
# Hidden columns added to each segment read: the segment id (the file name without ".parquet")
# and the row's order key within the model's history.
_SEGMENT, _SEQ = "_diaglab_segment", "_diaglab_seq"
_TRACE_KEY = "_diaglab_trace_key"
WRITE_HINT = (
    "a Spark store only reads the segment files: log through a DuckDB store "
    "(dl.open(path)) or a dl.Logger on the same directory, then call refresh() here"
)


class SparkStore:
    """A prediction-log store whose queries run on Spark (read-only).

    Parameters
    ----------
    path : str or Path
        The store's directory (the one a DuckDB store or a ``dl.Logger`` writes).
    spark : pyspark.sql.SparkSession, optional
        The session to query with: local mode or a cluster whose executors can read ``path``.
        Default: the active session, else a local one built for this machine
        (:func:`~diaglab.store.spark_session.default_session`).
    refresh : bool
        List the segment files now (otherwise on first use).
    cache : bool
        Keep each model's predictions table (segments read, repeated ids dropped, latest labels
        joined) in Spark's cache (memory, spilling to disk) from its first query until the next
        :meth:`refresh` or :meth:`close`; False rebuilds it in every query.

    Examples
    --------
    >>> store = dl.open("/data/diaglab-store", engine="spark")                 # doctest: +SKIP
    >>> dl.drift(store, "credit", window=("2026-02-01", "2026-03-01"))       # doctest: +SKIP
    """

    engine = "spark"

    def __init__(
        self, path: str | Path, *, spark: Any = None, refresh: bool = True, cache: bool = True
    ) -> None:
        if spark is None:
            spark = default_session()
        if not hasattr(spark, "read") or not hasattr(spark, "sql"):
            raise InputError(
                f"engine='spark' needs spark=<a pyspark.sql.SparkSession>, got {spark!r}"
            )
        self._files = _Files(path)
        self.path = self._files.local  # None for a remote store (s3a://, hdfs://, ...)
        self._session = spark
        from ibis.backends.pyspark import Backend

        if ibis.options.pyspark is None:  # set when ibis.pyspark is first used; not on import
            Backend.register_options()
        self._backend = compiling_once(Backend)().connect(spark)
        self._prefix = _view_prefix(str(self.path or path))
        self._lock = threading.RLock()
        self._memo = Memo(MEMO_ENTRIES)
        self._tables: dict[tuple[str, str], Any] = {}
        self._views: list[str] = []
        self._persisted: list[Any] = []
        self._cache = cache
        self._segments: set[str] = set()
        if refresh:
            self.refresh()

    # -- properties ---------------------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        """Always True: Spark reads the segments; writing goes through a DuckDB store."""
        return True

    @property
    def read_only_reason(self) -> str:
        return "engine='spark' reads the segment files; " + WRITE_HINT.split(": ", 1)[1]

    @property
    def ibis(self) -> Any:
        """The Ibis PySpark backend the store's queries run on (shared by all threads)."""
        return self._backend

    @property
    def spark(self) -> Any:
        """The SparkSession this store queries with."""
        return self._session

    def __repr__(self) -> str:
        return f"<diaglab.SparkStore {self._files.location!r}, models: {self.models()}>"

    def close(self) -> None:
        """Drop this store's temporary views (the SparkSession stays open: it is the caller's)."""
        with self._lock:
            self._drop_views()

    def __enter__(self) -> SparkStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------------------------

    def models(self) -> list[str]:
        """Names of the models that have logged anything."""
        return self._files.models()

    def schema(self, model: str) -> ModelSchema:
        """The model's task, features (numeric/categorical), versions and schema changes."""
        found = self._files.schema(check_model_name(model))
        if found is None:
            raise unknown("model", model, self.models())
        return found

    # -- writing: refused with the way to do it ----------------------------------------------

    def _refuse(self, what: str) -> ReadOnlyStoreError:
        return ReadOnlyStoreError(f"cannot {what} on a Spark store: {WRITE_HINT}")

    def log(self, *args: Any, **kwargs: Any) -> list[str]:
        raise self._refuse("log predictions")

    def log_labels(self, *args: Any, **kwargs: Any) -> Any:
        raise self._refuse("log labels")

    def set_reference(self, *args: Any, **kwargs: Any) -> int:
        raise self._refuse("set a reference")

    def register_model(self, *args: Any, **kwargs: Any) -> Any:
        raise self._refuse("register a model")

    def rebuild(self) -> IngestReport:
        raise ReadOnlyStoreError(
            "a Spark store has no DuckDB file to rebuild: it reads the segments directly; "
            "call refresh() to see segments written since it was opened"
        )

    def load_model(
        self, model: str, version: str | None = None, *, trust: bool = False
    ) -> registry.LoadedModel:
        """Load a registered model (the latest version by default); pickles need trust=True."""
        return registry.load_model(self._local("load a model"), model, version, trust=trust)

    def model_versions(self, model: str) -> list[str]:
        return registry.model_versions(self._local("list model versions"), model)

    def _local(self, what: str) -> Path:
        if self.path is None:
            raise InputError(
                f"cannot {what} from {self._files.location}: registered models are read from a "
                "local store directory (open a local copy or mount of it)"
            )
        return self.path

    # -- reading ------------------------------------------------------------------------------

    def refresh(self, *, progress: bool | None = None) -> IngestReport:
        """See the segments written since the last refresh (nothing is copied or ingested).

        The report's ``segments`` counts the newly seen segment files; ``progress`` is accepted
        for compatibility with :meth:`Store.refresh` and ignored.
        """
        seen = {name[:24] for kind in (*KINDS, "spans") for name in self._files.segments(kind)}
        with self._lock:
            new = len(seen - self._segments)
            if new or not self._segments:
                self._drop_views()
                self._segments = seen
                self._memo.changed()
        return IngestReport(segments=new)

    def table(self, model: str) -> Any:
        """An Ibis table of the model's predictions, one row each, with the latest label."""
        return self._cached(model, "predictions", self._predictions)

    def labels(self, model: str) -> Any:
        """An Ibis table of every label logged for the model (the history; ``seq`` orders it)."""
        return self._cached(model, "labels", self._labels)

    def reference(self, model: str, version: str | None = None) -> Any:
        """An Ibis table of the model's reference rows (one version's, or every version's)."""
        t = self._cached(model, "reference", self._reference)
        return t.filter(t.model_version == version) if version else t

    def spans(self) -> Any:
        """An Ibis table of every stored span, one row per (trace, span) id (the first copy),
        with the same columns as the DuckDB store's ``spans.spans``."""
        with self._lock:
            found = self._tables.get(("<spans>", "spans"))
            if found is None:
                found = self._tables[("<spans>", "spans")] = self._spans()
        return found

    def span_copies(self) -> Any:
        """An Ibis table of the span ids stored more than once: trace_id, span_id, copies (what
        the DuckDB store keeps in ``spans.duplicates``)."""
        from diaglab.store import spans as span_store

        raw = self._read(span_store.KIND, span_store.SPANS_DIR)
        if raw is None:
            return _empty({"trace_id": dt.string, "span_id": dt.string, "copies": dt.int64})
        counted = raw.group_by(["trace_id", "span_id"]).aggregate(copies=raw.count())
        return counted.filter(counted.copies > 1)

    def memo(
        self, key: Hashable, compute: Callable[[], Any], *, reference_only: bool = False
    ) -> Any:
        """``compute()``, cached under ``key`` until :meth:`refresh` sees new segments."""
        return self._memo.get(key, compute, reference_only=reference_only)

    def watermark(self) -> dict[str, Any]:
        """What the store's queries see: segment count and the newest segment id."""
        with self._lock:
            segs = sorted(self._segments)
        return {"segments": len(segs), "rows": None, "last_segment": segs[-1] if segs else None}

    def materialize(self, expr: Any) -> tuple[Any, Callable[[], None]]:
        """``expr`` computed once and cached in Spark (a temp view), and its release."""
        cached = expr.cache()
        return cached, cached.release

    def _drop_views(self) -> None:
        for name in self._views:
            self._session.catalog.dropTempView(name)
        for frame in self._persisted:
            frame.unpersist()
        self._views.clear()
        self._persisted.clear()
        self._tables.clear()

    # -- building the tables ------------------------------------------------------------------

    def _cached(self, model: str, kind: str, build: Callable[[ModelSchema], Any]) -> Any:
        schema = self.schema(model)
        with self._lock:
            found = self._tables.get((model, kind))
            if found is None:
                found = self._tables[(model, kind)] = self._as_view(build(schema), kind)
        return found

    def _as_view(self, expr: Any, kind: str) -> Any:
        """``expr`` behind a temporary view, as a table of that name with ``expr``'s schema (the
        Ibis types it was cast to; Spark's own say less, e.g. no time zone): a query over the
        store's table then compiles a table name, not the de-duplication and the latest-label
        join (~20 ms per new window or slice)."""
        if expr.op().find(ops.InMemoryTable):  # no segments yet: an empty table in memory
            return expr
        name = f"{self._prefix}_{kind}_{len(self._views)}"
        frame = self._session.sql(self._backend.compile(expr))
        if kind == "predictions" and self._cache:
            # Every diagnostic scans this table, and building it reads all the segments and
            # joins the latest labels: once per refresh, not once per query.
            from pyspark import StorageLevel

            frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
            self._persisted.append(frame)
        frame.createOrReplaceTempView(name)
        self._views.append(name)
        return ops.DatabaseTable(
            name, schema=expr.schema(), source=self._backend, namespace=ops.Namespace()
        ).to_expr()

    def _read(self, kind: str, model: str) -> Any | None:
        """The model's segments of one kind as an Ibis table, with the hidden order columns;
        None when there are none."""
        if not self._files.segments(kind, model):
            return None
        from pyspark.sql import functions as F

        meta = F.col("_metadata")
        segment = F.regexp_replace(meta.getField("file_name"), r"\.parquet$", "")
        folder = self._files.folder(kind, model)
        # the listed files, not the folder: a merged segment's sources may still be beside it
        files = [f"{folder}/{name}" for name in self._files.segments(kind, model)]
        frame = self._session.read.option("mergeSchema", "true").parquet(*files)
        extra = []
        if kind == "spans":  # the trace id's first 15 hex digits, DuckDB's ``trace_key``
            hex_key = F.substring(F.col("trace_id"), 1, 15)
            extra.append(F.conv(hex_key, 16, 10).cast("bigint").alias(_TRACE_KEY))
        frame = frame.select(
            "*",
            *extra,
            segment.alias(_SEGMENT),
            F.concat(segment, F.lpad(F.lower(F.hex(meta.getField("row_index"))), 10, "0")).alias(
                _SEQ
            ),
        )
        name = f"{self._prefix}_{kind}_{len(self._views)}"
        frame.createOrReplaceTempView(name)
        self._views.append(name)
        return self._backend.table(name)

    def _spans(self) -> Any:
        from diaglab.store import spans as span_store

        cols = {"trace_key": dt.int64} | {f.name: dt.dtype(f.type) for f in span_store.SCHEMA}
        raw = self._read(span_store.KIND, span_store.SPANS_DIR)
        if raw is None:
            return _empty(cols)
        # A span id that arrived twice is kept once, its first copy (as at DuckDB ingest).
        first = ibis.row_number().over(group_by=[raw.trace_id, raw.span_id], order_by=raw[_SEQ])
        ranked = raw.mutate(_first=first)
        kept = ranked.filter(ranked._first == 0)
        have = set(raw.columns)
        out = {"trace_key": kept[_TRACE_KEY]} | {
            c: kept[c].cast(t) if c in have else ibis.null(t)
            for c, t in cols.items()
            if c != "trace_key"
        }
        return kept.select(**out)

    def _labels(self, schema: ModelSchema) -> Any:
        vt = _IBIS_TYPES[prediction_columns(schema)["label"]]
        cols = {
            "prediction_id": dt.string,
            "label": vt,
            "label_timestamp": dt.Timestamp(timezone="UTC", scale=6),
            "seq": dt.string,
        }
        raw = self._read("labels", schema.model)
        if raw is None:
            return _empty(cols)
        return raw.select(
            prediction_id=raw.prediction_id.cast(dt.string),
            label=raw.label.cast(vt),
            label_timestamp=raw.label_timestamp.cast(cols["label_timestamp"]),
            seq=raw[_SEQ],
        )

    def _predictions(self, schema: ModelSchema) -> Any:
        cols = {c: _IBIS_TYPES[t] for c, t in prediction_columns(schema).items()}
        raw = self._read("predictions", schema.model)
        if raw is None:
            return _empty(cols)
        # The first occurrence of a repeated id wins, as at DuckDB ingest.
        if self._repeats(raw):
            # Mutate, then filter: Ibis 12 mis-aliases a window function inside a Spark filter.
            first = ibis.row_number().over(group_by=raw.prediction_id, order_by=raw[_SEQ])
            ranked = raw.mutate(_first=first)
            preds = ranked.filter(ranked._first == 0)
        else:
            preds = raw
        have = set(raw.columns)
        if not self._files.segments("labels", schema.model):
            joined, label, label_ts = preds, None, None
        else:
            labels = self.labels(schema.model)
            latest = labels.group_by("prediction_id").aggregate(
                _label=labels.label.argmax(labels.seq),
                _label_ts=labels.label_timestamp.argmax(labels.seq),
            )
            joined = preds.left_join(latest, "prediction_id")
            label, label_ts = joined._label, joined._label_ts
        out = {}
        for c, t in cols.items():
            if c == "label":
                out[c] = ibis.null(t) if label is None else label.cast(t)
            elif c == "label_timestamp":
                out[c] = ibis.null(t) if label_ts is None else label_ts.cast(t)
            else:
                out[c] = joined[c].cast(t) if c in have else ibis.null(t)
        return joined.select(**out)

    def _repeats(self, raw: Any) -> bool:
        """Whether any prediction id occurs twice (rare: two producers given one request id).
        One scan per refresh spares every later query the de-duplicating window."""
        row = raw.aggregate(n=raw.count(), ids=raw.prediction_id.nunique()).to_pyarrow()
        return bool(row.column("n")[0].as_py() != row.column("ids")[0].as_py())

    def _reference(self, schema: ModelSchema) -> Any:
        cols = {c: _IBIS_TYPES[t] for c, t in reference_columns(schema).items()}
        raw = self._read("reference", schema.model)
        if raw is None:
            return _empty(cols)
        # The newest segment of each model version is its reference (a later one replaces it).
        ranked = raw.mutate(_newest=raw[_SEGMENT].max().over(group_by=raw.model_version))
        raw = ranked.filter(ranked[_SEGMENT] == ranked._newest)
        have = set(raw.columns)
        out = {}
        for c, t in cols.items():
            if c == "segment":
                out[c] = raw[_SEGMENT]
            else:
                out[c] = raw[c].cast(t) if c in have else ibis.null(t)
        return raw.select(**out)


_SEGMENT_FILE = re.compile(r"^[0-9a-f]{24}(-[0-9a-f]{24})?\.parquet$")


class _Files:
    """The store directory, local or behind a URI (``file://``, ``s3://``, ``hdfs://``...): the
    model schemas and the segment listing are read with pyarrow's filesystems, the segments
    themselves by Spark through its own filesystem support."""

    def __init__(self, path: str | Path) -> None:
        from pyarrow import fs

        text = str(path)
        if "://" in text:
            try:
                # Hadoop's s3a:// (what Spark reads) is s3:// to pyarrow.
                self.fs, root = fs.FileSystem.from_uri(re.sub(r"^s3[an]://", "s3://", text))
            except Exception as exc:  # pyarrow names the missing scheme or credentials
                raise InputError(f"cannot open the store at {text}: {exc}") from exc
            self.root = root.rstrip("/")
            self.location = text.rstrip("/")
            local = isinstance(self.fs, fs.LocalFileSystem)
            self.local: Path | None = Path(self.root) if local else None
        else:
            self.local = Path(path).expanduser().resolve()
            self.fs, self.root, self.location = (
                fs.LocalFileSystem(),
                str(self.local),
                str(self.local),
            )
        info = self.fs.get_file_info(self.root)
        if info.type != fs.FileType.Directory:
            raise InputError(
                f"no diaglab store at {self.location}: a Spark store reads an existing store's "
                "segments (create it with dl.open(path) or a dl.Logger)"
            )

    def _list(self, path: str) -> list[Any]:
        from pyarrow import fs

        return list(self.fs.get_file_info(fs.FileSelector(path, allow_not_found=True)))

    def models(self) -> list[str]:
        found = []
        for d in self._list(f"{self.root}/models"):
            if d.is_file:
                continue
            schema = self.fs.get_file_info(f"{d.path}/schema.json")
            if schema.is_file:
                found.append(d.base_name)
        return sorted(found)

    def schema(self, model: str) -> ModelSchema | None:
        path = f"{self.root}/models/{model}/schema.json"
        if not self.fs.get_file_info(path).is_file:
            return None
        with self.fs.open_input_stream(path) as fh:
            return ModelSchema.from_json(json.loads(fh.read()))

    def folder(self, kind: str, model: str) -> str:
        return f"{self.location}/segments/{kind}/{model}"

    def segments(self, kind: str, model: str | None = None) -> list[str]:
        """Names of the complete segment files of one kind (and model), oldest first."""
        base = f"{self.root}/segments/{kind}"
        dirs = [f"{base}/{model}"] if model else [d.path for d in self._list(base) if not d.is_file]
        found = [
            f.path
            for d in dirs
            for f in self._list(d)
            if f.is_file and _SEGMENT_FILE.match(f.base_name)
        ]
        found.sort(key=lambda path: path.rsplit("/", 1)[-1])
        shown = hide_replaced(
            found,
            id_of=lambda path: path.rsplit("/", 1)[-1][: -len(".parquet")],
            path_of=str,
            read=self._header,
        )
        return [path.rsplit("/", 1)[-1] for path in shown]

    def _header(self, path: str) -> dict[str, Any]:
        import pyarrow.parquet as pq

        raw = (pq.read_schema(path, filesystem=self.fs).metadata or {}).get(b"diaglab")
        return json.loads(raw) if raw else {}


def _empty(cols: dict[str, dt.DataType]) -> Any:
    """An empty table with these columns (a model with no segments of a kind yet)."""
    import pyarrow as pa

    schema = ibis.schema(cols)
    return ibis.memtable(pa.Table.from_pylist([], schema=schema.to_pyarrow()))


def open_spark(
    path: str | Path, *, spark: Any = None, refresh: bool = True, cache: bool = True
) -> SparkStore:
    """Open the store in ``path`` for queries on ``spark``; see :class:`SparkStore`."""
    return SparkStore(path, spark=spark, refresh=refresh, cache=cache)


_PREFIXES: dict[str, int] = {}
_PREFIXES_LOCK = threading.Lock()


def _view_prefix(where: str) -> str:
    """The prefix of a store's temporary views: the same for the same store in every process (so
    SQL naming them is found in the compiled-SQL cache), distinct for each store object opened on
    the same path within this process (its views stay its own)."""
    key = hashlib.sha256(where.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    with _PREFIXES_LOCK:
        n = _PREFIXES[key] = _PREFIXES.get(key, -1) + 1
    return f"diaglab_{key}_{n}"


__all__ = ["SparkStore", "open_spark"]
