"""Hash-chain records: appending a segment's or a registered model's record, reading chains.

See :mod:`diaglab.store.audit` for the format and what it proves.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from diaglab.errors import InputError
from diaglab.store import layout
from diaglab.store.audit import key as audit_key
from diaglab.store.audit.key import AuditKey

AUDIT_DIR = layout.AUDIT
CHAIN_SUFFIX = ".chain"
REGISTRY = "registry"  # audit/registry/<model>.chain: registered model files, not segments
KEYED = 2
_CHUNK = 1 << 20
log = logging.getLogger(__name__)


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


def append(
    root: Path,
    kind: str,
    model: str,
    segment: Path,
    *,
    rows: int | None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Chain ``segment`` (already in place under ``segments/<kind>/<model>/``) to its stream.

    Returns the record appended. Safe from any number of processes: the chain is extended under an
    exclusive lock, and each record is one ``write`` of one line followed by an fsync.
    """
    fields = {
        "segment": segment.name,
        "sha256": file_sha256(segment),
        "bytes": segment.stat().st_size,
        "rows": rows,
        **(extra or {}),
    }
    return _append(root, chain_path(root, kind, model), f"{kind}/{model}", fields)


def append_registration(root: Path, model: str, version: str, path: Path) -> dict[str, Any]:
    """Chain a registered model's file (or MLflow directory) so that swapping it, with the
    digest in its ``model.json``, is caught."""
    fields = {"version": version, "file": path.name, "sha256": path_sha256(path)}
    return _append(root, chain_path(root, REGISTRY, model), f"{REGISTRY}/{model}", fields)


def append_threshold(
    root: Path, model: str, version: str | None, threshold: Any, by: str
) -> dict[str, Any]:
    """Chain a decision-threshold change (who, when, which version: ``"*"`` for the model's
    default) beside the model's registrations, so the history of cut-offs is tamper-evident."""
    fields = {
        "version": version or "*",
        "threshold": threshold,
        "by": by,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return _append(root, chain_path(root, REGISTRY, model), f"{REGISTRY}/{model}", fields)


def threshold_records(root: Path, model: str) -> list[dict[str, Any]]:
    """The model's chained threshold changes, oldest first."""
    chain = chain_path(root, REGISTRY, model)
    records = read_chain(chain)[0] if chain.is_file() else []
    return [rec for rec in records if "threshold" in rec]


def _append(root: Path, path: Path, stream: str, fields: dict[str, Any]) -> dict[str, Any]:
    key: AuditKey | None
    try:
        key = store_key(root)
    except (OSError, InputError) as exc:
        # The segment is already in place: losing rows over the key is worse than an unkeyed
        # record, which verify then reports in a keyed store.
        log.error("diaglab: no audit key for %s (%s); %s is chained unkeyed", root, exc, stream)
        key = None
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
            }
            if key is not None:
                record["v"] = KEYED
            body = _body(record)
            record["hash"] = key.mac(body) if key else hashlib.sha256(body).hexdigest()
            line = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
            fh.write((("\n" if torn else "") + line).encode())
            fh.flush()
            os.fsync(fh.fileno())
            if key is not None:
                try:
                    audit_key.record_head(key, stream, record["seq"], record["hash"])
                except OSError as exc:  # the record is written: the write succeeded
                    log.error("diaglab: cannot log the audit head of %s: %s", stream, exc)
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
    for info in sorted((root / layout.MODELS).glob("*/versions/*/model.json")):
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


def registered_digest(
    root: Path,
    model: str,
    version: str,
    key: AuditKey | None,
    records: list[dict[str, Any]] | None = None,
) -> str | None:
    """The SHA-256 a registered model version's files must have, and what vouches for it.

    The newest record of the model's registry chain whose HMAC holds; for a version registered
    before the store was keyed, the key file's migration record. ``model.json`` only where
    nothing better exists: without any key at hand (``verify`` then reports the store as
    unkeyed), or, with a key from ``DIAGLAB_AUDIT_KEY`` (which keeps no migration record), for a
    version no registry record names at all. None when nothing vouches for it.
    """
    if records is None:
        chain = chain_path(root, REGISTRY, model)
        records = read_chain(chain)[0] if chain.is_file() else []
    named = [rec for rec in records if rec.get("version") == version and "sha256" in rec]
    for rec in reversed(named):
        if rec.get("v") == KEYED and key is not None and rec.get("hash") == record_hash(rec, key):
            return str(rec.get("sha256"))
    if key is not None and key.heads is not None:
        return key.legacy_models.get(f"{model}/{version}")
    if key is not None and named:
        return None
    try:
        info = json.loads((layout.version_dir(root, model, version) / "model.json").read_text())
        return str(info["sha256"])
    except (OSError, ValueError, KeyError):
        return None


def seal(root: Path, path: Path) -> None:
    """Write ``<path>.mac``: an HMAC, under the store's audit key, of a derived file's bytes and
    its place in the store, so that an edited copy (the explanation cache) is never read back."""
    key = store_key(root)
    target = path.with_name(path.name + ".mac")
    tmp = path.with_name(f".{path.name}.mac.tmp")
    tmp.write_text(key.mac(_sealed_bytes(root, path)))
    os.replace(tmp, target)


def is_sealed(root: Path, path: Path, key: AuditKey | None = None) -> bool:
    """Whether ``path`` still holds what :func:`seal` sealed (False without the key)."""
    key = key or audit_key.find_key(root)
    if key is None:
        return False
    try:
        expected = path.with_name(path.name + ".mac").read_text().strip()
        actual = key.mac(_sealed_bytes(root, path))
    except OSError:
        return False
    return hmac.compare_digest(expected, actual)


def _sealed_bytes(root: Path, path: Path) -> bytes:
    where = path.resolve().relative_to(Path(root).resolve()).as_posix().encode()
    return where + b"\0" + path.read_bytes()
