"""Compaction (issue 23, item 2): small segments merged, and what readers gain.

Two cases, each measured before and after ``diaglab.store.compaction.compact`` on the same store:

``small``
    ``SEGMENTS`` segments of 100 rows (30 features, ``bench._common.feature_frame``), written as
    producers write them (``Store.log`` on a store open read-only: the segment file and its audit
    record, no DuckDB). Timed: a read-only process's open plus ``slice_metrics`` (views over the
    segment files), the writer's ingest of every segment (a fresh DuckDB file), ``verify``, and
    the compaction itself (segments, rows and MB per second).
``drift``
    ``ROWS`` rows logged as 100k-row segments (plus a 100k-row reference), and the same rows
    logged as one segment in a store of their own: ``dl.drift`` in a fresh process, on the
    writer's DuckDB copy and on a read-only process's views over the files, for the one segment,
    the 100k-row segments, and those compacted.

Every timed query runs in a child process of its own (no memo, no page cache of DuckDB's own
between runs; the OS page cache is warm for both sides alike); medians of ``REPEAT`` runs.

Usage::

    python -m bench.compaction small WORK [--segments 5000]
    python -m bench.compaction drift WORK [--rows 10M] [--repeat 3] [--read-only] \
        [--stores ONE_SEGMENT_STORE SEGMENTS_STORE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import feature_frame, machine, parse_size, timestamps

HERE = Path(__file__).parent
REPEAT = 3
TIMEOUT: float | None = None  # seconds a timed child may run (--timeout), then "> TIMEOUT"
MODEL = "m"


def _log_segments(root: Path, segments: int, rows: int) -> float:
    """``segments`` segments of ``rows`` rows each, written as a producer writes them."""
    return _log_share((str(root), 0, segments, rows, segments))


def _frame(rows: int, segments: int) -> Any:
    """The feature rows the segments cycle through (50 segments' worth at most)."""
    return feature_frame(rows * min(segments, 50), seed=1)


def _log_share(args: tuple[str, int, int, int, int]) -> float:
    """One producer process's share: segments ``first`` to ``first + count - 1`` of ``total``."""
    root, first, count, rows, total = args
    import diaglab as dl

    rng = np.random.default_rng(first)
    frame = _frame(rows, total)
    ts = timestamps(rows * total)
    t = time.perf_counter()
    with dl.open(root, read_only=True, refresh=False) as store:
        for i in range(first, first + count):
            part = frame.iloc[(i % 50) * rows : (i % 50 + 1) * rows]
            store.log(
                MODEL,
                part,
                rng.random(rows),
                timestamps=ts.iloc[i * rows : (i + 1) * rows].to_numpy(),
            )
    return time.perf_counter() - t


def _log_in_parallel(root: Path, segments: int, rows: int, procs: int) -> float:
    """``segments`` segments written by ``procs`` producer processes at once (each its own
    ``Store.log`` calls: segment file, fsync, rename, a record in the shared audit chain)."""
    from concurrent.futures import ProcessPoolExecutor

    _log_segments(root, 1, rows)  # the model's schema first, as a first producer makes it
    share = -(-(segments - 1) // procs)
    jobs = [
        (str(root), 1 + k * share, min(share, segments - 1 - k * share), rows, segments)
        for k in range(procs)
        if segments - 1 - k * share > 0
    ]
    t = time.perf_counter()
    with ProcessPoolExecutor(len(jobs)) as pool:
        list(pool.map(_log_share, jobs))
    return time.perf_counter() - t


def _child(code: str, *args: str) -> dict[str, Any]:
    """Run ``code`` in a fresh process; ``{"timeout": s}`` when it ran past ``TIMEOUT`` s."""
    env_path = f"{HERE.parent / 'src'}:{HERE.parent}"
    try:
        out = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": env_path},
            check=False,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return {"timeout": TIMEOUT}
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


_READ_ONLY_QUERY = """
import json, sys, time
import diaglab as dl
import diaglab.diagnostics.drift.query, diaglab.diagnostics.slices.query  # imports not timed
import diaglab.store.store
t = time.perf_counter()
store = dl.open(sys.argv[1], read_only=True)
opened = time.perf_counter() - t
t = time.perf_counter()
what = sys.argv[2]
if what == "drift":
    n = len(dl.drift(store, "m").results)
else:
    n = int(dl.slice_metrics(store, "m", by="cat_0").table["n"].sum())
print(json.dumps({"open": opened, "query": time.perf_counter() - t, "n": n}))
"""

_WRITER_QUERY = """
import json, sys, time
import diaglab as dl
import diaglab.diagnostics.drift.query
store = dl.open(sys.argv[1])
t = time.perf_counter()
n = len(dl.drift(store, "m").results)
print(json.dumps({"query": time.perf_counter() - t, "n": n}))
"""

_INGEST = """
import json, sys, time
import diaglab as dl
import diaglab.store.store
t = time.perf_counter()
store = dl.open(sys.argv[1], refresh=False)
report = store.refresh(progress=False)
print(json.dumps({"ingest": time.perf_counter() - t, "rows": report.rows}))
"""


def _median(runs: list[dict[str, Any]], key: str) -> float | str:
    if any("timeout" in r for r in runs):
        return f"> {TIMEOUT:g} s (stopped)"
    return round(statistics.median(r[key] for r in runs), 3)


def _fresh_copy(root: Path) -> None:
    """Remove the DuckDB copy, so that the next writer ingests every segment again."""
    for name in ("diaglab.duckdb", "diaglab.duckdb.wal"):
        (root / name).unlink(missing_ok=True)


def _measure(root: Path, what: str, *, writer: bool = True) -> dict[str, Any]:
    """The timings of ``root``; ``writer=False`` only its read-only process's (no ingest into a
    fresh DuckDB file, no writer's query)."""
    from diaglab.store import audit
    from diaglab.store.segments import list_segments

    files = list(list_segments(root, "predictions", MODEL))
    out: dict[str, Any] = {
        "segments": len(files),
        "mb": round(sum(f.path.stat().st_size for f in files) / 1e6, 1),
    }
    if writer:
        _fresh_copy(root)
        out["ingest_s"] = _median([_child(_INGEST, str(root))], "ingest")
    ro: list[dict[str, Any]] = []
    while len(ro) < REPEAT and not any("timeout" in r for r in ro):
        ro.append(_child(_READ_ONLY_QUERY, str(root), what))
    out["read_only_open_s"], out["read_only_query_s"] = _median(ro, "open"), _median(ro, "query")
    if what == "drift" and writer:
        wr = [_child(_WRITER_QUERY, str(root)) for _ in range(REPEAT)]
        out["writer_query_s"] = _median(wr, "query")
    t = time.perf_counter()
    report = audit.verify(root)
    out["verify_s"] = round(time.perf_counter() - t, 2)
    out["verify_ok"] = report.ok
    if not report.ok:
        out["verify_problems"] = [str(p) for p in report.problems[:3]]
    return out


def _compact(root: Path) -> dict[str, Any]:
    from diaglab.store.compaction import compact

    report = compact(root, min_age=0, grace=0)
    s = report.seconds
    return {
        "seconds": round(s, 2),
        "merged_into": report.merged,
        "segments_per_s": round(report.segments / s, 1),
        "rows_per_s": round(report.rows / s),
        "mb_in_per_s": round(report.bytes_in / 1e6 / s, 2),
        "mb_in": round(report.bytes_in / 1e6, 1),
        "mb_out": round(report.bytes_out / 1e6, 1),
    }


def write(root: Path, segments: int, procs: int) -> dict[str, Any]:
    """Only the producers' part of ``small``: a store of ``segments`` 100-row segments."""
    result: dict[str, Any] = {"case": "write", "segments": segments, "rows": segments * 100}
    result["load_before"] = machine()["load_avg"]
    result["write_s"] = round(_log_in_parallel(root, segments, 100, procs), 1)
    result["segments_per_s"] = round(segments / result["write_s"], 1)
    result["write_procs"] = procs
    result["load_after"] = machine()["load_avg"]
    return result


def _run_steps(result: dict[str, Any], *steps: tuple[str, Any]) -> None:
    """Run each step, keep its result with the load after it, and print it as it goes."""
    for step, run in steps:
        result[step] = run()
        result[step]["load_avg"] = machine()["load_avg"]
        print(json.dumps({step: result[step]}), file=sys.stderr, flush=True)


def small(work: Path, segments: int, procs: int, store: Path | None) -> dict[str, Any]:
    """Before/after compaction of ``segments`` 100-row segments; ``store``: one ``write`` made
    (left as it was found until compaction: the audit key logs a path's heads)."""
    if store is None:
        root = work / f"small-{segments}-{os.getpid()}"  # a new path for the same reason
        result = write(root, segments, procs)
    else:
        root = store
        result = {"write": "earlier, by `write`"}
    result["case"] = "small"
    _run_steps(
        result,
        ("before", lambda: _measure(root, "slices")),
        ("compaction", lambda: _compact(root)),
        ("after", lambda: _measure(root, "slices")),
    )
    result["machine"] = machine()
    return result


def _log_one_segment(root: Path, rows: int, seg: int) -> float:
    """The rows :func:`_log_segments` logs as ``rows // seg`` segments, in one ``Store.log``."""
    import diaglab as dl

    frame = _frame(seg, rows // seg)
    whole = frame.iloc[np.arange(rows) % len(frame)].reset_index(drop=True)
    t = time.perf_counter()
    with dl.open(root, read_only=True, refresh=False) as store:
        store.log(
            MODEL,
            whole,
            np.random.default_rng(0).random(rows),
            timestamps=timestamps(rows).to_numpy(),
        )
    return time.perf_counter() - t


def _reference(root: Path, seg: int) -> None:
    import diaglab as dl

    with dl.open(root, read_only=True, refresh=False) as store:
        store.set_reference(MODEL, feature_frame(seg, seed=7), labels=np.zeros(seg, int))


def drift(
    work: Path, rows: int, *, stores: list[Path] | None = None, writer: bool = True
) -> dict[str, Any]:
    """``dl.drift`` over ``rows`` rows: logged as 100k-row segments (before and after compaction)
    and the same rows logged as one segment (the issue's baseline), each side measured alike.

    ``stores``: the one-segment store and the uncompacted one an earlier run wrote, measured
    again instead of logging new ones; ``writer=False``: the read-only process's drift only."""
    seg = 100_000
    result: dict[str, Any] = {"case": "drift", "rows": rows, "segment_rows": seg}
    if stores:
        one, root = stores
    else:
        one = work / f"drift-one-{rows}-{os.getpid()}"
        _reference(one, seg)
        result["one_segment_write_s"] = round(_log_one_segment(one, rows, seg), 1)
        root = work / f"drift-{rows}-{os.getpid()}"
        _reference(root, seg)
        result["write_s"] = round(_log_segments(root, rows // seg, seg), 1)
    _run_steps(
        result,
        ("one_segment", lambda: _measure(one, "drift", writer=writer)),
        ("before", lambda: _measure(root, "drift", writer=writer)),
        ("compaction", lambda: _compact(root)),
        ("after", lambda: _measure(root, "drift", writer=writer)),
    )
    for side in ("read_only_query_s", "writer_query_s") if writer else ("read_only_query_s",):
        for of in ("before", "one_segment"):
            a, b = result[of][side], result["after"][side]
            if isinstance(a, float) and isinstance(b, float):
                result[f"after_vs_{of}_{side}"] = round(b / a, 2)
    result["machine"] = machine()
    return result


def main() -> None:
    global REPEAT, TIMEOUT
    parser = argparse.ArgumentParser(prog="python -m bench.compaction")
    parser.add_argument("case", choices=["write", "small", "drift"])
    parser.add_argument("work")
    parser.add_argument("--segments", type=int, default=5_000)
    parser.add_argument("--rows", default="10M")
    parser.add_argument("--procs", type=int, default=4, help="producer processes writing")
    parser.add_argument("--store", type=Path, help="small: a store `write` made")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="runs per timed query")
    parser.add_argument("--timeout", type=float, help="seconds a timed child may run")
    parser.add_argument(
        "--stores", type=Path, nargs=2, metavar=("ONE", "SEGMENTS"), help="drift: stores to reuse"
    )
    parser.add_argument(
        "--read-only", action="store_true", help="drift: only the read-only process's query"
    )
    args = parser.parse_args()
    REPEAT, TIMEOUT = args.repeat, args.timeout
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if args.case == "write":
        print(json.dumps(write(work, args.segments, args.procs)))
    elif args.case == "small":
        print(json.dumps(small(work, args.segments, args.procs, args.store)))
    else:
        out = drift(work, parse_size(args.rows), stores=args.stores, writer=not args.read_only)
        print(json.dumps(out))


if __name__ == "__main__":
    main()
