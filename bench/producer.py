"""The producers' cost per call, in process, before and after (issue 21's cost targets).

Two cases, each running every source tree in its own child process (``PYTHONPATH``), so the
trees compared ran minutes apart on the same machine:

- ``hot_path``: CPU of the calling thread only (``time.thread_time``), in µs per call, for the
  bare model's ``predict`` / ``predict_proba`` on a one-row DataFrame (20 float features, the
  service's model) against the instrumented one, and per row for ``Logger.log`` of a dict and of
  a one-row DataFrame. Bare and instrumented calls alternate in rounds; medians of the rounds.
- ``paced``: the service's request body in process (a one-row DataFrame built from JSON rows,
  ``predict_proba``, optionally inside an OpenTelemetry span) at a fixed rate (what one uvicorn
  worker served in the service run), CPU of the whole process (``time.process_time``: every
  thread, so the Logger's writer and the span processor count) per call, including the final
  flush. Variants: bare, Logger + instrument, span into ``StoreSpanExporter``, both.

Trees: main at ``0400676`` (before the resource probe and the feature namespace) and the working
tree, extracted with ``git archive`` into ``bench/data``. ``hot_path`` also times each
``Logger.log`` call on its own (wall clock, ``perf_counter_ns``) for the p99 per logged row, which
includes the resource probe (``getrusage`` and the cached NVML sample) in this change.
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

ROOT = Path(__file__).resolve().parent.parent
TREES = {"main 0400676": "0400676", "this change": None}
FEATURES = [f"f{i}" for i in range(20)]
ROUNDS, PER_ROUND, LOG_CALLS = 9, 400, 20_000
RATE, SECONDS = 170, 8.0


def _source(rev: str | None, work: Path) -> Path:
    if rev is None:
        return ROOT / "src"
    out = work / f"src-{rev}"
    if not out.exists():
        out.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev, "src"], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(out)], input=archive.stdout, check=True)
    return out / "src"


def _child(src: Path, *args: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{ROOT}"}
    out = subprocess.run(
        [sys.executable, "-m", "bench.producer", "_child", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


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


def _paced(store: str, variant: str) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    model = _model()
    provider = tracer = None
    if variant in ("spans", "both"):
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        from diaglab.otel import StoreSpanExporter

        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(StoreSpanExporter(store)))
        tracer = provider.get_tracer("bench")
    logger = None
    if variant in ("logger", "both"):
        import diaglab as dl

        logger = dl.Logger(store, model="paced")
        model = dl.instrument(model, logger)
    rows = np.random.default_rng(2).normal(size=(1, 20)).tolist()

    def request() -> None:
        frame = pd.DataFrame(rows, columns=FEATURES)
        if tracer is not None:
            with tracer.start_as_current_span("predict"):
                model.predict_proba(frame)[:, 1].tolist()
        else:
            model.predict_proba(frame)[:, 1].tolist()

    for _ in range(100):
        request()
    n = int(RATE * SECONDS)
    cpu, start = time.process_time(), time.perf_counter()
    for k in range(n):
        request()
        wait = start + (k + 1) / RATE - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
    if logger is not None:
        logger.close()
    if provider is not None:
        provider.shutdown()
    return {"cpu_us_per_call": round((time.process_time() - cpu) / n * 1e6, 1), "calls": n}


def hot_path(size: str, workdir: str) -> dict[str, Any]:
    work = Path(workdir)
    result: dict[str, Any] = {"case": "hot_path"}
    for name, rev in TREES.items():
        with tempfile.TemporaryDirectory(dir=work) as store:
            result[name] = _child(_source(rev, work), "hot", store)
    return result


def paced(size: str, workdir: str) -> dict[str, Any]:
    work = Path(workdir)
    result: dict[str, Any] = {"case": "paced", "rate_per_s": RATE, "seconds": SECONDS}
    for variant in ("bare", "logger", "spans", "both"):
        for name, rev in TREES.items():
            with tempfile.TemporaryDirectory(dir=work) as store:
                result.setdefault(name, {})[variant] = _child(
                    _source(rev, work), "paced", store, variant
                )["cpu_us_per_call"]
    return result


def markdown_table(results: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for r in results:
        trees = [t for t in TREES if t in r]
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
                f"Paced like one service worker ({r['rate_per_s']} requests/s for "
                f"{r['seconds']} s, one-row requests), CPU of the whole process (all threads, "
                "final flush included) in µs per request:",
                "",
                "| tree | bare | Logger + instrument | span into store | both | both / bare |",
                "|---|---|---|---|---|---|",
            ]
            for t in trees:
                v = r[t]
                lines.append(
                    f"| {t} | {v['bare']} | {v['logger']} | {v['spans']} | {v['both']} | "
                    f"{round(v['both'] / v['bare'], 3)}x |"
                )
            lines.append("")
    return lines


if __name__ == "__main__":
    if sys.argv[1] == "_child":
        kind, store = sys.argv[2], sys.argv[3]
        res = _hot(store) if kind == "hot" else _paced(store, sys.argv[4])
        print(json.dumps(res))
    else:
        print(json.dumps(globals()[sys.argv[1]](*sys.argv[2:])))
