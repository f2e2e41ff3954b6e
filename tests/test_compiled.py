"""Compiled SQL is reused: the store's backends remember what they compiled, and ``fetch_over``
compiles a query once per shape whatever rows it reads — with the same answers as Ibis alone."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from conftest import START
from diaglab.findings._recorder import recording
from diaglab.store.compiled import fetch_over
from diaglab.store.lru import LRUCache


def _window(table, start_minutes: int, end_minutes: int):
    lo = START + pd.Timedelta(minutes=start_minutes)
    hi = START + pd.Timedelta(minutes=end_minutes)
    return table.filter((table.timestamp >= lo) & (table.timestamp < hi))


def _by_region(rows):
    return rows.group_by("region").aggregate(n=rows.count(), income=rows.income.sum())


def _sorted(table) -> pd.DataFrame:
    return table.to_pandas().sort_values("region").reset_index(drop=True)


def test_an_expression_built_again_compiles_from_the_cache(logged) -> None:
    store, _, _ = logged
    backend = store.ibis

    def query():  # built from scratch each time: a new, structurally equal expression
        t = store.table("credit")
        return _by_region(_window(t, 0, 500))

    first = backend.compile(query())
    cache = backend.__dict__["_diaglab_sql"]
    hits = cache.hits
    assert backend.compile(query()) == first
    assert cache.hits == hits + 1
    assert backend.compile(_by_region(_window(store.table("credit"), 0, 501))) != first


def test_fetch_over_answers_like_ibis_and_builds_once_per_shape(logged) -> None:
    store, _, _ = logged
    built: list[int] = []
    cache = LRUCache(512)

    def build(rows):
        built.append(1)
        return _by_region(rows)

    for lo, hi in [(0, 300), (300, 1000), (10, 20)]:
        rows = _window(store.table("credit"), lo, hi)
        got = fetch_over(rows, "by-region", build, cache=cache)
        want = _by_region(rows).to_pyarrow()
        assert got.schema == want.schema
        pd.testing.assert_frame_equal(_sorted(got), _sorted(want))
    assert len(built) == 1 and cache.hits == 2

    # another key is another query, never the remembered one
    other = fetch_over(
        store.table("credit"), "count", lambda rows: rows.aggregate(n=rows.count()), cache=cache
    )
    assert other.to_pylist() == [{"n": 1000}]


def test_fetch_over_keys_templates_by_the_rows_schema(logged) -> None:
    store, _, _ = logged
    cache = LRUCache(512)
    t = store.table("credit")
    full = fetch_over(t, "n", lambda rows: rows.aggregate(n=rows.count()), cache=cache)
    narrow = t.select("region", "income", "timestamp")
    again = fetch_over(narrow, "n", lambda rows: rows.aggregate(n=rows.count()), cache=cache)
    assert full.to_pylist() == again.to_pylist() == [{"n": 1000}]
    assert len(cache) == 2


def test_fetch_over_rows_held_in_memory_run_through_ibis(logged) -> None:
    store, _, _ = logged
    t = store.table("credit")
    local = ibis.memtable(pd.DataFrame({"region": ["north"], "bonus": [1.0]}))
    joined = t.join(local, "region")
    got = fetch_over(joined, "by-region", _by_region, cache=LRUCache(512))
    assert got.to_pylist()[0]["region"] == "north"


def test_sql_cache_forgets_the_least_recently_used() -> None:
    cache = LRUCache(2)
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    cache.get("a", lambda: pytest.fail("a is cached"))
    cache.get("c", lambda: 3)  # evicts b, the least recently used
    assert cache.get("b", lambda: 20) == 20
    assert (cache.hits, cache.misses, len(cache)) == (1, 4, 2)


def test_a_recording_sees_the_sql_that_ran_and_it_runs_again(logged) -> None:
    store, _, _ = logged
    rows = _window(store.table("credit"), 0, 300)
    with recording(store) as rec:
        got = fetch_over(rows, "by-region", _by_region, cache=LRUCache(512))
    sql = rec.text("sql")
    assert sql is not None and "_diaglab_rows" in sql and "MAKE_TIMESTAMPTZ" in sql
    assert "_diaglab_rows = " in (rec.text("ibis") or "")
    again = store.ibis.con.sql(sql).to_arrow_table().cast(got.schema)
    pd.testing.assert_frame_equal(_sorted(again), _sorted(got))
