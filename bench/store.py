"""Store benchmarks (issue 2): bulk log, Logger.log latency, refresh of logged rows.

Each case runs in its own process (``python -m bench.store CASE SIZE WORKDIR``) so that its peak
RSS, read by /usr/bin/time -v, is its own.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path

import duckdb
import numpy as np

import diaglab as dl
from bench._common import emit, feature_frame, parse_size, timestamps
from diaglab.store.producer import prepare_predictions
from diaglab.store.schema import SchemaRegistry
from diaglab.store.segments import write_segment

CHUNK = 1_000_000


def bulk_log(n: int, work: Path, *, raw: bool = False) -> dict:
    """store.log of a 30-feature frame through to query-ready (committed in DuckDB), side by
    side with DuckDB alone inserting the same checked batches into a table of the same columns
    in a fresh database file (the engine's floor: no checks, ids or segment file).

    ``raw``: the numeric features unrounded (all values distinct), as many real features are;
    the default frame rounds them to 2 decimals (a few thousand distinct values per column).
    """
    size = min(n, CHUNK)
    frame = feature_frame(size)
    if raw:
        rng = np.random.default_rng(7)
        for col in frame.columns[frame.dtypes == np.float64]:
            frame[col] = rng.normal(50, 10, size)
    scores = np.random.default_rng(1).random(size)
    ts = timestamps(size)
    batches = max(1, n // size)

    def diaglab() -> tuple[float, float]:
        shutil.rmtree(work / "bulk", ignore_errors=True)
        store = dl.open(work / "bulk")
        t, c = time.perf_counter(), time.process_time()
        for _ in range(batches):
            store.log(model="m", features=frame, predictions=scores, timestamps=ts)
        elapsed, cpu = time.perf_counter() - t, time.process_time() - c
        store.close()
        return elapsed, cpu

    checked = prepare_predictions(
        SchemaRegistry(work / "bulk-schema"), "m", frame, scores, timestamps=ts
    )
    assert checked is not None
    batch = checked.table

    def engine() -> tuple[float, float]:
        path = work / "bulk-engine.duckdb"
        path.unlink(missing_ok=True)
        con = duckdb.connect(str(path))
        con.register("batch", batch)
        con.execute("CREATE TABLE m AS SELECT * FROM batch LIMIT 0")
        t, c = time.perf_counter(), time.process_time()
        for _ in range(batches):
            con.execute("BEGIN TRANSACTION")
            con.execute("INSERT INTO m BY NAME SELECT * FROM batch")
            con.execute("COMMIT")
        elapsed, cpu = time.perf_counter() - t, time.process_time() - c
        con.close()
        return elapsed, cpu

    diaglab(), engine()  # warm-up: imports, first DuckDB open
    load = _load()
    mine, floor = [], []
    for _ in range(3):  # alternating, so that both see the same load
        mine.append(diaglab())
        floor.append(engine())
    med, med_cpu = _medians(mine)
    floor_med, floor_cpu = _medians(floor)
    return {
        "case": "bulk_log_raw" if raw else "bulk_log",
        "rows": n,
        "median_s": round(med, 3),
        "runs_s": sorted(round(r, 3) for r, _ in mine),
        "rows_per_s": round(n / med),
        # process CPU (all threads: the checks, the Parquet writer, DuckDB's threads)
        "cpu_s": round(med_cpu, 3),
        "cpu_s_per_1M_rows": round(med_cpu / n * 1e6, 3),
        "duckdb_alone_s": round(floor_med, 3),
        "duckdb_alone_rows_per_s": round(n / floor_med),
        "duckdb_alone_cpu_s": round(floor_cpu, 3),
        "ratio_to_duckdb_alone": round(med / floor_med, 2),
        "load_before": load,
        "load_after": _load(),
    }


def _medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def _load() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def logger_latency(n: int, work: Path) -> dict:
    """Per-call latency of Logger.log for one row, in the calling thread."""
    shutil.rmtree(work / "logger", ignore_errors=True)
    rows = feature_frame(1000).to_dict("records")
    logger = dl.Logger(work / "logger", model="m", flush_rows=10_000, flush_seconds=1.0)
    samples = np.empty(n, dtype=np.int64)
    clock = time.perf_counter_ns
    for i in range(n):
        row = rows[i % 1000]
        t = clock()
        logger.log(row, 0.5, latency_ms=1.0)
        samples[i] = clock() - t
    logger.close()
    us = samples / 1000
    return {
        "case": "logger_log",
        "calls": n,
        "p50_us": round(float(np.percentile(us, 50)), 2),
        "p99_us": round(float(np.percentile(us, 99)), 2),
        "p999_us": round(float(np.percentile(us, 99.9)), 2),
        "written": logger.written,
    }


def prepare_logged(n: int, work: Path) -> Path:
    """Write n rows as producer segments (100k rows each), not yet ingested."""
    path = work / f"logged-{n}"
    if (path / "ready").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    registry = SchemaRegistry(path)
    chunk = min(n, 100_000)
    frame = feature_frame(chunk)
    rng = np.random.default_rng(2)
    for k in range(n // chunk):
        prepared = prepare_predictions(
            registry,
            "m",
            frame,
            rng.random(chunk),
            timestamps=timestamps(chunk),
            model_version="v1",
        )
        assert prepared is not None
        write_segment(path, "predictions", "m", prepared.table, segment_id=prepared.segment_id)
        del k
    (path / "ready").touch()
    return path


def refresh(n: int, work: Path) -> dict:
    path = prepare_logged(n, work)
    for suffix in ("", ".wal"):
        (path / f"diaglab.duckdb{suffix}").unlink(missing_ok=True)
    t = time.perf_counter()
    store = dl.open(path, refresh=False)
    report = store.refresh(progress=False)
    elapsed = time.perf_counter() - t
    count = store.table("m").count().execute()
    store.close()
    assert count == n, (count, n)
    return {
        "case": "refresh",
        "rows": n,
        "seconds": round(elapsed, 2),
        "segments": report.segments,
        "rows_per_s": round(n / elapsed),
    }


CASES = {
    "bulk_log": bulk_log,
    "bulk_log_raw": lambda n, w: bulk_log(n, w, raw=True),
    "logger_log": logger_latency,
    "refresh": refresh,
    "prepare": lambda n, w: {"case": "prepare", "path": str(prepare_logged(n, w))},
}


if __name__ == "__main__":
    case, size, workdir = sys.argv[1], parse_size(sys.argv[2]), Path(sys.argv[3])
    workdir.mkdir(parents=True, exist_ok=True)
    emit(CASES[case](size, workdir))
