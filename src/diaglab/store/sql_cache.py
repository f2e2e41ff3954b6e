"""The per-user cache of compiled SQL, kept on disk like ``__pycache__``.

:mod:`diaglab.store.compiled` compiles each query shape once per process; this directory carries
that SQL to the next process (:func:`~diaglab.store.compiled.fetch_over`'s templates over the
stand-in table with the Arrow schema of their result, and the store backends' compiled
expressions), so a fresh kernel's first drift table does not compile for 100–300 ms.

Where it lives: ``$DIAGLAB_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/diaglab/sql``, else
``~/.cache/diaglab/sql``. Each entry is named by a digest (sha256) of everything its SQL depends on:
the engine and its SQL dialect, the versions of diaglab, Ibis, sqlglot and the engine, the diaglab
sources it was built by, and the expression (as text that is the same in every process) or, for a
template, the stand-in's schema, the columns selected from it and the caller's key. A new version
therefore misses and compiles again; nothing is ever invalidated in place.
The cache is an optimisation only: an unreadable or corrupt entry is compiled again, an unwritable
directory means no persistence, and deleting the directory (or :func:`clear`) is always safe.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime
import decimal
import enum
import functools
import hashlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

ENV = "DIAGLAB_CACHE_DIR"
FORMAT = 1
"""The entries' layout; part of every digest, so a new layout never reads an old entry."""
MAX_ENTRIES = 2000
"""Past this many entries, the least recently used are removed down to ``KEEP``."""
KEEP = 1500
PRUNE_EVERY = 64
"""A process looks for entries to remove on its first save and every this many after."""
STALE_TEMP_S = 3600.0
"""A temporary file this old was left by a process that died while writing it."""
_SAVES = 0


def cache_dir() -> Path | None:
    """The directory of this user's compiled SQL (None when no home directory is known)."""
    explicit = os.environ.get(ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):  # the XDG spec ignores a relative path
        return Path(xdg) / "diaglab" / "sql"
    try:
        return Path.home() / ".cache" / "diaglab" / "sql"
    except RuntimeError:
        return None


def clear() -> int:
    """Remove every entry of this user's compiled-SQL cache; returns how many were removed."""
    directory = cache_dir()
    removed = 0
    if directory is None or not directory.is_dir():
        return 0
    for entry in _entries(directory):
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed += 1
    return removed


class SqlCache:
    """Compiled templates in one directory: ``load`` and ``save`` by digest, never raising."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def load(self, digest: str) -> tuple[str, pa.Schema | None] | None:
        """The SQL and result schema (if one was saved) saved under ``digest``; None when absent
        or unreadable."""
        path = self.directory / f"{digest}.json"
        try:
            entry = json.loads(path.read_bytes())
            if entry["format"] != FORMAT or entry["digest"] != digest:
                return None
            sql, saved = entry["sql"], entry["schema"]
            schema = None
            if saved is not None:
                schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(saved)))
            if not isinstance(sql, str):
                return None
        except Exception:  # absent, truncated, not ours: compile again and overwrite it
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # last used now: pruning removes the least recently used
        return sql, schema

    def save(self, digest: str, sql: str, schema: pa.Schema | None) -> bool:
        """Write the template under ``digest`` (a temporary file renamed into place, so a reader
        never sees half of one); False when the directory cannot be written."""
        entry = {
            "format": FORMAT,
            "digest": digest,
            "sql": sql,
            "schema": None
            if schema is None
            else base64.b64encode(schema.serialize().to_pybytes()).decode("ascii"),
        }
        temp = None
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.directory)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry, fh)
            os.replace(temp, self.directory / f"{digest}.json")
        except OSError:
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
            return False
        global _SAVES
        _SAVES += 1
        if _SAVES == 1 or _SAVES % PRUNE_EVERY == 0:
            self._prune()
        return True

    def _prune(self) -> None:
        now = time.time()
        kept: list[tuple[float, str]] = []
        for entry in _entries(self.directory, temps=True):
            with contextlib.suppress(OSError):
                mtime = entry.stat().st_mtime
                if entry.name.startswith(".tmp-"):
                    if now - mtime > STALE_TEMP_S:
                        os.unlink(entry.path)
                else:
                    kept.append((mtime, entry.path))
        if len(kept) > MAX_ENTRIES:
            kept.sort()
            for _, path in kept[: len(kept) - KEEP]:
                with contextlib.suppress(OSError):
                    os.unlink(path)


def digest(parts: Iterable[str]) -> str:
    """The sha256 of ``parts`` with the environment every template depends on."""
    h = hashlib.sha256()
    for part in (f"diaglab-sql/{FORMAT}", *environment(), *parts):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def environment() -> tuple[str, ...]:
    """The versions of diaglab, Ibis and sqlglot, and a fingerprint of diaglab's sources."""
    versions = [
        f"{name}={getattr(sys.modules.get(name), '__version__', '?')}"
        for name in ("diaglab", "ibis", "sqlglot")
    ]
    return (*versions, f"sources={_sources()}")


def stable_repr(value: Any) -> str | None:
    """A text naming ``value`` the same way in every process, or None when it has none.

    Tuples, frozensets, str, bytes, int, float, bool, None, enum members, dates and times,
    decimals, NumPy scalars and frozen dataclasses of those: each tagged with its type, so ``1``,
    ``1.0`` and ``True`` differ.
    Anything else (an object whose repr holds its address, a mutable container) has none.
    """
    try:
        return _stable(value)
    except _Unstable:
        return None


class _Unstable(Exception):
    pass


# values whose repr names them completely (a time zone by its repr)
_BY_REPR = (datetime.date, datetime.time, datetime.timedelta, decimal.Decimal, uuid.UUID)


def _stable(v: Any) -> str:
    if v is None:
        return "N"
    if isinstance(v, enum.Enum):
        return f"E:{type(v).__module__}.{type(v).__qualname__}.{v.name}"
    t = type(v)
    if t is bool:
        return f"b:{v}"
    if t is int:
        return f"i:{v}"
    if t is float:
        return f"f:{v!r}"
    if t is str:
        return f"s:{v!r}"
    if t is bytes:
        return f"y:{v!r}"
    if t is tuple:
        return "(" + ",".join(_stable(x) for x in v) + ")"
    if t is frozenset:
        return "{" + ",".join(sorted(_stable(x) for x in v)) + "}"
    if isinstance(v, _BY_REPR):
        text = repr(v)
        if " at 0x" in text:  # e.g. a time zone without a repr of its own
            raise _Unstable(t)
        return f"{t.__module__}.{t.__qualname__}:{text}"
    if isinstance(v, np.generic) and not isinstance(v, np.object_):
        return f"np.{t.__name__}:{_stable(v.item())}"
    if dataclasses.is_dataclass(v) and not isinstance(v, type) and t.__dataclass_params__.frozen:
        fields = ",".join(f"{f.name}={_stable(getattr(v, f.name))}" for f in dataclasses.fields(v))
        return f"D:{t.__module__}.{t.__qualname__}({fields})"
    raise _Unstable(t)


@functools.cache
def _sources() -> str:
    """A fingerprint of the diaglab package's source files (path, size, modification time), so
    that a template built by other code (an edited checkout) is never read back."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        with contextlib.suppress(OSError):
            st = path.stat()
            h.update(f"{path.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}\0".encode())
    return h.hexdigest()[:16]


def _entries(directory: Path, *, temps: bool = False) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as it:
            return [
                e for e in it if e.name.endswith(".json") and (temps or not e.name.startswith("."))
            ]
    except OSError:
        return []
