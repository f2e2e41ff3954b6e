"""find_slices from the cells kept per day (diagnostics/slices/cube.py) equals the search that
counts the window's rows: every slice counted (the same keys and counts, sums within 1e-9) and
the reported table; a stale cube fails the comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from diaglab.diagnostics.slices import cube as slice_cube
from diaglab.diagnostics.slices import search
from diaglab.store import cube_tables

START = pd.Timestamp("2026-01-01", tz="UTC")
DAYS = 16
WINDOW = ("2026-01-03 07:30", "2026-01-13 16:45")


def frame(rng: np.random.Generator, n: int, regions=("north", "south", "east", "west")):
    region = rng.choice(list(regions), n).astype(object)
    region[rng.random(n) < 0.02] = None
    income = rng.lognormal(10, 0.5, n).round(2)
    income[rng.random(n) < 0.01] = np.nan
    channel = rng.choice(["web", "app", "branch"], n, p=[0.6, 0.3, 0.1])
    return pd.DataFrame(
        {
            "age": rng.normal(40, 12, n).round(),
            "income": income,
            "region": region,
            "channel": channel,
        }
    )


def log_days(store, rng, n, version, *, regions=("north", "south", "east", "west"), start=START):
    ts = (start + pd.to_timedelta(np.sort(rng.random(n)) * DAYS, unit="D")).floor("us")
    f = frame(rng, n, regions)
    z = (f["age"].to_numpy() - 40) / 12
    scores = 1 / (1 + np.exp(-z + rng.normal(0, 0.5, n)))
    ids = store.log(model="m", features=f, predictions=scores, timestamps=ts, model_version=version)
    # the model is wrong more often for older applicants in the north
    worse = ((f["region"] == "north") & (f["age"] > 48)).to_numpy()
    y = (scores >= 0.5).astype(int)
    flip = rng.random(n) < np.where(worse, 0.45, 0.15)
    return ids, np.where(flip, 1 - y, y)


@pytest.fixture
def live(tmp_path):
    rng = np.random.default_rng(3)
    store = dl.open(tmp_path / "store")
    ref = frame(rng, 3_000)
    store.set_reference(
        model="m",
        features=ref,
        labels=rng.integers(0, 2, 3_000),
        predictions=rng.random(3_000),
        categorical=["region", "channel"],
    )
    ids, y = log_days(store, rng, 5_000, "v1")
    ids2, y2 = log_days(store, rng, 3_000, "v2")
    store.log_labels(model="m", prediction_ids=ids[::2] + ids2[::2], labels=[*y[::2], *y2[::2]])
    yield store, rng, (ids, y)
    store.close()


def searched(store, monkeypatch, *, rows: bool = False, **kwargs):
    """The reported table and every slice the search counted, and whether the cube answered."""
    got: dict = {}
    real_search, real_cells = search._search, slice_cube.window_cells

    def spy(*a, **k):
        got["evaluated"] = real_search(*a, **k)[0]
        return got["evaluated"], False

    def cells(*a, **k):
        got["cube"] = None if rows else real_cells(*a, **k)
        return got["cube"]

    kwargs = {"window": WINDOW, **kwargs}
    with monkeypatch.context() as m:
        m.setattr(search, "_search", spy)
        m.setattr(slice_cube, "window_cells", cells)
        found = dl.find_slices(store, "m", **kwargs)
    return found, got["evaluated"], got.get("cube") is not None


def assert_same(store, monkeypatch, **kwargs) -> None:
    kept, kept_all, from_cube = searched(store, monkeypatch, **kwargs)
    rows, rows_all, _ = searched(store, monkeypatch, rows=True, **kwargs)
    assert from_cube
    a = kept_all.sort_values("key", key=lambda s: s.map(str)).reset_index(drop=True)
    b = rows_all.sort_values("key", key=lambda s: s.map(str)).reset_index(drop=True)
    assert list(a["key"]) == list(b["key"])
    assert len(a) >= 20
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=0, atol=1e-9)
    t1, t2 = kept.table.drop(columns="slice"), rows.table.drop(columns="slice")
    pd.testing.assert_frame_equal(t1, t2, check_exact=False, rtol=0, atol=1e-9)
    misses = [pd.DataFrame(r.nearest_misses) for r in (kept, rows)]
    pd.testing.assert_frame_equal(*misses, check_exact=False, rtol=0, atol=1e-9)


def test_the_cube_gives_the_row_paths_search(live, monkeypatch):
    store, _, _ = live
    assert_same(store, monkeypatch)
    found, evaluated, _ = searched(store, monkeypatch)
    assert any("north" in p for p in found.table["predicate"])  # the planted slice
    assert set(evaluated["level"]) == {1, 2, 3}
    for kwargs in (
        {"version": "v1"},
        {"window": ("2026-01-04", "2026-01-11")},  # whole days only
        {"window": None},
        {"metrics": "log_loss"},
        {"max_conditions": 2, "k": 3},
    ):
        assert_same(store, monkeypatch, **kwargs)


def test_late_labels_new_values_and_other_processes_rows_are_counted(live, monkeypatch):
    store, rng, (ids, y) = live
    assert_same(store, monkeypatch)
    # late labels for days already counted
    store.log_labels(model="m", prediction_ids=ids[1::2][:1_500], labels=y[1::2][:1_500])
    assert_same(store, monkeypatch)
    # a region the cube has not numbered yet, in days already counted: the window keeps it as
    # a bin of its own, which the cube answers only once it has numbered it
    new, y_new = log_days(store, rng, 1_500, "v1", regions=("north", "far"))
    store.log_labels(model="m", prediction_ids=new, labels=y_new)
    assert_same(store, monkeypatch)
    # rows and labels of counted days from another process, ingested at a refresh
    other = dl.open(store.path, read_only=True)
    try:
        more, y_more = log_days(other, rng, 1_000, "v2")
        other.log_labels(model="m", prediction_ids=more[::2], labels=y_more[::2])
    finally:
        other.close()
    store.refresh()
    assert_same(store, monkeypatch)
    assert_same(store, monkeypatch, version="v1")


def test_a_stale_cube_is_caught(live, monkeypatch):
    """The comparison above fails when the cube misses labels that arrived after it."""
    store, _, (ids, y) = live
    searched(store, monkeypatch)  # builds the cube
    monkeypatch.setattr(cube_tables, "dirty_days", lambda *a, **k: [])
    store.log_labels(model="m", prediction_ids=ids[1::2], labels=y[1::2])
    with pytest.raises(AssertionError):
        assert_same(store, monkeypatch)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"where": "region = 'north'"},
        {"threshold": 0.3},
        {"max_conditions": 4},
        {"compare": (("2026-01-01", "2026-01-08"), ("2026-01-08", "2026-01-16"))},
        {"window": ("2026-01-05 03:00", "2026-01-05 20:00")},  # no whole day
        {"bins": {"age": [30, 50]}},
        {"version": "v2"},  # no reference of v2: its bins are the window's quantiles
    ],
)
def test_what_the_cube_cannot_answer_counts_the_rows(live, monkeypatch, kwargs):
    store, _, _ = live
    _, _, from_cube = searched(store, monkeypatch, **kwargs)
    assert not from_cube


def test_a_read_only_store_counts_the_rows(live, monkeypatch):
    store, _, _ = live
    kept, _, _ = searched(store, monkeypatch)
    other = dl.open(store.path, read_only=True)
    try:
        rows, _, from_cube = searched(other, monkeypatch)
    finally:
        other.close()
    assert not from_cube
    pd.testing.assert_frame_equal(
        kept.table.drop(columns="slice"),
        rows.table.drop(columns="slice"),
        check_exact=False,
        rtol=0,
        atol=1e-9,
    )
