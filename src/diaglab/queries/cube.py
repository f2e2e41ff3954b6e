"""Drift counts kept per day in the engine (DESIGN's pre-aggregation, Mosaic's data-cube idea).

For a model and the registered reference's grids, two derived tables in the store's DuckDB file
hold, per UTC day and model version, exactly the counts ``dl.drift``'s window query returns
(:func:`~diaglab.queries.binning.numeric_count_query` and
:func:`~diaglab.queries.binning.categorical_count_query` grouped by day): the rows per bin of each
numeric feature's reference grid (with each bin's extremes), per category of each categorical
feature, and the same for the prediction, the decision and the label. The counts of a window are
then the sum over its whole days plus its partial first and last day counted from the rows (a
time-range scan): the same integers, so the drift table is the same, bit for bit.

**The grain is a UTC day.** The cube has a row per (day, version, feature, bin that holds rows):
on the 10M-row credit store (60 days, 2 versions, 8 numeric and 5 categorical features, the
score and the label on 1,000-bin grids) 0.31M rows in ~5 MiB against the data's 10M rows and
2.8 GiB; hours would be 24x the rows, and a window's whole days 24x as many rows to sum. A
brushed window's edges cost at most two days of rows (bench/RESULTS.md, "Drift from counts kept
per day").

**Kept up to date from the ingest ledger.** ``cube.seen`` lists the ledger segments (predictions
and labels) a cube has counted. Before it answers, the segments ingested since are turned into the
days they touch, which are counted again (one transaction; DuckDB's snapshot makes the ledger and
the rows agree):

- a prediction segment: the days of its rows; a segment older than one already counted (a
  producer renamed it late) may replace stored copies of repeated ids (the oldest copy wins, see
  :meth:`~diaglab.store.engine.Engine.ingest_predictions`), so the days of the newer segments' rows
  sharing its ids are counted again too;
- a label segment: the days of the predictions it labels (a late label dirties its prediction's
  day, whenever it arrives);
- a segment whose file cannot be found: the whole cube is counted again.

A new reference, or other registered thresholds, give other grids or decisions and so another
cube (its key hashes what the counts depend on); the last ``KEPT`` cubes of a model are kept. The
cube is built at the first drift query that can use it, never while logging or refreshing, and
lives in the DuckDB file across sessions (opening a store does not rebuild it). A store opened
read-only (a second notebook) and Spark answer from the rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from diaglab.queries.binning import (
    FEATURES_PER_QUERY,
    Grid,
    NumericCounts,
    categorical_count_query,
    categorical_from_frame,
    grid_shape,
    numeric_count_query,
    numeric_from_frame,
)
from diaglab.queries.scope import decided
from diaglab.queries.timegrid import epoch_micros
from diaglab.queries.window import Window
from diaglab.store import cube_tables
from diaglab.store.compiled import fetch_over
from diaglab.store.cube_tables import DAY_US

FORMAT = 1
"""Changes when what a cube holds changes: cubes of another format are built again."""
KEPT = 4
"""Cubes kept per model (references and thresholds in use); older ones are dropped."""
_LOCKS: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True)
class Shape:
    """What a cube's counts depend on: the columns counted (as
    :func:`~diaglab.diagnostics.drift.query. prepare` makes them), the grids of the numeric ones and
    the thresholds of the decision."""

    model: str
    grids: dict[str, Grid]
    categorical: tuple[str, ...]
    cuts: tuple[tuple[str, float], ...]

    @property
    def key(self) -> str:
        text = repr((FORMAT, self.model, grid_shape(self.grids), self.categorical, self.cuts))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Counts:
    """A window's counts, as :func:`~diaglab.queries.binning.numeric_counts` and
    :func:`~diaglab.queries.binning.categorical_counts` return them."""

    numeric: dict[str, NumericCounts]
    categorical: dict[str, pd.Series]


def usable(store: Any) -> bool:
    """Whether ``store`` keeps cubes: a writable DuckDB store (a read-only one answers from the
    rows, as does Spark)."""
    return not store.read_only and getattr(store.ibis, "name", None) == "duckdb"


def window_counts(
    store: Any,
    shape: Shape,
    columns: Any,
    window: Window,
    version: str | None,
    *,
    only: Sequence[str] | None = None,
) -> Counts | None:
    """The counts of ``window`` (of ``version``, when given): its whole days from the cube, its
    partial first and last day from the rows. None when the window holds no whole day (its rows
    are few: the caller counts them).

    ``columns`` maps a prediction table to the drift columns (``Prepared.columns``); ``only``
    names the columns wanted (default: all the cube's), the only ones the edge days count."""
    first, end = _whole_days(window)
    if first is not None and end is not None and first >= end:
        return None
    synchronise(store, shape, columns)
    wanted = set(shape.grids) | set(shape.categorical) if only is None else set(only)
    sub = Shape(
        shape.model,
        {f: g for f, g in shape.grids.items() if f in wanted},
        tuple(f for f in shape.categorical if f in wanted),
        shape.cuts,
    )
    # the cube numbers features among ``shape``'s, the edge queries among ``sub``'s
    numbers = [
        {list(among).index(f): k for k, f in enumerate(names)}
        for names, among in ((sub.grids, shape.grids), (sub.categorical, shape.categorical))
    ]
    con = store.ibis.con
    num, cat = cube_tables.sums(
        con, shape.model, shape.key, first, end, version, (list(numbers[0]), list(numbers[1]))
    )
    num["i"], cat["i"] = num["i"].map(numbers[0]), cat["i"].map(numbers[1])
    edges = _edges(store, shape.model, window, version, first, end)
    if edges is not None:
        edge_num, edge_cat = _count(columns(edges, ("timestamp",)), sub)
        num = pd.concat([num, edge_num], ignore_index=True)
        cat = pd.concat([cat, edge_cat], ignore_index=True)
    return Counts(numeric_from_frame(num, sub.grids), categorical_from_frame(cat, sub.categorical))


def _whole_days(window: Window) -> tuple[int | None, int | None]:
    """The first whole day in ``window`` and the day after its last (None for an open side)."""
    first = end = None
    day_ns = DAY_US * 1000
    if window.start is not None:
        first = -(-window.start.as_unit("ns").value // day_ns)
    if window.end is not None:
        end = window.end.as_unit("ns").value // day_ns
    return first, end


def _edges(
    store: Any, model: str, window: Window, version: str | None, first: int | None, end: int | None
) -> Any:
    """The predictions of the window's partial first and last days (decided as the cube's);
    None when it has none. Filtered before the drift columns are selected, so the compiled
    counting query is found again for any window (:func:`~diaglab.store.compiled.fetch_over`)."""
    rows = decided(store.table(model), store.schema(model))
    if version is not None:
        rows = rows.filter(rows.model_version == version)
    cuts = []
    if first is not None and window.start < _day_start(first):
        cuts.append(rows.timestamp < _day_start(first))
    if end is not None and window.end > _day_start(end):
        cuts.append(rows.timestamp >= _day_start(end))
    if not cuts:  # the window starts and ends at midnight (UTC)
        return None
    return window.filter(rows).filter(cuts[0] | cuts[1] if len(cuts) == 2 else cuts[0])


def _day_start(day: int) -> Any:
    return datetime.fromtimestamp(day * 86_400, tz=UTC)


def _parts(shape: Shape) -> list[tuple[str, int, list[str]]]:
    """The cube's counting queries, each over at most ``FEATURES_PER_QUERY`` features (the
    engine's memory): ("num" | "cat", the first feature's number, the features)."""
    out = []
    for part, names in (("num", list(shape.grids)), ("cat", list(shape.categorical))):
        for start in range(0, len(names), FEATURES_PER_QUERY):
            out.append((part, start, names[start : start + FEATURES_PER_QUERY]))
    return out


def _query(
    rows: Any, shape: Shape, part: str, start: int, names: list[str], by: Sequence[str] = ()
) -> Any:
    """One counting query: numeric ``(*by, i, b, n, lo, hi)``, categorical ``(*by, i, v, n)``."""
    if part == "num":
        grids = {f: shape.grids[f] for f in names}
        return numeric_count_query(rows, grids, by=by, offset=start)
    return categorical_count_query(rows, names, by=by, offset=start)


def _count(rows: Any, shape: Shape) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``rows``' counts: numeric ``(i, b, n, lo, hi)`` and categorical ``(i, v, n)``."""
    frames: dict[str, list[pd.DataFrame]] = {"num": [], "cat": []}
    for part, start, names in _parts(shape):

        def build(t: Any, part: str = part, start: int = start, names: list[str] = names) -> Any:
            return _query(t, shape, part, start, names)

        grids = grid_shape({f: shape.grids[f] for f in names}) if part == "num" else ()
        key = ("cube_counts", part, start, tuple(names), grids)
        frames[part].append(fetch_over(_narrow(rows, names), key, build).to_pandas())
    columns = {"num": ["i", "b", "n", "lo", "hi"], "cat": ["i", "v", "n"]}
    num, cat = (
        pd.concat(f, ignore_index=True) if f else pd.DataFrame(columns=columns[k])
        for k, f in frames.items()
    )
    return num, cat


def _narrow(rows: Any, columns: Sequence[str]) -> Any:
    return rows.select(*columns).view()


# -- keeping the cube -----------------------------------------------------------------------


def _lock(store: Any) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(store, threading.Lock())


def synchronise(store: Any, shape: Shape, columns: Any) -> None:
    """Build the cube of ``shape``, or count again the days of segments ingested since it was
    last brought up to date (see the module)."""
    model, key = shape.model, shape.key
    # A cursor of its own: a worker's cursor is interrupted when its query goes stale (a new
    # brush), which would roll the build back at every brush.
    with (
        _lock(store),
        contextlib.closing(store.ibis.con.cursor()) as con,
        cube_tables.transaction(con),
    ):
        new = cube_tables.news(con, model, key)
        if not cube_tables.known(con, model, key):
            cube_tables.create(con, model, key, kept=KEPT)
            _recount(store, con, shape, columns, None)
        elif new:
            days = cube_tables.dirty_days(con, store.path, model, new)
            _recount(store, con, shape, columns, days)
        cube_tables.counted(con, model, key, [s for s, _ in new])


def _recount(store: Any, con: Any, shape: Shape, columns: Any, days: list[int] | None) -> None:
    """Count ``days`` again (every day for None): their rows replaced by fresh counts."""
    if days is not None and not days:
        return
    base = decided(store.table(shape.model), store.schema(shape.model))
    rows = columns(base, ("timestamp", "model_version"))
    rows = rows.mutate(day=epoch_micros(rows.timestamp, "duckdb") // DAY_US)
    if days is not None:
        rows = rows.filter(
            rows.timestamp >= _day_start(min(days)),
            rows.timestamp < _day_start(max(days) + 1),
            rows.day.isin(days),
        )
    by = ("day", "model_version")
    counts: dict[str, list[str]] = {"num": [], "cat": []}
    for part, start, names in _parts(shape):
        query = _query(_narrow(rows, [*by, *names]), shape, part, start, names, by)
        counts[part].append(store.ibis.compile(query))
    cube_tables.replace_days(con, shape.model, shape.key, days, counts)
