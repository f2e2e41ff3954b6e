"""``verify --deep``: the DuckDB copy (``diaglab.duckdb``) checked against the segment files.

The chain proves the segments; queries read DuckDB. This module checks that the copy holds what
the segments say, per ingested segment: its row count, and a digest (the sum of DuckDB's ``hash``
of each row's columns, cast to the table's types) computed once over the file and once over the
rows the table holds for it:

- predictions: the rows whose id occurs once across the ingested files (a repeated id keeps one of
  its rows by the ingest rule, so only its presence is checked); the table's row count must equal
  the number of distinct ids; the label copied onto each prediction must be its newest label;
- labels: every row, found by the segment id that starts its ``seq``;
- reference: the rows the table still holds for a segment (a newer reference of the same version
  replaces an older one).

Spans and findings are not copied into DuckDB tables this way and are not checked here. The copy
is opened read-only: a process that holds the store open for writing must be closed first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from diaglab.store.audit.verify import Problem
from diaglab.store.engine import DB_FILE, q
from diaglab.store.segments import list_segments

_DERIVED = {"label", "label_timestamp", "segment"}  # columns DuckDB fills, not the file


def verify_copy(root: Path) -> tuple[int, list[Problem]]:
    """The number of ingested segments checked, and every way the copy differs from them."""
    db = root / DB_FILE
    if not db.is_file():
        return 0, []
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        return 0, [
            Problem(
                "unchecked",
                "*",
                DB_FILE,
                f"cannot open the DuckDB copy read-only ({exc}); close the process holding the "
                "store (or delete the copy and rebuild it) and verify again",
            )
        ]
    try:
        return _check(con, root)
    finally:
        con.close()


def _check(con: duckdb.DuckDBPyConnection, root: Path) -> tuple[int, list[Problem]]:
    problems: list[Problem] = []
    try:
        ledger = {
            r[0]: (r[1], r[2], int(r[3]))
            for r in con.execute("SELECT segment, kind, model, rows FROM meta.ledger").fetchall()
        }
    except duckdb.Error as exc:
        return 0, [Problem("changed", "*", DB_FILE, f"no readable ingest ledger: {exc}")]
    files = {
        s.id: s for s in list_segments(root) if s.kind in ("predictions", "labels", "reference")
    }
    for seg_id, (kind, model, _) in sorted(ledger.items()):
        if kind in ("predictions", "labels", "reference") and seg_id not in files:
            problems.append(
                Problem(
                    "removed",
                    f"{kind}/{model}",
                    f"segments/{kind}/{model}/{seg_id}.parquet",
                    f"ingested into {DB_FILE} but its file is gone",
                )
            )
    by_stream: dict[tuple[str, str], list[Path]] = {}
    for seg_id, seg in files.items():
        if seg_id in ledger:
            by_stream.setdefault((seg.kind, seg.model), []).append(seg.path)
    schema_of = {"predictions": "main", "labels": "labels", "reference": "reference"}
    for kind, schema in schema_of.items():
        for (table,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [schema]
        ).fetchall():
            if (kind, table) in by_stream:
                continue
            rows = con.execute(f"SELECT count(*) FROM {schema}.{q(table)}").fetchall()[0][0]
            if rows:
                problems.append(
                    Problem(
                        "changed",
                        f"{kind}/{table}",
                        DB_FILE,
                        f"{schema}.{table} holds {rows:,} row(s) but the ledger names no "
                        "ingested segment of it",
                    )
                )
    checked = 0
    for (kind, model), paths in sorted(by_stream.items()):
        paths.sort()
        checked += len(paths)
        where = f"{kind}/{model}"
        try:
            if kind == "predictions":
                problems += _predictions(con, where, model, paths)
            elif kind == "labels":
                problems += _labels(con, where, model, paths)
            else:
                problems += _reference(con, where, model, paths)
        except duckdb.Error as exc:
            problems.append(Problem("changed", where, DB_FILE, f"cannot be compared: {exc}"))
    return checked, problems


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return {name: dtype for name, dtype in rows}


def _changed(where: str, detail: str) -> Problem:
    return Problem("changed", where, DB_FILE, detail)


def _gone(where: str, schema: str, model: str) -> Problem:
    return Problem("removed", where, DB_FILE, f"table {schema}.{model} is gone")


def _digest_sql(cols: dict[str, str], file_cols: set[str], cast: bool) -> str:
    shared = [c for c in cols if c in file_cols and c not in _DERIVED]
    parts = [
        f"{q(c)} := CAST({q(c)} AS {cols[c]})" if cast else f"{q(c)} := {q(c)}" for c in shared
    ]
    return f"count(*), coalesce(sum(hash(struct_pack({', '.join(parts)}))::HUGEINT), 0)"


def _table_digest(cols: dict[str, str], file_cols: set[str]) -> str:
    shared = [c for c in cols if c in file_cols and c not in _DERIVED]
    parts = [f"{q(c)} := t.{q(c)}" for c in shared]
    return f"count(*), coalesce(sum(hash(struct_pack({', '.join(parts)}))::HUGEINT), 0)"


def _file_columns(con: duckdb.DuckDBPyConnection, path: Path) -> set[str]:
    return {
        r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    }


def _differs(where: str, path: Path, what: str, file_side: Any, table_side: Any) -> Problem:
    return _changed(
        where,
        f"{what} of segment {path.name}: the file has {file_side[0]:,} row(s) (digest "
        f"{file_side[1]}), the copy {table_side[0]:,} (digest {table_side[1]})",
    )


def _predictions(
    con: duckdb.DuckDBPyConnection, where: str, model: str, paths: list[Path]
) -> list[Problem]:
    problems: list[Problem] = []
    cols = _columns(con, "main", model)
    if not cols:
        return [_gone(where, "main", model)]
    files = [str(p) for p in paths]
    target = f"main.{q(model)}"
    distinct, stored = con.execute(
        f"SELECT (SELECT count(DISTINCT prediction_id) FROM read_parquet(?, union_by_name=true)), "
        f"(SELECT count(*) FROM {target})",
        [files],
    ).fetchall()[0]
    if distinct != stored:
        problems.append(
            _changed(
                where,
                f"main.{model} holds {stored:,} row(s); its {len(paths)} ingested segment(s) hold "
                f"{distinct:,} distinct prediction id(s)",
            )
        )
    # One pass over the files for every segment's digest, one over the table: ids repeated
    # across files are set aside first (the ingest rule keeps one of their rows).
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _diaglab_repeated AS SELECT prediction_id "
        "FROM read_parquet(?, union_by_name=true) GROUP BY prediction_id HAVING count(*) > 1",
        [files],
    )
    fcols = {
        r[0]
        for r in con.execute(
            "DESCRIBE SELECT * FROM read_parquet(?, union_by_name=true)", [files]
        ).fetchall()
    }
    unique = (
        "FROM read_parquet(?, union_by_name=true, filename=true) AS s "
        "ANTI JOIN _diaglab_repeated USING (prediction_id)"
    )
    file_side = {
        Path(r[0]).name: (r[1], r[2])
        for r in con.execute(
            f"SELECT filename, {_digest_sql(cols, fcols, True)} {unique} GROUP BY filename",
            [files],
        ).fetchall()
    }
    table_side = {
        Path(r[0]).name: (r[1], r[2])
        for r in con.execute(
            f"SELECT s.filename, {_table_digest(cols, fcols)} FROM {target} AS t JOIN "
            f"(SELECT prediction_id, filename {unique}) AS s USING (prediction_id) "
            "GROUP BY s.filename",
            [files],
        ).fetchall()
    }
    con.execute("DROP TABLE _diaglab_repeated")
    for path in paths:
        mine, theirs = file_side.get(path.name, (0, 0)), table_side.get(path.name, (0, 0))
        if tuple(mine) != tuple(theirs):
            problems.append(_differs(where, path, "the rows", mine, theirs))
    if "label" in cols and _columns(con, "labels", model):
        wrong = con.execute(
            f"SELECT count(*) FROM {target} AS p LEFT JOIN (SELECT prediction_id, "
            f"arg_max(label, seq) AS label FROM labels.{q(model)} GROUP BY prediction_id) AS l "
            "USING (prediction_id) WHERE p.label IS DISTINCT FROM l.label",
        ).fetchall()[0][0]
        if wrong:
            problems.append(
                _changed(
                    where,
                    f"{wrong:,} prediction(s) in main.{model} carry a label other than their "
                    f"newest one in labels.{model}",
                )
            )
    return problems


def _labels(
    con: duckdb.DuckDBPyConnection, where: str, model: str, paths: list[Path]
) -> list[Problem]:
    cols = _columns(con, "labels", model)
    if not cols:
        return [_gone(where, "labels", model)]
    cols = {c: t for c, t in cols.items() if c != "seq"}
    problems = []
    files = [str(p) for p in paths]
    cast = ", ".join(f"{q(c)} := CAST({q(c)} AS {t})" for c, t in cols.items())
    plain = ", ".join(f"{q(c)} := {q(c)}" for c in cols)
    digest = "count(*), coalesce(sum(hash(struct_pack({}))::HUGEINT), 0)"
    file_side = {
        Path(r[0]).stem: (r[1], r[2])
        for r in con.execute(
            f"SELECT filename, {digest.format(cast)} FROM read_parquet(?, filename=true) "
            "GROUP BY filename",
            [files],
        ).fetchall()
    }
    # a label's seq starts with the id of the segment it came from (engine.ingest_labels)
    table_side = {
        r[0]: (r[1], r[2])
        for r in con.execute(
            f"SELECT left(seq, 24), {digest.format(plain)} FROM labels.{q(model)} GROUP BY 1"
        ).fetchall()
    }
    for path in paths:
        mine, theirs = file_side.get(path.stem, (0, 0)), table_side.get(path.stem, (0, 0))
        if tuple(mine) != tuple(theirs):
            problems.append(_differs(where, path, "the labels", mine, theirs))
    total = sum(n for n, _ in file_side.values())
    stored = con.execute(f"SELECT count(*) FROM labels.{q(model)}").fetchall()[0][0]
    if stored != total:
        problems.append(
            _changed(
                where,
                f"labels.{model} holds {stored:,} row(s), its ingested segments {total:,}",
            )
        )
    return problems


def _reference(
    con: duckdb.DuckDBPyConnection, where: str, model: str, paths: list[Path]
) -> list[Problem]:
    cols = _columns(con, "reference", model)
    if not cols:
        return [_gone(where, "reference", model)]
    problems = []
    target = f"reference.{q(model)}"
    known = {p.stem for p in paths}
    for path in paths:
        fcols = _file_columns(con, path)
        table_side = con.execute(
            f"SELECT {_digest_sql(cols, fcols, False)} FROM {target} WHERE segment = ?",
            [path.stem],
        ).fetchall()[0]
        if table_side[0] == 0:
            continue  # replaced by a newer reference of the same version(s)
        file_side = con.execute(
            f"SELECT {_digest_sql(cols, fcols, True)} FROM read_parquet(?)", [str(path)]
        ).fetchall()[0]
        if tuple(file_side) != tuple(table_side):
            problems.append(_differs(where, path, "the reference rows", file_side, table_side))
    strays = con.execute(f"SELECT DISTINCT segment FROM {target}").fetchall()
    for (seg,) in strays:
        if seg not in known:
            problems.append(
                Problem("changed", where, DB_FILE, f"{target} holds rows of no segment ({seg})")
            )
    return problems


__all__ = ["verify_copy"]
