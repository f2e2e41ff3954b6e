"""Reading a store: its models' schemas and the Ibis tables queries run on."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from ibis.backends.duckdb import Backend as DuckDBBackend

from diaglab.errors import unknown
from diaglab.store import audit, object_store
from diaglab.store import spans as span_store
from diaglab.store.compiled import compiling_once
from diaglab.store.engine import Engine
from diaglab.store.memo import Memo
from diaglab.store.quarantine import DamagedSegment, damaged_segments
from diaglab.store.schema import ModelSchema, SchemaRegistry
from diaglab.store.segments import check_model_name, list_segments
from diaglab.store.sensitive import register_backend


class StoreReads:
    """The reading half of :class:`~diaglab.store.store.Store` (a base class of it)."""

    path: Path
    _registry: SchemaRegistry
    _engine: Engine
    _local: threading.local
    _write_lock: threading.RLock
    _memo: Memo
    _tabled: set[str]  # models whose tables exist in this engine
    remote: object_store.ObjectStore | None  # a store on object storage: its objects
    _remote_read_only: bool

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

    def models(self) -> list[str]:
        """Names of the models that have logged anything."""
        return self._registry.models()

    def schema(self, model: str) -> ModelSchema:
        """The model's task, features (numeric/categorical), versions and schema changes."""
        found = self._registry.get(check_model_name(model))
        if found is None:
            raise unknown("model", model, self.models())
        return found

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

    def damaged_segments(self) -> list[DamagedSegment]:
        """Segment files moved aside because they could not be read (see
        :mod:`diaglab.store.quarantine`); empty for a healthy store."""
        return damaged_segments(self.path)

    def verify(self) -> audit.VerifyReport:
        """Check every segment against its stream's hash chain (see :mod:`diaglab.store.audit`).

        The report names each changed, removed, unchained or reordered segment; ``report.ok``
        is True when the audit trail is intact.
        """
        if self.remote is not None:
            return self.remote.verify()
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
