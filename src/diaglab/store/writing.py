"""Writing a store: predictions, labels, references and spans as segments, and their ingest."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from diaglab.errors import (
    DuplicateIdError,
    IngestDeferredWarning,
    InputError,
    ReadOnlyStoreError,
)
from diaglab.store import batch
from diaglab.store import spans as span_store
from diaglab.store._ids import new_segment_id
from diaglab.store.background import in_background
from diaglab.store.engine import IngestReport
from diaglab.store.faults import fault_point
from diaglab.store.ingest import ingest_pending
from diaglab.store.label_report import LabelReport
from diaglab.store.producer import prepare_predictions
from diaglab.store.reading import StoreReads
from diaglab.store.schema import ModelSchema, feature_column, value_type
from diaglab.store.segments import (
    Segment,
    check_model_name,
    check_version,
    list_segments,
    write_segment,
)
from diaglab.store.sensitive import hash_table, store_key
from diaglab.store.storage import storage_error


class StoreWrites(StoreReads):
    """The writing half of :class:`~diaglab.store.store.Store` (a base class of it)."""

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

    def _require_remote_writer(self) -> None:
        if self.remote is not None and self._remote_read_only:
            raise ReadOnlyStoreError(
                f"{self.remote.url} was opened read_only=True: open it without read_only to log"
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
        self._require_remote_writer()
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
                batch.check_predictions(
                    predictions, n, schema=schema, task=task, version=model_version
                )
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
                    **{feature_column(c): ftable.column(c) for c in ftable.column_names},
                }
            )
            if new_schema != schema:
                self._registry.write(new_schema)
        self._store(new_schema, "reference", table, new_segment_id())
        return n

    def refresh(self, *, progress: bool | None = None) -> IngestReport:
        """Ingest every segment written since the last refresh (by any process), exactly once.

        A segment that cannot be read, or that the engine cannot take, is moved aside and named
        (:meth:`damaged_segments`) instead of blocking the others (see docs/reliability.md).

        ``progress``: None shows a bar only for large ingests; True/False force it.
        """
        engine = self._engine
        if self.remote is not None:
            self.remote.sync()
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
        self._require_remote_writer()
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
