"""A store's local mirror: bringing it up to date from the bucket, and verifying the bucket.

A mirror (see :mod:`diaglab.store.object_store`) is a local store directory that holds a checked
copy of every published segment. :func:`sync` lists the writers' records (``log/``), fetches the
segments they publish that the mirror lacks, checks each against its record's SHA-256 and places
it, merging the schema its writer had; the usual ingest then takes it exactly once.
:func:`verify` checks the bucket itself: every writer's chain and every object.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.fs as pafs

from diaglab.store import layout
from diaglab.store.audit.writer_chain import SegmentObject, parse_record_name, verify_records
from diaglab.store.file_lock import file_lock

if TYPE_CHECKING:  # object_store imports this module
    from diaglab.store.audit.verify import VerifyReport
    from diaglab.store.object_store import ObjectStore

THREADS = 8  # requests in flight: object stores answer in tens of ms, in parallel
_CHUNK = 1 << 20


def records(store: ObjectStore, start: Mapping[str, int]) -> dict[str, list[tuple[int, str]]]:
    """Per writer, the names of its records from ``start[writer]`` on, in seq order."""
    found: dict[str, list[tuple[int, str]]] = {}
    prefix = len(store.base) + len(layout.LOG) + 2
    for info in store.list_objects(layout.LOG, "listing the segments of", recursive=True):
        parsed = parse_record_name(info.path[prefix:])
        if parsed and parsed[1] >= start.get(parsed[0], 0):
            found.setdefault(parsed[0], []).append((parsed[1], info.path[len(store.base) + 1 :]))
    return {w: sorted(v) for w, v in found.items()}


def read_records(store: ObjectStore, names: list[str]) -> list[dict[str, Any] | str]:
    """The records named, in order (a string saying why, where one is not a record)."""

    def read(name: str) -> dict[str, Any] | str:
        try:
            rec = json.loads(store.get(name, "reading"))
        except ValueError as exc:
            return f"not a record ({exc})"
        return rec if isinstance(rec, dict) else "not a record (not an object)"

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(read, names))


def sync(store: ObjectStore) -> int:
    """Copy every newly published segment into the mirror; returns how many were copied.

    Segments are fetched :data:`THREADS` at a time, then placed in each writer's order. A copy
    whose bytes differ from its record's SHA-256 is not kept (``verify`` names it); a segment
    whose schema conflicts with the mirror's is set aside in its quarantine. After a failed
    request, what was placed stays placed and the rest is fetched by the next sync.
    """
    root = store.mirror
    with file_lock(root / layout.SYNC_LOCK):
        try:
            state: dict[str, int] = json.loads(layout.sync_file(root).read_text())
        except FileNotFoundError:
            state = {}
        plan: list[tuple[str, str]] = []
        for writer, names in records(store, state).items():
            expected = state.get(writer, 0)
            for seq, name in names:
                if seq != expected:
                    break  # the writer is still writing the record before this one
                plan.append((writer, name))
                expected += 1
        recs = read_records(store, [name for _, name in plan])
        with ThreadPoolExecutor(THREADS) as pool:
            fetched = list(pool.map(lambda rec: _fetch(store, rec), recs))
        copied, failed, error = 0, set(), None
        read: list[dict[str, Any]] = []
        try:
            for (writer, _), rec, got in zip(plan, recs, fetched, strict=True):
                if writer in failed or isinstance(got, Exception):
                    failed.add(writer)
                    error = error or got
                    if isinstance(got, Path):
                        got.unlink(missing_ok=True)
                    continue
                if isinstance(got, Path) and isinstance(rec, dict):
                    copied += _place_copy(root, rec, got)
                if isinstance(rec, dict):
                    read.append(rec)
                state[writer] = state.get(writer, 0) + 1
        finally:
            note_records(root, read)  # before the state that says they were read
            write_atomic(layout.sync_file(root), json.dumps(state))
    if isinstance(error, Exception):
        raise error
    return copied


_RECORD_FIELDS = ("kind", "model", "segment", "sha256", "bytes", "rows")


def note_records(root: Path, recs: Iterable[Mapping[str, Any]]) -> None:
    """Remember what records a mirror has read (a line each, the fields compaction checks a
    segment's copy against), so that compaction need not read every record again."""
    lines = "".join(
        json.dumps({k: rec.get(k) for k in _RECORD_FIELDS}, separators=(",", ":")) + "\n"
        for rec in recs
    )
    if lines:  # one write to a file opened for appending: lines of two writers never mix
        fd = os.open(layout.records_file(root), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, lines.encode())
        finally:
            os.close(fd)


def known_records(
    store: ObjectStore, kind: str, model: str, wanted: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """Per segment file name of the stream, the record that published it: from the mirror's
    notes, or, when one of ``wanted`` is missing there (a mirror older than the notes), from
    every record in the bucket, noted again."""
    stream = (kind, model)

    def noted() -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        try:
            with open(layout.records_file(store.mirror)) as fh:
                for line in fh:
                    try:
                        rec = json.loads(line)
                    except ValueError:
                        continue  # a line cut by a crash: the record is read again below
                    if (rec.get("kind"), rec.get("model")) == stream:
                        found[str(rec["segment"])] = rec
        except FileNotFoundError:
            pass
        return found

    found = noted()
    if all(name in found for name in wanted):
        return found
    every = [n for names in records(store, {}).values() for _, n in names]
    note_records(store.mirror, [r for r in read_records(store, every) if isinstance(r, dict)])
    return noted()


def _fetch(store: ObjectStore, rec: dict[str, Any] | str) -> Path | Exception | None:
    """The segment a record publishes, copied into the mirror's ``.tmp`` and checked against
    the record; None when there is nothing to copy (already here, removed or changed)."""
    if not isinstance(rec, dict):
        return None
    kind, model, file = str(rec["kind"]), str(rec["model"]), str(rec["segment"])
    if (layout.segment_dir(store.mirror, kind, model) / file).is_file():
        return None  # written from this host
    tmp = layout.tmp_dir(store.mirror) / f"sync-{file}"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    name = f"{layout.SEGMENTS}/{kind}/{model}/{file}"
    try:
        with store.fs.open_input_stream(store.key(name)) as src, open(tmp, "wb") as out:
            while chunk := src.read(_CHUNK):
                h.update(chunk)
                out.write(chunk)
    except FileNotFoundError:
        tmp.unlink(missing_ok=True)
        return None  # removed: verify names it
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        return store.error(exc, "reading the segment", name)
    if h.hexdigest() != rec.get("sha256"):
        tmp.unlink()
        return None  # changed: verify names it
    return tmp


def _place_copy(root: Path, rec: Mapping[str, Any], tmp: Path) -> int:
    from diaglab.store.quarantine import quarantine
    from diaglab.store.segments import Segment

    kind, model, file = str(rec["kind"]), str(rec["model"]), str(rec["segment"])
    reason = _merge_schema(root, tmp)
    if reason is not None:
        quarantine(root, Segment(file[:-8], kind, model, tmp), reason)
        return 0
    place_file(tmp, layout.segment_dir(root, kind, model) / file)
    return 1


def _merge_schema(root: Path, path: Path) -> str | None:
    """Extend the mirror's schema by the one the segment's writer had; the conflict, if any."""
    from diaglab.errors import SchemaError
    from diaglab.store.schema import SchemaRegistry
    from diaglab.store.segments import segment_header

    data = segment_header(path).get("schema")
    if not isinstance(data, dict):
        return None
    registry = SchemaRegistry(root)
    try:
        with registry.locked(str(data["model"])) as schema:
            merged = merged_schemas(schema, data)
            if merged != schema:
                registry.write(merged)
    except SchemaError as exc:
        return f"SchemaError: {exc}"
    return None


def merged_schemas(schema: Any, data: Mapping[str, Any]) -> Any:
    """``schema`` extended by another host's schema of the same model (as a writer extends it by
    a batch); raises SchemaError where the two disagree."""
    from diaglab.store.schema import ModelSchema

    incoming = ModelSchema.from_json(data)
    out = schema
    for version, names in incoming.versions.items():
        kinds = {n: incoming.features[n].kind for n in names if n in incoming.features}
        out = out.merged(kinds, version=version, task=incoming.task, classes=incoming.classes)
    extra = [c for c in incoming.sensitive if c not in out.sensitive]
    if extra:
        out = dataclasses.replace(out, sensitive=(*out.sensitive, *extra))
    return out


def verify(store: ObjectStore, *, anchors: Iterable[str] = ()) -> VerifyReport:
    """Check every writer's chain and every segment against it (see :func:`verify_records`);
    each of ``anchors`` (record hashes kept from an earlier ``verify``) must still be the hash
    of a record."""
    from diaglab.store.audit.key import find_key, recorded_heads
    from diaglab.store.audit.verify import Problem, VerifyReport

    key = find_key(store.mirror)
    chains: dict[str, list[dict[str, Any] | str]] = {}
    for writer, names in records(store, {}).items():
        # a gap in the seqs is a removed record: verify_records sees it as out of order
        chains[writer] = read_records(store, [n for _, n in names])
    segments: dict[str, SegmentObject] = {}
    cut = len(store.base) + len(layout.SEGMENTS) + 2
    for info in store.list_objects(layout.SEGMENTS, "listing the segments of", recursive=True):
        if info.type == pafs.FileType.File:
            segments[info.path[cut:]] = SegmentObject(info.size, _hasher(store, info.path))
    problems, heads, checked, unpublished = verify_records(
        chains,
        segments,
        key=key,
        hash_all=_in_parallel,
        recorded=recorded_heads(key) if key is not None else {},
    )
    hashes = {r.get("hash") for recs in chains.values() for r in recs if isinstance(r, dict)}
    for anchor in anchors:
        if anchor not in hashes:
            problems.append(Problem("removed", "*", anchor, "no record has this hash any more"))
    return VerifyReport(
        streams=len(chains),
        segments=checked,
        problems=tuple(problems),
        heads=heads,
        keyed=key is not None,
        unpublished=tuple(f"segments/{n}" for n in unpublished),
    )


def _hasher(store: ObjectStore, path: str) -> Callable[[], str]:
    def digest() -> str:
        h = hashlib.sha256()
        with store.fs.open_input_stream(path) as src:
            while chunk := src.read(_CHUNK):
                h.update(chunk)
        return h.hexdigest()

    return digest


def _in_parallel(jobs: Iterable[Callable[[], str]]) -> list[str]:
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda job: job(), jobs))


def place_file(local: Path, final: Path) -> None:
    """Move ``local`` to ``final`` (a rename, atomic), making ``final``'s folder first."""
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(local, final)


def write_atomic(path: Path, data: str | bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` by ``data`` so that a reader sees the old bytes or the new, never part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)
    os.replace(tmp, path)
