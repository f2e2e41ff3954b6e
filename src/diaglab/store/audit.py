"""The audit trail: every segment file is chained by a hash, per stream, so tampering shows.

A stream is one ``<kind>/<model>`` directory of segments (predictions, labels, reference, spans,
findings, ...). Its chain is ``audit/<kind>/<model>.chain``: one JSON record per line, appended
by whichever process writes a segment, under an exclusive file lock (the same ``flock`` the schema
registry uses), right after the segment has been renamed into place::

    {"seq": 0, "segment": "<id>.parquet", "sha256": "…", "bytes": 123, "rows": 1000,
     "prev": null, "hash": "…"}

``hash`` is the SHA-256 of the record's canonical JSON without ``hash``; ``prev`` is the hash of
the record before it. Changing a segment's bytes breaks its ``sha256``; removing one leaves a record
without a file; a segment no record names is unchained; swapping two segments' files, or editing,
dropping or reordering records, breaks the ``sha256``/``prev``/``hash`` links. :func:`verify`
reports each problem with the segment's path and stream.

Cost on the write path: the bytes are hashed once, after the fsync, while they are still in
the page cache (hashlib releases the GIL, and ``Store.log`` writes the file on a thread beside the
DuckDB insert), plus one appended line.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AUDIT_DIR = "audit"
CHAIN_SUFFIX = ".chain"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Problem:
    """One thing :func:`verify` found wrong.

    Attributes
    ----------
    kind : str
        ``changed`` (bytes differ from the chained hash), ``removed`` (chained, file missing),
        ``unchained`` (a segment no record names), ``reordered`` (a file holds the bytes chained
        for another segment, or records are out of order), ``broken`` (a record was edited or its
        line is unreadable).
    stream : str
        ``<kind>/<model>``.
    path : str
        The segment's path relative to the store (or the chain file's, for a broken record).
    detail : str
    """

    kind: str
    stream: str
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path} (stream {self.stream}): {self.detail}"


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :func:`verify`: the streams and segments checked, and the problems."""

    streams: int
    segments: int
    problems: tuple[Problem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        head = f"{self.segments} segment(s) in {self.streams} stream(s) checked: "
        if self.ok:
            return head + "the audit trail is intact"
        lines = [head + f"{len(self.problems)} problem(s)"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


def chain_path(root: Path, kind: str, model: str) -> Path:
    return root / AUDIT_DIR / kind / f"{model}{CHAIN_SUFFIX}"


def file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def record_hash(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def _last_record(path: Path) -> tuple[dict[str, Any] | None, bool]:
    """The chain's last whole record, read from the file's tail (chains grow; reading them whole
    would make each append slower than the one before), and whether the file ends mid-line.

    A writer killed in the middle of its line leaves a torn last line: the next record links to
    the last whole one, and :func:`verify` reports the torn line.
    """
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size == 0:
                return None, False
            fh.seek(size - 1)
            torn = fh.read(1) != b"\n"
            back = min(size, 4096)
            while True:
                fh.seek(size - back)
                lines = fh.read(back).split(b"\n")
                whole = lines if back == size else lines[1:]  # the first may be cut
                for line in reversed(whole):
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(record, dict) and "hash" in record:
                        return record, torn
                if back == size:
                    return None, torn
                back = min(size, back * 4)
    except FileNotFoundError:
        return None, False


def append(root: Path, kind: str, model: str, segment: Path, *, rows: int | None) -> dict[str, Any]:
    """Chain ``segment`` (already in place under ``segments/<kind>/<model>/``) to its stream.

    Returns the record appended. Safe from any number of processes: the chain is extended under an
    exclusive lock, and each record is one ``write`` of one line followed by an fsync.
    """
    digest = file_sha256(segment)
    size = segment.stat().st_size
    path = chain_path(root, kind, model)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The chain file is its own lock (no lock file beside it); O_APPEND writes at the end.
    with open(path, "ab") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            last, torn = _last_record(path)
            record: dict[str, Any] = {
                "seq": 0 if last is None else int(last["seq"]) + 1,
                "segment": segment.name,
                "sha256": digest,
                "bytes": size,
                "rows": rows,
                "prev": None if last is None else last["hash"],
            }
            record["hash"] = record_hash(record)
            line = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
            fh.write((("\n" if torn else "") + line).encode())
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return record


def read_chain(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The records of a chain file, and the problems found reading them (unreadable lines)."""
    records: list[dict[str, Any]] = []
    errors: list[str] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                errors.append(f"line {number} is not a chain record ({exc})")
                continue
            records.append(rec)
    return records, errors


def _streams(root: Path) -> dict[str, tuple[str, str]]:
    """Every ``kind/model`` with segments or a chain: stream name -> (kind, model)."""
    found: dict[str, tuple[str, str]] = {}
    seg_root = root / "segments"
    if seg_root.is_dir():
        for kdir in sorted(seg_root.iterdir()):
            if kdir.is_dir() and not kdir.name.startswith("."):
                for mdir in sorted(kdir.iterdir()):
                    if mdir.is_dir() and not mdir.name.startswith("."):
                        found[f"{kdir.name}/{mdir.name}"] = (kdir.name, mdir.name)
    audit_root = root / AUDIT_DIR
    if audit_root.is_dir():
        for kdir in sorted(audit_root.iterdir()):
            if kdir.is_dir():
                for chain in sorted(kdir.glob(f"*{CHAIN_SUFFIX}")):
                    model = chain.name[: -len(CHAIN_SUFFIX)]
                    found[f"{kdir.name}/{model}"] = (kdir.name, model)
    return dict(sorted(found.items()))


def verify(root: str | Path, *, threads: int = 2) -> VerifyReport:
    """Check every segment of the store at ``root`` against its stream's hash chain.

    Each chained file is hashed again (``threads`` at a time: hashlib releases the GIL, so the
    reads and the hashing of two files overlap). Returns a :class:`VerifyReport` naming every
    changed, removed, unchained or reordered segment and every broken record.
    """
    root = Path(root)
    problems: list[Problem] = []
    checks: list[tuple[str, Path, dict[str, Any]]] = []
    n_segments = 0
    streams = _streams(root)
    for stream, (kind, model) in streams.items():
        seg_dir = root / "segments" / kind / model
        chain = chain_path(root, kind, model)
        rel_chain = str(chain.relative_to(root))
        records: list[dict[str, Any]] = []
        if chain.is_file():
            records, errors = read_chain(chain)
            problems += [Problem("broken", stream, rel_chain, e) for e in errors]
        problems += _check_links(stream, rel_chain, records)
        on_disk = (
            {p.name for p in seg_dir.iterdir() if p.is_file() and not p.name.startswith(".")}
            if seg_dir.is_dir()
            else set()
        )
        chained: set[str] = set()
        for rec in records:
            name = str(rec.get("segment", ""))
            rel = f"segments/{kind}/{model}/{name}"
            if name in chained:
                problems.append(Problem("reordered", stream, rel, "chained twice"))
                continue
            chained.add(name)
            if name not in on_disk:
                problems.append(
                    Problem("removed", stream, rel, f"chained as record {rec.get('seq')}, missing")
                )
                continue
            checks.append((stream, seg_dir / name, rec))
        for name in sorted(on_disk - chained):
            problems.append(
                Problem(
                    "unchained",
                    stream,
                    f"segments/{kind}/{model}/{name}",
                    "present but in no chain record (added outside diaglab, or written by a "
                    "process that crashed before chaining it)",
                )
            )
        n_segments += len(on_disk | chained)

    by_hash = {rec.get("sha256"): (stream, rec) for stream, _, rec in checks}

    def check(item: tuple[str, Path, dict[str, Any]]) -> Problem | None:
        stream, path, rec = item
        rel = str(path.relative_to(root))
        try:
            size = path.stat().st_size
            digest = file_sha256(path) if size == rec.get("bytes") else None
        except OSError as exc:
            return Problem("removed", stream, rel, f"unreadable: {exc}")
        if digest == rec.get("sha256"):
            return None
        if digest is None:
            digest = file_sha256(path)
        other = by_hash.get(digest)
        if other is not None and other[1] is not rec:
            return Problem(
                "reordered",
                stream,
                rel,
                f"holds the bytes chained for {other[1].get('segment')} (stream {other[0]})",
            )
        return Problem(
            "changed",
            stream,
            rel,
            f"sha256 {digest[:12]}… ({size:,} bytes) differs from the chained "
            f"{str(rec.get('sha256'))[:12]}… ({rec.get('bytes')} bytes)",
        )

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        problems += [p for p in pool.map(check, checks) if p is not None]
    order = {"broken": 0, "reordered": 1, "changed": 2, "removed": 3, "unchained": 4}
    problems.sort(key=lambda p: (p.stream, order.get(p.kind, 9), p.path))
    return VerifyReport(len(streams), n_segments, tuple(problems))


def _check_links(stream: str, rel_chain: str, records: list[dict[str, Any]]) -> list[Problem]:
    """The chain's own integrity: each record's hash, its link back, and its position."""
    problems: list[Problem] = []
    intact = [rec.get("hash") == record_hash(rec) for rec in records]
    by_seq = {rec.get("seq"): rec for rec, ok in zip(records, intact, strict=True) if ok}
    seqs = sorted(s for s in by_seq if isinstance(s, int))
    rank: dict[Any, int] = {s: i for i, s in enumerate(seqs)}
    position = -1  # among the intact records
    for i, rec in enumerate(records):
        where = f"{rel_chain} record {i} ({rec.get('segment')})"
        if not intact[i]:
            problems.append(Problem("broken", stream, where, "the record was edited"))
            continue
        position += 1
        seq: Any = rec.get("seq")
        before = by_seq.get(seq - 1) if isinstance(seq, int) else None
        if seq == 0 and rec.get("prev") is not None:
            problems.append(Problem("broken", stream, where, "the first record links back"))
        elif isinstance(seq, int) and seq > 0 and before is None:
            problems.append(
                Problem("removed", stream, where, f"the record before it (seq {seq - 1}) is gone")
            )
        elif before is not None and rec.get("prev") != before.get("hash"):
            problems.append(
                Problem("broken", stream, where, f"does not link to record seq {seq - 1}")
            )
        if rank.get(seq) != position:
            problems.append(
                Problem("reordered", stream, where, f"seq {seq} found at position {position}")
            )
    return problems


__all__ = ["Problem", "VerifyReport", "append", "chain_path", "verify"]
