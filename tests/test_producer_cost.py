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


def test_blocks_with_equal_column_indexes_share_one_index_in_the_buffer():
    from diaglab.producers.buffer import Chunk, frame_columns

    chunk = Chunk()
    for k in range(3):
        frame = pd.DataFrame([[k + 0.0, k + 1.0]], columns=["x", "y"])
        chunk.add_columns(frame_columns(frame), 1, [0.5], [str(k)], [0], [None], [None], [None])
    other = pd.DataFrame([[9.0, 9.0]], columns=["x", "z"])
    chunk.add_columns(frame_columns(other), 1, [0.5], ["3"], [0], [None], [None], [None])
    first, *rest = [block.labels for _, block in chunk.blocks]
    assert all(labels is first for labels in rest[:2]) and rest[2] is not first
    features = chunk.batch()["features"].astype(object).where(lambda f: f.notna(), None)
    assert features.to_dict("list") == {
        "x": [0.0, 1.0, 2.0, 9.0],
        "y": [1.0, 2.0, 3.0, None],
        "z": [None, None, None, 9.0],
    }
