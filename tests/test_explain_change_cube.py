"""explain_change's cells from the counts kept per day (diagnostics/change/cells.py,
queries/cube.py) equal the same bins counted from the rows, within 1e-9; a stale cube fails the
comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from diaglab.queries import cube
from diaglab.store import cube_tables

START = pd.Timestamp("2026-01-01", tz="UTC")
DAYS = 18
REFERENCE = ("2026-01-01 06:30", "2026-01-09 13:00")
WINDOW = ("2026-01-09 13:00", "2026-01-18 20:15")


def frame(rng: np.random.Generator, n: int, shift: float = 0.0) -> pd.DataFrame:
    region = rng.choice(["north", "south", "east", "west"], n, p=[0.45, 0.3, 0.2, 0.05])
    region = region.astype(object)
    region[rng.random(n) < 0.02] = None
    income = rng.lognormal(10 + 0.2 * shift, 0.5, n).round(2)
    income[rng.random(n) < 0.01] = np.nan
    return pd.DataFrame(
        {"age": rng.normal(40 + 3 * shift, 12, n).round(), "income": income, "region": region}
    )


def score(f: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    z = (f["age"].to_numpy() - 40) / 12 + 0.5 * (f["region"] == "north").to_numpy()
    return 1 / (1 + np.exp(-z + rng.normal(0, 0.5, len(f))))


def log_days(
    store: dl.Store, rng: np.random.Generator, n: int, version: str, shift: float, days=DAYS
) -> list:
    ts = (START + pd.to_timedelta(np.sort(rng.random(n)) * days, unit="D")).floor("us")
    f = frame(rng, n, shift * ts.day.to_numpy() / days)
    return store.log(
        model="m", features=f, predictions=score(f, rng), timestamps=ts, model_version=version
    )


def labels_for(store: dl.Store, rng: np.random.Generator, ids: list, flip: float) -> None:
    y = rng.integers(0, 2, len(ids))
    store.log_labels(
        model="m", prediction_ids=ids, labels=np.where(rng.random(len(ids)) < flip, 1 - y, y)
    )


@pytest.fixture
def live(tmp_path):
    rng = np.random.default_rng(7)
    store = dl.open(tmp_path / "store")
    n = 3_000
    ref = frame(rng, n)
    store.set_reference(
        model="m",
        features=ref,
        labels=rng.integers(0, 2, n),
        predictions=score(ref, rng),
        categorical=["region"],
    )
    ids = log_days(store, rng, 4_000, "v1", 1.0) + log_days(store, rng, 2_000, "v2", 2.0)
    labels_for(store, rng, ids[::2], 0.3)
    yield store, rng, ids
    store.close()


def explained(store, monkeypatch=None, **kwargs):
    kwargs = {"reference": REFERENCE, "window": WINDOW, "search": False, **kwargs}
    if monkeypatch is None:
        return dl.explain_change(store, "m", **kwargs)
    with monkeypatch.context() as m:
        m.setattr(cube, "usable", lambda store: False)
        return dl.explain_change(store, "m", **kwargs)


def assert_close(kept, rows) -> None:
    assert kept.path.startswith("cube") and rows.path == "rows"
    for name in ("table", "features", "slices"):
        pd.testing.assert_frame_equal(
            getattr(kept, name), getattr(rows, name), check_exact=False, rtol=0, atol=1e-9
        )
    pd.testing.assert_frame_equal(
        kept.labels.selection, rows.labels.selection, check_exact=False, rtol=0, atol=1e-9
    )
    for field in ("value_reference", "value_window", "change_lower", "change_upper"):
        assert getattr(kept, field) == pytest.approx(getattr(rows, field), abs=1e-9)
    assert (kept.n_reference, kept.n_window) == (rows.n_reference, rows.n_window)
    assert kept.covariate.covariate == pytest.approx(
        rows.covariate.covariate, abs=1e-9, nan_ok=True
    )  # both refused (NaN) when the sample overlaps too little
    assert kept.summary == rows.summary


def test_the_cube_gives_the_row_paths_result_for_the_same_bins(live, monkeypatch):
    store, _, _ = live
    for kwargs in ({}, {"version": "v2"}, {"metrics": "accuracy"}, {"by": ["age", "region"]}):
        kept = explained(store, **kwargs)
        assert_close(kept, explained(store, monkeypatch, **kwargs))
    # the bins are unions of the reference grid's cells: their edges are grid edges
    grid_edges = set(np.round(cube_grid(store, "age"), 9))
    ages = kept.slices[kept.slices["feature"] == "age"]
    assert len(ages) >= 3
    assert all(round(e, 9) in grid_edges for e in bin_edges(ages["bin"]))
    # the sums add up: mix + rate = change, and the realized error is the labelled rows' mean
    for f in kept.features.itertuples():
        assert f.mix + f.rate == pytest.approx(kept.change, abs=1e-9)


def cube_grid(store, feature):
    from diaglab.diagnostics.drift.query import prepare

    return prepare(store, "m", None, None, None, None, None).grids[feature].edges


def bin_edges(labels: pd.Series) -> list[float]:
    out = []
    for label in labels:
        for part in str(label).replace("<", " ").replace(">=", " ").split("–"):
            part = part.strip().replace(",", "")
            if part and part[0].isdigit():
                out.append(float(part))
    return out


def test_late_labels_and_other_processes_rows_are_counted(live, monkeypatch):
    store, rng, ids = live
    assert_close(explained(store), explained(store, monkeypatch))
    # late labels for days already counted, some relabelled
    labels_for(store, rng, ids[1::2][:2_000] + ids[:400:2], 0.5)
    assert_close(explained(store), explained(store, monkeypatch))
    # rows and labels of counted days from another process, ingested at a refresh
    other = dl.open(store.path, read_only=True)
    try:
        new = log_days(other, rng, 1_500, "v1", 3.0)
        labels_for(other, rng, new[::3], 0.1)
    finally:
        other.close()
    store.refresh()
    for kwargs in ({}, {"version": "v1"}):
        assert_close(explained(store, **kwargs), explained(store, monkeypatch, **kwargs))


def test_a_stale_cube_is_caught(live, monkeypatch):
    """The comparison above fails when the cube misses labels that arrived after it."""
    store, rng, ids = live
    explained(store)  # builds the cube
    monkeypatch.setattr(cube_tables, "dirty_days", lambda *a, **k: [])
    labels_for(store, rng, ids[1::2], 0.5)
    with pytest.raises(AssertionError):
        assert_close(explained(store), explained(store, monkeypatch))


def test_where_threshold_and_read_only_count_the_rows(live):
    store, _, _ = live
    assert explained(store, where="region = 'north'").path == "rows"
    assert explained(store, threshold=0.3).path == "rows"
    assert explained(store, metrics="brier_score").path == "rows"
    kept = explained(store)
    other = dl.open(store.path, read_only=True)
    try:
        rows = explained(other)
    finally:
        other.close()
    assert rows.path == "rows"
    pd.testing.assert_frame_equal(kept.slices, rows.slices, check_exact=False, rtol=0, atol=1e-9)


def test_short_periods_take_hourly_blocks_from_the_rows(live):
    store, _, _ = live
    r = explained(
        store, reference=("2026-01-02", "2026-01-05"), window=("2026-01-12", "2026-01-16")
    )
    assert r.path == "rows"
    assert r.features["mix"].add(r.features["rate"]).sub(r.change).abs().max() < 1e-9


def test_a_regression_s_mse_and_rmse_come_from_the_cube(tmp_path, monkeypatch):
    rng = np.random.default_rng(11)
    store = dl.open(tmp_path / "reg")
    try:
        ref = frame(rng, 2_000)
        store.set_reference(
            model="m",
            features=ref,
            labels=ref["age"].to_numpy() * 2,
            predictions=ref["age"].to_numpy() * 2,
            categorical=["region"],
            task="regression",
        )
        n = 5_000
        ts = (START + pd.to_timedelta(np.sort(rng.random(n)) * DAYS, unit="D")).floor("us")
        f = frame(rng, n, 1.0)
        pred = f["age"].fillna(40).to_numpy() * 2
        noise = rng.normal(0, 1 + (ts.day.to_numpy() > 9) * (f["region"] == "north"), n)
        ids = store.log(model="m", features=f, predictions=pred, timestamps=ts, task="regression")
        store.log_labels(model="m", prediction_ids=ids[::2], labels=(pred + noise)[::2])
        for metric in ("mse", "rmse"):
            kept = explained(store, metrics=metric)
            assert_close(kept, explained(store, monkeypatch, metrics=metric))
        assert explained(store, metrics="mae").path == "rows"
    finally:
        store.close()


def test_a_window_moved_by_a_day_samples_and_counts_only_its_new_day(live, monkeypatch):
    """Each period's classifier sample and score counts are kept per UTC day: moving the window
    by one whole day reads one day's rows, and gives what the rows give (the row path draws the
    same hashed sample from the whole period)."""
    from diaglab.diagnostics.change import daily

    store, _, _ = live
    read: list[tuple[str, int]] = []
    for name in ("_hashed", "_by_day"):
        real = getattr(daily, name)

        def spy(rows, *args, _real=real, _name=name, **kwargs):
            got = _real(rows, *args, **kwargs)
            read.append((_name, len(got)))
            return got

        monkeypatch.setattr(daily, name, spy)
    reference, window = ("2026-01-01", "2026-01-08"), ("2026-01-09", "2026-01-16")
    explained(store, reference=reference, window=window)
    assert len(read) == 4  # per period: one query of its days' sample, one of their counts
    read.clear()
    moved = ("2026-01-10", "2026-01-17")
    kept = explained(store, reference=reference, window=moved)
    assert sorted(name for name, _ in read) == ["_by_day", "_hashed"]  # the window's new day
    day = dict(read)
    assert 0 < day["_hashed"] < kept.sample["window"]
    assert_close(kept, explained(store, monkeypatch, reference=reference, window=moved))
