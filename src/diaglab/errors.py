"""diaglab's error tree.

Every error diaglab raises on purpose derives from :class:`DiaglabError` and also from the builtin a
caller would naturally catch (``ValueError`` for bad input, ``LookupError`` for unknown names, ...),
so ``except ValueError`` keeps working for code that does not know diaglab.
"""

from __future__ import annotations


class DiaglabError(Exception):
    """Base class of every error diaglab raises on purpose."""


class InputError(DiaglabError, ValueError):
    """Input that cannot be stored or used as given: wrong length, bad value, bad type."""


class SchemaError(InputError):
    """Input that conflicts with what a model's schema already records (e.g. text into a number)."""


class DuplicateIdError(InputError):
    """Prediction ids that are repeated in a batch or already stored."""


class UnknownNameError(DiaglabError, LookupError):
    """A model, column, version or id that the store does not know."""

    def __str__(self) -> str:  # LookupError would repr() a single argument; show the message
        return str(self.args[0]) if self.args else ""


class FilterError(InputError):
    """A filter expression that does not parse or names unknown columns."""


class ReadOnlyStoreError(DiaglabError, PermissionError):
    """A write that needs the DuckDB file while another process holds it."""


class UntrustedModelError(DiaglabError, PermissionError):
    """Loading a pickled model, which runs code, without ``trust=True``."""


class LogWriteError(DiaglabError, OSError):
    """Rows a Logger could not write (disk full, I/O error, permission): kept in memory, retried."""


class LoggerFullError(DiaglabError, RuntimeError):
    """A Logger's buffer stayed full for ``block_seconds``: the call was not logged."""


class StoreCorruptionError(DiaglabError, RuntimeError):
    """A segment or ledger that cannot be read back as written."""


class StorageError(DiaglabError, OSError):
    """The disk refused a write (full, I/O error, permission); the call stored nothing.

    ``errno`` is the operating system's code (e.g. ``errno.ENOSPC``) when one is known.
    """

    def __str__(self) -> str:  # OSError would print "[Errno 28] None" once errno is set
        return str(self.args[0]) if self.args else ""


class DiaglabWarning(UserWarning):
    """Base class of the warnings diaglab gives on purpose: a result that is less than it seems
    (e.g. alert bands left out for too little baseline), rows stored but not yet queryable."""


class IngestDeferredWarning(DiaglabWarning):
    """Rows were stored (their segment is durable) but DuckDB could not ingest them yet; the
    next refresh does. Logging them again would store them twice."""


class DamagedFindingWarning(DiaglabWarning):
    """Some stored findings could not be read; ``Findings.damaged`` names them."""


def unknown(
    kind: str, name: object, known: list[str] | tuple[str, ...] | set[str]
) -> UnknownNameError:
    """An :class:`UnknownNameError` that names the valid choices."""
    choices = ", ".join(sorted(str(k) for k in known)) or "(none)"
    return UnknownNameError(f"unknown {kind} {name!r}; known: {choices}")
