"""The table that keeps a model's slice-search cells per day (the queries side:
:mod:`diaglab.diagnostics.slices.cube`).

A slice cube is a cube of :mod:`diaglab.store.cube_tables` (the same catalog, ledger bookkeeping
and least-recently-used eviction) with one part, ``cube."<model>:<key>:blocks"``: per UTC day,
model version, block of features and cell of the block's bin codes ``k0``..``k3`` (NULL past the
block's width), the labelled rows ``n``, the sums of their loss ``s1`` and of its square ``s2``
and the largest loss ``emax``: all four add up (``emax`` as a maximum) over days. A second
table, ``...:values`` (``i``, ``v``, ``code``), numbers the values of each categorical feature
(``i``) in the order they were first counted: a value keeps its code for the cube's life.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from diaglab.store.cube_tables import table

WIDTH = 4
"""Features in a block at most (:data:`diaglab.diagnostics.slices.counts.BLOCK_FEATURES`)."""
KEYS = tuple(f"k{p}" for p in range(WIDTH))
PARTS = {
    "blocks": "day BIGINT, model_version VARCHAR, block INTEGER, "
    + ", ".join(f"{k} SMALLINT" for k in KEYS)
    + ", n BIGINT, s1 DOUBLE, s2 DOUBLE, emax DOUBLE",
    "values": "i INTEGER, v VARCHAR, code SMALLINT",
}
COUNTED = {"blocks": PARTS["blocks"]}
"""The parts whose rows are counts per day (replaced when days are counted again)."""


def sums(
    con: Any, model: str, key: str, first: int | None, end: int | None, version: str | None
) -> pd.DataFrame:
    """The cells of days ``first`` to ``end`` (exclusive; None: open) of ``version`` (None: every
    version), summed over the days: ``(block, k0..k3, n, s1, s2, emax)``. With both days open,
    rows without a timestamp count too (as a window's filter does)."""
    where, params = [], []
    for cond, value in (("day >= ?", first), ("day < ?", end), ("model_version = ?", version)):
        if value is not None:
            where.append(cond)
            params.append(value)
    keys = ", ".join(KEYS)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    return con.execute(
        f"SELECT block, {keys}, sum(n)::BIGINT AS n, sum(s1) AS s1, sum(s2) AS s2, "
        f"max(emax) AS emax FROM {table(model, key, 'blocks')} {clause} "
        f"GROUP BY block, {keys}",
        params,
    ).df()


def values(con: Any, model: str, key: str) -> dict[int, list[str]]:
    """The numbered values of each categorical feature ``i``: its list, index = code."""
    rows = con.execute(
        f"SELECT i, v FROM {table(model, key, 'values')} ORDER BY i, code"
    ).fetchall()
    out: dict[int, list[str]] = {}
    for i, v in rows:
        out.setdefault(int(i), []).append(str(v))
    return out


def add_values(con: Any, model: str, key: str, new: list[tuple[int, str, int]]) -> None:
    """Number the ``new`` values: ``(i, value, code)``."""
    if new:
        con.executemany(f"INSERT INTO {table(model, key, 'values')} VALUES (?, ?, ?)", new)
