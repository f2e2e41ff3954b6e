"""Ibis compile overhead per explorer query (issue 9: <= 20 ms), as an explorer pays it.

Each case runs in its own process (``python -m bench.compile CASE SIZE WORKDIR``) on the store that
``bench.spark prepare`` builds (the drift scenario: 28 features). The queries are those an
explorer sends on a person's moves: the drift table (first call, the same again, another window,
a slice), drift over time (first, again, a slice), ``slice_metrics`` by one feature (first, again,
another window) and ``metrics_over_time`` (first, again). For each, the milliseconds spent in the
store's ``compile`` (its cache lookups included) and the call's wall time; "another window" is the
median over four windows. Before the cache, the same calls compiled everything every time: the
spark suite's ``ibis.to_sql`` per call (135–311 ms per drift call at 1M) is that figure.
"""

from __future__ import annotations

import statistics
import sys
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


def _run(engine: str, size: str, work: Path) -> dict:
    import diaglab as dl

    path = spark_bench._store(size, work)
    if engine == "spark":
        store: Any = dl.open(path, engine="spark", spark=spark_bench.spark_session())
    else:
        store = dl.open(path)
    clock = CompileClock()
    t = store.table(MODEL)
    lo = pd.Timestamp(t.timestamp.min().to_pyarrow().as_py())
    windows = [(lo + pd.Timedelta(days=d), lo + pd.Timedelta(days=d + 7)) for d in (3, 10, 17, 24)]
    where = f"{spark_bench.CATEGORICAL} = 'north'"
    calls: dict[str, list[Callable[[], Any]]] = {
        "drift: first": [lambda: dl.drift(store, MODEL)],
        "drift: again": [lambda: dl.drift(store, MODEL)],
        "drift: another window": [lambda w=w: dl.drift(store, MODEL, current=w) for w in windows],
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


def duckdb(size: str, work: Path) -> dict:
    return _run("duckdb", size, work)


def spark(size: str, work: Path) -> dict:
    return _run("spark", size, work)


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
    return lines


if __name__ == "__main__":
    case, size, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    emit({"prepare": spark_bench.prepare, "duckdb": duckdb, "spark": spark}[case](size, work))
