"""The bulk ``store.log`` path: generated ids, cheap columns, and the segments it writes."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import diaglab as dl
from diaglab.store import batch
from diaglab.store._ids import new_segment_id, row_ids
from diaglab.store.schema import ROLE_TYPES
from diaglab.store.segments import PLAIN_SEGMENT_ROWS, list_segments


def test_row_ids_are_the_segment_id_and_the_row_number_in_eight_hex_digits():
    seg = new_segment_id()
    n = 70_000  # past 2**16, so the row number's higher bytes vary too
    ids = row_ids(seg, n)
    ids.validate(full=True)
    assert ids.type == pa.string() and len(ids) == n
    values = ids.to_pylist()
    for i in (0, 1, 15, 16, 255, 256, 4095, 65_535, 65_536, n - 1):
        assert values[i] == f"{seg}{i:08x}"
    assert values == sorted(values) and len(set(values)) == n
    assert row_ids(seg, 0).to_pylist() == []
    with pytest.raises(ValueError, match="rows per segment"):
        row_ids(seg, 16**8 + 1)


@pytest.mark.parametrize(("value", "n"), [("v1", 5), ("version-2026.1", 3), ("é", 4), ("v1", 0)])
def test_repeated_text_equals_a_list_of_copies(value, n):
    arr = batch.repeated_text(value, n)
    arr.validate(full=True)
    assert arr.equals(pa.array([value] * n, pa.string()))


def test_float_columns_keep_missing_values_as_nulls():
    df = pd.DataFrame(
        {
            "plain": [1.0, 2.5, 3.0],
            "gaps": [1.0, np.nan, 3.0],
            "nullable": pd.array([1.5, None, 2.0], dtype="Float64"),
            "ints": [1, 2, 3],
        }
    )
    table = batch.as_arrow_table(df)
    assert table.column("plain").to_pylist() == [1.0, 2.5, 3.0]
    assert table.column("plain").null_count == 0
    assert table.column("gaps").to_pylist() == [1.0, None, 3.0]
    assert table.column("nullable").to_pylist() == [1.5, None, 2.0]
    assert table.column("ints").type == pa.int64()


def test_logged_segment_reads_back_with_role_statistics_and_one_row_group(store):
    rng = np.random.default_rng(3)
    n = 5_000
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "y": np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),
            "city": pd.Categorical(rng.choice(["Lyon", "Köln", "Zürich"], n)),
        }
    )
    ts = pd.Series(pd.date_range("2026-01-01", periods=n, freq="min", tz="UTC"))
    ids = store.log(model="m", features=df, predictions=rng.random(n), timestamps=ts)
    (seg,) = list(list_segments(store.path, "predictions", "m"))
    meta = pq.ParquetFile(seg.path).metadata
    assert meta.num_row_groups == 1 and meta.num_rows == n
    rg = meta.row_group(0)
    with_stats = {
        rg.column(i).path_in_schema for i in range(rg.num_columns) if rg.column(i).is_stats_set
    }
    assert {"prediction_id", "timestamp", "model_version", "score"} <= with_stats
    assert with_stats <= set(ROLE_TYPES) and not with_stats & {"x", "y", "city"}

    back = pq.read_table(seg.path)  # pyarrow, as Spark and other readers see the file
    assert back.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    assert back.schema.field("city").type == pa.string()
    assert back.column("prediction_id").to_pylist() == ids
    assert back.column("y").null_count == int(df["y"].isna().sum())
    assert back.column("city").to_pylist() == df["city"].astype(str).tolist()
    con = duckdb.connect()
    got = con.execute(
        "SELECT count(*), count(y), min(timestamp), count(DISTINCT city) FROM read_parquet(?)",
        [str(seg.path)],
    ).fetchall()[0]
    assert got[:2] == (n, n - int(df["y"].isna().sum()))
    assert got[2] == ts.iloc[0].to_pydatetime() and got[3] == 3
    # the query-ready table holds the same rows, and the DuckDB setting is back to its default
    t = store.table("m")
    assert t.count().execute() == n and t.y.count().execute() == got[1]
    setting = store._engine.con.execute(
        "SELECT current_setting('disabled_compression_methods')"
    ).fetchall()[0][0]
    assert setting == ""


def test_a_store_logged_in_bulk_rebuilds_to_the_same_rows(tmp_path):
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"a": rng.normal(size=3000), "b": rng.choice(["p", "q"], 3000)})
    with dl.open(tmp_path / "s") as store:
        store.log(model="m", features=df, predictions=rng.random(3000), model_version="v2")
        store.log(model="m", features=df.head(10), predictions=rng.random(10))
        before = store.table("m").order_by("prediction_id").execute()
        store.rebuild()
        after = store.table("m").order_by("prediction_id").execute()
    pd.testing.assert_frame_equal(before, after)
    assert before["model_version"].value_counts().to_dict() == {"v2": 3000, "v1": 10}


@pytest.mark.parametrize("n", [70_000, 300])  # 300: a producer's segment of a second's traffic
def test_float_columns_of_mostly_distinct_values_skip_the_parquet_dictionary(store, n):
    rng = np.random.default_rng(5)
    df = pd.DataFrame(
        {
            "raw": rng.normal(size=n),  # all distinct: a dictionary would not pay
            "coarse": rng.integers(0, 50, n) / 2,  # 50 distinct values
            "city": rng.choice(["a", "b"], n),
        }
    )
    store.log(model="m", features=df, predictions=rng.random(n))
    (seg,) = list(list_segments(store.path, "predictions", "m"))
    rg = pq.ParquetFile(seg.path).metadata.row_group(0)
    dictionary = {
        rg.column(i).path_in_schema: rg.column(i).has_dictionary_page for i in range(rg.num_columns)
    }
    assert dictionary["raw"] is False and dictionary["score"] is False
    if n > PLAIN_SEGMENT_ROWS:
        assert dictionary["coarse"] and dictionary["city"] and dictionary["prediction"]
    else:  # a small segment has no dictionary at all (cheaper to write, as small)
        assert not any(dictionary.values())
    back = pq.read_table(seg.path)
    np.testing.assert_array_equal(back.column("raw").to_numpy(), df["raw"].to_numpy())
    np.testing.assert_array_equal(back.column("coarse").to_numpy(), df["coarse"].to_numpy())
