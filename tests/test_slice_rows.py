"""A slice's page of rows and its count: one engine round trip, the same answer as counting."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest
from ibis.backends.duckdb import Backend

import diaglab as dl
from conftest import make_batch
from diaglab.diagnostics.slices.rows import PAGE_SIZE, row_error, slice_rows

WINDOW = ("2026-02-10", "2026-03-02")
NORTH = "region = 'north'"


def _counted(monkeypatch):
    calls: list[str] = []
    for name in ("to_pyarrow", "execute"):
        original = getattr(Backend, name)

        def wrapped(self, *args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Backend, name, wrapped)
    return calls


def test_a_page_and_the_count_come_in_one_query(sample_store, monkeypatch):
    t = sample_store.table("credit")
    t = t.filter((t.timestamp >= pd.Timestamp(WINDOW[0], tz="UTC")) & (t.region == "north"))
    t = t.filter(t.timestamp < pd.Timestamp(WINDOW[1], tz="UTC"))
    want = t.mutate(error=row_error(t, "binary")).to_pandas()
    want = want.sort_values(["error", "timestamp"], ascending=[False, True], na_position="last")
    calls = _counted(monkeypatch)
    rows, total = slice_rows(sample_store, "credit", NORTH, WINDOW, page=1)
    assert len(calls) == 1
    assert total == len(want)
    got = list(rows["prediction_id"])
    assert got == list(want["prediction_id"].iloc[PAGE_SIZE : 2 * PAGE_SIZE])
    assert "_diaglab_total" not in rows.columns and rows["error"].is_monotonic_decreasing


def test_a_page_past_the_end_is_empty_and_still_counts(sample_store):
    rows, total = slice_rows(sample_store, "credit", NORTH, WINDOW, page=10**6)
    assert rows.empty and total > 0
    assert total == slice_rows(sample_store, "credit", NORTH, WINDOW)[1]


@pytest.mark.parametrize("sort", [("score", "asc"), ("timestamp", "desc")])
def test_a_sorted_page_keeps_its_count(sample_store, sort):
    rows, total = slice_rows(sample_store, "credit", NORTH, WINDOW, sort=sort)
    _, unsorted = slice_rows(sample_store, "credit", NORTH, WINDOW)
    assert total == unsorted and len(rows) == PAGE_SIZE
    column, direction = sort
    values = rows[column]
    assert values.is_monotonic_increasing if direction == "asc" else values.is_monotonic_decreasing


def _all_pages(store, where=NORTH, window=WINDOW):
    pages, page = [], 0
    while True:
        rows, total = slice_rows(store, "credit", where, window, page=page)
        if rows.empty:
            return pd.concat(pages, ignore_index=True), total
        pages.append(rows)
        page += 1


def test_pages_order_equal_errors_by_time_and_never_overlap(sample_store):
    rows, total = _all_pages(sample_store)
    assert len(rows) == total and rows["prediction_id"].is_unique
    unlabelled = rows[rows["error"].isna()]  # all tied on the error: the earliest first
    assert len(unlabelled) > PAGE_SIZE and unlabelled.index.min() > rows["error"].notna().sum() - 1
    assert unlabelled["timestamp"].is_monotonic_increasing


def _compiled(store, where):
    captured: list[str] = []
    original = Backend.to_pyarrow

    def capture(self, expr, *args, **kwargs):
        captured.append(str(ibis.to_sql(expr, dialect="duckdb")))
        return original(self, expr, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Backend, "to_pyarrow", capture)
        slice_rows(store, "credit", where, None)
    return captured[0]


def test_a_store_tells_rows_tied_on_error_and_time_apart_by_its_row_numbers(store, tmp_path):
    """The store's own table breaks ties by row number, not by the id string read for every
    row; tied rows come in the order they were logged, pages apart and stable; a read-only
    store (views over the segments) has no row numbers and orders them by id."""
    sql = _compiled(store_with_ties(store), where=None)
    order = sql.split("ORDER BY")[1].split("LIMIT")[0]
    assert '"rowid" AS "_diaglab_row"' in sql and "prediction_id" not in order
    ids = [f"tie-{i:03d}" for i in range(60)][::-1]  # logged from the largest id down
    pages = [slice_rows(store, "credit", None, None, page=p)[0] for p in range(3)]
    assert [i for page in pages for i in page["prediction_id"]] == ids
    assert list(slice_rows(store, "credit", None, None, page=1)[0]["prediction_id"]) == ids[20:40]
    reader = dl.open(store.path, read_only=True)
    try:
        got = [slice_rows(reader, "credit", None, None, page=p)[0] for p in range(3)]
        assert [i for page in got for i in page["prediction_id"]] == sorted(ids)
    finally:
        reader.close()


def store_with_ties(store):
    n = 60
    b = make_batch(n)
    at = pd.Timestamp(WINDOW[0], tz="UTC")
    store.log(
        model="credit",
        features=b["features"],
        predictions=np.full(n, 0.5),
        prediction_ids=[f"tie-{i:03d}" for i in range(n)][::-1],
        timestamps=[at] * n,
    )
    store.refresh(progress=False)
    return store
