"""The audit key: the secret that makes a store's hash chains unforgeable by whoever holds only
the store directory.

An unkeyed chain proves only that the files agree with each other: anyone who can write the store
can edit a segment and recompute every hash after it. Chain records written with a key carry an
HMAC-SHA256 instead, which nobody can recompute without the key. The key therefore lives outside
the store:

- ``DIAGLAB_AUDIT_KEY`` (at least 32 hex digits), for CI and servers: every store uses it;
- otherwise a key file per store in ``DIAGLAB_AUDIT_KEY_DIR`` (default
  ``$XDG_CONFIG_HOME/diaglab/audit-keys``, i.e. ``~/.config/diaglab/audit-keys``), named by the
  store's id (``<store>/audit/store-id``, a random id written with the first keyed record) and
  created with permissions 0600 by the first process that writes the store.

The key file also keeps what the store held when it was first keyed (the legacy, unkeyed chain
heads and model digests: the migration of a store written before keys existed), and beside it a
log of every chain head written since (``<id>.heads``), so a record removed from the end of a
chain, with its segment, is caught: the store directory alone no longer holds all the evidence.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diaglab.errors import InputError
from diaglab.store import layout
from diaglab.store.file_lock import file_lock

KEY_ENV = "DIAGLAB_AUDIT_KEY"
KEY_DIR_ENV = "DIAGLAB_AUDIT_KEY_DIR"
STORE_ID_FILE = "store-id"
INDEX_FILE = "stores.json"


@dataclass(frozen=True)
class AuditKey:
    """A store's audit key, where it came from, and the store's state when it was first keyed.

    Attributes
    ----------
    secret : bytes
    where : str
        ``$DIAGLAB_AUDIT_KEY`` or the key file's path.
    legacy : dict
        ``stream -> {"seq": n, "hash": h}``: the last unkeyed record of each chain that existed
        when the key was made (empty when the key came from the environment).
    legacy_models : dict
        ``"<model>/<version>" -> sha256`` of the model files registered before the key.
    heads : Path or None
        The log of chain heads written with this key (None with an environment key).
    """

    secret: bytes
    where: str
    legacy: dict[str, dict[str, Any]] = field(default_factory=dict)
    legacy_models: dict[str, str] = field(default_factory=dict)
    heads: Path | None = None

    def mac(self, data: bytes) -> str:
        return hmac.new(self.secret, data, hashlib.sha256).hexdigest()


def key_dir() -> Path:
    explicit = os.environ.get(KEY_DIR_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "diaglab" / "audit-keys"


def _env_key() -> AuditKey | None:
    text = os.environ.get(KEY_ENV)
    if text is None:
        return None
    try:
        secret = bytes.fromhex(text.strip())
    except ValueError:
        secret = b""
    if len(secret) < 16:
        raise InputError(f"{KEY_ENV} must be at least 32 hex digits (16 bytes); got {len(text)}")
    return AuditKey(secret, f"${KEY_ENV}")


# path -> (the file's identity when read, what was parsed of it): a writer chains a segment
# every second or so, and re-reading the store id and the key file each time cost ~0.2 ms of a
# segment's ~5 ms. Both files are written once (a new one is a new inode), so a stat decides.
_PARSED: dict[Path, tuple[tuple[int, int, int, int], Any]] = {}


def _parsed(path: Path, parse: Any) -> Any:
    """``parse(text of path)``, from the cache while the file is the one parsed; raises
    FileNotFoundError (or NotADirectoryError) when it is missing."""
    st = path.stat()
    identity = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
    cached = _PARSED.get(path)
    if cached is not None and cached[0] == identity:
        return cached[1]
    value = parse(path.read_text())
    _PARSED[path] = (identity, value)
    return value


def store_id(root: Path) -> str | None:
    try:
        text = _parsed(layout.audit_dir(root) / STORE_ID_FILE, str.strip)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return text if text.isalnum() and 8 <= len(text) <= 64 else None


def _index_key(root: Path) -> str:
    return str(root.resolve())


def indexed_id(root: Path) -> str | None:
    """The id this machine's key directory remembers for the store at ``root``'s path."""
    try:
        index = json.loads((key_dir() / INDEX_FILE).read_text())
    except (OSError, ValueError):
        return None
    found = index.get(_index_key(root)) if isinstance(index, dict) else None
    return str(found) if found else None


def _read(path: Path) -> AuditKey:
    key: AuditKey = _parsed(path, lambda text: _key_of(path, json.loads(text)))
    return key


def _key_of(path: Path, data: dict[str, Any]) -> AuditKey:
    return AuditKey(
        bytes.fromhex(data["key"]),
        str(path),
        dict(data.get("legacy") or {}),
        dict(data.get("legacy_models") or {}),
        path.with_suffix(".heads"),
    )


def find_key(root: Path) -> AuditKey | None:
    """The audit key of the store at ``root`` if this process can see one, else None."""
    env = _env_key()
    if env is not None:
        return env
    sid = store_id(root) or indexed_id(root)
    if sid is None:
        return None
    path = key_dir() / f"{sid}.json"
    try:
        return _read(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (ValueError, KeyError) as exc:
        raise InputError(f"the audit key file {path} is damaged: {exc}") from exc


def ensure_key(root: Path, legacy: Any) -> AuditKey:
    """The store's audit key, made (with the store's id) on first use.

    ``legacy`` is called, only when a key is made, to list the store's unkeyed state:
    ``(streams, models)`` as in :attr:`AuditKey.legacy` and :attr:`AuditKey.legacy_models`.
    """
    found = find_key(root)
    if found is not None:
        return found
    kdir = key_dir()
    audit_dir = layout.audit_dir(root)
    audit_dir.mkdir(parents=True, exist_ok=True)
    with file_lock(audit_dir / ".store-id.lock"):
        found = find_key(root)
        if found is not None:
            return found
        sid = store_id(root) or secrets.token_hex(16)
        streams, models = legacy()
        kdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = kdir / f"{sid}.json"
        body = {
            "store_id": sid,
            "store": _index_key(root),
            "key": secrets.token_hex(32),
            "legacy": streams,
            "legacy_models": models,
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(body, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        _write_atomic(audit_dir / STORE_ID_FILE, sid + "\n")
        with file_lock(kdir / f".{INDEX_FILE}.lock"):
            try:
                index = json.loads((kdir / INDEX_FILE).read_text())
            except (FileNotFoundError, ValueError):
                index = {}
            index[_index_key(root)] = sid
            _write_atomic(kdir / INDEX_FILE, json.dumps(index, indent=1))
        return _read(path)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def record_head(key: AuditKey, stream: str, seq: int, digest: str) -> None:
    """Append a chain head to the key's head log (outside the store)."""
    if key.heads is None:
        return
    line = json.dumps({"stream": stream, "seq": seq, "hash": digest}, sort_keys=True) + "\n"
    fd = os.open(key.heads, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def recorded_heads(key: AuditKey) -> dict[str, dict[str, Any]]:
    """The newest head recorded for each stream: ``stream -> {"seq", "hash"}``."""
    out: dict[str, dict[str, Any]] = {}
    if key.heads is None or not key.heads.is_file():
        return out
    for line in key.heads.read_text().splitlines():
        try:
            rec = json.loads(line)
            seq = int(rec["seq"])
        except (ValueError, KeyError, TypeError):
            continue
        stream = str(rec.get("stream"))
        if stream not in out or seq >= int(out[stream]["seq"]):
            out[stream] = {"seq": seq, "hash": str(rec.get("hash"))}
    return out


__all__ = ["AuditKey", "ensure_key", "find_key", "key_dir", "record_head", "recorded_heads"]
