"""Compaction of a store on object storage (``diaglab compact s3://…``, ``store.compact()``,
``Logger(compact_every=)``): the steps of :mod:`diaglab.store.compaction`, with no rename and no
POSIX lock.

- **Visibility is the record.** A merged segment is written like any segment of the store: the
  object under its final unique name first, then the record that publishes it in this process's
  chain (:mod:`.audit.writer_chain`), with ``compacts`` naming each source's file, SHA-256 and
  rows. Readers list records, never objects, so a merged object whose compaction died before its
  record is never read; once the record is stored, every mirror that syncs it hides the sources
  (:func:`~diaglab.store.compaction.hide_replaced`) and its ingest skips the rows its ledger holds.
  Each row once, in the DuckDB copy and in a reader's views.
- **What is merged is what was published.** The compactor's mirror is synced first; each source's
  copy there is checked against the SHA-256 of the record that published it (the mirror's notes
  of records, :func:`~diaglab.store.mirror.known_records`) before it is read.
- **One compaction per stream: a lease.** Before touching a stream, a compaction puts
  ``compaction/<kind>/<model>/<id>.json`` and lists that folder: it goes on only if its lease is
  the only live one there. Of two compactions racing, the later to finish its put sees the
  other's lease (object stores list what was stored before: S3 is strongly consistent), so at
  most one goes on, and sometimes neither (the next run tries again). A lease is live for
  :data:`LEASE_TTL` seconds after its last renewal (before each merge), or until its process is
  known dead (same host, pid gone). A compaction stalled past the TTL stops at its next merge.
- **Sources are deleted late.** ``grace`` seconds after the merged object was stored (its
  ``LastModified``), a later run deletes the sources from the bucket and from its own mirror;
  ``verify`` accepts a deleted source whose bytes a ``compacts`` entry vouches for. Other
  mirrors keep their copies, hidden.
- **Crashes.** Killed before the record: an unpublished merged object, deleted by the next run
  (under the lease, no one else writes merged objects of the stream). After the record: the
  merge is done; the next run deletes its sources after ``grace``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow.fs as pafs

from diaglab.errors import ReadOnlyStoreError, StorageError
from diaglab.store import compaction as local
from diaglab.store import layout
from diaglab.store.mirror import known_records
from diaglab.store.object_store import ObjectStore
from diaglab.store.segments import Segment, list_segments

LEASE_TTL = 600.0
"""Seconds a compaction's lease stays live after its last renewal."""


@dataclass
class Lease:
    """This process's lease on one stream (see the module's text)."""

    store: ObjectStore
    name: str
    ttl: float
    renewed: float

    def renew(self) -> None:
        """Store the lease again (a new ``LastModified``); raises if it may have lapsed."""
        if time.monotonic() - self.renewed >= self.ttl:
            raise StorageError(
                f"the compaction lease {self.store.where(self.name)} was not renewed for "
                f"{self.ttl:g} s (a stalled process); this run stops before merging more"
            )
        self.renewed = time.monotonic()
        self.store.put(self.name, _about(), "renewing the compaction lease in")

    def release(self) -> None:
        with suppress(StorageError, ReadOnlyStoreError):
            self.store.delete(self.name, "releasing the compaction lease in")


def _about() -> bytes:
    return json.dumps(
        {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    ).encode()


def acquire(store: ObjectStore, kind: str, model: str, *, ttl: float = LEASE_TTL) -> Lease | str:
    """This process's lease on the stream, or why not (another compaction holds one)."""
    name = layout.lease_key(kind, model, secrets.token_hex(8))
    store.put(name, _about(), "taking the compaction lease in")
    held = time.monotonic()
    now = time.time()
    others = []
    cut = len(store.base) + 1
    for info in store.list_objects(
        layout.lease_key(kind, model), "listing the compaction leases of", recursive=False
    ):
        other = info.path[cut:]
        if other == name or info.type != pafs.FileType.File:
            continue
        if (info.mtime is not None and now - info.mtime.timestamp() >= ttl) or _dead(store, other):
            with suppress(StorageError, ReadOnlyStoreError):
                store.delete(other, "deleting a lapsed compaction lease in")
            continue
        others.append(other)
    if others:
        store.delete(name, "releasing the compaction lease in")
        return (
            f"{kind}/{model}: another compaction holds {store.where(others[0])} (live until "
            f"{ttl:g} s after its last renewal); run again later"
        )
    return Lease(store, name, ttl, held)


def _dead(store: ObjectStore, name: str) -> bool:
    """Whether the lease ``name`` was taken by a process of this host that has exited."""
    try:
        about = json.loads(store.get(name, "reading a compaction lease in"))
        if about.get("host") != socket.gethostname():
            return False
        os.kill(int(about["pid"]), 0)
    except ProcessLookupError:
        return True
    except (StorageError, ValueError, KeyError, TypeError, OSError):
        return False  # gone, unreadable or not ours to judge: its age decides
    return False


def compact_remote(
    store: ObjectStore,
    *,
    target: int,
    min_age: float,
    grace: float,
    kinds: Sequence[str],
    models: Sequence[str] | None,
    max_rows: int,
) -> local.CompactionReport:
    """:func:`diaglab.store.compaction.compact` for a store on object storage (module text)."""
    if store.read_only:
        raise ReadOnlyStoreError(
            f"{store.url} was opened read_only=True: open it without read_only to compact it"
        )
    start = time.perf_counter()
    store.sync()
    total = local.CompactionReport()
    for kind in kinds:
        for model in local.stream_models(store.mirror, kind, models):
            lease = acquire(store, kind, model)
            if isinstance(lease, str):
                total = local._add(total, local.CompactionReport(skipped=(lease,)))
                continue
            try:
                done = _compact_stream(store, lease, kind, model, target, min_age, grace, max_rows)
            finally:
                lease.release()
            total = local._add(total, done)
    return local._add(total, local.CompactionReport(seconds=time.perf_counter() - start))


def _compact_stream(
    store: ObjectStore,
    lease: Lease,
    kind: str,
    model: str,
    target: int,
    min_age: float,
    grace: float,
    max_rows: int,
) -> local.CompactionReport:
    """One stream's run, under its lease: roll back, delete what grace allows, merge."""
    root = store.mirror
    store.sync()  # under the lease: every merge a previous holder published is known now
    folder = f"{layout.SEGMENTS}/{kind}/{model}"
    present = list(list_segments(root, kind, model, include_replaced=True))
    objects = _objects(store, folder)
    chained = known_records(store, kind, model, [s.path.name for s in present])
    rolled_back = 0
    for name in objects:
        if local.is_merged(name[: -len(".parquet")]) and name not in chained:
            store.delete(f"{folder}/{name}", "rolling back an unpublished merged segment in")
            rolled_back += 1
    present = [s for s in present if s.path.name in chained]

    def delete(seg: Segment) -> None:
        store.delete(f"{folder}/{seg.path.name}", "deleting a merged source in")
        seg.path.unlink(missing_ok=True)

    deleted = local._delete_replaced(present, grace, age=_age_in(objects), delete=delete)
    present = [s for s in present if s.path.exists()]
    visible = local.hide_replaced(present, id_of=lambda s: s.id, path_of=lambda s: str(s.path))
    cutoff = time.time() * 1000 - min_age * 1000
    report = local.CompactionReport(deleted=deleted, rolled_back=rolled_back)
    for group in local._plan(visible, chained, target, cutoff, max_rows):
        lease.renew()
        report = local._add(report, local._merge(root, kind, model, group, chained))
    if grace == 0 and report.merged:
        chained = known_records(store, kind, model, ())
        again = [
            s
            for s in list_segments(root, kind, model, include_replaced=True)
            if s.path.name in chained
        ]
        gone = local._delete_replaced(again, 0, age=_age_in(_objects(store, folder)), delete=delete)
        report = local._add(report, local.CompactionReport(deleted=gone))
    return report


def _objects(store: ObjectStore, folder: str) -> dict[str, pafs.FileInfo]:
    """The segment objects in ``folder`` of the bucket, by file name."""
    found = store.list_objects(folder, "listing the segments of", recursive=False)
    return {i.base_name: i for i in found if i.type == pafs.FileType.File}


def _age_in(objects: dict[str, pafs.FileInfo]) -> Any:
    """Seconds since a merged segment's object was stored (None: not in the bucket); where the
    filesystem tells no time, since its copy came into this mirror (later, so never too soon)."""

    def age(seg: Segment) -> float | None:
        info = objects.get(seg.path.name)
        if info is None:
            return None
        stored = info.mtime.timestamp() if info.mtime is not None else seg.path.stat().st_mtime
        return time.time() - stored

    return age
