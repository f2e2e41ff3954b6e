"""Damaged segment files, moved aside so that one bad file never blocks a whole store.

A segment appears under ``segments/`` only complete (temporary file, fsync, rename), so a file
there that cannot be read was damaged afterwards: truncated by a copy, changed on disk, written
by a faulty device. Whoever finds one (a refresh, a read-only process building its views) moves
it to ``quarantine/<kind>/<model>/<id>.parquet`` with a ``<id>.json`` beside it saying why and
when, and goes on with the others. Nothing is deleted: the file can be inspected, repaired and
moved back, after which the next refresh ingests it.

:func:`damaged_segments` lists what was moved aside (``diaglab info`` prints it, ``verify`` can
report it); a moved file's audit record remains, and ``verify`` names it as quarantined, with
the reason, instead of as removed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq

from diaglab.store import layout

if TYPE_CHECKING:  # segments imports the audit package, whose verify imports this module
    from diaglab.store.segments import Segment

log = logging.getLogger("diaglab")

QUARANTINE_DIR = layout.QUARANTINE


@dataclass(frozen=True)
class DamagedSegment:
    """A segment file moved aside because it could not be read.

    Attributes
    ----------
    kind, model, id : str
        The segment's stream and id.
    path : Path
        Where the file is now (under ``quarantine/``).
    original : Path
        Where it was (under ``segments/``).
    reason : str
        What reading it said.
    quarantined_at : str
        ISO time in UTC.
    """

    kind: str
    model: str
    id: str
    path: Path
    original: Path
    reason: str
    quarantined_at: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.model}/{self.id}.parquet: {self.reason} (now at {self.path})"


def readable(segment: Segment) -> str | None:
    """None when the segment's Parquet footer reads back, else the reason it does not."""
    try:
        meta = pq.read_metadata(segment.path)
    except FileNotFoundError:
        return None  # moved aside by another process meanwhile; nothing to ingest
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for a damaged file
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]}"
    if meta.num_columns == 0:
        return "the file has no columns"
    return None


def quarantine(root: Path, segment: Segment, reason: str) -> DamagedSegment:
    """Move ``segment`` to the store's quarantine with a note saying why; return the record."""
    dest_dir = layout.quarantine_dir(root, segment.kind, segment.model)
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / f"{segment.id}.parquet"
    now = datetime.now(UTC).isoformat(timespec="seconds")
    note = {
        "kind": segment.kind,
        "model": segment.model,
        "segment": segment.id,
        "original": str(segment.path.relative_to(root)),
        "reason": reason,
        "quarantined_at": now,
    }
    with contextlib.suppress(FileNotFoundError):  # another process moved it first
        os.replace(segment.path, dest)  # a rename: works on a full disk too
    tmp = dest_dir / f".{segment.id}.json.tmp"
    try:
        tmp.write_text(json.dumps(note, indent=1))
        os.replace(tmp, dest_dir / f"{segment.id}.json")
    except OSError:  # e.g. a full disk: the file is listed without its note
        tmp.unlink(missing_ok=True)
    log.warning(
        "diaglab store %s: damaged segment %s moved to %s (%s); the other segments are unaffected",
        root,
        segment.path,
        dest,
        reason,
    )
    return DamagedSegment(segment.kind, segment.model, segment.id, dest, segment.path, reason, now)


def damaged_segments(root: str | Path) -> list[DamagedSegment]:
    """Every segment file of the store at ``root`` that was moved aside as damaged, oldest
    first."""
    root_path = Path(root)
    base = root_path / QUARANTINE_DIR
    found: list[DamagedSegment] = []
    if not base.is_dir():
        return found
    for orphan in base.glob("*/*/*.parquet"):
        if not orphan.with_suffix(".json").is_file():
            kind, model = orphan.parent.parent.name, orphan.parent.name
            original = layout.segment_dir(root_path, kind, model) / orphan.name
            found.append(
                DamagedSegment(
                    kind, model, orphan.stem, orphan, original, "unreadable (no note kept)", ""
                )
            )
    for note_path in base.glob("*/*/*.json"):
        try:
            note = json.loads(note_path.read_text())
            found.append(
                DamagedSegment(
                    str(note["kind"]),
                    str(note["model"]),
                    str(note["segment"]),
                    note_path.with_suffix(".parquet"),
                    root_path / str(note["original"]),
                    str(note["reason"]),
                    str(note["quarantined_at"]),
                )
            )
        except (OSError, ValueError, KeyError) as exc:
            found.append(
                DamagedSegment(
                    "?",
                    note_path.parent.name,
                    note_path.stem,
                    note_path,
                    note_path,
                    f"unreadable quarantine note: {exc}",
                    "",
                )
            )
    found.sort(key=lambda d: d.id)
    return found
