"""Counting candidate slices in the engine, for
:func:`diaglab.diagnostics.slices.search.find_slices`.

The binned codes and the per-row loss are materialised once as a narrow temporary table. Rather
than one ``GROUP BY`` per feature pair (378 for 28 features), the feature sets a level needs are
covered greedily by *blocks* of up to ``BLOCK_FEATURES`` features whose bin counts multiply to at
most ``BLOCK_CELLS``; one ``GROUP BY`` per block (batched into ``UNION ALL`` queries) returns small
cell counts from which every pair or triple inside the block is a sum. Per cell the engine returns
only ``n``, ``Σℓ``, ``Σℓ²`` and ``max ℓ`` (``STAT_COLUMNS``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import ibis
import numpy as np
import pandas as pd

from diaglab.stats.sufficient import LOG_LOSS_CLIP
from diaglab.store.spark_cells import spark_cells

BLOCK_FEATURES = 4
BLOCK_CELLS = 4096
BRANCHES_PER_QUERY = 24
STAT_COLUMNS = ("n", "s1", "s2", "emax")


def loss(table: Any, task: str, metric: str) -> Any:
    """The per-row loss the search ranks by, as an Ibis expression (NULL where unlabelled)."""
    pred, y = table.prediction, table.label
    if task in ("binary", "multiclass") and metric == "error":
        return (pred != y).cast("float64")
    if metric == "log_loss":
        s = table.score.clip(LOG_LOSS_CLIP, 1 - LOG_LOSS_CLIP)
        return -(y * s.ln() + (1 - y) * (1 - s).ln())
    if metric == "brier_score":
        return (table.score - y) * (table.score - y)
    e = y - pred
    return e * e if metric == "rmse" else e.abs()


def aggregates(t: Any, compare: bool) -> dict[str, Any]:
    """``STAT_COLUMNS`` of the loss column ``l``, and of window b's rows (``w == 1``) to compare."""
    aggs = {"n": t.count(), "s1": t.l.sum(), "s2": (t.l * t.l).sum(), "emax": t.l.max()}
    if compare:
        in_b = t.w == 1
        lb = ibis.ifelse(in_b, t.l, ibis.null("float64"))
        aggs.update(
            n_b=t.w.cast("int64").sum(),
            s1_b=lb.sum(),
            s2_b=(lb * lb).sum(),
            emax_b=lb.max(),
        )
    return aggs


def cover(
    combos: Iterable[tuple[int, ...]], cards: Sequence[int], *, size: int, cells: int
) -> list[tuple[tuple[int, ...], list[tuple[int, ...]]]]:
    """Blocks of features (each with the combos it covers) such that every combo lies in one.

    Greedy: start a block from an uncovered combo and add the feature that completes the most
    uncovered combos while the block has at most ``size`` features and ``cells`` bin cells.
    """
    uncovered = set(combos)
    blocks: list[tuple[tuple[int, ...], list[tuple[int, ...]]]] = []
    by_feature: dict[int, set[tuple[int, ...]]] = {}
    for c in uncovered:
        for f in c:
            by_feature.setdefault(f, set()).add(c)
    while uncovered:
        seed = min(uncovered)
        block = set(seed)
        prod = math.prod(cards[f] for f in block)
        while len(block) < size:
            best, gain = None, 0
            candidates = {f for g in block for c in by_feature.get(g, ()) for f in c} - block
            for f in candidates:
                if prod * cards[f] > cells:
                    continue
                g = sum(1 for c in by_feature.get(f, ()) if all(x == f or x in block for x in c))
                if g > gain:
                    best, gain = f, g
            if best is None:
                break
            block.add(best)
            prod *= cards[best]
        members = tuple(sorted(block))
        done = [c for f in members for c in by_feature.get(f, ()) if set(c) <= block]
        done = sorted(set(done))
        uncovered.difference_update(done)
        for c in done:
            for f in c:
                by_feature[f].discard(c)
        blocks.append((members, done))
    return blocks


def pack(codes: np.ndarray) -> np.ndarray:
    """One integer per row of bin codes (codes + 1 < 64, see ``MAX_BINS``)."""
    key = np.zeros(codes.shape[0], dtype=np.int64)
    for j in range(codes.shape[1]):
        key |= (codes[:, j].astype(np.int64) + 1) << (6 * j)
    return key


def count_cells(
    temp: Any,
    combos: list[tuple[int, ...]],
    cards: list[int],
    level: int,
    compare: bool,
    wanted: dict[tuple[int, ...], set[int]] | None,
) -> pd.DataFrame:
    """Stats of the cells of every feature combo (only the ``wanted`` packed keys of a combo,
    when given), from one GROUP BY per covering block."""
    size = max(BLOCK_FEATURES, level)
    cells_cap = max(BLOCK_CELLS, math.prod(sorted(cards)[-level:]))
    blocks = cover(combos, cards, size=size, cells=cells_cap)
    width = max(len(b) for b, _ in blocks)
    stats = list(aggregates(temp, compare))
    results: list[pd.DataFrame] = []
    if _engine(temp) == "pyspark":
        results = spark_cells(temp, [m for m, _ in blocks], width, stats)
    done = len(blocks) if results else 0
    for query in block_queries(temp, [m for m, _ in blocks[done:]], width, compare, start=done):
        results.append(query.to_pyarrow().to_pandas())
    cells = pd.concat(results, ignore_index=True)
    return combine(cells, blocks, stats, wanted, level)


def block_queries(
    rows: Any,
    blocks: Sequence[tuple[int, ...]],
    width: int,
    compare: bool,
    *,
    by: Sequence[str] = (),
    start: int = 0,
) -> list[Any]:
    """The ``GROUP BY`` of each block of features (columns ``c<f>`` of ``rows``), batched
    ``BRANCHES_PER_QUERY`` to a ``UNION ALL`` query: ``(*by, block, k0..k<width-1>, stats)``, the
    block numbered from ``start``, codes NULL past a block's members."""
    stats = list(aggregates(rows, compare))
    queries = []
    for first in range(0, len(blocks), BRANCHES_PER_QUERY):
        branches = []
        for j, members in enumerate(blocks[first : first + BRANCHES_PER_QUERY]):
            keys = {f"k{p}": rows[f"c{f}"] for p, f in enumerate(members)}
            grouped = rows.group_by(*by, **keys).aggregate(**aggregates(rows, compare))
            pad = {f"k{p}": ibis.null("int16") for p in range(len(members), width)}
            branches.append(
                grouped.mutate(block=ibis.literal(start + first + j, "int32"), **pad).select(
                    *by, "block", *[f"k{p}" for p in range(width)], *stats
                )
            )
        queries.append(ibis.union(*branches, distinct=False) if len(branches) > 1 else branches[0])
    return queries


def combine(
    cells: pd.DataFrame,
    blocks: Sequence[tuple[tuple[int, ...], list[tuple[int, ...]]]],
    stats: Sequence[str],
    wanted: dict[tuple[int, ...], set[int]] | None,
    level: int,
    names: Mapping[int, int] | None = None,
) -> pd.DataFrame:
    """Stats of the cells of each block's combos from ``cells`` (``block``: the position in
    ``blocks``, ``k0``.., the block members' bin codes, and ``stats``; a cell may repeat), only
    the ``wanted`` packed keys of a combo when given. ``names`` renumbers the features of the
    keys returned (feature ``f`` becomes ``names[f]``)."""
    width = max(len(b) for b, _ in blocks)
    block_ids = cells["block"].to_numpy()
    codes_all = cells[[f"k{p}" for p in range(width)]].to_numpy(dtype=float)
    values = {c: cells[c].to_numpy(dtype=float, na_value=np.nan) for c in stats}
    keys_out: list[tuple[tuple[int, int], ...]] = []
    parts: dict[str, list[np.ndarray]] = {c: [] for c in stats}
    order = np.argsort(block_ids, kind="stable")
    bounds = np.searchsorted(block_ids[order], np.arange(len(blocks) + 1))
    for b, (members, done) in enumerate(blocks):
        rows = order[bounds[b] : bounds[b + 1]]
        for combo in done:
            pos = [members.index(f) for f in combo]
            packed = pack(codes_all[np.ix_(rows, np.asarray(pos, dtype=np.int64))].astype(np.int64))
            uniq, inverse = np.unique(packed, return_inverse=True)
            keep = np.ones(len(uniq), dtype=bool)
            if wanted is not None:
                keep = np.isin(uniq, np.fromiter(wanted.get(combo, ()), dtype=np.int64))
            if not keep.any():
                continue
            for c in stats:
                v = np.nan_to_num(values[c][rows])
                if c.startswith("emax"):
                    agg = np.zeros(len(uniq))
                    np.maximum.at(agg, inverse, v)
                else:
                    agg = np.bincount(inverse, weights=v, minlength=len(uniq)).astype(float)
                parts[c].append(agg[keep])
            named = combo if names is None else tuple(names[f] for f in combo)
            for u in uniq[keep]:
                keys_out.append(
                    tuple((f, int((u >> (6 * j)) & 63) - 1) for j, f in enumerate(named))
                )
    frame = pd.DataFrame(
        {
            "key": pd.Series(keys_out, dtype=object),
            **{c: np.concatenate(parts[c]) if parts[c] else np.array([]) for c in stats},
        }
    )
    frame["level"] = level
    return frame


def _engine(temp: Any) -> str | None:
    try:
        return str(temp._find_backend().name)
    except Exception:  # an expression over in-memory tables only
        return None
