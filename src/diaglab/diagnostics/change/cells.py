"""The cells of :func:`diaglab.explain_change` on the reference's grid: from the counts kept per
day, or from the rows, the same numbers either way.

When the registered reference has a grid for every numeric feature explained (drift's,
:mod:`diaglab.queries.binning`), each numeric feature is cut into bins made of whole grid cells
(:func:`~diaglab.diagnostics.slices.bins.grid_binning`: about equal reference mass) and each
categorical one into its frequent values, "other" and "(missing)"
(:func:`~diaglab.diagnostics.slices.bins.categorical_binning`, on both periods' served rows). A cell
is then a sum of ``(period, day, grid index or value)`` groups, which come

- **from the cube** (:func:`~diaglab.queries.cube.window_cells`): the periods' whole UTC days
  summed from the counts kept per day, their partial first and last days counted from the rows;
  on a writable DuckDB store, without ``where=`` or ``threshold=``, for the losses the cube keeps
  (:data:`~diaglab.queries.cube.LOSS`: error and accuracy, MSE and RMSE), when both periods
  have labels and span at least ``MIN_DAYS`` days;
- **or from the rows** (:func:`row_counts`), grouped by the same query the cube is built with,
  by day when both periods span ``MIN_DAYS`` days or more, else by hour.

The bootstrap's time blocks are runs of consecutive days (or hours): ``BLOCKS`` per period, or
one per day when a period has fewer days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import ibis
import numpy as np
import pandas as pd

from diaglab.diagnostics.slices.bins import (
    NULL_CODE,
    Bin,
    Binning,
    categorical_binning,
    grid_binning,
)
from diaglab.errors import InputError
from diaglab.queries import cube
from diaglab.queries.filters import Condition
from diaglab.queries.scope import resolved_thresholds
from diaglab.queries.timegrid import epoch_micros
from diaglab.queries.window import Window
from diaglab.store.cube_tables import DAY_US

HOUR_US = 3_600_000_000
KEY_SPAN = 1024
"""Largest product of code ranges packed into one key: keys per row against distinct keys."""
MIN_DAYS = 7
"""Days each period spans for blocks of whole days: fewer would leave the block bootstrap
fewer than seven replicate units (it then groups by hour, from the rows)."""


@dataclass(frozen=True)
class GridPlan:
    """What the cells of a grid-binned explain_change depend on."""

    shape: cube.Shape
    columns: Any
    """``columns(table, extra)``: a decided prediction table's drift columns (drift's
    ``Prepared.columns``), the cube's and the row query's input."""
    stored: dict[str, str]
    """Each explained feature as named -> its stored column."""
    numeric: dict[str, Binning]
    """Each numeric feature's bins (as named), without the missing bin (added when counted)."""


def grid_plan(store: Any, model: str, names: list[str], version: str | None) -> GridPlan | None:
    """The grid plan of ``names`` when the registered reference has a grid for each numeric
    one; None otherwise (no reference, or one lacking a feature: quantile bins, from the rows)."""
    schema = store.schema(model)
    cuts = tuple(resolved_thresholds(schema, None).items())
    key = ("explain-change-grid", model, version, tuple(names), tuple(schema.features), cuts)
    # the reference's grids change with a new reference only; the thresholds are in the key
    plan: GridPlan | None = store.memo(
        key, lambda: _grid_plan(store, model, names, version), reference_only=True
    )
    return plan


def _grid_plan(store: Any, model: str, names: list[str], version: str | None) -> GridPlan | None:
    from diaglab.diagnostics.drift.query import prepare

    try:
        p = prepare(store, model, None, None, None, None, version, decision=True)
    except InputError:  # no registered reference (of this version): quantile bins
        return None
    schema = store.schema(model)
    stored = {f: schema.resolve(f) for f in names}
    numeric: dict[str, Binning] = {}
    for f, column in stored.items():
        if schema.kind(column) == "numeric":
            grid = p.grids.get(column)
            if grid is None or column not in p.ref_counts:
                return None
            numeric[f] = grid_binning(
                column, grid, p.ref_counts[column].grid_counts, has_nulls=False
            )
        elif column not in p.cat_cols:
            return None
    every = {f: g for f, g in p.grids.items() if g is not None}
    return GridPlan(cube.Shape(model, every, tuple(p.cat_cols), p.cuts), p.columns, stored, numeric)


def cube_counts(
    store: Any, gp: GridPlan, periods: tuple[Window, Window], version: str | None, metric: str
) -> pd.DataFrame | None:
    """``(w, tick, feature, b, v, n, n_lab, s)`` per period, day and grid index (numeric) or
    value (categorical) from the cube, for ``metric`` (one of the cube's losses or accuracy);
    None when a period spans fewer than ``MIN_DAYS`` days (its blocks need hours)."""
    num, cat = cube.window_cells(
        store, gp.shape, gp.columns, list(periods), version, only=list(gp.stored.values())
    )
    frame = pd.concat([num, cat], ignore_index=True)
    frame = frame[frame["m"] > 0].drop(columns="n")
    frame = frame.rename(columns={"day": "tick", "m": "n", "nl": "n_lab"})
    if metric == "accuracy":
        frame["s"] = frame["n_lab"] - frame["s"]
    spans = frame.groupby("w")["tick"].agg(["min", "max"])
    if len(spans) < 2 or ((spans["max"] - spans["min"] + 1) < MIN_DAYS).any():
        return None
    return frame


def tick_of(totals: dict[int, dict[str, float]]) -> int:
    """The rows' grouping for blocks: days when both periods (first to last row) span
    ``MIN_DAYS`` days, else hours."""
    day_s = DAY_US // 1_000_000
    days = [int(totals[w]["t1"] // day_s) - int(totals[w]["t0"] // day_s) + 1 for w in totals]
    return DAY_US if min(days) >= MIN_DAYS else HOUR_US


def row_counts(served: Any, gp: GridPlan, tick: int) -> pd.DataFrame:
    """``(w, tick, feature, b, v, n, n_lab, s)`` of ``served`` (both periods' served rows, with
    the period ``w`` and the metric's per-row value ``v``), grouped by the cube's query."""
    rows = served.mutate(
        **{cube.VALUE: served.v, cube.SERVED: ibis.literal(1, "int64")},
    )
    backend = ibis.get_backend(served).name
    rows = gp.columns(rows, ("w", "timestamp", cube.VALUE, cube.SERVED))
    rows = rows.mutate(tick=epoch_micros(rows.timestamp, backend) // tick)
    columns = list(gp.stored.values())
    sub = gp.shape.narrowed(set(columns))
    frames = []
    for part, start, names in cube.parts(sub):
        narrow = rows.select("w", "tick", *names, cube.VALUE, cube.SERVED).view()
        query = cube.cells_query(narrow, sub, part, start, names, ("w", "tick"), values=True)
        got = query.to_pyarrow().to_pandas().drop(columns=["n", "lo", "hi"], errors="ignore")
        got["feature"] = got.pop("i").map(dict(enumerate(names, start)))
        frames.append(got)
    frame = pd.concat(frames, ignore_index=True)
    return frame.rename(columns={"m": "n", "nl": "n_lab"})


def coded(
    gp: GridPlan, frame: pd.DataFrame, names: list[str], blocks: int
) -> tuple[dict[str, Binning], pd.DataFrame]:
    """The bins of ``names`` and their cells ``(w, blk, code, n, n_lab, s, feature)``
    (``feature`` numbering ``names``), as :func:`~diaglab.diagnostics.change.query`'s row path
    gives them, from the grouped counts ``frame``."""
    w = frame["w"].to_numpy(np.int64)
    tick = frame["tick"].to_numpy(np.int64)
    blk = np.zeros(len(frame), dtype=np.int64)
    for period in (0, 1):
        mine = w == period
        if mine.any():
            lo, hi = tick[mine].min(), tick[mine].max()
            blk[mine] = (tick[mine] - lo) * blocks // (hi - lo + 1)
    code = np.full(len(frame), NULL_CODE, dtype=np.int64)
    number = np.full(len(frame), -1, dtype=np.int64)
    at = frame.groupby("feature", sort=False).indices
    plan: dict[str, Binning] = {}
    for i, f in enumerate(names):
        column = gp.stored[f]
        rows = at.get(column, np.array([], dtype=np.int64))
        number[rows] = i
        if f in gp.numeric:
            base = gp.numeric[f]
            b = frame["b"].iloc[rows]
            plan[f] = replace(base, bins=_with_missing(base, bool(b.isna().any())))
            code[rows] = plan[f].codes_of_index(b)
        else:
            part = frame.iloc[rows]
            values = part["v"].astype(object).where(part["v"].notna(), None)
            counts: dict[Any, int] = {}
            for v, n in zip(values.tolist(), part["n"].tolist(), strict=True):
                counts[v] = counts.get(v, 0) + int(n)
            # in the order of the values, so ties rank alike whichever source counted them
            keys = sorted((v for v in counts if v is not None), key=str)
            keys += [None] if None in counts else []
            series = pd.Series([counts[v] for v in keys], index=pd.Index(keys, dtype=object))
            plan[f] = categorical_binning(column, series)
            code[rows] = plan[f].codes_of(values)
    cells = pd.DataFrame(
        {
            "feature": number,
            "w": w,
            "blk": blk,
            "code": code,
            "n": frame["n"].to_numpy(np.int64),
            "n_lab": frame["n_lab"].to_numpy(np.int64),
            "s": frame["s"].fillna(0.0).to_numpy(float),
        }
    )
    cells = cells[cells["feature"] >= 0]
    summed = cells.groupby(["feature", "w", "blk", "code"], as_index=False)[["n", "n_lab", "s"]]
    return plan, summed.sum()


def _with_missing(base: Binning, has_nulls: bool) -> tuple[Bin, ...]:
    bins = tuple(b for b in base.bins if b.code != NULL_CODE)
    if has_nulls:
        bins += (Bin(NULL_CODE, "(missing)", (Condition(base.feature, "is null"),)),)
    return bins


def binned_cells(
    served: Any,
    plan: dict[str, Any],
    names: list[str],
    totals: dict[int, dict[str, float]],
    blocks: int,
) -> pd.DataFrame:
    """Per feature, period, time block (``blocks`` per period) and bin, on bins of the rows
    (no grid): rows, labelled rows and ``Σℓ``, in one scan.

    Each row's bin codes are packed into a few integer keys (features whose code ranges multiply
    to at most ``KEY_SPAN`` share one), the keys unnested, and one ``GROUP BY (period, block,
    key)`` counts them all; each feature's cells are its keys' marginals, summed here.
    """
    t = served
    t0 = ibis.ifelse(t.w == 1, totals[1]["t0"], totals[0]["t0"])
    span = ibis.ifelse(
        t.w == 1, totals[1]["t1"] - totals[1]["t0"], totals[0]["t1"] - totals[0]["t0"]
    )
    block = ibis.least(((t.t - t0) * blocks / (span + 1)).floor(), blocks - 1).cast("int16")
    packs = _packs([plan[f] for f in names])
    keys = [
        sum(
            ((_code(t, plan[names[i]]) - NULL_CODE).cast("int32") * mult for i, mult, _ in pack),
            ibis.literal(offset, "int32"),
        )
        for offset, pack in packs
    ]
    rows = t.select(w=t.w, blk=block, v=t.v, key=ibis.array(keys).unnest())
    counted = (
        rows.group_by(["w", "blk", "key"])
        .aggregate(n=rows.count(), n_lab=rows.v.count(), s=rows.v.sum())
        .to_pyarrow()
        .to_pandas()
    )
    counted["s"] = counted["s"].fillna(0.0)
    key = counted["key"].to_numpy(np.int64)
    frames = []
    for offset, pack in packs:
        size = int(np.prod([width for *_, width in pack]))
        mine = (key >= offset) & (key < offset + size)
        part, local = counted[mine], key[mine] - offset
        for i, mult, width in pack:
            code = (local // mult) % width + NULL_CODE
            cells = (
                part.assign(code=code)
                .groupby(["w", "blk", "code"], as_index=False)[["n", "n_lab", "s"]]
                .sum()
            )
            frames.append(cells.assign(feature=i))
    return pd.concat(frames, ignore_index=True)


def _packs(plan: Sequence[Any]) -> list[tuple[int, list[tuple[int, int, int]]]]:
    """Features packed into keys: per key its offset and, per feature, its index, multiplier and
    number of codes (``NULL_CODE`` up to the last bin's)."""
    widths = [(len(b.edges) if b.kind == "numeric" else len(b.kept)) + 1 - NULL_CODE for b in plan]
    packs: list[tuple[int, list[tuple[int, int, int]]]] = []
    pack: list[tuple[int, int, int]] = []
    offset, mult = 0, 1
    for i, width in enumerate(widths):
        if pack and mult * width > KEY_SPAN:
            packs.append((offset, pack))
            offset, pack, mult = offset + mult, [], 1
        pack.append((i, mult, width))
        mult *= width
    packs.append((offset, pack))
    return packs


def _code(t: Any, binning: Any) -> Any:
    """A numeric feature's bin code as :meth:`Binning.code` gives it, by arithmetic: the number
    of edges at or below the value (a CASE of comparisons per row costs more), -1 when missing."""
    if binning.kind != "numeric" or not binning.edges:
        return binning.code(t)
    col = t[binning.feature]
    count = sum((col >= e).cast("int16") for e in binning.edges)
    return ibis.ifelse(col.isnull(), NULL_CODE, count).cast("int16")
