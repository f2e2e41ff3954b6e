"""The engine's part of dl.slice_metrics: latency quantiles read off log-spaced counts, categorical
features grouped by value or by bin code with the same result, and a scope's counts remembered
until the store ingests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from diaglab.diagnostics.slices import scan as slice_scan
from diaglab.diagnostics.slices.bins import binnings
from diaglab.diagnostics.slices.scan import Needs, slice_counts
from diaglab.stats.log_histogram import RELATIVE_TOLERANCE, log_bin, log_quantiles

QS = (0.01, 0.5, 0.9, 0.95, 0.99)


@pytest.mark.parametrize("n", [7, 40, 3_000, 200_000])
def test_log_quantiles_are_within_the_tolerance_of_numpy(n):
    """Within one bin of numpy's linear interpolation, however few and scattered the rows."""
    rng = np.random.default_rng(n)
    x = np.concatenate([rng.lognormal(3, 0.6, n), rng.lognormal(6, 0.2, n // 10)])  # two modes
    bins, counts = np.unique(log_bin(x), return_counts=True)
    got = log_quantiles(bins, counts, QS)
    np.testing.assert_allclose(got, np.quantile(x, QS), rtol=RELATIVE_TOLERANCE)
    assert log_quantiles(log_bin([5.0]), [1], QS) == pytest.approx([5.0] * len(QS), rel=0.005)
    # counts add up: two halves counted apart give the same quantiles
    a, b = log_bin(x[: n // 2]), log_bin(x[n // 2 :])
    split = log_quantiles(np.concatenate([a, b]), np.ones(len(x)), QS)
    np.testing.assert_allclose(split, got, rtol=1e-12)


def test_log_quantiles_of_nothing_and_bad_input():
    assert np.isnan(log_quantiles([], [], (0.5,))).all()
    assert np.isnan(log_quantiles([3], [0], (0.5,))).all()
    with pytest.raises(ValueError, match="shape"):
        log_quantiles([1, 2], [1], (0.5,))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        log_quantiles([1], [1], (1.5,))


def _store(path, n: int = 20_000, seed: int = 5):
    """A binary store whose region has missing values and rare ones (folded into "other"), an
    income with missing values, a fifth of the rows unlabelled."""
    rng = np.random.default_rng(seed)
    region = rng.choice(
        ["north", "south", "east", "tiny1", "tiny2"], n, p=[0.4, 0.3, 0.26, 0.02, 0.02]
    )
    feats = pd.DataFrame(
        {
            "region": pd.Series(region).where(rng.random(n) > 0.05, None),
            "income": pd.Series(rng.lognormal(10, 0.5, n)).where(rng.random(n) > 0.03, np.nan),
        }
    )
    p = rng.beta(2, 3, n)
    store = dl.open(path)
    ids = store.log(model="m", features=feats, predictions=p, latency_ms=rng.lognormal(2, 0.5, n))
    keep = rng.random(n) < 0.8
    store.log_labels(
        model="m",
        prediction_ids=[i for i, k in zip(ids, keep, strict=True) if k],
        labels=(rng.random(int(keep.sum())) < p[keep]).astype(int),
    )
    return store


def test_grouping_by_value_and_by_bin_code_agree(tmp_path, monkeypatch):
    store = _store(tmp_path / "s")
    table = store.table("m")
    by = ["region", "income"]
    plan = binnings(store, "m", table, by, other_threshold=0.05)
    assert plan["region"].kept == ("north", "south", "east") and plan["region"].n_values == 5
    needs = Needs(histogram=True, score_sums=True, log_loss=True, brier=True, latency=True)
    by_value = slice_counts(table, "binary", plan, by, needs, lambda keyed: {})
    monkeypatch.setattr(slice_scan, "RAW_VALUES", -1)  # every feature by its bin code
    by_code = slice_counts(table, "binary", plan, by, needs, lambda keyed: {})
    pd.testing.assert_frame_equal(by_value.stats, by_code.stats, rtol=1e-12)
    order = ["_k0", "_k1", "score_bin"]
    pd.testing.assert_frame_equal(
        by_value.histogram.sort_values(order).reset_index(drop=True),
        by_code.histogram.sort_values(order).reset_index(drop=True),
        rtol=1e-12,
    )
    assert by_value.overall_latency == pytest.approx(by_code.overall_latency, rel=1e-12)
    # every row in exactly one slice; the missing and "other" bins are there
    codes = set(by_value.stats["_k0"])
    assert by_value.stats["n"].sum() == 20_000 and {-1, 3} <= codes
    raw = table.select("region").to_pandas()["region"]
    other = by_value.stats.loc[by_value.stats["_k0"] == 3, "n"].sum()
    assert other == raw.isin(["tiny1", "tiny2"]).sum()
    store.close()


def test_counts_are_remembered_until_the_store_ingests(tmp_path):
    store = _store(tmp_path / "s", n=5_000)
    first = dl.slice_metrics(store, "m", by="region").table
    again = dl.slice_metrics(store, "m", by="region").table
    pd.testing.assert_frame_equal(first.drop(columns="slice"), again.drop(columns="slice"))
    rng = np.random.default_rng(9)
    more = pd.DataFrame({"region": ["north"] * 500, "income": rng.lognormal(10, 0.5, 500)})
    store.log(model="m", features=more, predictions=rng.random(500))
    after = dl.slice_metrics(store, "m", by="region").table
    assert after["n"].sum() == first["n"].sum() + 500
    north = after.set_index("region").loc["north"]
    assert north["n"] == first.set_index("region").loc["north", "n"] + 500
    store.close()


def test_rows_without_a_score_stay_out_of_the_score_metrics(tmp_path):
    """A binary model that logged scores for some calls and only classes for others: the
    histogram (ROC AUC, calibration) counts only the labelled rows with a score."""
    rng = np.random.default_rng(4)
    n = 4000
    feats = pd.DataFrame({"region": rng.choice(["a", "b"], n)})
    store = dl.open(tmp_path / "s")
    store.log(model="m", features=feats.iloc[: n // 2], predictions=rng.random(n // 2))
    store.log(model="m", features=feats.iloc[n // 2 :], predictions=rng.integers(0, 2, n // 2))
    ids = store.table("m").select("prediction_id").to_pandas()["prediction_id"].tolist()
    store.log_labels(model="m", prediction_ids=ids, labels=rng.integers(0, 2, n))
    table = store.table("m")
    plan = binnings(store, "m", table, ["region"])
    needs = Needs(histogram=True, score_sums=True, log_loss=True)
    counts = slice_counts(table, "binary", plan, ["region"], needs, lambda keyed: {})
    rows = table.to_pandas()
    scored = rows[rows.score.notna() & rows.label.notna()]
    hist = counts.histogram
    assert hist["bin_positives"].sum() == (scored.label == 1).sum()
    assert hist["bin_negatives"].sum() == (scored.label == 0).sum()
    assert counts.stats["n_scored"].sum() == rows.score.notna().sum() == n // 2
    assert counts.stats["sum_score"].sum() == pytest.approx(rows.score.sum())
    assert counts.stats["n_labelled"].sum() == n
    store.close()
