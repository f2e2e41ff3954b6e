"""Audit-trail benchmarks (issue 7): verifying a store's hash chains; the cost on ``store.log``.

``python -m bench.audit CASE SIZE WORKDIR``; cases:

- ``prepare``: write SIZE rows as chained producer segments of 100k rows (untimed).
- ``verify``: ``store.verify()`` of that store (every segment re-hashed, every link checked).
- ``log_overhead``: bulk ``store.log`` of SIZE rows (1M-row batches) with the chain, and with
  ``audit.append`` replaced by a no-op in this process, alternating, 3 runs each; plus the time of
  ``audit.append`` alone on one logged segment (hashing its bytes and appending one record).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import diaglab as dl
from bench._common import emit, feature_frame, parse_size, timestamps
from diaglab.store import audit, segments
from diaglab.store.producer import prepare_predictions
from diaglab.store.schema import SchemaRegistry

CHUNK = 100_000


def prepare(n: int, work: Path) -> Path:
    path = work / f"audit-{n}"
    if (path / "ready").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    registry = SchemaRegistry(path)
    chunk = min(n, CHUNK)
    frame = feature_frame(chunk)
    rng = np.random.default_rng(3)
    for _ in range(n // chunk):
        prepared = prepare_predictions(
            registry, "m", frame, rng.random(chunk), timestamps=timestamps(chunk)
        )
        assert prepared is not None
        segments.write_segment(
            path, "predictions", "m", prepared.table, segment_id=prepared.segment_id
        )
    (path / "ready").touch()
    return path


def verify(n: int, work: Path) -> dict:
    path = prepare(n, work)
    size = sum(p.stat().st_size for p in (path / "segments").rglob("*.parquet"))
    runs = []
    for _ in range(2):
        t = time.perf_counter()
        report = audit.verify(path)
        runs.append(time.perf_counter() - t)
        assert report.ok, str(report)
    return {
        "case": "verify",
        "rows": n,
        "segments": report.segments,
        "segment_mb": round(size / 2**20),
        "seconds": round(min(runs), 2),
        "runs_s": [round(r, 2) for r in runs],
    }


def log_overhead(n: int, work: Path) -> dict:
    n = size = min(n, 1_000_000)  # at 10M, a repeat of the 1M measurement (kept short)
    frame = feature_frame(size)
    scores = np.random.default_rng(1).random(size)
    ts = timestamps(size)
    real_append = audit.append

    def once(chained: bool) -> float:
        audit.append = real_append if chained else (lambda *a, **k: {})  # type: ignore[assignment]
        try:
            shutil.rmtree(work / "audit-log", ignore_errors=True)
            store = dl.open(work / "audit-log")
            t = time.perf_counter()
            for _ in range(max(1, n // size)):
                store.log(model="m", features=frame, predictions=scores, timestamps=ts)
            elapsed = time.perf_counter() - t
            store.close()
            return elapsed
        finally:
            audit.append = real_append

    once(True)  # warm-up
    with_chain, without = [], []
    for _ in range(3):
        with_chain.append(once(True))
        without.append(once(False))
    seg = next(segments.list_segments(work / "audit-log", "predictions", "m"))
    scratch = work / "audit-scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    appends = []
    for _ in range(5):
        t = time.perf_counter()
        real_append(scratch, "predictions", "m", seg.path, rows=size)
        appends.append(time.perf_counter() - t)
    med_with, med_without = statistics.median(with_chain), statistics.median(without)
    return {
        "case": "log_overhead",
        "rows": n,
        "log_chained_s": round(med_with, 3),
        "log_unchained_s": round(med_without, 3),
        "rows_per_s_chained": round(n / med_with),
        "overhead_pct": round(100 * (med_with - med_without) / med_without, 1),
        "append_ms": round(1000 * statistics.median(appends), 1),
        "segment_mb": round(seg.path.stat().st_size / 2**20, 1),
        "runs_chained_s": [round(r, 3) for r in with_chain],
        "runs_unchained_s": [round(r, 3) for r in without],
    }


CASES = {
    "prepare": lambda n, w: {"case": "prepare", "path": str(prepare(n, w))},
    "verify": verify,
    "log_overhead": log_overhead,
}


if __name__ == "__main__":
    case, size, workdir = sys.argv[1], parse_size(sys.argv[2]), Path(sys.argv[3])
    workdir.mkdir(parents=True, exist_ok=True)
    emit(CASES[case](size, workdir))
