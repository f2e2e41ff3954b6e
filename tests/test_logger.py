"""Logging from a live service: the Logger and instrument()."""

from __future__ import annotations

import json
import threading

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import diaglab as dl


def test_logger_flushes_on_size_close_and_context_exit(tmp_path):
    path = tmp_path / "s"
    logger = dl.Logger(path, model="svc", flush_rows=100, flush_seconds=60)
    ids = [logger.log({"x": float(i), "c": "a"}, 0.5, latency_ms=2.0) for i in range(250)]
    logger.flush()
    assert logger.written == 250
    with dl.Logger(path, model="svc", flush_rows=10**6, flush_seconds=60) as lg2:
        lg2.log({"x": 1.0, "c": "b"}, 0.1, prediction_id="explicit", trace_id="t" * 32)
    logger.close()
    store = dl.open(path)
    t = store.table("svc")
    assert t.count().execute() == 251
    assert set(t.prediction_id.execute()) == {*ids, "explicit"}
    assert t.filter(t.prediction_id == "explicit").trace_id.execute().item() == "t" * 32
    with pytest.raises(dl.InputError, match="closed"):
        logger.log({"x": 1.0}, 0.5)


def test_logger_flushes_on_time(tmp_path):
    logger = dl.Logger(tmp_path / "s", model="svc", flush_rows=10**6, flush_seconds=0.05)
    logger.log({"x": 1.0}, 0.5)
    for _ in range(100):
        if logger.written:
            break
        threading.Event().wait(0.05)
    assert logger.written == 1
    logger.close()


def test_logger_is_thread_safe(tmp_path):
    logger = dl.Logger(tmp_path / "s", model="svc", flush_rows=300, flush_seconds=0.1)

    def work(k: int) -> None:
        for i in range(2000):
            logger.log({"x": float(i)}, 0.5, prediction_id=f"{k}-{i}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    logger.close()
    t = dl.open(tmp_path / "s").table("svc")
    assert t.prediction_id.nunique().execute() == 8000


def test_logger_quarantines_bad_rows_and_keeps_the_good_ones(tmp_path):
    path = tmp_path / "s"
    with dl.Logger(path, model="svc", flush_rows=10**6, flush_seconds=60) as logger:
        for i in range(50):
            logger.log({"x": float(i)}, 0.5)
        logger.log({"x": "not a number"}, 0.5, prediction_id="bad-1")
        logger.log(
            {"x": 2.0}, 0.5, prediction_id="bad-2", timestamp=pd.Timestamp("2026-01-01")
        )  # naive
    assert logger.rejected == 2 and logger.written == 50
    rejected = [
        json.loads(line)
        for f in (path / "rejected" / "svc").glob("*.jsonl")
        for line in f.read_text().splitlines()
    ]
    reasons = " ".join(r["reason"] for r in rejected)
    assert "numeric" in reasons and "naive" in reasons
    assert dl.open(path).table("svc").count().execute() == 50


def test_logger_batch_frames(tmp_path):
    with dl.Logger(tmp_path / "s", model="svc") as logger:
        ids = logger.log(pd.DataFrame({"x": [1.0, 2.0]}), np.array([0.2, 0.9]))
    assert len(ids) == 2
    assert dl.open(tmp_path / "s").table("svc").count().execute() == 2


def test_instrument_logs_outputs_latency_and_errors(tmp_path):
    from sklearn.linear_model import LogisticRegression

    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    clf = LogisticRegression().fit(X, [0, 0, 1, 1])
    logger = dl.Logger(tmp_path / "s", model="clf")
    model = dl.instrument(clf, logger)
    proba = model.predict_proba(X, trace_id="a" * 32)
    np.testing.assert_allclose(proba, clf.predict_proba(X))
    assert model.classes_.tolist() == [0, 1]  # other attributes pass through
    with pytest.raises(ValueError):
        model.predict_proba(pd.DataFrame({"a": [1.0]}))  # b is missing
    logger.close()
    t = dl.open(tmp_path / "s").table("clf").execute()
    ok = t[t.error.isna()]
    np.testing.assert_allclose(sorted(ok.score), sorted(proba[:, 1]))
    assert (ok.latency_ms > 0).all() and (ok.trace_id == "a" * 32).all()
    failed = t[t.error.notna()]
    assert len(failed) == 1 and failed.error.iloc[0].startswith("ValueError")
    assert failed.prediction.isna().all()


def test_instrument_writes_one_segment_per_flush_not_per_call(tmp_path):
    from sklearn.linear_model import LogisticRegression

    from diaglab.store.segments import list_segments

    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    clf = LogisticRegression().fit(X, [0, 0, 1, 1])
    logger = dl.Logger(tmp_path / "s", model="clf", flush_rows=10_000, flush_seconds=60)
    model = dl.instrument(clf, logger)
    ids = []
    for i in range(5_000):
        model.predict_proba(X.iloc[[i % 4]])
        ids += model.last_prediction_ids
    assert "0 written, 5000 pending" in repr(logger)  # the real backlog
    logger.close()
    segments = list(list_segments(tmp_path / "s", "predictions", "clf"))
    assert len(segments) == 1  # one segment per flush, not 5,000 files
    t = dl.open(tmp_path / "s").table("clf")
    assert sorted(t.prediction_id.execute()) == sorted(ids)


def test_instrumented_calls_expose_their_prediction_ids_per_thread(tmp_path):
    from sklearn.linear_model import LogisticRegression

    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    clf = LogisticRegression().fit(X, [0, 0, 1, 1])
    logger = dl.Logger(tmp_path / "s", model="clf")
    model = dl.instrument(clf, logger)
    assert model.last_prediction_ids is None
    seen: dict[int, list[str]] = {}

    def call(k: int) -> None:
        model.predict(X.iloc[: k + 1])
        seen[k] = model.last_prediction_ids

    threads = [threading.Thread(target=call, args=(k,)) for k in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert [len(seen[k]) for k in range(3)] == [1, 2, 3]
    assert model.last_prediction_ids is None  # this thread made no call
    model.predict(X, prediction_ids=["r1", "r2", "r3", "r4"])
    assert model.last_prediction_ids == ["r1", "r2", "r3", "r4"]
    logger.close()
    store = dl.open(tmp_path / "s")
    report = store.log_labels("clf", seen[2], [0, 0, 1])
    assert report is not None
    assert store.table("clf").count().execute() == 10


LOGGER_BEFORE_FORK: dl.Logger | None = None


def _child_logs(n: int) -> None:
    assert LOGGER_BEFORE_FORK is not None
    for i in range(n):
        LOGGER_BEFORE_FORK.log({"x": float(i)}, 0.5)
    # returns without close(): multiprocessing ends the child with os._exit


def test_a_logger_survives_fork_with_unique_ids_and_nothing_twice(tmp_path):
    import multiprocessing as mp

    global LOGGER_BEFORE_FORK
    logger = LOGGER_BEFORE_FORK = dl.Logger(tmp_path / "s", model="svc", flush_seconds=60)
    before = [logger.log({"x": float(i)}, 0.5) for i in range(100)]  # buffered at fork
    try:
        ctx = mp.get_context("fork")
        children = [ctx.Process(target=_child_logs, args=(n,)) for n in (1_000, 2_000)]
        for c in children:
            c.start()
        for c in children:
            c.join(120)
        assert [c.exitcode for c in children] == [0, 0]
        after = logger.log({"x": 1.0}, 0.5)
        logger.close()
    finally:
        LOGGER_BEFORE_FORK = None
    ids = list(dl.open(tmp_path / "s").table("svc").prediction_id.execute())
    assert len(ids) == 100 + 1_000 + 2_000 + 1
    assert len(set(ids)) == len(ids)  # the children's ids differ from the parent's and each other's
    assert set(before) | {after} <= set(ids)


SIGTERM_SCRIPT = """
import os, signal, sys, time
import diaglab as dl

if sys.argv[2] == "app-handler":
    def app_handler(sig, frame):
        open(sys.argv[1] + ".app", "w").write("ran")
        sys.exit(3)
    signal.signal(signal.SIGTERM, app_handler)
logger = dl.Logger(sys.argv[1], model="svc", flush_seconds=60)
for i in range(500):
    logger.log({"x": float(i)}, 0.5)
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(30)
sys.exit(9)
"""


@pytest.mark.parametrize(("previous", "code"), [("default", -15), ("app-handler", 3)])
def test_sigterm_writes_the_buffer_and_chains_to_the_previous_handler(tmp_path, previous, code):
    import os
    import subprocess
    import sys

    path = tmp_path / "s"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", SIGTERM_SCRIPT, str(path), previous], env=env, timeout=120
    )
    assert done.returncode == code  # the signal still ends the process as it would have
    assert dl.open(path).table("svc").count().execute() == 500
    assert (path.parent / "s.app").exists() == (previous == "app-handler")


PRELOAD_SCRIPT = """
import faulthandler, os, signal, sys, threading, time
import anyio, anyio.to_thread
import diaglab as dl
from diaglab.producers import lifecycle

logger = dl.Logger(sys.argv[1], model="svc", flush_seconds=60)  # before fork, as with --preload
pid = os.fork()
if pid:
    _, status = os.waitpid(pid, 0)
    logger.close()
    sys.exit(-os.waitstatus_to_exitcode(status))
faulthandler.dump_traceback_later(30, exit=True)  # a deadlocked child must not outlive the test
signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a server's worker resets what it inherited
inside, busy = threading.Event(), threading.Event()


def sync_endpoint():  # Starlette runs it in a worker thread of the event loop
    inside.set()
    busy.wait()
    logger.log({"x": 1.0}, 0.5)


async def main():
    async with anyio.create_task_group() as tg:
        tg.start_soon(anyio.to_thread.run_sync, sync_endpoint)
        while not inside.is_set():
            await anyio.sleep(0.001)
        busy.set()
        if sys.argv[2] == "both":
            time.sleep(0.5)  # an async endpoint computing on the loop's thread ...
            logger.log({"x": 2.0}, 0.5)  # ... logs there while the sync endpoint logs
    for _ in range(500):  # the loop's thread installs the handler the sync endpoint asked for
        if signal.getsignal(signal.SIGTERM) is lifecycle._on_sigterm:
            break
        await anyio.sleep(0.01)


anyio.run(main)
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(30)
os._exit(9)
"""


@pytest.mark.parametrize(("endpoints", "rows"), [("both", 2), ("sync-only", 1)])
def test_a_forked_worker_logging_from_its_loop_and_a_sync_endpoint_at_once_does_not_deadlock(
    tmp_path, endpoints, rows
):
    # gunicorn --preload with uvicorn workers: the first log of a worker installs its SIGTERM
    # handler. From a sync endpoint's thread that meant waiting for the event loop while holding
    # the Logger's lock, and an async endpoint logging on the loop waited for that lock: the
    # worker never answered again (the CI flake of test_services' preload case). With a sync
    # endpoint alone, the handler must still be installed, by the loop's thread: SIGTERM then
    # writes the row.
    import os
    import subprocess
    import sys

    pytest.importorskip("anyio")
    path = tmp_path / "s"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", PRELOAD_SCRIPT, str(path), endpoints], env=env, timeout=120
    )
    assert done.returncode == 15  # the child ended by its SIGTERM, not by the deadlock guard
    assert dl.open(path).table("svc").count().execute() == rows


def test_numeric_frames_are_buffered_as_copied_blocks_and_stored_exactly(tmp_path):
    from diaglab.producers.buffer import Block, frame_columns

    floats = pd.DataFrame({"a": [1.5, 2.5], "b": [3.0, 4.0]})
    ints = pd.DataFrame({"b": [5, 6], "n": [7, 8]})
    mixed = pd.DataFrame({"a": [0.5], "n": [9]})
    assert isinstance(frame_columns(floats), Block) and isinstance(frame_columns(ints), Block)
    assert not isinstance(frame_columns(mixed), Block)  # two dtypes: no upcast of n to float
    with dl.Logger(tmp_path / "s", model="svc", flush_seconds=60) as logger:
        ids = logger.log(floats, np.array([0.1, 0.2]))
        floats.loc[0, "a"] = -1.0  # the caller reuses its frame: the logged copy is unchanged
        ids.append(logger.log({"a": 9.0, "c": 7.0}, 0.5))
        ids += logger.log(ints, np.array([0.3, 0.4]))
        ids += logger.log(mixed, np.array([0.6]))
    t = dl.open(tmp_path / "s").table("svc").execute().set_index("prediction_id").loc[ids]
    assert t.a.tolist()[:3] == [1.5, 2.5, 9.0] and t.a.isna().tolist()[3:5] == [True, True]
    assert t.b.tolist()[:2] == [3.0, 4.0] and t.b.tolist()[3:5] == [5.0, 6.0]
    assert t.c.isna().tolist() == [True, True, False, True, True, True]
    assert t.n.tolist()[3:] == [7, 8, 9] and t.score.tolist() == [0.1, 0.2, 0.5, 0.3, 0.4, 0.6]


def test_blocks_of_one_chunk_stack_into_one_frame_of_their_dtype(tmp_path):
    from diaglab.producers.buffer import Chunk, frame_columns

    chunk = Chunk()
    for k in range(3):
        frame = pd.DataFrame([[k, k + 1]], columns=["x", "y"])
        chunk.add_columns(frame_columns(frame), 1, [0.5], [str(k)], [0], [None], [None], [None])
    features = chunk.batch()["features"]
    assert features.schema.types == [pa.int64()] * 2
    assert features.to_pydict() == {"x": [0, 1, 2], "y": [1, 2, 3]}
    assert chunk.batch([2, 0])["features"].to_pydict() == {"x": [2, 0], "y": [3, 1]}
    dup = pd.DataFrame([[1.0, 2.0]], columns=["x", "x"])  # a repeated name keeps its last column
    chunk.add_columns(frame_columns(dup), 1, [0.5], ["3"], [0], [None], [None], [None])
    assert chunk.batch()["features"]["x"].tolist() == [0, 1, 2, 2.0]


def test_each_calls_resource_figures_stay_with_its_rows_when_a_bad_row_is_quarantined(tmp_path):
    from diaglab.producers.resources import Usage

    def usage(cpu: float, rows: int) -> Usage:
        return Usage(cpu, 2.0 * rows, 100.0, None, None, None, rows, rows * 2)

    logger = dl.Logger(tmp_path / "s", model="svc", flush_seconds=60)
    first = logger.log(pd.DataFrame({"x": [1.0, 2.0, 3.0]}), [0.1, 0.2, 0.3], usage=usage(30, 3))
    bad = logger.log({"x": "not a number"}, 0.5, usage=usage(7, 1))
    last = logger.log(pd.DataFrame({"x": [4.0, 5.0]}), [0.4, 0.5], usage=usage(10, 2))
    logger.close()
    assert logger.rejected == 1
    rows = dl.open(tmp_path / "s").table("svc").execute().set_index("prediction_id")
    assert bad not in rows.index
    got = rows.loc[[*first, *last], ["cpu_ms", "wall_ms", "batch_rows", "gpu_memory_mb"]]
    assert got["cpu_ms"].tolist() == [10.0] * 3 + [5.0] * 2  # the call's CPU shared by its rows
    assert got["wall_ms"].tolist() == [6.0] * 3 + [4.0] * 2
    assert got["batch_rows"].tolist() == [3] * 3 + [2] * 2
    assert got["gpu_memory_mb"].isna().all()
