"""A scratch store that shares the sample's files: for notebooks that capture findings.

Capturing writes findings into the store, and opening one writes its DuckDB file. A notebook
that did so in the committed sample left findings that duplicated on every run; one that copied
the sample left ~80 MB in the temporary folder per run. A working copy hard-links the sample's
segment files (immutable once written: every write is a new file) and copies the few small files
that are appended to, so it costs almost no space, and it is removed when the process exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

# What a store grows at run time (DESIGN.md: the DuckDB file can always be rebuilt from segments),
# and what a demo adds to it: none of it belongs in a fresh copy.
_SKIP = shutil.ignore_patterns(
    "*.duckdb", "*.duckdb.wal", ".tmp", "cache", "rejected", "findings", "panels", "*.lock"
)


def _link_or_copy(src: str, dst: str) -> str:
    if src.endswith(".parquet"):
        try:
            os.link(src, dst)
            return dst
        except OSError:  # another file system, or links not allowed: a plain copy
            pass
    return str(shutil.copy2(src, dst))


def working_copy(source: str | os.PathLike[str], *, keep: bool = False) -> Path:
    """A scratch copy of the store at ``source`` in the temporary folder, sharing its segment
    files by hard link; removed when the process exits unless ``keep``.

    Returns the copy's path (``<tmp>/diaglab-work-…/<name of source>``).
    """
    source = Path(source)
    if not source.is_dir():
        raise FileNotFoundError(f"no store at {source}")
    root = Path(tempfile.mkdtemp(prefix="diaglab-work-"))
    target = root / source.name
    shutil.copytree(source, target, ignore=_SKIP, copy_function=_link_or_copy)
    if not keep:
        atexit.register(shutil.rmtree, root, ignore_errors=True)
    return target
