"""The producers' cost per call, in process, before and after (issue 21's cost targets).

Two cases, each running every source tree in its own child process (``PYTHONPATH``), so the
trees compared ran minutes apart on the same machine:

- ``hot_path``: CPU of the calling thread only (``time.thread_time``), in µs per call, for the
  bare model's ``predict`` / ``predict_proba`` on a one-row DataFrame (20 float features, the
  service's model) against the instrumented one, and per row for ``Logger.log`` of a dict and of
  a one-row DataFrame. Bare and instrumented calls alternate in rounds; medians of the rounds.
- ``ab``: the service's request body in process (JSON rows turned into a DataFrame,
  ``predict_proba`` inside an OpenTelemetry span) paced like one uvicorn worker (300 single-row or
  140 100-row calls/s), CPU of the whole process (``time.process_time``: every thread, so the
  Logger's writer and the span processor count) per call, final flush included. The floor exports
  the span nowhere; the instrumented run exports it into ``StoreSpanExporter`` and logs through
  Logger + instrument. In each round every tree of TREES and the floor run at the same time,
  so a loaded machine's state is theirs alike: per round, each tree's CPU per call over the
  floor's (what diaglab adds), medians of the rounds.

Trees: main at ``20f10f3``, the per-call buffer alone (``15c43a5``) and the working tree;
each other tree's ``src`` is extracted with ``git archive`` into the work directory.
``hot_path`` also times each ``Logger.log`` call on its own (wall clock, ``perf_counter_ns``)
for the p99 per logged row.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import source_tree

ROOT = Path(__file__).resolve().parent.parent
# main, the first cut alone (the per-call buffer, before flush_rows' default rose) and this tree
TREES = {"main 20f10f3": "20f10f3", "per-call buffer 15c43a5": "15c43a5", "this change": None}
FEATURES = [f"f{i}" for i in range(20)]
ROUNDS, PER_ROUND, LOG_CALLS = 9, 400, 20_000
SECONDS = 6.0
AB_ROUNDS = 7
# calls/s per process: about what one uvicorn worker served in the quiet service runs (100-row
# requests: ~137/s per worker at 20:36 UTC, so a segment is ~14,000 rows, over main's flush_rows)
RATES = {1: 300.0, 100: 140.0}


def _start(src: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{ROOT}"}
    return subprocess.Popen(
        [sys.executable, "-m", "bench.producer", "_child", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def _result(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(err[-3000:])
    return dict(json.loads(out.strip().splitlines()[-1]))


def _child(src: Path, *args: str) -> dict[str, Any]:
    return _result(_start(src, *args))


def _model() -> Any:
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(500, 20)), columns=FEATURES)
    return LogisticRegression().fit(X, (X["f0"] + X["f1"] > 0).astype(int))


def _hot(store: str) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    import diaglab as dl

    model = _model()
    one = pd.DataFrame(np.random.default_rng(1).normal(size=(1, 20)), columns=FEATURES)
    logger = dl.Logger(store, model="hot")
    inst = dl.instrument(model, logger)

    def per_call(fn: Any, n: int) -> float:
        t = time.thread_time()
        for _ in range(n):
            fn()
        return (time.thread_time() - t) / n * 1e6

    out: dict[str, Any] = {}
    for method in ("predict", "predict_proba"):
        bare, wrapped = getattr(model, method), getattr(inst, method)
        for _ in range(50):
            bare(one), wrapped(one)
        runs: dict[str, list[float]] = {"bare": [], "inst": []}
        for _ in range(ROUNDS):
            runs["bare"].append(per_call(lambda b=bare: b(one), PER_ROUND))
            runs["inst"].append(per_call(lambda w=wrapped: w(one), PER_ROUND))
        b, i = statistics.median(runs["bare"]), statistics.median(runs["inst"])
        out[method] = {"bare_us": round(b, 1), "instrumented_us": round(i, 1)}
    row = dict(zip(FEATURES, one.iloc[0].tolist(), strict=True))
    prediction = np.array([0.3])
    out["log_dict_us"] = round(
        statistics.median(per_call(lambda: logger.log(row, 0.3), LOG_CALLS) for _ in range(3)), 2
    )
    out["log_frame_us"] = round(
        statistics.median(
            per_call(lambda: logger.log(one, prediction), LOG_CALLS) for _ in range(3)
        ),
        2,
    )
    for name, fn in (
        ("dict", lambda: logger.log(row, 0.3)),
        ("frame", lambda: logger.log(one, prediction)),
    ):
        times = []
        for _ in range(LOG_CALLS):
            t0 = time.perf_counter_ns()
            fn()
            times.append(time.perf_counter_ns() - t0)
        times.sort()
        out[f"log_{name}_p99_us"] = round(times[int(len(times) * 0.99)] / 1e3, 2)
    logger.close()
    return out


def _paced(store: str, variant: str, rows: int, rate: float) -> dict[str, Any]:
    """The service's request body at ``rate`` calls/s, inside an OpenTelemetry span: ``floor``
    exports the span nowhere (OpenTelemetry's own cost), ``instrumented`` exports it into the
    store and logs the call through Logger + instrument. CPU per call of the whole process."""
    import threading

    import numpy as np
    import pandas as pd
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    model = _model()
    provider = TracerProvider()
    logger = None
    if variant == "floor":

        class Nowhere(SpanExporter):
            def export(self, spans: Any) -> Any:
                return SpanExportResult.SUCCESS

        provider.add_span_processor(BatchSpanProcessor(Nowhere()))
    else:
        import diaglab as dl
        from diaglab.otel import StoreSpanExporter

        provider.add_span_processor(BatchSpanProcessor(StoreSpanExporter(store)))
        logger = dl.Logger(store, model="paced")
        model = dl.instrument(model, logger)
    tracer = provider.get_tracer("bench")
    values = np.random.default_rng(2).normal(size=(rows, 20)).round(4).tolist()
    body = [dict(zip(FEATURES, r, strict=True)) for r in values]

    def request() -> dict[str, Any]:
        frame = pd.DataFrame(body, columns=FEATURES)
        with tracer.start_as_current_span("predict") as span:
            scores = model.predict_proba(frame)[:, 1]
            trace_id = f"{span.get_span_context().trace_id:032x}"
        return {"trace_id": trace_id, "scores": scores.tolist()}

    for _ in range(100):
        request()
    if logger is not None:  # the writer's first segment imports what checking needs
        logger.flush()

    def threads() -> dict[str, float]:
        return {
            t.name: time.clock_gettime(time.pthread_getcpuclockid(t.ident))
            for t in threading.enumerate()
            if t.ident is not None
        }

    n = int(rate * SECONDS)
    before = threads()
    cpu, start = time.process_time(), time.perf_counter()
    for k in range(n):
        request()
        wait = start + (k + 1) / rate - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
    during = {name: t - before.get(name, 0.0) for name, t in threads().items()}
    if logger is not None:
        logger.close()
    provider.shutdown()
    per_thread = {name: round(t / n * 1e6, 1) for name, t in during.items() if t > 0}
    return {
        "cpu_us_per_call": round((time.process_time() - cpu) / n * 1e6, 1),
        "calls": n,
        "threads_us_per_call": per_thread,
    }


def hot_path(size: str, workdir: str) -> dict[str, Any]:
    work = Path(workdir)
    result: dict[str, Any] = {"case": "hot_path"}
    for name, rev in TREES.items():
        with tempfile.TemporaryDirectory(dir=work) as store:
            result[name] = _child(source_tree(rev, work), "hot", store)
    return result


def ab(size: str, workdir: str) -> dict[str, Any]:
    """Every tree of TREES and the OpenTelemetry floor run at the same time in each round (so
    the machine's load is theirs alike), single-row and 100-row calls; per round each tree's CPU
    per call over the floor's, medians of the rounds."""
    work = Path(workdir)
    result: dict[str, Any] = {"case": "ab", "seconds": SECONDS, "rounds": AB_ROUNDS, "rows": {}}
    sources = {name: source_tree(rev, work) for name, rev in TREES.items()}
    runs_of = {"floor": (sources["this change"], "floor")}
    runs_of |= {name: (sources[name], "instrumented") for name in TREES}
    for rows, rate in RATES.items():
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in runs_of}
        for _ in range(AB_ROUNDS):
            with tempfile.TemporaryDirectory(dir=work) as stores:
                started = {
                    name: _start(src, "paced", f"{stores}/{k}", variant, str(rows), str(rate))
                    for k, (name, (src, variant)) in enumerate(runs_of.items())
                }
                for name, proc in started.items():
                    runs[name].append(_result(proc))
        floors = [x["cpu_us_per_call"] for x in runs["floor"]]
        out: dict[str, Any] = {
            "rate_per_s": rate,
            "floor_us": round(statistics.median(floors), 1),
            "floor_rounds_us": floors,
        }
        for name in TREES:
            cpu = [x["cpu_us_per_call"] for x in runs[name]]
            out[name] = {
                "cpu_us": round(statistics.median(cpu), 1),
                "added_us": round(
                    statistics.median(c - f for c, f in zip(cpu, floors, strict=True)), 1
                ),
                "over_floor": round(
                    statistics.median(c / f for c, f in zip(cpu, floors, strict=True)), 3
                ),
                "rounds_us": cpu,
                "threads_us": {
                    thread: round(
                        statistics.median(
                            x["threads_us_per_call"].get(thread, 0.0) for x in runs[name]
                        ),
                        1,
                    )
                    for thread in runs[name][0]["threads_us_per_call"]
                },
            }
        result["rows"][str(rows)] = out
    return result


def trees_in(result: dict[str, Any]) -> list[str]:
    return [t for t in TREES if t in result]


def markdown_table(results: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for r in results:
        trees = trees_in(r)
        if r["case"] == "hot_path":
            lines += [
                "Hot path, CPU of the calling thread in µs per call (medians of "
                f"{ROUNDS} alternated rounds of {PER_ROUND} calls; Logger.log: {LOG_CALLS} "
                "calls), one-row DataFrame of 20 floats, default Logger:",
                "",
                "| tree | predict bare → instrumented | predict_proba bare → instrumented | "
                "Logger.log dict | Logger.log 1-row DataFrame | p99 wall per log, dict / "
                "DataFrame |",
                "|---|---|---|---|---|---|",
            ]
            for t in trees:
                h = r[t]
                p, pp = h["predict"], h["predict_proba"]
                lines.append(
                    f"| {t} | {p['bare_us']} → {p['instrumented_us']} "
                    f"(+{round(p['instrumented_us'] - p['bare_us'], 1)}) | "
                    f"{pp['bare_us']} → {pp['instrumented_us']} "
                    f"(+{round(pp['instrumented_us'] - pp['bare_us'], 1)}) | "
                    f"{h['log_dict_us']} | {h['log_frame_us']} | "
                    f"{h.get('log_dict_p99_us')} / {h.get('log_frame_p99_us')} µs |"
                )
            lines.append("")
        else:
            lines += [
                f"In-process A/B: the service's request body (JSON rows → DataFrame → "
                f"`predict_proba` inside an OpenTelemetry span) paced like one uvicorn worker "
                f"for {r['seconds']} s per run; CPU of the whole process (every thread, final "
                f"flush included) in µs per call; {r['rounds']} rounds, each running the floor and "
                "every tree at the same time; added and over the floor per round, then medians. "
                "The floor is the same body with the span exported nowhere.",
                "",
                "| rows/call | calls/s | floor µs | tree | instrumented µs | added by diaglab µs "
                "| over the floor | per thread µs (median) |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for rows, v in r["rows"].items():
                for t in trees_in(v):
                    x = v[t]
                    threads = ", ".join(f"{k} {u}" for k, u in x["threads_us"].items())
                    lines.append(
                        f"| {rows} | {v['rate_per_s']:.0f} | {v['floor_us']} | {t} | "
                        f"{x['cpu_us']} | {x['added_us']} | {x['over_floor']}x | {threads} |"
                    )
            lines.append("")
    return lines


if __name__ == "__main__":
    if sys.argv[1] == "_child":
        kind, store = sys.argv[2], sys.argv[3]
        if kind == "hot":
            res = _hot(store)
        else:
            res = _paced(store, sys.argv[4], int(sys.argv[5]), float(sys.argv[6]))
        print(json.dumps(res))
    else:
        print(json.dumps(globals()[sys.argv[1]](*sys.argv[2:])))
