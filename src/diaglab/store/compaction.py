"""Compaction: many small segments of one kind and model merged into a few large ones.

Producers flushing every second leave millions of small segments a day; every reader that lists
and opens them pays per file. :func:`compact` merges runs of small segments into one segment of
up to ``target_bytes``, without changing what any reader sees:

- **Visibility is one rename.** The merged segment is written like any other (temporary file,
  fsync, rename, audit record); its file is ``<first source id>-<new id>.parquet`` and its header
  names the segments it replaces. :func:`hide_replaced`, applied by every segment listing
  (:func:`~diaglab.store.segments.list_segments`, the Spark store's), hides a file as soon as a
  merged file naming it exists, so a reader lists either the sources or the merged file, never
  both: each row once. The sources are deleted later (``grace`` seconds after the merge, by a
  later run), so a reader that listed them just before still finds its files.
- **Exactly-once ingest.** The ingest ledger keeps the ids of the *original* segments: the header
  lists them with their row counts (:func:`sources`). A merged segment whose sources were all
  ingested is skipped; one with none ingested is ingested whole and its sources are entered in the
  ledger; one with some ingested is split back into those not yet ingested
  (:func:`split_sources`), so no row is inserted twice and none is lost.
- **The duplicate rule.** A repeated id keeps its copy in the oldest segment. Merged rows keep
  their order (source by source, row by row) and the merged file sorts where its oldest source
  did; only contiguous runs of segments older than ``min_age`` are merged, so no segment can
  appear later between two of a run's sources (a producer renames its segment within seconds
  of taking its time-ordered id).
- **The audit chain.** Each source is checked against its chained SHA-256 before it is read (a
  changed file is never merged into a new, validly chained one); the merged segment's record
  carries ``compacts``: each source's name, SHA-256 and rows. ``verify`` accepts a chained source
  whose file is gone only when a later intact record compacted exactly those bytes.
- **Crashes.** Killed before the rename: an orphan temporary file, nothing changed. After the
  rename but before the audit record: the merged file hides its sources while unchained; the next
  run (under the same stream lock) deletes it, and the sources, never deleted before their merged
  file is chained, are visible again. Between deletions: the remaining sources stay hidden.

Kinds merged: predictions and labels (spans keep their own listing, a reference's segment is
its version's identity, findings are one file each).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from diaglab.errors import InputError
from diaglab.store import audit
from diaglab.store._ids import new_segment_id
from diaglab.store.faults import fault_point
from diaglab.store.file_lock import file_lock

log = logging.getLogger("diaglab")

KINDS = ("predictions", "labels")
DEFAULT_TARGET_BYTES = 128 * 1024 * 1024
DEFAULT_MIN_AGE = 60.0
"""Seconds a segment's id must be old before it is merged (see the duplicate rule above)."""
DEFAULT_GRACE = 300.0
"""Seconds the replaced files stay on disk after their merged file is chained."""
MAX_ROWS = 2_000_000
"""Rows per merged segment at most: the merge holds its rows in memory (~1 GB at 2M rows x 50
columns), and DuckDB ingests in groups of this size anyway."""
READERS = 4
"""Sources read (and hashed) at once: small files are mostly system calls and decompression,
which release the GIL."""
MERGED_ROW_GROUP_ROWS = 131_072
"""Parquet row group of a merged segment: readers scan row groups in parallel, and 1M-row groups
(what a producer's segment gets: one per flush) made a 3M-row drift over two merged files 2.6x
slower than over the 30 files they replaced (bench/compaction.py); DuckDB's own is 122,880."""
_HEADER = b"diaglab"
_ID_LEN = 24


def is_merged(segment_id: str) -> bool:
    """Whether a segment id names a merged segment (``<first source id>-<new id>``)."""
    return len(segment_id) > _ID_LEN


def merged_id(first_source: str) -> str:
    """A new merged segment's id: it sorts where its oldest source did."""
    return f"{first_source[:_ID_LEN]}-{new_segment_id()}"


def id_millis(segment_id: str) -> int:
    """When a segment id was taken (ms since the epoch); a merged one's oldest source's."""
    return int(segment_id[:12], 16)


@dataclass(frozen=True)
class Merged:
    """What a merged segment's header says: the files it replaces, its original segments."""

    replaces: tuple[str, ...]
    sources: tuple[tuple[str, int], ...]  # (original segment id, rows), in row order


HeaderReader = Callable[[str], dict[str, Any]]
_MERGED: dict[str, Merged] = {}  # merged files are immutable: each header is read once
_MERGED_LOCK = threading.Lock()


def local_header(path: str) -> dict[str, Any]:
    """The diaglab header of a segment file on the local filesystem."""
    raw = (pq.read_schema(path).metadata or {}).get(_HEADER)
    return json.loads(raw) if raw else {}


def merged_header(path: str, read: HeaderReader = local_header) -> Merged:
    """A merged segment's header, read once per process (``read`` reads a file's header: the
    local one by default, another filesystem's for a store elsewhere)."""
    with _MERGED_LOCK:
        found = _MERGED.get(path)
    if found is None:
        header = read(path)
        found = Merged(
            tuple(header.get("replaces", ())),
            tuple((str(s), int(n)) for s, n in header.get("compacts", ())),
        )
        with _MERGED_LOCK:
            _MERGED[path] = found
    return found


def hide_replaced(
    items: Sequence[Any],
    *,
    id_of: Callable[[Any], str],
    path_of: Callable[[Any], str],
    read: HeaderReader = local_header,
) -> list[Any]:
    """``items`` (segments of one listing) without those a merged file in the listing replaces."""
    hidden: set[str] = set()
    for item in items:
        if is_merged(id_of(item)):
            try:
                hidden.update(merged_header(path_of(item), read).replaces)
            except (OSError, ValueError) as exc:  # the file went (a later merge replaced it)
                log.debug("diaglab: merged segment %s unreadable: %s", path_of(item), exc)
    if not hidden:
        return list(items)
    return [item for item in items if id_of(item) not in hidden]


def sources(path: Path | str) -> tuple[tuple[str, int], ...]:
    """The original segments (id, rows) a merged segment file holds, in row order."""
    return merged_header(str(path)).sources


def split_sources(path: Path, wanted: Iterable[str], into: Path) -> list[tuple[str, Path]]:
    """Write the rows of the ``wanted`` original segments of a merged file to ``into/<id>.parquet``
    each (for an ingest that holds the others already); returns (id, path) per file written."""
    wanted = set(wanted)
    into.mkdir(parents=True, exist_ok=True)
    table = pq.read_table(path)
    out = []
    offset = 0
    for seg_id, rows in sources(path):
        if seg_id in wanted:
            part = into / f"{seg_id}.parquet"
            pq.write_table(table.slice(offset, rows), part)
            out.append((seg_id, part))
        offset += rows
    return out


@dataclass(frozen=True)
class CompactionReport:
    """What one :func:`compact` run did.

    Attributes
    ----------
    merged
        Merged segments written.
    segments, rows, bytes_in, bytes_out
        Segments merged into them, their rows, and the bytes before and after.
    deleted
        Replaced files deleted (merged and chained more than ``grace`` seconds before).
    rolled_back
        Merged files of a crashed run (present, never chained) deleted; their sources are visible.
    skipped
        Segments left as they were, with the reason (a file that differs from its audit record).
    seconds
        Wall time of the run.
    """

    merged: int = 0
    segments: int = 0
    rows: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    deleted: int = 0
    rolled_back: int = 0
    skipped: tuple[str, ...] = field(default=())
    seconds: float = 0.0

    def __str__(self) -> str:
        text = (
            f"{self.segments:,} segment(s), {self.rows:,} rows, merged into {self.merged:,} "
            f"({self.bytes_in / 1e6:,.1f} MB -> {self.bytes_out / 1e6:,.1f} MB) in "
            f"{self.seconds:.1f} s; {self.deleted:,} replaced file(s) deleted"
        )
        if self.rolled_back:
            text += f"; {self.rolled_back} unfinished merge(s) of a crashed run rolled back"
        return text + "".join(f"\n  skipped: {s}" for s in self.skipped)


def parse_size(text: str | int) -> int:
    """Bytes from ``"128MB"``, ``"1.5GB"``, ``"64k"`` or a number."""
    if isinstance(text, int):
        value = text
    else:
        units = {
            "": 1,
            "B": 1,
            "K": 1024,
            "KB": 1024,
            "M": 1024**2,
            "MB": 1024**2,
            "G": 1024**3,
            "GB": 1024**3,
        }
        s = str(text).strip().upper()
        number = s.rstrip("KMGB")
        unit = s[len(number) :]
        try:
            value = int(float(number) * units[unit])
        except (ValueError, KeyError):
            raise InputError(
                f"invalid size {text!r}: use a number of bytes or e.g. 64KB, 128MB, 1GB"
            ) from None
    if value <= 0:
        raise InputError(f"size must be positive, got {text!r}")
    return value


def compact(
    root: str | Path,
    *,
    target_size: int | str = DEFAULT_TARGET_BYTES,
    min_age: float = DEFAULT_MIN_AGE,
    grace: float = DEFAULT_GRACE,
    kinds: Sequence[str] = KINDS,
    models: Sequence[str] | None = None,
    max_rows: int = MAX_ROWS,
) -> CompactionReport:
    """Merge small segments of each kind and model of the store at ``root`` (module docstring).

    Parameters
    ----------
    root : str or Path
        The store's directory, or the URL of a store on object storage (or its mirror): see
        :mod:`diaglab.store.remote_compaction` for how it is merged there.
    target_size : int or str
        Size a merged segment grows to (``"128MB"``); segments of half of it or more are left
        as they are.
    min_age : float
        Only segments whose ids are older than this many seconds are merged.
    grace : float
        Replaced files are deleted by the first run at least this many seconds after their merged
        file was chained (0: in the same run).
    kinds : sequence of str
        Of ``predictions`` and ``labels``.
    models : sequence of str, optional
        Every model by default.
    max_rows : int
        Rows per merged segment at most.

    Returns
    -------
    CompactionReport
    """
    from diaglab.store import object_store

    remote = (
        object_store.attach(str(root))
        if object_store.is_url(root)
        else object_store.attached(Path(root))
    )
    root = remote.mirror if remote is not None else Path(root)
    target = parse_size(target_size)
    for kind in kinds:
        if kind not in KINDS:
            raise InputError(
                f"cannot compact {kind!r} segments; compacted kinds: {', '.join(KINDS)}"
            )
    if min_age < 0 or grace < 0 or max_rows < 1:
        raise InputError("min_age and grace must be >= 0 seconds and max_rows >= 1")
    if remote is not None:
        from diaglab.store.remote_compaction import compact_remote

        return compact_remote(
            remote,
            target=target,
            min_age=min_age,
            grace=grace,
            kinds=kinds,
            models=models,
            max_rows=max_rows,
        )
    start = time.perf_counter()
    total = CompactionReport()
    for kind in kinds:
        for model in stream_models(root, kind, models):
            with file_lock(root / ".tmp" / "compact" / f"{kind}.{model}.lock"):
                done = _compact_stream(root, kind, model, target, min_age, grace, max_rows)
            total = _add(total, done)
    return _add(total, CompactionReport(seconds=time.perf_counter() - start))


def stream_models(root: Path, kind: str, models: Sequence[str] | None) -> list[str]:
    """The models whose ``kind`` segments to compact: ``models`` (checked), else every one."""
    from diaglab.store.segments import check_model_name

    if models is not None:
        return [check_model_name(m) for m in models]
    base = root / "segments" / kind
    return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []


def _add(a: CompactionReport, b: CompactionReport) -> CompactionReport:
    """Field by field: counts add up, ``skipped`` tuples join."""
    return CompactionReport(*(x + y for x, y in zip(astuple(a), astuple(b), strict=True)))


def _compact_stream(
    root: Path, kind: str, model: str, target: int, min_age: float, grace: float, max_rows: int
) -> CompactionReport:
    """One stream's run, under its lock: roll back, delete what grace allows, merge."""
    from diaglab.store.segments import list_segments

    chain = audit.chain_path(root, kind, model)
    chained = {
        str(r.get("segment")): r for r in (audit.read_chain(chain)[0] if chain.is_file() else [])
    }
    rolled_back = 0
    present = []
    for seg in list_segments(root, kind, model, include_replaced=True):
        if is_merged(seg.id) and seg.path.name not in chained:
            seg.path.unlink(missing_ok=True)  # a crashed run's: its sources are all still here
            rolled_back += 1
        else:
            present.append(seg)
    deleted = _delete_replaced(present, grace)
    present = [s for s in present if s.path.exists()]
    visible = hide_replaced(present, id_of=lambda s: s.id, path_of=lambda s: str(s.path))
    cutoff = time.time() * 1000 - min_age * 1000
    report = CompactionReport(deleted=deleted, rolled_back=rolled_back)
    for group in _plan(visible, chained, target, cutoff, max_rows):
        report = _add(report, _merge(root, kind, model, group, chained))
    if grace == 0 and report.merged:
        again = [s for s in list_segments(root, kind, model, include_replaced=True)]
        report = _add(report, CompactionReport(deleted=_delete_replaced(again, 0)))
    return report


def _file_age(seg: Any) -> float:
    return time.time() - float(seg.path.stat().st_mtime)


def _unlink(seg: Any) -> None:
    seg.path.unlink(missing_ok=True)


def _delete_replaced(
    segments: Sequence[Any],
    grace: float,
    *,
    age: Callable[[Any], float | None] = _file_age,
    delete: Callable[[Any], None] = _unlink,
) -> int:
    """Delete the files merged (and chained) more than ``grace`` seconds ago: ``age`` says how
    long ago a merged segment was stored (None: not known, keep its sources), ``delete``
    deletes a replaced one."""
    headers = {s.id: merged_header(str(s.path)) for s in segments if is_merged(s.id)}
    replaced = {r for header in headers.values() for r in header.replaces}
    by: dict[str, Any] = {}  # a replaced file -> the merged segment that shows its rows now
    for seg in segments:
        if seg.id in headers and seg.id not in replaced:
            for r in headers[seg.id].replaces:  # flattened: every file it replaces, at any depth
                by[r] = seg
    ages: dict[str, float | None] = {}
    deleted = 0
    for seg in segments:
        merged = by.get(seg.id)
        if merged is None:
            continue
        if merged.id not in ages:
            ages[merged.id] = age(merged)
        stored = ages[merged.id]
        if stored is not None and stored >= grace:
            fault_point("compaction-deleting")
            delete(seg)
            deleted += 1
    return deleted


def _rows(seg: Any, chained: dict[str, dict[str, Any]]) -> int:
    rows = chained.get(seg.path.name, {}).get("rows")
    return int(rows) if rows is not None else pq.read_metadata(seg.path).num_rows


def _plan(
    visible: Sequence[Any],
    chained: dict[str, dict[str, Any]],
    target: int,
    cutoff_ms: float,
    max_rows: int,
) -> list[list[Any]]:
    """Runs of adjacent small, old segments, each up to ``target`` bytes and ``max_rows`` rows."""
    groups: list[list[Any]] = []
    group: list[Any] = []
    size = rows = 0
    for seg in visible:
        nbytes = seg.path.stat().st_size
        if nbytes * 2 >= target or id_millis(seg.id) > cutoff_ms:
            groups.append(group)
            group, size, rows = [], 0, 0
            continue
        n = _rows(seg, chained)
        if group and (size + nbytes > target or rows + n > max_rows):
            groups.append(group)
            group, size, rows = [], 0, 0
        group.append(seg)
        size += nbytes
        rows += n
    groups.append(group)
    return [g for g in groups if len(g) >= 2]


def _read_checked(seg: Any, rec: dict[str, Any] | None) -> pa.Table | str:
    """A source's rows, read from the very bytes checked against its audit record; or why not."""
    if rec is None:
        return "is in no audit record"
    data = seg.path.read_bytes()
    if hashlib.sha256(data).hexdigest() != rec.get("sha256"):
        return "differs from its audit record"
    return pq.read_table(pa.BufferReader(data)).replace_schema_metadata(None)


def _merge(
    root: Path, kind: str, model: str, group: list[Any], chained: dict[str, dict[str, Any]]
) -> CompactionReport:
    """Merge one run into a new segment, after checking each source against its audit record."""
    from diaglab.store.segments import write_segment

    with ThreadPoolExecutor(READERS) as pool:
        loaded = list(pool.map(lambda s: _read_checked(s, chained.get(s.path.name)), group))
    tables: list[pa.Table] = []
    records = []
    for seg, got in zip(group, loaded, strict=True):
        if isinstance(got, str):
            return CompactionReport(skipped=(f"{seg.path} {got}; run diaglab verify",))
        tables.append(got)
        records.append(chained[seg.path.name])
    srcs: list[tuple[str, int]] = []
    replaces: list[str] = []
    for seg, table in zip(group, tables, strict=True):
        if is_merged(seg.id):
            header = merged_header(str(seg.path))
            srcs += header.sources
            replaces += header.replaces
        else:
            srcs.append((seg.id, table.num_rows))
        replaces.append(seg.id)
    try:
        table = pa.concat_tables(tables, promote_options="default")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        return CompactionReport(skipped=(f"{group[0].path} and {len(group) - 1} more: {exc}",))
    compacts = [
        {"segment": s.path.name, "sha256": r["sha256"], "rows": r.get("rows")}
        for s, r in zip(group, records, strict=True)
    ]
    bytes_in = sum(s.path.stat().st_size for s in group)
    out = write_segment(
        root,
        kind,
        model,
        table,
        segment_id=merged_id(group[0].id),
        meta={"compacts": [list(s) for s in srcs], "replaces": replaces},
        audit_fields={"compacts": compacts},
        row_group_rows=MERGED_ROW_GROUP_ROWS,
    )
    fault_point("compaction-merged")
    return CompactionReport(
        merged=1,
        segments=len(group),
        rows=table.num_rows,
        bytes_in=bytes_in,
        bytes_out=out.path.stat().st_size,
    )


class BackgroundCompaction:
    """Runs :func:`compact` on a store every ``every`` seconds on a daemon thread (a
    :class:`~diaglab.producers.logger.Logger`'s ``compact_every``); errors are logged, never
    raised into the producer."""

    def __init__(
        self, root: Path, *, every: float, models: Sequence[str] | None = None, **options: Any
    ) -> None:
        if not every > 0:
            raise InputError(f"compact_every must be > 0 seconds, got {every}")
        self.root, self.every, self.models, self.options = root, every, models, options
        self.runs = 0
        self.last: CompactionReport | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="diaglab-compact", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.last = compact(self.root, models=self.models, **self.options)
                self.runs += 1
            except Exception:  # the producer goes on; the next run tries again
                log.exception("diaglab: background compaction of %s failed", self.root)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
