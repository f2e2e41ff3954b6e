"""Findings in a store: one small segment per finding, chained by hash, readable by any process.

Each finding is one ``segments/findings/<model>/<id>.parquet`` file (``store-wide`` for a
finding of no one model), written like every segment (temporary file, fsync, rename). Its one
row holds the finding's id, title, hash, previous hash and the canonical JSON of the whole
finding. Findings are never ingested into DuckDB: listing them reads these files, so a
read-only process sees them too.

Saving takes an exclusive lock (``.findings.lock`` in the store) so that the previous finding's
hash it links to is the newest one in the store, across processes; ids are time-ordered and
strictly increase along the chain.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, overload

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from diaglab.errors import DamagedFindingWarning, StoreCorruptionError
from diaglab.findings.finding import MIME, Finding, bundle, canonical_json, finding_html
from diaglab.store import layout
from diaglab.store._ids import new_segment_id
from diaglab.store.file_lock import file_lock
from diaglab.store.segments import check_model_name, list_segments, write_segment

KIND = "findings"
# The folder of findings that belong to no one model (e.g. a trace across services).
STORE_WIDE = "store-wide"
_LOCK = layout.FINDINGS_LOCK


def _root(store: Any) -> Path:
    return Path(getattr(store, "path", store)).expanduser().resolve()


def save(store: Any, finding: Finding) -> Finding:
    """Store ``finding`` (a new id, linked to the newest stored finding) and return it sealed."""
    root = _root(store)
    model = check_model_name(finding.model) if finding.model else STORE_WIDE
    with file_lock(root / _LOCK):
        segs = list(list_segments(root, KIND))
        last = segs[-1] if segs else None
        prev = _read(last.path).hash if last else None
        fid = new_segment_id()
        while last is not None and fid <= last.id:  # same millisecond: keep ids increasing
            time.sleep(0.001)
            fid = new_segment_id()
        sealed = replace(finding, id=fid).sealed(prev)
        table = pa.table(
            {
                "finding_id": [sealed.id],
                "title": [sealed.title],
                "created_at": [sealed.created_at],
                "hash": [sealed.hash],
                "prev_hash": pa.array([sealed.prev_hash], pa.string()),
                "finding": [canonical_json(sealed.to_json())],
            }
        )
        write_segment(root, KIND, model, table, segment_id=fid, meta={"finding": fid})
    return sealed


def _read(path: Path) -> Finding:
    fid = path.stem
    try:
        table = pq.read_table(path)
        text = table.column("finding")[0].as_py()
        obj = json.loads(text)
    except Exception as exc:
        raise StoreCorruptionError(
            f"finding {fid} cannot be read: {path} is damaged ({type(exc).__name__}: {exc})"
        ) from exc
    found = Finding.from_json(obj, where=str(path))
    if found.id != fid:
        raise StoreCorruptionError(
            f"finding {found.title!r} in {path} says its id is {found.id}: the file was renamed "
            "or copied from another finding"
        )
    return found


def load(store: Any, model: str | None = None) -> Findings:
    """Every finding stored in ``store`` (a Store or its path), oldest first; one model's with
    ``model=``.

    A damaged finding (unreadable file, or content that no longer matches its hash) does not
    hide the others: it is left out, named in the result's ``damaged`` (one
    :class:`~diaglab.errors.StoreCorruptionError` per file, saying what is wrong) and reported
    by a :class:`DamagedFindingWarning`.
    """
    root = _root(store)
    if model is not None:
        check_model_name(model)
    good: list[Finding] = []
    damaged: list[StoreCorruptionError] = []
    for seg in list_segments(root, KIND, model):
        try:
            good.append(_read(seg.path))
        except StoreCorruptionError as exc:
            damaged.append(exc)
    if damaged:
        warnings.warn(
            f"{len(damaged)} damaged finding(s) left out: "
            + "; ".join(str(e) for e in damaged[:3])
            + ("; ..." if len(damaged) > 3 else "")
            + " (all in .damaged)",
            DamagedFindingWarning,
            stacklevel=3,
        )
    return Findings(good, damaged=damaged)


class Findings(Sequence[Finding]):
    """A list of findings with a DataFrame view (``.frame()``) and the findings display.

    Indexing by position or slice, ``len``, iteration, ``+`` and :meth:`find` by title or id.
    ``damaged`` lists the stored findings that could not be read (one error per file, naming
    it and what is wrong); it is empty when every finding read back as written.
    """

    def __init__(
        self, items: Sequence[Finding] = (), *, damaged: Sequence[StoreCorruptionError] = ()
    ) -> None:
        self._items = list(items)
        self.damaged: tuple[StoreCorruptionError, ...] = tuple(damaged)

    @overload
    def __getitem__(self, i: int) -> Finding: ...
    @overload
    def __getitem__(self, i: slice) -> Findings: ...
    def __getitem__(self, i: int | slice) -> Finding | Findings:
        if isinstance(i, slice):
            return Findings(self._items[i])
        return self._items[i]

    def __len__(self) -> int:
        return len(self._items)

    def __add__(self, other: Sequence[Finding]) -> Findings:
        more = other.damaged if isinstance(other, Findings) else ()
        return Findings([*self._items, *other], damaged=(*self.damaged, *more))

    def find(self, text: str) -> Finding:
        """The finding with this id, or the latest whose title is ``text``."""
        for f in reversed(self._items):
            if text in (f.id, f.title):
                return f
        from diaglab.errors import unknown

        raise unknown("finding", text, [f.title for f in self._items])

    def frame(self) -> pd.DataFrame:
        """One row per finding: id, created_at, title, author, explorer, model, rows, hash."""
        return pd.DataFrame(
            [
                {
                    "id": f.id,
                    "created_at": f.created_at,
                    "title": f.title,
                    "author": f.author,
                    "explorer": f.explorer,
                    "model": f.model,
                    "model_version": f.model_version,
                    "rows": len(f.table.get("rows", [])),
                    "hash": f.hash[:12],
                }
                for f in self._items
            ],
            columns=[
                "id",
                "created_at",
                "title",
                "author",
                "explorer",
                "model",
                "model_version",
                "rows",
                "hash",
            ],
        )

    def bundle(self) -> dict[str, Any]:
        return bundle(self._items)

    def __repr__(self) -> str:
        bad = f", {len(self.damaged)} damaged" if self.damaged else ""
        return f"<diaglab.Findings: {len(self)} finding(s){bad}>"

    def _repr_html_(self) -> str:
        if not self._items:
            return "<i>no findings</i>"
        return "".join(finding_html(f, max_rows=10) for f in self._items)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {MIME: self.bundle(), "text/html": self._repr_html_()}
