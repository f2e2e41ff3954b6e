"""A real model service under load: instrumented (Logger + instrument + OpenTelemetry spans)
against the same service uninstrumented, alternated in one run (issue 21).

Each variant is a FastAPI app served by ``uvicorn --workers 2`` on 127.0.0.1, driven by a
closed loop of 16 concurrent clients (httpx, in this process) for ``WINDOW_S`` seconds after a
warm-up, with single-row or 100-row requests to a scikit-learn model of 20 features. Measured
per variant: throughput (requests/s), client-side p50/p99 latency, server CPU per request (user +
system time of the server's process tree over the window). After each instrumented window the
server gets SIGTERM: the rows and traces stored are compared with those acknowledged, and the
time SIGTERM takes to end the server is recorded. The ``queryable`` case measures, in an
instrumented run, the time from a request's acknowledgement to its row being queryable in a
store a notebook keeps refreshing (``store.refresh()`` in a loop).

Usage: ``python -m bench --suite service`` (about 5 minutes).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import emit, source_tree

CLIENTS = 16
WINDOW_S = 20.0
WARMUP_S = 3.0
# each variant runs ROUNDS times, alternating, so drift in the machine's load is shared
ROUNDS = int(os.environ.get("BENCH_SERVICE_ROUNDS", "2"))
# the previous main (or BENCH_SERVICE_BASELINE, any revision), whose instrumented service runs in
# the same rounds (its src via git archive)
BASELINE = os.environ.get("BENCH_SERVICE_BASELINE", "d535145")
VARIANTS = ("plain", "sdk", "instrumented", "previous")

APP = """
import os

import numpy as np
import pandas as pd
from fastapi import FastAPI
from sklearn.linear_model import LogisticRegression

VARIANT = os.environ["BENCH_VARIANT"]
STORE = os.environ["BENCH_STORE"]
RETURN_IDS = os.environ.get("BENCH_RETURN_IDS") == "1"
# the Logger's defaults (the README's pattern) unless a case sets its flush age
LOGGER_OPTIONS = {"flush_seconds": float(os.environ["BENCH_FLUSH_SECONDS"])} if os.environ.get(
    "BENCH_FLUSH_SECONDS"
) else {}
FEATURES = [f"f{i}" for i in range(20)]
rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=(500, 20)), columns=FEATURES)
model = LogisticRegression().fit(X, (X["f0"] + X["f1"] > 0).astype(int))

# "spans", "logger": one part alone, to apportion; "sdk": spans exported nowhere (SDK cost)
SPANS = VARIANT in ("instrumented", "spans", "sdk")
LOGGER = VARIANT in ("instrumented", "logger")
if SPANS:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from diaglab.otel import StoreSpanExporter

    provider = TracerProvider()
    if VARIANT == "sdk":
        from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

        class Nowhere(SpanExporter):
            def export(self, spans):
                return SpanExportResult.SUCCESS

        provider.add_span_processor(BatchSpanProcessor(Nowhere()))
    else:
        provider.add_span_processor(BatchSpanProcessor(StoreSpanExporter(STORE)))
    trace.set_tracer_provider(provider)
    tracer = trace.get_tracer("bench")
if LOGGER:
    import diaglab as dl

    model = dl.instrument(model, dl.Logger(STORE, model="svc", **LOGGER_OPTIONS))
    if os.environ.get("BENCH_ABLATE") == "probe":  # bench/service_threads.py: no resource probe
        import diaglab.producers.instrument as _instrument
        from diaglab.producers.resources import Usage

        class _WallOnly:
            @classmethod
            def start(cls):
                return cls()

            def stop(self, rows, columns):
                return Usage(None, None, 0.0, None, None, None, rows, rows * columns)

        _instrument.Probe = _WallOnly

app = FastAPI()


@app.get("/health")
async def health():
    return {"ok": True}


@app.post("/predict")
def predict(body: dict):
    frame = pd.DataFrame(body["rows"], columns=FEATURES)
    out = {}
    if SPANS:
        with tracer.start_as_current_span("predict") as span:
            scores = model.predict_proba(frame)[:, 1]
            out["trace_id"] = f"{span.get_span_context().trace_id:032x}"
    else:
        scores = model.predict_proba(frame)[:, 1]
    if RETURN_IDS:
        out["ids"] = model.last_prediction_ids
        out["pid"] = os.getpid()
    out["scores"] = scores.tolist()
    return out
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(
        self,
        work: Path,
        variant: str,
        *,
        return_ids: bool = False,
        flush_seconds: float | None = None,
        src: Path | None = None,
    ) -> None:
        import httpx
        import psutil

        app_dir = work / "app"
        app_dir.mkdir(parents=True, exist_ok=True)
        (app_dir / "bench_app.py").write_text(APP)
        self.store = work / f"store-{variant}-{time.time_ns()}"
        self.port = _free_port()
        env = {
            **os.environ,
            "BENCH_VARIANT": variant,
            "BENCH_STORE": str(self.store),
            "BENCH_RETURN_IDS": "1" if return_ids else "0",
            "BENCH_FLUSH_SECONDS": "" if flush_seconds is None else str(flush_seconds),
            # ``src``: another tree's diaglab, ahead of this one's
            "PYTHONPATH": os.pathsep.join([str(app_dir), *([str(src)] if src else []), *sys.path]),
        }
        cmd = [sys.executable, "-m", "uvicorn", "bench_app:app", "--workers", "2"]
        cmd += ["--port", str(self.port), "--log-level", "warning"]
        self.proc = subprocess.Popen(cmd, cwd=app_dir, env=env)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.proc.kill()
                raise RuntimeError(f"{variant} server did not start")
            time.sleep(0.2)
        self.tree = psutil.Process(self.proc.pid)

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in [self.tree, *self.tree.children(recursive=True)]:
            try:
                t = p.cpu_times()
            except Exception:  # a process that just ended
                continue
            total += t.user + t.system
        return total

    def terminate(self) -> float:
        """SIGTERM; seconds until the server has exited."""
        t = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)
        return time.perf_counter() - t


async def _load(
    url: str, rows: int, seconds: float, *, on_ack: Any = None, tolerant: bool = False
) -> tuple[list[float], int, set[str]]:
    """Closed loop: CLIENTS tasks, each sending the next request when the last is answered."""
    import httpx

    rng = np.random.default_rng(1)
    bodies = [
        {"rows": [dict(zip([f"f{i}" for i in range(20)], r, strict=True)) for r in batch]}
        for batch in rng.normal(size=(32, rows, 20)).round(4).tolist()
    ]
    latencies: list[float] = []
    traces: set[str] = set()
    acked = 0
    end = time.perf_counter() + seconds

    async def client(k: int, http: httpx.AsyncClient) -> None:
        nonlocal acked
        i = k
        while time.perf_counter() < end:
            t = time.perf_counter()
            try:
                r = await http.post("/predict", json=bodies[i % len(bodies)])
                r.raise_for_status()
            except httpx.HTTPError:
                if not tolerant:
                    raise
                i += CLIENTS
                continue  # a killed worker's connection: not acknowledged
            latencies.append(time.perf_counter() - t)
            out = r.json()
            acked += 1
            if "trace_id" in out:
                traces.add(out["trace_id"])
            if on_ack is not None:
                on_ack(out)
            i += CLIENTS

    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        await asyncio.gather(*(client(k, http) for k in range(CLIENTS)))
    return latencies, acked, traces


def _stored(store: Path) -> tuple[int, int, set[str]]:
    import diaglab as dl

    s = dl.open(store)
    try:
        t = s.table("svc")
        count = int(t.count().execute())
        distinct = int(t.prediction_id.nunique().execute())
        traces = set(s.spans().to_pandas()["trace_id"])
    finally:
        s.close()
    return count, distinct, traces


def compare(rows: int, work: Path) -> dict[str, Any]:
    # "sdk" is the floor: the plain service plus an OpenTelemetry SDK span per request exported
    # nowhere, i.e. what any OpenTelemetry user pays before diaglab does anything
    # "previous": instrumented with the previous main's diaglab (BASELINE), same rounds
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in VARIANTS}
    previous = source_tree(BASELINE, work)
    checks = []
    for _ in range(ROUNDS):
        for variant in VARIANTS:
            if variant == "previous":
                server = Server(work, "instrumented", src=previous)
            else:
                server = Server(work, variant)
            try:
                # every acknowledged request in warm-up and window counts for the SIGTERM check
                result, acked_rows = _window(server, rows)
                runs[variant].append(result)
            finally:
                drain = server.terminate()
            if variant == "instrumented":
                count, distinct, traces = _stored(server.store)
                r = runs[variant][-1]
                checks.append(
                    {
                        "acked_rows": acked_rows,
                        "stored_rows": count,
                        "distinct_ids": distinct,
                        "traces_missing": len(r["traces"] - traces),
                        "sigterm_to_exit_s": round(drain, 2),
                    }
                )
            else:
                runs[variant][-1]["sigterm_to_exit_s"] = drain
    med = {
        v: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50_ms", "p99_ms")}
        | {"cpu": statistics.median(r["cpu_ms_per_request"] for r in rs)}
        for v, rs in runs.items()
    }
    plain, inst, floor, prev = med["plain"], med["instrumented"], med["sdk"], med["previous"]
    return {
        "baseline": BASELINE,
        "over_previous_throughput": round(inst["rps"] / prev["rps"], 3),
        "over_previous_p99": round(inst["p99_ms"] / prev["p99_ms"], 3),
        "over_previous_cpu": round(inst["cpu"] / prev["cpu"], 3),
        "previous_throughput_ratio": round(prev["rps"] / plain["rps"], 3),
        "previous_p99_ratio": round(prev["p99_ms"] / plain["p99_ms"], 3),
        "previous_cpu_per_request_ratio": round(prev["cpu"] / plain["cpu"], 3),
        "floor_rps": round(floor["rps"], 1),
        "floor_p99_ms": round(floor["p99_ms"], 1),
        "floor_cpu_ms_per_request": round(floor["cpu"], 2),
        "over_floor_throughput": round(inst["rps"] / floor["rps"], 3),
        "over_floor_p99": round(inst["p99_ms"] / floor["p99_ms"], 3),
        "over_floor_cpu": round(inst["cpu"] / floor["cpu"], 3),
        "case": f"rows_{rows}",
        "rows_per_request": rows,
        "plain_rps": round(plain["rps"], 1),
        "instrumented_rps": round(inst["rps"], 1),
        "throughput_ratio": round(inst["rps"] / plain["rps"], 3),
        "plain_p99_ms": round(plain["p99_ms"], 1),
        "instrumented_p99_ms": round(inst["p99_ms"], 1),
        "p99_ratio": round(inst["p99_ms"] / plain["p99_ms"], 3),
        "plain_p50_ms": round(plain["p50_ms"], 1),
        "instrumented_p50_ms": round(inst["p50_ms"], 1),
        "plain_cpu_ms_per_request": round(plain["cpu"], 2),
        "instrumented_cpu_ms_per_request": round(inst["cpu"], 2),
        "cpu_per_request_ratio": round(inst["cpu"] / plain["cpu"], 3),
        "rounds": ROUNDS,
        "all_rps": {v: [round(r["rps"], 1) for r in rs] for v, rs in runs.items()},
        "sigterm": checks,
        "plain_sigterm_to_exit_s": [round(r["sigterm_to_exit_s"], 2) for r in runs["plain"]],
    }


def _window(server: Server, rows: int) -> tuple[dict[str, Any], int]:
    """Warm-up then a measured window; the measurements and the rows acknowledged in both."""
    acked_rows = [0]

    def count(out: dict[str, Any]) -> None:
        acked_rows[0] += len(out["scores"])

    asyncio.run(_load(server.url, rows, WARMUP_S, on_ack=count))
    cpu0 = server.cpu_seconds()
    t = time.perf_counter()
    latencies, acked, traces = asyncio.run(_load(server.url, rows, WINDOW_S, on_ack=count))
    elapsed = time.perf_counter() - t
    cpu = server.cpu_seconds() - cpu0
    ms = np.asarray(latencies) * 1000
    result = {
        "rps": acked / elapsed,
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "cpu_ms_per_request": cpu / acked * 1000,
        "traces": traces,
    }
    return result, acked_rows[0]


def queryable(work: Path, *, flush_seconds: float | None = None) -> dict[str, Any]:
    """Acknowledged to queryable: a notebook refreshing the live store in a loop (the Logger's
    default flush age, or ``flush_seconds``)."""
    import diaglab as dl

    server = Server(work, "instrumented", return_ids=True, flush_seconds=flush_seconds)
    waiting: dict[str, float] = {}
    delays: list[float] = []
    lock = threading.Lock()
    seen = [0]
    stop = threading.Event()
    refreshes: list[float] = []  # seconds per store.refresh() of the notebook
    queries: list[float] = []  # seconds per lookup of the waiting ids

    def on_ack(out: dict[str, Any]) -> None:
        seen[0] += 1
        if seen[0] % 10 == 0:  # a sample of the requests, first row's id
            with lock:
                waiting[out["ids"][0]] = time.monotonic()

    def notebook() -> None:
        store = None
        while not stop.is_set():
            if store is None:
                try:
                    store = dl.open(server.store)
                except Exception:  # no segment written yet
                    time.sleep(0.1)
                    continue
            started = time.monotonic()
            store.refresh(progress=False)
            refreshes.append(time.monotonic() - started)
            with lock:
                ids = list(waiting)
            if ids and "svc" in store.models():
                started = time.monotonic()
                t = store.table("svc")
                found = set(t.filter(t.prediction_id.isin(ids)).prediction_id.execute())
                now = time.monotonic()
                queries.append(now - started)
                with lock:
                    for i in found:
                        delays.append(now - waiting.pop(i))
            time.sleep(0.05)
        if store is not None:
            store.close()

    poller = threading.Thread(target=notebook, daemon=True)
    poller.start()
    try:
        window = asyncio.run(_load(server.url, 1, WINDOW_S, on_ack=on_ack))
    finally:
        server.terminate()
        time.sleep(3.0)
        stop.set()
        poller.join(60)
    return {
        "case": "queryable",
        "flush_seconds": flush_seconds,
        "rps": round(window[1] / WINDOW_S, 1),
        "sampled": len(delays) + len(waiting),
        "never_seen": len(waiting),
        "ack_to_queryable_p50_s": round(float(np.percentile(delays, 50)), 2),
        "ack_to_queryable_p95_s": round(float(np.percentile(delays, 95)), 2),
        "ack_to_queryable_max_s": round(float(np.max(delays)), 2),
        "refresh_p50_s": round(float(np.percentile(refreshes, 50)), 3),
        "refresh_p95_s": round(float(np.percentile(refreshes, 95)), 3),
        "query_p50_s": round(float(np.percentile(queries, 50)), 3),
        "query_p95_s": round(float(np.percentile(queries, 95)), 3),
    }


def sigkill(work: Path) -> dict[str, Any]:
    """SIGKILL one worker mid-load: the acknowledged rows it lost, against its traffic in the
    last flush_seconds (1 s) before the kill."""
    import diaglab as dl

    server = Server(work, "instrumented", return_ids=True)
    acks: list[tuple[str, int, float]] = []  # (id, worker pid, acknowledged at)

    def on_ack(out: dict[str, Any]) -> None:
        now = time.monotonic()
        acks.extend((i, out["pid"], now) for i in out["ids"])

    killed: list[tuple[int, float]] = []

    def kill_later() -> None:
        time.sleep(WINDOW_S / 2)
        pids = {pid for _, pid, _ in acks}
        victim = next(p.pid for p in server.tree.children(recursive=True) if p.pid in pids)
        os.kill(victim, signal.SIGKILL)
        killed.append((victim, time.monotonic()))

    killer = threading.Thread(target=kill_later)
    killer.start()
    try:
        asyncio.run(_load(server.url, 1, WINDOW_S, on_ack=on_ack, tolerant=True))
    finally:
        killer.join()
        server.terminate()
    victim, at = killed[0]
    store = dl.open(server.store)
    try:
        stored = set(store.table("svc").prediction_id.execute())
    finally:
        store.close()
    missing = [(i, pid, t) for i, pid, t in acks if i not in stored]
    last_second = sum(1 for _, pid, t in acks if pid == victim and at - 1.0 <= t <= at)
    return {
        "case": "sigkill",
        "acked": len(acks),
        "victim_acked": sum(1 for _, pid, _ in acks if pid == victim),
        "missing": len(missing),
        "missing_from_others": sum(1 for _, pid, _ in missing if pid != victim),
        "victim_last_flush_seconds": last_second,
        "oldest_missing_s_before_kill": round(max((at - t for _, _, t in missing), default=0), 2),
    }


def parts(work: Path) -> dict[str, Any]:
    """Where the cost goes: each part alone, single rows, one window each, in this order."""
    out: dict[str, Any] = {"case": "parts"}
    for variant in ("plain", "logger", "sdk", "spans", "instrumented"):
        server = Server(work, variant)
        try:
            result, _ = _window(server, 1)
        finally:
            server.terminate()
        out[variant] = {
            "rps": round(result["rps"], 1),
            "p99_ms": round(result["p99_ms"], 1),
            "cpu_ms_per_request": round(result["cpu_ms_per_request"], 2),
        }
    return out


CASES = {
    "sigkill": sigkill,
    "parts": parts,
    "rows_1": lambda work: compare(1, work),
    "rows_100": lambda work: compare(100, work),
    "queryable": queryable,
    "queryable_half": lambda work: queryable(work, flush_seconds=0.5),
}


def markdown_table(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"uvicorn --workers 2 on 127.0.0.1, {CLIENTS} closed-loop clients (httpx, in the bench "
        f"process on the same 2 cores), {WINDOW_S:.0f} s per window after {WARMUP_S:.0f} s "
        f"warm-up; plain and instrumented (Logger + instrument + OpenTelemetry span per request "
        f"into StoreSpanExporter) alternated, {ROUNDS} windows each, medians. The machine is "
        f"shared with seven other sessions: single windows vary by ±20% or more; the ratios, "
        f"measured close together in time, are what to read.",
        "",
        "| rows/request | throughput plain → instrumented (ratio) | p99 ms (ratio) | "
        "p50 ms | CPU ms/request (ratio) | SIGTERM: acked rows / stored / distinct, "
        "traces missing, s to exit |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        if not r["case"].startswith("rows_"):
            continue
        checks = "; ".join(
            f"{c['acked_rows']} / {c['stored_rows']} / {c['distinct_ids']}, "
            f"{c['traces_missing']}, {c['sigterm_to_exit_s']} s"
            for c in r["sigterm"]
        )
        lines.append(
            f"| {r['rows_per_request']} | {r['plain_rps']} → {r['instrumented_rps']} req/s "
            f"(**{r['throughput_ratio']}x**) | {r['plain_p99_ms']} → {r['instrumented_p99_ms']} "
            f"(**{r['p99_ratio']}x**) | {r['plain_p50_ms']} → {r['instrumented_p50_ms']} | "
            f"{r['plain_cpu_ms_per_request']} → {r['instrumented_cpu_ms_per_request']} "
            f"(**{r['cpu_per_request_ratio']}x**) | {checks} |"
        )
    targets = []
    for r in results:
        if r["case"].startswith("rows_"):
            met = {
                "throughput >= 0.95x": r["throughput_ratio"] >= 0.95,
                "p99 <= 1.2x": r["p99_ratio"] <= 1.2,
                "CPU/request <= 1.1x": r["cpu_per_request_ratio"] <= 1.1,
            }
            targets.append(
                f"{r['rows_per_request']}-row requests: "
                + ", ".join(f"{k} {'met' if ok else 'NOT met'}" for k, ok in met.items())
            )
    if targets:
        lines += ["", "Issue 21's targets in this run: " + "; ".join(targets) + "."]
    floors = [r for r in results if r["case"].startswith("rows_") and "floor_rps" in r]
    if floors:
        lines += [
            "",
            "The floor, alternated in the same rounds: the plain service plus an OpenTelemetry "
            "SDK span per request exported nowhere (what OpenTelemetry costs before diaglab does "
            "anything). Instrumented over the floor is diaglab's own cost:",
            "",
            "| rows/request | floor req/s | floor p99 ms | floor CPU ms/request | instrumented / "
            "floor: throughput, p99, CPU/request | floor / plain: throughput, p99, CPU/request |",
            "|---|---|---|---|---|---|",
        ]
        for r in floors:
            lines.append(
                f"| {r['rows_per_request']} | {r['floor_rps']} | {r['floor_p99_ms']} | "
                f"{r['floor_cpu_ms_per_request']} | **{r['over_floor_throughput']}x, "
                f"{r['over_floor_p99']}x, {r['over_floor_cpu']}x** | "
                f"{round(r['floor_rps'] / r['plain_rps'], 3)}x, "
                f"{round(r['floor_p99_ms'] / r['plain_p99_ms'], 3)}x, "
                f"{round(r['floor_cpu_ms_per_request'] / r['plain_cpu_ms_per_request'], 3)}x |"
            )
    previous = [r for r in results if r["case"].startswith("rows_") and "baseline" in r]
    if previous:
        lines += [
            "",
            f"The previous main ({previous[0]['baseline']}) instrumented, alternated in the same "
            "rounds:",
            "",
            "| rows/request | previous / plain: throughput, p99, CPU/request | this / previous: "
            "throughput, p99, CPU/request |",
            "|---|---|---|",
        ]
        for r in previous:
            lines.append(
                f"| {r['rows_per_request']} | {r['previous_throughput_ratio']}x, "
                f"{r['previous_p99_ratio']}x, {r['previous_cpu_per_request_ratio']}x | "
                f"**{r['over_previous_throughput']}x, {r['over_previous_p99']}x, "
                f"{r['over_previous_cpu']}x** |"
            )
    for r in results:
        if r["case"] == "sigkill":
            lines += [
                "",
                f"SIGKILL of one worker mid-window (instrumented, single rows): {r['acked']} rows "
                f"acknowledged, {r['victim_acked']} by the killed worker; **{r['missing']} "
                f"missing** ({r['missing_from_others']} from the surviving worker), against "
                f"{r['victim_last_flush_seconds']} acknowledged by the killed worker in the last "
                f"flush_seconds (1 s) before the kill; the oldest missing row was acknowledged "
                f"{r['oldest_missing_s_before_kill']} s before it.",
            ]
        if r["case"] == "parts":
            names = {
                "plain": "plain",
                "logger": "Logger + instrument only",
                "sdk": "OpenTelemetry SDK span, exported nowhere",
                "spans": "span into StoreSpanExporter only",
                "instrumented": "both",
            }
            lines += [
                "",
                "Where the cost goes (single rows, one window each, run in this order): "
                + "; ".join(
                    f"{label} {r[v]['rps']} req/s, {r[v]['cpu_ms_per_request']} ms CPU/request"
                    for v, label in names.items()
                )
                + ".",
            ]
        if r["case"] == "queryable":
            lines += [
                "",
                "Acknowledged → queryable (instrumented, single rows, "
                + ("" if r["flush_seconds"] is None else f"flush_seconds={r['flush_seconds']}, ")
                + f"{r['rps']} req/s, a "
                f"notebook thread calling `store.refresh()` in a loop; {r['sampled']} sampled "
                f"requests, {r['never_seen']} never seen): p50 {r['ack_to_queryable_p50_s']} s, "
                f"**p95 {r['ack_to_queryable_p95_s']} s**, max {r['ack_to_queryable_max_s']} s. "
                f"Where it goes: a row waits for its segment up to the Logger's flush_seconds; "
                f"the notebook's `store.refresh()` took p50 {r['refresh_p50_s']} s (p95 "
                f"{r['refresh_p95_s']} s) and its lookup of the waiting ids p50 "
                f"{r['query_p50_s']} s (p95 {r['query_p95_s']} s).",
            ]
    return lines


if __name__ == "__main__":
    case, _size, workdir = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    workdir.mkdir(parents=True, exist_ok=True)
    emit(CASES[case](workdir / "service"))
