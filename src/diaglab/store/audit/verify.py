"""Checking a store against its hash chains, the key's records and the caller's anchors."""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diaglab.store import layout
from diaglab.store.audit import key as audit_key
from diaglab.store.audit.chain import (
    AUDIT_DIR,
    CHAIN_SUFFIX,
    KEYED,
    REGISTRY,
    chain_path,
    file_sha256,
    path_sha256,
    read_chain,
    record_hash,
    registered_digest,
)
from diaglab.store.audit.key import AuditKey
from diaglab.store.quarantine import damaged_segments


@dataclass(frozen=True)
class Problem:
    """One thing :func:`verify` found wrong.

    Attributes
    ----------
    kind : str
        ``changed`` (bytes differ from the chained hash), ``removed`` (chained, file missing),
        ``quarantined`` (chained, moved aside as unreadable by a refresh: see
        :mod:`diaglab.store.quarantine`),
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
    # On object storage: segment objects no record publishes (a writer died between the two
    # writes); readers never see them, so they are no problem of the audit trail.
    unpublished: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        head = f"{self.segments} segment(s) in {self.streams} stream(s) checked: "
        if self.ok:
            how = "keyed" if self.keyed else "unkeyed: consistent, but not proof against edits"
            tail = f"; {len(self.unpublished)} unpublished object(s)" if self.unpublished else ""
            return head + f"the audit trail is intact ({how}){tail}"
        lines = [head + f"{len(self.problems)} problem(s)"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


def _streams(root: Path) -> dict[str, tuple[str, str]]:
    """Every ``kind/model`` with segments or a chain: stream name -> (kind, model)."""
    found: dict[str, tuple[str, str]] = {}
    seg_root = root / layout.SEGMENTS
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
    """Check every segment of the store at ``root`` (a directory, or a URL such as
    ``s3://bucket/prefix``: see :meth:`diaglab.store.object_store.ObjectStore.verify`) against
    its stream's hash chain.

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
    from diaglab.store import object_store  # here: object_store imports this package

    remote = (
        object_store.attach(str(root), read_only=True)
        if object_store.is_url(root)
        else object_store.attached(Path(root), read_only=True)
    )
    if remote is not None:  # a URL, or the local mirror of one
        return remote.verify(anchors=anchors)
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
    quarantined = {(d.kind, d.model, d.original.name): d for d in damaged_segments(root)}
    streams = _streams(root)
    for stream, (kind, model) in streams.items():
        seg_dir = layout.segment_dir(root, kind, model)
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
        # a source a later record merged (compaction): its bytes are vouched for by that record
        compacted = {
            str(c.get("segment")): c.get("sha256")
            for rec in records
            for c in rec.get("compacts", ())
            if isinstance(c, dict)
        }
        for rec in records:
            name = str(rec.get("segment", ""))
            rel = f"segments/{kind}/{model}/{name}"
            if name in chained:
                problems.append(Problem("reordered", stream, rel, "chained twice"))
                continue
            chained.add(name)
            if name not in on_disk:
                if name in compacted and compacted[name] == rec.get("sha256"):
                    continue
                damaged = quarantined.get((kind, model, name))
                if damaged is not None:
                    problems.append(
                        Problem(
                            "quarantined",
                            stream,
                            rel,
                            f"moved to {damaged.path.relative_to(root)} as damaged: "
                            f"{damaged.reason}",
                        )
                    )
                else:
                    problems.append(
                        Problem(
                            "removed", stream, rel, f"chained as record {rec.get('seq')}, missing"
                        )
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
    order = {
        "unkeyed": 0,
        "broken": 1,
        "reordered": 2,
        "changed": 3,
        "quarantined": 4,
        "removed": 4,
        "unchained": 5,
    }
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
    base = root / layout.MODELS
    infos = sorted(base.glob("*/versions/*/model.json")) if base.is_dir() else []
    # a registry chain may hold threshold changes only (no registered model file)
    chained = sorted((root / AUDIT_DIR / REGISTRY).glob(f"*{CHAIN_SUFFIX}"))
    models = [p.parents[2].name for p in infos] + [p.name[: -len(CHAIN_SUFFIX)] for p in chained]
    for model in dict.fromkeys(models):
        stream = f"{REGISTRY}/{model}"
        if stream not in all_records:
            chain = chain_path(root, REGISTRY, model)
            records, errors = read_chain(chain) if chain.is_file() else ([], [])
            rel_chain = str(chain.relative_to(root))
            problems += [Problem("broken", stream, rel_chain, e) for e in errors]
            problems += _check_links(stream, rel_chain, records, key)
            all_records[stream] = records
    for info_path in infos:
        model, version = info_path.parents[2].name, info_path.parent.name
        stream = f"{REGISTRY}/{model}"
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
