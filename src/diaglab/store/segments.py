"""Segment files: the store's append-only source of truth.

A segment is one Parquet file holding rows of one kind (predictions, labels, reference, ...) for one
model. Writers never modify a file: each flush writes ``.tmp/<id>.parquet``, fsyncs it and renames
to ``segments/<kind>/<model>/<id>.parquet``. A crash leaves at most an orphan temporary file that no
reader lists, so readers only ever see whole segments.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from diaglab.errors import InputError
from diaglab.store import audit, layout, object_store
from diaglab.store._ids import new_segment_id
from diaglab.store.compaction import hide_replaced
from diaglab.store.faults import fault_point
from diaglab.store.schema import ROLE_TYPES, SchemaRegistry
from diaglab.store.storage import storage_error

KINDS = ("predictions", "labels", "reference", "spans", "findings")
FORMAT_VERSION = 1
_META_KEY = b"diaglab"
_SEGMENT_FILE = re.compile(r"^[0-9a-f]{24}(-[0-9a-f]{24})?\.parquet$")  # -: merged (compaction)
# Kinds of wide segments (a column per feature), written with two savings:
# - min/max statistics only for the role columns (ids, timestamps, versions, outputs), which
#   readers prune row groups by; computing them for every feature column cost ~15% of the write,
#   and feature values rarely sort by row group;
# - no dictionary for a float column whose first rows are mostly distinct values: Parquet would
#   hash ~131k of them per column before giving up on its 1 MB dictionary page (twice the CPU of
#   the whole write, for a file no smaller);
# - no dictionary at all in a small segment (a producer's flush): measured on the service
#   benchmark's segments, 300 rows 1.34 -> 0.96 ms and 15.5 -> 13.7 kB, 8,000 rows 4.2 -> 1.9 ms
#   and 52 -> 35 kB (zstd compresses the repeats a dictionary would have held).
FEATURE_KINDS = ("predictions", "reference")
PLAIN_SEGMENT_ROWS = 65_536
_DICTIONARY_SAMPLE = 65_536
# Rows per Parquet row group: a segment of up to ~1M rows is one row group (each row group
# rebuilds every column's dictionary; 1M-row groups wrote 20% faster and 5% smaller than 256k).
ROW_GROUP_ROWS = 1 << 20


def check_model_name(model: object) -> str:
    """Return ``model`` if it is a valid model name; names become directory and table names."""
    return layout.check_file_name("model name", model)


def check_version(version: object) -> str:
    """Return ``version`` if it is a valid model version (it becomes a directory name too)."""
    if not isinstance(version, str):
        raise InputError(
            f"model_version must be text such as 'v1' or '1', not {type(version).__name__} "
            f"{version!r}"
        )
    return layout.check_file_name("model_version", version)


def existing_store(path: str | Path) -> Path:
    """``path`` resolved, if it is a diaglab store; an InputError naming it otherwise (for
    commands that must not create a store by a typing mistake)."""
    root = Path(path).expanduser().resolve()
    if not root.is_dir():
        raise InputError(f"no store at {root}: the directory does not exist")
    if not layout.is_store(root):
        raise InputError(
            f"{root} is not a diaglab store (no segments/, models/ or audit/ in it); check the path"
        )
    return root


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment file on disk."""

    id: str
    kind: str
    model: str
    path: Path


segment_dir = layout.segment_dir


def write_segment(
    root: Path,
    kind: str,
    model: str,
    table: pa.Table,
    *,
    segment_id: str | None = None,
    meta: Mapping[str, object] | None = None,
    compression: str = "zstd",
    column_encoding: Mapping[str, str] | None = None,
    audit_fields: Mapping[str, object] | None = None,
    row_group_rows: int = ROW_GROUP_ROWS,
) -> Segment:
    """Write ``table`` as a new segment atomically and return it.

    The file is complete and fsynced before it appears under its final name; the directory is
    fsynced after the rename so the name survives a power loss. ``audit_fields`` join the
    segment's audit record (a merged segment's ``compacts``); ``row_group_rows`` bounds its
    Parquet row groups.
    """
    if kind not in KINDS:
        raise InputError(f"unknown segment kind {kind!r}; known: {', '.join(KINDS)}")
    check_model_name(model)
    seg_id = segment_id or new_segment_id()
    header = {"format": FORMAT_VERSION, "kind": kind, "model": model, "segment": seg_id}
    header.update(meta or {})
    remote = object_store.attached(root)
    if remote is not None and kind not in ("spans", "findings"):
        # Hosts share no schema file: each segment carries its writer's schema of the model,
        # which a mirror merges into its own when it reads the segment.
        known = SchemaRegistry(root).get(model)
        if known is not None:
            header["schema"] = known.to_json()
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[_META_KEY] = json.dumps(header, sort_keys=True).encode()
    table = table.replace_schema_metadata(schema_meta)

    tmp_dir = layout.tmp_dir(root)
    final_dir = segment_dir(root, kind, model)
    tmp = tmp_dir / f"{seg_id}.parquet"
    final = final_dir / f"{seg_id}.parquet"
    try:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        final_dir.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            pq.write_table(
                table,
                fh,
                compression=compression,
                compression_level=1 if compression == "zstd" else None,
                row_group_size=row_group_rows,
                use_dictionary=_dictionary_columns(table, kind, column_encoding),
                # Per-column Parquet encodings (e.g. delta for sorted timestamps).
                column_encoding=dict(column_encoding) if column_encoding else None,
                write_statistics=[c for c in table.column_names if c in ROLE_TYPES]
                if kind in FEATURE_KINDS
                else True,
            )
            fh.flush()
            os.fsync(fh.fileno())
        fault_point("segment-written")
        if remote is not None:
            remote.publish(kind, model, seg_id, tmp, final, rows=table.num_rows, extra=audit_fields)
            return Segment(seg_id, kind, model, final)
        os.replace(tmp, final)
        _fsync_dir(final_dir)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        _raise_storage(exc, doing=f"writing a {kind} segment of {table.num_rows} rows to", path=tmp)
        raise
    try:
        fault_point("segment-renamed")
        audit.append(
            root, kind, model, final, rows=table.num_rows, extra=audit_fields
        )  # the stream's hash chain
    except BaseException as exc:
        # Unchained, the segment would be stored without its audit record: take it back so
        # that a call which raises stores nothing (a reader that listed it in this instant
        # may still ingest it; docs/reliability.md names this window).
        with contextlib.suppress(OSError):
            final.unlink(missing_ok=True)
            _fsync_dir(final_dir)
        _raise_storage(
            exc, doing="chaining the segment in", path=audit.chain_path(root, kind, model)
        )
        raise
    return Segment(seg_id, kind, model, final)


def _raise_storage(exc: BaseException, *, doing: str, path: Path) -> None:
    err = storage_error(exc, doing=doing, path=path) if isinstance(exc, Exception) else None
    if err is exc:
        raise exc
    if err is not None:
        raise err from exc


def _dictionary_columns(
    table: pa.Table, kind: str, column_encoding: Mapping[str, str] | None
) -> list[str] | bool:
    """The columns to dictionary-encode: none in a small feature segment; else not those with
    their own encoding (Parquet does not combine the two), nor, in feature segments, float
    columns of mostly distinct values."""
    if kind in FEATURE_KINDS and table.num_rows <= PLAIN_SEGMENT_ROWS:
        return False
    skip = set(column_encoding or ())
    if kind in FEATURE_KINDS:
        skip.update(c for c in table.column_names if not _dictionary_pays(table.column(c)))
    return [c for c in table.column_names if c not in skip] if skip else True


def _dictionary_pays(column: pa.ChunkedArray) -> bool:
    """False for a float column whose first rows are more than half distinct values (in a
    producer's small segment too: there the dictionary triples the encoding's CPU time)."""
    if not pa.types.is_floating(column.type):
        return True
    sample = column.slice(0, _DICTIONARY_SAMPLE)
    valid = len(sample) - sample.null_count
    if valid == 0:
        return True
    distinct = pc.count_distinct(sample, mode="only_valid").as_py()
    return bool(distinct * 2 <= valid)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def list_segments(
    root: Path,
    kind: str | None = None,
    model: str | None = None,
    *,
    include_replaced: bool = False,
) -> Iterator[Segment]:
    """Every complete segment under ``root``, optionally of one kind and model, oldest first;
    without those a merged segment replaces (:mod:`diaglab.store.compaction`) unless
    ``include_replaced``."""
    base = root / layout.SEGMENTS
    kinds = [kind] if kind else [k for k in KINDS if (base / k).is_dir()]
    found: list[Segment] = []
    for k in kinds:
        kdir = base / k
        if not kdir.is_dir():
            continue
        models = [model] if model else sorted(p.name for p in kdir.iterdir() if p.is_dir())
        for m in models:
            mdir = kdir / m
            if not mdir.is_dir():
                continue
            with os.scandir(mdir) as entries:
                for e in entries:
                    if _SEGMENT_FILE.match(e.name):
                        found.append(Segment(e.name[: -len(".parquet")], k, m, Path(e.path)))
    found.sort(key=lambda s: s.id)
    if not include_replaced:
        found = hide_replaced(found, id_of=lambda s: s.id, path_of=lambda s: str(s.path))
    return iter(found)


def segment_header(path: Path) -> dict[str, object]:
    """The diaglab header stored in a segment's Parquet metadata."""
    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(_META_KEY)
    return json.loads(raw) if raw else {}
