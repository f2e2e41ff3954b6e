"""Binned counts computed in the engine: what drift statistics need, without shipping rows.

Numeric features are counted on a fine uniform grid laid over the reference's central range
(``GRID_BINS`` bins over mean ± ``SPREAD`` standard deviations, clipped to the reference's range),
plus two tail bins reaching the reference minimum and maximum, plus values outside the reference
range (counted apart). The engine only computes ``floor((x - lo) / width)`` and groups by it.
(Tail quantiles would place the grid better for very skewed features, but approximate quantiles
cost ~10x a mean and a standard deviation here.)
Python then merges the fine bins into ~100 bins of about equal reference mass (quantile bins)
that both sides share exactly, so PSI, Jensen–Shannon and the chi-square test are exact for those
bins; the binned KS and Wasserstein bounds are documented in :mod:`diaglab.stats.distances`.

Integer features (every reference value a whole number, e.g. an age in years) get a grid of their
own (``Grid.integer``): one bin per value when the reference range spans at most ``GRID_BINS``
values, else bins of a whole-number width, always starting at a whole number. Merged bins then
end at whole numbers (``[21, 27)``, never ``21.053``), and a feature with at most ~100 values is
binned on its distinct values, each a point mass (the Wasserstein distance is then exact). Their
bins hold whatever share of the reference their values hold, so they are only as equal as the
values allow (``Grid.binning`` says which scheme a feature got).

Each engine counts every feature in the plan it runs best, with compile time linear in the width:

- DuckDB (columnar) counts one feature per ``GROUP BY`` branch of a ``UNION ALL``, each branch
  reading its one column, ``FEATURES_PER_QUERY`` features per query (each column is read once);
- Spark reads the rows once for all features: it unpivots them to a long layout (one
  ``(feature number, value)`` row per feature and row, an array of structs ``EXPLODE``d) and
  groups that by feature number and bin. (On DuckDB that layout runs ~1.8x slower than the
  branches: it builds a list of structs per row.)

Either way the query is built over the few columns it reads (:func:`_narrow`), not over the
table's full projection: Ibis merged every branch's selection into a projection of every feature
and compiled a 32-branch union in ~7 s at 1,000 features. Memory is bounded by the groups: at
most ``GRID_BINS + 4`` per numeric feature (values in the tails are clipped to one bin each
before grouping) and the categories of a categorical one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd

from diaglab.store.compiled import fetch_over

GRID_BINS = 1000
SPREAD = 6.0
FEATURES_PER_QUERY = 32
"""DuckDB's memory budget: one query counts at most this many features. A query's UNION ALL
branches run side by side, each with its own scan buffers and hash table, so one query over every
feature grows with the width: 250 features at 20k rows exhausted the store's DuckDB memory limit
(issue 16). The long layout (Spark) has one hash table whatever the width and is not split."""
DISTINCT_VALUES = 100
"""An integer feature spanning at most this many values is binned on its values (the drift
statistics' ~100 bins then merge nothing)."""
# Out-of-reference-range values get these grid indexes, far from any real one.
BELOW, ABOVE = -(2**40), 2**40


@dataclass(frozen=True)
class Grid:
    """The fine grid of one numeric feature, fixed by the reference."""

    feature: str
    lo: float
    hi: float
    ref_min: float
    ref_max: float
    std: float
    bins: int = GRID_BINS
    integer: bool = False
    """Every reference value is a whole number; the grid's edges are whole numbers."""

    @property
    def width(self) -> float:
        return (self.hi - self.lo) / self.bins if self.hi > self.lo else 1.0

    @property
    def edges(self) -> np.ndarray:
        """Edges of the tail-low bin, the grid bins and the tail-high bin."""
        if self.hi <= self.lo:
            inner = np.full(self.bins + 1, self.lo)
        else:
            inner = np.linspace(self.lo, self.hi, self.bins + 1)
        if self.integer:
            inner = np.round(inner)
        return np.concatenate([[min(self.ref_min, self.lo)], inner, [max(self.ref_max, self.hi)]])

    @property
    def binning(self) -> str:
        """How the feature is binned, in words (for charts and results)."""
        if not self.integer:
            return "quantile bins of about equal reference mass"
        if self.width == 1 and self.bins <= DISTINCT_VALUES:
            return "one bin per distinct whole-number value"
        return "quantile bins merged at whole numbers (shares as equal as the values allow)"

    def index(self, column: ibis.Value) -> ibis.Value:
        """The grid index of each value: BELOW / ABOVE outside the reference range, -1 and
        ``bins`` for the reference's own tails (below ``lo``, at or above ``hi``), so a feature
        has at most ``bins + 4`` indexes (with null) whatever its values."""
        scaled = (column - self.lo) / self.width
        return ibis.cases(
            (column < self.ref_min, BELOW),
            (column > self.ref_max, ABOVE),
            (scaled < 0, -1),
            (scaled >= self.bins, self.bins),
            else_=scaled.floor(),
        )


def _chunks(table: ibis.Table, names: Sequence[str]) -> list[list[str]]:
    """``names`` in the runs one query counts: all at once in the long layout (Spark), else runs
    of at most ``FEATURES_PER_QUERY``."""
    if _long_layout(table):
        return [list(names)] if names else []
    step = FEATURES_PER_QUERY
    return [list(names[i : i + step]) for i in range(0, len(names), step)]


def _long_layout(table: ibis.Table) -> bool:
    """Whether ``table``'s engine counts features in the long layout (all but DuckDB)."""
    return ibis.get_backend(table).name != "duckdb"


def _narrow(table: ibis.Table, columns: Sequence[str]) -> ibis.Table:
    """``table``'s ``columns`` as a relation of their own: queries over it compile in time that
    grows with its few columns, not with every projection under it
    (:func:`~diaglab.store.compiled.fetch_over` compiles what is under it once per call)."""
    return table.select(*columns).view()


def _unpivot(
    rows: ibis.Table, *, keep: Sequence[str] = (), **values: list[ibis.Value]
) -> ibis.Table:
    """``rows`` in a long layout: per row of ``rows`` and position ``k``, one row with ``i = k``
    and a column per name of ``values`` holding ``values[name][k]`` (every list equally long and
    each of one type), with the ``keep`` columns of its row. One ``UNNEST``/``EXPLODE`` of an
    array of structs: one scan of ``rows``."""
    width = len(next(iter(values.values())))
    items = [
        ibis.struct({"i": ibis.literal(k, "int32"), **{n: v[k] for n, v in values.items()}})
        for k in range(width)
    ]
    long = rows.select(*keep, _e=ibis.array(items).unnest())
    return long.select(*keep, i=long._e["i"], **{n: long._e[n] for n in values})


def reference_grids(table: ibis.Table, numeric: Sequence[str]) -> dict[str, Grid | None]:
    """Range and spread of every numeric feature over the reference, one aggregate per run of
    :func:`_chunks`. A feature with no non-null reference value gets None."""
    grids: dict[str, Grid | None] = {}
    for part in _chunks(table, numeric):
        grids.update(_reference_grids(_narrow(table, part), part))
    return grids


def _reference_grids(table: ibis.Table, numeric: Sequence[str]) -> dict[str, Grid | None]:
    def profile(rows: ibis.Table) -> ibis.Table:
        aggs = {}
        for i, f in enumerate(numeric):
            col = rows[f]
            aggs[f"min{i}"] = col.min()
            aggs[f"max{i}"] = col.max()
            aggs[f"std{i}"] = col.std(how="pop")
            aggs[f"mean{i}"] = col.mean()
            aggs[f"int{i}"] = (col.cast("float64").floor() == col.cast("float64")).all()
        return rows.aggregate(**aggs)

    row = fetch_over(table, ("reference_grids", tuple(numeric), "int"), profile).to_pylist()[0]
    grids: dict[str, Grid | None] = {}
    for i, f in enumerate(numeric):
        if row[f"min{i}"] is None:
            grids[f] = None
            continue
        ref_min, ref_max = float(row[f"min{i}"]), float(row[f"max{i}"])
        mean, std = float(row[f"mean{i}"]), float(row[f"std{i}"] or 0.0)
        if row[f"int{i}"] and abs(ref_min) < 2**52 and abs(ref_max) < 2**52:
            grids[f] = _integer_grid(f, ref_min, ref_max, std)
            continue
        lo = _steady(min(max(mean - SPREAD * std, ref_min), ref_max), ref_min, ref_max)
        hi = _steady(max(min(mean + SPREAD * std, ref_max), lo), ref_min, ref_max)
        grids[f] = Grid(f, lo, hi, ref_min, ref_max, std)
    return grids


def _integer_grid(feature: str, ref_min: float, ref_max: float, std: float) -> Grid:
    """A grid of whole-number edges from the reference minimum: one bin per value when the range
    spans at most ``GRID_BINS`` values, else bins ``ceil(span / GRID_BINS)`` values wide."""
    span = ref_max - ref_min + 1
    width = max(1, math.ceil(span / GRID_BINS))
    bins = math.ceil(span / width)
    return Grid(feature, ref_min, ref_min + bins * width, ref_min, ref_max, std, bins, True)


def _steady(x: float, ref_min: float, ref_max: float) -> float:
    """``x`` on a step of 2**-30 of the reference range. An engine's parallel sums (the mean, the
    standard deviation) differ in their last bits from run to run; the grid is written into the
    counting query, whose compiled SQL is kept across processes under the grid's values."""
    step = (ref_max - ref_min) / 2**30
    if not (step > 0 and math.isfinite(step)):
        return x
    return min(max(ref_min + round((x - ref_min) / step) * step, ref_min), ref_max)


@dataclass(frozen=True)
class NumericCounts:
    """Counts of one numeric feature on its grid for one side."""

    grid_counts: np.ndarray  # tail-low, grid bins..., tail-high
    nulls: int
    below: int  # under the reference minimum
    above: int  # over the reference maximum
    minimum: float | None
    maximum: float | None

    @property
    def n(self) -> int:
        return int(self.grid_counts.sum() + self.below + self.above + self.nulls)


def numeric_counts(table: ibis.Table, grids: dict[str, Grid]) -> dict[str, NumericCounts]:
    """Grid counts of every feature in ``grids`` over ``table``, one query per run of
    :func:`_chunks`."""
    out: dict[str, NumericCounts] = {}
    for part in _chunks(table, list(grids)):
        sub = {f: grids[f] for f in part}
        long = _long_layout(table)

        def count(rows: ibis.Table, sub: dict[str, Grid] = sub, long: bool = long) -> ibis.Table:
            return numeric_count_query(rows, sub, long=long)

        frame = fetch_over(_narrow(table, part), ("numeric_counts", grid_shape(sub), long), count)
        out.update(numeric_from_frame(frame.to_pandas(), sub))
    return out


def grid_shape(grids: dict[str, Grid]) -> tuple[tuple[object, ...], ...]:
    """What a counting query reads of each grid (not its std): a key for compiled SQL and for
    counts kept in the engine."""
    return tuple((f, g.lo, g.hi, g.ref_min, g.ref_max, g.bins, g.integer) for f, g in grids.items())


def numeric_count_query(
    rows: ibis.Table,
    grids: dict[str, Grid],
    *,
    long: bool = False,
    by: Sequence[str] = (),
    offset: int = 0,
) -> ibis.Table:
    """The counting query of :func:`numeric_counts`: per feature number ``i`` (``offset`` + its
    position in ``grids``), grid index ``b`` and the ``by`` columns, the rows ``n`` and each
    bin's smallest and largest value ``lo``/``hi`` (beyond the reference range: the extremes)."""
    names = list(grids)
    keys = [*by, "i", "b"]
    if long:
        rows = _unpivot(
            rows,
            b=[grids[f].index(rows[f]).cast("int64") for f in names],
            x=[rows[f].cast("float64") for f in names],
            keep=list(by),
        )
        rows = rows.mutate(i=rows.i + offset) if offset else rows
        return rows.group_by(keys).aggregate(n=ibis._.count(), lo=ibis._.x.min(), hi=ibis._.x.max())
    branches = [
        rows.select(
            *by,
            i=ibis.literal(offset + k, "int32"),
            b=grids[f].index(rows[f]),
            x=rows[f],
        )
        .group_by(keys)
        .aggregate(n=ibis._.count(), lo=ibis._.x.min(), hi=ibis._.x.max())
        for k, f in enumerate(names)
    ]
    return ibis.union(*branches, distinct=False) if len(branches) > 1 else branches[0]


def numeric_from_frame(df: pd.DataFrame, grids: dict[str, Grid]) -> dict[str, NumericCounts]:
    """Each feature's counts from rows ``(i, b, n, lo, hi)`` of :func:`numeric_count_query`
    (``i`` numbering ``grids`` from 0); rows of one ``(i, b)`` may repeat (counts of several
    periods) and are summed."""
    out: dict[str, NumericCounts] = {}
    for k, f in enumerate(grids):
        g = grids[f]
        part = df[df["i"] == k]
        nulls = int(part.loc[part["b"].isna(), "n"].sum())
        part = part[part["b"].notna()]
        idx = part["b"].to_numpy(dtype=np.int64)
        n = part["n"].to_numpy(dtype=np.int64)
        counts = np.zeros(g.bins + 2, dtype=np.int64)
        inner = (idx >= 0) & (idx < g.bins)
        np.add.at(counts, idx[inner] + 1, n[inner])
        if g.hi <= g.lo:  # constant central range: everything in range sits in one bin
            counts[1] += counts[2:].sum()
            counts[2:] = 0
        counts[0] += int(n[(idx < 0) & (idx != BELOW)].sum())
        counts[-1] += int(n[(idx >= g.bins) & (idx != ABOVE)].sum())
        below, above = int(n[idx == BELOW].sum()), int(n[idx == ABOVE].sum())
        inside = bool(counts.any())
        out[f] = NumericCounts(
            counts,
            nulls,
            below,
            above,
            _float(part["lo"].to_numpy()[idx == BELOW].min()) if below else _in(g.ref_min, inside),
            _float(part["hi"].to_numpy()[idx == ABOVE].max()) if above else _in(g.ref_max, inside),
        )
    return out


def _in(bound: float, inside: bool) -> float | None:
    """The reference's bound, as the extreme of values that all lie inside its range."""
    return bound if inside else None


def _float(v: object) -> float | None:
    return None if v is None else float(v)  # type: ignore[arg-type]


def categorical_counts(table: ibis.Table, features: Sequence[str]) -> dict[str, pd.Series]:
    """Counts per category (None for missing) of every feature, one query per run of
    :func:`_chunks`."""
    out: dict[str, pd.Series] = {}
    for part in _chunks(table, features):
        long = _long_layout(table)

        def count(rows: ibis.Table, part: list[str] = part, long: bool = long) -> ibis.Table:
            return categorical_count_query(rows, part, long=long)

        frame = fetch_over(_narrow(table, part), ("categorical_counts", tuple(part), long), count)
        out.update(categorical_from_frame(frame.to_pandas(), part))
    return out


def categorical_count_query(
    rows: ibis.Table,
    features: Sequence[str],
    *,
    long: bool = False,
    by: Sequence[str] = (),
    offset: int = 0,
) -> ibis.Table:
    """The counting query of :func:`categorical_counts`: per feature number ``i`` (``offset`` +
    its position), category ``v`` (as text) and the ``by`` columns, the rows ``n``."""
    if long:
        rows = _unpivot(rows, v=[rows[f].cast("string") for f in features], keep=list(by))
        rows = rows.mutate(i=rows.i + offset) if offset else rows
        return rows.group_by([*by, "i", "v"]).aggregate(n=ibis._.count())
    branches = [
        rows.group_by(*by, v=rows[f].cast("string"))
        .aggregate(n=ibis._.count())
        .mutate(i=ibis.literal(offset + k, "int32"))
        for k, f in enumerate(features)
    ]
    return ibis.union(*branches, distinct=False) if len(branches) > 1 else branches[0]


def categorical_from_frame(df: pd.DataFrame, features: Sequence[str]) -> dict[str, pd.Series]:
    """Each feature's counts per category from rows ``(i, v, n)`` of
    :func:`categorical_count_query`, summed over repeated categories, categories in sorted order
    (missing last): the statistics then add them in the same order whichever query counted."""
    out: dict[str, pd.Series] = {}
    for k, f in enumerate(features):
        part = df.loc[df["i"] == k]
        sums: dict[Any, int] = {}
        for v, n in zip(part["v"].tolist(), part["n"].tolist(), strict=True):
            key = None if v is None or v != v else v
            sums[key] = sums.get(key, 0) + int(n)
        order = sorted((v for v in sums if v is not None), key=str)
        order += [None] if None in sums else []
        out[f] = pd.Series(
            [sums[v] for v in order], index=pd.Index(order, dtype=object), dtype=np.int64, name="n"
        )
    return out
