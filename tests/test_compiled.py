"""Compiled SQL is reused: the store's backends remember what they compiled, and ``fetch_over``
compiles a query once per shape whatever rows it reads — with the same answers as Ibis alone —
and keeps it on disk for the next process (``diaglab.store.sql_cache``)."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import sqlglot

import diaglab as dl
from conftest import START, make_batch
from diaglab.findings._recorder import recording
from diaglab.queries.binning import Grid, numeric_counts
from diaglab.store import compiled, sql_cache
from diaglab.store.compiled import fetch_over
from diaglab.store.lru import LRUCache
from diaglab.store.sql_cache import cache_dir, stable_repr

REF = (START, START + pd.Timedelta(minutes=500))
CUR = (START + pd.Timedelta(minutes=500), START + pd.Timedelta(minutes=1000))


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


# -- templates kept on disk, across processes ----------------------------------------------------


@pytest.fixture(autouse=True)
def sql_dir(tmp_path, monkeypatch) -> Path:
    """Each test its own per-user cache directory (not yet created)."""
    directory = tmp_path / "sql-cache"
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(directory))
    return directory


def _new_process(monkeypatch) -> None:
    """What a new process starts with: no template in memory (the disk cache stays)."""
    monkeypatch.setattr(compiled, "_TEMPLATES", LRUCache(compiled.CACHE_SIZE))


def _never(rows):
    raise AssertionError("the template should have come from the cache on disk")


def _templates(directory: Path) -> list[Path]:
    """The entries of the cache that are templates (with the schema of their result), not the
    store backends' compiled expressions."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.json") if json.loads(p.read_text())["schema"])


def test_a_template_saved_by_one_process_is_read_by_another(tmp_path, sql_dir) -> None:
    store = dl.open(tmp_path / "store")
    store.log(model="credit", **make_batch(1000))
    rows = _window(store.table("credit"), 0, 300)
    want = fetch_over(rows, "by-region", _by_region, cache=LRUCache(8))
    store.close()
    assert len(_templates(sql_dir)) == 1
    assert stat.S_IMODE(sql_dir.stat().st_mode) == 0o700
    child = textwrap.dedent(
        f"""
        import json, sys
        import pandas as pd
        import diaglab as dl
        from diaglab.store.compiled import fetch_over
        from diaglab.store.lru import LRUCache

        def never(rows):
            raise AssertionError("built again: the template on disk was not used")

        store = dl.open({str(tmp_path / "store")!r})
        t = store.table("credit")
        lo = pd.Timestamp({str(START)!r})
        rows = t.filter((t.timestamp >= lo) & (t.timestamp < lo + pd.Timedelta(minutes=300)))
        got = fetch_over(rows, "by-region", never, cache=LRUCache(8))
        print(json.dumps(sorted(got.to_pylist(), key=lambda r: r["region"])))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=300, check=False
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == sorted(want.to_pylist(), key=lambda r: r["region"])


def test_a_template_read_from_disk_answers_like_ibis(logged, monkeypatch) -> None:
    store, _, _ = logged
    first = _window(store.table("credit"), 0, 300)
    fetch_over(first, "by-region", _by_region, cache=LRUCache(8))
    _new_process(monkeypatch)
    for lo, hi in [(0, 300), (200, 900)]:
        rows = _window(store.table("credit"), lo, hi)
        got = fetch_over(rows, "by-region", _never)
        want = _by_region(rows).to_pyarrow()
        assert got.schema == want.schema
        pd.testing.assert_frame_equal(_sorted(got), _sorted(want))


def test_another_key_schema_selection_or_version_misses(logged, monkeypatch, sql_dir) -> None:
    store, _, _ = logged
    t = store.table("credit")

    def count(rows):
        return rows.aggregate(n=rows.count())

    assert fetch_over(t, "n", count, cache=LRUCache(8)).to_pylist() == [{"n": 1000}]
    built: list[str] = []

    def counted(name):
        def build(rows):
            built.append(name)
            return rows.aggregate(n=rows.count(), s=rows.income.sum())

        return build

    fetch_over(t, "n+s", counted("key"), cache=LRUCache(8))
    fetch_over(t.select("region", "income"), "n+s", counted("schema"), cache=LRUCache(8))
    doubled = t.mutate(income=t.income * 2)
    got = fetch_over(doubled, "n+s", counted("selection"), cache=LRUCache(8)).to_pylist()
    assert got[0]["s"] == pytest.approx(2 * t.income.sum().to_pyarrow().as_py())
    monkeypatch.setattr(sqlglot, "__version__", "0.0.0-other")
    fetch_over(t, "n+s", counted("version"), cache=LRUCache(8))
    assert built == ["key", "schema", "selection", "version"]
    assert len(_templates(sql_dir)) == 5


def test_a_key_must_name_what_the_query_depends_on(logged, monkeypatch, sql_dir) -> None:
    """Two grids that differ only in where they start: the second process must not be handed the
    first one's counts (the key names the grid's bounds)."""
    store, _, b = logged
    t = store.table("credit")
    income = b["features"]["income"].to_numpy()
    lo, hi = float(income.min()), float(income.max())
    grids = [Grid("income", lo, hi, lo, hi, 1.0), Grid("income", lo + 1000.0, hi, lo, hi, 1.0)]
    for g in grids:
        _new_process(monkeypatch)
        got = numeric_counts(t, {"income": g})["income"]
        inner = income[(income >= g.lo) & (income <= g.hi)]
        want = np.floor((inner - g.lo) / g.width).astype(int)
        want = np.bincount(np.clip(want, -1, g.bins) + 1, minlength=g.bins + 2)
        assert got.grid_counts.sum() == len(income)
        assert got.grid_counts[1:-1].tolist() == want[1:-1].tolist()

    # a grid differing only in what the counting query does not read (its std) shares a template
    _new_process(monkeypatch)
    saved = _templates(sql_dir)
    assert len(saved) == 2
    numeric_counts(t, {"income": Grid("income", lo, hi, lo, hi, 2.0)})
    assert _templates(sql_dir) == saved


def test_drift_over_time_keys_its_window_length(logged, monkeypatch) -> None:
    store, _, _ = logged
    monkeypatch.setattr(store, "memo", lambda key, compute, **_: compute())
    by = {}
    for freq in ("2h", "4h"):
        _new_process(monkeypatch)
        by[freq] = dl.drift_over_time(store, "credit", freq=freq, reference=REF, window=CUR)
    monkeypatch.setattr(compiled, "PERSIST", False)
    _new_process(monkeypatch)
    alone = dl.drift_over_time(store, "credit", freq="4h", reference=REF, window=CUR)
    pd.testing.assert_frame_equal(by["4h"].table, alone.table)
    assert len(by["2h"].table) > len(by["4h"].table)


def test_a_corrupt_entry_is_ignored_and_written_again(logged, monkeypatch, sql_dir) -> None:
    store, _, _ = logged
    rows = _window(store.table("credit"), 0, 300)
    want = fetch_over(rows, "by-region", _by_region, cache=LRUCache(8))
    (entry,) = _templates(sql_dir)
    for damage in (b"", b"{not json", b'{"format": 1, "digest": "x", "sql": 1, "schema": ""}'):
        for saved in sql_dir.glob("*.json"):  # the template and the rows' compiled filter
            saved.write_bytes(damage)
        store.ibis.__dict__["_diaglab_sql"] = LRUCache(8)  # the filter compiled in memory: gone
        built: list[int] = []

        def build(rows, built=built):
            built.append(1)
            return _by_region(rows)

        got = fetch_over(rows, "by-region", build, cache=LRUCache(8))
        pd.testing.assert_frame_equal(_sorted(got), _sorted(want))
        assert built == [1]
        assert json.loads(entry.read_text())["sql"]  # compiled again and saved over the damage
    assert fetch_over(rows, "by-region", _never, cache=LRUCache(8)).num_rows == want.num_rows


def test_an_unwritable_cache_dir_means_no_persistence(logged, monkeypatch, tmp_path) -> None:
    store, _, _ = logged
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(blocker / "sql"))
    rows = _window(store.table("credit"), 0, 300)
    got = fetch_over(rows, "by-region", _by_region, cache=LRUCache(8))
    pd.testing.assert_frame_equal(_sorted(got), _sorted(_by_region(rows).to_pyarrow()))
    assert blocker.read_text() == "not a directory"


def test_the_cache_dir_follows_diaglab_cache_dir_then_xdg_then_home(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("DIAGLAB_CACHE_DIR")
    assert cache_dir() == tmp_path / "xdg" / "diaglab" / "sql"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "diaglab" / "sql"


def test_keys_without_a_stable_text_stay_in_memory(logged, sql_dir) -> None:
    store, _, _ = logged
    t = store.table("credit")
    cache = LRUCache(8)

    def count(rows):
        return rows.aggregate(n=rows.count())

    class Opaque:  # its repr holds its address: not the same text in another process
        pass

    key = ("count", Opaque())
    assert fetch_over(t, key, count, cache=cache).to_pylist() == [{"n": 1000}]
    assert fetch_over(t, key, _never, cache=cache).to_pylist() == [{"n": 1000}]
    assert not _templates(sql_dir)


def test_stable_repr_names_values_by_type_and_content() -> None:
    texts = [stable_repr(v) for v in (1, 1.0, True, "1", np.float64(1.0), None, (1,))]
    assert None not in texts and len(set(texts)) == len(texts)
    assert stable_repr(Grid("x", 0.0, 1.0, 0.0, 1.0, 0.5)) == stable_repr(
        Grid("x", 0.0, 1.0, 0.0, 1.0, 0.5)
    )
    assert stable_repr(Grid("x", 0.0, 1.0, 0.0, 1.0, 0.5)) != stable_repr(
        Grid("x", 0.0, 1.0, 0.0, 1.0, 0.25)
    )
    assert stable_repr(frozenset({"b", "a"})) == stable_repr(frozenset({"a", "b"}))
    assert stable_repr(pd.Timestamp("2026-01-01", tz="UTC")) is not None

    @dataclasses.dataclass
    class Mutable:
        x: int = 0

    for unstable in (object(), [1], {"a": 1}, Mutable(), ("ok", object())):
        assert stable_repr(unstable) is None


def test_a_recording_of_a_template_read_from_disk_shows_its_expression(logged, monkeypatch):
    store, _, _ = logged
    rows = _window(store.table("credit"), 0, 300)
    fetch_over(rows, "by-region", _by_region, cache=LRUCache(8))
    _new_process(monkeypatch)
    built: list[int] = []

    def build(rows):
        built.append(1)
        return _by_region(rows)

    fetch_over(rows, "by-region", build)
    assert built == []  # from disk: nothing built
    with recording(store) as rec:
        fetch_over(rows, "by-region", build)
    assert built == [1]  # built once, for the recorder
    assert "_diaglab_rows = " in (rec.text("ibis") or "") and "region" in (rec.text("ibis") or "")
    assert "_diaglab_rows" in (rec.text("sql") or "")


def test_the_cache_keeps_the_most_recently_used_entries(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(sql_cache, "PRUNE_EVERY", 1)
    monkeypatch.setattr(sql_cache, "MAX_ENTRIES", 3)
    monkeypatch.setattr(sql_cache, "KEEP", 2)
    disk = sql_cache.SqlCache(tmp_path / "d")
    schema = pa.schema([("n", pa.int64())])
    for i, name in enumerate(["a", "b", "c"]):
        assert disk.save(name, f"SELECT {i}", schema)
        os.utime(tmp_path / "d" / f"{name}.json", (1000 + i, 1000 + i))
    assert disk.load("a") == ("SELECT 0", schema)  # used now: the newest
    disk.save("d", "SELECT 3", schema)  # four entries: the two least recently used go
    assert sorted(p.stem for p in (tmp_path / "d").glob("*.json")) == ["a", "d"]
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(tmp_path / "d"))
    assert sql_cache.clear() == 2 and disk.load("a") is None


def test_an_expression_compiled_in_one_process_is_read_in_another(logged, monkeypatch) -> None:
    store, _, _ = logged
    backend = store.ibis

    def query():
        t = store.table("credit")
        return _by_region(_window(t, 0, 500)).order_by("region")

    first = backend.compile(query())
    backend.__dict__["_diaglab_sql"] = LRUCache(8)  # a new process: nothing compiled in memory

    def never(*args, **kwargs):
        raise AssertionError("compiled again: the SQL on disk was not used")

    with monkeypatch.context() as m:
        m.setattr(type(backend.compiler), "to_sqlglot", never)
        assert backend.compile(query()) == first
        with pytest.raises(AssertionError, match="compiled again"):
            backend.compile(_by_region(_window(store.table("credit"), 0, 501)))
    assert backend.con.sql(first).to_arrow_table().num_rows == 4


def test_an_expression_over_rows_held_in_memory_is_not_kept_on_disk(logged, sql_dir) -> None:
    store, _, _ = logged
    local = ibis.memtable(pd.DataFrame({"region": ["north"], "bonus": [1.0]}))
    before = set(sql_dir.glob("*.json")) if sql_dir.is_dir() else set()
    sql = store.ibis.compile(store.table("credit").join(local, "region"))
    assert "JOIN" in sql
    after = set(sql_dir.glob("*.json")) if sql_dir.is_dir() else set()
    assert after == before


def test_grid_bounds_do_not_carry_the_engines_last_bits() -> None:
    """A reference's mean and std differ in their last bits from run to run (parallel sums); the
    grid bounds, written into the counting query and its key, must not."""
    from diaglab.queries.binning import _steady

    lo, ref_min, ref_max = -10.353037071228027, -40.0, 133.6
    nudged = [lo, np.nextafter(lo, 0.0), np.nextafter(lo, -100.0), lo + 4e-15]
    assert len({_steady(x, ref_min, ref_max) for x in nudged}) == 1
    assert abs(_steady(lo, ref_min, ref_max) - lo) <= (ref_max - ref_min) / 2**30
    assert _steady(ref_min, ref_min, ref_max) == ref_min
    assert _steady(ref_max, ref_min, ref_max) == ref_max
    assert _steady(5.0, 5.0, 5.0) == 5.0  # a constant reference: no range to step over
