"""The DuckDB side of a store: query-ready tables, the ingest ledger and the read-only fallback.

Tables: ``main.<model>`` holds one row per prediction with its latest label joined in;
``labels.<model>`` keeps every label ever logged (the history); ``reference.<model>`` the active
reference rows of each model version; ``meta.ledger`` one row per ingested segment. A segment's
rows and its ledger row are written in one transaction, so a segment is ingested exactly once.

DuckDB lets one process open a database file for writing. A second process gets an in-memory
database whose tables are views over the segment files: slower, read-only, but correct.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from diaglab.errors import ReadOnlyStoreError, StoreCorruptionError
from diaglab.store import compaction, layout
from diaglab.store.lru import LRUCache
from diaglab.store.schema import ModelSchema, value_type
from diaglab.store.segments import Segment, list_segments
from diaglab.store.storage import storage_error
from diaglab.store.tables import (
    IngestReport,
    _duck_type,
    prediction_columns,
    q,
    reference_columns,
)
from diaglab.store.views import ReadOnlyViews

__all__ = [
    "DB_FILE",
    "INGEST_BATCH_ROWS",
    "MEMORY_LIMIT",
    "Engine",
    "IngestReport",
    "damaged_database",
    "is_lock_conflict",
    "prediction_columns",
    "q",
    "reference_columns",
]

log = logging.getLogger("diaglab")

DB_FILE = layout.DB_FILE
_LOCK_HOLDER = re.compile(r"PID (\d+)")
# Bounds DuckDB's own memory so refresh of tens of millions of rows stays within ~2 GB RSS;
# larger intermediate results spill to the store's .tmp directory.
MEMORY_LIMIT = "1200MB"
INGEST_BATCH_ROWS = 2_000_000
# Compression DuckDB need not try while it writes a logged batch's row groups: RLE never won a
# prediction column of the sample scenario (features, outputs and ids go to ALP, DICT_FSST,
# bit-packing or constant), and trying it cost ~10% of the insert.
INSERT_SKIPS_COMPRESSION = "rle"
# a logged label as the history keeps it: seq (its segment's id and its row) orders the labels
# of one id, the latest wins
_LABEL_ROWS = (
    "SELECT prediction_id, label, label_timestamp, "
    "parse_filename(filename, true) || lpad(printf('%x', file_row_number), 10, '0') AS seq "
    "FROM read_parquet(?, filename=true, file_row_number=true)"
)
UNIQUE_ID_CHECKS = 16
"""Read-only views: how many sets of segment files' "no id repeats" checks are remembered."""
SEGMENT_ID_CHARS = 24
"""A segment id's length (:func:`diaglab.store._ids.new_segment_id`); a merged segment's id
starts with its oldest source's."""


class Engine(ReadOnlyViews):
    """Owns the DuckDB connection of one store."""

    def __init__(self, root: Path, *, read_only: bool = False, db_file: str = DB_FILE) -> None:
        self.root = root
        self.db_path = layout.db_path(root, db_file)
        self.lock = threading.RLock()
        self._checked_files: set[str] = set()  # read-only: segment files whose footer read back
        self.read_only_reason: str | None = None
        self._unique_ids = LRUCache(UNIQUE_ID_CHECKS)
        spill = layout.spill_dir(root)
        spill.mkdir(parents=True, exist_ok=True)
        self.generation = 0
        """Counts reconnections (:meth:`recover`): cursors of an earlier generation are dead."""
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": MEMORY_LIMIT,
            "temp_directory": str(spill),
            "preserve_insertion_order": "false",
        }
        self._config = config
        if read_only:
            self.read_only_reason = "opened with read_only=True"
        else:
            try:
                self.con = duckdb.connect(str(self.db_path), config=config)
            except duckdb.Error as exc:
                if not is_lock_conflict(exc):
                    raise damaged_database(self.db_path, exc) from exc
                holder = _LOCK_HOLDER.search(str(exc))
                self.read_only_reason = (
                    f"another process (PID {holder.group(1) if holder else '?'}) holds "
                    f"{self.db_path}"
                )
        if self.read_only_reason is not None:
            self.con = duckdb.connect(":memory:", config=config)
            (log.info if read_only else log.warning)(
                "diaglab store %s is read-only here: %s. Queries read the segment files directly "
                "(slower); rows logged here are ingested by the writer on its next refresh.",
                root,
                self.read_only_reason,
            )
        for schema_name in ("labels", "reference", "meta"):
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema_name}")
        if not self.read_only:
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS meta.ledger (segment VARCHAR PRIMARY KEY, "
                "kind VARCHAR, model VARCHAR, rows BIGINT, ingested_at TIMESTAMPTZ)"
            )

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    def close(self) -> None:
        self.con.close()

    def recover(self) -> None:
        """After a failed write: roll back, and reconnect when DuckDB invalidated the database
        (it does after a failed commit, e.g. on a full disk). Reconnecting replays the WAL, so
        only the failed transaction is lost; a failure to reconnect is raised (StorageError for
        a disk that still refuses)."""
        if self.abort():
            return
        with contextlib.suppress(duckdb.Error):
            self.con.close()
        try:
            self.con = duckdb.connect(str(self.db_path), config=self._config)
        except duckdb.Error as exc:
            raise damaged_database(self.db_path, exc) from exc
        self.generation += 1

    def abort(self) -> bool:
        """Roll back the open transaction; False when the connection is no longer usable (DuckDB
        invalidates a database after a failed commit, e.g. on a full disk)."""
        try:
            self.con.execute("ROLLBACK")
        except duckdb.TransactionException as exc:
            return "no transaction is active" in str(exc).lower()
        except duckdb.Error:
            return False
        try:
            self.con.execute("SELECT 1").fetchall()
        except duckdb.Error:
            return False
        return True

    # -- tables -------------------------------------------------------------------------------

    def _existing_columns(self, schema_name: str, table: str) -> dict[str, str]:
        rows = self.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema_name, table],
        ).fetchall()
        return {name: dtype for name, dtype in rows}

    def _ensure_table(self, schema_name: str, table: str, columns: dict[str, str]) -> None:
        existing = self._existing_columns(schema_name, table)
        target = f"{schema_name}.{q(table)}"
        if not existing:
            cols = ", ".join(f"{q(c)} {t}" for c, t in columns.items())
            self.con.execute(f"CREATE TABLE {target} ({cols})")
            return
        for c, t in columns.items():
            if c not in existing:
                self.con.execute(f"ALTER TABLE {target} ADD COLUMN {q(c)} {t}")

    def ensure_model_tables(self, schema: ModelSchema) -> None:
        if self.read_only:
            return
        self._ensure_table("main", schema.model, prediction_columns(schema))
        vt = _duck_type(value_type(schema.task or "binary"))
        self._ensure_table(
            "labels",
            schema.model,
            {
                "prediction_id": "VARCHAR",
                "label": vt,
                "label_timestamp": "TIMESTAMPTZ",
                "seq": "VARCHAR",
            },
        )
        self._ensure_table("reference", schema.model, reference_columns(schema))

    def has_table(self, schema_name: str, table: str) -> bool:
        return bool(self._existing_columns(schema_name, table))

    # -- ingest -------------------------------------------------------------------------------

    def ingested(self) -> set[str]:
        if self.read_only:
            return set()
        return {r[0] for r in self.con.execute("SELECT segment FROM meta.ledger").fetchall()}

    def _require_writer(self) -> None:
        if self.read_only:
            raise ReadOnlyStoreError(
                f"this store is read-only in this process ({self.read_only_reason}); "
                "log from here (segments are picked up by the writer) or close the other process"
            )

    def _ledger(self, segments: Sequence[Segment], rows: Sequence[int]) -> None:
        entries = []
        for s, n in zip(segments, rows, strict=True):
            # a merged segment enters its original segments: the ledger's ids never change
            parts = compaction.sources(s.path) if compaction.is_merged(s.id) else [(s.id, n)]
            entries += [[part, s.kind, s.model, k] for part, k in parts]
        self.con.executemany("INSERT INTO meta.ledger VALUES (?, ?, ?, ?, now())", entries)

    def insert_batch(self, schema: ModelSchema, table: pa.Table, segment: Segment) -> None:
        """Insert a freshly logged, already checked batch and record its segment."""
        self._require_writer()
        target = q(schema.model)
        self.con.register("_diaglab_batch", table)
        try:
            self.con.execute(f"SET disabled_compression_methods = '{INSERT_SKIPS_COMPRESSION}'")
            try:
                self.con.execute(f"INSERT INTO main.{target} BY NAME SELECT * FROM _diaglab_batch")
            finally:
                self.con.execute("RESET disabled_compression_methods")
            self._apply_labels(schema.model, "SELECT prediction_id FROM _diaglab_batch")
            self._ledger([segment], [table.num_rows])
        finally:
            self.con.unregister("_diaglab_batch")

    def existing_ids(self, model: str, ids: pa.Array, limit: int = 5) -> list[str]:
        """Up to ``limit`` of ``ids`` that the model's table already holds."""
        if not self.has_table("main", model) and not self.read_only:
            return []
        self.con.register("_diaglab_ids", pa.table({"prediction_id": ids}))
        try:
            rows = self.con.execute(
                f"SELECT prediction_id FROM main.{q(model)} SEMI JOIN _diaglab_ids "
                f"USING (prediction_id) LIMIT {int(limit)}"
            ).fetchall()
        except duckdb.CatalogException:
            return []
        finally:
            self.con.unregister("_diaglab_ids")
        return [r[0] for r in rows]

    def ingest_predictions(self, schema: ModelSchema, segments: Sequence[Segment]) -> IngestReport:
        """Ingest prediction segments: new ids only, the first occurrence of a repeated id.

        Repeated ids are rare (two producers given one request id), so the batch is checked
        first and inserted as it is when clean; only a batch with repeats pays for deduplication.
        """
        files = [str(s.path) for s in segments]
        target = f"main.{q(schema.model)}"
        plain = "read_parquet(?, union_by_name=true)"
        counts = self._file_rows(files)
        repeated = self.con.execute(
            f"SELECT count(*) FROM (SELECT prediction_id FROM {plain} GROUP BY prediction_id "
            "HAVING count(*) > 1)",
            [files],
        ).fetchall()[0][0]
        stored = self.con.execute(
            f"SELECT count(*) FROM {plain} SEMI JOIN {target} USING (prediction_id)", [files]
        ).fetchall()[0][0]
        if not repeated and not stored:
            self.con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM {plain}", [files])
            inserted = sum(counts)
        else:
            before = self._count(target)
            if stored:
                before -= self._drop_later_copies(schema.model, segments, files)
            self.con.execute(
                f"INSERT INTO {target} BY NAME "
                "SELECT * EXCLUDE (filename, file_row_number) FROM read_parquet(?, "
                "union_by_name=true, filename=true, file_row_number=true) AS s "
                f"ANTI JOIN {target} AS t USING (prediction_id) "
                "QUALIFY row_number() OVER (PARTITION BY s.prediction_id "
                "ORDER BY parse_filename(s.filename, true), s.file_row_number) = 1",
                [files],
            )
            inserted = self._count(target) - before
        self._apply_labels(schema.model, "SELECT prediction_id FROM read_parquet(?)", [files])
        self._ledger(segments, counts)
        return IngestReport(len(segments), inserted, sum(counts) - inserted)

    def _drop_later_copies(
        self, model: str, segments: Sequence[Segment], files: Sequence[str]
    ) -> int:
        """Delete stored rows that these segments precede: the rule for a repeated id is that
        its copy in the oldest segment (by segment id, then row) wins, whatever order segments
        reach DuckDB in. Segments arrive out of order only when a producer's older segment is
        renamed into place after a newer one was ingested; then a stored copy of one of these
        ids may come from a newer segment and is replaced. Returns how many rows were deleted.
        """
        first = min(s.id for s in segments)
        ledger = self.con.execute(
            "SELECT segment FROM meta.ledger WHERE kind = 'predictions' AND model = ? "
            "AND segment <> ? ORDER BY segment",
            [model, first],
        ).fetchall()
        holding: dict[str, Path] = {}  # ledger id -> the file its rows are in (merged or not)
        for held in list_segments(self.root, "predictions", model):
            merged = compaction.is_merged(held.id)
            for part in [s for s, _ in compaction.sources(held.path)] if merged else [held.id]:
                holding[part] = held.path
        stored = [(seg, holding.get(seg)) for (seg,) in ledger]
        newer = sorted({str(p) for seg, p in stored if seg > first and p is not None})
        if not newer:
            return 0
        # A stored copy came from the oldest ingested segment holding its id; these segments'
        # copy wins where their oldest segment holding it is older still.
        oldest = (
            "SELECT prediction_id, min(parse_filename(filename, true)) AS seg "
            "FROM read_parquet(?, union_by_name=true, filename=true) GROUP BY prediction_id"
        )
        losers = (
            f"SELECT g.prediction_id FROM ({oldest}) AS g JOIN ({oldest}) AS s "
            "USING (prediction_id) WHERE g.seg < s.seg"
        )
        params: list[object] = [list(files), newer]
        older = sorted({str(p) for seg, p in stored if seg < first and p is not None})
        if older:
            losers += " EXCEPT SELECT prediction_id FROM read_parquet(?, union_by_name=true)"
            params.append(older)
        target = f"main.{q(model)}"
        before = self._count(target)
        self.con.execute(f"DELETE FROM {target} WHERE prediction_id IN ({losers})", params)
        return before - self._count(target)

    def ingest_labels(self, schema: ModelSchema, segments: Sequence[Segment]) -> IngestReport:
        """Keep the segments' labels in the history and copy the latest label of each of their
        ids into the prediction table. When the segments are newer than every label already
        stored (labels arriving in order, the usual case), the latest label of their ids is
        among their own rows, and the history is not read again."""
        files = [str(s.path) for s in segments]
        counts = self._file_rows(files)
        newer = self._newer_than_stored_labels(schema.model, segments)
        self.con.execute(f"INSERT INTO labels.{q(schema.model)} {_LABEL_ROWS}", [files])
        ids_sql = "SELECT prediction_id FROM read_parquet(?)"
        if newer:
            # their rows in the order of their seq, as a number: the files in the order of
            # their first row's seq, then the row
            stems = sorted((Path(f).stem for f in files), key=lambda stem: stem + "0" * 10)
            latest = (
                "SELECT prediction_id, label, label_timestamp, "
                "(list_position(?::VARCHAR[], parse_filename(filename, true))::BIGINT << 32) "
                "+ file_row_number AS seq "
                "FROM read_parquet(?, filename=true, file_row_number=true)"
            )
            self._apply_labels(schema.model, ids_sql, [files], labels=(latest, [stems, files]))
        else:
            self._apply_labels(schema.model, ids_sql, [files])
        self._ledger(segments, counts)
        return IngestReport(len(segments), 0, 0, sum(counts))

    def _newer_than_stored_labels(self, model: str, segments: Sequence[Segment]) -> bool:
        """Whether every label of ``segments`` sorts after every stored label of ``model``.

        A stored label's seq starts with the id of a label segment in the ledger (a merged
        segment's with its oldest source's, which the ledger holds too); these segments' labels
        start with their own ids. So the ledger's newest label segment bounds the history."""
        newest = self.con.execute(
            "SELECT max(segment) FROM meta.ledger WHERE kind = 'labels' AND model = ?", [model]
        ).fetchall()[0][0]
        return newest is None or min(s.id[:SEGMENT_ID_CHARS] for s in segments) > newest

    def ingest_reference(self, schema: ModelSchema, segments: Sequence[Segment]) -> IngestReport:
        target = f"reference.{q(schema.model)}"
        counts = self._file_rows([str(s.path) for s in segments])
        for seg in segments:  # oldest first: the latest reference of a version wins
            self.con.execute(
                f"DELETE FROM {target} WHERE model_version IN "
                f"(SELECT DISTINCT model_version FROM read_parquet(?))",
                [str(seg.path)],
            )
            self.con.execute(
                f"INSERT INTO {target} BY NAME SELECT *, ? AS segment FROM read_parquet(?)",
                [seg.id, str(seg.path)],
            )
        self._ledger(segments, counts)
        return IngestReport(len(segments), sum(counts), reference=sum(counts))

    def _apply_labels(
        self,
        model: str,
        ids_sql: str,
        params: list[object] | None = None,
        *,
        labels: tuple[str, list[object]] | None = None,
    ) -> None:
        """Copy the latest label of each of the given ids into the prediction table.

        ``labels``: a query of rows (prediction_id, label, label_timestamp, seq) and its
        parameters, whose rows hold the latest label of each of the ids (the largest seq wins);
        the label history by default. Both tables are read only between the ids' smallest and
        largest value: generated ids grow with time, so DuckDB's zone maps skip the row groups
        of other times.
        """
        params = params or []
        history = f"labels.{q(model)}"
        if labels is None and not self.con.execute(f"SELECT 1 FROM {history} LIMIT 1").fetchall():
            return
        low, high = self.con.execute(
            f"SELECT min(prediction_id), max(prediction_id) FROM ({ids_sql})", params
        ).fetchall()[0]
        if low is None:
            return
        if labels is None:
            labels = (
                f"SELECT prediction_id, label, label_timestamp, seq FROM {history} "
                f"SEMI JOIN ({ids_sql}) "
                "USING (prediction_id) WHERE prediction_id BETWEEN ? AND ?",
                [*params, low, high],
            )
        labels_sql, labels_params = labels
        self.con.execute(
            f"UPDATE main.{q(model)} AS p SET label = l.label, label_timestamp = l.label_timestamp "
            f"FROM (SELECT prediction_id, arg_max(label, seq) AS label, "
            f"arg_max(label_timestamp, seq) AS label_timestamp FROM ({labels_sql}) "
            f"GROUP BY prediction_id) AS l "
            f"WHERE p.prediction_id = l.prediction_id AND p.prediction_id BETWEEN ? AND ?",
            [*labels_params, low, high],
        )

    def _count(self, table: str) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])

    def _file_rows(self, files: Sequence[str]) -> list[int]:
        rows = self.con.execute(
            "SELECT file_name, num_rows FROM parquet_file_metadata(?)", [list(files)]
        ).fetchall()
        by_file = {r[0]: int(r[1]) for r in rows}
        return [by_file.get(f, 0) for f in files]

    def batches(self, segments: Sequence[Segment]) -> Iterable[list[Segment]]:
        """Segments in groups of about INGEST_BATCH_ROWS rows, to bound memory."""
        group: list[Segment] = []
        total = 0
        counts = self._file_rows([str(s.path) for s in segments]) if segments else []
        for seg, n in zip(segments, counts, strict=True):
            group.append(seg)
            total += n
            if total >= INGEST_BATCH_ROWS:
                yield group
                group, total = [], 0
        if group:
            yield group


def is_lock_conflict(exc: BaseException) -> bool:
    """Whether DuckDB refused to open a file because another process holds its lock."""
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def damaged_database(path: Path, exc: BaseException) -> Exception:
    """The error for a DuckDB file that cannot be opened (other than another process's lock)."""
    disk = storage_error(exc, doing="opening the DuckDB file", path=path)
    if disk is not None:
        return disk
    return StoreCorruptionError(
        f"the store's DuckDB file {path} cannot be opened ({type(exc).__name__}: "
        f"{str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ''}); it is only a "
        f"copy of the segments, which are intact: rebuild it with `diaglab refresh --rebuild "
        f"{path.parent}` (or diaglab.store.store.rebuild(path)), which never reads the old file"
    )
