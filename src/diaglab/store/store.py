"""The Store: one directory of segment files, and the DuckDB engine that makes them queryable."""

from __future__ import annotations

import functools
import logging
import threading
import warnings
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from ibis.backends.duckdb import Backend as DuckDBBackend

from diaglab.errors import (
    DuplicateIdError,
    IngestDeferredWarning,
    InputError,
    StorageError,
    unknown,
)
from diaglab.store import audit, batch
from diaglab.store import models as registry
from diaglab.store import spans as span_store
from diaglab.store._ids import new_segment_id
from diaglab.store.background import in_background
from diaglab.store.compiled import compiling_once
from diaglab.store.engine import Engine, IngestReport
from diaglab.store.faults import fault_point
from diaglab.store.ingest import build_fresh, ingest_pending, rebuild, swap_in
from diaglab.store.label_report import LabelReport
from diaglab.store.memo import Memo
from diaglab.store.producer import prepare_predictions
from diaglab.store.quarantine import DamagedSegment, damaged_segments
from diaglab.store.schema import TIMESTAMP, ModelSchema, SchemaRegistry, value_type
from diaglab.store.segments import (
    Segment,
    check_model_name,
    check_version,
    existing_store,
    list_segments,
    write_segment,
)
from diaglab.store.sensitive import hash_table, register_backend, store_key
from diaglab.store.storage import storage_error

MEMO_ENTRIES = 64
log = logging.getLogger("diaglab")


class Store:
    """A prediction-log store in a directory.

    Parameters
    ----------
    path : str or Path
        The store's directory; created when missing.
    read_only : bool
        Open without taking the DuckDB file's write lock. A store whose DuckDB file is held by
        another process opens read-only automatically and says so.
    refresh : bool
        Ingest segments written since the last refresh when opening.

    Examples
    --------
    >>> import diaglab as dl
    >>> store = dl.open("/tmp/demo-store")                               # doctest: +SKIP
    >>> ids = store.log(model="credit", features=df, predictions=scores)  # doctest: +SKIP
    """

    def __init__(self, path: str | Path, *, read_only: bool = False, refresh: bool = True) -> None:
        self.path = Path(path).expanduser().resolve()
        self.path.mkdir(parents=True, exist_ok=True)
        self._registry = SchemaRegistry(self.path)
        self._engine = Engine(self.path, read_only=read_only)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._memo = Memo(MEMO_ENTRIES)  # a new generation whenever this process ingests
        self._tabled: set[str] = set()  # models whose tables exist in this engine
        if refresh:
            try:
                self.refresh(progress=None)
            except StorageError as exc:  # a full disk must not stop anyone reading the store
                log.warning(
                    "diaglab store %s opened without ingesting its newest segments: %s",
                    self.path,
                    exc,
                )

    # -- properties ---------------------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        """True when this process cannot write the DuckDB file (see ``read_only_reason``)."""
        return self._engine.read_only

    @property
    def read_only_reason(self) -> str | None:
        return self._engine.read_only_reason

    @property
    def ibis(self) -> Any:
        """The Ibis backend the store's queries run on, one per thread.

        A DuckDB connection runs one query at a time and refuses a second caller, so each thread
        (a notebook cell, an explorer's worker) queries through its own cursor on the same
        database.
        """
        local = self._local
        current = (self._engine, self._engine.generation)
        if getattr(local, "engine", None) != current:
            local.engine = current
            backend = compiling_once(DuckDBBackend)
            local.backend = backend.from_connection(self._engine.con.cursor())
            register_backend(local.backend, self)  # filters hash sensitive columns' literals
        return local.backend

    def interrupter(self) -> Callable[[], None]:
        """A function that interrupts the query this thread runs on the store, callable from any
        thread (DuckDB's ``interrupt()`` on this thread's cursor): the query raises, the next one
        runs normally. Explorers use it to stop a query whose result is no longer wanted."""
        interrupt: Callable[[], None] = self.ibis.con.interrupt
        return interrupt

    def __repr__(self) -> str:
        mode = f", read-only: {self.read_only_reason}" if self.read_only else ""
        return f"<diaglab.Store {str(self.path)!r}, models: {self.models()}{mode}>"

    def close(self) -> None:
        self._engine.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------------------------

    def models(self) -> list[str]:
        """Names of the models that have logged anything."""
        return self._registry.models()

    def schema(self, model: str) -> ModelSchema:
        """The model's task, features (numeric/categorical), versions and schema changes."""
        found = self._registry.get(check_model_name(model))
        if found is None:
            raise unknown("model", model, self.models())
        return found

    # -- writing ------------------------------------------------------------------------------

    def log(
        self,
        model: str,
        features: Any,
        predictions: Any,
        prediction_ids: Any = None,
        timestamps: Any = None,
        model_version: str = "v1",
        latency_ms: Any = None,
        trace_ids: Any = None,
        metadata: Any = None,
        *,
        categorical: Sequence[str] | None = None,
        task: str | None = None,
        errors: Any = None,
        sensitive: Sequence[str] | None = None,
    ) -> list[str]:
        """Log a batch of predictions; returns their ids.

        Parameters
        ----------
        model : str
        features : pandas.DataFrame, pyarrow.Table or mapping of columns
            One row per prediction. Numbers are numeric features, text/category/bool columns are
            categorical; ``categorical=[...]`` overrides.
        predictions : array-like
            1-D scores in [0, 1] (binary), classes, or values (regression); or a 2-D array of
            class probabilities. ``task=`` settles an ambiguous first batch.
        prediction_ids : sequence of str, optional
            Unique ids; generated (time-ordered) when omitted.
        timestamps : time-zone-aware timestamps, optional
            Converted to UTC; now when omitted. Naive timestamps are refused. Stored to the
            microsecond: nanoseconds are floored (logged once per process).
        errors : sequence of str or None, optional
            For failed calls: the error text per row (rows with an error may lack an output).
        sensitive : sequence of str, optional
            Feature columns stored as keyed hashes (HMAC-SHA256), never in clear; recorded in
            the schema, so later batches hash them too. See :mod:`diaglab.store.sensitive`.

        Returns
        -------
        list of str
            The prediction ids, in row order. An empty batch stores nothing and returns ``[]``.
        """
        prepared = prepare_predictions(
            self._registry,
            model,
            features,
            predictions,
            prediction_ids=prediction_ids,
            timestamps=timestamps,
            model_version=model_version,
            latency_ms=latency_ms,
            trace_ids=trace_ids,
            metadata=metadata,
            errors=errors,
            categorical=categorical,
            task=task,
            sensitive=sensitive,
        )
        if prepared is None:
            return []
        if prediction_ids is not None:
            self._refuse_stored_ids(model, prepared.ids)
        # A large batch's ids become Python strings (~0.15 s per 1M) on a thread of their own
        # while the segment is written and DuckDB inserts, both outside the GIL.
        ids = in_background(prepared.ids.to_pylist, large=len(prepared.ids) >= 100_000)
        self._store(prepared.schema, "predictions", prepared.table, prepared.segment_id)
        return ids()

    def stored_ids(self, model: str, ids: Any, *, limit: int = 5) -> list[str]:
        """Up to ``limit`` of these prediction ids that the model already has (after ingesting
        what other processes wrote meanwhile, on a read-only store)."""
        arr = ids if isinstance(ids, pa.Array) else pa.array([str(i) for i in ids], pa.string())
        if self.read_only:
            if next(list_segments(self.path, "predictions", model), None) is None:
                return []
            self.refresh()
        return self._engine.existing_ids(model, arr, limit)

    def _refuse_stored_ids(self, model: str, ids: pa.Array) -> None:
        dup = self.stored_ids(model, ids)
        if dup:
            raise DuplicateIdError(
                f"prediction_ids already stored for model {model!r}: "
                f"{', '.join(map(repr, dup))}; nothing from this batch was stored"
            )

    def _store(self, schema: ModelSchema, kind: str, table: pa.Table, seg_id: str) -> Segment:
        """Write the segment and, when writable, ingest it in the same transaction as its
        ledger row; the DuckDB insert runs while the file is being written.

        The segment is the truth: once it is durable the call has stored its rows, exactly
        once, whatever happens to DuckDB afterwards (a failed insert or commit only defers
        them to the next refresh, with an :class:`IngestDeferredWarning`). Before that, any
        failure raises and stores nothing (:class:`~diaglab.errors.StorageError` for a full
        disk, an I/O error or a refused permission).
        """
        if self.read_only:
            return write_segment(self.path, kind, schema.model, table, segment_id=seg_id)
        segment: Segment | None = None
        with self._write_lock, self._engine.lock:
            con = self._engine.con
            try:
                con.execute("BEGIN TRANSACTION")
                self._engine.ensure_model_tables(schema)
                if kind == "predictions":
                    written = in_background(
                        functools.partial(
                            write_segment, self.path, kind, schema.model, table, segment_id=seg_id
                        )
                    )
                    placeholder = Segment(seg_id, kind, schema.model, Path())
                    try:
                        self._engine.insert_batch(schema, table, placeholder)
                    except BaseException:
                        segment = written()  # a failed write is the error to report
                        raise
                    segment = written()
                else:
                    segment = write_segment(self.path, kind, schema.model, table, segment_id=seg_id)
                    ingest = (
                        self._engine.ingest_labels
                        if kind == "labels"
                        else self._engine.ingest_reference
                    )
                    ingest(schema, [segment])
                fault_point("log-inserted")
                con.execute("COMMIT")
            except Exception as exc:
                self._recover_engine()
                if segment is None:
                    disk = storage_error(
                        exc, doing="writing the DuckDB file", path=self._engine.db_path
                    )
                    if disk is None or disk is exc:
                        raise
                    raise disk from exc
                self._deferred(exc, kind, table.num_rows, segment)
            except BaseException:
                self._recover_engine()
                raise
            self._memo.changed(reference=kind == "reference")
        return segment

    def _deferred(self, exc: Exception, kind: str, rows: int, segment: Segment) -> None:
        disk = storage_error(
            exc, doing="writing", path=self._engine.db_path, consequence="DuckDB rolled back"
        )
        warnings.warn(
            f"{rows} {kind} row(s) are stored (segment {segment.path}) but the DuckDB copy "
            f"could not take them yet ({disk or exc}); queries see them after the next "
            "refresh() once DuckDB can write again. Do not log them again.",
            IngestDeferredWarning,
            stacklevel=4,
        )

    def _recover_engine(self) -> None:
        """Roll back; the engine reconnects when DuckDB invalidated the connection."""
        generation = self._engine.generation
        self._engine.recover()
        if self._engine.generation != generation:
            self._tabled.clear()
            self._memo.changed()

    def log_labels(
        self, model: str, prediction_ids: Any, labels: Any, timestamps: Any = None
    ) -> LabelReport:
        """Log ground truth for earlier predictions; late, repeated and unknown ids are fine.

        A repeated label replaces the earlier one in queries (the latest logged wins) while the
        history stays in ``store.labels(model)``. Labels for ids the store does not know are kept
        and joined if that prediction is logged later.
        """
        schema = self.schema(model)
        if prediction_ids is None:
            raise InputError("prediction_ids is required: labels are joined to predictions by id")
        ids_list = list(prediction_ids)
        n = len(ids_list)
        if n == 0:
            return LabelReport(model, 0, 0, 0, 0, ())
        ids = pa.array([str(i) if i is not None else None for i in ids_list], pa.string())
        if ids.null_count:
            raise InputError(f"prediction_ids has {ids.null_count} missing id(s)")
        values = batch.check_labels(labels, n, task=schema.task, model=model)
        table = pa.table(
            {"prediction_id": ids, "label": values, "label_timestamp": batch.to_utc(timestamps, n)}
        )
        matched, replaced = self._label_matches(model, ids)
        unique_ids = pc.unique(ids)
        self._store(schema, "labels", table, new_segment_id())
        unknown_ids = sorted(set(unique_ids.to_pylist()) - matched)
        return LabelReport(model, n, len(matched), replaced, len(unknown_ids), tuple(unknown_ids))

    def _label_matches(self, model: str, ids: pa.Array) -> tuple[set[str], int]:
        t = self.table(model)
        probe = ibis.memtable(pa.table({"prediction_id": pc.unique(ids)}))
        hit = t.semi_join(probe, "prediction_id").select("prediction_id", "label")
        df = self.ibis.to_pyarrow(hit)
        return set(df.column("prediction_id").to_pylist()), int(
            df.column("label").is_valid().to_numpy(zero_copy_only=False).sum()
        )

    def set_reference(
        self,
        model: str,
        features: Any,
        labels: Any = None,
        predictions: Any = None,
        model_version: str = "v1",
        *,
        categorical: Sequence[str] | None = None,
        task: str | None = None,
    ) -> int:
        """Register the reference data (e.g. training or validation set) of a model version.

        A later call for the same version replaces it (the earlier segment stays on disk).
        Returns the number of reference rows.
        """
        check_model_name(model)
        check_version(model_version)
        feats = batch.as_arrow_table(features)
        n = feats.num_rows
        if n == 0:
            raise InputError("the reference has no rows")
        with self._registry.locked(model) as schema:
            if schema.sensitive:  # the reference hashes them too, so it matches the log
                hidden = [c for c in schema.sensitive if c in feats.column_names]
                feats = hash_table(feats, hidden, store_key(self.path))
                categorical = [*(categorical or ()), *hidden]
            ftable, kinds = batch.check_features(feats, schema=schema, categorical=categorical)
            out = (
                batch.check_predictions(predictions, n, schema=schema, task=task)
                if predictions is not None
                else None
            )
            the_task = out.task if out else (task or schema.task)
            new_schema = schema.merged(kinds, version=model_version, task=the_task)
            vt = value_type(new_schema.task or "binary")
            label_col = (
                batch.check_labels(labels, n, task=new_schema.task, model=model)
                if labels is not None
                else pa.nulls(n, vt)
            )
            table = pa.table(
                {
                    "model_version": batch.repeated_text(model_version, n),
                    "prediction": out.prediction if out else pa.nulls(n, vt),
                    "score": out.score if out else pa.nulls(n, pa.float64()),
                    "label": label_col,
                    **{c: ftable.column(c) for c in ftable.column_names},
                }
            )
            if new_schema != schema:
                self._registry.write(new_schema)
        self._store(new_schema, "reference", table, new_segment_id())
        return n

    def register_model(
        self, model: str, estimator: Any, version: str = "v1", *, trust: bool = False
    ) -> registry.ModelInfo:
        """Save a fitted model (LightGBM, XGBoost, scikit-learn) as a version of ``model``.

        ``estimator`` may also be an MLflow model URI (``"models:/credit/1"``, ``"runs:/<id>/m"``),
        resolved against MLflow's tracking URI; its files are copied into the store and load
        through MLflow later. ``trust=True`` is needed when that model's files run code on loading.
        """
        return registry.register_model(self.path, model, estimator, version, trust=trust)

    def model_info(self, model: str, version: str | None = None) -> registry.ModelInfo:
        """How a registered version is stored and where it came from (``.source``)."""
        return registry.model_info(self.path, model, version)

    def load_model(
        self, model: str, version: str | None = None, *, trust: bool = False
    ) -> registry.LoadedModel:
        """Load a registered model (the latest version by default); pickles need trust=True."""
        return registry.load_model(self.path, model, version, trust=trust)

    def model_versions(self, model: str) -> list[str]:
        """The registered versions of ``model`` (see :meth:`register_model`)."""
        return registry.model_versions(self.path, check_model_name(model))

    # -- ingest -------------------------------------------------------------------------------

    def refresh(self, *, progress: bool | None = None) -> IngestReport:
        """Ingest every segment written since the last refresh (by any process), exactly once.

        A segment that cannot be read, or that the engine cannot take, is moved aside and named
        (:meth:`damaged_segments`) instead of blocking the others (see docs/reliability.md).

        ``progress``: None shows a bar only for large ingests; True/False force it.
        """
        engine = self._engine
        if engine.read_only:
            with engine.lock:
                for m in self.models():
                    engine.create_views(self.schema(m))
                span_store.create_views(engine)
                self._memo.changed()
            return IngestReport()
        with self._write_lock, engine.lock:
            generation = engine.generation
            try:
                report = ingest_pending(self.path, self._registry, engine, progress=progress)
            finally:
                if engine.generation != generation:  # reconnected: tables looked up again
                    self._tabled.clear()
                    self._memo.changed()
            if report.segments:
                self._memo.changed(reference=bool(report.reference))
        return report

    def log_spans(self, spans: Any) -> int:
        """Store trace spans (see :mod:`diaglab.store.spans` for the columns); returns how many
        were given (a span id that repeats one already stored is dropped at ingest, and counted).

        ``spans`` is a pyarrow Table, DataFrame or dict of columns with at least ``trace_id``,
        ``span_id``, ``name`` and ``start_ns``/``end_ns`` (or time-zone-aware ``start``/``end``).
        Most spans come from :class:`diaglab.otel.StoreSpanExporter` instead.
        """
        table = span_store.spans_table(spans)
        if table.num_rows == 0:
            return 0
        segment = span_store.write_spans(self.path, table)
        if not self.read_only:
            with self._write_lock, self._engine.lock:
                try:
                    span_store.ingest_in_batches(self._engine, [segment])
                except Exception as exc:  # the segment is durable: the spans are stored
                    self._recover_engine()
                    self._deferred(exc, "spans", table.num_rows, segment)
                self._memo.changed(reference=False)
        return int(table.num_rows)

    def spans(self) -> Any:
        """An Ibis table of every stored span (``spans.spans``), one row per (trace, span) id."""
        if "<spans>" not in self._tabled:
            with self._write_lock, self._engine.lock:
                if self.read_only:
                    span_store.create_views(self._engine)
                else:
                    span_store.ensure_tables(self._engine)
                self._tabled.add("<spans>")
        return self.ibis.table("spans", database="spans")

    def rebuild(self) -> IngestReport:
        """Ingest every segment again into a new DuckDB file, then swap it in for the old one
        (the segments are the truth; see :func:`rebuild` for a store whose DuckDB file is
        damaged)."""
        if self.read_only:
            self._engine._require_writer()
        with self._write_lock, self._engine.lock:
            # The old file stays open (and locked) until the new one is complete.
            report = build_fresh(self.path, self._registry)
            self._engine.close()
            swap_in(self.path)
            self._engine = Engine(self.path)
            self._tabled.clear()
            self._memo.changed()
        return report

    # -- reading ------------------------------------------------------------------------------

    def _queryable(self, model: str) -> None:
        """Check the model, and give it tables if producers created it since the last refresh."""
        schema = self.schema(model)
        if model not in self._tabled:
            if self.read_only:
                self._engine.create_views(schema)
            else:
                with self._write_lock, self._engine.lock:
                    self._engine.ensure_model_tables(schema)
            self._tabled.add(model)

    def _ibis_table(self, model: str, database: str) -> Any:
        """``database.model`` on this thread's backend, looked up once per generation (a lookup
        asks DuckDB for the table's schema, ~10 ms; ingesting may change it)."""
        self._queryable(model)
        backend, local = self.ibis, self._local
        if getattr(local, "tables_of", None) != (backend, self._memo.generation):
            local.tables, local.tables_of = {}, (backend, self._memo.generation)
        key = (model, database)
        if key not in local.tables:
            local.tables[key] = backend.table(model, database=database)
        return local.tables[key]

    def table(self, model: str) -> Any:
        """An Ibis table of the model's predictions, one row each, with the latest label."""
        return self._ibis_table(model, "main")

    def labels(self, model: str) -> Any:
        """An Ibis table of every label logged for the model (the history; ``seq`` orders it)."""
        return self._ibis_table(model, "labels")

    def reference(self, model: str, version: str | None = None) -> Any:
        """An Ibis table of the model's reference rows (one version's, or every version's)."""
        t = self._ibis_table(model, "reference")
        return t.filter(t.model_version == version) if version else t

    def memo(
        self, key: Hashable, compute: Callable[[], Any], *, reference_only: bool = False
    ) -> Any:
        """``compute()``, cached under ``key`` until the store ingests anything new (with
        ``reference_only``, a new reference: for results computed from reference rows alone).

        For derived results that are costly and only change with the data, such as a
        reference's binned profile. "New" means ingested by this process: a read-only store sees
        other processes' segments only through :meth:`refresh`, which also clears the memo.
        """
        return self._memo.get(key, compute, reference_only=reference_only)

    def damaged_segments(self) -> list[DamagedSegment]:
        """Segment files moved aside because they could not be read (see
        :mod:`diaglab.store.quarantine`); empty for a healthy store."""
        return damaged_segments(self.path)

    def verify(self) -> audit.VerifyReport:
        """Check every segment against its stream's hash chain (see :mod:`diaglab.store.audit`).

        The report names each changed, removed, unchained or reordered segment; ``report.ok``
        is True when the audit trail is intact.
        """
        return audit.verify(self.path)

    def watermark(self) -> dict[str, Any]:
        """What has been ingested: segment count, rows and the newest segment id."""
        if self.read_only:
            segs = list(list_segments(self.path))
            return {
                "segments": len(segs),
                "rows": None,
                "last_segment": segs[-1].id if segs else None,
            }
        row = self._engine.con.execute(
            "SELECT count(*), coalesce(sum(rows), 0), max(segment) FROM meta.ledger"
        ).fetchall()[0]
        return {"segments": int(row[0]), "rows": int(row[1]), "last_segment": row[2]}


def open(path: str | Path, *, read_only: bool = False, refresh: bool = True) -> Store:
    """Open (or create) the store in directory ``path``; see :class:`Store`."""
    return Store(path, read_only=read_only, refresh=refresh)


__all__ = [
    "TIMESTAMP",
    "DamagedSegment",
    "LabelReport",
    "Store",
    "damaged_segments",
    "existing_store",
    "open",
    "rebuild",
]
