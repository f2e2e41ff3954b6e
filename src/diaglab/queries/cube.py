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

**What explain_change reads.** Each (day, version, feature, bin) row also holds the served rows
``m`` (a prediction logged), those with a label too ``nl``, and ``s``, the sum of their loss:
the error at the registered thresholds for a classifier (``accuracy`` is ``nl - s`` of it), the
squared error for a regression (MSE, and RMSE through it). These are the cells of
:func:`~diaglab.explain_change`'s exact mix/rate terms for any bins that are unions of the
grid's (:func:`window_cells`). Log loss, the Brier score and MAE would each be another sum per
row of the cube; they are counted from the rows. Labels arriving late dirty their predictions'
days (above), so these sums stay as current as the counts.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import ibis
import pandas as pd

from diaglab.diagnostics.slices.counts import loss
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

FORMAT = 2
"""Changes when what a cube holds changes: cubes of another format are built again."""
KEPT = 4
LOSS = {"binary": "error", "multiclass": "error", "regression": "mse"}
"""The loss whose sum per cell a cube keeps, per task (see the module)."""
VALUE, SERVED = "_cube_loss", "_cube_served"
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

    def narrowed(self, wanted: Any) -> Shape:
        """The shape of the ``wanted`` columns only (in this shape's order)."""
        return Shape(
            self.model,
            {f: g for f, g in self.grids.items() if f in wanted},
            tuple(f for f in self.categorical if f in wanted),
            self.cuts,
        )


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
    first, end = whole_days(window)
    if first is not None and end is not None and first >= end:
        return None
    synchronise(store, shape, columns)
    wanted = set(shape.grids) | set(shape.categorical) if only is None else set(only)
    sub = shape.narrowed(wanted)
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
    edges = edge_rows(store, shape.model, window, version, first, end)
    if edges is not None:
        edge_num, edge_cat = _count(columns(edges, ("timestamp",)), sub)
        num = pd.concat([num, edge_num], ignore_index=True)
        cat = pd.concat([cat, edge_cat], ignore_index=True)
    return Counts(numeric_from_frame(num, sub.grids), categorical_from_frame(cat, sub.categorical))


def window_cells(
    store: Any,
    shape: Shape,
    columns: Any,
    periods: Sequence[Window],
    version: str | None,
    *,
    only: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per period ``w`` (its position in ``periods``) and UTC day, the rows ``n``, served rows
    ``m``, labelled rows ``nl`` and loss sums ``s`` of each bin of the ``only`` features: numeric
    ``(w, day, feature, b, n, m, nl, s)`` on the grid's indexes, categorical ``(w, day, feature,
    v, n, m, nl, s)``. Whole days from the cube (brought up to date first), partial first and
    last days from the rows."""
    synchronise(store, shape, columns)
    sub = shape.narrowed(set(only))
    numbers = [
        {list(among).index(f): f for f in names}
        for names, among in ((sub.grids, shape.grids), (sub.categorical, shape.categorical))
    ]
    spans = [whole_days(p) for p in periods]
    num, cat = cube_tables.daily(
        store.ibis.con,
        shape.model,
        shape.key,
        [(a, b) if a is None or b is None or a < b else (a, a) for a, b in spans],
        version,
        (list(numbers[0]), list(numbers[1])),
    )
    num["feature"], cat["feature"] = num.pop("i").map(numbers[0]), cat.pop("i").map(numbers[1])
    frames = {"num": [num], "cat": [cat]}
    schema = store.schema(shape.model)
    for w, (period, (first, end)) in enumerate(zip(periods, spans, strict=True)):
        if first is not None and end is not None and first >= end:  # no whole day
            edges = period.filter(_decided(store, shape.model, version))
        else:
            edges = edge_rows(store, shape.model, period, version, first, end)
        if edges is None:
            continue
        rows = columns(with_values(edges, schema.task), ("timestamp", VALUE, SERVED))
        for part, start, names in parts(sub):

            def build(
                t: Any, part: str = part, start: int = start, names: list[str] = names
            ) -> Any:
                t = t.mutate(day=epoch_micros(t.timestamp, "duckdb") // DAY_US)
                return cells_query(t, sub, part, start, names, ("day",), values=True)

            grids = grid_shape({f: sub.grids[f] for f in names}) if part == "num" else ()
            key = ("cube_cells", part, start, tuple(names), grids, FORMAT)
            narrow = _narrow(rows, ["timestamp", *names, VALUE, SERVED])
            got = fetch_over(narrow, key, build).to_pandas()
            got = got.drop(columns=["lo", "hi"], errors="ignore")
            got["feature"] = got.pop("i").map(dict(enumerate(names, start)))
            frames[part].append(got.assign(w=w))
    return (
        pd.concat(frames["num"], ignore_index=True),
        pd.concat(frames["cat"], ignore_index=True),
    )


def whole_days(window: Window) -> tuple[int | None, int | None]:
    """The first whole day in ``window`` and the day after its last (None for an open side)."""
    first = end = None
    day_ns = DAY_US * 1000
    if window.start is not None:
        first = -(-window.start.as_unit("ns").value // day_ns)
    if window.end is not None:
        end = window.end.as_unit("ns").value // day_ns
    return first, end


def edge_rows(
    store: Any, model: str, window: Window, version: str | None, first: int | None, end: int | None
) -> Any:
    """The predictions of the window's partial first and last days (decided as the cube's);
    None when it has none. Filtered before the drift columns are selected, so the compiled
    counting query is found again for any window (:func:`~diaglab.store.compiled.fetch_over`)."""
    rows = _decided(store, model, version)
    cuts = []
    if first is not None and window.start < day_start(first):
        cuts.append(rows.timestamp < day_start(first))
    if end is not None and window.end > day_start(end):
        cuts.append(rows.timestamp >= day_start(end))
    if not cuts:  # the window starts and ends at midnight (UTC)
        return None
    return window.filter(rows).filter(cuts[0] | cuts[1] if len(cuts) == 2 else cuts[0])


def _decided(store: Any, model: str, version: str | None) -> Any:
    rows = decided(store.table(model), store.schema(model))
    return rows if version is None else rows.filter(rows.model_version == version)


def day_start(day: int) -> Any:
    return datetime.fromtimestamp(day * 86_400, tz=UTC)


def parts(shape: Shape) -> list[tuple[str, int, list[str]]]:
    """The cube's counting queries, each over at most ``FEATURES_PER_QUERY`` features (the
    engine's memory): ("num" | "cat", the first feature's number, the features)."""
    out = []
    for part, names in (("num", list(shape.grids)), ("cat", list(shape.categorical))):
        for start in range(0, len(names), FEATURES_PER_QUERY):
            out.append((part, start, names[start : start + FEATURES_PER_QUERY]))
    return out


def cells_query(
    rows: Any,
    shape: Shape,
    part: str,
    start: int,
    names: list[str],
    by: Sequence[str] = (),
    *,
    values: bool = False,
) -> Any:
    """One counting query: numeric ``(*by, i, b, n, lo, hi)``, categorical ``(*by, i, v, n)``;
    with ``values`` (``rows`` has the ``VALUE`` and ``SERVED`` columns) also ``m``, ``nl``
    and ``s`` (see the module)."""
    if not values:
        if part == "num":
            grids = {f: shape.grids[f] for f in names}
            return numeric_count_query(rows, grids, by=by, offset=start)
        return categorical_count_query(rows, names, by=by, offset=start)
    branches = []
    for k, f in enumerate(names):
        i = ibis.literal(start + k, "int32")
        if part == "num":
            grid = shape.grids[f]
            cells = rows.select(*by, i=i, b=grid.index(rows[f]), x=rows[f], **_value_columns(rows))
            keys = [*by, "i", "b"]
            extremes = {"lo": cells.x.min(), "hi": cells.x.max()}
        else:
            cells = rows.select(*by, i=i, v=rows[f].cast("string"), **_value_columns(rows))
            keys, extremes = [*by, "i", "v"], {}
        branches.append(
            cells.group_by(keys).aggregate(
                n=cells.count(),
                **extremes,
                m=cells[SERVED].sum(),
                nl=cells[VALUE].count(),
                s=cells[VALUE].sum(),
            )
        )
    return ibis.union(*branches, distinct=False) if len(branches) > 1 else branches[0]


def _value_columns(rows: Any) -> dict[str, Any]:
    return {VALUE: rows[VALUE], SERVED: rows[SERVED]}


def with_values(table: Any, task: str | None) -> Any:
    """A decided prediction table with the cube's per-row ``SERVED`` (0/1) and ``VALUE`` (the
    task's loss, NULL where unlabelled or unserved) columns."""
    metric = "rmse" if LOSS[task or "binary"] == "mse" else "error"
    return table.mutate(
        **{
            VALUE: loss(table, task or "binary", metric),
            SERVED: table.prediction.notnull().cast("int64"),
        }
    )


def _count(rows: Any, shape: Shape) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``rows``' counts: numeric ``(i, b, n, lo, hi)`` and categorical ``(i, v, n)``."""
    frames: dict[str, list[pd.DataFrame]] = {"num": [], "cat": []}
    for part, start, names in parts(shape):

        def build(t: Any, part: str = part, start: int = start, names: list[str] = names) -> Any:
            return cells_query(t, shape, part, start, names)

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
    keep(
        store,
        shape.model,
        shape.key,
        lambda con, days: _recount(store, con, shape, columns, days),
    )


def keep(
    store: Any,
    model: str,
    key: str,
    recount: Callable[[Any, list[int] | None], None],
    *,
    parts: Mapping[str, str] = cube_tables.PARTS,
) -> None:
    """Build the cube ``key`` of ``model`` (tables ``parts``), or count again the days of
    segments ingested since it was last brought up to date: ``recount(con, days)`` replaces the
    counts of ``days`` (None: every day) on the cursor ``con``, inside the transaction."""
    # A cursor of its own: a worker's cursor is interrupted when its query goes stale (a new
    # brush), which would roll the build back at every brush.
    with (
        _lock(store),
        contextlib.closing(store.ibis.con.cursor()) as con,
        cube_tables.transaction(con),
    ):
        new = cube_tables.news(con, model, key)
        if not cube_tables.known(con, model, key):
            cube_tables.create(con, model, key, kept=KEPT, parts=parts)
            recount(con, None)
        elif new:
            recount(con, cube_tables.dirty_days(con, store.path, model, new))
        cube_tables.counted(con, model, key, [s for s, _ in new])


def _recount(store: Any, con: Any, shape: Shape, columns: Any, days: list[int] | None) -> None:
    """Count ``days`` again (every day for None): their rows replaced by fresh counts."""
    if days is not None and not days:
        return
    schema = store.schema(shape.model)
    base = with_values(decided(store.table(shape.model), schema), schema.task)
    rows = columns(base, ("timestamp", "model_version", VALUE, SERVED))
    rows = rows.mutate(day=epoch_micros(rows.timestamp, "duckdb") // DAY_US)
    if days is not None:
        rows = rows.filter(
            rows.timestamp >= day_start(min(days)),
            rows.timestamp < day_start(max(days) + 1),
            rows.day.isin(days),
        )
    by = ("day", "model_version")
    counts: dict[str, list[str]] = {"num": [], "cat": []}
    for part, start, names in parts(shape):
        narrow = _narrow(rows, [*by, *names, VALUE, SERVED])
        query = cells_query(narrow, shape, part, start, names, by, values=True)
        counts[part].append(store.ibis.compile(query))
    cube_tables.replace_days(con, shape.model, shape.key, days, counts)
