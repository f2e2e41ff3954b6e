"""Compaction (diaglab.store.compaction): small segments merged, nothing else changed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import diaglab as dl
from conftest import make_batch
from diaglab.cli import main
from diaglab.store import audit
from diaglab.store.compaction import compact, is_merged, parse_size
from diaglab.store.segments import list_segments

SRC = str(Path(__file__).parents[1] / "src")


def _many_segments(root: Path, n_segments: int = 30, rows: int = 20, *, labels: bool = True):
    """A store whose predictions (and labels) are in many small segments; returns all ids."""
    ids = []
    with dl.open(root) as store:
        for i in range(n_segments):
            b = make_batch(rows, seed=i)
            ids += store.log("credit", b["features"], b["predictions"], timestamps=b["timestamps"])
            if labels and i % 3 == 0:
                store.log_labels("credit", ids[-rows:], [i % 2] * rows)
    return ids


def _segments(root: Path, kind: str = "predictions") -> list:
    return list(list_segments(root, kind, "credit"))


def _read_only_rows(root: Path) -> pd.DataFrame:
    with dl.open(root, read_only=True) as store:
        t = store.table("credit")
        return store.ibis.to_pyarrow(t.select("prediction_id", "score", "label")).to_pandas()


def test_compaction_keeps_every_row_id_and_label(tmp_path):
    root = tmp_path / "s"
    ids = _many_segments(root)
    before = _read_only_rows(root).sort_values("prediction_id").reset_index(drop=True)
    report = compact(root, min_age=0, grace=0)
    assert report.merged == 2 and report.segments == 30 + 10 and report.deleted == 40
    assert [is_merged(s.id) for s in _segments(root)] == [True]
    assert [is_merged(s.id) for s in _segments(root, "labels")] == [True]
    after = _read_only_rows(root).sort_values("prediction_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)
    assert sorted(after["prediction_id"]) == sorted(ids)
    with dl.open(root) as store:  # the writer's copy: nothing new to ingest, nothing lost
        assert store.refresh().rows == 0
        assert store.table("credit").count().execute() == len(ids)
        rebuilt = store.rebuild()  # from the segments alone
        assert (rebuilt.predictions, rebuilt.duplicates) == (len(ids), 0)
        got = store.ibis.to_pyarrow(store.table("credit").select("prediction_id", "score", "label"))
    pd.testing.assert_frame_equal(
        got.to_pandas().sort_values("prediction_id").reset_index(drop=True), before
    )


def test_verify_proves_the_original_rows_after_compaction(tmp_path):
    root = tmp_path / "s"
    _many_segments(root, 12, labels=False)
    sources = {s.path.name: audit.file_sha256(s.path) for s in _segments(root)}
    compact(root, min_age=0, grace=0)
    report = audit.verify(root)
    assert report.ok, str(report)
    (merged,) = _segments(root)
    chain, _ = audit.read_chain(audit.chain_path(root, "predictions", "credit"))
    record = next(r for r in chain if r["segment"] == merged.path.name)
    assert {c["segment"]: c["sha256"] for c in record["compacts"]} == sources
    assert record["rows"] == sum(c["rows"] for c in record["compacts"]) == 12 * 20
    # the merged file is chained like any other: a changed byte shows
    data = bytearray(merged.path.read_bytes())
    data[100] ^= 0xFF
    merged.path.write_bytes(bytes(data))
    assert [p.kind for p in audit.verify(root).problems] == ["changed"]


def test_a_changed_segment_is_never_merged(tmp_path):
    root = tmp_path / "s"
    _many_segments(root, 6, labels=False)
    victim = _segments(root)[2].path
    table = pq.read_table(victim)
    pq.write_table(table.slice(0, 5), victim)  # tampered after it was chained
    report = compact(root, min_age=0, grace=0)
    assert report.merged == 0 and "differs from its audit record" in report.skipped[0]
    assert len(_segments(root)) == 6


def test_young_and_large_segments_stay(tmp_path):
    root = tmp_path / "s"
    _many_segments(root, 5, labels=False)
    assert compact(root, min_age=3600).merged == 0  # all younger than an hour
    assert compact(root, min_age=0, target_size=100).merged == 0  # all larger than half of it
    assert len(_segments(root)) == 5


def test_the_oldest_copy_of_a_repeated_id_wins_after_compaction(tmp_path):
    root = tmp_path / "s"
    b = make_batch(4)
    for score in (0.1, 0.9):  # two producers given the same request ids: the first wins
        with dl.Logger(root, "credit") as logger:
            logger.log(b["features"], [score] * 4, prediction_id=["a", "b", "c", "d"])
    with dl.open(root) as store:
        report = compact(root, min_age=0, grace=0)
        assert report.merged == 1
        assert store.rebuild().duplicates == 4
        scores = store.table("credit").score.execute().tolist()
    assert scores == [0.1] * 4
    assert _read_only_rows(root)["score"].tolist() == [0.1] * 4


def test_a_partly_ingested_run_is_ingested_exactly_once(tmp_path):
    """The writer took some segments, then a compactor merged them with others it had not."""
    root = tmp_path / "s"
    ids = _many_segments(root, 6)
    with dl.open(root) as writer:
        more = []
        with dl.open(root, read_only=True) as producer:  # segments the writer has not seen
            for i in range(6, 10):
                b = make_batch(20, seed=i)
                more += producer.log("credit", b["features"], b["predictions"])
            producer.log_labels("credit", more[:20], [1] * 20)
        assert compact(root, min_age=0, grace=0).merged == 2
        report = writer.refresh()
        assert (report.predictions, report.labels, report.duplicates) == (80, 20, 0)
        assert writer.table("credit").count().execute() == len(ids) + 80
        labelled = writer.table("credit").filter(lambda t: t.label.notnull()).count().execute()
        assert labelled == 2 * 20 + 20
        assert writer.refresh().segments == 0


def test_sensitive_columns_stay_hashed_and_filterable(tmp_path):
    root = tmp_path / "s"
    with dl.open(root) as store:
        for i in range(4):
            b = make_batch(10, seed=i)
            feats = b["features"].assign(ssn=[f"ssn-{i}-{j}" for j in range(10)])
            store.log("credit", feats, b["predictions"], sensitive=["ssn"])
    compact(root, min_age=0, grace=0)
    (merged,) = _segments(root)
    assert b"ssn-2-3" not in merged.path.read_bytes()
    with dl.open(root) as store:
        t = store.table("credit")
        assert t.count().execute() == 40
        ssn = set(t.ssn.execute())
        assert len(ssn) == 40 and not any(v.startswith("ssn-") for v in ssn)


def test_merged_segments_merge_again_and_old_files_go_after_grace(tmp_path):
    root = tmp_path / "s"
    ids = _many_segments(root, 12, labels=False)
    size = sum(s.path.stat().st_size for s in _segments(root))
    first = compact(root, min_age=0, grace=3600, target_size=size // 2)
    assert first.merged >= 2 and first.deleted == 0
    assert len(list(list_segments(root, "predictions", "credit", include_replaced=True))) > 12
    second = compact(root, min_age=0, grace=3600, target_size=size * 4)
    assert second.merged == 1
    assert len(_read_only_rows(root)) == len(ids)
    assert compact(root, min_age=0, grace=0).deleted == 12 + first.merged
    assert len(list(list_segments(root, "predictions", "credit", include_replaced=True))) == 1
    assert sorted(_read_only_rows(root)["prediction_id"]) == sorted(ids)
    assert audit.verify(root).ok


_READER = textwrap.dedent(
    """
    import sys, time
    import diaglab as dl
    root, n, stop, seen = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    import os
    while not os.path.exists(stop):
        with dl.open(root, read_only=True) as store:
            t = store.table("credit")
            got = store.ibis.to_pyarrow(t.aggregate(n=t.count(), ids=t.prediction_id.nunique()))
        with open(seen, "a") as fh:
            fh.write(f"{got['n'][0].as_py()} {got['ids'][0].as_py()}\\n")
    """
)


def _wait_lines(path: Path, lines: int, proc: subprocess.Popen) -> None:
    """Until the reader has written ``lines`` lines (however loaded the machine)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and len(path.read_text().splitlines()) >= lines:
            return
        time.sleep(0.05)
    raise AssertionError(f"the reader wrote fewer than {lines} lines: {proc.poll()=}")


def test_a_concurrent_reader_sees_each_row_once(tmp_path):
    root = tmp_path / "s"
    ids = _many_segments(root, 40, 10, labels=False)
    size = sum(s.path.stat().st_size for s in _segments(root))
    stop, seen = tmp_path / "stop", tmp_path / "seen"
    env = dict(os.environ, PYTHONPATH=SRC)
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(root), str(len(ids)), str(stop), str(seen)],
        env=env,
    )
    try:
        _wait_lines(seen, 1, reader)
        for target in (size // 8, size * 2):  # merges, then a merge of the merged files
            assert compact(root, min_age=0, grace=1.0, target_size=target).merged >= 1
            time.sleep(0.5)
        time.sleep(1.5)
        assert compact(root, min_age=0, grace=1.0).deleted > 0
        _wait_lines(seen, len(seen.read_text().splitlines()) + 2, reader)  # reads after it all
    finally:
        stop.touch()
        reader.wait(timeout=120)
    assert reader.returncode == 0
    counts = seen.read_text().split("\n")[:-1]
    assert len(counts) >= 3
    assert set(counts) == {f"{len(ids)} {len(ids)}"}


_KILLED = textwrap.dedent(
    """
    import sys
    from diaglab.store.compaction import compact
    compact(sys.argv[1], min_age=0, grace=0, target_size=int(sys.argv[2]))
    """
)


@pytest.mark.parametrize(
    "step", ["segment-written", "segment-renamed", "compaction-merged", "compaction-deleting"]
)
def test_a_compaction_killed_at_any_step_leaves_a_consistent_store(tmp_path, step):
    root = tmp_path / "s"
    ids = _many_segments(root, 10, labels=False)
    size = sum(s.path.stat().st_size for s in _segments(root))
    env = dict(os.environ, PYTHONPATH=SRC, DIAGLAB_FAULT_KILL_AT=step)
    run = subprocess.run(
        [sys.executable, "-c", _KILLED, str(root), str(size // 2)], env=env, timeout=120
    )
    assert run.returncode == -9  # killed at the step
    rows = _read_only_rows(root)
    assert sorted(rows["prediction_id"]) == sorted(ids)  # each row once, none lost
    compact(root, min_age=0, grace=0, target_size=size * 4)  # the next run finishes the job
    assert audit.verify(root).ok, str(audit.verify(root))
    assert sorted(_read_only_rows(root)["prediction_id"]) == sorted(ids)
    with dl.open(root) as store:
        assert store.rebuild().predictions == len(ids)


def test_store_compact_and_the_command_line(tmp_path, capsys):
    root = tmp_path / "s"
    ids = _many_segments(root, 8, labels=False)
    assert main(["compact", str(root), "--target-size", "1KB", "--min-age", "0"]) == 0
    assert "0 segment(s)" in capsys.readouterr().out  # every segment is above half of 1 KB
    assert main(["compact", str(root), "--target-size", "64MB", "--min-age", "0"]) == 0
    assert "8 segment(s), 160 rows, merged into 1" in capsys.readouterr().out
    assert main(["compact", str(root), "--target-size", "lots"]) == 2
    assert "invalid size 'lots'" in capsys.readouterr().err
    with dl.open(root) as store:
        b = make_batch(5, seed=99)
        store.log("credit", b["features"], b["predictions"])
        b = make_batch(5, seed=98)
        store.log("credit", b["features"], b["predictions"])
        report = store.compact(min_age=0, grace=0)
        assert report.merged == 1 and report.rows == len(ids) + 10
        assert store.table("credit").count().execute() == len(ids) + 10


def test_parse_size():
    assert parse_size("128MB") == 128 * 1024**2
    assert parse_size("1.5g") == int(1.5 * 1024**3)
    assert parse_size(4096) == 4096
    with pytest.raises(dl.InputError, match="invalid size"):
        parse_size("12XB")


def test_a_logger_compacts_in_the_background_and_stops_on_close(tmp_path):
    root = tmp_path / "s"
    logger = dl.Logger(root, "credit", flush_rows=5, compact_every=0.2)
    b = make_batch(50)
    for i in range(10):
        logger.log(b["features"].iloc[i * 5 : i * 5 + 5], b["predictions"][i * 5 : i * 5 + 5])
        logger.flush()
    time.sleep(0.6)
    assert any(t.name == "diaglab-compact" for t in threading.enumerate())
    logger.close()
    assert not any(t.name == "diaglab-compact" for t in threading.enumerate())
    assert len(_read_only_rows(root)) == 50
