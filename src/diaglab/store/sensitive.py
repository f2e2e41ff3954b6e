"""Sensitive columns: stored as keyed hashes, never in clear.

``store.log(..., sensitive=["email"])`` (and ``dl.Logger(..., sensitive=[...])``) replaces each
value of those feature columns by ``HMAC-SHA256(key, text)`` (the first 128 bits, as 32 hex
digits) before anything is written, and records the columns in the model's schema
(``ModelSchema.sensitive``). Once a column is sensitive, every later batch and reference of the
model hashes it too, whether or not the caller names it again. Equal values hash equal, so filters
on a hashed value, joins and group-bys still work; the values themselves cannot be read back.

The key
-------
``DIAGLAB_SENSITIVE_KEY`` (any text, at least 16 characters) when set; otherwise the store's own
``sensitive.key`` file: 32 random bytes created on first use with permissions 0600. Every process
writing a store must use the same key, or equal values stop hashing equal; losing the key file
only means new values no longer match old hashes. Values are hashed as text: ``3`` and ``3.0``
differ, so log a column with one type.

Filters
-------
``where="email = 'ana@example.com'"`` on a sensitive column compares by keyed hash: the filter
compiler (:mod:`diaglab.queries.filters`) asks :func:`hashing_of` which columns of the queried
table are sensitive and hashes the literal before it reaches Ibis, so the clear value is in no
SQL text and no cache entry. A finding stores the filter with the literal replaced by
``hmac-sha256:<hash>`` (:data:`MARK`), which compares the same way when re-run. Only equality
(``=``, ``!=``, ``IN``, ``NOT IN``, ``IS NULL``) can compare hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from diaglab.errors import InputError, SchemaError, unknown
from diaglab.store import layout

KEY_ENV = "DIAGLAB_SENSITIVE_KEY"
KEY_FILE = layout.SENSITIVE_KEY_FILE
DIGEST_HEX = 32
MARK = "hmac-sha256:"  # a literal already replaced by its keyed hash, in a stored filter


def store_key(root: Path) -> bytes:
    """The HMAC key of the store at ``root``: from the environment, else its key file."""
    env = os.environ.get(KEY_ENV)
    if env is not None:
        if len(env) < 16:
            raise InputError(f"{KEY_ENV} must be at least 16 characters long")
        return env.encode()
    path = root / KEY_FILE
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secrets.token_bytes(32))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails when another process created the key first: use theirs
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    key = path.read_bytes()
    if len(key) < 16:
        raise InputError(f"the sensitive-column key {path} is damaged ({len(key)} bytes)")
    return key


def keyed_hash(key: bytes, text: str) -> str:
    """``HMAC-SHA256(key, text)``, its first 128 bits as hex."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:DIGEST_HEX]


def hash_column(column: pa.Array | pa.ChunkedArray, key: bytes) -> pa.Array:
    """Every value of ``column`` as its keyed hash (nulls stay null); each distinct value is
    hashed once."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    if pa.types.is_null(column.type):
        return pa.nulls(len(column), pa.string())
    text = pc.cast(column, pa.string()) if not pa.types.is_string(column.type) else column
    encoded = pc.dictionary_encode(text)
    uniques = encoded.dictionary.to_pylist()
    hashed = pa.array([keyed_hash(key, v) for v in uniques], pa.string())
    return hashed.take(encoded.indices)


def sensitive_columns(
    requested: Iterable[str] | None,
    *,
    recorded: Sequence[str],
    columns: Sequence[str],
    known: Sequence[str],
    model: str,
) -> list[str]:
    """The columns of this batch to hash: those ``requested`` plus those the schema ``recorded``.

    Raises when a requested column is not in the batch, or is a feature already stored in clear
    (hashing it now would mix clear and hashed values in one column).
    """
    if isinstance(requested, str):
        requested = [requested]
    wanted = list(dict.fromkeys(requested or ()))
    for name in wanted:
        if not isinstance(name, str) or name not in columns:
            raise unknown("sensitive column", name, list(columns))
        if name in known and name not in recorded:
            raise SchemaError(
                f"feature {name!r} of model {model!r} is already stored in clear; a column can be "
                "made sensitive only from its first batch (log it under a new name)"
            )
    return [c for c in dict.fromkeys((*recorded, *wanted)) if c in columns]


def hash_table(table: pa.Table, names: Sequence[str], key: bytes) -> pa.Table:
    """``table`` with the ``names`` columns replaced by their keyed hashes."""
    for name in names:
        i = table.schema.get_field_index(name)
        table = table.set_column(i, name, hash_column(table.column(i), key))
    return table


@dataclass(frozen=True)
class Hashing:
    """The sensitive columns of one table of a store, and the key their values are hashed with."""

    columns: frozenset[str]
    key: bytes

    def literal(self, value: Any) -> str:
        """What a filter compares a sensitive column with: the keyed hash of ``value`` as text
        (a value already written as ``hmac-sha256:<hash>`` gives that hash)."""
        text = value if isinstance(value, str) else str(value)
        if text.startswith(MARK):
            return text[len(MARK) :]
        return keyed_hash(self.key, text)


_STORES: dict[int, tuple[weakref.ref[Any], weakref.ref[Any]]] = {}
_LOCK = threading.Lock()


def register_backend(backend: Any, store: Any) -> None:
    """Remember which store an Ibis backend queries, so filters over its tables can find the
    store's sensitive columns."""
    with _LOCK:
        for k in [k for k, (b, s) in _STORES.items() if b() is None or s() is None]:
            del _STORES[k]
        _STORES[id(backend)] = (weakref.ref(backend), weakref.ref(store))


def hashing_of(backend: Any, table: str) -> Hashing | None:
    """The sensitive columns of ``table`` (a model's predictions or reference) on a store's
    ``backend``; None when it has none, or the backend is no store's."""
    with _LOCK:
        refs = _STORES.get(id(backend))
    if refs is None or refs[0]() is not backend:
        return None
    store = refs[1]()
    if store is None:
        return None
    try:
        columns = frozenset(store.schema(table).sensitive or ())
    except LookupError:  # not a model's table (a temporary or stand-in table): nothing hidden
        return None
    return Hashing(columns, store_key(Path(store.path))) if columns else None


__all__ = [
    "KEY_ENV",
    "KEY_FILE",
    "MARK",
    "Hashing",
    "hash_column",
    "hash_table",
    "hashing_of",
    "keyed_hash",
    "register_backend",
    "store_key",
]
