"""The audit trail: every segment file is chained by a hash, per stream, so tampering shows.

A stream is one ``<kind>/<model>`` directory of segments (predictions, labels, reference, spans,
findings, ...). Its chain is ``audit/<kind>/<model>.chain``: one JSON record per line, appended
by whichever process writes a segment, under an exclusive file lock (the same ``flock`` the schema
registry uses), right after the segment has been renamed into place::

    {"seq": 0, "segment": "<id>.parquet", "sha256": "…", "bytes": 123, "rows": 1000,
     "prev": null, "hash": "…"}

``hash`` is the HMAC-SHA256, under the store's audit key (:mod:`diaglab.store.audit_key`, kept
outside the store), of the record's canonical JSON without ``hash``; such records carry ``"v": 2``.
Records written before keys existed (no ``v``) hold a plain SHA-256 and are accepted only up to
the head the key file recorded when the store was first keyed. ``prev`` is the hash of
the record before it. Changing a segment's bytes breaks its ``sha256``; removing one leaves a record
without a file; a segment no record names is unchained; swapping two segments' files, or editing,
dropping or reordering records, breaks the ``sha256``/``prev``/``hash`` links. :func:`verify`
reports each problem with the segment's path and stream. Without the key, anyone who can write
the store could rewrite a chain consistently; with it, they cannot, and the head log beside the key
(or an ``anchor`` the user kept) also catches records cut from the end of a chain.

Registered model files are chained the same way, in ``audit/registry/<model>.chain`` (one record
per registration: version, file, SHA-256), so a model file swapped together with the digest in its
``model.json`` is caught at load and by :func:`verify`.

Cost on the write path: the bytes are hashed once, after the fsync, while they are still in
the page cache (hashlib releases the GIL, and ``Store.log`` writes the file on a thread beside the
DuckDB insert), plus one appended line.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diaglab.store import audit_key
from diaglab.store.audit_key import AuditKey

AUDIT_DIR = "audit"
CHAIN_SUFFIX = ".chain"
REGISTRY = "registry"  # audit/registry/<model>.chain: registered model files, not segments
KEYED = 2
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Problem:
    """One thing :func:`verify` found wrong.

    Attributes
    ----------
    kind : str
        ``changed`` (bytes differ from the chained hash), ``removed`` (chained, file missing),
        ``unchained`` (a segment no record names), ``reordered`` (a file holds the bytes chained
        for another segment, or records are out of order), ``broken`` (a record was edited, its
        line is unreadable, or it is unkeyed where a key is required), ``unkeyed`` (keyed records
        but no key to check them with).
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
    heads: dict[str, str] = field(default_factory=dict)  # stream -> its last record's hash
    keyed: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        head = f"{self.segments} segment(s) in {self.streams} stream(s) checked: "
        if self.ok:
            how = "keyed" if self.keyed else "unkeyed: consistent, but not proof against edits"
            return head + f"the audit trail is intact ({how})"
        lines = [head + f"{len(self.problems)} problem(s)"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


def chain_path(root: Path, kind: str, model: str) -> Path:
    return root / AUDIT_DIR / kind / f"{model}{CHAIN_SUFFIX}"


def file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def path_sha256(path: Path) -> str:
    """A file's SHA-256, or one SHA-256 over a directory: every file's relative path and
    contents, in sorted order."""
    if not path.is_dir():
        return file_sha256(path)
    h = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(file.relative_to(path).as_posix().encode() + b"\0")
        with open(file, "rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()


def _body(record: dict[str, Any]) -> bytes:
    body = {k: v for k, v in record.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def record_hash(record: dict[str, Any], key: AuditKey | None = None) -> str | None:
    """The hash a record must carry: an HMAC under ``key`` for a keyed record (None when the
    key is not at hand), a plain SHA-256 for a record written before keys."""
    if record.get("v") == KEYED:
        return key.mac(_body(record)) if key is not None else None
    return hashlib.sha256(_body(record)).hexdigest()


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


def store_key(root: Path) -> AuditKey:
    """The store's audit key, made on first use (recording the store's unkeyed state)."""
    return audit_key.ensure_key(root, lambda: _legacy_state(root))


def append(root: Path, kind: str, model: str, segment: Path, *, rows: int | None) -> dict[str, Any]:
    """Chain ``segment`` (already in place under ``segments/<kind>/<model>/``) to its stream.

    Returns the record appended. Safe from any number of processes: the chain is extended under an
    exclusive lock, and each record is one ``write`` of one line followed by an fsync.
    """
    fields = {
        "segment": segment.name,
        "sha256": file_sha256(segment),
        "bytes": segment.stat().st_size,
        "rows": rows,
    }
    return _append(root, chain_path(root, kind, model), f"{kind}/{model}", fields)


def append_registration(root: Path, model: str, version: str, path: Path) -> dict[str, Any]:
    """Chain a registered model's file (or MLflow directory) so that swapping it, with the
    digest in its ``model.json``, is caught."""
    fields = {"version": version, "file": path.name, "sha256": path_sha256(path)}
    return _append(root, chain_path(root, REGISTRY, model), f"{REGISTRY}/{model}", fields)


def _append(root: Path, path: Path, stream: str, fields: dict[str, Any]) -> dict[str, Any]:
    key = store_key(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The chain file is its own lock (no lock file beside it); O_APPEND writes at the end.
    with open(path, "ab") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            last, torn = _last_record(path)
            record: dict[str, Any] = {
                "seq": 0 if last is None else int(last["seq"]) + 1,
                **fields,
                "prev": None if last is None else last["hash"],
                "v": KEYED,
            }
            record["hash"] = key.mac(_body(record))
            line = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
            fh.write((("\n" if torn else "") + line).encode())
            fh.flush()
            os.fsync(fh.fileno())
            audit_key.record_head(key, stream, record["seq"], record["hash"])
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return record


def _legacy_state(root: Path) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The store's unkeyed chain heads and model digests: what a new key vouches for."""
    streams: dict[str, dict[str, Any]] = {}
    audit_root = root / AUDIT_DIR
    for chain in sorted(audit_root.glob(f"*/*{CHAIN_SUFFIX}")) if audit_root.is_dir() else []:
        last, _ = _last_record(chain)
        if last is not None:
            stream = f"{chain.parent.name}/{chain.name[: -len(CHAIN_SUFFIX)]}"
            streams[stream] = {"seq": last.get("seq"), "hash": last.get("hash")}
    models: dict[str, str] = {}
    for info in sorted((root / "models").glob("*/versions/*/model.json")):
        try:
            models[f"{info.parents[2].name}/{info.parent.name}"] = str(
                json.loads(info.read_text())["sha256"]
            )
        except (ValueError, KeyError):
            continue
    return streams, models


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
            if kdir.is_dir() and kdir.name != REGISTRY:
                for chain in sorted(kdir.glob(f"*{CHAIN_SUFFIX}")):
                    model = chain.name[: -len(CHAIN_SUFFIX)]
                    found[f"{kdir.name}/{model}"] = (kdir.name, model)
    return dict(sorted(found.items()))


def verify(root: str | Path, *, threads: int = 2, anchors: Sequence[str] = ()) -> VerifyReport:
    """Check every segment of the store at ``root`` against its stream's hash chain.

    Each chained file is hashed again (``threads`` at a time: hashlib releases the GIL, so the
    reads and the hashing of two files overlap). Returns a :class:`VerifyReport` naming every
    changed, removed, unchained or reordered segment, every broken or unkeyed record, every
    registered model file that differs from its chained digest, and every chain head (recorded
    beside the key, or given in ``anchors``) the chains no longer hold.

    Parameters
    ----------
    root : str or Path
    threads : int
    anchors : sequence of str
        Record hashes the caller kept (``diaglab verify`` prints each stream's head): each must
        still be the hash of an intact record, so cutting a chain back past it is caught even
        without the key.
    """
    root = Path(root)
    problems: list[Problem] = []
    key = audit_key.find_key(root)
    sid = audit_key.store_id(root)
    if key is None and sid is not None:
        problems.append(
            Problem(
                "unkeyed",
                "*",
                f"{AUDIT_DIR}/{audit_key.STORE_ID_FILE}",
                f"the store's audit key (id {sid}) is not in {audit_key.key_dir()} and "
                f"${audit_key.KEY_ENV} is not set: keyed records cannot be checked",
            )
        )
    elif key is None and audit_key.indexed_id(root) is not None:
        problems.append(
            Problem(
                "unkeyed",
                "*",
                f"{AUDIT_DIR}/{audit_key.STORE_ID_FILE}",
                "the store's id file is gone although this machine keeps a key for this path",
            )
        )
    all_records: dict[str, list[dict[str, Any]]] = {}
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
        all_records[stream] = records
        problems += _check_links(stream, rel_chain, records, key)
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
    problems += _check_registry(root, key, all_records)
    problems += _check_heads(root, key, all_records, anchors)
    order = {"unkeyed": 0, "broken": 1, "reordered": 2, "changed": 3, "removed": 4, "unchained": 5}
    problems.sort(key=lambda p: (p.stream, order.get(p.kind, 9), p.path))
    heads = {
        stream: str(recs[-1].get("hash"))
        for stream, recs in sorted(all_records.items())
        if recs and not stream.startswith(f"{REGISTRY}/")
    }
    return VerifyReport(
        len(streams), n_segments, tuple(problems), heads=heads, keyed=key is not None
    )


def _check_links(
    stream: str, rel_chain: str, records: list[dict[str, Any]], key: AuditKey | None
) -> list[Problem]:
    """The chain's own integrity: each record's hash, its link back, and its position."""
    problems: list[Problem] = []
    # a keyed record cannot be checked without the key: _check_keys reports that once
    intact = [rec.get("hash") == (record_hash(rec, key) or rec.get("hash")) for rec in records]
    problems += _check_keys(stream, rel_chain, records, key)
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


def _check_keys(
    stream: str, rel_chain: str, records: list[dict[str, Any]], key: AuditKey | None
) -> list[Problem]:
    """Unkeyed records are accepted only up to the head the key file recorded when the store
    was first keyed; keyed records cannot be checked without the key."""
    problems: list[Problem] = []
    keyed = [rec for rec in records if rec.get("v") == KEYED]
    if keyed and key is None:
        problems.append(
            Problem("unkeyed", stream, rel_chain, f"{len(keyed)} keyed record(s) not checked")
        )
    if key is None or key.heads is None:
        # An environment key has no record of the unkeyed past: unkeyed records before the
        # first keyed one are accepted as they link into it; after it, never.
        seen_keyed = False
        for rec in records:
            if rec.get("v") == KEYED:
                seen_keyed = True
            elif seen_keyed:
                problems.append(_unkeyed_record(stream, rel_chain, rec))
        return problems
    legacy = key.legacy.get(stream)
    last_legacy = -1 if legacy is None else int(legacy.get("seq", -1))
    if legacy is not None and not any(
        rec.get("seq") == last_legacy and rec.get("hash") == legacy.get("hash") for rec in records
    ):
        problems.append(
            Problem(
                "broken",
                stream,
                rel_chain,
                f"the unkeyed record seq {last_legacy} recorded when the store was keyed "
                f"({key.where}) is gone or changed",
            )
        )
    for rec in records:
        if rec.get("v") != KEYED and not (
            isinstance(rec.get("seq"), int) and rec["seq"] <= last_legacy
        ):
            problems.append(_unkeyed_record(stream, rel_chain, rec))
    return problems


def _unkeyed_record(stream: str, rel_chain: str, rec: dict[str, Any]) -> Problem:
    return Problem(
        "broken",
        stream,
        f"{rel_chain} record seq {rec.get('seq')} ({rec.get('segment') or rec.get('version')})",
        "an unkeyed record in a keyed store: written without the key, or forged",
    )


def _check_registry(
    root: Path, key: AuditKey | None, all_records: dict[str, list[dict[str, Any]]]
) -> list[Problem]:
    """Every registered model version's files against the digest chained when registered."""
    problems: list[Problem] = []
    base = root / "models"
    for info_path in sorted(base.glob("*/versions/*/model.json")) if base.is_dir() else []:
        model, version = info_path.parents[2].name, info_path.parent.name
        stream = f"{REGISTRY}/{model}"
        if stream not in all_records:
            chain = chain_path(root, REGISTRY, model)
            records, errors = read_chain(chain) if chain.is_file() else ([], [])
            rel_chain = str(chain.relative_to(root))
            problems += [Problem("broken", stream, rel_chain, e) for e in errors]
            problems += _check_links(stream, rel_chain, records, key)
            all_records[stream] = records
        rel = str(info_path.parent.relative_to(root))
        try:
            data = json.loads(info_path.read_text())
            path = info_path.parent / str(data["file"])
            actual = path_sha256(path)
        except (OSError, ValueError, KeyError) as exc:
            problems.append(Problem("changed", stream, rel, f"unreadable registration: {exc}"))
            continue
        expected = registered_digest(root, model, version, key, all_records[stream])
        if expected is None:
            problems.append(
                Problem("unchained", stream, rel, "registered without a chained digest")
            )
        elif actual != expected:
            problems.append(
                Problem(
                    "changed",
                    stream,
                    rel,
                    f"{path.name} has sha256 {actual[:12]}…, registered {expected[:12]}…",
                )
            )
    return problems


def registered_digest(
    root: Path,
    model: str,
    version: str,
    key: AuditKey | None,
    records: list[dict[str, Any]] | None = None,
) -> str | None:
    """The SHA-256 a registered model version's files must have, from the newest intact record
    of the model's registry chain (or, for a version registered before the store was keyed, from
    the key file's migration record; with no key at all, from ``model.json``); None when
    nothing vouches for it."""
    if records is None:
        chain = chain_path(root, REGISTRY, model)
        records = read_chain(chain)[0] if chain.is_file() else []
    for rec in reversed(records):
        if (
            rec.get("version") == version
            and rec.get("v") == KEYED
            and key is not None
            and rec.get("hash") == record_hash(rec, key)
        ):
            return str(rec.get("sha256"))
    if key is not None:
        return key.legacy_models.get(f"{model}/{version}")
    if audit_key.store_id(root) is not None:
        return None
    try:
        info = json.loads(
            (root / "models" / model / "versions" / version / "model.json").read_text()
        )
        return str(info["sha256"])
    except (OSError, ValueError, KeyError):
        return None


def _check_heads(
    root: Path,
    key: AuditKey | None,
    all_records: dict[str, list[dict[str, Any]]],
    anchors: Sequence[str],
) -> list[Problem]:
    """Heads recorded beside the key, and the caller's anchors, must still be in the chains."""
    problems: list[Problem] = []
    present = {
        (stream, rec.get("seq"), rec.get("hash"))
        for stream, recs in all_records.items()
        for rec in recs
        if rec.get("hash") == record_hash(rec, key)
    }
    recorded = audit_key.recorded_heads(key) if key is not None else {}
    for stream, head in sorted(recorded.items()):
        if (stream, head["seq"], head["hash"]) not in present:
            problems.append(
                Problem(
                    "removed",
                    stream,
                    str(chain_path(root, *stream.split("/", 1)).relative_to(root)),
                    f"record seq {head['seq']} ({head['hash'][:12]}…), recorded in "
                    f"{key.heads if key else ''} when it was written, is gone or changed",
                )
            )
    hashes = {h for _, _, h in present}
    for anchor in anchors:
        if anchor.strip().lower() not in hashes:
            problems.append(
                Problem(
                    "removed",
                    "*",
                    AUDIT_DIR,
                    f"anchor {anchor[:16]}… is the hash of no intact chain record: records were "
                    "removed or rewritten since it was taken",
                )
            )
    return problems


__all__ = [
    "Problem",
    "VerifyReport",
    "append",
    "append_registration",
    "chain_path",
    "path_sha256",
    "registered_digest",
    "verify",
]
