"""Ingesting segments into the DuckDB copy: refresh, and rebuild into a fresh file.

A refresh ingests every segment not yet in the ledger, kind by kind (predictions, labels,
reference, spans), in groups of about ``INGEST_BATCH_ROWS`` rows, one transaction per group with
the group's ledger rows, so a segment is ingested exactly once whatever crashes. A segment that
cannot be read is moved aside (:mod:`diaglab.store.quarantine`) instead of blocking the others:
its footer is checked first, and a group that still fails is ingested again one segment at a time
to find the one at fault. A full disk raises a StorageError and leaves the group for next time.

A rebuild never opens the old DuckDB file: everything is ingested into ``diaglab.duckdb.rebuild``,
which is then renamed over the old file (see :func:`swap_in` for the order of the steps).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections import defaultdict
from pathlib import Path

import duckdb

from diaglab.errors import ReadOnlyStoreError
from diaglab.progress import progress_bar
from diaglab.store import compaction
from diaglab.store import spans as span_store
from diaglab.store.engine import DB_FILE, Engine, IngestReport
from diaglab.store.faults import fault_point
from diaglab.store.quarantine import quarantine, readable
from diaglab.store.schema import ModelSchema, SchemaRegistry
from diaglab.store.segments import Segment, existing_store, list_segments
from diaglab.store.storage import storage_error

REBUILD_FILE = f"{DB_FILE}.rebuild"
_ORDER = {"predictions": 0, "labels": 1, "reference": 2, "spans": 3}
# Errors that say nothing about the segment being ingested: raised, never a reason to set it aside.
_TRANSIENT = (duckdb.OutOfMemoryException, duckdb.InterruptException)


def ingest_pending(
    root: Path, registry: SchemaRegistry, engine: Engine, *, progress: bool | None = None
) -> IngestReport:
    """Ingest every segment of ``root`` that ``engine``'s ledger does not hold yet.

    ``progress``: None shows a bar only for large ingests; True/False force it.
    """
    done = engine.ingested()
    pending: dict[tuple[str, str], list[Segment]] = defaultdict(list)
    split = root / ".tmp" / "split" / f"{os.getpid()}-{id(engine)}"
    for seg in list_segments(root):
        # findings are read from their segment files, never ingested into DuckDB
        if seg.kind == "findings":
            continue
        if compaction.is_merged(seg.id):
            parts = [part for part, _ in compaction.sources(seg.path)]
            missing = [part for part in parts if part not in done]
            if len(missing) < len(parts):  # partly ingested before it was merged
                for part, path in compaction.split_sources(seg.path, missing, split):
                    pending[(seg.kind, seg.model)].append(Segment(part, seg.kind, seg.model, path))
                continue
        elif seg.id in done:
            continue
        pending[(seg.kind, seg.model)].append(seg)
    try:
        return _ingest(root, registry, engine, pending, progress)
    finally:
        shutil.rmtree(split, ignore_errors=True)


def _ingest(
    root: Path,
    registry: SchemaRegistry,
    engine: Engine,
    pending: dict[tuple[str, str], list[Segment]],
    progress: bool | None,
) -> IngestReport:
    report = IngestReport()
    todo = sorted(pending.items(), key=lambda kv: _ORDER[kv[0][0]])
    total = sum(len(v) for v in pending.values())
    show = progress if progress is not None else total > 200
    with progress_bar(
        total=total, desc="ingesting segments", unit="segment", disable=not show
    ) as bar:
        for (kind, model), found in todo:
            segs = set_aside_damaged(root, found)
            bar.update(len(found) - len(segs))
            spans = kind == span_store.KIND
            schema = None if spans else registry.get(model)
            if schema is None and not spans:
                continue
            for group in engine.batches(segs):
                report = report + ingest_group(root, engine, schema, kind, group)
                bar.update(len(group))
    for m in registry.models():
        engine.ensure_model_tables(registry.get(m) or ModelSchema(m))
    return report


def set_aside_damaged(root: Path, segments: list[Segment]) -> list[Segment]:
    """The segments whose files read back; the others are moved to the quarantine."""
    good = []
    for seg in segments:
        reason = readable(seg)
        if reason is None:
            good.append(seg)
        else:
            quarantine(root, seg, reason)
    return [s for s in good if s.path.is_file()]


def ingest_group(
    root: Path, engine: Engine, schema: ModelSchema | None, kind: str, group: list[Segment]
) -> IngestReport:
    """Ingest segments of one kind and model (``schema`` None for spans) in one transaction."""
    try:
        engine.con.execute("BEGIN TRANSACTION")
        if schema is None:
            span_store.ensure_tables(engine)
            report = span_store.ingest(engine, group)
        else:
            engine.ensure_model_tables(schema)
            ingest = {
                "predictions": engine.ingest_predictions,
                "labels": engine.ingest_labels,
                "reference": engine.ingest_reference,
            }[kind]
            report = ingest(schema, group)
        fault_point("ingest-inserted")
        engine.con.execute("COMMIT")
        return report
    except Exception as exc:
        engine.recover()
        disk = storage_error(exc, doing="ingesting segments into", path=engine.db_path)
        if disk is exc:
            raise
        if disk is not None:
            raise disk from exc
        if not isinstance(exc, duckdb.Error) or isinstance(exc, _TRANSIENT):
            raise
        if len(group) == 1:
            quarantine(root, group[0], f"{type(exc).__name__}: {str(exc)[:300]}")
            return IngestReport()
    except BaseException:
        engine.recover()
        raise
    report = IngestReport()
    for seg in group:
        report = report + ingest_group(root, engine, schema, kind, [seg])
    return report


def build_fresh(root: Path, registry: SchemaRegistry) -> IngestReport:
    """Ingest every segment into a new ``diaglab.duckdb.rebuild`` (replacing any left by a
    crashed rebuild); the old DuckDB file is never read."""
    for suffix in ("", ".wal"):
        (root / f"{REBUILD_FILE}{suffix}").unlink(missing_ok=True)
    engine = Engine(root, db_file=REBUILD_FILE)
    try:
        report = ingest_pending(root, registry, engine)
        fault_point("rebuild-built")
    finally:
        engine.close()  # a clean close checkpoints: the new file needs no WAL
    return report


def swap_in(root: Path) -> None:
    """Replace the store's DuckDB file by the rebuilt one, atomically. The old file's WAL goes
    first: replayed into the new file it would corrupt it; a crash between the two steps leaves
    the old file without its WAL, which still opens and is only behind the segments."""
    (root / f"{DB_FILE}.wal").unlink(missing_ok=True)
    os.replace(root / REBUILD_FILE, root / DB_FILE)
    fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def rebuild(path: str | Path) -> IngestReport:
    """Rebuild the DuckDB file of the store at ``path`` from its segments without opening the
    old file, so a damaged one is replaced too; refuses while another process holds it.

    Returns what was ingested. ``diaglab refresh --rebuild PATH`` calls this.
    """
    root = existing_store(path)
    db = root / DB_FILE
    if db.exists():
        # DuckDB's writer holds a POSIX lock on its file: test it without letting DuckDB read
        # a file that may be damaged.
        with open(db, "rb+") as fh:
            try:
                fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                raise ReadOnlyStoreError(
                    f"cannot rebuild {db}: another process holds it; close it (or call "
                    "store.rebuild() there)"
                ) from exc
            fcntl.lockf(fh, fcntl.LOCK_UN)
    report = build_fresh(root, SchemaRegistry(root))
    swap_in(root)
    return report
