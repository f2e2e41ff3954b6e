"""A Logger's health: its counters, the problems they show, and write errors in words."""

from __future__ import annotations

import errno
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class LoggerStats:
    """A Logger's counters, for a health check or a dashboard.

    Attributes
    ----------
    written, rejected, dropped : int
        Rows stored; rows quarantined in ``rejected/``; rows dropped by ``when_full="drop_oldest"``.
    pending : int
        Rows buffered, not yet durable (a crash would lose them).
    oldest_pending_seconds : float
        Age of the oldest pending row (0.0 when none).
    write_errors : int
        Writes that failed for a reason outside the rows (disk full, I/O error, permission) and
        were retried.
    writer_alive : bool
    last_error : str or None
        The last write failure, e.g. ``"disk full at /data/store (...)"``; None once a later
        write succeeded.
    """

    written: int
    rejected: int
    dropped: int
    pending: int
    oldest_pending_seconds: float
    write_errors: int
    writer_alive: bool
    last_error: str | None


def health_report(
    stats: LoggerStats, *, max_pending_rows: int, flush_seconds: float
) -> dict[str, Any]:
    """``{"ok": bool, "problems": [...], **stats}`` for a service's health endpoint.

    Not ok when the writer thread died, when the last write failed with rows pending, or when
    the buffer is over 90% full or its oldest row older than 10 x ``flush_seconds``.
    """
    s = stats
    problems = []
    if not s.writer_alive:
        problems.append("the writer thread is not running")
    if s.last_error is not None and s.pending:
        problems.append(f"cannot write: {s.last_error}")
    if s.pending > 0.9 * max_pending_rows:
        problems.append(f"buffer {s.pending}/{max_pending_rows} rows full")
    if s.oldest_pending_seconds > 10 * flush_seconds:
        problems.append(f"oldest pending row is {s.oldest_pending_seconds:.1f} s old")
    return {"ok": not problems, "problems": problems, **asdict(s)}


_ERRNO_WORDS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EIO: "I/O error",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "read-only file system",
}


def describe(exc: OSError, path: Path) -> str:
    """A write failure in words, e.g. ``disk full at /data/store/.tmp/x.parquet (...)``."""
    what = _ERRNO_WORDS.get(exc.errno or 0, type(exc).__name__)
    where = exc.filename or path
    return f"{what} at {where} ({exc.strerror or exc})"
