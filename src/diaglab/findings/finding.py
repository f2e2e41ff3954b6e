"""``Finding``: a claim and its evidence, as one frozen, hashable, JSON-ready record.

A finding holds what a person saw (the result table and chart), how to get it again (the query:
the ``dl.`` call, its function and keyword arguments, the Ibis expression and the SQL it compiled
to), on which data (the selection, the store's watermark, the model version), and what
``diaglab recheck`` compares later (``claim``). Its ``hash`` is the SHA-256 of its canonical JSON
without the hash; ``prev_hash`` links it to the finding stored before it in the same store.

The JSON form is the findings bundle contract, version 1 (``docs/findings.md``,
``findings-v1.schema.json``); a bundle of several findings is :func:`bundle`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from diaglab.errors import InputError, StoreCorruptionError

MIME = "application/vnd.diaglab.findings+json"
SCHEMA = "diaglab.findings"
VERSION = 1
# A finding is evidence, not a data dump: tables longer than this keep their first rows.
MAX_ROWS = 200

_OPTIONAL_MAPPINGS = ("chart", "watermark", "claim", "state")


def plain(v: Any) -> Any:
    """``v`` as JSON-safe values: NaN/inf as None, timestamps as ISO text, numpy as Python."""
    if isinstance(v, Mapping):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, tuple | list | set | frozenset):
        return [plain(x) for x in v]
    if isinstance(v, pd.Timestamp | datetime | date):
        return v.isoformat()
    if hasattr(v, "tolist") and not isinstance(v, str | bytes):  # numpy arrays and scalars
        return plain(v.tolist())
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if v is None or isinstance(v, bool | int | float | str):
        return v
    if v is pd.NA or v is pd.NaT:
        return None
    return str(v)


def canonical_json(obj: Any) -> str:
    """The one JSON text of ``obj`` that hashes are taken over: sorted keys, no spaces, UTF-8."""
    return json.dumps(plain(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def table_json(frame: pd.DataFrame | None, *, max_rows: int = MAX_ROWS) -> dict[str, Any]:
    """A DataFrame as the contract's ``{"columns": [...], "rows": [[...]]}`` (first rows)."""
    if frame is None or (frame.empty and not len(frame.columns)):
        return {"columns": [], "rows": []}
    head = frame.head(max_rows)
    rows = [[plain(v) for v in rec] for rec in head.itertuples(index=False, name=None)]
    out: dict[str, Any] = {"columns": [str(c) for c in head.columns], "rows": rows}
    if len(frame) > max_rows:
        out["total_rows"] = len(frame)
    return out


@dataclass(frozen=True)
class Finding:
    """One finding: title, note, author, the selection and query, the evidence and its hash.

    Build one with ``explorer.capture(title)`` or :func:`diaglab.finding`; list a store's with
    :func:`diaglab.findings`; export with :func:`diaglab.export`. ``to_json()`` is the
    contract's finding object; displayed in a notebook it renders as
    ``application/vnd.diaglab.findings+json`` with an HTML fallback.

    Attributes
    ----------
    id : str
        Unique and time-ordered (the id of the segment it is stored in).
    table : dict
        ``{"columns": [...], "rows": [[...]]}``; :meth:`frame` gives it as a DataFrame.
    chart : dict or None
        A Vega-Lite spec; ``chart_svg`` is its static rendering.
    claim : dict or None
        What ``recheck`` compares: key columns, compared columns, the rows and a tolerance.
    hash, prev_hash : str, str or None
        SHA-256 of the canonical JSON without ``hash``; the previous finding's hash in the store.
    """

    id: str
    title: str
    note: str = ""
    author: str = ""
    created_at: str = ""
    explorer: str | None = None
    model: str | None = None
    model_version: str | None = None
    selection: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    table: Mapping[str, Any] = field(default_factory=lambda: {"columns": [], "rows": []})
    chart: Mapping[str, Any] | None = None
    chart_svg: str | None = None
    watermark: Mapping[str, Any] | None = None
    claim: Mapping[str, Any] | None = None
    state: Mapping[str, Any] | None = None
    prev_hash: str | None = None
    hash: str = ""

    # -- JSON -------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The contract's finding object (plain JSON values)."""
        out = {f.name: plain(getattr(self, f.name)) for f in fields(self)}
        if out["state"] is None:
            del out["state"]  # optional extra key
        return out

    def content_hash(self) -> str:
        """SHA-256 hex of the canonical JSON of this finding without its ``hash``."""
        body = self.to_json()
        body.pop("hash", None)
        return hashlib.sha256(canonical_json(body).encode()).hexdigest()

    def sealed(self, prev_hash: str | None) -> Finding:
        """This finding linked to ``prev_hash``, with its hash computed."""
        linked = replace(self, prev_hash=prev_hash, hash="")
        return replace(linked, hash=linked.content_hash())

    @classmethod
    def from_json(cls, obj: Any, *, where: str = "") -> Finding:
        """A Finding from its JSON object; a clear error naming the finding when it is damaged.

        Unknown extra keys are ignored (newer writers may add optional keys). When ``hash``
        is present it must match the content.
        """
        label = _label(obj) + (f" in {where}" if where else "")
        if not isinstance(obj, Mapping):
            raise StoreCorruptionError(f"{label} is not a JSON object")
        for key in ("id", "title"):
            if not isinstance(obj.get(key), str) or not obj.get(key):
                raise StoreCorruptionError(f"{label} has no {key!r} (text)")
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in obj:
                continue
            value = obj[f.name]
            if f.name in ("selection", "query", "table") and not isinstance(value, Mapping):
                raise StoreCorruptionError(f"{label}: {f.name!r} is not a JSON object")
            if (
                f.name in _OPTIONAL_MAPPINGS
                and value is not None
                and not isinstance(value, Mapping)
            ):
                raise StoreCorruptionError(f"{label}: {f.name!r} is neither an object nor null")
            if f.name in ("note", "author", "created_at") and value is None:
                value = ""
            kwargs[f.name] = value
        table = kwargs.get("table", {"columns": [], "rows": []})
        cols, rows = table.get("columns", []), table.get("rows", [])
        if not isinstance(cols, list) or not isinstance(rows, list):
            raise StoreCorruptionError(f"{label}: table columns/rows are not lists")
        if any(not isinstance(r, list) or len(r) != len(cols) for r in rows):
            raise StoreCorruptionError(f"{label}: a table row does not match its columns")
        found = cls(**kwargs)
        if found.hash and found.hash != found.content_hash():
            raise StoreCorruptionError(
                f"{label}: its content does not match its hash (the finding was changed "
                "after it was recorded)"
            )
        return found

    # -- views ------------------------------------------------------------------------------

    def frame(self) -> pd.DataFrame:
        """The evidence table as a DataFrame."""
        return pd.DataFrame(list(self.table.get("rows", [])), columns=self.table.get("columns", []))

    def __repr__(self) -> str:
        what = f", {self.explorer}" if self.explorer else ""
        return f"<diaglab.Finding {self.title!r} ({self.model}{what}, {self.created_at})>"

    def _repr_html_(self) -> str:
        return finding_html(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {MIME: bundle([self]), "text/html": finding_html(self)}


def bundle(findings: Iterable[Finding], *, created_at: str | None = None) -> dict[str, Any]:
    """The findings bundle (contract version 1) of ``findings``."""
    from diaglab import __version__

    return {
        "schema": SCHEMA,
        "version": VERSION,
        "generator": f"diaglab {__version__}",
        "created_at": created_at or now_iso(),
        "findings": [f.to_json() for f in findings],
    }


def read_bundle(obj: Any, *, where: str = "the bundle") -> list[Finding]:
    """The findings of a bundle (a parsed ``.json`` export); clear errors when damaged."""
    if not isinstance(obj, Mapping) or obj.get("schema") != SCHEMA:
        raise InputError(f"{where} is not a diaglab findings bundle (no schema {SCHEMA!r})")
    if obj.get("version") != VERSION:
        raise InputError(
            f"{where} is findings bundle version {obj.get('version')!r}; "
            f"this diaglab reads version {VERSION}"
        )
    items = obj.get("findings")
    if not isinstance(items, list):
        raise InputError(f"{where} has no list of findings")
    return [Finding.from_json(item, where=where) for item in items]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _label(obj: Any) -> str:
    if isinstance(obj, Mapping):
        title, fid = obj.get("title"), obj.get("id")
        if title or fid:
            return f"finding {title!r} (id {fid})"
    return "a finding"


def finding_html(f: Finding, *, max_rows: int = 20) -> str:
    """A compact, escaped HTML rendering: readable where neither the extension nor a kernel is."""
    esc = html.escape
    meta = " · ".join(
        esc(str(x)) for x in (f.explorer, f.model, f.model_version, f.author, f.created_at) if x
    )
    parts = [
        "<div class='diaglab-finding' style='border-left:3px solid #4c78a8;padding:4px 10px;"
        "margin:4px 0'>",
        f"<div style='font-weight:600'>{esc(f.title)}</div>",
        f"<div style='color:#555;font-size:12px'>{meta}</div>",
    ]
    if f.note:
        parts.append(f"<p style='white-space:pre-wrap'>{esc(f.note)}</p>")
    if f.query.get("call"):
        parts.append(f"<pre style='font-size:11px'>{esc(str(f.query['call']))}</pre>")
    if f.chart_svg:
        parts.append(f"<div>{svg_image(f.chart_svg, alt=f'chart: {f.title}')}</div>")
    parts.append(table_html(f.table, max_rows=max_rows))
    parts.append("</div>")
    return "".join(parts)


def table_html(table: Mapping[str, Any], *, max_rows: int = 20) -> str:
    cols: Sequence[Any] = table.get("columns", [])
    rows: Sequence[Any] = table.get("rows", [])
    if not cols:
        return "<p><i>no table</i></p>"
    esc = html.escape
    head = "".join(f"<th>{esc(str(c))}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(_cell(v))}</td>" for v in row) + "</tr>"
        for row in rows[:max_rows]
    )
    total = table.get("total_rows", len(rows))
    more = (
        f"<p style='color:#555;font-size:12px'>first {min(max_rows, len(rows))} of {total} rows</p>"
        if total > min(max_rows, len(rows))
        else ""
    )
    return (
        "<table class='diaglab-table' style='font-size:12px'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"
    )


def _cell(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list | dict):
        return json.dumps(v)
    return str(v)


def svg_image(svg: str, *, alt: str = "chart") -> str:
    """A static chart as an ``<img>`` whose source is the SVG as a ``data:`` URI ("" when the
    text is not an SVG document).

    A browser runs no script and fetches nothing for an SVG shown as an image, whatever the SVG
    holds (``onload``, ``<animate onbegin>``, ``<foreignObject>``, ...), so a tampered finding's
    chart cannot run code in the page; an inline ``<svg>`` would need a sanitizer that knows
    every element and event attribute of SVG and HTML.
    """
    text = svg.strip()
    if not text.lower().startswith(("<svg", "<?xml")):
        return ""
    data = base64.b64encode(text.encode()).decode("ascii")
    return (
        f"<img class='diaglab-chart-svg' alt='{html.escape(alt, quote=True)}' "
        f"src='data:image/svg+xml;base64,{data}'>"
    )
