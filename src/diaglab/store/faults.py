"""Named steps of the write paths, where the fault-injection tests crash or fail a store.

``tests/faults`` proves the crash guarantees of docs/reliability.md by stopping a process at
each step: a subprocess started with ``DIAGLAB_FAULT_KILL_AT=<step>`` SIGKILLs itself when it
reaches that step; in-process tests put a callable in :data:`hooks` (raise ``OSError(ENOSPC)``,
``OSError(EIO)``, ...). Outside tests a step costs one dictionary lookup.

Steps, in the order a write reaches them:

``segment-written``
    a segment's temporary file is complete and fsynced, not yet renamed into place.
``segment-renamed``
    the segment is in place, its audit record not yet appended.
``segment-uploaded``
    on object storage: the segment is stored under its final name, its record not yet written.
``record-written``
    on object storage: the record publishing a segment is stored, its writer not yet told so.
``ingest-inserted``
    a refresh inserted a group of segments into DuckDB, not yet committed.
``log-inserted``
    ``Store.log`` inserted its batch into DuckDB, not yet committed.
``rebuild-built``
    ``rebuild`` filled the new DuckDB file, not yet swapped in for the old one.
``compaction-merged``
    compaction chained a merged segment; the files it replaces not yet deleted.
``compaction-deleting``
    compaction is about to delete one replaced file.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

STEPS = (
    "segment-written",
    "segment-renamed",
    "segment-uploaded",
    "record-written",
    "ingest-inserted",
    "log-inserted",
    "rebuild-built",
    "compaction-merged",
    "compaction-deleting",
)
KILL_ENV = "DIAGLAB_FAULT_KILL_AT"
hooks: dict[str, Callable[[], None]] = {}
"""Step name -> callable run when a write reaches it (tests only)."""

_kill_at = os.environ.get(KILL_ENV)


def fault_point(step: str) -> None:
    """Reach ``step``: die here if this process was told to, or run the test's hook."""
    if _kill_at == step:
        os.kill(os.getpid(), signal.SIGKILL)
    hook = hooks.get(step)
    if hook is not None:
        hook()
