"""Metrics on sufficient statistics: against scikit-learn/scipy, interval coverage, edge cases."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)

from diaglab.errors import InputError, UnknownNameError
from diaglab.stats import intervals, metrics
from diaglab.stats.comparison import compare_metric, compare_to_rest
from diaglab.stats.intervals import (
    difference_test,
    mean_estimate,
    newcombe_auc_interval,
    two_proportion_z_test,
    wilson_interval,
)
from diaglab.stats.metrics import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    Direction,
    metric_spec,
    metric_table,
    metric_value,
)
from diaglab.stats.multiple_testing import benjamini_hochberg
from diaglab.stats.scores import ScoreHistogram, binned_roc_auc, binned_roc_auc_error_bound
from diaglab.stats.sufficient import LOG_LOSS_CLIP

# --- building statistics like the engine


def _sum(groups: np.ndarray, n_groups: int, values: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(groups, weights=values, minlength=n_groups).astype(float)


def classification_statistics(
    labels: np.ndarray,
    scores: np.ndarray,
    groups: np.ndarray | None = None,
    *,
    n_groups: int | None = None,
    threshold: float = 0.5,
    n_bins: int = 100,
) -> tuple[pd.DataFrame, ScoreHistogram]:
    """What the engine's GROUP BY returns; ``labels`` of -1 are unlabelled rows."""
    groups = np.zeros(len(labels), dtype=int) if groups is None else groups
    g = int(groups.max(initial=-1) + 1) if n_groups is None else n_groups
    labelled = labels >= 0
    y, predicted = labels == 1, scores >= threshold
    clipped = np.clip(scores, LOG_LOSS_CLIP, 1 - LOG_LOSS_CLIP)
    loss = np.where(y, -np.log(clipped), -np.log1p(-clipped))
    brier = (scores - y) ** 2
    lab = groups[labelled]

    def over_labelled(values: np.ndarray) -> np.ndarray:
        return _sum(lab, g, values[labelled])

    frame = pd.DataFrame(
        {
            "n": _sum(groups, g),
            "n_failed": 0.0,
            "n_labelled": _sum(lab, g),
            "tp": over_labelled((y & predicted).astype(float)),
            "fp": over_labelled((~y & predicted).astype(float)),
            "tn": over_labelled((~y & ~predicted).astype(float)),
            "fn": over_labelled((y & ~predicted).astype(float)),
            "n_positive_predicted": _sum(groups, g, predicted.astype(float)),
            "sum_score": _sum(groups, g, scores),
            "sum_score_sq": _sum(groups, g, scores**2),
            "sum_log_loss": over_labelled(loss),
            "sum_log_loss_sq": over_labelled(loss**2),
            "sum_brier": over_labelled(brier),
            "sum_brier_sq": over_labelled(brier**2),
        }
    )
    return frame, score_histogram(scores[labelled], y[labelled], lab, g, n_bins)


def score_histogram(
    scores: np.ndarray, positive: np.ndarray, groups: np.ndarray, n_groups: int, n_bins: int = 100
) -> ScoreHistogram:
    cell = groups * n_bins + np.minimum(np.floor(scores * n_bins).astype(int), n_bins - 1)

    def count(rows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = None if weights is None else weights[rows]
        return np.bincount(cell[rows], w, minlength=n_groups * n_bins).reshape(n_groups, n_bins)

    everything = np.ones(len(scores), dtype=bool)
    return ScoreHistogram(count(positive), count(~positive), count(everything, scores))


def regression_statistics(
    y: np.ndarray,
    predicted: np.ndarray,
    groups: np.ndarray | None = None,
    *,
    n_groups: int | None = None,
    shift: float = 0.0,
) -> pd.DataFrame:
    groups = np.zeros(len(y), dtype=int) if groups is None else groups
    g = int(groups.max(initial=-1) + 1) if n_groups is None else n_groups
    e = y - predicted
    yc = y - shift
    nonzero = y != 0
    pct = np.where(nonzero, np.abs(e) / np.where(nonzero, np.abs(y), 1.0), 0.0)
    return pd.DataFrame(
        {
            "n": _sum(groups, g),
            "n_failed": 0.0,
            "n_labelled": _sum(groups, g),
            "sum_residual": _sum(groups, g, e),
            "sum_abs_err": _sum(groups, g, np.abs(e)),
            "sum_sq_err": _sum(groups, g, e**2),
            "sum_err_pow4": _sum(groups, g, e**4),
            "sum_y": _sum(groups, g, yc),
            "sum_y2": _sum(groups, g, yc**2),
            "sum_y3": _sum(groups, g, yc**3),
            "sum_y4": _sum(groups, g, yc**4),
            "sum_sq_err_y": _sum(groups, g, e**2 * yc),
            "sum_sq_err_y2": _sum(groups, g, e**2 * yc**2),
            "n_nonzero_label": _sum(groups, g, nonzero.astype(float)),
            "sum_abs_pct_err": _sum(groups, g, pct),
            "sum_abs_pct_err_sq": _sum(groups, g, pct**2),
        }
    )


def _values(table: pd.DataFrame, metric: str, column: str = "value") -> np.ndarray:
    return table.loc[table["metric"] == metric, column].to_numpy(dtype=float)


ALL_CLASSIFICATION = list(CLASSIFICATION_METRICS)
ALL_REGRESSION = list(REGRESSION_METRICS)
LATENCY = [m for m in ALL_CLASSIFICATION if m.startswith("latency")]
ROW_METRICS_CLASSIFICATION = [m for m in ALL_CLASSIFICATION if m not in LATENCY]
ROW_METRICS_REGRESSION = [m for m in ALL_REGRESSION if m not in LATENCY]


@pytest.fixture(scope="module")
def classification_rows() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    sizes = [60, 150, 300, 500]
    groups = np.repeat(np.arange(len(sizes)), sizes)
    scores = rng.beta(2, 2, size=groups.size)
    labels = (rng.random(groups.size) < 0.2 + 0.6 * scores).astype(int)
    return labels, scores, groups


# --- against scikit-learn


def test_label_metrics_equal_scikit_learn(classification_rows):
    labels, scores, groups = classification_rows
    frame, _ = classification_statistics(labels, scores, groups)
    table = metric_table(
        frame, ["accuracy", "precision", "recall", "f1", "error"], task="classification"
    )
    for g in range(frame.shape[0]):
        y, predicted = labels[groups == g], (scores[groups == g] >= 0.5).astype(int)
        assert _values(table, "accuracy")[g] == pytest.approx(accuracy_score(y, predicted))
        assert _values(table, "error")[g] == pytest.approx(1 - accuracy_score(y, predicted))
        assert _values(table, "precision")[g] == pytest.approx(precision_score(y, predicted))
        assert _values(table, "recall")[g] == pytest.approx(recall_score(y, predicted))
        assert _values(table, "f1")[g] == pytest.approx(f1_score(y, predicted))


def test_score_metrics_equal_scikit_learn(classification_rows):
    labels, scores, groups = classification_rows
    frame, _ = classification_statistics(labels, scores, groups)
    table = metric_table(frame, ["log_loss", "brier_score", "mean_score"], task="classification")
    for g in range(frame.shape[0]):
        y, s = labels[groups == g], scores[groups == g]
        assert _values(table, "log_loss")[g] == pytest.approx(log_loss(y, s), rel=1e-12)
        assert _values(table, "brier_score")[g] == pytest.approx(brier_score_loss(y, s))
        assert _values(table, "mean_score")[g] == pytest.approx(s.mean())


def test_roc_auc_equals_scikit_learn_when_scores_are_constant_within_bins(classification_rows):
    labels, scores, groups = classification_rows
    centred = (np.floor(scores * 100) + 0.5) / 100  # one score per bin: ties exactly as sklearn
    frame, histogram = classification_statistics(labels, centred, groups)
    auc = _values(
        metric_table(frame, "roc_auc", task="classification", histogram=histogram), "roc_auc"
    )
    expected = [roc_auc_score(labels[groups == g], centred[groups == g]) for g in range(4)]
    np.testing.assert_allclose(auc, expected, rtol=1e-12)


@pytest.mark.parametrize("n_bins", [10, 50, 100])
def test_roc_auc_on_raw_scores_is_within_the_binning_bound(classification_rows, n_bins):
    labels, scores, groups = classification_rows
    frame, histogram = classification_statistics(labels, scores, groups, n_bins=n_bins)
    auc = _values(
        metric_table(frame, "roc_auc", task="classification", histogram=histogram), "roc_auc"
    )
    exact = np.array([roc_auc_score(labels[groups == g], scores[groups == g]) for g in range(4)])
    bound = binned_roc_auc_error_bound(histogram)
    assert np.all(np.abs(auc - exact) <= bound + 1e-12)
    assert np.all(bound > 0)  # the bound is not vacuous: raw scores differ within bins


def test_calibration_error_matches_scikit_learn_calibration_curve(classification_rows):
    labels, scores, groups = classification_rows
    frame, histogram = classification_statistics(labels, scores, groups)
    table = metric_table(
        frame, "expected_calibration_error", task="classification", histogram=histogram
    )
    for g in range(4):
        y, s = labels[groups == g], scores[groups == g]
        share, mean_score = calibration_curve(y, s, n_bins=10, strategy="uniform")
        counts = np.histogram(s, bins=np.linspace(0, 1, 11))[0]
        weights = counts[counts > 0] / counts.sum()
        expected = np.sum(weights * np.abs(share - mean_score))
        assert _values(table, "expected_calibration_error")[g] == pytest.approx(expected)


def test_regression_metrics_equal_scikit_learn():
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(3), [40, 200, 700])
    y = rng.normal(5.0, 2.0, groups.size)
    y[y == 0] = 1.0  # MAPE here excludes zero labels; sklearn divides by eps instead
    predicted = y + rng.standard_t(4, groups.size)
    frame = regression_statistics(y, predicted, groups)
    table = metric_table(frame, ROW_METRICS_REGRESSION, task="regression")
    for g in range(3):
        yg, pg = y[groups == g], predicted[groups == g]
        assert _values(table, "mae")[g] == pytest.approx(mean_absolute_error(yg, pg))
        assert _values(table, "error")[g] == pytest.approx(mean_absolute_error(yg, pg))
        assert _values(table, "rmse")[g] == pytest.approx(root_mean_squared_error(yg, pg))
        assert _values(table, "r2")[g] == pytest.approx(r2_score(yg, pg))
        assert _values(table, "mape")[g] == pytest.approx(mean_absolute_percentage_error(yg, pg))
        assert _values(table, "mean_residual")[g] == pytest.approx(np.mean(yg - pg))


def test_r2_and_its_interval_do_not_depend_on_the_label_shift():
    rng = np.random.default_rng(4)
    y = rng.normal(1000.0, 1.0, 500)
    predicted = y + rng.normal(0, 0.5, 500)
    plain = metric_table(regression_statistics(y, predicted), "r2", task="regression")
    shifted = metric_table(
        regression_statistics(y, predicted, shift=1000.0), "r2", task="regression"
    )
    assert shifted["value"].iloc[0] == pytest.approx(r2_score(y, predicted), rel=1e-9)
    assert plain["value"].iloc[0] == pytest.approx(r2_score(y, predicted), rel=1e-6)
    assert plain["std_error"].iloc[0] == pytest.approx(shifted["std_error"].iloc[0], rel=1e-3)


def test_wilson_interval_equals_scipy():
    for k, n in [(0, 10), (3, 10), (10, 10), (57, 200), (1, 1000)]:
        expected = stats.binomtest(k, n).proportion_ci(confidence_level=0.9, method="wilson")
        lower, upper = wilson_interval(k, n, confidence=0.9)
        assert (float(lower), float(upper)) == pytest.approx((expected.low, expected.high))


def test_mean_interval_equals_scipy_t_interval():
    x = np.random.default_rng(5).exponential(size=30)
    estimate = mean_estimate(x.sum(), (x**2).sum(), x.size, confidence=0.9)
    expected = stats.ttest_1samp(x, 0).confidence_interval(confidence_level=0.9)
    assert (float(estimate.lower), float(estimate.upper)) == pytest.approx(expected)


def test_two_proportion_z_test_equals_chi_square_without_correction():
    table = np.array([[30, 70], [45, 55]])
    expected = stats.chi2_contingency(table, correction=False).pvalue
    assert float(two_proportion_z_test(30, 100, 45, 100)) == pytest.approx(expected)


def test_difference_test_with_degrees_of_freedom_equals_welch():
    a, b = np.random.default_rng(6).normal(size=(2, 12)) + np.array([[0.0], [0.8]])
    p = difference_test(
        a.mean(),
        stats.sem(a),
        b.mean(),
        stats.sem(b),
        degrees_of_freedom_a=a.size - 1,
        degrees_of_freedom_b=b.size - 1,
    )
    assert float(p) == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)


def test_benjamini_hochberg_equals_scipy():
    p = np.random.default_rng(8).random(50) ** 3
    np.testing.assert_allclose(benjamini_hochberg(p), stats.false_discovery_control(p))
    with_nan = benjamini_hochberg(np.r_[p, np.nan])
    np.testing.assert_allclose(with_nan[:-1], stats.false_discovery_control(p))
    assert np.isnan(with_nan[-1])


# --- interval coverage, simulated

GROUPS, ROWS = 2000, 200


def _coverage(table: pd.DataFrame, truth: float) -> float:
    assert table["lower"].notna().all()
    return float(np.mean((table["lower"] <= truth) & (truth <= table["upper"])))


@pytest.mark.parametrize(("p", "low", "high"), [(0.3, 0.93, 0.97), (0.05, 0.92, 0.98)])
def test_wilson_coverage(p, low, high):
    successes = np.random.default_rng(11).binomial(ROWS, p, GROUPS)
    frame = pd.DataFrame({"n": float(ROWS), "n_failed": successes.astype(float)})
    assert low <= _coverage(metric_table(frame, "failure_rate", task="classification"), p) <= high


def test_f1_coverage():
    cells = np.random.default_rng(12).multinomial(ROWS, [0.2, 0.1, 0.1, 0.6], GROUPS)
    frame = pd.DataFrame(cells.astype(float), columns=["tp", "fp", "fn", "tn"])
    frame["n_labelled"] = float(ROWS)
    truth = 0.4 / (0.4 + 0.2)
    assert 0.93 <= _coverage(metric_table(frame, "f1", task="classification"), truth) <= 0.97


def test_roc_auc_coverage():
    rng = np.random.default_rng(13)
    shift, n_bins = 1.0, 100
    positive = np.tile(np.arange(ROWS) < ROWS // 2, GROUPS)
    x = rng.normal(np.where(positive, shift, 0.0))
    scores = 1 / (1 + np.exp(-x))
    groups = np.repeat(np.arange(GROUPS), ROWS)
    histogram = score_histogram(scores, positive, groups, GROUPS, n_bins)
    frame = pd.DataFrame({"n": np.full(GROUPS, float(ROWS))})
    # the population AUC of the binned scores (ties within a bin counted half)
    inner = np.arange(1, n_bins) / n_bins
    cuts = np.r_[-np.inf, np.log(inner / (1 - inner)), np.inf]  # bin edges on the normal scale
    bins_pos, bins_neg = np.diff(stats.norm.cdf(cuts - shift)), np.diff(stats.norm.cdf(cuts))
    truth = float(binned_roc_auc(ScoreHistogram(bins_pos, bins_neg, bins_pos + bins_neg))[0])
    table = metric_table(frame, "roc_auc", task="classification", histogram=histogram)
    assert 0.92 <= _coverage(table, truth) <= 0.98


def test_log_loss_coverage():
    rng = np.random.default_rng(14)
    scores = rng.beta(2, 2, GROUPS * ROWS)
    labels = (rng.random(scores.size) < scores).astype(int)
    frame, _ = classification_statistics(labels, scores, np.repeat(np.arange(GROUPS), ROWS))

    def entropy(s: float) -> float:
        return float(stats.beta.pdf(s, 2, 2) * -(s * np.log(s) + (1 - s) * np.log1p(-s)))

    truth = integrate.quad(entropy, 0, 1)[0]
    table = metric_table(frame, "log_loss", task="classification")
    assert 0.93 <= _coverage(table, truth) <= 0.97


@pytest.mark.parametrize(
    ("metric", "truth", "low", "high"),
    [("mae", np.sqrt(2 / np.pi), 0.93, 0.97), ("rmse", 1.0, 0.92, 0.98), ("r2", 0.8, 0.92, 0.98)],
)
def test_regression_interval_coverage(metric, truth, low, high):
    rng = np.random.default_rng(15)
    x = rng.normal(0.0, 2.0, GROUPS * ROWS)
    y = x + rng.normal(0.0, 1.0, x.size)  # residual sd 1; R² = 4 / (4 + 1)
    frame = regression_statistics(y, x, np.repeat(np.arange(GROUPS), ROWS))
    assert low <= _coverage(metric_table(frame, metric, task="regression"), truth) <= high


def test_slice_vs_rest_p_values_are_uniform_under_the_null():
    rng = np.random.default_rng(16)
    correct = rng.random(GROUPS * ROWS) < 0.8  # rows without any slice effect
    slice_of_row = rng.integers(0, 400, correct.size)
    tn = _sum(slice_of_row, 400, correct.astype(float))
    slices = pd.DataFrame({"tp": 0.0, "fp": _sum(slice_of_row, 400) - tn, "tn": tn, "fn": 0.0})
    slices["n_labelled"] = slices[["tp", "fp", "tn", "fn"]].sum(axis=1)
    result = compare_to_rest(slices, slices.sum(), "accuracy", task="classification")
    assert 0.03 <= float(np.mean(result["p_value"] < 0.05)) <= 0.07


# --- properties (hypothesis)


@given(
    st.integers(1, 10**6).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.floats(0.5, 0.999),
)
def test_wilson_interval_is_a_valid_interval_around_the_estimate(counts, confidence):
    k, n = counts
    lower, upper = wilson_interval(k, n, confidence=confidence)
    assert 0.0 <= lower <= k / n <= upper <= 1.0


@given(st.floats(0.0, 1.0), st.integers(1, 500), st.integers(1, 500), st.integers(2, 10))
def test_newcombe_interval_contains_the_auc_and_narrows_with_more_rows(auc, pos, neg, factor):
    lower, upper = newcombe_auc_interval(auc, pos, neg)
    assert 0.0 <= lower <= auc <= upper <= 1.0
    assert upper > lower  # never a point, even at AUC 0 or 1
    lower_more, upper_more = newcombe_auc_interval(auc, pos * factor, neg * factor)
    assert upper_more - lower_more <= upper - lower + 1e-12


_scores = st.floats(0.0, 1.0, allow_subnormal=False)
_classified_rows = st.lists(st.tuples(st.sampled_from([-1, 0, 1]), _scores), max_size=40)


def _classification_table(rows, factor=1):
    labels = np.array([r[0] for r in rows] * factor, dtype=int)
    scores = np.array([r[1] for r in rows] * factor, dtype=float)
    frame, histogram = classification_statistics(labels, scores, n_groups=1)
    table = metric_table(
        frame, ROW_METRICS_CLASSIFICATION, task="classification", histogram=histogram
    )
    return table.set_index("metric")


def _check_table(table: pd.DataFrame) -> None:
    value, lower, upper = table["value"], table["lower"], table["upper"]
    assert (value.isna() | (lower.isna() == upper.isna())).all()
    bounded = lower.notna()
    assert (lower[bounded] <= value[bounded] + 1e-9).all()
    assert (value[bounded] <= upper[bounded] + 1e-9).all()
    # every NaN has a reason, and a finite value with a finite interval has none
    assert (table["reason"].notna() == (value.isna() | lower.isna() | upper.isna())).all()


@settings(max_examples=60, deadline=None)
@given(_classified_rows)
def test_classification_metrics_are_in_range_and_inside_their_intervals(rows):
    table = _classification_table(rows)
    _check_table(table)
    in_unit = [
        "accuracy",
        "error",
        "precision",
        "recall",
        "f1",
        "positive_rate",
        "mean_score",
        "label_coverage",
        "brier_score",
        "roc_auc",
        "expected_calibration_error",
    ]
    for name in in_unit:
        row = table.loc[name]
        assert np.isnan(row["value"]) or 0.0 <= row["value"] <= 1.0
        assert np.isnan(row["lower"]) or 0.0 <= row["lower"] <= row["upper"] <= 1.0


@settings(max_examples=40, deadline=None)
@given(_classified_rows.filter(lambda rows: len(rows) >= 2), st.integers(2, 6))
def test_classification_intervals_narrow_as_rows_repeat(rows, factor):
    small, large = _classification_table(rows), _classification_table(rows, factor)
    np.testing.assert_allclose(small["value"], large["value"], rtol=1e-9)
    width_small = small["upper"] - small["lower"]
    width_large = large["upper"] - large["lower"]
    both = width_small.notna() & width_large.notna()
    assert (width_large[both] <= width_small[both] + 1e-12).all()


_numbers = st.integers(-1000, 1000).map(lambda i: i / 10)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_numbers, _numbers), max_size=30), st.integers(1, 5))
def test_regression_metrics_stay_inside_their_intervals(rows, factor):
    y = np.array([r[0] for r in rows] * factor, dtype=float)
    predicted = np.array([r[1] for r in rows] * factor, dtype=float)
    frame = regression_statistics(y, predicted, n_groups=1)
    table = metric_table(frame, ROW_METRICS_REGRESSION, task="regression").set_index("metric")
    _check_table(table)
    assert np.isnan(table.loc["mae", "value"]) or table.loc["mae", "lower"] >= 0 or len(y) < 2


# --- edge cases


def test_empty_group_gives_nan_with_a_reason_never_zero():
    labels, scores = np.array([1, 0, 1]), np.array([0.9, 0.2, 0.4])
    frame, histogram = classification_statistics(labels, scores, np.zeros(3, int), n_groups=2)
    table = metric_table(
        frame, ROW_METRICS_CLASSIFICATION, task="classification", histogram=histogram
    )
    empty = table.loc[1]
    assert empty[["value", "lower", "upper"]].isna().all().all()
    assert set(empty["reason"]) == {"no rows"}


def test_unlabelled_group_gives_nan_with_reason_but_label_free_metrics_still_work():
    frame, histogram = classification_statistics(np.array([-1, -1]), np.array([0.9, 0.2]))
    table = metric_table(
        frame, ROW_METRICS_CLASSIFICATION, task="classification", histogram=histogram
    ).set_index("metric")
    for name in ["accuracy", "precision", "recall", "f1", "log_loss", "brier_score"]:
        assert np.isnan(table.loc[name, "value"])
        assert table.loc[name, "reason"] == "no labelled rows"
    assert table.loc["roc_auc", "reason"] == "no labelled rows with a score"
    assert table.loc["positive_rate", "value"] == 0.5
    assert table.loc["label_coverage", "value"] == 0.0  # a real 0: two predictions, no labels


def test_precision_without_predicted_positives_is_nan_with_reason():
    frame, _ = classification_statistics(np.array([1, 0, 1]), np.array([0.1, 0.2, 0.3]))
    table = metric_table(frame, ["precision", "recall", "f1"], task="classification")
    assert np.isnan(_values(table, "precision")[0])
    assert table["reason"].iloc[0] == "no predicted positives"
    assert _values(table, "recall")[0] == 0.0  # defined: two positives, none found
    assert _values(table, "f1")[0] == 0.0


def test_all_one_class_makes_auc_and_recall_nan_with_reasons():
    no_rows_of_interest = pd.DataFrame(
        {"n_labelled": [4.0], "tp": 0.0, "fp": 0.0, "tn": 4.0, "fn": 0.0}
    )
    f1 = metric_table(no_rows_of_interest, "f1", task="classification")
    assert f1["reason"].iloc[0] == "no positive labels or predicted positives"
    frame, histogram = classification_statistics(np.zeros(5, int), np.linspace(0.1, 0.9, 5))
    table = metric_table(
        frame, ["roc_auc", "recall", "f1", "accuracy"], task="classification", histogram=histogram
    ).set_index("metric")
    assert table.loc["roc_auc", "reason"] == "no positive labels"
    assert table.loc["recall", "reason"] == "no positive labels"
    assert table.loc["f1", "value"] == 0.0  # defined: three false positives, no true one
    assert table.loc["accuracy", "value"] == pytest.approx(0.4)


def test_regression_edge_cases_have_reasons():
    constant = regression_statistics(np.full(4, 3.0), np.array([3.0, 2.0, 4.0, 3.0]))
    assert metric_table(constant, "r2", task="regression")["reason"].iloc[0] == (
        "labels are constant (R² undefined)"
    )
    zeros = regression_statistics(np.zeros(3), np.ones(3))
    assert metric_table(zeros, "mape", task="regression")["reason"].iloc[0] == "no non-zero labels"
    one = metric_table(regression_statistics(np.ones(1), np.zeros(1)), "mae", task="regression")
    assert one["value"].iloc[0] == 1.0
    assert np.isnan(one["lower"].iloc[0]) and one["reason"].iloc[0] == (
        "interval needs at least 2 rows"
    )
    exact = metric_table(
        regression_statistics(np.arange(5.0), np.arange(5.0)), "rmse", task="regression"
    )
    assert exact[["value", "lower", "upper"]].iloc[0].tolist() == [0.0, 0.0, 0.0]


def test_null_sums_are_reported_not_read_as_zero():
    frame, _ = classification_statistics(np.array([1, 0]), np.array([0.8, 0.3]), n_groups=2)
    frame.loc[0, ["sum_log_loss", "sum_log_loss_sq"]] = np.nan  # scores not logged for group 0
    frame.loc[1, ["sum_log_loss", "sum_log_loss_sq"]] = np.nan  # SQL SUM over no rows
    reasons = metric_table(frame, "log_loss", task="classification")["reason"].tolist()
    assert reasons == ["sum_log_loss is missing (NULL)", "no rows"]


def test_latency_quantiles_pass_through_without_interval():
    frame = pd.DataFrame({"n": [10.0, 0.0], "latency_p95": [0.25, np.nan]})
    table = metric_table(frame, "latency_p95", task="regression")
    assert _values(table, "latency_p95")[0] == 0.25
    assert table["reason"].tolist() == ["no interval: quantile from the engine", "no rows"]


def test_metric_value_is_the_scalar_form_of_metric_table():
    value = metric_value(
        {"n_labelled": 10, "tp": 4, "fp": 1, "tn": 3, "fn": 2}, "accuracy", task="classification"
    )
    assert value.value == 0.7 and value.n == 10 and value.reason is None
    assert value.lower < 0.7 < value.upper and value.interval_method == "Wilson score"


# --- comparisons


def test_compare_to_rest_equals_the_test_on_the_rows_outside_the_slice(classification_rows):
    labels, scores, groups = classification_rows
    in_slice = groups == 1
    slices, histogram = classification_statistics(labels[in_slice], scores[in_slice])
    overall, overall_histogram = classification_statistics(labels, scores)
    rest, rest_histogram = classification_statistics(labels[~in_slice], scores[~in_slice])
    names = ["accuracy", "f1", "log_loss", "roc_auc", "expected_calibration_error"]
    result = compare_to_rest(
        slices,
        overall,
        names,
        task="classification",
        histogram=histogram,
        overall_histogram=overall_histogram,
    ).set_index("metric")
    direct = compare_metric(
        slices,
        rest,
        names,
        task="classification",
        histogram_a=histogram,
        histogram_b=rest_histogram,
    ).set_index("metric")
    np.testing.assert_allclose(result["rest_value"], direct["value_b"], rtol=1e-9)
    np.testing.assert_allclose(result["p_value"], direct["p_value"], rtol=1e-6)
    overall_table = metric_table(
        overall, names, task="classification", histogram=overall_histogram
    ).set_index("metric")
    np.testing.assert_allclose(result["overall_value"], overall_table["value"])
    np.testing.assert_allclose(result["difference"], result["value"] - result["overall_value"])
    assert result.loc["expected_calibration_error", "reason"] == (
        "no test for expected_calibration_error"
    )
    correct_slice = (slices.tp + slices.tn).iloc[0]
    correct_rest = (rest.tp + rest.tn).iloc[0]
    expected = two_proportion_z_test(correct_slice, in_slice.sum(), correct_rest, (~in_slice).sum())
    assert result.loc["accuracy", "p_value"] == pytest.approx(float(expected))


def test_compare_to_rest_of_a_slice_covering_everything_explains_the_missing_p_value():
    frame, _ = classification_statistics(np.array([1, 0, 1]), np.array([0.9, 0.2, 0.6]))
    result = compare_to_rest(frame, frame, "accuracy", task="classification")
    assert np.isnan(result["p_value"].iloc[0])
    assert result["reason"].iloc[0] == "rest: no rows"


def test_compare_metric_against_one_baseline_row():
    rng = np.random.default_rng(21)
    labels = rng.integers(0, 2, 600)
    scores = np.clip(labels * 0.3 + rng.random(600) * 0.7, 0, 1)
    days, _ = classification_statistics(labels, scores, np.repeat(np.arange(3), 200))
    baseline, _ = classification_statistics(labels[:200], scores[:200])
    result = compare_metric(days, baseline, ["accuracy", "brier_score"], task="classification")
    assert result.shape[0] == 6
    assert result["p_value"].iloc[0] == 1.0  # day 0 is the baseline's rows
    assert result["difference"].iloc[0] == 0.0


def test_a_perfect_small_slice_is_not_significant_against_a_good_rest():
    slices = pd.DataFrame({"n_labelled": [4.0], "tp": [2.0], "fp": [0.0], "tn": [2.0], "fn": [0.0]})
    histogram = ScoreHistogram([[0] * 9 + [2]], [[2] + [0] * 9], [[0.02] + [0] * 8 + [1.9]])
    overall = slices.iloc[0] + pd.Series(
        {"n_labelled": 400, "tp": 180, "fp": 20, "tn": 180, "fn": 20}
    )
    overall_histogram = ScoreHistogram([[10] * 10], [[10] * 10], [[5.0] * 10])
    overall_histogram = ScoreHistogram(
        overall_histogram.positives + histogram.positives,
        overall_histogram.negatives + histogram.negatives,
        overall_histogram.score_sums + histogram.score_sums,
    )
    result = compare_to_rest(
        slices,
        overall,
        ["accuracy", "roc_auc"],
        task="classification",
        histogram=histogram,
        overall_histogram=overall_histogram,
    )
    assert (result["p_value"] > 0.05).all()


# --- errors and registry


def test_score_metrics_on_a_class_only_model_say_what_to_log():
    frame = pd.DataFrame({"n_labelled": [3], "tp": [1], "fp": [1], "tn": [1], "fn": [0]})
    for name in ["log_loss", "brier_score", "roc_auc", "expected_calibration_error"]:
        with pytest.raises(InputError, match="probability of the positive class"):
            metric_table(frame, name, task="classification")


def test_unknown_metric_and_task_name_the_valid_ones():
    with pytest.raises(UnknownNameError, match="accuracy, brier_score"):
        metric_spec("acuracy", task="classification")
    with pytest.raises(UnknownNameError, match="known: classification, regression"):
        metric_table(pd.DataFrame(), "mae", task="ranking")  # type: ignore[arg-type]
    with pytest.raises(LookupError):
        metric_table(pd.DataFrame({"n": [1]}), "auc", task="classification")


def test_invalid_statistics_are_rejected():
    good = {"n_labelled": [3.0], "tp": [1.0], "fp": [1.0], "tn": [1.0], "fn": [0.0]}
    with pytest.raises(InputError, match="tp\\+fp\\+tn\\+fn must equal n_labelled"):
        metric_table(pd.DataFrame(good | {"n_labelled": [5.0]}), "accuracy", task="classification")
    with pytest.raises(InputError, match="non-negative"):
        metric_table(pd.DataFrame(good | {"tp": [-1.0]}), "accuracy", task="classification")
    with pytest.raises(InputError, match="needs the columns"):
        metric_table(pd.DataFrame({"n": [3.0]}), "accuracy", task="classification")
    with pytest.raises(InputError, match="confidence"):
        metric_table(pd.DataFrame(good), "accuracy", task="classification", confidence=95)
    with pytest.raises(InputError, match="subsets"):
        compare_to_rest(
            pd.DataFrame(good), pd.DataFrame(good) / 2, "accuracy", task="classification"
        )
    with pytest.raises(TypeError):
        metric_table(pd.DataFrame(good), "accuracy", "classification")  # type: ignore[misc]


def test_registry_directions_and_the_error_metric():
    assert {"error", "label_coverage", "failure_rate"} <= set(REGRESSION_METRICS)
    assert CLASSIFICATION_METRICS["error"].direction is Direction.LOWER_IS_BETTER
    assert CLASSIFICATION_METRICS["roc_auc"].direction is Direction.HIGHER_IS_BETTER
    assert REGRESSION_METRICS["error"].columns == REGRESSION_METRICS["mae"].columns
    for spec in [*CLASSIFICATION_METRICS.values(), *REGRESSION_METRICS.values()]:
        assert isinstance(spec.direction, Direction) and spec.interval_method and spec.test
    assert CLASSIFICATION_METRICS["log_loss"].needs_scores
    assert not CLASSIFICATION_METRICS["accuracy"].needs_scores
    with pytest.raises(TypeError):
        CLASSIFICATION_METRICS["new"] = CLASSIFICATION_METRICS["error"]  # type: ignore[index]


def test_histogram_from_the_engine_long_format():
    index = pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["country", "tier"])
    frame = pd.DataFrame(
        {
            "country": ["b", "a", "b"],
            "tier": [2, 1, 2],
            "score_bin": [0, 5, 9],
            "bin_positives": [1, 2, 3],
            "bin_negatives": [4, 0, 0],
            "bin_sum_score": [0.2, 1.1, 2.9],
        }
    )
    histogram = ScoreHistogram.from_frame(frame, index=index, by=["country", "tier"], n_bins=10)
    assert histogram.positives.tolist() == [
        [0, 0, 0, 0, 0, 2, 0, 0, 0, 0],
        [1, 0, 0, 0, 0, 0, 0, 0, 0, 3],
    ]
    assert histogram.negatives[1, 0] == 4 and histogram.score_sums[1, 9] == 2.9
    with pytest.raises(InputError, match="groups that the statistics frame does not"):
        ScoreHistogram.from_frame(frame, index=index[:1], by=["country", "tier"], n_bins=10)


def test_stats_modules_import_nothing_above_the_stats_layer():
    allowed = {
        "numpy",
        "scipy",
        "pandas",
        "pyarrow",
        "diaglab",
        "__future__",
        "collections",
        "dataclasses",
        "enum",
        "types",
        "typing",
        "math",
    }
    for module in (intervals, metrics):
        tree = ast.parse(Path(str(module.__file__)).read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] in allowed, name
                if name.startswith("diaglab"):
                    assert name in {"diaglab.errors"} or name.startswith("diaglab.stats"), name
