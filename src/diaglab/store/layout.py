"""Every path inside a store directory, and every object name inside a store's prefix.

A local store is a directory::

    segments/<kind>/<model>/<id>.parquet   the source of truth (``segments.py``)
    .tmp/                                  files being written; DuckDB's spill under .tmp/duckdb
    rejected/<model>/<chunk>.jsonl         rows a Logger refused (``producers/flush.py``)
    quarantine/<kind>/<model>/             segments a refresh could not read (``quarantine.py``)
    audit/<kind>/<model>.chain             hash chains (``audit/``); audit/store-id
    models/<model>/schema.json             each model's schema (``schema.py``)
    models/<model>/versions/<v>/           registered model files (``models.py``)
    .findings.lock                         serializes finding ids (``findings/stored.py``)
    panels/<model>/<name>.json             saved panel states (``explorers/panel_state.py``)
    sensitive.key                          the key of hashed columns (``sensitive.py``)
    diaglab.duckdb                         the query-ready copy, rebuilt from the segments

A store on object storage (``s3://bucket/prefix``, see :mod:`diaglab.store.object_store`) holds
under its prefix only what many hosts share::

    diaglab-store.json                     the marker: format and store id (no credentials)
    sensitive.key                          the key of hashed columns, shared by every producer
    segments/<kind>/<model>/<id>.parquet   written once under its final name
    log/<writer>/<seq>.json                one record per published segment (per-writer chain)
    compaction/<kind>/<model>/<id>.json    a compaction's lease on one stream, while it runs

and everything else (the DuckDB copy, schemas, quarantine, registered models) lives in a local
*mirror* directory laid out as above, under the user's cache directory.
"""

from __future__ import annotations

import re
from pathlib import Path

from diaglab.errors import InputError

SEGMENTS = "segments"
TMP = ".tmp"
REJECTED = "rejected"
QUARANTINE = "quarantine"
AUDIT = "audit"
MODELS = "models"
SCHEMA_FILE = "schema.json"
DB_FILE = "diaglab.duckdb"
PANELS = "panels"
SENSITIVE_KEY_FILE = "sensitive.key"
FINDINGS_LOCK = ".findings.lock"
# A local directory that mirrors a store on object storage names its URL here.
REMOTE_FILE = "remote.json"
SYNC_FILE = ".remote-sync.json"  # per writer, the next record a mirror has not read yet
SYNC_LOCK = ".remote-sync.lock"
RECORDS_FILE = ".remote-records.jsonl"  # the records a mirror has read: what compaction checks
# Names inside an object-storage prefix.
MARKER_OBJECT = "diaglab-store.json"
LOG = "log"
LEASES = "compaction"
STORE_DIRS = (SEGMENTS, MODELS, AUDIT)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_file_name(what: str, name: object, *, hint: str = "") -> str:
    """``name`` if it can become a file or directory name in a store (a model, a version, a saved
    panel state, an export); else an :class:`InputError` naming ``what`` and the rule."""
    if not isinstance(name, str) or not NAME.match(name) or ".." in name:
        raise InputError(
            f"invalid {what} {name!r}: use 1-64 letters, digits, '_', '-' or '.', "
            f"starting with a letter or digit{hint}"
        )
    return name


def segment_dir(root: Path, kind: str, model: str) -> Path:
    return root / SEGMENTS / kind / model


def segment_path(root: Path, kind: str, model: str, segment_id: str) -> Path:
    return segment_dir(root, kind, model) / f"{segment_id}.parquet"


def tmp_dir(root: Path) -> Path:
    return root / TMP


def spill_dir(root: Path) -> Path:
    """Where DuckDB spills what does not fit in memory."""
    return root / TMP / "duckdb"


def rejected_dir(root: Path, model: str) -> Path:
    return root / REJECTED / model


def quarantine_dir(root: Path, kind: str, model: str) -> Path:
    return root / QUARANTINE / kind / model


def audit_dir(root: Path) -> Path:
    return root / AUDIT


def model_dir(root: Path, model: str) -> Path:
    return root / MODELS / model


def versions_dir(root: Path, model: str) -> Path:
    """Where a model's registered versions live, one folder each."""
    return model_dir(root, model) / "versions"


def version_dir(root: Path, model: str, version: str) -> Path:
    return versions_dir(root, model) / version


def panel_dir(root: Path, model: str) -> Path:
    return root / PANELS / model


def schema_path(root: Path, model: str) -> Path:
    return model_dir(root, model) / SCHEMA_FILE


def db_path(root: Path, db_file: str = DB_FILE) -> Path:
    return root / db_file


def remote_file(root: Path) -> Path:
    return root / REMOTE_FILE


def sync_file(root: Path) -> Path:
    return root / SYNC_FILE


def records_file(root: Path) -> Path:
    return root / RECORDS_FILE


def is_store(root: Path) -> bool:
    """Whether ``root`` holds any of a store's directories."""
    return any((root / d).is_dir() for d in STORE_DIRS)


# -- object names, relative to a store's prefix ------------------------------------------------


def segment_key(kind: str, model: str, segment_id: str) -> str:
    return f"{SEGMENTS}/{kind}/{model}/{segment_id}.parquet"


def writer_key(writer: str) -> str:
    """Who a writer is (host, process, start): written when it opens the store, which also
    proves early that the credentials may write."""
    return f"{LOG}/{writer}/writer.json"


def record_key(writer: str, seq: int) -> str:
    """The record publishing a writer's ``seq``-th segment; zero-padded, so names sort by seq."""
    return f"{LOG}/{writer}/{seq:012d}.json"


def lease_key(kind: str, model: str, lease: str = "") -> str:
    """A compaction's lease on the stream ``kind``/``model``; without ``lease``, their folder."""
    folder = f"{LEASES}/{kind}/{model}"
    return f"{folder}/{lease}.json" if lease else folder
