"""find_slices' cells kept per day, so that a search of a new window sums cells instead of
counting its rows again (issue 17: a brush in a panel searches the brushed window).

:func:`~diaglab.diagnostics.slices.counts.count_cells` counts a level's slices from one ``GROUP
BY`` per *block* of up to four features; a cell of a block holds ``n``, ``Σℓ``, ``Σℓ²`` and ``max
ℓ``, which add up over days. A *slice cube* keeps, per UTC day and model version, the cells of a
fixed cover of every triple of the model's features by blocks of four
(:func:`~diaglab.diagnostics.slices.counts.cover`): every slice of one, two or three conditions is
a sum of one block's cells. A window's cells are its whole days' sums plus its partial first and
last days counted from the rows, the same integers and sums as counting the window's rows.

**The bins do not depend on the window.** A numeric feature's codes are its bins at the
reference's quantiles (:func:`~diaglab.diagnostics.slices.bins.binnings`, which the window's
search uses too); a categorical feature's codes number its values in the order the cube first
counted them (a value logged later gets the next code when its day is counted; at most
``VALUES`` per feature, the rest share one code). A window's search keeps a categorical
feature's frequent values and folds the rest into "other" (from the window's counts): its codes
are a mapping of the cube's, applied to the summed cells. A window whose bins are not such a
mapping (a numeric feature missing from the reference, ``bins=``, a kept value beyond
``VALUES``) is counted from the rows, as are ``where=``, ``threshold=``, ``compare=``, four
conditions, read-only stores and Spark.

**Kept up to date** as the per-day drift counts are (:func:`diaglab.queries.cube.keep`): the days
of segments ingested since (late labels dirty their predictions' days) are counted again before a
search reads the cube. Its key hashes what the cells depend on (features, bins, metric,
thresholds): another metric or a new reference is another cube.

On the 10M-row credit store (13 features, 89 blocks, 60 days, 2 versions) a cube holds 2.9M cells
against 10M rows, built once in 25 CPU-s; a three-week window sums a third of them in one ``GROUP
BY`` where its rows took 89: find_slices 1.3–1.5 CPU-s instead of 3.9–5.3 (bench/RESULTS.md,
"Panel at 10M: find_slices from cells kept per day").
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import ibis
import numpy as np
import pandas as pd

from diaglab.diagnostics.slices.bins import NULL_CODE, Binning, binnings
from diaglab.diagnostics.slices.counts import (
    BLOCK_CELLS,
    BLOCK_FEATURES,
    BRANCHES_PER_QUERY,
    STAT_COLUMNS,
    block_queries,
    combine,
    cover,
    loss,
)
from diaglab.queries import cube
from diaglab.queries.scope import decided, resolved_thresholds
from diaglab.queries.timegrid import epoch_micros
from diaglab.queries.window import Window
from diaglab.store import cube_tables, slice_cells
from diaglab.store.compiled import fetch_over
from diaglab.store.engines import materialize

FORMAT = 1
"""Changes when what a slice cube holds changes: cubes of another format are built again."""
MAX_CONDITIONS = 3
"""Deepest slices a cube answers (its blocks cover every triple of features)."""


VALUES = 62
"""Values of a categorical feature a cube numbers; later ones share the code ``VALUES`` (a
code + 1 fits the 6 bits :func:`~diaglab.diagnostics.slices.counts.pack` gives it)."""
CATEGORY_CARD = 8
"""The bins assumed of a categorical feature when the cube's blocks are drawn (its values are
numbered as they come, the blocks must not change)."""


@dataclass(frozen=True)
class Shape:
    """What a slice cube's cells depend on: the model's features (stored columns; the numeric
    ones with the reference's bins), the loss ranked by and the decision thresholds."""

    model: str
    task: str
    metric: str
    features: tuple[str, ...]
    numeric: tuple[tuple[str, Binning], ...]
    cuts: tuple[tuple[str, float], ...]

    @property
    def key(self) -> str:
        bins = tuple((f, b.edges) for f, b in self.numeric)
        text = repr(("slices", FORMAT, self.model, self.task, self.metric, self.features, bins))
        return hashlib.sha256(repr((text, self.cuts)).encode()).hexdigest()[:16]

    @cached_property
    def blocks(self) -> list[tuple[int, ...]]:
        """The blocks (feature numbers) whose cells the cube keeps: they cover every triple."""
        numeric = dict(self.numeric)
        cards = [
            len(numeric[f].edges) + 2 if f in numeric else CATEGORY_CARD for f in self.features
        ]
        size = min(MAX_CONDITIONS, len(cards))
        combos = list(itertools.combinations(range(len(cards)), size))
        cells = max(BLOCK_CELLS, math.prod(sorted(cards)[-size:]))
        return [m for m, _ in cover(combos, cards, size=BLOCK_FEATURES, cells=cells)]

    def codes(self, rows: Any, values: dict[int, list[str]]) -> dict[str, Any]:
        """The cube's bin code of each feature ``f`` (column ``c<f>``) of ``rows``, categorical
        values numbered by ``values``."""
        numeric = dict(self.numeric)
        out = {}
        for i, f in enumerate(self.features):
            if f in numeric:
                out[f"c{i}"] = numeric[f].code(rows)
            else:
                # every value counted is numbered first: the "else" code is VALUES once full
                named = Binning(f, "categorical", (), kept=tuple(values.get(i, [])))
                out[f"c{i}"] = named.code(rows)
        return out


@dataclass(frozen=True)
class WindowCells:
    """A window's cells summed from a cube, in the window's bin codes: ``count`` answers a
    level of the search as :func:`~diaglab.diagnostics.slices.counts.count_cells` does."""

    cells: pd.DataFrame
    blocks: list[tuple[int, ...]]
    numbers: dict[int, int]
    """The cube's number of each of the window's features -> the window's."""

    def count(
        self,
        combos: list[tuple[int, ...]],
        level: int,
        wanted: dict[tuple[int, ...], set[int]] | None,
    ) -> pd.DataFrame:
        """The stats of every combo of the window's features (only the ``wanted`` packed keys
        of a combo, when given)."""
        to_cube = {w: c for c, w in self.numbers.items()}
        home: dict[tuple[int, ...], int] = {}
        for b, members in enumerate(self.blocks):
            for r in range(1, level + 1):
                for combo in itertools.combinations(members, r):
                    home.setdefault(combo, b)
        chosen: dict[int, list[tuple[int, ...]]] = {}
        wanted_cube: dict[tuple[int, ...], set[int]] | None = None if wanted is None else {}
        for combo in combos:
            in_cube = tuple(to_cube[f] for f in combo)
            chosen.setdefault(home[in_cube], []).append(in_cube)
            if wanted is not None and wanted_cube is not None:
                wanted_cube[in_cube] = wanted.get(combo, set())
        order = sorted(chosen)
        position = np.full(len(self.blocks), -1)
        position[order] = np.arange(len(order))
        cells = self.cells.assign(block=position[self.cells["block"].to_numpy()])
        cells = cells[cells["block"] >= 0]
        blocks = [(self.blocks[b], chosen[b]) for b in order]
        return combine(cells, blocks, STAT_COLUMNS, wanted_cube, level, names=self.numbers)


def window_cells(
    store: Any,
    *,
    model: str,
    metric: str,
    window: Window,
    version: str | None,
    plan: dict[str, Binning],
    features: Sequence[str],
    usable: Sequence[str],
    max_conditions: int,
) -> WindowCells | None:
    """The cells of ``window``'s labelled rows (of ``version``) for a search of ``usable``
    (among ``features``) binned by ``plan``; None when a cube cannot answer (see the module):
    the caller counts the rows."""
    if not cube.usable(store) or max_conditions > MAX_CONDITIONS or not usable:
        return None
    first, end = cube.whole_days(window)
    if first is not None and end is not None and first >= end:
        return None
    schema = store.schema(model)
    stored = [schema.resolve(f) for f in features]
    numeric = [f for f, c in zip(features, stored, strict=True) if schema.kind(c) == "numeric"]
    reference = store.reference(model)
    if not set(stored) <= set(reference.columns):
        return None
    if version is not None:
        reference = reference.filter(reference.model_version == version)
    fixed = binnings(
        store, model, reference, numeric, version=version, cache_key=("slice-cube", "reference")
    )
    if any(plan[f].edges != fixed[f].edges or plan[f].grid is not None for f in numeric):
        return None
    cuts = tuple(sorted(resolved_thresholds(schema, None).items()))
    shape = Shape(
        model,
        schema.task or "binary",
        metric,
        tuple(stored),
        tuple((schema.resolve(f), fixed[f]) for f in numeric),
        cuts,
    )
    cube.keep(
        store,
        model,
        shape.key,
        lambda con, days: _recount(store, con, shape, days),
        parts=slice_cells.PARTS,
    )
    con = store.ibis.con
    values = slice_cells.values(con, model, shape.key)
    lookup = _lookup(shape, values, [plan[f] for f in features], [f in usable for f in features])
    if lookup is None:
        return None
    frames = [slice_cells.sums(con, model, shape.key, first, end, version)]
    edges = cube.edge_rows(store, model, window, version, first, end)
    if edges is not None:
        rows = _labelled(edges, shape, values)
        columns = [f"c{i}" for i in range(len(shape.features))]
        # the partial days' rows, read once for all the blocks' queries
        temp, release = materialize(store, rows.select("l", *columns))
        try:
            batches = -(-len(shape.blocks) // BRANCHES_PER_QUERY)
            for i in range(batches):

                def build(t: Any, i: int = i) -> Any:
                    return block_queries(t, shape.blocks, slice_cells.WIDTH, False)[i]

                key = ("slice-cube-edges", FORMAT, tuple(shape.blocks), i)
                frames.append(fetch_over(temp, key, build).to_pandas())
        finally:
            release()
    cells = pd.concat(frames, ignore_index=True)
    members = np.full((len(shape.blocks), slice_cells.WIDTH), -1)
    for b, block in enumerate(shape.blocks):
        members[b, : len(block)] = block
    block_of = cells["block"].to_numpy()
    for p, k in enumerate(slice_cells.KEYS):
        feature = members[block_of, p]
        codes = cells[k].to_numpy(dtype=float, na_value=np.nan)
        known = feature >= 0
        mapped = np.full(len(cells), np.nan)
        mapped[known] = lookup[feature[known], codes[known].astype(np.int64) - NULL_CODE]
        cells[k] = mapped
    names = list(features)
    numbers = {names.index(f): list(usable).index(f) for f in usable}
    return WindowCells(cells, shape.blocks, numbers)


def _lookup(
    shape: Shape, values: dict[int, list[str]], bins: list[Binning], searched: list[bool]
) -> np.ndarray | None:
    """Per feature (row) and cube code (column, from ``NULL_CODE``), the code of the window's
    ``bins``; None when a searched feature's bins are not a mapping of the cube's."""
    numeric = dict(shape.numeric)
    table = np.full((len(shape.features), VALUES + 2 - NULL_CODE), float(NULL_CODE))
    for i, f in enumerate(shape.features):
        if f in numeric:
            codes = np.arange(len(numeric[f].edges) + 1)
        else:
            kept = {v: j for j, v in enumerate(bins[i].kept)}
            numbered = values.get(i, [])
            if searched[i] and not set(kept) <= set(numbered):
                return None
            other = len(kept)
            codes = np.array([kept.get(v, other) for v in numbered] + [other])
        table[i, 1 : 1 + len(codes)] = codes
    return table


def _labelled(rows: Any, shape: Shape, values: dict[int, list[str]]) -> Any:
    """``rows`` (decided predictions) that are labelled, with the loss ``l`` and the cube's
    bin codes ``c<f>``."""
    row_loss = loss(rows, shape.task, shape.metric)
    rows = rows.filter(rows.prediction.notnull() & rows.label.notnull() & row_loss.notnull())
    return rows.mutate(l=loss(rows, shape.task, shape.metric), **shape.codes(rows, values))


def _recount(store: Any, con: Any, shape: Shape, days: list[int] | None) -> None:
    """Count ``days`` again (every day for None): their cells replaced by fresh counts, the
    values first seen in them numbered first."""
    if days is not None and not days:
        return
    rows = decided(store.table(shape.model), store.schema(shape.model))
    rows = rows.mutate(day=epoch_micros(rows.timestamp, "duckdb") // cube_tables.DAY_US)
    if days is not None:
        rows = rows.filter(
            rows.timestamp >= cube.day_start(min(days)),
            rows.timestamp < cube.day_start(max(days) + 1),
            rows.day.isin(days),
        )
    numeric = dict(shape.numeric)
    values = slice_cells.values(con, shape.model, shape.key)
    categorical = [i for i, f in enumerate(shape.features) if f not in numeric]
    if categorical:
        seen = [
            rows.select(i=ibis.literal(i, "int32"), v=rows[shape.features[i]].cast("string"))
            .filter(lambda t: t.v.notnull())
            .distinct()
            for i in categorical
        ]
        query = ibis.union(*seen, distinct=False) if len(seen) > 1 else seen[0]
        found = con.execute(store.ibis.compile(query)).fetchall()
        new = []
        for i, v in sorted((int(i), str(v)) for i, v in found):
            numbered = values.setdefault(i, [])
            if v not in numbered and len(numbered) < VALUES:
                new.append((i, v, len(numbered)))
                numbered.append(v)
        slice_cells.add_values(con, shape.model, shape.key, new)
    rows = _labelled(rows, shape, values)
    codes = [f"c{i}" for i in range(len(shape.features))]
    rows = rows.select("day", "model_version", "l", *codes)
    by = ("day", "model_version")
    queries = block_queries(rows, shape.blocks, slice_cells.WIDTH, False, by=by)
    compiled = {"blocks": [store.ibis.compile(q) for q in queries]}
    cube_tables.replace_days(con, shape.model, shape.key, days, compiled, parts=slice_cells.COUNTED)
