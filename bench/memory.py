"""Peak memory of wide and long drift, slice metrics, slice searches and metrics over time
(issue 16, "Bounded resources"; issue 23, "Wide and long on one machine").

Every case runs in its own process, so its peak RSS (``ru_maxrss`` from ``os.wait4``) is its
own; a watchdog polls the RSS and kills a case past ``BENCH_MEMORY_CAP_GB`` (default 8), which is
then recorded as killed rather than taking the machine down. The same cases run against another
source tree (``--baseline-src``, e.g. 64f1db6's ``src`` unpacked with ``git archive``), so the
table holds both side by side from one run.

Each case starts with an empty compiled-SQL cache of its own (``DIAGLAB_CACHE_DIR``), so a
first call pays its compiling whatever ran before; ``drift`` reports how its seconds split into
building and compiling queries (``compile_s``: :func:`diaglab.store.compiled.fetch_over`'s
templates) and running them (``execute_s``). ``drift_warm`` is the issue-3 measure: one call,
then the median of three (reference profile and templates kept). ``--engine spark`` opens the
store on the Spark session diaglab builds (``dl.open(path, engine="spark")``, local[2] here);
the peak RSS of a case then also counts Spark's JVM (``peak_tree_mb``: the process and its
children, polled every 0.5 s).

Usage::

    python -m bench.memory build DIR FEATURES ROWS        # a store with numeric features
    python -m bench.memory case drift|drift_warm|find_slices|slice_metrics|metrics_over_time DIR \\
        [--engine spark]
    python -m bench.memory run --work /tmp/b --cases drift:250:20000,find_slices:100:20000 \\
        [--baseline-src /tmp/base/src] [--engine spark]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench._common import START, machine
from bench.drift import _rss_mb

HERE = Path(__file__).parent
CAP_GB = float(os.environ.get("BENCH_MEMORY_CAP_GB", 8))
TIMEOUT = float(os.environ.get("BENCH_MEMORY_TIMEOUT", 3600))
CELLS_PER_BATCH = 10_000_000
"""Values logged per ``store.log`` call while building (80 MB of float64)."""


def build(path: Path, features: int, rows: int, *, seed: int = 0) -> dict[str, Any]:
    """A binary model with ``features`` numeric features (rounded: 2 decimals), a reference of
    ``min(rows, 20,000)`` rows, ``rows`` logged predictions over 60 days and every label; the
    second half's first feature is shifted (so drift has something to find)."""
    import diaglab as dl

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    names = [f"f{i:04d}" for i in range(features)]
    store = dl.open(path)
    n_ref = min(rows, 20_000)
    ref = pd.DataFrame(rng.normal(0, 1, (n_ref, features)).round(2), columns=names)
    store.set_reference(model="m", features=ref, labels=rng.integers(0, 2, n_ref))
    batch = max(1_000, CELLS_PER_BATCH // features)
    for start in range(0, rows, batch):
        n = min(batch, rows - start)
        x = rng.normal(0, 1, (n, features)).round(2)
        x[start + np.arange(n) >= rows // 2, 0] += 0.3
        score = 1 / (1 + np.exp(-(x[:, 0] + rng.normal(0, 1, n))))
        ts = START + pd.to_timedelta((start + np.arange(n)) * (60 * 86400 / rows), unit="s")
        ids = store.log(
            model="m",
            features=pd.DataFrame(x, columns=names),
            predictions=score,
            timestamps=ts,
        )
        store.log_labels(model="m", prediction_ids=ids, labels=(rng.random(n) < score).astype(int))
    store.close()
    return {"built": str(path), "seconds": round(time.perf_counter() - t0, 1)}


def case(kind: str, path: Path, engine: str = "duckdb") -> dict[str, Any]:
    import diaglab as dl
    from diaglab.store import engine as duckdb_engine

    # e.g. "8GB": what a store past the default limit needs (bench/RESULTS.md, 100M rows)
    duckdb_engine.MEMORY_LIMIT = os.environ.get(
        "BENCH_DUCKDB_MEMORY_LIMIT", duckdb_engine.MEMORY_LIMIT
    )

    split = _split_compile_execute()
    t0 = time.perf_counter()
    # "duckdb-files": a read-only process's views over the segment files, no DuckDB copy
    store = (
        dl.open(path, read_only=True) if engine == "duckdb-files" else dl.open(path, engine=engine)
    )
    opened = time.perf_counter() - t0
    t0 = time.perf_counter()
    extra: dict[str, Any] = {}
    if kind == "drift":
        rep = dl.drift(store, "m")
        detail = f"{len(rep.results)} columns, {len(rep.drifted)} drifted"
        extra = {k: round(v, 2) for k, v in split.items()}
    elif kind == "drift_warm":
        dl.drift(store, "m")
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            rep = dl.drift(store, "m")
            runs.append(time.perf_counter() - t)
        extra = {
            "warm_median_s": round(sorted(runs)[1], 3),
            "warm_runs": [round(r, 3) for r in runs],
        }
        detail = f"{len(rep.results)} columns, {len(rep.drifted)} drifted"
    elif kind == "find_slices":
        found_result = dl.find_slices(store, "m")
        found = found_result.table
        detail = f"{found_result.evaluated:,} slices counted, {len(found)} reported"
    elif kind == "slice_metrics":
        table = dl.slice_metrics(store, "m", by="f0001").table
        detail = f"{len(table)} slices of f0001"
    elif kind == "metrics_over_time":
        over = dl.metrics_over_time(store, "m", freq="1D")
        detail = f"{len(over.table)} rows over {len(over.windows)} daily windows"
    else:
        raise SystemExit(
            f"unknown case {kind!r}; known: drift, drift_warm, find_slices, slice_metrics, "
            "metrics_over_time"
        )
    seconds = time.perf_counter() - t0
    store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": round(seconds, 1),
        "open_s": round(opened, 1),
        "detail": detail,
        "self_peak_mb": round(peak),
        **extra,
    }


def _split_compile_execute() -> dict[str, float]:
    """Seconds spent from now on building and compiling ``fetch_over``'s templates and running
    its queries (the drift queries all go through it), filled in as they happen."""
    from diaglab.store import compiled

    seconds = {"compile_s": 0.0, "execute_s": 0.0}

    def timed(real: Any, key: str) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                seconds[key] += time.perf_counter() - t

        return run

    compiled._template = timed(compiled._template, "compile_s")
    for name, runner in list(compiled._RUNNERS.items()):
        compiled._RUNNERS[name] = timed(runner, "execute_s")
    return seconds


def compile_wide(features: int) -> list[dict[str, Any]]:
    """Seconds to build and compile drift's counting queries for the current side of a model with
    ``features`` numeric features (no data: Ibis to DuckDB and Spark SQL), as main 588e199 built
    them (32-branch unions over the projection of every feature) and as this tree does."""
    import ibis

    from diaglab.queries import binning
    from diaglab.queries.binning import Grid
    from diaglab.store.compiled import _split

    _ = ibis.pyspark  # registers the pyspark compiler's options
    names = [f"f{i:04d}" for i in range(features)]
    base = ibis.table(
        {f: "float64" for f in names} | {"score": "float64", "label": "float64", "ts": "timestamp"},
        name="predictions",
    )
    rows = base.mutate(prediction=base.score).select(*names, "prediction", "label", "ts")
    grids = {f: Grid(f, -3.0, 3.0, -4.0, 4.0, 1.0) for f in names}

    def branches(table: Any, part: list[str]) -> Any:
        return ibis.union(
            *[
                table.select(i=ibis.literal(k, "int32"), b=grids[f].index(table[f]), x=table[f])
                .group_by(["i", "b"])
                .aggregate(n=ibis._.count(), lo=ibis._.x.min(), hi=ibis._.x.max())
                for k, f in enumerate(part)
            ],
            distinct=False,
        )

    def timed(label: str, dialect: str, queries: Any) -> dict[str, Any]:
        t = time.perf_counter()
        n = 0
        for query in queries:
            ibis.to_sql(query, dialect=dialect)
            n += 1
        return {
            "plan": label,
            "dialect": dialect,
            "queries": n,
            "features": features,
            "seconds": round(time.perf_counter() - t, 2),
        }

    parts = [names[i : i + 32] for i in range(0, features, 32)]
    out = [timed("main: unions over every column", "duckdb", (branches(rows, p) for p in parts))]

    def narrow(part: list[str]) -> Any:
        data, shaped = _split(binning._narrow(rows, part))
        yield data
        yield branches(shaped, part)

    out.append(
        timed(
            "this tree: unions over their columns", "duckdb", (q for p in parts for q in narrow(p))
        )
    )

    def long() -> Any:
        data, shaped = _split(binning._narrow(rows, names))
        yield data
        flat = binning._unpivot(
            shaped,
            b=[grids[f].index(shaped[f]).cast("int64") for f in names],
            x=[shaped[f] for f in names],
        )
        yield flat.group_by(["i", "b"]).aggregate(n=ibis._.count())

    out.append(timed("this tree: long layout (Spark)", "pyspark", long()))
    return out


def _tree_rss_mb(pid: int, cpu: dict[int, float] | None = None) -> float:
    """RSS of ``pid`` and its descendants (Spark's JVM is a child of the Python process);
    ``cpu`` gets each one's CPU seconds so far (user + system), by pid."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        here = todo.pop()
        total += _rss_mb(here)
        if cpu is not None:
            seconds = _cpu_s(here)
            if seconds is not None:
                cpu[here] = seconds
        todo.extend(children.get(here, []))
    return total


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _watched(
    cmd: list[str], env: dict[str, str], *, timeout: float | None = None
) -> tuple[int, Any, bytes, bytes, str | None, float, float]:
    """Run ``cmd``, killing it past the memory cap or ``timeout`` (default ``TIMEOUT``); its
    exit code, rusage (from ``wait4``, so also when killed), stdout, stderr, why it was killed,
    the peak RSS of it and its children (MB) and their CPU seconds as last polled (a JVM child
    that nobody waits for is not in the rusage)."""
    limit = TIMEOUT if timeout is None else timeout
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(cmd, env=env, stdout=out_file, stderr=err_file)
        killed: list[str] = []
        tree = [0.0]
        cpu: dict[int, float] = {}
        done = threading.Event()

        def watch() -> None:
            # never proc.poll(): it would reap the child before wait4 reads its rusage
            start = time.perf_counter()
            ticks = 0
            while not done.wait(0.1):
                ticks += 1
                if ticks % 5 == 0:
                    tree[0] = max(tree[0], _tree_rss_mb(proc.pid, cpu))
                rss, elapsed = _rss_mb(proc.pid), time.perf_counter() - start
                if rss > CAP_GB * 1024 or elapsed > limit:
                    over = rss > CAP_GB * 1024
                    killed.append(f"killed at {rss / 1024:.1f} GB RSS" if over else "timed out")
                    os.kill(proc.pid, signal.SIGKILL)
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        done.set()
        watcher.join()
        out_file.seek(0)
        err_file.seek(0)
        code = os.waitstatus_to_exitcode(status)
        out = out_file.read()
        polled = sum(cpu.values())
        return code, usage, out, err_file.read(), killed[0] if killed else None, tree[0], polled


def measure(
    kind: str,
    path: Path,
    src: Path,
    engine: str = "duckdb",
    *,
    timeout: float | None = None,
    stderr_log: Path | None = None,
) -> dict[str, Any]:
    """Run one case in a child process with ``src`` first on its path and an empty compiled-SQL
    cache; its peak RSS and CPU seconds (the process and its children, e.g. Spark's JVM).

    ``stderr_log``: a file that receives the child's whole stderr (a JVM's stack trace and the
    lines before it), named in the result; the result itself keeps only its last line."""
    with tempfile.TemporaryDirectory(prefix="bench-memory-sql-") as sql_cache:
        env = {
            **os.environ,
            "PYTHONPATH": f"{src}{os.pathsep}{HERE.parent}",
            "DIAGLAB_CACHE_DIR": sql_cache,
        }
        cmd = [sys.executable, "-m", "bench.memory", "case", kind, str(path), "--engine", engine]
        t0 = time.perf_counter()
        code, usage, out, err, killed, tree, polled = _watched(cmd, env, timeout=timeout)
    own = usage.ru_utime + usage.ru_stime
    if stderr_log is not None:
        stderr_log.parent.mkdir(parents=True, exist_ok=True)
        stderr_log.write_bytes(err)
    result: dict[str, Any] = {
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "peak_tree_mb": round(tree),
        "cpu_s": round(max(own, polled), 1),
        "wall": round(time.perf_counter() - t0, 1),
    }
    if killed:
        result["outcome"] = killed
    elif code != 0:
        last = err.decode(errors="replace").strip().splitlines()
        result["outcome"] = "failed: " + (last[-1][:200] if last else f"exit {code}")
    else:
        result.update(json.loads(out.decode().strip().splitlines()[-1]))
        result["outcome"] = "ok"
    if stderr_log is not None:
        result["stderr_log"] = str(stderr_log)
    return result


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for spec in args.cases.split(","):
        kind, features, rows = spec.split(":")
        path = work / f"store-{features}x{rows}"
        if not (path / "diaglab.duckdb").exists():
            print(json.dumps(build(path, int(features), int(rows))), flush=True)
        trees = [("this branch", HERE.parent / "src")]
        if args.baseline_src:
            trees.append((f"baseline {args.baseline_label}", Path(args.baseline_src)))
        for label, src in trees:
            r = {
                "case": kind,
                "features": int(features),
                "rows": int(rows),
                "tree": label,
                "engine": args.engine,
            }
            results.append(measured(r, kind, path, src, args.engine))
    return results


def measured(
    row: dict[str, Any],
    kind: str,
    path: Path,
    src: Path,
    engine: str,
    *,
    timeout: float | None = None,
    stderr_log: Path | None = None,
) -> dict[str, Any]:
    """``row`` with :func:`measure`'s result and the load average before and after, printed as
    one JSON line."""
    row["load_before"] = machine()["load_avg"]
    row.update(measure(kind, path, src, engine, timeout=timeout, stderr_log=stderr_log))
    row["load_avg"] = machine()["load_avg"]
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("dir")
    b.add_argument("features", type=int)
    b.add_argument("rows", type=int)
    c = sub.add_parser("case")
    c.add_argument("kind")
    c.add_argument("dir")
    c.add_argument("--engine", default="duckdb", choices=("duckdb", "duckdb-files", "spark"))
    w = sub.add_parser("compile")
    w.add_argument("features", type=int)
    r = sub.add_parser("run")
    r.add_argument("--work", required=True)
    r.add_argument("--cases", required=True)
    r.add_argument("--baseline-src")
    r.add_argument("--baseline-label", default="main 588e199")
    r.add_argument("--engine", default="duckdb", choices=("duckdb", "spark"))
    args = parser.parse_args()
    if args.command == "build":
        print(json.dumps(build(Path(args.dir), args.features, args.rows)))
    elif args.command == "compile":
        for row in compile_wide(args.features):
            row["load_avg"] = machine()["load_avg"]
            print(json.dumps(row), flush=True)
    elif args.command == "case":
        print(json.dumps(case(args.kind, Path(args.dir), args.engine)))
    else:
        run(args)


if __name__ == "__main__":
    main()
