"""Stores on object storage: ``dl.open("s3://bucket/prefix")``, and any pyarrow/fsspec filesystem.

Many hosts with no shared disk log into one prefix. The invariant: **a segment is visible once its
record is stored, and never before**. A writer puts the segment under its final unique name
(``segments/<kind>/<model>/<id>.parquet``: a single PUT, or a multipart upload that is invisible
until completed, so a killed writer leaves no half-object anyone reads), then the record
``log/<writer>/<seq>.json`` that publishes and chains it (:mod:`.audit.writer_chain`).
Readers list ``log/``, never ``segments/``. No rename, no lock, no conditional write is needed.

Everything that is not shared lives in a local *mirror* directory (``$DIAGLAB_CACHE_DIR``, else
``~/.cache/diaglab``, ``stores/<bucket-prefix>-<hash>``), laid out as a local store: the DuckDB copy
and its ledger, the schemas, the quarantine, registered models, and a copy of each segment read
(checked against its record's SHA-256 on the way in). :mod:`diaglab.store.mirror` brings new
published segments into the mirror; the usual ingest then takes them exactly once.

Credentials come from each scheme's standard chains (for S3 the environment, ``~/.aws``,
instance roles; for ``gs://`` and ``abfs://`` see :mod:`diaglab.store.filesystems`), the
endpoint from the scheme's variable (``AWS_ENDPOINT_URL``, ``STORAGE_EMULATOR_HOST``, the
connection string) or ``storage_options``. Nothing secret is written into the store or the
mirror. Every request is bounded (:mod:`diaglab.store.filesystems`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import socket
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs

from diaglab.errors import InputError, ReadOnlyStoreError, StorageError
from diaglab.store import layout
from diaglab.store import mirror as mirroring
from diaglab.store.audit.key import record_head
from diaglab.store.audit.writer_chain import (
    WriterChain,
)
from diaglab.store.faults import fault_point
from diaglab.store.filesystems import (
    CONNECT_TIMEOUT,
    MAX_ATTEMPTS,
    REQUEST_TIMEOUT,
    Opened,
    check_reachable,
    filesystem,
)

FORMAT = "diaglab-store"
FORMAT_VERSION = 1
CACHE_ENV = "DIAGLAB_CACHE_DIR"
_URL = re.compile(r"^([a-z][a-z0-9+.-]*)://(.*)$")
_CHUNK = 1 << 20
# What the clients (pyarrow's S3, gcsfs on aiohttp, the Azure SDK) say for a dead endpoint and
# for refused credentials.
_UNREACHABLE = re.compile(
    r"NETWORK_CONNECTION|curlCode|[Cc]ould not connect|[Cc]annot connect to host|"
    r"[Tt]imed? ?out|ServiceRequestError|ServerTimeoutError"
)
_DENIED = re.compile(
    r"ACCESS_DENIED|AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|Forbidden|\b40[13]\b|"
    r"AuthenticationFailed|AuthorizationFailure|AuthorizationPermissionMismatch|"
    r"ClientAuthenticationError|RefreshError|DefaultCredentialsError|Unauthorized"
)
# storage_options never written to the mirror: by name, or by a value that carries a secret
# (an Azure connection string holds the account key, a SAS URL its signature).
_SECRET = re.compile(r"key|secret|token|password|credential|session|connection|sas", re.I)
_SECRET_VALUE = re.compile(r"AccountKey=|SharedAccessSignature=|[?&]sig=", re.I)

_lock = threading.Lock()
_attached: dict[Path, ObjectStore] = {}
_plain: set[Path] = set()


def is_url(path: object) -> bool:
    """Whether ``path`` names a store on object storage: a URL, except a ``file://`` URL of a
    store directory (a local store written by ``dl.open(path)``, which such a URL just names)."""
    return isinstance(path, str) and _URL.match(path) is not None and _directory_store(path) is None


def _directory_store(url: str) -> Path | None:
    """The local store directory a ``file://`` URL names, if it names one."""
    if not url.startswith("file://"):
        return None
    local = Path(urllib.parse.unquote(urllib.parse.urlparse(url).path))
    if layout.is_store(local) and not (local / layout.MARKER_OBJECT).exists():
        return local
    return None


def local_root(
    path: str | Path, *, storage_options: Mapping[str, Any] | None = None, read_only: bool = False
) -> Path:
    """The local directory a store's files are reached through: ``path`` itself, or the mirror
    of the store at URL ``path`` (attached and checked, see :func:`attach`)."""
    if is_url(path):
        return attach(str(path), storage_options=storage_options, read_only=read_only).mirror
    if storage_options:
        raise InputError(
            f"storage_options are for stores on object storage (s3://…); {path} is a local path"
        )
    named = _directory_store(path) if isinstance(path, str) else None
    return (named or Path(path)).expanduser().resolve()


def attach(
    url: str, *, storage_options: Mapping[str, Any] | None = None, read_only: bool = False
) -> ObjectStore:
    """The store at ``url``, checked (created when the prefix is empty and ``read_only`` is
    False), with its local mirror. One per URL, endpoint and cache directory in a process."""
    url = url.rstrip("/")
    opened = filesystem(url, storage_options)
    endpoint = opened.endpoint
    cache = cache_root().resolve()
    with _lock:
        for found in _attached.values():
            if (found.url, found.endpoint, found.mirror.parents[1]) == (url, endpoint, cache):
                if found.read_only and not read_only:
                    found.become_writer()
                return found
        store = ObjectStore(url, opened, storage_options or {}, read_only=read_only)
        _attached[store.mirror] = store
        return store


def attached(root: Path, *, read_only: bool = False) -> ObjectStore | None:
    """The object store whose mirror is ``root``, if it is one (attached again from the mirror's
    ``remote.json`` in a process that did not open it)."""
    found = _attached.get(root)
    if found is not None or root in _plain:
        return found
    try:
        info = json.loads(layout.remote_file(root).read_text())
    except FileNotFoundError:
        _plain.add(root)
        return None
    except (OSError, ValueError) as exc:
        raise StorageError(f"cannot read {layout.remote_file(root)}: {exc}") from exc
    return attach(
        str(info["url"]), storage_options=info.get("options") or None, read_only=read_only
    )


def cache_root() -> Path:
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "diaglab"


class ObjectStore:
    """A store under a prefix of object storage, and its local mirror (see the module's text)."""

    def __init__(
        self,
        url: str,
        opened: Opened,
        options: Mapping[str, Any],
        *,
        read_only: bool,
    ) -> None:
        self.url, self.fs, self.base = url, opened.fs, opened.base
        self.endpoint, self.backend = opened.endpoint, opened.backend
        self.read_only = read_only
        # Filesystems with real directories need each object's folder made first.
        self._folders = self.fs.type_name not in ("s3", "gcs", "abfs") and not opened.backend.scheme
        self._lock = threading.Lock()
        self._pending: dict[str, Any] | None = None
        self._chain: WriterChain | None = None
        marker = self._open_checked()
        self.store_id = str(marker["store_id"])
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", self.base)[-60:].strip("-")
        digest = hashlib.sha256(f"{self.endpoint}|{url}|{self.store_id}".encode()).hexdigest()[:16]
        self.mirror = (cache_root() / "stores" / f"{slug}-{digest}").resolve()
        public = {
            k: v
            for k, v in options.items()
            if not _SECRET.search(k) and not _SECRET_VALUE.search(str(v))
        }
        self._prepare_mirror(public)
        if not read_only:
            self.become_writer()

    # -- naming and errors --------------------------------------------------------------------

    def key(self, name: str) -> str:
        return f"{self.base}/{name}" if name else self.base

    def where(self, name: str = "") -> str:
        return f"{self.url}/{name}" if name else self.url

    def error(self, exc: OSError, doing: str, name: str = "") -> Exception:
        """A diaglab error for a failed request: what, where, and what to do."""
        text = str(exc)
        first = text.strip().splitlines()[0][:300] if text.strip() else type(exc).__name__
        where = self.where(name)
        hints = self.backend
        if re.search(_UNREACHABLE, text):
            return StorageError(
                f"cannot reach the object store while {doing} {where} (endpoint {self.endpoint}; "
                f"connect timeout {CONNECT_TIMEOUT:g} s, request timeout {REQUEST_TIMEOUT:g} s, "
                f"{MAX_ATTEMPTS} attempts): {first}. Check the endpoint ({hints.endpoint_hint}) "
                "and that the server is up"
            )
        if re.search(_DENIED, text):
            return ReadOnlyStoreError(
                f"access denied while {doing} {where}: {first}. Check the credentials "
                f"({hints.credentials_hint}) and that they may read (and, to log, write) this "
                "bucket and prefix"
            )
        if re.search(r"NO_SUCH_BUCKET|NoSuchBucket|ContainerNotFound", text):
            return self._no_bucket()
        return StorageError(f"{doing} {where} failed: {first}")

    def _no_bucket(self) -> InputError:
        bucket = self.base.split("/", 1)[0]
        create = self.backend.create_hint.format(bucket=bucket)
        return InputError(
            f"the bucket {bucket!r} of {self.url} does not exist at {self.endpoint}: create it "
            f"first{f' (e.g. `{create}`)' if create else ''}; diaglab does not create buckets"
        )

    # -- small objects ------------------------------------------------------------------------

    def _output(self, key: str) -> Any:
        if self._folders:
            self.fs.create_dir(key.rsplit("/", 1)[0], recursive=True)
        return self.fs.open_output_stream(key)

    def put(self, name: str, data: bytes, doing: str) -> None:
        """Store ``data`` as the object ``name`` (relative to the prefix), whole or not at all."""
        try:
            with self._output(self.key(name)) as out:
                out.write(data)
        except OSError as exc:
            raise self.error(exc, doing, name) from exc

    def delete(self, name: str, doing: str) -> None:
        """Delete the object ``name``; one already gone is no error."""
        try:
            self.fs.delete_file(self.key(name))
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise self.error(exc, doing, name) from exc

    def get(self, name: str, doing: str) -> bytes:
        try:
            with self.fs.open_input_stream(self.key(name)) as src:
                return bytes(src.read())
        except OSError as exc:
            raise self.error(exc, doing, name) from exc

    def _info(self, name: str, doing: str) -> pafs.FileInfo:
        try:
            return self.fs.get_file_info(self.key(name) if name else self.base)
        except OSError as exc:
            raise self.error(exc, doing, name) from exc

    def list_objects(self, name: str, doing: str, *, recursive: bool) -> list[pafs.FileInfo]:
        try:
            sel = pafs.FileSelector(self.key(name), recursive=recursive, allow_not_found=True)
            return list(self.fs.get_file_info(sel))
        except OSError as exc:
            raise self.error(exc, doing, name) from exc

    # -- opening ------------------------------------------------------------------------------

    def _open_checked(self) -> dict[str, Any]:
        """The store's marker, after checking the bucket and the prefix; creates the store in
        an empty prefix (the key of hashed columns first, the marker last)."""
        bucket = self.base.split("/", 1)[0]
        if self.backend.scheme in ("gs", "abfs"):
            check_reachable(self.endpoint, self.url, self.backend)
        if self.backend.has_buckets and self.backend.scheme:
            try:
                found = self.fs.get_file_info(bucket)
            except OSError as exc:
                err = self.error(exc, "opening", "")
                if not isinstance(err, ReadOnlyStoreError):
                    raise err from exc
                # Credentials limited to the objects (an Azure container SAS, an S3 policy on a
                # prefix) may not look at the bucket itself; the requests below tell.
            else:
                if found.type == pafs.FileType.NotFound:
                    raise self._no_bucket()
        marker = self._info(layout.MARKER_OBJECT, "opening")
        if marker.type == pafs.FileType.File:
            try:
                data = json.loads(self.get(layout.MARKER_OBJECT, "opening"))
                assert data.get("format") == FORMAT and str(data["store_id"]).isalnum()
            except (ValueError, KeyError, AssertionError) as exc:
                raise InputError(
                    f"{self.where(layout.MARKER_OBJECT)} is not a diaglab store marker; the "
                    "prefix holds something else: choose another prefix"
                ) from exc
            if int(data.get("version", 0)) > FORMAT_VERSION:
                raise InputError(
                    f"{self.url} was written by a newer diaglab (store format "
                    f"{data.get('version')}); upgrade diaglab to open it"
                )
            return dict(data)
        others = [
            i.path[len(self.base) + 1 :]
            for i in self.list_objects("", "opening", recursive=False)
            if i.path[len(self.base) + 1 :] != layout.SENSITIVE_KEY_FILE
        ]
        if others:
            raise InputError(
                f"{self.url} holds {len(others)} object(s) that are not a diaglab store (e.g. "
                f"{sorted(others)[0]!r}): choose an empty prefix for a new store, or the prefix "
                "of an existing one"
            )
        if self.read_only:
            raise InputError(
                f"there is no diaglab store at {self.url} yet: open it once without "
                "read_only=True (with credentials that may write) to create it"
            )
        key = self._info(layout.SENSITIVE_KEY_FILE, "creating the store at")
        if key.type != pafs.FileType.File:
            self.put(layout.SENSITIVE_KEY_FILE, secrets.token_bytes(32), "creating the store at")
        marker_data = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "store_id": secrets.token_hex(16),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.put(
            layout.MARKER_OBJECT,
            json.dumps(marker_data, indent=1).encode(),
            "creating the store at",
        )
        return marker_data

    def _prepare_mirror(self, options: Mapping[str, Any]) -> None:
        """The mirror knows its URL, the store's id (its audit key is found by it) and the key
        of hashed columns, so producers of every host hash alike."""
        from diaglab.store.audit.key import STORE_ID_FILE

        root = self.mirror
        layout.audit_dir(root).mkdir(parents=True, exist_ok=True)
        mirroring.write_atomic(layout.audit_dir(root) / STORE_ID_FILE, self.store_id + "\n")
        key = self.get(layout.SENSITIVE_KEY_FILE, "reading the key of hashed columns of")
        target = root / layout.SENSITIVE_KEY_FILE
        if not target.is_file() or target.read_bytes() != key:
            mirroring.write_atomic(target, key, mode=0o600)
        info = {"url": self.url, "store_id": self.store_id, "options": dict(options)}
        mirroring.write_atomic(layout.remote_file(root), json.dumps(info, indent=1))

    def become_writer(self) -> None:
        """Start this process's chain, and prove now that the credentials may write."""
        from diaglab.store.audit.chain import store_key

        chain = WriterChain(key=store_key(self.mirror))
        about = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        try:
            self.put(layout.writer_key(chain.writer), json.dumps(about).encode(), "writing to")
        except ReadOnlyStoreError as exc:
            raise ReadOnlyStoreError(
                f"{self.url} cannot be written with these credentials ({exc}). Open it with "
                "read_only=True to read it, or "
                f"{self.backend.grant_hint.format(base=self.base)} to log into it"
            ) from exc
        self._chain, self._pending, self.read_only = chain, None, False

    # -- writing ------------------------------------------------------------------------------

    def publish(
        self,
        kind: str,
        model: str,
        segment_id: str,
        local: Path,
        final: Path,
        *,
        rows: int,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Put the segment file ``local`` under its final name, publish it with this writer's
        next record (holding ``extra`` too: a merged segment's ``compacts``), then move
        ``local`` to ``final`` in the mirror.

        Raises StorageError when the store cannot be written: the segment is then not published
        by this call. A record whose write failed is written again before this writer's next
        one, so a retry with the same ``segment_id`` (as the Logger makes) publishes it once.
        """
        if self.read_only or self._chain is None:
            raise ReadOnlyStoreError(
                f"{self.url} was opened read_only=True: open it without read_only to log"
            )
        name = layout.segment_key(kind, model, segment_id)
        digest, size = self._upload(local, name)
        fault_point("segment-uploaded")
        with self._lock:
            if self._chain.forked():
                self.become_writer()
            if self._write_pending() == name:
                mirroring.place_file(local, final)
                return
            assert self._chain is not None
            self._pending = self._chain.next_record(
                {
                    "kind": kind,
                    "model": model,
                    "segment": f"{segment_id}.parquet",
                    "sha256": digest,
                    "bytes": size,
                    "rows": rows,
                    **(extra or {}),
                }
            )
            self._write_pending()
        mirroring.place_file(local, final)

    def _write_pending(self) -> str | None:
        """Write the record that is still pending, if any; the segment name it published."""
        record = self._pending
        if record is None or self._chain is None:
            return None
        name = layout.record_key(record["writer"], record["seq"])
        body = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        try:
            self.put(name, body, "publishing a segment in")
            fault_point("record-written")
        except OSError as exc:
            raise StorageError(
                f"{exc}. The segment is not published yet: this writer writes its record again "
                "before anything else (a Logger retries by itself; after store.log, log the "
                "rows again with the same prediction_ids, which are then stored once)"
            ) from exc
        self._chain.advance(record)
        self._pending = None
        mirroring.note_records(self.mirror, [record])
        if self._chain.key is not None:
            with contextlib.suppress(OSError):  # the record is stored: the write succeeded
                record_head(
                    self._chain.key, f"log/{record['writer']}", record["seq"], record["hash"]
                )
        return layout.segment_key(record["kind"], record["model"], record["segment"][:-8])

    def _upload(self, local: Path, name: str) -> tuple[str, int]:
        h = hashlib.sha256()
        size = 0
        try:
            with open(local, "rb") as src, self._output(self.key(name)) as out:
                for chunk in iter(lambda: src.read(_CHUNK), b""):
                    h.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
        except OSError as exc:
            raise self.error(exc, "writing the segment", name) from exc
        return h.hexdigest(), size

    # -- reading (diaglab.store.mirror) -------------------------------------------------------

    def sync(self) -> int:
        """Copy every newly published segment into the mirror (see :func:`.mirror.sync`)."""
        return mirroring.sync(self)

    def verify(self, *, anchors: Iterable[str] = ()) -> Any:
        """Check every writer's chain and every segment (see :func:`.mirror.verify`)."""
        return mirroring.verify(self, anchors=anchors)
