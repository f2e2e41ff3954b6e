"""Ingesting label segments: labels that arrive in order are applied from their own rows, labels
that arrive out of order from the whole history; the latest label per id wins either way."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

import diaglab as dl
from conftest import make_batch
from diaglab.store import batch
from diaglab.store.segments import write_segment


class _Recording:
    """A DuckDB connection that remembers the SQL it was given."""

    def __init__(self, con: Any) -> None:
        self._con = con
        self.sql: list[str] = []

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self.sql.append(sql)
        return self._con.execute(sql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _segment_id(millis: int) -> str:
    return f"{millis:012x}{0:012x}"


def _write_labels(root, ids: list[str], value: float | list[float], millis: int) -> None:
    values = value if isinstance(value, list) else [value] * len(ids)
    table = pa.table(
        {
            "prediction_id": pa.array(ids, pa.string()),
            "label": pa.array(values, pa.float64()),
            "label_timestamp": batch.to_utc(None, len(ids)),
        }
    )
    write_segment(root, "labels", "credit", table, segment_id=_segment_id(millis))


@pytest.fixture
def ingesting(tmp_path):
    """A store with 20 predictions and a connection that records what ingest runs."""
    root = tmp_path / "store"
    store = dl.open(root)
    ids = store.log(model="credit", **make_batch(20))
    recording = _Recording(store._engine.con)
    store._engine.con = recording
    yield store, root, ids, recording
    store._engine.con = recording._con
    store.close()


def _labels(store) -> dict[str, float]:
    df = store.table("credit").select("prediction_id", "label").execute()
    return dict(zip(df.prediction_id, df.label, strict=True))


def _read_history(sql: list[str]) -> bool:
    return any("FROM labels." in s for s in sql)


def test_labels_in_order_are_applied_from_their_own_rows(ingesting):
    store, root, ids, recording = ingesting
    _write_labels(root, ids[:10], 1.0, 1_000)
    _write_labels(root, ids[5:15], 0.0, 2_000)
    recording.sql.clear()
    store.refresh(progress=False)
    assert not _read_history(recording.sql)
    got = _labels(store)
    assert [got[i] for i in ids[:5]] == [1.0] * 5
    assert [got[i] for i in ids[5:15]] == [0.0] * 10  # the newer segment wins
    _write_labels(root, ids[:2], 0.0, 3_000)
    recording.sql.clear()
    store.refresh(progress=False)
    assert not _read_history(recording.sql)
    got = _labels(store)
    assert [got[i] for i in ids[:5]] == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert len(store.labels("credit").execute()) == 22


def test_in_one_batch_the_later_segment_and_the_later_row_win(ingesting):
    store, root, ids, recording = ingesting
    _write_labels(root, [ids[0], ids[1], ids[0]], [1.0, 1.0, 0.0], 2_000)
    _write_labels(root, [ids[1], ids[2], ids[2]], [0.0, 0.0, 1.0], 3_000)
    _write_labels(root, [ids[3], ids[1]], [1.0, 1.0], 1_000)  # the oldest, listed last
    store.refresh(progress=False)
    assert not _read_history(recording.sql)
    got = _labels(store)
    assert [got[i] for i in ids[:4]] == [0.0, 0.0, 1.0, 1.0]


def test_a_label_segment_older_than_a_stored_one_reads_the_history(ingesting):
    store, root, ids, recording = ingesting
    _write_labels(root, ids[:10], 1.0, 5_000)
    store.refresh(progress=False)
    # an older producer's segment renamed into place after the newer one was ingested
    _write_labels(root, ids[:15], 0.0, 4_000)
    recording.sql.clear()
    store.refresh(progress=False)
    assert _read_history(recording.sql)
    got = _labels(store)
    assert [got[i] for i in ids[:10]] == [1.0] * 10  # the newer segment still wins
    assert [got[i] for i in ids[10:15]] == [0.0] * 5
    assert all(got[i] != got[i] for i in ids[15:])  # NaN: never labelled


def test_labels_before_their_predictions_are_joined_when_these_arrive(ingesting):
    store, root, _, _ = ingesting
    _write_labels(root, ["later-0", "later-1"], 1.0, 1_000)
    _write_labels(root, ["later-1"], 0.0, 2_000)
    store.refresh(progress=False)
    store.log(model="credit", **make_batch(2, seed=1), prediction_ids=["later-1", "later-0"])
    got = _labels(store)
    assert (got["later-0"], got["later-1"]) == (1.0, 0.0)
