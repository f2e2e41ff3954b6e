"""The Logger under faults: bad values, a full disk (injected and a real tmpfs), I/O errors.

Nothing acknowledged is lost: rows leave the buffer only once durable, bad rows are quarantined,
failures outside the rows keep them buffered (bounded) and retried, and ``close()`` says when
rows could not be written.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import subprocess
import threading
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from diaglab.errors import LoggerFullError, LogWriteError
from diaglab.producers import flush as flush_module


def rejected_records(path: Path, model: str = "svc") -> list[dict]:
    return [
        json.loads(line)
        for f in sorted((path / "rejected" / model).glob("*.jsonl"))
        for line in f.read_text().splitlines()
    ]


def stored_ids(path: Path, model: str = "svc") -> list[str]:
    store = dl.open(path)
    try:
        return list(store.table(model).prediction_id.execute())
    finally:
        store.close()


def wait_for(condition, what: str, seconds: float = 30.0) -> None:
    """Poll ``condition`` (a correctness wait with a generous bound, not a timing)."""
    event = threading.Event()
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        event.wait(0.02)
    raise AssertionError(f"still not {what} after {seconds} s")


class Faulty:
    """``write_segment`` failing with ``errno`` while ``failing`` is set."""

    def __init__(self, monkeypatch, code: int) -> None:
        self.code = code
        self.failing = True
        self.calls = 0
        real = flush_module.write_segment

        def write_segment(root, *args, **kwargs):
            self.calls += 1
            if self.failing:
                raise OSError(self.code, os.strerror(self.code), str(root / "segments"))
            return real(root, *args, **kwargs)

        monkeypatch.setattr(flush_module, "write_segment", write_segment)


def test_an_unexpected_error_quarantines_the_row_and_keeps_the_writer(tmp_path, caplog):
    path = tmp_path / "s"
    logger = dl.Logger(path, model="svc", flush_rows=10_000, flush_seconds=60)
    ids = []
    for i in range(1_500):
        value = 2**53 + 1 if i == 700 else i
        ids.append(logger.log({"x": value}, 0.5, trace_id=f"{i:032x}"))
    with caplog.at_level(logging.WARNING, logger="diaglab"):
        assert logger.flush() == 1_499
    s = logger.stats()
    assert (s.written, s.rejected, s.pending, s.writer_alive) == (1_499, 1, 0, True)
    assert len([r for r in caplog.records if "rejected" in r.getMessage()]) == 1
    (record,) = rejected_records(path)
    assert record["prediction_ids"] == [ids[700]]  # a JSON list, not its repr
    assert record["trace_ids"] == [f"{700:032x}"]
    assert pd.Timestamp(record["timestamps"][0]).tzinfo is not None
    assert "9007199254740993" in record["reason"]
    # the writer still works after the bad row
    logger.log({"x": 1.0}, 0.5, prediction_id="after")
    logger.close()
    assert sorted(stored_ids(path)) == sorted([*ids[:700], *ids[701:], "after"])


def test_a_column_level_problem_is_rejected_once_for_the_batch(tmp_path, caplog):
    path = tmp_path / "s"
    with dl.Logger(path, model="svc", flush_seconds=60) as logger:
        logger.log({"x": 1.0}, 0.5)
    logger = dl.Logger(path, model="svc", flush_seconds=60)
    ids = [logger.log({"x": f"text {i}"}, 0.5) for i in range(300)]  # x is numeric
    with caplog.at_level(logging.WARNING, logger="diaglab"):
        logger.close()
    (record,) = rejected_records(path)  # one record for the batch, not one per row
    assert record["prediction_ids"] == ids
    assert "numeric" in record["reason"]
    assert len([r for r in caplog.records if "rejected" in r.getMessage()]) == 1


def test_a_feature_named_like_a_role_column_is_stored_or_rejected_as_one_batch(tmp_path):
    path = tmp_path / "s"
    logger = dl.Logger(path, model="svc", flush_seconds=60)
    ids = [logger.log({"segment": float(i), "score": 1.0}, 0.5) for i in range(200)]
    logger.close()
    records = rejected_records(path)
    if records:  # the store refuses the name: once, for the whole batch
        assert len(records) == 1 and records[0]["prediction_ids"] == ids
        assert logger.stats().rejected == 200
    else:
        assert sorted(stored_ids(path)) == sorted(ids)


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "disk full"), (errno.EIO, "I/O error"), (errno.EACCES, "permission denied")],
)
def test_a_failing_disk_keeps_the_rows_and_retries(tmp_path, monkeypatch, code, words):
    path = tmp_path / "s"
    fault = Faulty(monkeypatch, code)
    logger = dl.Logger(path, model="svc", flush_rows=500, flush_seconds=0.05)
    ids = [logger.log({"x": float(i)}, 0.5) for i in range(2_000)]
    with pytest.raises(LogWriteError, match=f"2000 row.*{words} at {path}"):
        logger.flush()
    wait_for(lambda: logger.stats().write_errors >= 3, "retried")
    s = logger.stats()
    assert s.pending == 2_000 and s.written == 0 and s.writer_alive
    assert words in s.last_error and not logger.health()["ok"]
    assert "2000 pending" in repr(logger)
    fault.failing = False  # space (or the device, or the permission) comes back
    wait_for(lambda: logger.stats().pending == 0, "written")
    assert logger.stats().last_error is None and logger.health()["ok"]
    logger.close()
    got = stored_ids(path)
    assert sorted(got) == sorted(ids)  # every row, none twice


def test_close_says_how_many_rows_were_not_written_and_why(tmp_path, monkeypatch):
    import prometheus_client

    path = tmp_path / "s"
    fault = Faulty(monkeypatch, errno.ENOSPC)
    registry = prometheus_client.CollectorRegistry()
    logger = dl.Logger(path, model="svc", flush_seconds=60, prometheus=registry)
    ids = [logger.log({"x": float(i)}, 0.5) for i in range(1_200)]
    with pytest.raises(LogWriteError, match=r"1200 row\(s\) of 'svc' could not be written.*disk"):
        logger.close(timeout=0.2)
    labels = {"model": "svc", "model_version": "v1"}
    assert registry.get_sample_value("diaglab_write_errors_total", labels) >= 1
    assert registry.get_sample_value("diaglab_pending_rows", labels) == 1_200
    with pytest.raises(dl.InputError, match="closed"):
        logger.log({"x": 1.0}, 0.5)
    fault.failing = False
    logger.close()  # retries what was kept
    assert sorted(stored_ids(path)) == sorted(ids)


def test_a_full_buffer_blocks_then_raises_or_drops_the_oldest_counted(tmp_path, monkeypatch):
    fault = Faulty(monkeypatch, errno.ENOSPC)
    blocking = dl.Logger(
        tmp_path / "a", model="svc", flush_rows=100, max_pending_rows=300, block_seconds=0.05
    )
    for i in range(300):
        blocking.log({"x": float(i)}, 0.5)
    with pytest.raises(LoggerFullError, match=r"300 unwritten rows.*disk full"):
        blocking.log({"x": 1.0}, 0.5)
    dropping = dl.Logger(
        tmp_path / "b", model="svc", flush_rows=100, max_pending_rows=300, when_full="drop_oldest"
    )
    ids = [dropping.log({"x": float(i)}, 0.5) for i in range(1_000)]
    s = dropping.stats()
    assert s.pending <= 300 and s.pending + s.dropped == 1_000
    fault.failing = False
    blocking.close()
    dropping.close()
    kept = stored_ids(tmp_path / "b")
    assert len(kept) == 1_000 - dropping.stats().dropped
    # the newest rows are kept, and the one chunk that was being written when dropping began
    # (whichever the writer had taken by then: the first, or a later one if it woke late)
    stored = set(kept)
    older = [n for n, i in enumerate(ids[:-400]) if i in stored]
    assert len(older) <= 100
    assert not older or older[-1] - older[0] == len(older) - 1


# -- a real full disk ---------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 40 MB tmpfs mounted for the test (needs root and permission to mount)."""
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory: Path) -> Path:
    """Fill the file system of ``directory`` until writing fails; returns the filler."""
    filler = directory / f"filler-{uuid.uuid4().hex}"
    with open(filler, "wb", buffering=0) as fh:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    return filler


def test_a_real_full_disk_loses_nothing_and_duplicates_nothing(small_disk):
    path = small_disk / "store"
    rng = np.random.default_rng(1)
    first = dl.Logger(path, model="svc", flush_seconds=60)
    first.log({"x": 1.0, "note": "a"}, 0.5)  # the schema and directories exist
    first.close()
    filler = fill(small_disk)
    logger = dl.Logger(path, model="svc", flush_rows=1_000, flush_seconds=0.05)
    ids = [
        logger.log({"x": float(i), "note": rng.bytes(200).hex()}, 0.5, trace_id=f"{i:032x}")
        for i in range(2_000)
    ]
    with pytest.raises(LogWriteError, match="disk full"):
        logger.flush()
    wait_for(lambda: logger.stats().write_errors >= 2, "retried")
    assert logger.stats().writer_alive and logger.stats().pending == 2_000
    filler.unlink()
    wait_for(lambda: logger.stats().pending == 0, "written once space came back")
    logger.close()
    got = stored_ids(path)
    assert len(got) == 2_001 and len(set(got)) == 2_001
    assert set(ids) <= set(got)


def test_close_is_bounded_when_a_write_hangs(tmp_path, monkeypatch):
    release, started = threading.Event(), threading.Event()
    real = flush_module.write_segment

    def stalled(*args, **kwargs):  # a stalled network file system
        started.set()
        release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(flush_module, "write_segment", stalled)
    logger = dl.Logger(tmp_path / "s", model="svc", flush_rows=100, flush_seconds=60)
    ids = [logger.log({"x": float(i)}, 0.5) for i in range(100)]  # a full chunk: written now
    wait_for(started.is_set, "being written")
    with pytest.raises(LogWriteError, match="still in progress"):
        logger.close(timeout=0.2)
    release.set()
    logger.close()
    assert sorted(stored_ids(tmp_path / "s")) == sorted(ids)
