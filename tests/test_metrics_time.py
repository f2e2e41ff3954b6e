"""dl.metrics_over_time, alert bands, the label-free estimate (CBPE) and dl.compare_versions."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats
from sklearn import metrics as skm
from sklearn.isotonic import IsotonicRegression

import diaglab as dl
from diaglab.errors import DiaglabWarning, InputError, UnknownNameError
from diaglab.stats.bands import calibrate_band, threshold_band
from diaglab.stats.estimation import cbpe, fit_calibration

DAY0 = pd.Timestamp("2026-01-01", tz="UTC")
EMPTY_DAY = 10  # no predictions at all
UNLABELLED_DAY = 25  # predictions, but no label ever arrives
SHIFT_DAY = 20  # inputs move to where the model is unsure (covariate shift)


def _day_batch(rng: np.random.Generator, day: int, n: int, *, shift: bool) -> dict:
    x = rng.normal(0.0, 1.0, n)
    if shift:
        x = rng.normal(0.75, 0.35, n)  # most rows near the decision boundary
    seg = rng.choice(["a", "b"], n)
    p = 1 / (1 + np.exp(-(3.0 * x - 2.25)))
    # Scores at score-bin centres: the binned ROC AUC then equals the exact one.
    score = np.minimum((np.floor(p * 100) + 0.5) / 100, 0.995)
    y = (rng.random(n) < score).astype(int)
    ts = DAY0 + pd.Timedelta(days=day) + pd.to_timedelta(np.sort(rng.random(n)) * 86400, unit="s")
    failed = rng.random(n) < 0.01
    return {
        "features": pd.DataFrame({"x": x, "seg": seg}),
        "score": np.where(failed, np.nan, score),
        "label": y,
        "ts": ts,
        "latency": rng.lognormal(3.0, 0.4, n),
        "errors": [("timeout" if f else None) for f in failed],
        "failed": failed,
    }


def build_store(path: Path, *, days: int = 30, n: int = 1500, seed: int = 0) -> tuple:
    """A binary model v1 (days < 15) then v2, calibrated scores, labels 1-10 days late."""
    rng = np.random.default_rng(seed)
    store = dl.open(path)
    truth = []
    for day in range(days):
        if day == EMPTY_DAY:
            continue
        b = _day_batch(rng, day, n, shift=day >= SHIFT_DAY)
        ids = store.log(
            "shop",
            b["features"],
            b["score"],
            timestamps=b["ts"],
            latency_ms=b["latency"],
            errors=b["errors"],
            model_version="v1" if day < 15 else "v2",
            task="binary",
        )
        delay = rng.uniform(1, 10, n)
        frame = pd.DataFrame(
            {
                "prediction_id": ids,
                "ts": b["ts"],
                "score": b["score"],
                "label": b["label"],
                "latency": b["latency"],
                "failed": b["failed"],
                "label_ts": b["ts"] + pd.to_timedelta(delay, unit="D"),
                "seg": b["features"]["seg"].to_numpy(),
                "day": day,
                "version": "v1" if day < 15 else "v2",
            }
        )
        truth.append(frame)
        if day != UNLABELLED_DAY:
            store.log_labels("shop", ids, b["label"], timestamps=frame["label_ts"])
    return store, pd.concat(truth, ignore_index=True)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory):
    store, truth = build_store(tmp_path_factory.mktemp("mot") / "store")
    yield store, truth
    store.close()


@pytest.fixture(scope="module")
def result(shop):
    store, _ = shop
    return dl.metrics_over_time(store, "shop")


def _window(table: pd.DataFrame, metric: str, day: int, kind: str = "realized") -> pd.Series:
    start = DAY0 + pd.Timedelta(days=day)
    rows = table[
        (table["metric"] == metric) & (table["kind"] == kind) & (table["window_start"] == start)
    ]
    assert len(rows) == 1, (metric, day, kind, len(rows))
    return rows.iloc[0]


# -- values against scikit-learn / numpy ------------------------------------------------------


@pytest.mark.parametrize("day", [3, 17, 27])
def test_window_metrics_match_sklearn(shop, result, day):
    _, truth = shop
    rows = truth[(truth["day"] == day) & ~truth["failed"]]
    y, s = rows["label"].to_numpy(), rows["score"].to_numpy()
    pred = (s >= 0.5).astype(int)
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred),
        "recall": skm.recall_score(y, pred),
        "f1": skm.f1_score(y, pred),
        "roc_auc": skm.roc_auc_score(y, s),
        "log_loss": skm.log_loss(y, s),
        "brier_score": skm.brier_score_loss(y, s),
        "mean_score": s.mean(),
        "positive_rate": pred.mean(),
    }
    for metric, value in expected.items():
        row = _window(result.table, metric, day)
        assert row["value"] == pytest.approx(value, rel=1e-9, abs=1e-12), metric
        assert row["low"] <= row["value"] <= row["high"], metric
    all_rows = truth[truth["day"] == day]
    assert _window(result.table, "volume", day)["value"] == len(all_rows)
    assert _window(result.table, "failure_rate", day)["value"] == pytest.approx(
        all_rows["failed"].mean()
    )


def test_latency_and_label_delay_quantiles_are_close_to_exact(shop, result):
    _, truth = shop
    rows = truth[truth["day"] == 5]
    got_p95 = _window(result.table, "latency_p95", 5)["value"]
    assert got_p95 == pytest.approx(np.quantile(rows["latency"], 0.95), rel=0.03)
    labelled = rows[~rows["failed"]]
    delay = (labelled["label_ts"] - labelled["ts"]).dt.total_seconds() / 86400
    got = _window(result.table, "label_delay_p50", 5)["value"]
    assert got == pytest.approx(np.median(delay), rel=0.03)
    assert _window(result.table, "label_delay_p90", 5)["value"] == pytest.approx(
        np.quantile(delay, 0.9), rel=0.03
    )


# -- gaps -------------------------------------------------------------------------------------


def test_a_window_without_rows_is_a_gap_not_a_zero(result):
    for metric in ("volume", "accuracy", "roc_auc", "latency_p50", "label_coverage"):
        row = _window(result.table, metric, EMPTY_DAY)
        assert row["gap"], metric
        if metric != "volume":
            assert math.isnan(row["value"]), metric
        assert row["reason"] == "no rows" or metric == "latency_p50", metric
    windows = result.windows
    empty = windows[windows["window_start"] == DAY0 + pd.Timedelta(days=EMPTY_DAY)]
    assert len(empty) == 1 and int(empty["n"].iloc[0]) == 0
    assert math.isnan(empty["label_coverage"].iloc[0])


def test_a_window_without_labels_is_a_gap_for_label_metrics_only(result):
    acc = _window(result.table, "accuracy", UNLABELLED_DAY)
    assert acc["gap"] and math.isnan(acc["value"]) and acc["reason"] == "no labelled rows"
    assert _window(result.table, "label_coverage", UNLABELLED_DAY)["value"] == 0.0
    volume = _window(result.table, "volume", UNLABELLED_DAY)
    assert not volume["gap"] and volume["value"] > 0
    # The label-free estimate still has a value where the labels are missing.
    est = _window(result.table, "accuracy", UNLABELLED_DAY, kind="estimated")
    assert 0.5 < est["value"] < 1 and not est["gap"]


# -- as_of ------------------------------------------------------------------------------------


def test_as_of_is_not_changed_by_labels_that_arrive_later(tmp_path):
    store, truth = build_store(tmp_path / "s", days=8, n=400, seed=3)
    as_of = DAY0 + pd.Timedelta(days=6)
    with pytest.warns(DiaglabWarning, match="at least 8 baseline windows"):  # 6 days
        before = dl.metrics_over_time(store, "shop", as_of=as_of)
    # Labels arriving after as_of: a relabelling of every prediction, and late ones.
    later = as_of + pd.Timedelta(days=5)
    ids = truth["prediction_id"].tolist()
    flipped = 1 - truth["label"].to_numpy()
    store.log_labels("shop", ids, flipped, timestamps=[later] * len(ids))
    with pytest.warns(DiaglabWarning):
        after = dl.metrics_over_time(store, "shop", as_of=as_of)
    pd.testing.assert_frame_equal(before.table, after.table)
    pd.testing.assert_frame_equal(before.windows, after.windows)
    now = dl.metrics_over_time(store, "shop")
    assert not np.allclose(
        now.metric("accuracy")["value"].iloc[:5], before.metric("accuracy")["value"].iloc[:5]
    )
    # Only labels known at as_of count: coverage as of then matches the truth.
    known = truth[(truth["label_ts"] <= as_of) & ~truth["failed"] & (truth["day"] == 1)]
    served = truth[(truth["day"] == 1) & ~truth["failed"]]
    row = before.windows[before.windows["window_start"] == DAY0 + pd.Timedelta(days=1)]
    assert row["label_coverage"].iloc[0] == pytest.approx(len(known) / len(served))
    # Windows after as_of exist only up to it.
    assert before.windows["window_start"].max() < as_of + pd.Timedelta(days=1)


# -- by, metrics=, bad input -------------------------------------------------------------------


def test_by_version_splits_series_and_sums_to_the_whole(shop, result):
    store, _ = shop
    split = dl.metrics_over_time(store, "shop", metrics=["volume"], by="model_version")
    assert split.series == ["v1", "v2"]
    total = split.table.groupby("window_start")["value"].sum()
    whole = result.metric("volume").set_index("window_start")["value"]
    pd.testing.assert_series_equal(total, whole, check_names=False)
    v2_early = split.table[(split.table["series"] == "v2") & (split.table["window_start"] < DAY0)]
    assert v2_early.empty


def test_by_feature_uses_slice_bins(shop):
    store, truth = shop
    r = dl.metrics_over_time(store, "shop", metrics=["accuracy", "volume"], by="seg")
    assert set(r.series) == {"a", "b"}
    vol = r.table[(r.table["metric"] == "volume") & (r.table["window_start"] == DAY0)]
    expected = truth[truth["day"] == 0].groupby("seg").size()
    assert vol.set_index("series")["value"].to_dict() == expected.astype(float).to_dict()


def test_unknown_metric_names_the_valid_ones(shop):
    store, _ = shop
    with pytest.raises(UnknownNameError, match=r"accurcy.*known: .*accuracy.*label_delay_p50"):
        dl.metrics_over_time(store, "shop", metrics=["accurcy"])
    with pytest.raises(UnknownNameError, match="mae"):
        dl.metrics_over_time(store, "shop", metrics="mae")  # a regression metric


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"freq": "daily"}, InputError, "unknown unit 'daily'; valid: '15min'"),
        ({"freq": "10s"}, InputError, "shorter than a minute"),
        ({"by": "colour"}, UnknownNameError, "known: model_version, seg, x"),
        ({"where": "colour = 'red'"}, InputError, "colour"),
        ({"as_of": "not a date"}, InputError, "as_of"),
        ({"thresholds": {"roc_auc": (0.9, None)}, "metrics": ["accuracy"]}, UnknownNameError,
         "thresholds"),
        ({"thresholds": {"accuracy": 0.9}, "metrics": ["accuracy"]}, InputError, "pair"),
        ({"bands_from": "train"}, UnknownNameError, "baseline, reference"),
    ],
)  # fmt: skip
def test_bad_input_gets_a_clear_error(shop, kwargs, error, message):
    store, _ = shop
    with pytest.raises(error, match=message):
        dl.metrics_over_time(store, "shop", **kwargs)


def test_where_filters_rows(shop):
    store, truth = shop
    r = dl.metrics_over_time(store, "shop", metrics=["volume"], where="seg = 'a'")
    assert 0 < r.metric("volume")["value"].sum() < len(truth)


# -- alerts -----------------------------------------------------------------------------------


def test_alerts_flag_the_planted_degradation_and_not_the_calm_period(result):
    acc = result.metric("accuracy")
    starts = acc["window_start"]
    before = acc[(starts < DAY0 + pd.Timedelta(days=SHIFT_DAY))]
    after = acc[(starts >= DAY0 + pd.Timedelta(days=SHIFT_DAY))]
    assert before["alert"].fillna(False).sum() <= 1
    assert after["alert"].fillna(False).mean() > 0.8
    # the band is the baseline's: calibrated on the first 14 days
    band = result.bands.set_index("metric").loc["accuracy"]
    assert band["source"] == "baseline" and band["windows"] == 13


def test_thresholds_override_the_band(shop):
    store, _ = shop
    r = dl.metrics_over_time(
        store, "shop", metrics=["accuracy"], thresholds={"accuracy": (0.99, None)}, estimate=False
    )
    acc = r.metric("accuracy")
    finite = acc[acc["value"].notna()]
    assert finite["alert"].all()
    assert (finite["band_low"] == 0.99).all() and np.isinf(finite["band_high"]).all()
    assert r.bands.set_index("metric").loc["accuracy", "source"] == "threshold"


def test_a_narrower_k_flags_more_windows(shop, result):
    store, _ = shop
    narrow = dl.metrics_over_time(store, "shop", metrics=["accuracy", "roc_auc"], band_sigma=1.0)
    default = result.alerts().query("metric in ['accuracy', 'roc_auc']")
    assert len(narrow.alerts()) > len(default)


def test_band_half_width_scales_with_window_size():
    rng = np.random.default_rng(1)
    sizes = rng.integers(500, 2000, 40).astype(float)
    values = 0.8 + rng.normal(0, 1, 40) * np.sqrt(0.8 * 0.2 / sizes)
    band = calibrate_band(values, sizes, k=3.0, limits=(0, 1))
    assert band.spread == pytest.approx(math.sqrt(0.16 / band.size), rel=0.3)
    (lo_small, lo_big), (hi_small, hi_big) = band.bounds([100, 10_000])
    assert hi_small - lo_small == pytest.approx((hi_big - lo_big) * 10, rel=1e-6)
    _, _, alert = band.judge([0.8, 0.5, np.nan], [1000, 1000, 1000])
    assert alert[0] == 0 and alert[1] == 1 and np.isnan(alert[2])
    assert calibrate_band([0.8, 0.81]).source == "none"  # two windows are too few
    with pytest.raises(InputError, match="low <= high"):
        threshold_band(0.9, 0.1)


# -- the label-free estimate (CBPE) ----------------------------------------------------------


def test_isotonic_calibration_matches_sklearn_on_the_histogram():
    rng = np.random.default_rng(2)
    pos = rng.integers(0, 30, 100).astype(float)
    neg = rng.integers(1, 30, 100).astype(float)
    pos[[5, 40]] = neg[[5, 40]] = 0  # bins the reference never saw
    cal = fit_calibration(pos, neg)
    seen = (pos + neg) > 0
    x = np.arange(100)[seen]
    expected = IsotonicRegression().fit(
        x, pos[seen] / (pos + neg)[seen], sample_weight=(pos + neg)[seen]
    )
    np.testing.assert_allclose(cal.probability[seen], expected.predict(x), atol=1e-12)
    assert np.all(np.diff(cal.probability) >= -1e-12)
    assert cal.probability[5] in (cal.probability[4], cal.probability[6])
    with pytest.raises(InputError, match="both classes"):
        fit_calibration(np.zeros(100), np.ones(100))


def test_cbpe_accuracy_formula_and_interval():
    p = np.linspace(0.005, 0.995, 100)
    cal = fit_calibration(p * 1e6, (1 - p) * 1e6)  # a calibration known almost exactly
    scored = np.full((1, 100), 10.0)
    pp = np.where(np.arange(100) >= 50, 10.0, 0.0)[None, :]
    est = cbpe([(cal, scored, pp)])
    expected = (np.sum(10 * p[50:]) + np.sum(10 * (1 - p[:50]))) / 1000
    assert est["accuracy"].value[0] == pytest.approx(expected, rel=1e-6)
    se = math.sqrt(np.sum(10 * p * (1 - p))) / 1000
    assert est["accuracy"].std_error[0] == pytest.approx(se, rel=1e-3)
    assert 0.5 < est["roc_auc"].value[0] < 1


def test_cbpe_tracks_realized_performance_once_labels_arrive(result):
    """Calibrated scores; covariate shift after SHIFT_DAY lowers accuracy: the estimate follows."""
    realized = result.metric("accuracy").set_index("window_start")
    estimated = result.metric("accuracy", "estimated").set_index("window_start")
    est = estimated[["value", "low", "high"]].rename(columns={"value": "value_est"})
    both = realized[["value"]].join(est).dropna()
    assert len(both) >= 25
    assert np.abs(both["value"] - both["value_est"]).max() < 0.04
    covered = ((both["value"] >= both["low"]) & (both["value"] <= both["high"])).mean()
    assert covered >= 0.85
    shifted = both.index >= DAY0 + pd.Timedelta(days=SHIFT_DAY)
    drop_est = both["value_est"][~shifted].mean() - both["value_est"][shifted].mean()
    drop_real = both["value"][~shifted].mean() - both["value"][shifted].mean()
    assert drop_real > 0.1 and drop_est == pytest.approx(drop_real, abs=0.03)
    auc_r = result.metric("roc_auc").set_index("window_start")["value"]
    auc_e = result.metric("roc_auc", "estimated").set_index("window_start")["value"]
    gap = (auc_r - auc_e).dropna().abs()
    assert gap.median() < 0.03


def test_cbpe_cannot_see_concept_shift(tmp_path):
    """Labels change meaning for one segment (same inputs, same scores): realized accuracy drops,
    the estimate does not. This is CBPE's documented blind spot."""
    rng = np.random.default_rng(5)
    store = dl.open(tmp_path / "c")
    for day in range(24):
        b = _day_batch(rng, day, 800, shift=False)
        y = b["label"].copy()
        if day >= 14:
            flip = (b["features"]["seg"] == "b").to_numpy()
            y[flip] = 1 - y[flip]
        ids = store.log("shop", b["features"], np.nan_to_num(b["score"], nan=0.5),
                        timestamps=b["ts"], task="binary")  # fmt: skip
        store.log_labels("shop", ids, y, timestamps=b["ts"] + pd.Timedelta(days=1))
    r = dl.metrics_over_time(store, "shop", metrics=["accuracy"])
    real = r.metric("accuracy")
    est = r.metric("accuracy", "estimated")
    late = real["window_start"] >= DAY0 + pd.Timedelta(days=14)
    assert real["alert"][late].all()
    assert not est["alert"][late].any()
    assert (est["value"][late] - real["value"][late]).min() > 0.2


# -- versions ---------------------------------------------------------------------------------


def test_compare_versions_deltas_match_direct_computation(shop):
    store, truth = shop
    c = dl.compare_versions(store, "shop", "v1", "v2", metrics=["accuracy", "roc_auc"])
    rows = truth[~truth["failed"] & (truth["day"] != UNLABELLED_DAY)]
    acc = {
        v: skm.accuracy_score(g["label"], (g["score"] >= 0.5).astype(int))
        for v, g in rows.groupby("version")
    }
    t = c.table.set_index("metric")
    assert t.loc["accuracy", "value_a"] == pytest.approx(acc["v1"])
    assert t.loc["accuracy", "delta"] == pytest.approx(acc["v2"] - acc["v1"])
    assert (
        t.loc["accuracy", "delta_low"]
        < t.loc["accuracy", "delta"]
        < t.loc["accuracy", "delta_high"]
    )
    assert t.loc["accuracy", "p_value"] < 0.05  # v2 served the shifted days
    assert c.shared["n_shared"] == 0 and math.isnan(c.shared["disagreement"])
    with pytest.raises(UnknownNameError, match="v3"):
        dl.compare_versions(store, "shop", "v1", "v3")
    with pytest.raises(InputError, match="twice"):
        dl.compare_versions(store, "shop", "v1", "v1")


def test_compare_versions_on_shadow_traffic(tmp_path):
    """Both versions score the same requests (same trace id): disagreement and McNemar."""
    rng = np.random.default_rng(7)
    n = 3000
    store = dl.open(tmp_path / "shadow")
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-2 * x))
    y = (rng.random(n) < p).astype(int)
    s1 = np.clip(p + rng.normal(0, 0.15, n), 0.001, 0.999)
    s2 = np.clip(p + rng.normal(0, 0.05, n), 0.001, 0.999)  # the better candidate
    traces = [f"{i:032x}" for i in range(n)]
    ts = DAY0 + pd.to_timedelta(np.arange(n), unit="min")
    feats = pd.DataFrame({"x": x})
    ids1 = store.log("m", feats, s1, timestamps=ts, trace_ids=traces, model_version="v1")
    ids2 = store.log("m", feats, s2, timestamps=ts, trace_ids=traces, model_version="v2")
    half = n // 2  # only half the requests get a label
    store.log_labels("m", ids1[:half], y[:half])
    store.log_labels("m", ids2[:half], y[:half])
    c = dl.compare_versions(store, "m", "v1", "v2")
    p1, p2 = (s1 >= 0.5).astype(int), (s2 >= 0.5).astype(int)
    assert c.shared["n_shared"] == n
    assert c.shared["disagreement"] == pytest.approx(np.mean(p1 != p2))
    assert c.shared["disagreement_low"] < c.shared["disagreement"] < c.shared["disagreement_high"]
    assert c.shared["mean_abs_score_difference"] == pytest.approx(np.mean(np.abs(s1 - s2)))
    r1, r2 = p1[:half] == y[:half], p2[:half] == y[:half]
    assert c.shared["n_shared_labelled"] == half
    assert c.shared["accuracy_delta"] == pytest.approx(np.mean(r2) - np.mean(r1))
    b, cc = int(np.sum(r2 & ~r1)), int(np.sum(r1 & ~r2))
    assert c.shared["mcnemar_p_value"] == pytest.approx(scipy_stats.binomtest(b, b + cc).pvalue)
    assert "shared requests" in str(c)


def test_cell_counts_give_the_general_statistics(shop):
    """The binary fast path (counts per cell) equals the general conditional sums."""
    import ibis

    from diaglab.diagnostics.metrics.engine import grouped_statistics
    from diaglab.diagnostics.slices.query import statistic_aggregates
    from diaglab.queries.timegrid import Freq, epoch_micros

    store, _ = shop
    t = store.table("shop")
    grid = Freq.parse("1D").grid(dl.Window())
    keyed = t.mutate(_s=ibis.literal("all"), _w=grid.index(epoch_micros(t.timestamp, "duckdb")))
    fast, hist = grouped_statistics(keyed, "binary", True, 0.0, bins=True)
    aggs = statistic_aggregates(keyed, "binary", scores=True, latency=False)
    general = keyed.group_by(["_s", "_w"]).aggregate(**aggs).to_pyarrow().to_pandas()
    fast = fast.sort_values("_w").reset_index(drop=True)
    general = general.sort_values("_w").reset_index(drop=True)
    for column in aggs:
        np.testing.assert_allclose(
            fast[column].to_numpy(float), general[column].to_numpy(float, na_value=0.0),
            rtol=1e-9, err_msg=column,
        )  # fmt: skip
    assert hist is not None
    per_window = hist.groupby("_w")[["bin_positives", "bin_negatives"]].sum()
    np.testing.assert_array_equal(
        per_window.sum(axis=1).to_numpy(), fast.set_index("_w")["n_labelled"].to_numpy()
    )


def test_bands_and_calibration_from_a_labelled_reference(tmp_path):
    """bands_from / calibrate_on="reference": chunks of a held-out reference set the band."""
    rng = np.random.default_rng(9)
    store = dl.open(tmp_path / "ref")
    ref = _day_batch(rng, 0, 6000, shift=False)
    store.set_reference("shop", ref["features"], labels=ref["label"],
                        predictions=np.nan_to_num(ref["score"], nan=0.5))  # fmt: skip
    for day in range(10):
        b = _day_batch(rng, day, 500, shift=day >= 6)
        ids = store.log("shop", b["features"], np.nan_to_num(b["score"], nan=0.5),
                        timestamps=b["ts"])  # fmt: skip
        store.log_labels("shop", ids, b["label"], timestamps=b["ts"] + pd.Timedelta(days=1))
    r = dl.metrics_over_time(
        store, "shop", metrics=["accuracy", "volume"], bands_from="reference",
        calibrate_on="reference",
    )  # fmt: skip
    bands = r.bands.set_index("metric")
    assert bands.loc["accuracy", "source"] == "reference" and bands.loc["accuracy", "windows"] >= 3
    assert bands.loc["volume", "source"] == "baseline"  # the reference has no time
    assert r.calibration == {"v1": 6000}
    acc = r.metric("accuracy")
    late = acc["window_start"] >= DAY0 + pd.Timedelta(days=6)
    assert acc.loc[late, "alert"].all() and not acc.loc[~late, "alert"].any()


def test_an_asked_window_without_predictions_is_all_gaps(shop):
    store, _ = shop
    with pytest.warns(DiaglabWarning, match="volume"):
        r = dl.metrics_over_time(
            store, "shop", metrics=["volume", "accuracy"], window=("2025-06-01", "2025-06-04")
        )
    assert len(r.windows) == 3 and (r.windows["n"] == 0).all()
    realized = r.table[r.table["kind"] == "realized"]
    assert realized["gap"].all() and (realized["reason"] == "no rows").all()
    assert r.alerts().empty


def test_regression_metrics_per_window_match_sklearn(tmp_path):
    rng = np.random.default_rng(4)
    store = dl.open(tmp_path / "reg")
    frames = []
    for day in range(5):
        n = 300
        x = rng.normal(size=n)
        y = 3 * x + rng.normal(size=n)
        pred = 3 * x + (0.5 if day >= 3 else 0.0)
        ts = DAY0 + pd.Timedelta(days=day) + pd.to_timedelta(np.sort(rng.random(n)), unit="D")
        ids = store.log("price", pd.DataFrame({"x": x}), pred, timestamps=ts, task="regression")
        store.log_labels("price", ids, y, timestamps=ts + pd.Timedelta(hours=2))
        frames.append((y, pred))
    with pytest.warns(DiaglabWarning, match="mae"):  # 5 days
        r = dl.metrics_over_time(store, "price")
    assert {"mae", "rmse", "r2"} <= set(r.metrics)
    assert not (r.table["kind"] == "estimated").any()  # no scores: no CBPE
    for day, (y, pred) in enumerate(frames):
        assert _window(r.table, "mae", day)["value"] == pytest.approx(
            skm.mean_absolute_error(y, pred)
        )
        assert _window(r.table, "rmse", day)["value"] == pytest.approx(
            math.sqrt(skm.mean_squared_error(y, pred))
        )
        assert _window(r.table, "r2", day)["value"] == pytest.approx(skm.r2_score(y, pred))
        delay = _window(r.table, "label_delay_p50", day)["value"]
        assert delay == pytest.approx(2 / 24, rel=0.01)
