"""The interval of the expected calibration error (ECE): it covers the true ECE of planted
calibrated and miscalibrated scores, in the statistic itself, per fairness group and over time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from diaglab.stats.scores import (
    CALIBRATION_BINS,
    DEFAULT_SCORE_BINS,
    ScoreHistogram,
    binned_calibration_error,
    calibration_error_interval,
)

START = pd.Timestamp("2026-01-01", tz="UTC")
PLANTED = {
    "calibrated": lambda s: s,
    "squared": lambda s: s**2,
    "shifted": lambda s: np.clip(s + 0.15, 0, 1),
}


def _truth(score: np.ndarray, p: np.ndarray) -> float:
    """Σ_b (n_b / n) · |mean score_b − mean p_b| over the ECE's equal-width bins."""
    b = np.minimum((score * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    n_b = np.bincount(b, minlength=CALIBRATION_BINS)
    gap = np.bincount(b, score - p, minlength=CALIBRATION_BINS)  # n_b · (mean s − mean p)
    return float(np.abs(gap).sum() / n_b.sum())


def _histogram(scores: list[np.ndarray], labels: list[np.ndarray]) -> ScoreHistogram:
    arrays = [np.zeros((len(scores), DEFAULT_SCORE_BINS)) for _ in range(3)]
    for g, (s, y) in enumerate(zip(scores, labels, strict=True)):
        b = np.minimum((s * DEFAULT_SCORE_BINS).astype(int), DEFAULT_SCORE_BINS - 1)
        np.add.at(arrays[0][g], b[y == 1], 1.0)
        np.add.at(arrays[1][g], b[y == 0], 1.0)
        np.add.at(arrays[2][g], b, s)
    return ScoreHistogram(*arrays)


@pytest.mark.parametrize("planted", list(PLANTED))
@pytest.mark.parametrize("n", [200, 2000])
def test_the_ece_interval_covers_the_true_ece_at_its_level(planted, n):
    rng = np.random.default_rng(n)
    scores, labels, truth = [], [], []
    for _ in range(400):
        s = rng.random(n)
        p = PLANTED[planted](s)
        scores.append(s)
        labels.append((rng.random(n) < p).astype(float))
        truth.append(_truth(s, p))
    h = _histogram(scores, labels)
    lower, upper = calibration_error_interval(h, confidence=0.9)
    value = binned_calibration_error(h)
    t = np.array(truth)
    assert (lower <= value).all() and (value <= upper).all()
    assert np.mean((lower <= t) & (t <= upper)) >= 0.9
    if planted != "calibrated" and n == 2000:
        assert (lower > 0).mean() > 0.9  # informative: it tells a miscalibrated model apart


def test_a_calibrated_group_gets_an_interval_reaching_zero_where_a_bootstrap_would_not():
    rng = np.random.default_rng(5)
    s = rng.random(300)
    h = _histogram([s], [(rng.random(300) < s).astype(float)])
    lower, upper = calibration_error_interval(h)
    assert lower[0] == 0.0 < binned_calibration_error(h)[0] < upper[0]


def test_fairness_and_metrics_over_time_give_the_ece_its_interval(store):
    rng = np.random.default_rng(2)
    n = 6000
    group = rng.choice(["cal", "mis"], n)
    score = rng.random(n)
    p = np.where(group == "cal", score, score**2)
    label = (rng.random(n) < p).astype(float)
    ts = START + pd.to_timedelta(np.arange(n), unit="min")
    ids = store.log("m", pd.DataFrame({"group": group}), score, timestamps=ts)
    store.log_labels("m", ids, label)
    got = dl.fairness(store, "m", sensitive=["group"], metrics=["calibration_error"])
    rows = got.groups.set_index("group")
    for g in ("cal", "mis"):
        inside = group == g
        r = rows.loc[g]
        assert r["calibration_error_lower"] <= _truth(score[inside], p[inside])
        assert _truth(score[inside], p[inside]) <= r["calibration_error_upper"]
    assert rows.loc["cal", "calibration_error_lower"] == 0.0
    assert rows.loc["mis", "calibration_error_lower"] > 0.05  # excludes 0; truth ≈ 1/6

    over = dl.metrics_over_time(store, "m", freq="6h", metrics=["expected_calibration_error"])
    realized = over.metric("expected_calibration_error")
    assert realized["low"].notna().all() and (realized["low"] <= realized["value"]).all()
    assert (realized["value"] <= realized["high"]).all()
