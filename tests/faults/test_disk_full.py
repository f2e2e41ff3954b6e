"""A full disk, an I/O error, a refused permission: a call stores its rows exactly once or
raises a StorageError naming the problem and the place, and stores nothing."""

from __future__ import annotations

import errno
import warnings
from pathlib import Path

import duckdb
import pytest

import diaglab as dl
from diaglab.errors import IngestDeferredWarning, StorageError
from faults.conftest import batch, segment_rows


def _fill_until_full(store: dl.Store, *, ids: bool = False) -> tuple[int, StorageError, dict]:
    """Log 50,000-row batches until the disk refuses one; the rows acknowledged, the error and
    the refused batch."""
    acked = 0
    for k in range(200):
        rows = batch(50_000, k, ids=ids)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", IngestDeferredWarning)
                store.log("m", **rows)
        except StorageError as exc:
            return acked, exc, rows
        acked += 50_000
    raise AssertionError("the disk never filled up")


def test_a_full_tmpfs_loses_nothing_acknowledged_and_a_retry_stores_once(tiny_disk: Path):
    root = tiny_disk / "s"
    ballast = tiny_disk / "ballast"
    ballast.write_bytes(b"\0" * (16 << 20))  # freed later, as an operator would free space
    store = dl.open(root)
    acked, err, _ = _fill_until_full(store)
    assert acked > 0
    assert err.errno == errno.ENOSPC
    assert "disk full" in str(err) and str(root) in str(err)
    assert "nothing from this call was stored" in str(err)
    assert segment_rows(root) == acked  # the refused call left no segment
    assert not list((root / ".tmp").glob("*.parquet"))  # nor a temporary file
    store.close()

    full = dl.open(root)  # a full disk does not stop anyone reading what is ingested
    assert full.table("m").count().execute() <= acked
    full.close()

    ballast.unlink()
    store = dl.open(root)  # ingests what DuckDB could not take while the disk was full
    assert store.table("m").count().execute() == acked
    with warnings.catch_warnings():
        # DuckDB may need more room than the segment: then the rows are stored and deferred
        warnings.simplefilter("ignore", IngestDeferredWarning)
        store.log("m", **batch(20_000, 999))  # the retry of the refused call, once
    assert segment_rows(root) == acked + 20_000
    store.close()
    store = dl.open(root)
    t = store.table("m")
    assert t.count().execute() == acked + 20_000 == t.prediction_id.nunique().execute()
    store.close()


def test_a_retry_with_the_same_ids_never_duplicates(tiny_disk: Path):
    root = tiny_disk / "s"
    ballast = tiny_disk / "ballast"
    ballast.write_bytes(b"\0" * (16 << 20))
    store = dl.open(root)
    acked, _, refused = _fill_until_full(store, ids=True)
    assert segment_rows(root) == acked
    store.close()
    ballast.unlink()
    store = dl.open(root)
    store.log("m", **refused)  # the retry stores the batch once
    with pytest.raises(dl.errors.DuplicateIdError):
        store.log("m", **refused)  # and a second retry is refused: those ids are stored
    t = store.table("m")
    assert t.count().execute() == acked + 50_000 == segment_rows(root)
    assert t.prediction_id.nunique().execute() == acked + 50_000
    store.close()


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "disk full"), (errno.EIO, "I/O error"), (errno.EACCES, "permission denied")],
)
@pytest.mark.parametrize("step", ["segment-written", "segment-renamed"])
def test_a_refused_segment_write_stores_nothing(tmp_path, hooks, code, words, step):
    store = dl.open(tmp_path / "s")
    store.log("m", **batch(100, 0))

    def refuse() -> None:
        raise OSError(code, "injected")

    hooks[step] = refuse
    with pytest.raises(StorageError, match=words) as err:
        store.log("m", **batch(100, 1))
    assert err.value.errno == code
    hooks.clear()
    assert segment_rows(store.path) == 100
    assert not list((store.path / ".tmp").glob("*.parquet"))
    assert store.table("m").count().execute() == 100
    store.log("m", **batch(100, 1))  # the retry
    store.close()
    again = dl.open(tmp_path / "s")
    assert again.table("m").count().execute() == 200 == segment_rows(again.path)
    again.rebuild()
    assert again.table("m").count().execute() == 200
    again.close()


@pytest.mark.parametrize("kind", ["predictions", "labels", "reference"])
def test_duckdb_failing_after_the_segment_is_durable_defers_and_never_duplicates(
    tmp_path, hooks, kind
):
    store = dl.open(tmp_path / "s")
    ids = store.log("m", **batch(100, 0))

    def disk_full() -> None:
        raise duckdb.IOException('Could not write file "x": No space left on device')

    hooks["log-inserted"] = disk_full
    with pytest.warns(IngestDeferredWarning, match="disk full"):
        if kind == "predictions":
            store.log("m", **batch(100, 1))
        elif kind == "labels":
            store.log_labels("m", ids[:10], [1] * 10)
        else:
            store.set_reference("m", batch(50, 2)["features"])
    hooks.clear()
    store.refresh()  # the deferred segment, exactly once
    store.refresh()
    t = store.table("m")
    if kind == "predictions":
        assert t.count().execute() == 200 == segment_rows(store.path)
    elif kind == "labels":
        assert t.label.notnull().sum().execute() == 10
    else:
        assert store.reference("m").count().execute() == 50
    store.close()


def test_an_invalidated_duckdb_connection_is_reopened(tmp_path, hooks):
    store = dl.open(tmp_path / "s")
    store.log("m", **batch(100, 0))

    def fatal() -> None:
        raise duckdb.FatalException("FATAL Error: Failed to commit: No space left on device")

    hooks["log-inserted"] = fatal
    with pytest.warns(IngestDeferredWarning):
        store.log("m", **batch(100, 1))
    hooks.clear()
    store.log("m", **batch(100, 2))
    store.refresh()
    assert store.table("m").count().execute() == 300
    store.close()


def test_a_schema_that_cannot_be_written_stores_nothing(tmp_path, monkeypatch):
    from diaglab.store import schema as schema_module

    store = dl.open(tmp_path / "s")
    store.log("m", **batch(10, 0))

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(schema_module.os, "replace", full)
    wider = batch(10, 1, width=9)  # a new feature: the schema must be written first
    with pytest.raises(StorageError, match="disk full while writing the schema"):
        store.log("m", **wider)
    monkeypatch.undo()
    assert list(store.schema("m").features) == [f"f{i}" for i in range(8)]
    assert not list((tmp_path / "s" / "models" / "m").glob(".schema.*"))
    assert store.table("m").count().execute() == 10 == segment_rows(store.path)
    store.close()
