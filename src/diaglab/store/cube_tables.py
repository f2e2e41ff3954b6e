"""The tables that keep a model's drift counts per day (the queries side: queries/cube.py).

A cube is named by its model and a key (a hash of what its counts depend on); its tables are
``cube."<model>:<key>:num"`` (day, model_version, i, b, n, lo, hi, m, nl, s) and ``...:cat``
(day, model_version, i, v, n, m, nl, s): besides the rows ``n``, the served rows ``m`` (a
prediction logged), those labelled too ``nl`` and the sum ``s`` of their loss (see
:mod:`diaglab.queries.cube`). ``cube.catalog`` lists the cubes; ``cube.seen`` the ledger segments
(predictions and labels) each has counted. A day is ``floor(epoch_us(timestamp) / DAY_US)``, as
Ibis compiles the queries side's ``epoch_micros(ts) // DAY_US``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from diaglab.store import compaction
from diaglab.store.segments import list_segments
from diaglab.store.tables import q

DAY_US = 86_400_000_000
_DAY = 'CAST(FLOOR(epoch_us(r."timestamp") / 86400000000) AS BIGINT)'
PARTS = {
    "num": "day BIGINT, model_version VARCHAR, i INTEGER, b BIGINT, n BIGINT, lo DOUBLE, "
    "hi DOUBLE, m BIGINT, nl BIGINT, s DOUBLE",
    "cat": "day BIGINT, model_version VARCHAR, i INTEGER, v VARCHAR, n BIGINT, m BIGINT, "
    "nl BIGINT, s DOUBLE",
}


def table(model: str, key: str, part: str) -> str:
    return f"cube.{q(f'{model}:{key}:{part}')}"


@contextlib.contextmanager
def transaction(con: Any) -> Iterator[None]:
    """One transaction on ``con`` (a cursor of the store's database), the catalog made first."""
    con.execute("CREATE SCHEMA IF NOT EXISTS cube")
    con.execute(
        "CREATE TABLE IF NOT EXISTS cube.catalog (model VARCHAR, key VARCHAR, "
        "built_at TIMESTAMPTZ, used_at TIMESTAMPTZ)"
    )
    con.execute("CREATE TABLE IF NOT EXISTS cube.seen (key VARCHAR, segment VARCHAR)")
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def known(con: Any, model: str, key: str) -> bool:
    found = con.execute("SELECT 1 FROM cube.catalog WHERE model = ? AND key = ?", [model, key])
    return bool(found.fetchall())


def news(con: Any, model: str, key: str) -> list[tuple[str, str]]:
    """(segment, kind) of the model's ledger segments the cube has not counted."""
    rows = con.execute(
        "SELECT segment, kind FROM meta.ledger WHERE model = ? "
        "AND kind IN ('predictions', 'labels') AND segment NOT IN "
        "(SELECT segment FROM cube.seen WHERE key = ?) ORDER BY segment",
        [model, key],
    ).fetchall()
    return [(s, k) for s, k in rows]


def counted(con: Any, model: str, key: str, segments: Sequence[str]) -> None:
    """Record ``segments`` as counted by the cube, and the cube as used now."""
    if segments:
        con.execute("INSERT INTO cube.seen SELECT ?, unnest(?)", [key, list(segments)])
    con.execute("UPDATE cube.catalog SET used_at = now() WHERE model = ? AND key = ?", [model, key])


def create(con: Any, model: str, key: str, *, kept: int, parts: Mapping[str, str] = PARTS) -> None:
    """The cube's tables (``parts``: name -> columns), empty; the model's least recently used
    cubes beyond ``kept`` go, whatever their parts."""
    for part, columns in parts.items():
        con.execute(f"CREATE OR REPLACE TABLE {table(model, key, part)} ({columns})")
    con.execute("DELETE FROM cube.seen WHERE key = ?", [key])
    con.execute("INSERT INTO cube.catalog VALUES (?, ?, now(), now())", [model, key])
    old = con.execute(
        "SELECT key FROM cube.catalog WHERE model = ? ORDER BY used_at DESC OFFSET ?",
        [model, kept],
    ).fetchall()
    for (stale,) in old:
        names = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'cube' "
            "AND starts_with(table_name, ?)",
            [f"{model}:{stale}:"],
        ).fetchall()
        for (name,) in names:
            con.execute(f"DROP TABLE IF EXISTS cube.{q(name)}")
        con.execute("DELETE FROM cube.seen WHERE key = ?", [stale])
        con.execute("DELETE FROM cube.catalog WHERE model = ? AND key = ?", [model, stale])


def replace_days(
    con: Any,
    model: str,
    key: str,
    days: list[int] | None,
    counts: dict[str, list[str]],
    *,
    parts: Mapping[str, str] = PARTS,
) -> None:
    """Drop the counts of ``days`` (every day for None) and insert the rows of the compiled
    ``counts[part]`` queries in their place."""
    for part in parts:
        target = table(model, key, part)
        if days is None:
            con.execute(f"DELETE FROM {target}")
        else:
            con.execute(f"DELETE FROM {target} WHERE day IN (SELECT unnest(?))", [days])
        for sql in counts.get(part, []):
            con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM ({sql})")


def sums(
    con: Any,
    model: str,
    key: str,
    first: int | None,
    end: int | None,
    version: str | None,
    features: tuple[list[int], list[int]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The counts of days ``first`` to ``end`` (exclusive; None: open) of ``version`` (None:
    every version) of the numeric and categorical ``features`` (numbers), summed over the days:
    numeric ``(i, b, n, lo, hi)``, categorical ``(i, v, n)``. With both days open, rows without
    a timestamp count too (as a window's filter does)."""
    where, params = [], []
    for cond, value in (("day >= ?", first), ("day < ?", end), ("model_version = ?", version)):
        if value is not None:
            where.append(cond)
            params.append(value)
    clause = " AND ".join(["i IN (SELECT unnest(?))", *where])
    num = con.execute(
        "SELECT i, b, sum(n)::BIGINT AS n, min(lo) AS lo, max(hi) AS hi "
        f"FROM {table(model, key, 'num')} WHERE {clause} GROUP BY i, b",
        [features[0], *params],
    ).df()
    cat = con.execute(
        f"SELECT i, v, sum(n)::BIGINT AS n FROM {table(model, key, 'cat')} WHERE {clause} "
        "GROUP BY i, v",
        [features[1], *params],
    ).df()
    return num, cat


def daily(
    con: Any,
    model: str,
    key: str,
    spans: Sequence[tuple[int | None, int | None]],
    version: str | None,
    features: tuple[list[int], list[int]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per period ``w`` (its position in ``spans``: days ``first`` to ``end``, exclusive, None
    open) and day, the rows, served rows, labelled rows and loss sums of the numeric and
    categorical ``features`` (numbers): numeric ``(w, day, i, b, n, m, nl, s)``, categorical
    ``(w, day, i, v, n, m, nl, s)``; rows without a timestamp (no day) are left out."""
    cases, params = [], []
    for w, (first, end) in enumerate(spans):
        conds = [c for c, v in (("day >= ?", first), ("day < ?", end)) if v is not None]
        cases.append(f"WHEN {' AND '.join(conds) or 'TRUE'} THEN {w}")
        params += [v for v in (first, end) if v is not None]
    period = f"CASE {' '.join(cases)} END"
    where = ["i IN (SELECT unnest(?))", "day IS NOT NULL", f"{period} IS NOT NULL"]
    tail: list[Any] = []
    if version is not None:
        where.append("model_version = ?")
        tail.append(version)
    out = []
    for part, column, numbers in (("num", "b", features[0]), ("cat", "v", features[1])):
        out.append(
            con.execute(
                f"SELECT {period} AS w, day, i, {column}, sum(n)::BIGINT AS n, "
                "sum(m)::BIGINT AS m, "
                "sum(nl)::BIGINT AS nl, sum(s) AS s "
                f"FROM {table(model, key, part)} WHERE {' AND '.join(where)} "
                f"GROUP BY ALL",
                [*params, numbers, *params, *tail],
            ).df()
        )
    return out[0], out[1]


def dirty_days(con: Any, root: Path, model: str, new: list[tuple[str, str]]) -> list[int] | None:
    """The days the ``new`` ledger segments touch; None when every day must be counted again
    (a segment's file is gone, or rows without a timestamp changed).

    A prediction segment touches the days of its rows, and, when it is older than a segment
    already ingested, the days of that newer segment's rows sharing its ids (their stored copy
    may have been replaced: the oldest copy of an id wins). A label segment touches the days of
    the predictions it labels."""
    files = _files(root, model)
    predictions = [s for s, kind in new if kind == "predictions"]
    labels = [s for s, kind in new if kind == "labels"]
    if any((kind, s) not in files for s, kind in new):
        return None
    days: set[int | None] = set()
    if predictions:
        new_files = sorted({str(files[("predictions", s)]) for s in predictions})
        days |= _days(
            con, "SELECT DISTINCT {day} FROM read_parquet(?, union_by_name=true) AS r", [new_files]
        )
        newer = [
            s
            for (s,) in con.execute(
                "SELECT segment FROM meta.ledger WHERE model = ? AND kind = 'predictions' "
                "AND segment > ? AND segment NOT IN (SELECT unnest(?))",
                [model, min(predictions), predictions],
            ).fetchall()
        ]
        if any(("predictions", s) not in files for s in newer):
            return None
        if newer:
            newer_files = sorted({str(files[("predictions", s)]) for s in newer})
            days |= _days(
                con,
                "SELECT DISTINCT {day} FROM read_parquet(?, union_by_name=true) AS r "
                "SEMI JOIN read_parquet(?, union_by_name=true) AS s USING (prediction_id)",
                [newer_files, new_files],
            )
    if labels:
        label_files = sorted({str(files[("labels", s)]) for s in labels})
        days |= _days(
            con,
            f"SELECT DISTINCT {{day}} FROM main.{q(model)} AS r "
            "SEMI JOIN read_parquet(?, union_by_name=true) AS s USING (prediction_id)",
            [label_files],
        )
    if None in days:  # rows without a timestamp: no day to count again alone
        return None
    return sorted(d for d in days if d is not None)


def _days(con: Any, sql: str, params: list[Any]) -> set[int | None]:
    rows = con.execute(sql.format(day=_DAY), params).fetchall()
    return {None if r[0] is None else int(r[0]) for r in rows}


def _files(root: Path, model: str) -> dict[tuple[str, str], Path]:
    """(kind, ledger segment id) -> the file holding its rows (a merged file holds several)."""
    out: dict[tuple[str, str], Path] = {}
    for kind in ("predictions", "labels"):
        for seg in list_segments(root, kind, model):
            ids = (
                [s for s, _ in compaction.sources(seg.path)]
                if compaction.is_merged(seg.id)
                else [seg.id]
            )
            out.update({(kind, s): seg.path for s in ids})
    return out
