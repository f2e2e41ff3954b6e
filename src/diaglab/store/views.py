"""Read-only mode: views over the segment files with the same names as the writer's tables.

A process that cannot open the DuckDB file for writing gets an in-memory database whose
``main``, ``labels`` and ``reference`` tables are these views: slower, read-only, but correct.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from diaglab.errors import StorageError
from diaglab.store.lru import LRUCache
from diaglab.store.schema import ModelSchema
from diaglab.store.segments import list_segments
from diaglab.store.tables import prediction_columns, q, reference_columns


class ReadOnlyViews:
    """The :class:`~diaglab.store.engine.Engine`'s read-only views (a mixin of it)."""

    con: duckdb.DuckDBPyConnection
    root: Path
    _checked_files: set[str]
    _unique_ids: LRUCache

    def create_views(self, schema: ModelSchema) -> None:
        """In read-only mode: views with the same names as the writer's tables."""
        m = schema.model
        pred_cols = prediction_columns(schema)
        ref_cols = reference_columns(schema)
        lab_files = self._readable_files("labels", m)
        pred_files = self._readable_files("predictions", m)
        ref_files = self._readable_files("reference", m)
        vt = pred_cols["label"]
        if lab_files:
            labels = (
                "SELECT prediction_id, label, label_timestamp, parse_filename(filename, true) || "
                "lpad(printf('%x', file_row_number), 10, '0') AS seq FROM read_parquet("
                f"{_files_sql(lab_files)}, filename=true, file_row_number=true)"
            )
        else:
            labels = (
                f"SELECT NULL::VARCHAR AS prediction_id, NULL::{vt} AS label, "
                "NULL::TIMESTAMPTZ AS label_timestamp, NULL::VARCHAR AS seq LIMIT 0"
            )
        self.con.execute(f"CREATE OR REPLACE VIEW labels.{q(m)} AS {labels}")
        # resource columns are in no segment of a model logged without a probe
        have = (
            {
                row[0]
                for row in self.con.execute(
                    "DESCRIBE SELECT * FROM read_parquet("
                    f"{_files_sql(pred_files)}, union_by_name=true)"
                ).fetchall()
            }
            if pred_files
            else set()
        )
        select = ", ".join(
            f"CAST(l.{q(c)} AS {t}) AS {q(c)}"
            if c in ("label", "label_timestamp")
            else (f"CAST(p.{q(c)} AS {t}) AS {q(c)}" if c in have else f"NULL::{t} AS {q(c)}")
            for c, t in pred_cols.items()
        )
        if pred_files:
            # De-duplicating ids (a repeated one keeps its first row, as at ingest) and taking
            # each id's latest label cost a window and a GROUP BY over every id in every query
            # (~3.4 s and ~3 s at 10M rows); one check per set of files spares them when no id
            # repeats, as it rarely does.
            read = f"read_parquet({_files_sql(pred_files)}, union_by_name=true"
            if self._ids_unique(pred_files):
                rows = f"(SELECT * FROM {read})) AS p"
            else:
                rows = (
                    f"(SELECT * FROM {read}, filename=true, file_row_number=true) QUALIFY "
                    "row_number() OVER (PARTITION BY prediction_id ORDER BY filename, "
                    "file_row_number) = 1) AS p"
                )
            if not lab_files or self._ids_unique(lab_files):
                latest = f"SELECT prediction_id, label, label_timestamp FROM labels.{q(m)}"
            else:
                latest = (
                    "SELECT prediction_id, arg_max(label, seq) AS label, "
                    f"arg_max(label_timestamp, seq) AS label_timestamp FROM labels.{q(m)} "
                    "GROUP BY prediction_id"
                )
            preds = f"SELECT {select} FROM {rows} LEFT JOIN ({latest}) AS l USING (prediction_id)"
        else:
            preds = (
                f"SELECT {select} FROM (SELECT NULL AS label, NULL AS label_timestamp) l LIMIT 0"
            )
        self.con.execute(f"CREATE OR REPLACE VIEW main.{q(m)} AS {preds}")
        ref_select = ", ".join(
            f"CAST({q(c)} AS {t}) AS {q(c)}" if ref_files else f"NULL::{t} AS {q(c)}"
            for c, t in ref_cols.items()
        )
        if ref_files:
            refs = (
                f"SELECT {ref_select} FROM (SELECT *, parse_filename(filename, true) AS segment "
                f"FROM read_parquet({_files_sql(ref_files)}, union_by_name=true, filename=true) "
                "QUALIFY segment = max(segment) OVER (PARTITION BY model_version))"
            )
        else:
            refs = f"SELECT {ref_select} LIMIT 0"
        self.con.execute(f"CREATE OR REPLACE VIEW reference.{q(m)} AS {refs}")

    def _readable_files(self, kind: str, model: str) -> list[Path]:
        """The model's segment files of one kind, oldest first, with damaged ones moved aside
        (each file's footer is read once per process)."""
        from diaglab.store.quarantine import quarantine, readable

        files = []
        for seg in list_segments(self.root, kind, model):
            key = str(seg.path)
            if key not in self._checked_files:
                reason = readable(seg)
                if reason is not None:
                    quarantine(self.root, seg, reason)
                    continue
                self._checked_files.add(key)
            files.append(seg.path)
        return files

    def _ids_unique(self, files: Sequence[Path]) -> bool:
        """Whether no prediction id occurs twice in these segment files; one scan per set of
        files (a refresh that sees new files checks again). When the distinct ids do not fit in
        the engine's memory (~100M ids), they are checked in hash buckets, one scan each."""

        def unique_in(buckets: int, bucket: int) -> bool:
            where = f" WHERE hash(prediction_id) % {buckets} = {bucket}" if buckets > 1 else ""
            got = self.con.execute(
                "SELECT count(*) = count(DISTINCT prediction_id) "
                f"FROM read_parquet({_files_sql(files)}, union_by_name=true){where}"
            ).fetchall()
            return bool(got[0][0])

        def check() -> bool:
            buckets = 1
            while True:
                try:
                    return all(unique_in(buckets, b) for b in range(buckets))
                except duckdb.OutOfMemoryException as e:
                    if buckets >= _MAX_ID_BUCKETS:
                        raise StorageError(
                            f"the prediction ids of {len(files)} segment files do not fit in "
                            f"the engine's memory even in {buckets} parts ({e}); open the store "
                            "on a machine with more memory"
                        ) from None
                    buckets *= 8

        return bool(self._unique_ids.get(tuple(str(f) for f in files), check))


_MAX_ID_BUCKETS = 512


def _files_sql(files: Sequence[Path]) -> str:
    # Segment paths are built by diaglab from checked model names and hex ids; quoting is
    # belt and braces.
    return "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"
