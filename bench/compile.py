"""Ibis compile overhead per explorer query (issue 9: <= 20 ms), as an explorer pays it.

Each case runs in its own process (``python -m bench.compile CASE SIZE WORKDIR``) on the store that
``bench.spark prepare`` builds (the drift scenario: 28 features). The queries are those an
explorer sends on a person's moves: the drift table (first call, the same again, another window,
a slice), drift over time (first, again, a slice), ``slice_metrics`` by one feature (first, again,
another window) and ``metrics_over_time`` (first, again). For each, the milliseconds spent in the
store's ``compile`` (its cache lookups included) and the call's wall time; "another window" is the
median over four windows. Before the cache, the same calls compiled everything every time: the
spark suite's ``ibis.to_sql`` per call (135–311 ms per drift call at 1M) is that figure. Those
calls run with an empty cache directory of their own (``DIAGLAB_CACHE_DIR``), as a first run would.

Then the first calls again, each the first of its shape in a fresh process
(``python -m bench.compile fresh ENGINE SIZE WORKDIR CACHE_DIR``): once with the per-user SQL
cache cold (an empty directory), once warm (the directory the cold process filled), and each call
once more in that process ("again": the data part alone, with the reference profile remembered).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from bench import spark as spark_bench
from bench._common import emit

MODEL = spark_bench.MODEL


class CompileClock:
    """Milliseconds spent compiling (through the store's cache) while it is running."""

    def __init__(self) -> None:
        from diaglab.store import compiled

        self.ms = 0.0
        self.exprs: list[Any] = []
        real = compiled.compile_cached

        def timed(cache: Any, compile: Any, expr: Any, *args: Any, **kwargs: Any) -> str:
            t = time.perf_counter()
            try:
                return real(cache, compile, expr, *args, **kwargs)
            finally:
                self.ms += (time.perf_counter() - t) * 1000
                self.exprs.append(expr)

        compiled.compile_cached = timed

    def measure(self, call: Callable[[], Any]) -> tuple[float, float, list[Any]]:
        self.ms, self.exprs = 0.0, []
        t = time.perf_counter()
        call()
        return self.ms, time.perf_counter() - t, self.exprs


def _open(engine: str, size: str, work: Path) -> Any:
    import diaglab as dl

    path = spark_bench._store(size, work)
    if engine == "spark":
        return dl.open(path, engine="spark", spark=spark_bench.spark_session())
    return dl.open(path)


def _run(engine: str, size: str, work: Path) -> dict:
    import diaglab as dl

    store = _open(engine, size, work)
    clock = CompileClock()
    t = store.table(MODEL)
    lo = pd.Timestamp(t.timestamp.min().to_pyarrow().as_py())
    windows = [(lo + pd.Timedelta(days=d), lo + pd.Timedelta(days=d + 7)) for d in (3, 10, 17, 24)]
    where = f"{spark_bench.CATEGORICAL} = 'north'"
    calls: dict[str, list[Callable[[], Any]]] = {
        "drift: first": [lambda: dl.drift(store, MODEL)],
        "drift: again": [lambda: dl.drift(store, MODEL)],
        "drift: another window": [lambda w=w: dl.drift(store, MODEL, window=w) for w in windows],
        "drift: a slice": [lambda: dl.drift(store, MODEL, where=where)],
        "drift over time: first": [lambda: dl.drift_over_time(store, MODEL, freq="1W")],
        "drift over time: again": [lambda: dl.drift_over_time(store, MODEL, freq="1W")],
        "drift over time: a slice": [
            lambda: dl.drift_over_time(store, MODEL, freq="1W", where=where)
        ],
        "slice_metrics: first": [lambda: dl.slice_metrics(store, MODEL, by=spark_bench.NUMERIC)],
        "slice_metrics: again": [lambda: dl.slice_metrics(store, MODEL, by=spark_bench.NUMERIC)],
        "slice_metrics: another window": [
            lambda w=w: dl.slice_metrics(store, MODEL, by=spark_bench.NUMERIC, window=w)
            for w in windows
        ],
        "metrics_over_time: first": [lambda: dl.metrics_over_time(store, MODEL, freq="1D")],
        "metrics_over_time: again": [lambda: dl.metrics_over_time(store, MODEL, freq="1D")],
    }
    rows = []
    for name, runs in calls.items():
        measured = [clock.measure(run) for run in runs]
        exprs = measured[len(measured) // 2][2]
        rows.append(
            {
                "call": name,
                "compile_ms": round(statistics.median(m[0] for m in measured), 1),
                "wall_s": round(statistics.median(m[1] for m in measured), 3),
                "queries": len(exprs),
            }
        )
    store.close()
    return {"case": engine, "engine": engine, "calls": rows}


def fresh(engine: str, size: str, work: Path) -> dict:
    """Each explorer's first call in this (new) process, then the same call again."""
    import diaglab as dl

    t = time.perf_counter()
    store = _open(engine, size, work)
    opened = time.perf_counter() - t
    clock = CompileClock()
    where = f"{spark_bench.CATEGORICAL} = 'north'"
    calls: dict[str, Callable[[], Any]] = {
        "drift": lambda: dl.drift(store, MODEL),
        "drift over time": lambda: dl.drift_over_time(store, MODEL, freq="1W"),
        "slice_metrics": lambda: dl.slice_metrics(store, MODEL, by=spark_bench.NUMERIC),
        "metrics_over_time": lambda: dl.metrics_over_time(store, MODEL, freq="1D"),
        "drift: a slice": lambda: dl.drift(store, MODEL, where=where),
    }
    rows = []
    for name, call in calls.items():
        compile_ms, wall, exprs = clock.measure(call)
        again = clock.measure(call)[1]
        rows.append(
            {
                "call": name,
                "compile_ms": round(compile_ms, 1),
                "compiles": len(exprs),
                "wall_s": round(wall, 3),
                "again_s": round(again, 3),
            }
        )
    store.close()
    from diaglab.store.sql_cache import environment

    return {
        "case": "fresh",
        "engine": engine,
        "open_s": round(opened, 3),
        "calls": rows,
        "environment": list(environment()),
    }


def _fresh_process(engine: str, size: str, work: Path, cache: Path) -> dict:
    env = dict(os.environ, DIAGLAB_CACHE_DIR=str(cache))
    cmd = [sys.executable, "-m", "bench.compile", "fresh", engine, size, str(work)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _case(engine: str, size: str, work: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="diaglab-sql-") as tmp:
        os.environ["DIAGLAB_CACHE_DIR"] = str(Path(tmp) / "in-process")
        result = _run(engine, size, work)
        # the cache is keyed by diaglab's source files too: when someone edits one between the
        # cold and the warm process (a shared working tree), the warm one is cold again; retry
        for attempt in range(3):
            cache = Path(tmp) / f"fresh-{attempt}"
            cold = _fresh_process(engine, size, work, cache)
            warm = _fresh_process(engine, size, work, cache)
            if cold["environment"] == warm["environment"]:
                break
    result["fresh"] = [
        {
            "call": c["call"],
            "cold_compile_ms": c["compile_ms"],
            "cold_s": c["wall_s"],
            "warm_compile_ms": w["compile_ms"],
            "warm_compiles": w["compiles"],
            "warm_s": w["wall_s"],
            "again_s": w["again_s"],
        }
        for c, w in zip(cold["calls"], warm["calls"], strict=True)
    ]
    result["open_s"] = {"cold": cold["open_s"], "warm": warm["open_s"]}
    return result


def duckdb(size: str, work: Path) -> dict:
    return _case("duckdb", size, work)


def spark(size: str, work: Path) -> dict:
    return _case("spark", size, work)


def markdown_table(results: list[dict]) -> list[str]:
    lines = [
        "| size | engine | explorer query | compile ms | compiles | call s |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        for c in r["calls"]:
            lines.append(
                f"| {r['size']} | {r['engine']} | {c['call']} | {c['compile_ms']} | "
                f"{c['queries']} | {c['wall_s']} |"
            )
    lines += [
        "",
        "First call of each explorer in a fresh process, the per-user SQL cache cold (empty) and "
        "warm (filled by the cold process); compile ms and call seconds; *again* = the same call "
        "once more in the warm process.",
        "",
        "| size | engine | first call | cold: compile ms | cold: call s | warm: compile ms "
        "| warm: compiles | warm: call s | again s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for c in r.get("fresh", []):
            lines.append(
                f"| {r['size']} | {r['engine']} | {c['call']} | {c['cold_compile_ms']} | "
                f"{c['cold_s']} | {c['warm_compile_ms']} | {c['warm_compiles']} | "
                f"{c['warm_s']} | {c['again_s']} |"
            )
    return lines


if __name__ == "__main__":
    if sys.argv[1] == "fresh":
        emit(fresh(sys.argv[2], sys.argv[3], Path(sys.argv[4])))
    else:
        case, size, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
        emit({"prepare": spark_bench.prepare, "duckdb": duckdb, "spark": spark}[case](size, work))
