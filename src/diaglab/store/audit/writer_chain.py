"""Per-writer hash chains: the audit trail of a store on object storage, without any lock.

Object storage has no append and no lock, so each writer process keeps its own chain: its
``seq``-th published segment gets the record ``log/<writer>/<seq>.json`` (see
:mod:`diaglab.store.layout`)::

    {"v": 2, "writer": "…", "seq": 0, "kind": "predictions", "model": "credit",
     "segment": "<id>.parquet", "sha256": "…", "bytes": 123, "rows": 1000, "prev": null,
     "hash": "…"}

``hash`` is the HMAC of the record under the store's audit key, exactly as in a local chain
(:mod:`diaglab.store.audit.chain`); ``prev`` links it to the writer's previous record. No two
processes ever write the same chain (a writer id is 64 random bits, drawn again after a fork), so
records need no conditional write; a record is written only after the previous one is stored, so a
writer's records are numbered without gaps. The chains are merged at read: :func:`verify_records`
checks every writer's chain and every segment it names.

The record is also what makes a segment visible: readers list ``log/``, never ``segments/``, so a
segment whose writer died before its record is never read (``unpublished``). A compaction's
record of a merged segment lists in ``compacts`` each source's name, SHA-256 and rows; a source
deleted after that is not reported removed.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from diaglab.store.audit.chain import KEYED, _body, record_hash
from diaglab.store.audit.key import AuditKey
from diaglab.store.audit.verify import Problem

RECORD_NAME = re.compile(r"^([0-9a-f]{16})/([0-9]{12})\.json$")


def new_writer_id() -> str:
    return secrets.token_hex(8)


@dataclass
class WriterChain:
    """The chain of one writer process: its id, the next ``seq`` and the last record's hash.

    Not thread-safe: the caller serializes :meth:`next_record` with the write of the record.
    """

    key: AuditKey | None
    writer: str = field(default_factory=new_writer_id)
    seq: int = 0
    prev: str | None = None
    pid: int = field(default_factory=os.getpid)

    def forked(self) -> bool:
        """True in a child process that inherited this chain (it must start its own)."""
        return self.pid != os.getpid()

    def next_record(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The record for the next segment, hashed; :meth:`advance` once it is stored."""
        record: dict[str, Any] = {"writer": self.writer, "seq": self.seq, **fields}
        record["prev"] = self.prev
        if self.key is not None:
            record["v"] = KEYED
            record["hash"] = self.key.mac(_body(record))
        else:
            record["hash"] = hashlib.sha256(_body(record)).hexdigest()
        return record

    def advance(self, record: Mapping[str, Any]) -> None:
        self.seq = int(record["seq"]) + 1
        self.prev = str(record["hash"])


def parse_record_name(name: str) -> tuple[str, int] | None:
    """``(writer, seq)`` of a record's name relative to ``log/``; None for anything else."""
    m = RECORD_NAME.match(name)
    return (m.group(1), int(m.group(2))) if m else None


@dataclass(frozen=True)
class SegmentObject:
    """What the store holds under a segment's name: its size, and a way to hash its bytes."""

    size: int
    sha256: Callable[[], str]


def verify_records(
    records: Mapping[str, list[dict[str, Any] | str]],
    segments: Mapping[str, SegmentObject],
    *,
    key: AuditKey | None,
    hash_all: Callable[[Iterable[Callable[[], str]]], list[str]],
    recorded: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[list[Problem], dict[str, str], int, list[str]]:
    """Check every writer's chain and the segment each record names.

    Parameters
    ----------
    records : mapping of writer id to its records in ``seq`` order (a string where a record's
        object could not be parsed: the reason)
    segments : mapping of segment name (``<kind>/<model>/<id>.parquet``) to its object
    key : the store's audit key, None when this process has none
    hash_all : runs the given hash functions (in parallel) and returns their digests in order
    recorded : the heads this host's writers logged beside the audit key (``log/<writer>`` ->
        ``{"seq", "hash"}``): each must still be in its chain, so a chain cut back is caught

    Returns
    -------
    (problems, heads, segments checked, unpublished segment names)
    """
    problems: list[Problem] = []
    heads: dict[str, str] = {}
    named: dict[str, str] = {}
    to_hash: list[tuple[str, str, dict[str, Any]]] = []
    compacted = _compacted(records)
    for writer, chain in sorted(records.items()):
        stream = f"log/{writer}"
        prev: str | None = None
        for expected, rec in enumerate(chain):
            where = f"log/{writer}/{expected:012d}.json"
            if isinstance(rec, str):
                problems.append(Problem("broken", stream, where, rec))
                prev = None
                continue
            if rec.get("seq") != expected or rec.get("writer") != writer:
                problems.append(
                    Problem(
                        "reordered",
                        stream,
                        where,
                        f"holds seq {rec.get('seq')!r} of writer {rec.get('writer')!r}",
                    )
                )
            want = record_hash(rec, key)
            if rec.get("v") == KEYED and key is None:
                problems.append(Problem("unkeyed", stream, where, "no audit key to check it"))
            elif want != rec.get("hash"):
                problems.append(Problem("broken", stream, where, "the record was edited"))
            elif key is not None and rec.get("v") != KEYED:
                problems.append(Problem("broken", stream, where, "unkeyed record in a keyed store"))
            if rec.get("prev") != prev:
                problems.append(
                    Problem("reordered", stream, where, "does not link to the record before it")
                )
            prev = str(rec.get("hash"))
            name = f"{rec.get('kind')}/{rec.get('model')}/{rec.get('segment')}"
            if name in named:
                problems.append(
                    Problem("reordered", stream, where, f"publishes {name} again ({named[name]})")
                )
                continue
            named[name] = where
            if name not in segments:
                if compacted.get(name) != rec.get("sha256"):
                    problems.append(
                        Problem("removed", stream, f"segments/{name}", "no such object")
                    )
            elif segments[name].size != rec.get("bytes"):
                problems.append(
                    Problem(
                        "changed",
                        stream,
                        f"segments/{name}",
                        f"{segments[name].size} bytes, {rec.get('bytes')} chained",
                    )
                )
            else:
                to_hash.append((name, stream, rec))
        if prev is not None:
            heads[stream] = prev
    for stream, head in (recorded or {}).items():
        if not stream.startswith("log/"):
            continue
        writer = stream.removeprefix("log/")
        chain = records.get(writer, [])
        seq = int(head.get("seq", -1))
        held = chain[seq] if 0 <= seq < len(chain) else None
        if not isinstance(held, dict) or held.get("hash") != head.get("hash"):
            problems.append(
                Problem(
                    "removed",
                    stream,
                    f"log/{writer}/{seq:012d}.json",
                    "the chain no longer holds the head recorded beside the audit key "
                    "(records were cut from its end)",
                )
            )
    digests = hash_all(segments[name].sha256 for name, _, _ in to_hash)
    for (name, stream, rec), digest in zip(to_hash, digests, strict=True):
        if digest != rec.get("sha256"):
            problems.append(
                Problem("changed", stream, f"segments/{name}", "bytes differ from the chained hash")
            )
    unpublished = sorted(set(segments) - set(named))
    return problems, heads, len(named), unpublished


def _compacted(records: Mapping[str, list[dict[str, Any] | str]]) -> dict[str, str]:
    """Segment name -> SHA-256, of every segment a record says it merged (its ``compacts``): a
    merged source may be deleted once its bytes are vouched for by that (itself checked)
    record, as in a local chain."""
    found: dict[str, str] = {}
    for chain in records.values():
        for rec in chain:
            if isinstance(rec, dict):
                for c in rec.get("compacts") or ():
                    if not isinstance(c, dict):
                        continue
                    name = f"{rec.get('kind')}/{rec.get('model')}/{c.get('segment')}"
                    found[name] = str(c.get("sha256"))
    return found
