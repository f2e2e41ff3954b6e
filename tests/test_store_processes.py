"""Several processes on one store: concurrent producers, crashes, a second notebook."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import diaglab as dl

pytestmark = pytest.mark.slow

PRODUCER = textwrap.dedent("""
    import sys, diaglab as dl
    path, worker, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with dl.Logger(path, model="svc", flush_rows=500, flush_seconds=0.2) as logger:
        for i in range(n):
            logger.log({"x": float(i), "worker": f"w{worker}"}, (i % 10) / 10,
                       prediction_id=f"w{worker}-{i}", latency_ms=1.0)
""")


def run_py(code: str, *args: object, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], **kw)


def test_four_producers_and_a_reader_lose_no_row(tmp_path: Path):
    path = tmp_path / "store"
    reader = dl.open(path)
    procs = [run_py(PRODUCER, path, w, 5000) for w in range(4)]
    seen = []
    while any(p.poll() is None for p in procs):
        reader.refresh()
        if "svc" in reader.models():
            seen.append(reader.table("svc").count().execute())
        time.sleep(0.1)
    assert all(p.returncode == 0 for p in procs)
    reader.refresh()
    t = reader.table("svc")
    assert t.count().execute() == 20_000
    assert t.prediction_id.nunique().execute() == 20_000
    assert seen == sorted(seen)  # the reader only ever saw whole segments, growing
    assert len(seen) >= 1
    reader.close()


KILLED = textwrap.dedent("""
    import sys, numpy as np, pandas as pd, diaglab as dl
    path = sys.argv[1]
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"f{i}": rng.normal(size=200_000) for i in range(20)})
    logger = dl.Logger(path, model="big", flush_rows=10**9, flush_seconds=3600)
    for k in range(10**6):
        logger.log(frame, rng.random(len(frame)))
        logger.flush()
        print(k, flush=True)
""")


def test_sigkill_during_flush_loses_only_unflushed_rows(tmp_path: Path):
    path = tmp_path / "store"
    proc = run_py(KILLED, path, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()  # one flush completed
    time.sleep(0.35)  # now somewhere inside a later flush
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    flushed = sorted((path / "segments" / "predictions" / "big").glob("*.parquet"))
    assert flushed, "the first flush must have produced a segment"
    for seg in flushed:  # every visible segment is whole
        assert pq.read_metadata(seg).num_rows == 200_000
    store = dl.open(path)
    assert store.table("big").count().execute() == 200_000 * len(flushed)
    store.close()


def test_second_process_opens_read_only_queries_and_logs(tmp_path: Path):
    path = tmp_path / "store"
    writer = dl.open(path)
    writer.log(model="m", features={"x": [1.0, 2.0, 3.0]}, predictions=[0.1, 0.5, 0.9])
    code = textwrap.dedent("""
        import sys, diaglab as dl
        s = dl.open(sys.argv[1])
        assert s.read_only, "expected read-only"
        print("rows", s.table("m").count().execute())
        s.log(model="m", features={"x": [4.0]}, predictions=[0.4], prediction_ids=["from-2nd"])
        try:
            s.log(model="m", features={"x": [5.0]}, predictions=[0.5], prediction_ids=["from-2nd"])
        except dl.DuplicateIdError:
            print("refused duplicate")
        print("reason", s.read_only_reason)
    """)
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "rows 3" in out.stdout
    assert "refused duplicate" in out.stdout
    assert "holds" in out.stdout and "read-only" in out.stderr
    writer.refresh()
    assert writer.table("m").count().execute() == 4
    writer.close()
