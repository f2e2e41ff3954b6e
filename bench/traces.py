"""Tracing benchmarks (issue 6): span ingest through the exporter; one trace's waterfall data.

- ``export`` (not sized: 200k spans): ``StoreSpanExporter.export`` of real OpenTelemetry SDK spans
  (made beforehand, untimed) in batches of 512 (the SDK's default ``max_export_batch_size``) and
  of 8,192; spans per second, each batch an fsynced segment. Target: >= 100k spans/s.
- ``trace`` (sized: spans in the store): ``dl.trace(store, trace_id)`` of 50 random traces in a
  store of that many spans (4 per trace, written by ``prepare``); median and p95 in ms.
  Target: <= 50 ms at 10M spans.

``python -m bench.traces CASE SIZE WORKDIR``; ``python -m bench --suite traces``.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

import diaglab as dl
from bench._common import emit, parse_size
from diaglab.store.spans import SCHEMA, write_spans

CHUNK = 1_000_000
EXPORT_SPANS = 200_000
LOOKUPS = 50
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
T0 = 1_767_225_600_000_000_000


def _hex(values: np.ndarray, digits: int) -> pa.StringArray:
    """uint64 values as fixed-width lowercase hex strings, without a Python loop."""
    n = len(values)
    buf = np.empty((n, digits), dtype=np.uint8)
    v = values.astype(np.uint64)
    for d in range(digits):
        shift = np.uint64(4 * (digits - 1 - d)) if digits - 1 - d < 16 else None
        buf[:, d] = _HEX[(v >> shift) & np.uint64(15)] if shift is not None else ord("0")
    offsets = pa.array(np.arange(0, (n + 1) * digits, digits, dtype=np.int32))
    return pa.StringArray.from_buffers(n, offsets.buffers()[1], pa.py_buffer(buf.tobytes()))


def span_chunk(first_trace: int, traces: int, seed: int) -> tuple[pa.Table, list[str]]:
    """``traces`` traces of 4 spans (a root and 3 stages), random trace ids."""
    rng = np.random.default_rng([seed, first_trace])
    hi = rng.integers(0, 2**63, traces, dtype=np.int64).astype(np.uint64)
    lo = rng.integers(0, 2**63, traces, dtype=np.int64).astype(np.uint64)
    trace_hex = np.char.add(
        np.asarray(_hex(hi, 16).to_pylist()), np.asarray(_hex(lo, 16).to_pylist())
    )
    rows = np.arange(first_trace, first_trace + traces, dtype=np.uint64)
    span = (np.repeat(rows, 4) << np.uint64(8)) | np.tile(np.arange(4, dtype=np.uint64), traces)
    parent = np.repeat(rows, 4) << np.uint64(8)
    is_root = np.tile(np.array([True, False, False, False]), traces)
    start = T0 + np.repeat(rows.astype(np.int64), 4) * 1_000_000 + np.tile([0, 1, 2, 3], traces)
    dur = rng.integers(1_000_000, 50_000_000, 4 * traces)
    names = np.tile(np.array(["request", "feature_lookup", "model", "postprocess"], object), traces)
    table = pa.table(
        {
            "trace_id": pa.array(np.repeat(trace_hex, 4), pa.string()),
            "span_id": _hex(span, 16),
            "parent_span_id": pa.array(
                np.where(is_root, None, np.asarray(_hex(parent, 16).to_pylist(), object)),
                pa.string(),
            ),
            "name": pa.array(names, pa.string()),
            "kind": pa.array(np.full(4 * traces, "internal", object), pa.string()),
            "service_name": pa.array(np.full(4 * traces, "bench", object), pa.string()),
            "start_ns": pa.array(start, pa.int64()),
            "end_ns": pa.array(start + dur, pa.int64()),
            "status": pa.array(np.full(4 * traces, "ok", object), pa.string()),
            "status_message": pa.nulls(4 * traces, pa.string()),
            "attributes": pa.nulls(4 * traces, pa.string()),
            "resource": pa.array(np.full(4 * traces, '{"service.name":"bench"}', object)),
        },
        schema=SCHEMA,
    )
    return table, trace_hex[:: max(1, traces // 20)].tolist()


def prepare(n: int, work: Path) -> dict:
    """A store of ``n`` spans (4 per trace), ingested; sample trace ids in ``ids.txt``."""
    path = work / f"traces-{n}"
    if (path / "ids.txt").exists():
        return {"case": "prepare", "path": str(path), "reused": True}
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    ids: list[str] = []
    per = CHUNK // 4
    t = time.perf_counter()
    for first in range(0, n // 4, per):
        table, some = span_chunk(first, min(per, n // 4 - first), seed=0)
        write_spans(path, table)
        ids += some
    written = time.perf_counter() - t
    t = time.perf_counter()
    store = dl.open(path, refresh=False)
    report = store.refresh(progress=False)
    store.close()
    (path / "ids.txt").write_text("\n".join(ids) + "\n")
    return {
        "case": "prepare",
        "spans": report.rows,
        "write_s": round(written, 1),
        "ingest_s": round(time.perf_counter() - t, 1),
    }


def trace_lookup(n: int, work: Path) -> dict:
    path = work / f"traces-{n}"
    ids = (path / "ids.txt").read_text().split()
    rng = np.random.default_rng(1)
    pick = [ids[i] for i in rng.choice(len(ids), size=min(LOOKUPS, len(ids)), replace=False)]
    store = dl.open(path)
    dl.trace(store, pick[0])  # warm-up: the first query pays for imports and the connection
    times, cpu = [], []
    for tid in pick:
        t, c = time.perf_counter(), time.process_time()
        result = dl.trace(store, tid)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)  # all threads' CPU: immune to waiting
        assert len(result.spans) == 4, (tid, len(result.spans))
    store.close()
    times.sort()
    return {
        "case": "trace",
        "spans": n,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "cpu_median_ms": round(statistics.median(cpu), 1),
        "lookups": len(times),
    }


def export(n: int, work: Path) -> dict:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

    from diaglab.otel import StoreSpanExporter

    finished: list = []

    class Keep(SpanProcessor):
        def on_end(self, span) -> None:  # type: ignore[no-untyped-def]
            finished.append(span)

    provider = TracerProvider(resource=Resource.create({"service.name": "bench"}))
    provider.add_span_processor(Keep())
    tracer = provider.get_tracer("bench")
    for i in range(EXPORT_SPANS // 4):
        with tracer.start_as_current_span("request", attributes={"request.n": i}):
            for stage in ("feature_lookup", "model", "postprocess"):
                with tracer.start_as_current_span(stage, attributes={"stage": stage}):
                    pass
    out: dict = {"case": "export", "spans": len(finished)}
    for batch in (512, 8192):
        rates, cpu_rates = [], []
        for run in range(3):
            path = work / f"export-{batch}-{run}"
            shutil.rmtree(path, ignore_errors=True)
            exporter = StoreSpanExporter(path)
            t, c = time.perf_counter(), time.process_time()
            for k in range(0, len(finished), batch):
                exporter.export(finished[k : k + batch])
            rates.append(len(finished) / (time.perf_counter() - t))
            # CPU seconds of this process: what the export costs whatever else the machine runs
            cpu_rates.append(len(finished) / (time.process_time() - c))
            assert exporter.exported == len(finished) and exporter.failed == 0
            shutil.rmtree(path, ignore_errors=True)
        out[f"batch{batch}_spans_per_s"] = round(statistics.median(rates))
        out[f"batch{batch}_cpu_spans_per_s"] = round(statistics.median(cpu_rates))
    return out


CASES = {"prepare": prepare, "trace": trace_lookup, "export": export}


def markdown_table(results: list[dict]) -> list[str]:
    """The section's body in bench/RESULTS.md: what was measured, then the numbers."""
    lines = [
        "`python -m bench --suite traces --sizes 10M`. Wall time is what a user waits; CPU time "
        "(this process, all threads) shows the cost apart from the other sessions sharing the "
        "2 cores.",
        "",
        "- `export`: `StoreSpanExporter.export` of 200k real SDK spans (a root + 3 stages per "
        "request, made beforehand), in batches of 512 (the SDK's default) and 8,192; every batch "
        "is one fsynced, hash-chained segment (3 fsyncs). Median of 3.",
        "- `trace`: `dl.trace(store, trace_id)` (spans, layout, critical path, linked predictions) "
        "for 50 random traces of a store of 10M spans (2.5M traces) after a warm-up lookup; the "
        "span table has an ART index on `trace_key` (the trace id's first 60 bits).",
        "",
        "| case | spans | wall | CPU | peak RSS |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        if r["case"] == "export":
            for b in (512, 8192):
                lines.append(
                    f"| export, batches of {b} | {r['spans']:,} | "
                    f"{r[f'batch{b}_spans_per_s']:,} spans/s | "
                    f"{r[f'batch{b}_cpu_spans_per_s']:,} spans/s | {r.get('peak_rss_mb')} MB |"
                )
        else:
            lines.append(
                f"| trace lookup | {r['spans']:,} | median {r['median_ms']} ms, p95 "
                f"{r['p95_ms']} ms | median {r['cpu_median_ms']} ms | {r.get('peak_rss_mb')} MB |"
            )
    return lines


if __name__ == "__main__":
    case, size, workdir = sys.argv[1], parse_size(sys.argv[2]), Path(sys.argv[3])
    workdir.mkdir(parents=True, exist_ok=True)
    emit(CASES[case](size, workdir))
