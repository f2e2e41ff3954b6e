"""A slice's page of rows and its count: one engine round trip, the same answer as counting."""

from __future__ import annotations

import pandas as pd
import pytest
from ibis.backends.duckdb import Backend

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
    want = want.sort_values(["error", "prediction_id"], ascending=[False, True], na_position="last")
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
