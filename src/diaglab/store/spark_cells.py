"""Counting the cells of ``find_slices``' lattice on Spark: ``GROUP BY GROUPING SETS``.

DuckDB counts the blocks of feature columns a level needs with a ``UNION ALL`` of one ``GROUP BY``
per block (:func:`diaglab.diagnostics.slices.counts.count_cells`). On Spark each branch of that
union is a scan, a shuffle and their tasks: scheduling, not work, on small tables. One ``GROUPING
SETS`` query is one scan and one shuffle for up to ``MAX_GROUPING_SETS`` blocks (Spark expands each
row once per set before the map-side aggregation).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

MAX_GROUPING_COLUMNS = 60
"""Columns per query: ``grouping_id()`` is a 64-bit mask of them."""
MAX_GROUPING_SETS = 128
STATS = {
    "n": "COUNT(*)",
    "s1": "SUM(l)",
    "s2": "SUM(l * l)",
    "emax": "MAX(l)",
    "n_b": "SUM(CAST(w AS BIGINT))",
    "s1_b": "SUM(IF(w = 1, l, NULL))",
    "s2_b": "SUM(IF(w = 1, l * l, NULL))",
    "emax_b": "MAX(IF(w = 1, l, NULL))",
}
"""The SQL of ``slice_counts.aggregates`` (tests/test_spark.py holds both to DuckDB's cells)."""


def spark_cells(
    temp: Any, blocks: list[tuple[int, ...]], width: int, stats: list[str]
) -> list[pd.DataFrame]:
    """The cell stats of each block of bin-code columns of ``temp`` on Spark.

    Parameters
    ----------
    temp : ibis.Table
        On the PySpark backend: bin codes ``c0``, ``c1``... and the loss ``l`` (and the window
        ``w`` when comparing).
    blocks : list of tuple of int
        The feature indices grouped together, one ``GROUP BY`` each.
    width : int
        The widest block: key columns ``k0`` .. ``k{width-1}`` (NaN past a block's own).
    stats : list of str
        Names among ``STATS`` (``n``, ``s1``, ``s2``, ``emax`` and their ``_b`` forms).

    Returns
    -------
    list of pandas.DataFrame
        Per block: ``block`` (its index), the key columns and ``stats``, one row per cell seen.
    """
    backend = temp._find_backend()
    source = backend.compile(temp)
    unknown = set(stats) - set(STATS)
    if unknown:
        raise ValueError(f"no SQL for the cell stats {sorted(unknown)}; known: {list(STATS)}")
    batches: list[list[int]] = [[]]
    used: set[int] = set()
    for b, members in enumerate(blocks):
        wider = used | set(members)
        if batches[-1] and (
            len(wider) > MAX_GROUPING_COLUMNS or len(batches[-1]) >= MAX_GROUPING_SETS
        ):
            batches.append([])
            wider = set(members)
        batches[-1].append(b)
        used = wider
    out: list[pd.DataFrame] = []
    for batch in batches:
        cols = sorted({f for b in batch for f in blocks[b]})
        # Listed before the sets: grouping_id()'s bits follow this order (without it, the order
        # in which the columns first appear in the sets).
        names = ", ".join(f"c{f}" for f in cols)
        sets = ", ".join("(" + ", ".join(f"c{f}" for f in blocks[b]) + ")" for b in batch)
        query = (
            f"SELECT grouping_id() AS gid, {names}, "
            + ", ".join(f"{STATS[c]} AS {c}" for c in stats)
            + f" FROM ({source}) AS cells GROUP BY {names} GROUPING SETS ({sets})"
        )
        cells = backend.raw_sql(query).toPandas()
        gid = cells["gid"].to_numpy()
        for b in batch:
            # grouping_id(): bit (len(cols) - 1 - i) is set when cols[i] is not in the set.
            mask = sum(1 << (len(cols) - 1 - i) for i, f in enumerate(cols) if f not in blocks[b])
            rows = cells[gid == mask]
            keys = {f"k{p}": rows[f"c{f}"] for p, f in enumerate(blocks[b])}
            pad = {f"k{p}": np.nan for p in range(len(blocks[b]), width)}
            out.append(
                pd.DataFrame(
                    {"block": b, **keys, **pad, **{c: rows[c] for c in stats}}
                ).reset_index(drop=True)
            )
    return out


__all__ = ["MAX_GROUPING_SETS", "STATS", "spark_cells"]
