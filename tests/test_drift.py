"""dl.drift and dl.drift_over_time on stores with planted drift, and on bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import diaglab as dl

START = pd.Timestamp("2026-01-01", tz="UTC")


def frame(rng, n, *, age_shift=0.0, new_category=0.0):
    region = rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2]).astype(object)
    region[rng.random(n) < new_category] = "space"
    return pd.DataFrame(
        {
            "age": rng.normal(40 + age_shift, 12, n).round(),
            "income": rng.lognormal(10, 0.5, n).round(2),
            "calm": rng.normal(0, 1, n),
            "region": region,
            "constant": np.ones(n),
            "empty": np.full(n, np.nan),
        }
    )


@pytest.fixture(scope="module")
def drifted(tmp_path_factory):
    rng = np.random.default_rng(7)
    store = dl.open(tmp_path_factory.mktemp("drift") / "store")
    n = 60_000
    ref = frame(rng, n)
    store.set_reference(
        model="m",
        features=ref,
        labels=rng.integers(0, 2, n),
        predictions=rng.random(n),
        categorical=["region"],
    )
    before = frame(rng, n)
    after = frame(rng, n, age_shift=4.0, new_category=0.05)
    ts = START + pd.to_timedelta(np.sort(rng.random(2 * n)) * 60, unit="D")
    ids = store.log(
        model="m",
        features=pd.concat([before, after], ignore_index=True),
        predictions=rng.random(2 * n),
        timestamps=ts,
    )
    store.log_labels(model="m", prediction_ids=ids[::3], labels=rng.integers(0, 2, len(ids[::3])))
    yield store, ref, before, after, ts
    store.close()


def test_planted_drift_ranks_first_and_calm_features_stay_calm(drifted):
    store, *_ = drifted
    rep = dl.drift(store, "m", window=("2026-01-31", "2026-03-02"))
    table = rep.table.set_index("feature")
    assert list(rep.table.feature[:2]) == ["age", "region"]  # most severe first
    assert table.loc["age", "severity"] in ("moderate", "major")
    assert table.loc["region", "drifted"]
    assert "space" in table.loc["region", "new_categories"]
    for calm in ("income", "calm", "constant", "prediction", "label"):
        assert table.loc[calm, "severity"] == "none", calm
    assert table.loc["age", "n_reference"] == 60_000


def test_before_the_drift_nothing_moves(drifted):
    store, *_ = drifted
    rep = dl.drift(store, "m", window=("2026-01-01", "2026-01-29"))
    assert (rep.table.severity == "none").all(), rep.table[["feature", "severity"]]


def test_binned_ks_brackets_scipy_on_the_same_rows(drifted):
    store, ref, *_ = drifted
    rep = dl.drift(store, "m", window=("2026-01-31", "2026-03-02"))
    cur = store.table("m")
    cur = cur.filter(cur.timestamp >= pd.Timestamp("2026-01-31", tz="UTC").to_pydatetime())
    income = cur.income.execute().to_numpy()
    exact = stats.ks_2samp(ref.income, income).statistic
    r = rep["income"]
    assert r.ks_statistic <= exact + 1e-12 <= r.ks_upper_bound + 1e-12
    w_exact = stats.wasserstein_distance(ref.income, income) / ref.income.std(ddof=0)
    assert abs(r.wasserstein - w_exact) <= r.wasserstein_error_bound + 1e-9


def test_where_narrows_both_sides(drifted):
    store, *_ = drifted
    rep = dl.drift(store, "m", window=("2026-01-31", "2026-03-02"), where="region = 'north'")
    assert rep["age"].n_reference < 40_000 and rep["age"].severity != "none"
    with pytest.raises(dl.FilterError, match="unknown column 'regon'"):
        dl.drift(store, "m", where="regon = 'north'")
    with pytest.raises(dl.FilterError):
        dl.drift(store, "m", where="region = 'north'; drop table m")


def test_bad_input_gives_a_clear_result_or_error(drifted):
    store, *_ = drifted
    rep = dl.drift(store, "m", window=("2027-01-01", "2027-02-01"))  # no rows
    assert (rep.table.n_current == 0).all() and (rep.table.severity == "none").all()
    assert rep.table.reason.notna().all()
    empty = dl.drift(store, "m", window=("2026-01-31", "2026-03-02"))["empty"]
    assert empty.severity == "none" and empty.reason
    with pytest.raises(dl.UnknownNameError, match="unknown feature 'agee'"):
        dl.drift(store, "m", features=["agee"])
    with pytest.raises(dl.InputError, match="not after its start"):
        dl.drift(store, "m", window=("2026-02-01", "2026-01-01"))
    with pytest.raises(dl.UnknownNameError, match="unknown model"):
        dl.drift(store, "nope")


def test_feature_absent_from_the_reference_is_reported(drifted, tmp_path):
    store = dl.open(tmp_path / "s")
    rng = np.random.default_rng(0)
    store.set_reference(model="m", features=pd.DataFrame({"a": rng.normal(size=500)}))
    store.log(
        model="m",
        features=pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)}),
        predictions=rng.random(500),
    )
    rep = dl.drift(store, "m")
    assert rep["b"].severity == "none" and "reference" in rep["b"].reason


def test_production_window_as_reference(drifted):
    store, *_ = drifted
    rep = dl.drift(
        store, "m", window=("2026-02-05", "2026-03-02"), reference=("2026-01-01", "2026-01-25")
    )
    assert rep.table.set_index("feature").loc["age", "drifted"]
    assert rep.reference.startswith("production window")


def test_drift_over_time_flags_windows_after_the_drift(drifted):
    store, *_ = drifted
    over = dl.drift_over_time(store, "m", freq="7D", features=["age", "calm"])
    age = over.feature("age")
    late = age[age.window_start >= pd.Timestamp("2026-02-05", tz="UTC")]
    early = age[age.window_end <= pd.Timestamp("2026-01-30", tz="UTC")]
    assert late.alert.all() and not early.alert.any()
    assert not over.feature("calm").alert.any()
    low, high = over.bands["age"]
    assert 0 <= low < high
    with pytest.raises(dl.UnknownNameError, match="statistic"):
        dl.drift_over_time(store, "m", statistic="median")
    with pytest.raises(dl.InputError, match="freq"):
        dl.drift_over_time(store, "m", freq="bogus")


def test_the_reference_profile_outlives_new_predictions_not_a_new_reference(tmp_path, monkeypatch):
    """Logging predictions or labels keeps the registered reference's binned profile; a new
    reference, and a production window as reference, are profiled again."""
    from diaglab.diagnostics.drift import query as drift_queries

    profiled = []
    real = drift_queries.reference_grids
    monkeypatch.setattr(
        drift_queries, "reference_grids", lambda t, cols: profiled.append(1) or real(t, cols)
    )
    rng = np.random.default_rng(3)
    store = dl.open(tmp_path / "s")
    store.set_reference(model="m", features=frame(rng, 2_000), labels=rng.integers(0, 2, 2_000))
    ids = store.log(model="m", features=frame(rng, 2_000), predictions=rng.random(2_000))
    first = dl.drift(store, "m")
    assert len(profiled) == 1
    store.log(model="m", features=frame(rng, 500, age_shift=30), predictions=rng.random(500))
    store.log_labels(model="m", prediction_ids=ids[:100], labels=rng.integers(0, 2, 100))
    after = dl.drift(store, "m")
    assert len(profiled) == 1
    # the current side is new: the shifted rows move age
    assert (
        after.table.set_index("feature").loc["age", "psi"]
        > first.table.set_index("feature").loc["age", "psi"]
    )
    window = (START - pd.Timedelta(days=3650), START + pd.Timedelta(days=3650))
    dl.drift(store, "m", reference=window)
    dl.drift(store, "m", reference=window)
    assert len(profiled) == 2  # a production window: kept until the next ingest only
    store.log(model="m", features=frame(rng, 10), predictions=rng.random(10))
    dl.drift(store, "m", reference=window)
    assert len(profiled) == 3
    shifted = frame(rng, 2_000, age_shift=30)
    store.set_reference(model="m", features=shifted, labels=rng.integers(0, 2, 2_000))
    replaced = dl.drift(store, "m")
    assert len(profiled) == 4
    assert (
        replaced.table.set_index("feature").loc["age", "psi"]
        != after.table.set_index("feature").loc["age", "psi"]
    )
    store.close()


def test_integer_features_are_binned_on_whole_numbers_and_say_so(tmp_path):
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(4)
    ref_age = rng.integers(18, 81, 5_000).astype(float)
    cur_age = np.minimum(rng.integers(18, 81, 4_000) + 1, 80).astype(float)
    store = dl.open(tmp_path / "s")
    store.set_reference(
        model="m", features=pd.DataFrame({"age": ref_age, "x": rng.normal(size=5_000)})
    )
    ts = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(np.arange(4_000), unit="min")
    store.log(
        model="m",
        features=pd.DataFrame({"age": cur_age, "x": rng.normal(size=4_000)}),
        predictions=rng.random(4_000),
        timestamps=ts,
    )
    rep = dl.drift(store, "m")
    age = rep.distribution("age")
    edges = np.concatenate([age.bins["left"], age.bins["right"]])
    assert np.all(edges == np.round(edges)), edges  # no 21.053
    assert age.binning == "one bin per distinct whole-number value"
    assert rep.distribution("x").binning == "quantile bins of about equal reference mass"
    # the values are point masses: the Wasserstein distance is exact, not a binned bound
    exact = wasserstein_distance(ref_age, cur_age) / ref_age.std()
    assert rep["age"].wasserstein == pytest.approx(exact, rel=1e-9)
    store.close()


def test_wide_drift_counts_each_feature_once_over_its_own_columns(tmp_path, monkeypatch):
    """Each side's features are counted once each, by queries built over only the columns they
    read (Ibis compiled every query over the projection of every feature: seconds per 32 features
    at 1,000); the long layout Spark runs gives the same table as DuckDB's branches."""
    from diaglab.queries import binning, cube

    rng = np.random.default_rng(6)
    names = [f"f{i:02d}" for i in range(40)]
    shifts = np.linspace(0, 0.8, 40)  # a mix-up between features would change their statistics
    ref = pd.DataFrame(rng.normal(0, 1, (1_000, 40)), columns=names)
    ref["c"] = rng.choice(["a", "b"], 1_000)
    cur = pd.DataFrame(rng.normal(shifts, 1, (800, 40)), columns=names)
    cur["c"] = rng.choice(["a", "b", "z"], 800)
    store = dl.open(tmp_path / "s")
    store.set_reference(model="m", features=ref)
    store.log(model="m", features=cur, predictions=rng.random(800))
    counted: dict[str, list[str]] = {}
    fetch = binning.fetch_over

    def spy(table, key, build):
        features = [f[0] if isinstance(f, tuple) else f for f in key[1]]
        assert list(table.columns) == features  # the query sees only what it counts
        counted.setdefault(key[0], []).extend(features)
        return fetch(table, key, build)

    monkeypatch.setattr(binning, "fetch_over", spy)
    monkeypatch.setattr(cube, "usable", lambda store: False)  # the window's rows are counted
    branches = dl.drift(store, "m").table.set_index("feature")
    # the reference's profile of 40 features + prediction + label; the counts of the 40 it has
    # values of (it has no predictions or labels), on each side
    assert sorted(counted["reference_grids"]) == sorted([*names, "prediction", "label"])
    assert sorted(counted["numeric_counts"]) == sorted(names * 2)
    assert counted["categorical_counts"] == ["c", "decision"] * 2  # the decision at the threshold
    monkeypatch.setattr(binning, "_long_layout", lambda table: True)
    store.close()
    store = dl.open(tmp_path / "s")  # the reference's profile and counts are not kept
    counted.clear()
    long = dl.drift(store, "m").table.set_index("feature")
    assert counted["numeric_counts"] == names * 2  # one query per side
    pd.testing.assert_frame_equal(branches, long)
    columns = ["n_reference", "n_current", "psi", "wasserstein", "ks_statistic", "p_value"]
    for f in ["f00", "f17", "f39", "c"]:
        alone = dl.drift(store, "m", features=[f]).table.set_index("feature")
        pd.testing.assert_series_equal(branches.loc[f, columns], alone.loc[f, columns])
    assert branches.loc["f39", "wasserstein"] > branches.loc["f17", "wasserstein"] > 0.2
    store.close()
