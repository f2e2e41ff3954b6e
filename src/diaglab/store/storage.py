"""What the disk refused: turning OSError and DuckDB's I/O errors into one clear StorageError.

A full disk, an I/O error or a missing permission reaches diaglab in three shapes: an ``OSError``
from a file write (``errno`` set), a pyarrow ``OSError`` whose text carries the C library's message,
and a DuckDB ``IOException``/``TransactionException``/``FatalException`` whose text does, sometimes
wrapped in "Failed to commit". Callers pass what they were doing and where, so the error says
"disk full while writing the segment …/predictions/m/….parquet" instead of a library's words.
"""

from __future__ import annotations

import errno as errno_codes
from pathlib import Path

from diaglab.errors import StorageError

# The C library's messages for the codes diaglab names, as they appear inside library errors.
_MESSAGES = {
    errno_codes.ENOSPC: ("No space left on device", "disk full"),
    errno_codes.EDQUOT: ("Disk quota exceeded", "disk quota exceeded"),
    errno_codes.EIO: ("Input/output error", "I/O error"),
    errno_codes.EROFS: ("Read-only file system", "read-only file system"),
    errno_codes.EACCES: ("Permission denied", "permission denied"),
    errno_codes.EPERM: ("Operation not permitted", "operation not permitted"),
}


def errno_of(exc: BaseException) -> int | None:
    """The operating system error behind ``exc`` (or a cause of it), if one can be told."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        code = getattr(cur, "errno", None)
        if isinstance(code, int) and code in _MESSAGES:
            return code
        text = str(cur)
        for code, (message, _) in _MESSAGES.items():
            if message in text:
                return code
        cur = cur.__cause__ or cur.__context__
    return None


def storage_error(
    exc: BaseException, *, doing: str, path: Path | str, consequence: str | None = None
) -> StorageError | None:
    """A :class:`StorageError` saying what failed and where, or None when ``exc`` is not the
    disk's refusal (then the caller re-raises it as it is). ``consequence`` replaces the
    default ending ("nothing from this call was stored ...")."""
    if isinstance(exc, StorageError):
        return exc
    code = errno_of(exc)
    if code is None:
        return None
    what = _MESSAGES[code][1]
    err = StorageError(
        f"{what} while {doing} {path} ({type(exc).__name__}: {_first_line(exc)}); "
        + (
            consequence
            or "nothing from this call was stored: free space or fix the disk, then retry the call"
        )
    )
    err.errno = code
    err.filename = str(path)
    return err


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else ""
