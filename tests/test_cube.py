"""Counts kept per day (queries/cube.py): dl.drift from them equals dl.drift from the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from diaglab.queries import cube
from diaglab.store import cube_tables

START = pd.Timestamp("2026-01-01", tz="UTC")
DAYS = 8


def frame(rng: np.random.Generator, n: int, shift: float = 0.0) -> pd.DataFrame:
    region = rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2]).astype(object)
    region[rng.random(n) < 0.02] = None
    income = rng.lognormal(10, 0.5, n).round(2)
    income[rng.random(n) < 0.01] = np.nan
    return pd.DataFrame(
        {
            "age": rng.normal(40 + shift, 12, n).round(),
            "income": income,
            "calm": rng.normal(shift, 1, n),
            "region": region,
        }
    )


def log_days(store: dl.Store, rng: np.random.Generator, n: int, version: str, shift: float) -> list:
    ts = (START + pd.to_timedelta(np.sort(rng.random(n)) * DAYS, unit="D")).floor("us")
    return store.log(
        model="m",
        features=frame(rng, n, shift),
        predictions=rng.random(n),
        timestamps=ts,
        model_version=version,
    )


@pytest.fixture
def live(tmp_path):
    rng = np.random.default_rng(3)
    store = dl.open(tmp_path / "store")
    n = 4_000
    store.set_reference(
        model="m",
        features=frame(rng, n),
        labels=rng.integers(0, 2, n),
        predictions=rng.random(n),
        categorical=["region"],
    )
    ids = log_days(store, rng, 3_000, "v1", 0.0) + log_days(store, rng, 2_000, "v2", 1.0)
    store.log_labels(model="m", prediction_ids=ids[::4], labels=rng.integers(0, 2, len(ids[::4])))
    yield store, rng, ids
    store.close()


def from_rows(store, monkeypatch, **kwargs):
    with monkeypatch.context() as m:
        m.setattr(cube, "usable", lambda store: False)
        return dl.drift(store, "m", **kwargs)


def assert_same(store, monkeypatch, **kwargs):
    kept = dl.drift(store, "m", **kwargs)
    rows = from_rows(store, monkeypatch, **kwargs)
    pd.testing.assert_frame_equal(kept.table, rows.table, check_exact=True)
    for f, dist in rows.distributions.items():
        pd.testing.assert_frame_equal(kept.distributions[f].bins, dist.bins, check_exact=True)


def windows(rng: np.random.Generator, k: int) -> list[tuple]:
    out: list[tuple] = [(None, None), ("2026-01-02", "2026-01-06"), ("2026-01-03", None)]
    for _ in range(k):
        a, b = sorted(rng.random(2) * (DAYS + 1))
        start = (START + pd.Timedelta(days=float(a))).floor("us")
        end = (START + pd.Timedelta(days=float(max(b, a + 0.01)))).floor("us")
        out.append((start, end))
        out.append((start.floor("D"), end.ceil("D")))
    return out


def cube_count(store) -> int:
    rows = store.ibis.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'cube' "
        "AND table_name LIKE 'm:%'"
    ).fetchall()
    return int(rows[0][0])


def test_any_window_from_the_cube_equals_the_rows(live, monkeypatch):
    store, rng, _ = live
    for window in windows(rng, 6):
        for version in (None, "v2"):
            assert_same(store, monkeypatch, window=window, version=version)
        for features in (["age"], ["region"], []):  # a drift explorer's selected row
            assert_same(store, monkeypatch, window=window, features=features)
    assert cube_count(store) == 2  # built once: counts per day, numeric and categorical


def test_rows_and_labels_logged_after_the_cube_was_built_are_counted(live, monkeypatch, tmp_path):
    store, rng, ids = live
    window = ("2026-01-02 07:00", "2026-01-07 13:00")
    assert_same(store, monkeypatch, window=window)
    # late labels for predictions of days the cube already counted, some relabelled
    late = ids[1::4] + ids[:40:4]
    store.log_labels(model="m", prediction_ids=late, labels=rng.integers(0, 2, len(late)))
    assert_same(store, monkeypatch, window=window)
    # rows of counted days logged here, then by another process and ingested at a refresh
    log_days(store, rng, 500, "v1", 2.0)
    other = dl.open(store.path, read_only=True)
    try:
        new_ids = log_days(other, rng, 700, "v2", -1.0)
        other.log_labels(model="m", prediction_ids=new_ids[::2], labels=np.ones(350))
        other.log_labels(model="m", prediction_ids=ids[2::4], labels=np.zeros(len(ids[2::4])))
    finally:
        other.close()
    store.refresh()
    for w in (window, None, ("2026-01-04", "2026-01-06")):
        for version in (None, "v1", "v2"):
            assert_same(store, monkeypatch, window=w, version=version)


def test_a_stale_cube_is_caught(live, monkeypatch):
    """The comparison the other tests make fails when the cube misses rows logged after it."""
    store, rng, _ = live
    window = ("2026-01-02", "2026-01-07")
    dl.drift(store, "m", window=window)
    log_days(store, rng, 800, "v1", 3.0)
    with monkeypatch.context() as m:  # the ledger's news ignored: the cube stays as it was
        m.setattr(cube_tables, "dirty_days", lambda *a: [])
        stale = dl.drift(store, "m", window=window)
    rows = from_rows(store, monkeypatch, window=window)
    assert not stale.table["n_current"].equals(rows.table["n_current"])


def test_the_cube_outlives_the_session_and_a_new_reference_gets_its_own(live, monkeypatch):
    store, rng, _ = live
    window = ("2026-01-02 12:00", "2026-01-06")
    assert_same(store, monkeypatch, window=window)
    built = store.ibis.con.execute("SELECT key, built_at FROM cube.catalog").fetchall()
    path = store.path
    store.close()
    again = dl.open(path)
    try:
        assert_same(again, monkeypatch, window=window)
        assert again.ibis.con.execute("SELECT key, built_at FROM cube.catalog").fetchall() == built
        n = 3_000
        again.set_reference(
            model="m",
            features=frame(rng, n, 5.0),
            labels=rng.integers(0, 2, n),
            predictions=rng.random(n),
            categorical=["region"],
        )
        assert_same(again, monkeypatch, window=window)
        assert len(again.ibis.con.execute("SELECT key FROM cube.catalog").fetchall()) == 2
    finally:
        again.close()


def test_a_read_only_store_answers_from_the_rows(live, monkeypatch):
    store, *_ = live
    other = dl.open(store.path, read_only=True)
    try:
        assert not cube.usable(other)
        rep = dl.drift(other, "m", window=("2026-01-02", "2026-01-05"))
    finally:
        other.close()
    rows = from_rows(store, monkeypatch, window=("2026-01-02", "2026-01-05"))
    pd.testing.assert_frame_equal(rep.table, rows.table, check_exact=True)
    assert cube_count(store) == 0


def test_an_older_segment_replacing_a_stored_copy_recounts_both_days(live, monkeypatch):
    """A producer's segment written before the notebook's but ingested after it holds the
    winning copy of a repeated id (the oldest segment's): the losing copy's day is counted
    again as well as the new rows' day."""
    store, rng, _ = live
    day2 = pd.Timestamp("2026-01-03 10:00", tz="UTC")
    day5 = pd.Timestamp("2026-01-06 10:00", tz="UTC")
    features = frame(rng, 30)
    with dl.Logger(store.path, model="m", flush_rows=10_000) as logger:
        logger.log(
            features,
            rng.random(30),
            prediction_id=[f"dup{k}" for k in range(30)],
            timestamp=[day2] * 30,
        )
    store.log(
        model="m",
        features=frame(rng, 30, 9.0),
        predictions=rng.random(30),
        prediction_ids=[f"dup{k}" for k in range(30)],
        timestamps=[day5] * 30,
        model_version="v1",
    )
    window = ("2026-01-02 06:00", "2026-01-07 18:00")
    assert_same(store, monkeypatch, window=window)  # the cube counts the notebook's copies
    store.refresh()  # the producer's older segment: its copies win
    ids = store.table("m").filter(store.table("m").prediction_id == "dup0").timestamp
    assert ids.to_pyarrow().to_pylist()[0] == day2.to_pydatetime()
    for w in (window, ("2026-01-05", "2026-01-07"), ("2026-01-03", "2026-01-04")):
        assert_same(store, monkeypatch, window=w)


def test_a_new_threshold_gets_a_cube_of_its_own_decisions(live, monkeypatch):
    store, *_ = live
    window = ("2026-01-02 12:00", "2026-01-07")
    assert_same(store, monkeypatch, window=window)
    store.set_threshold("m", 0.8)
    assert_same(store, monkeypatch, window=window)
    rows = store.ibis.con.execute("SELECT count(*) FROM cube.catalog").fetchall()
    assert rows[0][0] == 2
    assert_same(store, monkeypatch, window=window, threshold=0.3)  # an override: the rows


def over_time(store, monkeypatch, *, rows: bool, **kwargs):
    with monkeypatch.context() as m:
        if rows:
            m.setattr(cube, "usable", lambda store: False)
        else:
            m.setattr(cube, "window_cells", counted(cube.window_cells))
        return dl.drift_over_time(store, "m", **kwargs)


CALLS: list[int] = []


def counted(fn):
    def wrapper(*args, **kwargs):
        CALLS.append(1)
        return fn(*args, **kwargs)

    return wrapper


def assert_same_over_time(store, monkeypatch, *, kept: bool = True, **kwargs):
    before = len(CALLS)
    fast = over_time(store, monkeypatch, rows=False, **kwargs)
    assert (len(CALLS) > before) == kept  # the cube answered (or, for hours, did not)
    slow = over_time(store, monkeypatch, rows=True, **kwargs)
    pd.testing.assert_frame_equal(fast.table, slow.table, check_exact=True)
    assert fast.bands == slow.bands


def test_drift_over_time_of_whole_days_sums_the_cube(live, monkeypatch):
    store, rng, _ = live
    cases = [
        {"freq": "1D"},
        {"freq": "W", "window": ("2026-01-02 05:00", "2026-01-08 17:00")},
        {"freq": "2D", "window": ("2026-01-02", "2026-01-07 13:00"), "version": "v2"},
        {"freq": "M", "features": ["age", "region"]},
    ]
    for kwargs in cases:
        assert_same_over_time(store, monkeypatch, **kwargs)
    assert_same_over_time(store, monkeypatch, kept=False, freq="6h")
    assert_same_over_time(store, monkeypatch, kept=False, freq="1D", tz="Europe/Paris")
    # rows logged after the cube was built, on days it counted
    log_days(store, rng, 400, "v1", 3.0)
    for kwargs in cases[:2]:
        assert_same_over_time(store, monkeypatch, **kwargs)
