"""One machine at 1M to 100M rows: DuckDB and Spark local[2] per diagnostic (issue 23, item 3).

``build`` writes a store like :func:`bench.memory.build` (a binary model, numeric features
rounded to 2 decimals, a 20k-row reference, predictions over 60 days with every label, the second
half's first feature shifted) fast enough for 100M rows: DuckDB draws each batch's values from
``range()`` in SQL, and the rows go through the producer's own path, not a shortcut:
:func:`~diaglab.store.producer.prepare_predictions` checks them and makes the ids, and
:func:`~diaglab.store.segments.write_segment` writes each predictions and labels segment with its
audit record, as a :class:`~diaglab.Logger` does. The writer's ``refresh()`` then ingests them
into the DuckDB copy every few segments (exactly once, through the ledger), and the build ends by
counting the rows in the segments and in DuckDB.

``run`` measures each case in its own process (:func:`bench.memory.measure`: wall, process CPU
seconds of it and its children, peak RSS; with Spark the JVM's RSS too), DuckDB and Spark
side by side on the same stores, with a time cap per case.

Usage::

    python -m bench.scale build DIR --features 10 --rows 100000000 [--segment-rows 1000000]
    python -m bench.scale run --work W --rows 1000000,10000000 --cases drift,slice_metrics \\
        [--engines duckdb,spark] [--cap 1800]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from bench._common import START, machine, parse_size

INGEST_EVERY = 10
"""Segments written between two ``refresh()`` calls while building."""

CASES = ("drift", "slice_metrics", "find_slices", "metrics_over_time")
ENGINES = ("duckdb", "duckdb-files", "spark")
"""``duckdb-files``: a read-only process's DuckDB views over the segment files (no copy)."""


def _normal(seed_col: str, salt: int) -> str:
    """A standard normal value per row from two hashed uniforms (Box-Muller); hashing the row
    number makes the data the same whatever DuckDB's thread count."""
    u1 = f"((hash({seed_col} * 1000003 + {2 * salt}) >> 11)::DOUBLE + 0.5) / 9007199254740992.0"
    u2 = f"((hash({seed_col} * 1000003 + {2 * salt + 1}) >> 11)::DOUBLE + 0.5) / 9007199254740992.0"
    return f"sqrt(-2 * ln({u1})) * cos(2 * pi() * {u2})"


def generate(con: duckdb.DuckDBPyConnection, start: int, n: int, rows: int, features: int) -> Any:
    """Rows ``start .. start + n`` of a ``rows``-row log as an Arrow table: the features, the
    score, the label and the timestamp."""
    names = [f"f{i:04d}" for i in range(features)]
    shift = f"CASE WHEN i >= {rows // 2} THEN 0.3 ELSE 0 END"
    cols = [
        f"round({_normal('i', j)}, 2) + {shift if j == 0 else 0} AS {c}"
        for j, c in enumerate(names)
    ]
    seconds = 60 * 86400 / rows
    sql = f"""
        WITH base AS (
            SELECT i, {", ".join(cols)}, {_normal("i", features)} AS noise
            FROM range({start}, {start + n}) t(i)
        ), scored AS (
            SELECT *, 1 / (1 + exp(-({names[0]} + noise))) AS score FROM base
        )
        SELECT {", ".join(names)}, score,
            ((hash(i * 1000003 + {2 * features + 2}) >> 11)::DOUBLE / 9007199254740992.0
                < score)::INTEGER AS label,
            TIMESTAMPTZ '{START.isoformat()}' + to_microseconds((i * {seconds * 1e6})::BIGINT) AS ts
        FROM scored ORDER BY i
    """
    return con.sql(sql).to_arrow_table()


def build(
    path: Path, features: int, rows: int, *, segment_rows: int = 1_000_000, ingest: bool = True
) -> dict[str, Any]:
    """Build the store (see the module's docstring), or go on with one a stopped build left;
    its row counts and seconds. ``ingest=False`` writes the segments only, as producers do (a
    read-only process reads them through views; a writer would ingest them when it opens)."""
    import numpy as np
    import pandas as pd

    import diaglab as dl
    from diaglab.store import batch
    from diaglab.store.producer import prepare_predictions
    from diaglab.store.segments import write_segment

    t0 = time.perf_counter()
    cpu0 = time.process_time()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    names = [f"f{i:04d}" for i in range(features)]
    done = _on_disk(path)
    store = dl.open(path, read_only=not ingest, refresh=False)

    def labels_of(ids: pa.Array, t: pa.Table) -> pa.Table:
        label = t.column("label").cast(pa.float64())
        return pa.table(
            {"prediction_id": ids, "label": label, "label_timestamp": batch.to_utc(None, len(ids))}
        )

    if done["predictions"] == 0:
        n_ref = min(rows, 20_000)
        rng = np.random.default_rng(0)
        ref = pd.DataFrame(rng.normal(0, 1, (n_ref, features)).round(2), columns=names)
        store.set_reference(model="m", features=ref, labels=rng.integers(0, 2, n_ref))
    elif done["predictions"] > done["labels"]:  # stopped between a segment and its labels
        last = con.sql(
            f"SELECT prediction_id FROM read_parquet('{_newest(path)}')"
        ).to_arrow_table()
        t = generate(con, done["labels"], last.num_rows, rows, features)
        write_segment(path, "labels", "m", labels_of(last.column(0).combine_chunks(), t))
    written = done["predictions"]
    for k, start in enumerate(range(written, rows, segment_rows)):
        n = min(segment_rows, rows - start)
        t = generate(con, start, n, rows, features)
        prepared = prepare_predictions(
            store._registry,
            "m",
            t.select(names),
            t.column("score").to_numpy(),
            timestamps=t.column("ts").to_pandas(),
        )
        assert prepared is not None
        write_segment(path, "predictions", "m", prepared.table, segment_id=prepared.segment_id)
        write_segment(path, "labels", "m", labels_of(prepared.ids, t))
        written += n
        if (k + 1) % INGEST_EVERY == 0 or written == rows:
            if ingest:
                store.refresh(progress=False)
            print(
                json.dumps(
                    {
                        "rows": written,
                        "seconds": round(time.perf_counter() - t0, 1),
                        "load_avg": machine()["load_avg"],
                    }
                ),
                flush=True,
            )
    timed: dict[str, Any] = {}
    if ingest:
        # what the loop left (a store written with ``--no-ingest``): the writer's first
        # refresh, timed on its own
        t1, cpu1 = time.perf_counter(), time.process_time()
        report = store.refresh(progress=False)
        timed = {
            "last_refresh_rows": report.rows,
            "last_refresh_s": round(time.perf_counter() - t1, 1),
            "last_refresh_cpu_s": round(time.process_time() - cpu1, 1),
        }
    counts = _counts(store, path) if ingest else _on_disk(path)
    store.close()
    if not (counts["predictions"] == counts["labels"] == rows):
        raise SystemExit(f"row counts disagree: {counts}, {rows} asked for")
    return {
        "built": str(path),
        "features": features,
        "rows": rows,
        "ingested": ingest,
        **counts,
        **timed,
        "seconds": round(time.perf_counter() - t0, 1),
        "cpu_s": round(time.process_time() - cpu0, 1),
    }


def _on_disk(path: Path) -> dict[str, int]:
    """Rows in the model's predictions and labels segment files."""
    con = duckdb.connect()
    out = {}
    for kind in ("predictions", "labels"):
        files = list((path / "segments" / kind / "m").glob("*.parquet"))
        out[kind] = (
            con.sql(f"SELECT count(*) FROM read_parquet({[str(f) for f in files]})").fetchall()[0][
                0
            ]
            if files
            else 0
        )
    return out


def _newest(path: Path) -> Path:
    return max((path / "segments" / "predictions" / "m").glob("*.parquet"), key=lambda f: f.name)


def _counts(store: Any, path: Path) -> dict[str, int]:
    """The rows in the segment files and in the DuckDB copy, which must agree."""
    on_disk = _on_disk(path)
    stored = store.ibis.to_pyarrow(store.table("m").count()).as_py()
    labelled = store.ibis.to_pyarrow(store.table("m").label.notnull().sum()).as_py()
    if not (on_disk["predictions"] == stored == labelled):
        raise SystemExit(
            f"row counts disagree: files {on_disk}, DuckDB {stored}, labelled {labelled}"
        )
    return {**on_disk, "duckdb_rows": stored, "labelled": labelled}


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every case at every size on every engine, each in a process of its own capped at
    ``args.cap`` seconds (a case past it is recorded as "timed out" with the seconds it ran)."""
    from bench.memory import HERE, measured

    results = []
    for rows in args.rows:
        path = Path(args.work) / f"store-{args.features}x{rows}"
        # only the writer's engine needs the DuckDB copy; the others read the segment files
        copy = "duckdb" in args.engines
        if _on_disk(path)["labels"] < rows or (copy and not (path / "diaglab.duckdb").exists()):
            print(json.dumps(build(path, args.features, rows, ingest=copy)), flush=True)
        for kind in args.cases:
            for engine in args.engines:
                row: dict[str, Any] = {
                    "case": kind,
                    "rows": rows,
                    "engine": engine,
                    "memory": _memory(engine),
                }
                src = HERE.parent / "src"
                # the child's whole stderr, beside the results (a JVM error's cause is above
                # its last line)
                log = Path(args.work) / "logs" / f"{kind}-{engine}-{rows}.stderr.log"
                results.append(
                    measured(row, kind, path, src, engine, timeout=args.cap, stderr_log=log)
                )
    return results


def _memory(engine: str) -> str:
    """The memory the case's engine runs with: DuckDB's limit, or the Spark driver's heap."""
    if engine == "spark":
        from diaglab.store.spark_session import driver_memory_gib

        return f"driver {driver_memory_gib()}g"
    from diaglab.store.engine import MEMORY_LIMIT

    return "limit " + os.environ.get("BENCH_DUCKDB_MEMORY_LIMIT", MEMORY_LIMIT)


def _size(text: str) -> int:
    """``1M``, ``100M`` or a number of rows."""
    return int(float(text[:-1]) * 1e6) if text.endswith("M") else parse_size(text)


def _sizes(text: str) -> list[int]:
    return [_size(t) for t in text.split(",")]


def _names(known: tuple[str, ...]) -> Any:
    def parse(text: str) -> list[str]:
        names = text.split(",")
        unknown = [n for n in names if n not in known]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown {unknown}; known: {', '.join(known)}")
        return names

    return parse


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("dir")
    b.add_argument("--features", type=int, default=10)
    b.add_argument("--rows", type=_size, required=True)
    b.add_argument("--segment-rows", type=_size, default=1_000_000)
    b.add_argument("--no-ingest", action="store_true", help="segments only, no DuckDB copy")
    r = sub.add_parser("run")
    r.add_argument("--work", required=True)
    r.add_argument("--features", type=int, default=10)
    r.add_argument("--rows", type=_sizes, required=True, help="e.g. 1M,10M,100M")
    r.add_argument("--cases", type=_names(CASES), default=list(CASES))
    r.add_argument("--engines", type=_names(ENGINES), default=["duckdb", "spark"])
    r.add_argument("--cap", type=float, default=1800, help="seconds a case may run")
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    elif args.command == "build":
        out = build(
            Path(args.dir),
            args.features,
            args.rows,
            segment_rows=args.segment_rows,
            ingest=not args.no_ingest,
        )
        print(json.dumps({**out, "load_avg": machine()["load_avg"]}), flush=True)


if __name__ == "__main__":
    main()
