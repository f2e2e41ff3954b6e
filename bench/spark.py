"""Spark benchmarks (issue 9): the drift table and ``slice_metrics`` on Spark local[2] and on
DuckDB over the same segment files, which queries dominate, and Ibis compile time per query.

Each case runs in its own process (``python -m bench.spark CASE SIZE WORKDIR``). The data is the
drift scenario of issue 3 (``bench/drift.py``: 28 features; 1M = 333k reference + 667k current,
10M = 10M current + 1M reference); ``prepare`` hard-links its segment files into
``WORKDIR/spark-SIZE`` (segments never change, so nothing is copied) and lets DuckDB ingest them
there, untimed, so the other benchmarks' stores are never opened.

Timings: the drift table's first call (cold: it also profiles the reference) and, for 1M, the
median of the next calls (the reference profile memoised); ``slice_metrics`` by one categorical
and by one numeric feature. The 10M Spark run is one repetition. Every query the engine runs is
timed and attributed to the diaglab function that built it, so the record shows which would
dominate at scale. Compile time is ``ibis.to_sql`` of each expression the explorers' queries ran
through Ibis, for the duckdb and the pyspark dialects; the queries compiled once per shape
(``diaglab.store.compiled.fetch_over``) are timed but not recompiled here — ``bench/compile.py``
measures what an explorer pays for compiling, cache included.

``BENCH_SPARK_SESSION=default`` runs the Spark case on the session ``dl.open(path, engine="spark")``
builds for the machine (issue 23) instead of the explicit local[2] session of issue 9.

``python -m bench.spark find_slices SESSION WORKDIR`` (issue 23): ``find_slices`` on a copy of the
committed 200k-row sample store in local[2], with the session ``dl.open(engine="spark")`` builds
("default"), the same settings built here for older code ("sized"), or the ``getOrCreate()`` the
docs showed before (Spark's 200 shuffle partitions: "documented"); wall and CPU seconds.
"""

from __future__ import annotations

import inspect
import os
import shutil
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench import drift as drift_bench
from bench._common import emit, parse_size

MODEL = drift_bench.MODEL
CATEGORICAL, NUMERIC = "region", "income"


def _store(size: str, work: Path) -> Path:
    return work / f"spark-{size}"


def prepare(size: str, work: Path) -> dict:
    """Hard-link the drift scenario's segments into a store of our own; DuckDB ingests them."""
    import diaglab as dl

    drift_bench.prepare(size, work)
    drift_bench.prepare_diaglab(size, work)
    source = drift_bench.scenario_dir(size, work) / "store"
    target = _store(size, work)
    ready = target / "ready"
    if ready.exists():
        return {"case": "prepare", "path": str(target), "seconds": 0.0}
    shutil.rmtree(target, ignore_errors=True)
    t = time.perf_counter()
    for folder in ("segments", "models"):
        shutil.copytree(source / folder, target / folder, copy_function=os.link)
    store = dl.open(target)
    store.close()
    ready.touch()
    return {"case": "prepare", "path": str(target), "seconds": round(time.perf_counter() - t, 1)}


def _session(settings: dict[str, str]) -> Any:
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


_LOCAL = {
    "spark.master": "local[2]",
    "spark.ui.enabled": "false",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
}


def spark_session() -> Any:
    return _session(
        _LOCAL
        | {
            "spark.app.name": "diaglab-bench",
            "spark.driver.memory": "2g",
            "spark.sql.shuffle.partitions": "4",
            "spark.sql.session.timeZone": "UTC",
        }
    )


class QueryLog:
    """Times every expression the backend runs, by the diaglab function that built it."""

    def __init__(self, backend_class: Any) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.exprs: list[Any] = []
        from diaglab.store import compiled

        for name in ("to_pyarrow", "execute"):
            setattr(backend_class, name, self._wrap(getattr(backend_class, name)))
        # queries run as SQL compiled once per shape (compiled.fetch_over): timed, not recompiled
        for engine, run in compiled._RUNNERS.items():
            compiled._RUNNERS[engine] = self._wrap(run)

    def _wrap(self, real: Any) -> Any:
        def run(backend: Any, expr: Any, *args: Any, **kwargs: Any) -> Any:
            caller = next(
                (
                    f"{Path(f.filename).stem}.{f.function}"
                    for f in inspect.stack(0)[1:]
                    if "diaglab/queries" in f.filename or "diaglab/store" in f.filename
                ),
                "?",
            )
            if not isinstance(expr, str):
                self.exprs.append(expr)
            t = time.perf_counter()
            try:
                return real(backend, expr, *args, **kwargs)
            finally:
                self.seconds[caller] += time.perf_counter() - t

        return run

    def top(self, k: int = 3) -> str:
        total = sum(self.seconds.values()) or 1.0
        ranked = sorted(self.seconds.items(), key=lambda kv: -kv[1])[:k]
        return "; ".join(f"{name} {100 * s / total:.0f}%" for name, s in ranked)


def compile_ms(exprs: list[Any], calls: dict[str, list[Any]]) -> dict[str, Any]:
    """Milliseconds of ``ibis.to_sql`` per expression and per diaglab call, per dialect.

    The first pass (cold: sqlglot and Ibis warm their caches) is reported apart; the rest is the
    median of three passes.
    """
    import ibis

    _ = ibis.pyspark  # registers the pyspark compiler's options
    out: dict[str, Any] = {}
    for dialect in ("duckdb", "pyspark"):
        cold = []
        for expr in exprs:
            t = time.perf_counter()
            ibis.to_sql(expr, dialect=dialect)
            cold.append((time.perf_counter() - t) * 1000)
        warm = []
        for expr in exprs:
            runs = []
            for _ in range(3):
                t = time.perf_counter()
                ibis.to_sql(expr, dialect=dialect)
                runs.append((time.perf_counter() - t) * 1000)
            warm.append(statistics.median(runs))
        by_expr = dict(zip(map(id, exprs), warm, strict=True))
        out[f"compile_{dialect}_first_max_ms"] = round(max(cold), 1)
        out[f"compile_{dialect}_median_ms"] = round(statistics.median(warm), 1)
        out[f"compile_{dialect}_max_ms"] = round(max(warm), 1)
        out[f"compile_{dialect}_per_call_ms"] = {
            name: round(sum(by_expr[id(e)] for e in es), 1) for name, es in calls.items()
        }
    out["compiled_queries"] = len(exprs)
    return out


def _run(engine: str, size: str, work: Path) -> dict:
    import diaglab as dl

    n = parse_size(size)
    path = _store(size, work)
    if engine == "spark":
        from ibis.backends.pyspark import Backend

        log = QueryLog(Backend)
        t = time.perf_counter()
        if os.environ.get("BENCH_SPARK_SESSION") == "default":  # the session dl.open builds
            store: Any = dl.open(path, engine="spark")
        else:
            store = dl.open(path, engine="spark", spark=spark_session())
        startup = time.perf_counter() - t
    else:
        from ibis.backends.duckdb import Backend

        startup = 0.0
        log = QueryLog(Backend)
        store = dl.open(path)
    repeat = 1 if (engine == "spark" and n >= 10_000_000) else 3
    result: dict[str, Any] = {"case": engine, "engine": engine, "session_s": round(startup, 1)}

    calls: dict[str, list[Any]] = {}

    def timed(label: str, fn: Any) -> tuple[float, Any]:
        start = len(log.exprs)
        t = time.perf_counter()
        value = fn()
        seconds = time.perf_counter() - t
        calls.setdefault(label, log.exprs[start:])  # the expressions of its first call
        return seconds, value

    cold, report = timed("drift (cold)", lambda: dl.drift(store, MODEL))
    result["drift_cold_s"] = round(cold, 3)
    result["n_current"] = int(report.table["n_current"].max())
    warm = [timed("drift (warm)", lambda: dl.drift(store, MODEL))[0] for _ in range(repeat - 1)]
    result["drift_warm_s"] = round(statistics.median(warm), 3) if warm else None
    result["drift_top"] = log.top()

    log.seconds.clear()
    for by, key in ((CATEGORICAL, "slice_metrics_cat_s"), (NUMERIC, "slice_metrics_num_s")):
        runs = [
            timed(f"slice_metrics by {by}", lambda by=by: dl.slice_metrics(store, MODEL, by=by))
            for _ in range(repeat)
        ]
        result[key] = round(statistics.median(r[0] for r in runs), 3)
        result[f"{key[:-2]}_rows"] = int(runs[0][1]["n"].sum())
    result["slice_metrics_top"] = log.top()
    result.update(compile_ms(log.exprs, calls))
    store.close()
    return result


def duckdb(size: str, work: Path) -> dict:
    return _run("duckdb", size, work)


def spark(size: str, work: Path) -> dict:
    return _run("spark", size, work)


def markdown_table(results: list[dict]) -> list[str]:
    lines = [
        "| size | engine | drift cold s | drift warm s | slice_metrics by category / numeric s | "
        "Spark ÷ DuckDB: drift cold, warm, slices | dominant queries: drift; slice_metrics | "
        "peak RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    duck = {r["size"]: r for r in results if r["case"] == "duckdb"}
    runs = [r for r in results if r["case"] in ("duckdb", "spark")]
    for r in runs:
        base = duck.get(r["size"])
        ratio = "—"
        if r["case"] == "spark" and base:

            def x(key: str, r: dict = r, base: dict = base) -> str:
                a, b = r.get(key), base.get(key)
                return f"{a / b:.0f}x" if a and b else "—"

            ratio = f"{x('drift_cold_s')}, {x('drift_warm_s')}, {x('slice_metrics_cat_s')}"
        session = f" (+{r['session_s']} s session start)" if r["session_s"] else ""
        lines.append(
            f"| {r['size']} | {r['engine']}{session} | {r['drift_cold_s']} | "
            f"{r['drift_warm_s'] or '—'} | {r['slice_metrics_cat_s']} / "
            f"{r['slice_metrics_num_s']} | {ratio} | {r['drift_top']}; "
            f"{r['slice_metrics_top']} | {r.get('peak_rss_mb', '?')} MB |"
        )
    lines += [
        "",
        "Ibis compile time (``ibis.to_sql``), ms: per expression (median / max, warm; max of the "
        "first pass) and per diaglab call (sum of its expressions, warm).",
        "",
        "| size | run | dialect | per expression | first pass max | per call |",
        "|---|---|---|---|---|---|",
    ]
    for r in runs:
        for d in ("duckdb", "pyspark"):
            per_call = ", ".join(f"{k} {v}" for k, v in r[f"compile_{d}_per_call_ms"].items())
            lines.append(
                f"| {r['size']} | {r['engine']} | {d} | {r[f'compile_{d}_median_ms']} / "
                f"{r[f'compile_{d}_max_ms']} ({r['compiled_queries']} expressions) | "
                f"{r[f'compile_{d}_first_max_ms']} | {per_call} |"
            )
    return lines


SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "credit"
SAMPLE_MODEL = "credit"


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and its live descendants (Spark's JVM)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children[int(fields[1])].append(int(entry.name))
    total, todo = 0.0, [os.getpid()]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _documented_session() -> Any:
    """The session docs/spark.md showed before diaglab built its own: getOrCreate with Spark's
    default 200 shuffle partitions."""
    return _session(_LOCAL)


def _sized_session() -> Any:
    """A session with diaglab's local settings, built here so that older diaglab code (which
    cannot build one) runs on the same settings: the settings are read from this tree's
    ``spark_session.py`` by path."""
    import importlib.util

    where = Path(__file__).resolve().parent.parent / "src/diaglab/store/spark_session.py"
    spec = importlib.util.spec_from_file_location("_bench_spark_session", where)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return _session(module.local_settings())


FIND_SLICES_LIMIT_S = 480


def find_slices(session: str, work: Path) -> dict:
    """``find_slices`` on a copy of the 200k-row sample store in local[2]; ``session`` is
    "default" (the one ``dl.open(engine="spark")`` builds), "sized" (the same settings, for code
    that cannot build it) or "documented" (see above). Wall and CPU seconds (Python and JVM) of
    the first call on a freshly opened store, which includes its first scan of the segments; the
    result is checked against DuckDB's. A call still running after ``FIND_SLICES_LIMIT_S`` is
    reported as unfinished with the seconds spent until then."""
    import threading

    import diaglab as dl

    path = work / "credit-sample"
    if not (path / "ready").exists():
        shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(SAMPLE, path)
        dl.open(path).close()
        (path / "ready").touch()
    with dl.open(path, read_only=True) as duck:
        t = time.perf_counter()
        expected = dl.find_slices(duck, SAMPLE_MODEL).table
        duck_s = time.perf_counter() - t
    t, cpu = time.perf_counter(), cpu_seconds()
    build = {"documented": _documented_session, "sized": _sized_session}.get(session)
    store = dl.open(path, engine="spark", spark=build() if build else None)
    startup_s, startup_cpu = time.perf_counter() - t, cpu_seconds() - cpu
    conf = store.spark.conf
    result: dict[str, Any] = {
        "case": f"find_slices ({session} session)",
        "master": store.spark.sparkContext.master,
        "shuffle_partitions": conf.get("spark.sql.shuffle.partitions"),
        "session_s": round(startup_s, 1),
        "session_cpu_s": round(startup_cpu, 1),
        "duckdb_s": round(duck_s, 2),
    }
    t, cpu = time.perf_counter(), cpu_seconds()

    def give_up() -> None:
        result["find_slices_s"] = f"> {FIND_SLICES_LIMIT_S} (stopped)"
        result["find_slices_cpu_s"] = round(cpu_seconds() - cpu, 1)
        emit(result)
        sys.stdout.flush()
        os._exit(3)

    watchdog = threading.Timer(FIND_SLICES_LIMIT_S, give_up)
    watchdog.daemon = True
    watchdog.start()
    found = dl.find_slices(store, SAMPLE_MODEL).table
    seconds, cpu_s = time.perf_counter() - t, cpu_seconds() - cpu
    watchdog.cancel()
    same = list(found["slice"]) == list(expected["slice"]) and bool(
        (found["value"] - expected["value"]).abs().max() < 1e-9
    )
    store.close()
    result.update(
        find_slices_s=round(seconds, 1),
        find_slices_cpu_s=round(cpu_s, 1),
        slices=len(found),
        equal_to_duckdb=same,
    )
    return result


if __name__ == "__main__":
    case, size, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    cases = {"prepare": prepare, "duckdb": duckdb, "spark": spark, "find_slices": find_slices}
    emit(cases[case](size, work))
