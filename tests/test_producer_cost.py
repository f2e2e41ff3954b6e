"""The producers' cheaper request path keeps what it stores (issue 21's cost work)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import diaglab as dl
from diaglab.errors import InputError


@pytest.mark.parametrize(
    ("start", "n"),
    [(0, 1), (7, 1), (0, 100), (4090, 100), (4095, 2), (8191, 4097), (0, 20_000)],
)
def test_generated_ids_are_the_prefix_and_the_row_number_in_eight_hex_digits(start, n):
    from diaglab.producers.ids import row_id_strings

    prefix = "0123456789abcdef01234567"
    ids = row_id_strings(prefix, start, n)
    assert ids == [f"{prefix}{i:08x}" for i in range(start, start + n)]


def test_a_logger_generates_unique_ids_across_calls_of_every_size(tmp_path):
    with dl.Logger(tmp_path / "s", model="svc", flush_seconds=60) as logger:
        ids = [logger.log({"x": 1.0}, 0.5)]
        for rows in (100, 4096, 1, 3000):
            ids += logger.log(pd.DataFrame({"x": np.arange(rows, dtype=float)}), np.zeros(rows))
    assert len(ids) == len(set(ids)) == 1 + 100 + 4096 + 1 + 3000
    assert all(len(i) == 32 for i in ids)
    stored = dl.open(tmp_path / "s").table("svc").prediction_id.execute()
    assert sorted(stored) == sorted(ids)


def test_blocks_whose_column_indexes_are_new_objects_still_stack_and_differ_when_they_differ():
    from diaglab.producers.buffer import Chunk, frame_columns

    names = [f"f{i}" for i in range(20)]

    def add(chunk: Chunk, columns: object, k: int) -> None:
        frame = pd.DataFrame([np.arange(20.0) + k], columns=columns)
        chunk.add_columns(frame_columns(frame), 1, [0.5], [str(k)], [0], [None], [None], [None])

    chunk = Chunk()  # a service builds a new Index per request, with the same names
    for k in range(3):
        add(chunk, list(names), k)
    add(chunk, pd.Index(names, dtype=object), 3)  # the same names in another dtype
    features = chunk._stacked()  # one Arrow table, no DataFrame in between
    assert features is not None and features.column_names == names
    assert features["f0"].to_pylist() == [0.0, 1.0, 2.0, 3.0]

    other = Chunk()
    add(other, names, 0)
    add(other, [*names[:-1], "g"], 1)  # one name differs: the rows keep their own columns
    assert other._stacked() is None
    batch = other.batch()["features"]
    assert batch["f19"].tolist()[0] == 19.0 and np.isnan(batch["f19"].tolist()[1])
    assert np.isnan(batch["g"].tolist()[0]) and batch["g"].tolist()[1] == 20.0


def test_numeric_optional_columns_are_checked_as_before():
    from diaglab.store.batch import optional_column

    values = np.array([1.5, np.nan, 0.0, 3.0])
    fast = optional_column(values, 4, name="cpu_ms", type_=pa.float64())
    assert fast.to_pylist() == [1.5, None, 0.0, 3.0] and fast.type == pa.float64()
    slow = optional_column(values.tolist(), 4, name="cpu_ms", type_=pa.float64())
    assert fast.equals(slow)
    ints = optional_column(np.array([1, 2]), 2, name="batch_rows", type_=pa.float64())
    assert ints.to_pylist() == [1.0, 2.0] and ints.null_count == 0
    for bad in ([1.0, -0.5], [np.inf, 1.0]):
        with pytest.raises(InputError, match="latency_ms must be finite and >= 0"):
            optional_column(np.array(bad), 2, name="latency_ms", type_=pa.float64())
    with pytest.raises(InputError, match="latency_ms has 3 values; expected 2"):
        optional_column(np.zeros(3), 2, name="latency_ms", type_=pa.float64())


def test_blocks_with_equal_column_indexes_share_one_index_in_the_buffer(tmp_path):
    logger = dl.Logger(tmp_path / "s", model="m", flush_seconds=60)
    for k in range(3):
        frame = pd.DataFrame([[k + 0.0, k + 1.0]], columns=["x", "y"])
        logger.log(frame, [0.5])
    logger.log(pd.DataFrame([[9.0, 9.0]], columns=["x", "z"]), [0.5])
    chunk = logger._hot
    assert chunk is not None
    first, *rest = [block.labels for _, block in chunk.blocks]
    assert all(labels is first for labels in rest[:2]) and rest[2] is not first
    features = chunk.batch()["features"].astype(object).where(lambda f: f.notna(), None)
    assert features.to_dict("list") == {
        "x": [0.0, 1.0, 2.0, 9.0],
        "y": [1.0, 2.0, 3.0, None],
        "z": [None, None, None, 9.0],
    }
    logger.close()


def test_labels_are_compared_outside_the_loggers_lock(tmp_path, monkeypatch):
    # pandas compares Arrow-backed labels in pyarrow, which releases the GIL: under the Logger's
    # lock, a thread waiting for the GIL again held the lock and every other request thread of
    # a service queued on it
    from pandas.core.arrays.arrow.array import ArrowExtensionArray

    logger = dl.Logger(tmp_path / "s", model="m", flush_seconds=60)
    model = dl.instrument(_Half(), logger)
    held: list[bool] = []
    real = ArrowExtensionArray.equals

    def equals(self, other):
        held.append(logger._lock.locked())
        return real(self, other)

    monkeypatch.setattr(ArrowExtensionArray, "equals", equals)
    for k in range(4):  # a new Index per request, as a service builds its frames
        columns = pd.Index(["x", "y"], dtype=pd.ArrowDtype(pa.string()))
        model.predict_proba(pd.DataFrame([[k + 0.0, 1.0]], columns=columns))
    assert held and not any(held)
    logger.close()
    assert dl.open(tmp_path / "s").table("m").count().execute() == 4


class _Half:
    def predict_proba(self, X):
        return np.tile([0.5, 0.5], (len(X), 1))


@pytest.mark.parametrize("start", [0, 4090, 16**8 - 300])
def test_a_chunks_id_array_is_the_strings_of_its_calls_ranges_and_given_ids(start):
    from diaglab.producers.ids import IdRange, id_array, row_id_strings

    a, b = "0123456789abcdef01234567", "fedcba9876543210fedcba98"
    calls = [
        IdRange(a, start, 100),
        IdRange(a, start + 100, 1),  # continues the range: built with it
        ["given-1", "given-2"],
        IdRange(a, start + 200, 99),  # a gap: a range of its own
        IdRange(b, 0, 3),  # a new prefix
    ]
    expected = [i for ids in calls for i in (ids.strings() if isinstance(ids, IdRange) else ids)]
    assert id_array(calls).to_pylist() == expected
    assert expected[:2] == row_id_strings(a, start, 2) and len(expected) == 100 + 1 + 2 + 99 + 3
    assert id_array([]).to_pylist() == []


def test_role_values_given_per_call_or_per_row_are_stored_with_their_rows(tmp_path):
    stamp = pd.Timestamp("2026-03-04 05:06:07.123456", tz="UTC")
    with dl.Logger(tmp_path / "s", model="svc", flush_seconds=60) as logger:
        first = logger.log(
            pd.DataFrame({"x": [1.0, 2.0, 3.0]}),
            np.array([0.1, 0.2, 0.3]),
            latency_ms=4.0,
            trace_id="t" * 32,
        )
        one = logger.log({"x": 9.0}, 0.9, latency_ms=1.0, error="boom")
        last = logger.log(
            pd.DataFrame({"x": [4.0, 5.0]}),
            [0.4, 0.5],
            latency_ms=[5.0, None],
            trace_id=["u" * 32, None],
            error=[None, "late"],
            timestamp=[stamp, stamp],
            prediction_id=np.array([7, 8]),
        )
    t = dl.open(tmp_path / "s").table("svc").execute().set_index("prediction_id")
    t = t.loc[[*first, one, *last]]
    assert last == ["7", "8"] and t.index.tolist()[:3] == first
    assert t.score.tolist() == [0.1, 0.2, 0.3, 0.9, 0.4, 0.5]
    assert t.latency_ms.tolist()[:5] == [4.0, 4.0, 4.0, 1.0, 5.0] and np.isnan(t.latency_ms.iloc[5])
    text = t[["trace_id", "error"]].astype(object).where(t[["trace_id", "error"]].notna(), None)
    assert text.trace_id.tolist() == ["t" * 32] * 3 + [None, "u" * 32, None]
    assert text.error.tolist() == [None] * 3 + ["boom", None, "late"]
    assert (t.timestamp.iloc[4:] == stamp).all() and (t.timestamp.iloc[:4] > stamp).all()


def test_the_loggers_own_timestamps_are_stored_to_the_microsecond_without_a_warning(
    tmp_path, caplog, monkeypatch
):
    from diaglab.store import batch

    monkeypatch.setattr(batch, "_NANOSECONDS_SAID", [])  # the warning is said once per process
    before = pd.Timestamp.now(tz="UTC").floor("us")
    with dl.Logger(tmp_path / "s", model="svc", flush_seconds=60) as logger:
        logger.log(pd.DataFrame({"x": [1.0, 2.0]}), np.array([0.1, 0.2]))
        logger.log({"x": 3.0}, 0.3)
    after = pd.Timestamp.now(tz="UTC")
    stamps = dl.open(tmp_path / "s").table("svc").timestamp.execute()
    assert ((stamps >= before) & (stamps <= after)).all() and len(stamps) == 3
    assert stamps.iloc[0] == stamps.iloc[1]  # one call, one timestamp
    assert "nanoseconds" not in caplog.text  # nothing of the user's was cut


def test_instrumented_ids_are_built_when_asked_and_the_logged_outputs_are_a_copy(tmp_path):
    from sklearn.linear_model import LogisticRegression

    from diaglab.producers.ids import IdRange

    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    clf = LogisticRegression().fit(X, [0, 0, 1, 1])
    logger = dl.Logger(tmp_path / "s", model="clf", flush_seconds=60)
    model = dl.instrument(clf, logger)
    proba = model.predict_proba(X)
    expected = proba[:, 1].tolist()
    assert isinstance(model._ids.get(), IdRange)  # no strings built on the request path
    ids = model.last_prediction_ids
    assert ids is model.last_prediction_ids and len(set(ids)) == 4
    proba[:] = -1.0  # the caller reuses the array it got back
    logger.close()
    t = dl.open(tmp_path / "s").table("clf").execute().set_index("prediction_id").loc[ids]
    assert t.score.tolist() == expected


def test_timestamps_already_in_diaglabs_arrow_type_are_checked_for_length_and_gaps():
    from diaglab.store.batch import to_utc
    from diaglab.store.schema import TIMESTAMP

    stamps = pa.array(np.array([1, 2], dtype="datetime64[us]"), TIMESTAMP)
    assert to_utc(stamps, 2) is stamps
    with pytest.raises(InputError, match="timestamps has 2 values; expected 3"):
        to_utc(stamps, 3)
    with pytest.raises(InputError, match="1 missing"):
        to_utc(pa.array([1, None], TIMESTAMP), 2)


def test_a_bad_row_among_stacked_blocks_is_quarantined_alone_with_its_own_values(tmp_path):
    import json

    path = tmp_path / "s"
    with dl.Logger(path, model="svc", flush_seconds=60) as logger:
        good = logger.log(pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]}), np.array([0.1, 0.2]))
        mixed = logger.log(
            pd.DataFrame({"x": [5.0, 6.0], "y": [7.0, 8.0]}),
            np.array([0.3, np.nan]),  # a missing output without an error: refused
            latency_ms=2.5,
            trace_id="a" * 32,
        )
    assert logger.written == 3 and logger.rejected == 1
    stored = dl.open(path).table("svc").execute().set_index("prediction_id")
    assert sorted(stored.index) == sorted([*good, mixed[0]])
    assert stored.loc[mixed[0], ["x", "y", "score"]].tolist() == [5.0, 7.0, 0.3]
    (record,) = [json.loads(f.read_text()) for f in (path / "rejected" / "svc").glob("*.jsonl")]
    assert record["prediction_ids"] == [mixed[1]] and record["features"] == [{"x": 6.0, "y": 8.0}]
    assert record["trace_ids"] == ["a" * 32] and record["latency_ms"] == [2.5]
    assert record["timestamps"][0].endswith("+00:00") and "missing" in record["reason"]


def test_dict_rows_given_and_generated_ids_keep_their_order_in_one_segment(tmp_path):
    with dl.Logger(tmp_path / "s", model="svc", flush_seconds=60) as logger:
        ids = [logger.log({"x": float(i)}, 0.5) for i in range(3)]
        ids += [logger.log({"x": 3.0}, 0.5, prediction_id="mine-1")]
        ids += [logger.log({"x": 4.0}, 0.5, prediction_id=5)]
        ids += [logger.log({"x": float(i)}, 0.5) for i in range(5, 7)]
    assert ids[3:5] == ["mine-1", 5]
    t = dl.open(tmp_path / "s").table("svc").execute().set_index("prediction_id")
    assert t.loc[[str(i) for i in ids], "x"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
