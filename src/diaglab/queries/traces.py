"""Request traces: one trace's spans as a waterfall, span statistics over time, finding traces.

``dl.trace(store, trace_id)`` reads one trace (an index lookup on ``trace_key``, not a scan) and
lays it out for a waterfall: depth-first from the root, children by start time, each span with its
offset from the trace's start, its own ("self") time and whether it lies on the critical path.
Imperfect traces are shown, not refused: spans whose parent never arrived are placed at the root
and flagged ``orphan``; children that start before their parent (clock skew between hosts) are
flagged ``clock_skew``; span ids that arrived more than once are flagged with their ``copies``.

``dl.span_stats(store, freq="1D")`` gives per span name and window the volume, error rate and
latency percentiles, plus the slowest traces. ``find_traces`` lists traces to open: the slowest,
the failed, or the one behind a prediction id.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import duckdb
import ibis
import numpy as np
import pandas as pd

from diaglab.errors import InputError, UnknownNameError, unknown
from diaglab.queries.window import Window
from diaglab.stats.log_histogram import LOG_BINS, log_quantiles
from diaglab.store import spans as span_store

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


@dataclass(frozen=True)
class Trace:
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


def trace(store: Any, trace_id: str, *, links: bool = True) -> Trace:
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
    try:
        return trace(store, tid), ""
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


# -- span statistics over time ---------------------------------------------------------------


def _freq_ns(freq: str) -> int:
    try:
        step = pd.Timedelta(freq)
    except (ValueError, TypeError):
        raise InputError(
            f"freq {freq!r} is not a duration such as '1h', '6h', '1D' or '7D'"
        ) from None
    if step <= pd.Timedelta(0):
        raise InputError(f"freq {freq!r} must be a positive duration")
    return int(step.value)


def _window_filter(spans: Any, window: Window) -> Any:
    if window.start is not None:
        spans = spans.filter(spans.start_ns >= int(window.start.value))
    if window.end is not None:
        spans = spans.filter(spans.start_ns < int(window.end.value))
    return spans


@dataclass(frozen=True)
class SpanStats:
    """Per span name and window: volume, errors and latency percentiles; and the slowest traces.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``window_start`` (UTC), ``name``, ``volume``, ``errors``, ``error_rate``,
        ``p50_ms``, ``p95_ms``, ``p99_ms``, ``mean_ms``. Windows without spans of a name are
        absent (gaps), never zeros.
    slowest : pandas.DataFrame
        The slowest traces (by root span duration): ``trace_id``, ``name``, ``start``,
        ``duration_ms``, ``status``.
    freq : str
    names : tuple of str
        Span names, most frequent first.
    """

    table: pd.DataFrame = field(repr=False)
    slowest: pd.DataFrame = field(repr=False)
    freq: str
    names: tuple[str, ...]

    def summary(self) -> pd.DataFrame:
        """One row per span name over the whole period: volume, error rate, median p95."""
        g = self.table.groupby("name", sort=False)
        out = pd.DataFrame(
            {
                "volume": g["volume"].sum(),
                "errors": g["errors"].sum(),
                "median_p50_ms": g["p50_ms"].median(),
                "median_p95_ms": g["p95_ms"].median(),
                "max_p99_ms": g["p99_ms"].max(),
            }
        )
        out["error_rate"] = out["errors"] / out["volume"]
        return out.loc[list(self.names)].reset_index()


def span_stats(
    store: Any,
    freq: str = "1D",
    *,
    window: Any = None,
    names: list[str] | None = None,
    top: int = 20,
) -> SpanStats:
    """Per span name per ``freq`` window: volume, error rate, latency p50/p95/p99; slowest traces.

    Windows are aligned to the Unix epoch (days start at midnight UTC). The percentiles are read
    from log-spaced duration histograms counted in the engine (within 0.5% of the exact ones,
    :mod:`diaglab.stats.log_histogram`): memory stays bounded however many spans a window holds,
    and only counts come back. Results are kept until the store ingests anything new.

    Examples
    --------
    >>> stats = dl.span_stats(store, freq="1D")  # doctest: +SKIP
    >>> stats.summary()  # doctest: +SKIP
    """
    step = _freq_ns(freq)
    if not isinstance(top, int) or top < 1:
        raise InputError(f"top must be a positive integer, got {top!r}")
    spans = _window_filter(store.spans(), Window.of(window))
    if names is not None:
        known = _names(store)
        bad = [n for n in names if n not in known]
        if bad:
            raise unknown("span name", bad[0], known)
        spans = spans.filter(spans.name.isin(list(names)))

    def compute() -> SpanStats:
        dur = (spans.end_ns - spans.start_ns).cast("float64") / 1e6
        keyed = spans.mutate(
            bucket=(spans.start_ns // step) * step,
            dur=dur,
            failed=(spans.status == "error").cast("int64"),
            b=(dur.clip(lower=MIN_DURATION_MS).ln() * LOG_BINS).floor().cast("int32"),
        )
        stats = keyed.group_by(["bucket", "name"]).aggregate(
            volume=lambda t: t.count(),
            errors=lambda t: t.failed.sum(),
            mean_ms=lambda t: t.dur.mean(),
        )
        timed = keyed.filter(keyed.dur.notnull())
        counts = timed.group_by(["bucket", "name", "b"]).aggregate(n=timed.count())
        df = store.ibis.to_pyarrow(stats).to_pandas().sort_values(["name", "bucket"])
        quantiles = {
            key: log_quantiles(part["b"].to_numpy(), part["n"].to_numpy(), SPAN_QUANTILES)
            for key, part in store.ibis.to_pyarrow(counts).to_pandas().groupby(["bucket", "name"])
        }
        for j, q in enumerate(SPAN_QUANTILES):
            df[f"p{round(q * 100)}_ms"] = [
                quantiles[k][j] if k in quantiles else np.nan
                for k in zip(df["bucket"], df["name"], strict=True)
            ]
        df = df[["bucket", "name", "volume", "errors", "p50_ms", "p95_ms", "p99_ms", "mean_ms"]]
        df.insert(0, "window_start", pd.to_datetime(df.pop("bucket"), unit="ns", utc=True))
        df["volume"] = df["volume"].astype("int64")
        df["errors"] = df["errors"].fillna(0).astype("int64")
        df["error_rate"] = df["errors"] / df["volume"]
        order = df.groupby("name")["volume"].sum().sort_values(ascending=False, kind="stable")
        slowest = find_traces(store, "slowest", window=window, limit=top)
        return SpanStats(df.reset_index(drop=True), slowest, freq, tuple(order.index))

    key = ("span_stats", freq, repr(Window.of(window)), tuple(names or ()), top)
    return store.memo(key, compute)


def _names(store: Any) -> list[str]:
    spans = store.spans()
    got = store.ibis.to_pyarrow(spans.select("name").distinct())
    return sorted(got.column(0).to_pylist())


# -- finding traces ---------------------------------------------------------------------------


def find_traces(
    store: Any,
    by: Literal["slowest", "failed", "prediction"] = "slowest",
    *,
    prediction_id: str | None = None,
    model: str | None = None,
    name: str | None = None,
    window: Any = None,
    limit: int = 20,
) -> pd.DataFrame:
    """Traces worth opening, one row each: the slowest, the failed, or a prediction's.

    Parameters
    ----------
    by : {"slowest", "failed", "prediction"}
        ``"slowest"``: root spans by duration; ``"failed"``: traces with an error span, newest
        first; ``"prediction"``: the trace logged with ``prediction_id`` (of ``model``, or of any
        model).
    name : str, optional
        Only root spans of this name (``"slowest"``).
    window : dl.Window or (start, end), optional
        Only traces whose root starts in it.

    Returns
    -------
    pandas.DataFrame
        ``trace_id``, ``name`` (of the root), ``start``, ``duration_ms``, ``status``, ``errors``
        (error spans in the trace; for ``"failed"``), and ``prediction_id`` for ``"prediction"``.
    """
    if by not in FIND:
        raise unknown("way to find traces", by, FIND)
    if not isinstance(limit, int) or limit < 1:
        raise InputError(f"limit must be a positive integer, got {limit!r}")
    spans = _window_filter(store.spans(), Window.of(window))
    if by == "prediction":
        return _by_prediction(store, prediction_id, model)
    if by == "slowest":
        roots = spans.filter(spans.parent_span_id.isnull())
        if name is not None:
            roots = roots.filter(roots.name == name)
        expr = (
            roots.mutate(duration_ms=(roots.end_ns - roots.start_ns).cast("float64") / 1e6)
            .order_by([ibis.desc("duration_ms"), "trace_id"])
            .limit(limit)
            .select("trace_id", "name", "start_ns", "duration_ms", "status")
        )
        df = store.ibis.to_pyarrow(expr).to_pandas()
    else:
        failed = (
            spans.group_by("trace_id")
            .aggregate(
                errors=(spans.status == "error").cast("int64").sum(),
                start_ns=spans.start_ns.min(),
                end_ns=spans.end_ns.max(),
                name=spans.name.argmin(spans.start_ns),
                message=spans.status_message.max(),
            )
            .filter(lambda t: t.errors > 0)
        )
        expr = (
            failed.mutate(duration_ms=(failed.end_ns - failed.start_ns).cast("float64") / 1e6)
            .order_by([ibis.desc("start_ns"), "trace_id"])
            .limit(limit)
            .select("trace_id", "name", "start_ns", "duration_ms", "errors", "message")
        )
        df = store.ibis.to_pyarrow(expr).to_pandas()
        df["status"] = "error"
    df.insert(2, "start", pd.to_datetime(df.pop("start_ns"), unit="ns", utc=True))
    df["status"] = df["status"].fillna("unset")
    return df.reset_index(drop=True)


def _by_prediction(store: Any, prediction_id: Any, model: str | None) -> pd.DataFrame:
    if prediction_id is None or not str(prediction_id).strip():
        raise InputError("find_traces(by='prediction') needs prediction_id=...")
    pid = str(prediction_id).strip()
    models = [model] if model is not None else store.models()
    for m in models:
        t = store.table(m)
        row = store.ibis.to_pyarrow(
            t.filter(t.prediction_id == pid).select("trace_id", "timestamp").limit(1)
        ).to_pylist()
        if not row:
            continue
        tid = row[0]["trace_id"]
        if tid is None:
            raise UnknownNameError(
                f"prediction {pid!r} of model {m!r} was logged without a trace id"
            )
        t_ = trace(store, tid, links=False)
        root = t_.spans.iloc[0]
        return pd.DataFrame(
            {
                "trace_id": [tid],
                "name": [root["name"]],
                "start": [root["start"]],
                "duration_ms": [t_.duration_ms],
                "status": ["error" if t_.errors else "ok"],
                "errors": [len(t_.errors)],
                "prediction_id": [pid],
            }
        )
    raise UnknownNameError(
        f"unknown prediction id {pid!r} (looked in model(s): {', '.join(models) or 'none'})"
    )


__all__ = ["SpanStats", "Trace", "find_traces", "prediction_trace", "span_stats", "trace"]
