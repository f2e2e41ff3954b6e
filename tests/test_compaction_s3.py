"""Compaction of a store on object storage (diaglab.store.remote_compaction) against a real
S3-compatible server on 127.0.0.1 (moto's server mode): atomic without rename, each row once for
readers on other hosts while it runs, a killed compaction at each step, the lease, and a non-S3
filesystem through fsspec (the path ``gs://`` and ``abfs://`` take)."""

# ruff: noqa: F811 (the fixtures s3 and bucket, imported from test_object_storage)

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import diaglab as dl
from diaglab.cli import main
from diaglab.store import object_store
from diaglab.store.compaction import CompactionReport, compact, is_merged
from diaglab.store.remote_compaction import acquire

pytest.importorskip("moto")
from s3_server import S3Server
from test_object_storage import SRC, _ids, _objects, bucket, s3  # noqa: F401

ROWS = 10


def _log_segments(url: str, n: int, prefix: str = "r") -> list[str]:
    """``n`` segments of ``ROWS`` rows each (and labels for some) from this host."""
    ids = []
    with dl.open(url) as store:
        for i in range(n):
            part = [f"{prefix}-{i}-{k}" for k in range(ROWS)]
            feats = {"x": [float(k) for k in range(ROWS)], "c": ["ab"[k % 2] for k in range(ROWS)]}
            store.log("m", feats, [k / ROWS for k in range(ROWS)], prediction_ids=part)
            ids += part
            if i % 4 == 0:
                store.log_labels("m", part, [k % 2 for k in range(ROWS)])
    return ids


def _segment_keys(s3: S3Server, bucket: str, prefix: str, kind: str = "predictions") -> list[str]:
    start = f"{prefix}/segments/{kind}/m/"
    # (pyarrow leaves an empty "folder/" object where it deleted a folder's last object)
    return [k[len(start) :] for k in _objects(s3, bucket) if k.startswith(start) and k != start]


def _records(s3: S3Server, bucket: str, prefix: str) -> list[dict]:
    client = s3.client()
    return [
        json.loads(client.get_object(Bucket=bucket, Key=k)["Body"].read())  # type: ignore[attr-defined]
        for k in _objects(s3, bucket)
        if k.startswith(f"{prefix}/log/") and not k.endswith("writer.json")
    ]


def _host(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(tmp_path / f"host-{name}"))


def _fresh_reader_ids(url: str, tmp_path: Path, name: str) -> tuple[list[str], int, bool]:
    """A reader on a host that never saw the store: its ids, labels and whether verify is ok."""
    code = (
        f"import diaglab as dl, json; s = dl.open({url!r}, read_only=True); t = s.table('m');"
        "ids = s.ibis.to_pyarrow(t.select('prediction_id')).column(0).to_pylist();"
        "print(json.dumps([ids, int(t.label.notnull().sum().execute()), s.verify().ok]))"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC), "DIAGLAB_CACHE_DIR": str(tmp_path / name)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180
    )
    assert out.returncode == 0, out.stderr
    ids, labels, ok = json.loads(out.stdout.strip().splitlines()[-1])
    return ids, labels, ok


def test_compaction_on_object_storage_keeps_every_row_once_and_verifies(
    s3: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"s3://{bucket}/merge"
    ids = _log_segments(url, 24)
    _host(tmp_path, "reader", monkeypatch)
    reader = dl.open(url, read_only=True)  # read the small segments before compaction
    assert sorted(_ids(reader)) == sorted(ids)
    _host(tmp_path, "compactor", monkeypatch)
    assert main(["compact", url, "--min-age", "0", "--grace", "0"]) == 0
    merged = _segment_keys(s3, bucket, "merge")
    assert len(merged) == 1 and is_merged(merged[0][:-8]), merged  # sources deleted (grace 0)
    assert len(_segment_keys(s3, bucket, "merge", "labels")) == 1
    leases = [k for k in _objects(s3, bucket) if k.startswith("merge/compaction/")]
    assert all(k.endswith("/") for k in leases), leases  # released (empty folder objects stay)
    record = next(
        r
        for r in _records(s3, bucket, "merge")
        if r.get("kind") == "predictions" and "compacts" in r
    )
    assert len(record["compacts"]) == 24 and record["rows"] == 24 * ROWS
    reader.refresh()  # held the sources (now hidden), and syncs the merged segment
    assert sorted(_ids(reader)) == sorted(ids)
    assert reader.verify().ok  # the deleted sources are vouched for by the merged record
    fresh, labels, ok = _fresh_reader_ids(url, tmp_path, "fresh")
    assert sorted(fresh) == sorted(ids) and labels == 6 * ROWS and ok


def test_readers_on_other_hosts_see_each_row_once_while_compaction_runs(
    s3: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"s3://{bucket}/live"
    ids = sorted(_log_segments(url, 40))
    # a compactor on another host: merges in three rounds, each merging the last one's merges
    code = (
        "from diaglab.store.compaction import compact\n"
        f"for size in ('6KB', '24KB', '1MB'):\n"
        f"    r = compact({url!r}, target_size=size, min_age=0, grace=0)\n"
        "    assert r.merged and not r.skipped, str(r)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC), "DIAGLAB_CACHE_DIR": str(tmp_path / "comp")}
    compactor = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True
    )
    _host(tmp_path, "reader", monkeypatch)
    reader = dl.open(url, read_only=True)
    seen = []
    while compactor.poll() is None:
        reader.refresh(progress=None)
        seen.append(sorted(_ids(reader)))
    _, err = compactor.communicate()
    assert compactor.returncode == 0, err
    reader.refresh()
    seen.append(sorted(_ids(reader)))
    assert len(seen) >= 3
    assert all(s == ids for s in seen), "a refresh during compaction saw a row twice or none"
    assert len(_segment_keys(s3, bucket, "live")) == 1
    fresh, _, ok = _fresh_reader_ids(url, tmp_path, "fresh")
    assert sorted(fresh) == ids and ok


def compaction_killed_at(step: str, url: str, cache: Path) -> None:
    """A compaction of ``url`` in a process of the host whose cache is ``cache``, killed by
    SIGKILL at the fault point ``step``."""
    code = f"from diaglab.store.compaction import compact; compact({url!r}, min_age=0, grace=0)"
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "DIAGLAB_CACHE_DIR": str(cache),
        "DIAGLAB_FAULT_KILL_AT": step,
    }
    died = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=180)
    assert died.returncode == -9, died.stderr


STEPS = ["segment-uploaded", "record-written", "compaction-merged", "compaction-deleting"]


@pytest.mark.parametrize("step", STEPS)
def test_a_compaction_killed_at_any_step_leaves_a_consistent_store(
    s3: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    url = f"s3://{bucket}/kill"
    ids = sorted(_log_segments(url, 12))
    compaction_killed_at(step, url, tmp_path / "comp")
    fresh, labels, ok = _fresh_reader_ids(url, tmp_path, "after-kill")
    assert sorted(fresh) == ids and labels == 3 * ROWS and ok
    # the next run on the same host: the dead process's lease is not live, its work finished
    _host(tmp_path, "comp", monkeypatch)
    report = compact(url, min_age=0, grace=0)
    assert not report.skipped, str(report)
    assert report.rolled_back == (1 if step == "segment-uploaded" else 0)
    assert len(_segment_keys(s3, bucket, "kill")) == 1
    fresh, labels, ok = _fresh_reader_ids(url, tmp_path, "after-rerun")
    assert sorted(fresh) == ids and labels == 3 * ROWS and ok


def test_a_second_compaction_of_a_stream_waits_for_the_lease(
    bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"s3://{bucket}/lease"
    ids = sorted(_log_segments(url, 6))
    store = object_store.attach(url)
    held = acquire(store, "predictions", "m")
    assert not isinstance(held, str)
    report = compact(url, min_age=0, grace=0, kinds=["predictions"])
    assert report.merged == 0 and "another compaction holds" in report.skipped[0], str(report)
    # a lease not renewed within its time to live is taken over
    taken = acquire(store, "predictions", "m", ttl=0.0)
    assert not isinstance(taken, str)
    assert isinstance(acquire(store, "predictions", "m"), str)  # the new holder's is live
    taken.release()
    report = compact(url, min_age=0, grace=0, kinds=["predictions"])
    assert report.merged == 1 and report.segments == 6, str(report)
    assert sorted(_ids(dl.open(url))) == ids


def test_a_read_only_store_refuses_to_compact(
    bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"s3://{bucket}/ro"
    _log_segments(url, 2)
    _host(tmp_path, "ro", monkeypatch)
    with pytest.raises(dl.ReadOnlyStoreError, match="open it without read_only to compact"):
        dl.open(url, read_only=True).compact(min_age=0)


def test_a_logger_compacts_a_store_on_object_storage_in_the_background(bucket: str) -> None:
    url = f"s3://{bucket}/bg"
    logger = dl.Logger(url, model="m", flush_rows=5, compact_every=0.3)
    for i in range(20):
        logger.log({"x": float(i)}, 0.5, f"b-{i}")
    assert logger.drain(timeout=30) == 0
    compaction = logger._compaction
    assert compaction is not None
    deadline = time.monotonic() + 60
    while compaction.runs < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    logger.close()
    # runs only count compactions that finished without an error; the segments are younger
    # than the default min_age, so none is merged yet
    assert compaction.runs >= 2 and isinstance(compaction.last, CompactionReport)
    assert not compaction.last.skipped and compaction.last.merged == 0
    assert not any(t.name == "diaglab-compact" for t in threading.enumerate())


def test_compaction_through_an_fsspec_filesystem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``memory://`` is no pyarrow filesystem: it goes through fsspec, as ``gs://`` (gcsfs) and
    ``abfs://`` (adlfs) do where pyarrow lacks them; a second host shares it in this process."""
    pytest.importorskip("fsspec")
    monkeypatch.setenv("DIAGLAB_AUDIT_KEY", "5e" * 16)
    _host(tmp_path, "a", monkeypatch)
    url = f"memory://diaglab-test-{os.getpid()}-{time.time_ns()}/store"
    ids = sorted(_log_segments(url, 8))
    _host(tmp_path, "b", monkeypatch)
    report = compact(url, min_age=0, grace=0)
    assert report.merged == 2 and report.deleted == 8 + 2, str(report)  # predictions, labels
    _host(tmp_path, "c", monkeypatch)
    reader = dl.open(url, read_only=True)
    assert sorted(_ids(reader)) == ids
    assert reader.table("m").label.notnull().sum().execute() == 2 * ROWS
    assert reader.verify().ok
