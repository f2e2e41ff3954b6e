"""Request traces: one trace's spans as a waterfall, span statistics over time, finding traces.

``dl.trace(store, trace_id)`` reads one trace (an index lookup on ``trace_key``, not a scan) and
lays it out for a waterfall: depth-first from the root, children by start time, each span with its
offset from the trace's start, its own ("self") time and whether it lies on the critical path.
Imperfect traces are shown, not refused: spans whose parent never arrived are placed at the root
and flagged ``orphan``; children that start before their parent (clock skew between hosts) are
flagged ``clock_skew``; span ids that arrived more than once are flagged with their ``copies``.

Span statistics over time are in :mod:`diaglab.diagnostics.traces.span_stats`, finding traces to
open in :mod:`diaglab.diagnostics.traces.search`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd

from diaglab.errors import InputError, UnknownNameError, unknown
from diaglab.queries.result import Result
from diaglab.store import spans as span_store

if TYPE_CHECKING:
    from diaglab.diagnostics.traces.spec import TraceSpec

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
FIND = ("slowest", "failed", "prediction")
SPAN_QUANTILES = (0.5, 0.95, 0.99)
MIN_DURATION_MS = 1e-3
"""Durations below one microsecond (or negative, under clock skew) count as one microsecond."""
SPAN_COLUMNS = (
    "span_id",
    "parent_span_id",
    "name",
    "service_name",
    "kind",
    "start_ns",
    "end_ns",
    "status",
    "status_message",
    "attributes",
    "resource",
)


def check_trace_id(trace_id: object) -> str:
    """``trace_id`` lower-cased if it is 32 hex digits, else an InputError saying so."""
    if not isinstance(trace_id, str) or not _TRACE_ID.match(trace_id.strip().lower()):
        raise InputError(
            f"a trace id is 32 hex digits (W3C / OpenTelemetry), e.g. "
            f"'4bf92f3577b34da6a3ce929d0e0e4736'; got {trace_id!r}"
        )
    return trace_id.strip().lower()


@dataclass(frozen=True, repr=False)
class Trace(Result):
    """The spans of one trace, ordered for a waterfall.

    Attributes
    ----------
    trace_id : str
    spans : pandas.DataFrame
        One row per span in waterfall order (depth-first, children by start time). Columns:
        ``span_id``, ``parent_span_id``, ``name``, ``service_name``, ``kind``, ``start``, ``end``
        (UTC timestamps, nanosecond precision), ``start_ns``, ``end_ns``, ``offset_ms`` (start
        after the trace's first span), ``duration_ms``, ``self_ms`` (time not covered by its
        children), ``depth`` (0 for roots), ``status``, ``status_message``, ``attributes``
        (dict), ``critical`` (on the critical path), ``orphan`` (its parent never arrived),
        ``clock_skew`` (starts before its parent, or ends after it), ``copies`` (times its id
        arrived; > 1 means duplicates were dropped).
    duration_ms : float
        From the first span's start to the last span's end.
    depth : int
        Deepest nesting (0 when every span is a root).
    critical_path : tuple of str
        Span ids from the root down, each the child that finished last.
    slowest_span : str
        Span id with the largest self time: where the time went.
    slowest_stage : str
        That span's name.
    prediction_ids : dict
        Model → prediction ids logged with this trace id.
    orphans, clock_skew, duplicates, errors : tuple of str
        Span ids flagged so.
    """

    trace_id: str
    spans: pd.DataFrame = field(repr=False)
    duration_ms: float
    depth: int
    critical_path: tuple[str, ...]
    slowest_span: str
    slowest_stage: str
    prediction_ids: dict[str, tuple[str, ...]]
    orphans: tuple[str, ...]
    clock_skew: tuple[str, ...]
    duplicates: tuple[str, ...]
    errors: tuple[str, ...]

    @property
    def table(self) -> pd.DataFrame:
        """The spans (:attr:`spans`): what a finding on a trace shows and compares."""
        return self.spans

    @property
    def flags(self) -> list[str]:
        """Plain-language notes on what is odd about this trace (empty when nothing is)."""
        notes = []
        if self.orphans:
            notes.append(
                f"{len(self.orphans)} span(s) whose parent never arrived, shown at the root"
            )
        if self.clock_skew:
            notes.append(f"{len(self.clock_skew)} span(s) outside their parent's time (clock skew)")
        if self.duplicates:
            notes.append(f"{len(self.duplicates)} span id(s) arrived more than once (one kept)")
        if self.errors:
            notes.append(f"{len(self.errors)} span(s) failed")
        return notes

    def __repr__(self) -> str:
        extra = f"; {'; '.join(self.flags)}" if self.flags else ""
        return (
            f"<Trace {self.trace_id}: {len(self.spans)} spans, {self.duration_ms:.1f} ms, "
            f"slowest stage {self.slowest_stage!r}{extra}>"
        )


def trace(store: Any, spec: TraceSpec) -> Trace:
    """The spans of one trace, laid out for a waterfall; see :class:`Trace`.

    Parameters
    ----------
    store : diaglab.Store
    trace_id : str
        32 hex digits.
    links : bool
        Also look up the predictions logged with this trace id (one pass over each model's
        ``trace_id`` column).

    Raises
    ------
    InputError
        ``trace_id`` is not 32 hex digits.
    UnknownNameError
        No span of that trace is stored.

    Examples
    --------
    >>> t = dl.trace(store, "4bf92f3577b34da6a3ce929d0e0e4736")  # doctest: +SKIP
    >>> t.slowest_stage, t.spans[["name", "offset_ms", "duration_ms"]]  # doctest: +SKIP
    """
    trace_id, links = spec.trace_id, spec.links
    tid = check_trace_id(trace_id)
    if getattr(store, "engine", "duckdb") != "duckdb":
        return _portable_trace(store, tid, links=links)
    # A point lookup, not an analytical query: the store answers it from the trace_key index
    # with a fixed parameterized statement (Ibis's compile step alone would cost ~20 ms).
    try:
        found = span_store.lookup_trace(store.ibis.con, tid, SPAN_COLUMNS)
    except duckdb.CatalogException:  # no span table yet in this process: make it, then ask
        store.spans()
        found = span_store.lookup_trace(store.ibis.con, tid, SPAN_COLUMNS)
    raw = pd.DataFrame(found.rows, columns=list(SPAN_COLUMNS))
    if raw.empty:
        total, sample = span_store.describe(store.ibis.con)
        _unknown_trace(tid, total, sample)
    extra = found.extra_copies
    copies = {s: int(extra.get(s, 0)) + 1 for s in raw["span_id"]}
    linked = linked_predictions(store, tid) if links else {}
    return _layout(tid, raw, copies, linked)


def _unknown_trace(tid: str, total: int, sample: list[str]) -> None:
    hint = f"; e.g. {', '.join(sample)}" if sample else ""
    raise UnknownNameError(
        f"unknown trace id {tid!r}: no span of it is stored ({total} spans in the store{hint})"
    )


def _portable_trace(store: Any, tid: str, *, links: bool) -> Trace:
    """``trace`` on an engine without DuckDB's trace index (Spark): the same answer through Ibis
    (a filtered scan of the span files; no index)."""
    spans = store.spans()
    key = spans.trace_key == span_store.trace_key(tid)
    found = spans.filter(key & (spans.trace_id == tid)).select(*SPAN_COLUMNS).to_pyarrow()
    # built from Python values, as the DuckDB lookup's rows are, so both give the same dtypes
    raw = pd.DataFrame(list(zip(*found.to_pydict().values(), strict=True)), columns=SPAN_COLUMNS)
    if raw.empty:
        total = int(spans.count().to_pyarrow().as_py())
        sample = spans.select("trace_id").limit(3).to_pandas()["trace_id"].tolist()
        _unknown_trace(tid, total, sample)
    dups = store.span_copies()
    extra = dups.filter(dups.trace_id == tid).to_pandas()
    copies = {str(s): 1 for s in raw["span_id"]}
    copies.update({str(s): int(n) for s, n in zip(extra["span_id"], extra["copies"], strict=True)})
    linked = linked_predictions(store, tid) if links else {}
    return _layout(tid, raw, copies, linked)


def prediction_trace(store: Any, model: str, prediction_id: str) -> tuple[Trace | None, str]:
    """The trace of one prediction, or None and why there is none (no trace id logged, or
    no span of it stored); for the inspector, which explains the prediction either way."""
    t = store.table(model)
    rows = store.ibis.to_pyarrow(
        t.filter(t.prediction_id == prediction_id).select("trace_id").limit(1)
    ).to_pylist()
    if not rows:
        raise unknown(f"prediction id of model {model!r}:", prediction_id, [])
    tid = rows[0]["trace_id"]
    if not tid:
        return None, f"prediction {prediction_id} was logged without a trace id"
    from diaglab.diagnostics.traces.spec import TraceSpec

    try:
        return trace(store, TraceSpec(trace_id=tid)), ""
    except (InputError, UnknownNameError):
        return None, f"trace {tid} of prediction {prediction_id} has no stored spans"


def linked_predictions(store: Any, trace_id: str) -> dict[str, tuple[str, ...]]:
    """Model -> ids of the predictions logged with ``trace_id``: one pass over each model's
    ``trace_id`` column (what ``trace(..., links=True)`` adds to a trace)."""
    tid = check_trace_id(trace_id)
    out: dict[str, tuple[str, ...]] = {}
    for model in store.models():
        if getattr(store, "engine", "duckdb") != "duckdb":  # through Ibis, where no DuckDB is
            t = store.table(model)
            ids = t.filter(t.trace_id == tid).select("prediction_id").to_pandas()["prediction_id"]
            found = tuple(sorted(str(i) for i in ids))
        else:
            try:
                found = span_store.predictions_of_trace(store.ibis.con, model, tid)
            except duckdb.CatalogException:  # a model created since this process last refreshed
                continue
        if found:
            out[model] = found
    return out


def _layout(
    tid: str, raw: pd.DataFrame, copies: dict[str, int], linked: dict[str, tuple[str, ...]]
) -> Trace:
    raw = raw.sort_values(["start_ns", "end_ns", "span_id"], kind="stable").reset_index(drop=True)
    ids = set(raw["span_id"])
    by_id = {sid: i for i, sid in enumerate(raw["span_id"])}
    parent = [p if isinstance(p, str) else None for p in raw["parent_span_id"]]
    orphan = [
        p is not None and (p not in ids or p == s)
        for p, s in zip(parent, raw["span_id"], strict=True)
    ]
    children: dict[int, list[int]] = {}
    roots: list[int] = []
    for i, (p, o) in enumerate(zip(parent, orphan, strict=True)):
        if p is None or o:
            roots.append(i)
        else:
            children.setdefault(by_id[p], []).append(i)

    order: list[int] = []
    depth = np.zeros(len(raw), dtype=np.int64)
    seen: set[int] = set()

    def visit(i: int, d: int) -> None:
        stack = [(i, d)]
        while stack:
            j, dj = stack.pop()
            if j in seen:
                continue
            seen.add(j)
            order.append(j)
            depth[j] = dj
            stack.extend((c, dj + 1) for c in reversed(children.get(j, [])))

    for r in roots:
        visit(r, 0)
    for i in range(len(raw)):  # a parent cycle leaves spans unreached: show them as roots
        if i not in seen:
            orphan[i] = True
            visit(i, 0)

    start = raw["start_ns"].to_numpy(np.int64)
    end = raw["end_ns"].to_numpy(np.int64)
    t0 = int(start.min())
    skew = np.zeros(len(raw), dtype=bool)
    self_ns = (end - start).astype(np.int64)
    for node, kids in children.items():
        lo, hi = int(start[node]), int(end[node])
        covered = _union_ns([(int(start[c]), int(end[c])) for c in kids], lo, hi)
        self_ns[node] = max(0, hi - lo - covered)
        for c in kids:
            skew[c] = start[c] < lo or end[c] > hi

    critical: list[int] = []
    if roots:
        _critical_path(
            max(roots, key=lambda r: (end[r] - start[r], -r)), children, start, end, critical
        )
    crit = np.zeros(len(raw), dtype=bool)
    crit[critical] = True

    out = pd.DataFrame(
        {
            "span_id": raw["span_id"],
            "parent_span_id": raw["parent_span_id"],
            "name": raw["name"],
            "service_name": raw["service_name"],
            "kind": raw["kind"],
            "start": pd.to_datetime(start, unit="ns", utc=True),
            "end": pd.to_datetime(end, unit="ns", utc=True),
            "start_ns": start,
            "end_ns": end,
            "offset_ms": (start - t0) / 1e6,
            "duration_ms": (end - start) / 1e6,
            "self_ms": self_ns / 1e6,
            "depth": depth,
            "status": raw["status"].fillna("unset"),
            "status_message": raw["status_message"],
            "attributes": [json.loads(a) if isinstance(a, str) else {} for a in raw["attributes"]],
            "critical": crit,
            "orphan": orphan,
            "clock_skew": skew,
            "copies": [copies.get(s, 1) for s in raw["span_id"]],
        }
    )
    out = out.iloc[order].reset_index(drop=True)
    slowest = int(out["self_ms"].to_numpy().argmax())
    return Trace(
        trace_id=tid,
        spans=out,
        duration_ms=(int(end.max()) - t0) / 1e6,
        depth=int(out["depth"].max()),
        critical_path=tuple(raw["span_id"].iloc[critical]),
        slowest_span=str(out["span_id"].iloc[slowest]),
        slowest_stage=str(out["name"].iloc[slowest]),
        prediction_ids=linked,
        orphans=tuple(out.loc[out["orphan"], "span_id"]),
        clock_skew=tuple(out.loc[out["clock_skew"], "span_id"]),
        duplicates=tuple(out.loc[out["copies"] > 1, "span_id"]),
        errors=tuple(out.loc[out["status"] == "error", "span_id"]),
    )


def _critical_path(
    node: int,
    children: dict[int, list[int]],
    start: np.ndarray,
    end: np.ndarray,
    out: list[int],
) -> None:
    """Walk back from the end of ``node``: the child that finished last before the cursor is on
    the path, then the cursor moves to its start (what Jaeger calls the critical path)."""
    out.append(node)
    cursor = int(end[node])
    for kid in sorted(children.get(node, []), key=lambda c: (-int(end[c]), c)):
        if int(start[kid]) < cursor:
            _critical_path(kid, children, start, end, out)
            cursor = int(start[kid])


def _union_ns(intervals: list[tuple[int, int]], lo: int, hi: int) -> int:
    """Length of the union of ``intervals`` clipped to [lo, hi]."""
    total, cur_s, cur_e = 0, None, None
    for s, e in sorted((max(s, lo), min(e, hi)) for s, e in intervals):
        if e <= s:
            continue
        if cur_e is None or s > cur_e:
            if cur_e is not None and cur_s is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None and cur_s is not None:
        total += cur_e - cur_s
    return total


__all__ = ["Trace", "check_trace_id", "linked_predictions", "prediction_trace", "trace"]
