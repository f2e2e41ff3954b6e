"""Drift statistics from counts: against scipy on raw data, properties, verdicts, edge cases."""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon

from diaglab.errors import InputError, UnknownNameError
from diaglab.stats import drift
from diaglab.stats.distances import (
    chi_square,
    coarsen_bins,
    js_distance,
    ks_binned,
    merge_duplicate_edges,
    psi,
    total_variation,
    wasserstein_binned,
)
from diaglab.stats.drift import (
    DriftThresholds,
    FeatureDrift,
    alert_band,
    assess_drift,
    categorical_statistics,
    drift_frame,
    numeric_statistics,
)
from diaglab.stats.multiple_testing import adjust_p_values

# --- counts the way the query engine computes them, from raw numpy arrays ------------------------


def numeric_counts(reference: np.ndarray, current: np.ndarray, bins: int = 100) -> dict:
    """Reference-quantile edges, per-bin counts, nulls and out-of-range counts (NaN is null)."""
    ref, cur = reference[~np.isnan(reference)], current[~np.isnan(current)]
    edges = np.quantile(ref, np.linspace(0, 1, bins + 1))
    inside = cur[(cur >= edges[0]) & (cur <= edges[-1])]
    return {
        "edges": edges,
        "reference_counts": np.histogram(ref, edges)[0],
        "current_counts": np.histogram(inside, edges)[0],
        "reference_std": float(ref.std(ddof=1)),
        "reference_nulls": int(np.isnan(reference).sum()),
        "current_nulls": int(np.isnan(current).sum()),
        "current_below": int((cur < edges[0]).sum()),
        "current_above": int((cur > edges[-1]).sum()),
        "current_min": float(cur.min()) if cur.size else None,
        "current_max": float(cur.max()) if cur.size else None,
    }


def categorical_counts(reference: np.ndarray, current: np.ndarray) -> dict:
    """Per-category counts of integer codes; a negative code is null."""

    def count(codes: np.ndarray) -> dict[str, int]:
        values, counts = np.unique(codes[codes >= 0], return_counts=True)
        return {f"c{v}": int(c) for v, c in zip(values, counts, strict=True)}

    return {
        "reference_counts": count(reference),
        "current_counts": count(current),
        "reference_nulls": int((reference < 0).sum()),
        "current_nulls": int((current < 0).sum()),
    }


def binned(reference: np.ndarray, current: np.ndarray, bins: int = 100):
    """Edges spanning both samples (reference quantiles, current extremes) and both counts."""
    inner = np.quantile(reference, np.linspace(0, 1, bins + 1))
    edges = np.unique(np.concatenate([[min(current.min(), inner[0])], inner, [current.max()]]))
    return edges, np.histogram(reference, edges)[0], np.histogram(current, edges)[0]


SAMPLES = {
    "normal shift": lambda rng: (rng.normal(0, 1, 20_000), rng.normal(0.1, 1, 30_000)),
    "lognormal scale": lambda rng: (rng.lognormal(0, 0.7, 20_000), rng.lognormal(0.1, 0.7, 30_000)),
    "normal vs uniform": lambda rng: (rng.normal(0, 1, 20_000), rng.uniform(-2, 2, 30_000)),
    "poisson": lambda rng: (rng.poisson(3, 20_000) * 1.0, rng.poisson(3.4, 30_000) * 1.0),
    "identical law": lambda rng: (rng.exponential(1, 20_000), rng.exponential(1, 30_000)),
}


# --- statistics from counts against scipy on raw data --------------------------------------------


def test_psi_is_the_sum_of_share_differences_times_log_ratios() -> None:
    p, q = np.array([0.5, 0.3, 0.2]), np.array([0.4, 0.4, 0.2])
    assert psi([50, 30, 20], [40, 40, 20]) == pytest.approx(np.sum((q - p) * np.log(q / p)))


def test_psi_floors_empty_bins_at_eps() -> None:
    value = psi([100, 0], [90, 10], eps=1e-4)
    expected = (0.9 - 1) * math.log(0.9) + (0.1 - 1e-4) * math.log(0.1 / 1e-4)
    assert value == pytest.approx(expected)
    assert math.isfinite(value)


def test_js_distance_matches_scipy_base_2() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        a, b = rng.integers(0, 50, 12), rng.integers(0, 50, 12)
        a[0] = b[1] = 1
        assert js_distance(a, b) == pytest.approx(jensenshannon(a, b, base=2), abs=1e-12)


def test_total_variation_is_half_the_l1_distance_of_shares() -> None:
    assert total_variation([1, 1, 2], [2, 1, 1]) == pytest.approx(0.25)
    assert total_variation([1, 0], [0, 1]) == 1.0


@pytest.mark.parametrize("name", SAMPLES)
def test_wasserstein_binned_is_within_its_bound_of_scipy(name: str) -> None:
    reference, current = SAMPLES[name](np.random.default_rng(2))
    edges, ref_counts, cur_counts = binned(reference, current)
    std = float(reference.std(ddof=1))
    result = wasserstein_binned(edges, ref_counts, cur_counts, reference_std=std)
    exact = stats.wasserstein_distance(reference, current) / std
    assert abs(result.distance - exact) <= result.error_bound < 0.7
    assert abs(result.distance - exact) < 0.025  # the bound is loose; the estimate is good


def test_wasserstein_binned_is_close_for_a_location_shift() -> None:
    reference, current = SAMPLES["normal shift"](np.random.default_rng(3))
    edges, ref_counts, cur_counts = binned(reference, current)
    result = wasserstein_binned(edges, ref_counts, cur_counts, reference_std=reference.std())
    assert result.distance == pytest.approx(
        stats.wasserstein_distance(reference, current) / reference.std(), abs=0.005
    )


def test_wasserstein_of_a_count_feature_is_within_bound_and_close() -> None:
    rng = np.random.default_rng(4)
    reference, current = rng.poisson(3, 30_000) * 1.0, rng.poisson(3.3, 60_000) * 1.0
    result = numeric_statistics("visits", **numeric_counts(reference, current))
    exact = stats.wasserstein_distance(reference, current) / reference.std(ddof=1)
    assert abs(result.wasserstein - exact) <= result.wasserstein_error_bound
    # The top bin, [8, max], holds several integers, so this is close but not exact.
    assert result.wasserstein == pytest.approx(exact, rel=0.05)


def test_point_masses_make_wasserstein_of_a_binary_feature_exact() -> None:
    rng = np.random.default_rng(5)
    reference = (rng.random(30_000) < 0.10) * 1.0
    current = (rng.random(60_000) < 0.12) * 1.0
    result = numeric_statistics("flag", **numeric_counts(reference, current))
    exact = stats.wasserstein_distance(reference, current) / reference.std(ddof=1)
    assert result.wasserstein == pytest.approx(exact, rel=1e-9)
    # Spreading the zeros evenly over [0, next edge) instead would miss a good part of it.
    counts = numeric_counts(reference, current)
    e, (r, c), _ = merge_duplicate_edges(
        counts["edges"], counts["reference_counts"], counts["current_counts"]
    )
    spread = wasserstein_binned(e, r, c, reference_std=counts["reference_std"])
    assert spread.distance < 0.9 * exact


@pytest.mark.parametrize("name", SAMPLES)
def test_ks_binned_brackets_the_exact_statistic(name: str) -> None:
    reference, current = SAMPLES[name](np.random.default_rng(6))
    _, ref_counts, cur_counts = binned(reference, current)
    result = ks_binned(ref_counts, cur_counts)
    exact = stats.ks_2samp(reference, current, method="asymp").statistic
    largest_bin = max((ref_counts / ref_counts.sum()).max(), (cur_counts / cur_counts.sum()).max())
    assert result.statistic <= exact + 1e-12
    assert exact <= result.upper_bound + 1e-12
    assert result.upper_bound <= result.statistic + largest_bin + 1e-12


@pytest.mark.parametrize("shift", [0.0, 0.02, 0.04])
def test_ks_binned_p_value_is_close_to_scipy_asymptotic_with_fine_bins(shift: float) -> None:
    rng = np.random.default_rng(7)
    reference, current = rng.normal(0, 1, 20_000), rng.normal(shift, 1, 40_000)
    _, ref_counts, cur_counts = binned(reference, current, bins=2000)
    result = ks_binned(ref_counts, cur_counts)
    exact = stats.ks_2samp(reference, current, method="asymp")
    assert result.p_value >= exact.pvalue - 1e-12  # conservative
    assert result.p_value == pytest.approx(exact.pvalue, rel=0.15, abs=0.01)


def test_chi_square_matches_scipy_chi2_contingency() -> None:
    reference, current = [120, 80, 40, 60], [100, 90, 55, 50]
    result = chi_square(reference, current)
    expected = stats.chi2_contingency([reference, current], correction=False)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert (result.dof, result.pooled) == (expected.dof, 0)


def test_chi_square_keeps_a_category_absent_on_one_side_and_drops_one_absent_on_both() -> None:
    result = chi_square([50, 0, 30, 0], [40, 20, 30, 0])
    expected = stats.chi2_contingency([[50, 0, 30], [40, 20, 30]], correction=False)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.dof == 2


def test_chi_square_pools_categories_expected_below_five() -> None:
    result = chi_square([500, 400, 3, 4], [450, 420, 3, 2])
    expected = stats.chi2_contingency([[500, 400, 7], [450, 420, 5]], correction=False)
    assert result.pooled == 2
    assert (result.statistic, result.dof) == (pytest.approx(expected.statistic), 2)


def test_chi_square_adds_a_pool_still_below_five_to_the_smallest_category() -> None:
    result = chi_square([500, 400, 1, 2], [450, 420, 3, 0])
    expected = stats.chi2_contingency([[500, 403], [450, 423]], correction=False)
    assert (result.statistic, result.dof) == (pytest.approx(expected.statistic), 1)


# --- bins ----------------------------------------------------------------------------------------


def test_merge_duplicate_edges_keeps_both_values_of_a_binary_feature() -> None:
    values = np.array([0.0] * 60 + [1.0] * 40)
    edges = np.quantile(values, np.linspace(0, 1, 101))
    e, (counts,), point_mass = merge_duplicate_edges(edges, np.histogram(values, edges)[0])
    # np.quantile interpolates one edge between 0 and 1; the zeros and ones keep bins of their own.
    assert (e[0], e[-2], e[-1]) == (0.0, 1.0, 1.0)
    assert (counts[0], counts[-1], counts.sum()) == (60.0, 40.0, 100.0)
    assert (point_mass[0], point_mass[-1]) == (True, True)


def test_merge_duplicate_edges_moves_counts_of_zero_width_bins_to_the_bin_starting_there() -> None:
    e, (a, b), point_mass = merge_duplicate_edges([0, 1, 1, 2, 3], [5, 2, 7, 1], [4, 0, 8, 2])
    assert e.tolist() == [0, 1, 2, 3]
    assert (a.tolist(), b.tolist()) == ([5, 9, 1], [4, 8, 2])
    assert point_mass.tolist() == [False, True, False]


def test_merge_duplicate_edges_leaves_distinct_edges_alone() -> None:
    e, (a,), point_mass = merge_duplicate_edges([0, 1, 2], [3, 4])
    assert (e.tolist(), a.tolist(), point_mass.any()) == ([0, 1, 2], [3, 4], False)


def test_coarsen_bins_turns_percentile_bins_into_deciles() -> None:
    rng = np.random.default_rng(8)
    reference, current = rng.normal(0, 1, 10_000), rng.normal(0.2, 1, 5_000)
    edges = np.quantile(reference, np.linspace(0, 1, 101))
    ref, cur = np.histogram(reference, edges)[0], np.histogram(current, edges)[0]
    coarse, (ref_c, cur_c) = coarsen_bins(edges, ref, cur, bins=10)
    assert coarse.size == 11
    np.testing.assert_allclose(coarse, np.quantile(reference, np.linspace(0, 1, 11)))
    assert ref_c.tolist() == [1000.0] * 10
    assert cur_c.sum() == cur.sum()


def test_coarsen_bins_leaves_few_bins_unchanged() -> None:
    edges, (ref,) = coarsen_bins([0, 1, 2], [3, 4], bins=10)
    assert (edges.tolist(), ref.tolist()) == ([0, 1, 2], [3, 4])


def test_invalid_counts_and_edges_raise_input_error() -> None:
    with pytest.raises(InputError, match="non-negative"):
        psi([1, -1], [1, 1])
    with pytest.raises(InputError, match="differ in length"):
        js_distance([1, 2], [1, 2, 3])
    with pytest.raises(InputError, match="non-decreasing"):
        wasserstein_binned([0, 2, 1], [1, 1], [1, 1], reference_std=1.0)
    with pytest.raises(InputError, match="edges"):
        numeric_statistics("x", edges=[0, 1], reference_counts=[1, 1], current_counts=[1, 1],
                           reference_std=1.0)  # fmt: skip


# --- multiple testing ----------------------------------------------------------------------------


def test_benjamini_hochberg_matches_scipy() -> None:
    p = np.random.default_rng(9).uniform(0, 0.2, 30)
    np.testing.assert_allclose(
        adjust_p_values(p, method="bh"), stats.false_discovery_control(p, method="bh")
    )


def test_holm_multiplies_the_kth_smallest_by_m_minus_k_plus_1_and_stays_monotone() -> None:
    adjusted = adjust_p_values([0.01, 0.04, 0.03, 0.005], method="holm")
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])


def test_adjusted_p_values_skip_nan_and_order_methods() -> None:
    p = np.array([0.001, np.nan, 0.02, 0.5, 0.01])
    holm, bh = adjust_p_values(p, method="holm"), adjust_p_values(p, method="bh")
    bonferroni = adjust_p_values(p, method="bonferroni")
    assert np.isnan(holm[1]) and np.isnan(bh[1])
    tested = ~np.isnan(p)
    assert np.all(p[tested] <= bh[tested])
    assert np.all(bh[tested] <= holm[tested])
    assert np.all(holm[tested] <= bonferroni[tested])
    np.testing.assert_allclose(bonferroni[tested], np.minimum(p[tested] * 4, 1))


def test_unknown_correction_names_the_choices() -> None:
    with pytest.raises(InputError, match="holm, bh, bonferroni, none"):
        adjust_p_values([0.1], method=cast(Any, "fdr"))


# --- verdicts ------------------------------------------------------------------------------------


def _stats(feature: str, p_value: float, wasserstein: float, psi_value: float = 0.0):
    return drift.FeatureStatistics(
        feature=feature,
        kind="numeric",
        n_reference=1000,
        n_current=1000,
        missing_rate_reference=0.0,
        missing_rate_current=0.0,
        missing_rate_change=0.0,
        wasserstein=wasserstein,
        psi=psi_value,
        p_value=p_value,
    )


def test_a_large_effect_without_significance_is_none() -> None:
    (result,) = assess_drift([_stats("x", 0.2, 0.9, 0.8)])
    assert (result.severity, result.drifted) == ("none", False)
    assert result.effect == 0.9


def test_a_significant_effect_below_moderate_is_minor_never_hidden() -> None:
    (result,) = assess_drift([_stats("x", 1e-30, 0.05)])
    assert (result.severity, result.drifted) == ("minor", False)


@pytest.mark.parametrize(
    ("wasserstein", "psi_value", "severity", "statistic"),
    [(0.15, 0.0, "moderate", "wasserstein"), (0.3, 0.0, "major", "wasserstein"),
     (0.05, 0.3, "major", "psi"), (0.12, 0.12, "moderate", "wasserstein")],
)  # fmt: skip
def test_the_highest_effect_level_sets_the_severity(
    wasserstein: float, psi_value: float, severity: str, statistic: str
) -> None:
    (result,) = assess_drift([_stats("x", 1e-9, wasserstein, psi_value)])
    assert (result.severity, result.effect_statistic) == (severity, statistic)
    assert result.drifted is (severity in ("moderate", "major"))


def test_effect_thresholds_do_not_depend_on_sample_size() -> None:
    rng = np.random.default_rng(10)
    reference = rng.normal(40, 12, 3_000_000)
    current = rng.normal(40.5, 12, 6_000_000)  # half a year: real, tiny, hugely significant
    (result,) = assess_drift([numeric_statistics("age", **numeric_counts(reference, current))])
    assert result.p_adjusted < 1e-12
    assert result.severity == "minor"


def test_thresholds_can_be_overridden_per_feature() -> None:
    strict = DriftThresholds(wasserstein_moderate=0.01, wasserstein_major=0.04)
    results = assess_drift(
        [_stats("age", 1e-9, 0.05), _stats("income", 1e-9, 0.05)], overrides={"age": strict}
    )
    assert [r.severity for r in results] == ["major", "minor"]
    assert results[0].thresholds is strict and results[1].thresholds == DriftThresholds()


def test_overriding_an_unknown_feature_names_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="unknown feature 'agee'; known: age, income"):
        assess_drift(
            [_stats("age", 0.5, 0.0), _stats("income", 0.5, 0.0)],
            overrides={"agee": DriftThresholds()},
        )


def test_repeated_feature_names_and_bad_thresholds_are_rejected() -> None:
    with pytest.raises(InputError, match="repeat"):
        assess_drift([_stats("age", 0.5, 0.0), _stats("age", 0.5, 0.0)])
    with pytest.raises(InputError, match="psi_moderate"):
        DriftThresholds(psi_moderate=0.3, psi_major=0.2)


def test_correction_spans_the_features_of_one_report() -> None:
    alone = assess_drift([_stats("x", 0.004, 0.0)])
    crowd = assess_drift([_stats("x", 0.004, 0.0)] + [_stats(f"y{i}", 0.5, 0.0) for i in range(9)])
    assert alone[0].severity == "minor"
    assert crowd[0].p_adjusted == pytest.approx(0.04)
    assert crowd[0].severity == "none"
    assert assess_drift([_stats("x", 0.004, 0.0)], alpha=0.05, correction="bh")[0].severity == (
        "minor"
    )


def test_binned_tests_on_reference_quantile_bins_are_not_anti_conservative() -> None:
    # Quantile edges from the reference make its counts nearly equal; the binned KS and the
    # chi-square must still keep their level under no drift, on continuous and discrete data.
    rng = np.random.default_rng(11)
    draws = {
        "normal": lambda size: rng.normal(0, 1, size),
        "poisson": lambda size: rng.poisson(2, size) * 1.0,
        "zero_inflated": lambda size: np.where(rng.random(size) < 0.5, 0, rng.exponential(1, size)),
    }
    p_values = []
    for draw in draws.values():
        for _ in range(150):
            x = draw(3000)
            p_values.append(numeric_statistics("x", **numeric_counts(x[:1000], x[1000:])).p_value)
    for _ in range(150):
        codes = rng.choice(12, size=3000, p=np.arange(1, 13) / 78)
        counts = categorical_counts(codes[:1000], codes[1000:])
        p_values.append(categorical_statistics("c", **counts).p_value)
    rejected = np.mean(np.array(p_values) < 0.05)
    assert rejected <= 0.07  # 600 tests at level 0.05: two standard errors above 0.05 is 0.068


def simulate_report(n: int, seed: int = 0) -> tuple[tuple[FeatureDrift, ...], set[str]]:
    """12 drifted features, some subtle, and 15 undrifted ones; the first third is the reference."""
    rng = np.random.default_rng(seed)
    n_ref = n // 3
    later = np.arange(n) >= n_ref

    def nulls(x: np.ndarray, rate_reference: float, rate_current: float) -> np.ndarray:
        return np.where(rng.random(n) < np.where(later, rate_current, rate_reference), np.nan, x)

    def categories(reference: list[float], current: list[float]) -> np.ndarray:
        before = rng.choice(len(reference), size=n, p=reference)
        return np.where(later, rng.choice(len(current), size=n, p=current), before)

    numeric = {
        "age_plus_1_year": rng.normal(40, 12, n) + later,
        "income_times_1.05": rng.lognormal(10, 0.5, n) * np.where(later, 1.05, 1.0),
        "spread_times_1.15": rng.normal(0, 1, n) * np.where(later, 1.15, 1.0),
        "score_plus_0.02": rng.beta(2, 5, n) + 0.02 * later,
        "balance_plus_half_std": rng.normal(5, 2, n) + 1.0 * later,
        "visits_poisson_3_to_3.3": rng.poisson(np.where(later, 3.3, 3.0)) * 1.0,
        "flag_10_to_12_percent": (rng.random(n) < np.where(later, 0.12, 0.10)) * 1.0,
        "nulls_2_to_5_percent": nulls(rng.normal(0, 1, n), 0.02, 0.05),
    }
    categorical = {
        "plan_3_points": categories([0.5, 0.3, 0.2], [0.47, 0.33, 0.2]),
        "region_2_points": categories([0.125] * 8, [0.145, 0.105] + [0.125] * 6),
        "device_new_1_percent": categories([0.4, 0.3, 0.2, 0.1, 0], [0.39, 0.3, 0.2, 0.1, 0.01]),
        "channel_swap": categories([0.6, 0.4], [0.4, 0.6]),
    }
    drifted = set(numeric) | set(categorical)
    numeric |= {
        "normal": rng.normal(0, 1, n),
        "lognormal": rng.lognormal(0, 1, n),
        "uniform": rng.uniform(-1, 1, n),
        "exponential": rng.exponential(2, n),
        "poisson": rng.poisson(1, n) * 1.0,
        "binary": (rng.random(n) < 0.3) * 1.0,
        "constant": np.full(n, 7.0),
        "zero_inflated": np.where(rng.random(n) < 0.7, 0.0, rng.exponential(1, n)),
        "with_nulls": nulls(rng.normal(0, 1, n), 0.05, 0.05),
        "heavy_tailed": rng.standard_t(2, n),
        "rounded_age": np.round(rng.normal(40, 12, n)),
    }
    five = [0.4, 0.3, 0.15, 0.1, 0.05]
    categorical |= {
        "two": categories([0.5, 0.5], [0.5, 0.5]),
        "five": categories(five, five),
        "zipf_50": rng.zipf(1.6, n) % 50,
        "categorical_with_nulls": np.where(
            rng.random(n) < 0.1, -1, categories([0.7, 0.2, 0.1], [0.7, 0.2, 0.1])
        ),
    }
    features = [
        numeric_statistics(name, **numeric_counts(x[:n_ref], x[n_ref:]))
        for name, x in numeric.items()
    ] + [
        categorical_statistics(name, **categorical_counts(x[:n_ref], x[n_ref:]))
        for name, x in categorical.items()
    ]
    return assess_drift(features), drifted


@pytest.mark.parametrize("n", [100_000, 1_000_000])
def test_benchmark_scenario_finds_all_drift_and_raises_no_false_alarm(n: int) -> None:
    results, drifted = simulate_report(n)
    assert (len(drifted), len(results) - len(drifted)) == (12, 15)
    found = {r.feature for r in results if r.feature in drifted and r.severity != "none"}
    false_alarms = {r.feature for r in results if r.feature not in drifted and r.severity != "none"}
    assert found == drifted
    assert false_alarms == set()
    by_name = {r.feature: r for r in results}
    for subtle in ("age_plus_1_year", "plan_3_points", "region_2_points", "nulls_2_to_5_percent"):
        assert by_name[subtle].severity == "minor", subtle
    assert by_name["balance_plus_half_std"].severity == "major"
    assert by_name["device_new_1_percent"].new_categories == ("c4",)


# --- results -------------------------------------------------------------------------------------


def test_to_dict_and_drift_frame_sort_by_severity_then_effect() -> None:
    results = assess_drift(
        [_stats("small", 1e-9, 0.02), _stats("none", 0.9, 0.5), _stats("big", 1e-9, 0.4),
         _stats("mid", 1e-9, 0.12), _stats("smaller", 1e-9, 0.01)]
    )  # fmt: skip
    frame = drift_frame(results)
    assert frame["feature"].tolist() == ["big", "mid", "small", "smaller", "none"]
    assert frame.loc[0, "moderate_threshold"] == 0.1 and frame.loc[0, "major_threshold"] == 0.25
    row = results[0].to_dict()
    assert row["thresholds"]["psi_major"] == 0.25
    assert row["new_categories"] == [] and row["severity"] == "minor"


def test_drift_frame_of_no_results_has_the_columns() -> None:
    frame = drift_frame([])
    assert frame.empty and {"feature", "severity", "effect", "p_adjusted"} <= set(frame.columns)


def test_alert_band_is_mean_plus_minus_k_std() -> None:
    values = [0.01, 0.02, 0.015, 0.012, np.nan]
    low, high = alert_band(values, k=3.0)
    finite = np.array(values[:4])
    assert high == pytest.approx(finite.mean() + 3 * finite.std(ddof=1))
    assert low == pytest.approx(finite.mean() - 3 * finite.std(ddof=1))
    with pytest.raises(InputError, match="two finite values"):
        alert_band([0.1, np.nan])


# --- edge cases ----------------------------------------------------------------------------------


def test_constant_feature_unchanged_is_none_with_zero_distances() -> None:
    x = np.full(900, 3.0)
    result = numeric_statistics("c", **numeric_counts(x[:300], x[300:]))
    assert (result.wasserstein, result.psi, result.ks_statistic, result.p_value) == (0, 0, 0, 1)
    assert assess_drift([result])[0].severity == "none"


def test_constant_reference_that_starts_varying_is_major_with_infinite_effect() -> None:
    reference, current = np.full(1000, 3.0), np.where(np.arange(2000) < 1800, 3.0, 4.0)
    result = numeric_statistics("c", **numeric_counts(reference, current))
    assert result.out_of_range_share == pytest.approx(0.1)
    assert result.wasserstein == math.inf
    (verdict,) = assess_drift([result])
    assert verdict.severity == "major" and verdict.drifted


def test_empty_current_window_gives_nan_statistics_and_none_with_a_reason() -> None:
    result = numeric_statistics(
        "x", edges=[0, 1, 2], reference_counts=[5, 5], current_counts=[0, 0], reference_std=0.5
    )
    assert math.isnan(result.psi) and math.isnan(result.wasserstein) and math.isnan(result.p_value)
    assert result.reason == "the current window has no rows"
    verdict, _ = assess_drift([result, _stats("y", 1e-9, 0.5)])
    assert (verdict.severity, verdict.drifted) == ("none", False)
    assert math.isnan(verdict.p_adjusted)


def test_all_null_current_is_judged_by_its_missing_rate_alone() -> None:
    result = numeric_statistics(
        "x", edges=[0, 1, 2], reference_counts=[50, 50], current_counts=[0, 0], reference_std=0.5,
        reference_nulls=1, current_nulls=200,
    )  # fmt: skip
    assert math.isnan(result.wasserstein) and math.isnan(result.ks_statistic)
    assert result.missing_rate_current == 1.0 and result.n_current == 0
    assert "no non-null values" in (result.reason or "")
    (verdict,) = assess_drift([result])
    assert (verdict.severity, verdict.effect_statistic) == ("major", "missing_rate_change")


def test_all_null_reference_without_edges_counts_current_values_as_out_of_range() -> None:
    result = numeric_statistics(
        "x", edges=[], reference_counts=[], current_counts=[], reference_std=math.nan,
        reference_nulls=100, current_above=150, current_nulls=50,
    )  # fmt: skip
    assert (result.n_reference, result.n_current) == (0, 150)
    assert result.missing_rate_reference == 1.0 and result.missing_rate_current == 0.25
    assert math.isnan(result.psi)


def test_an_empty_side_lists_no_new_or_vanished_categories() -> None:
    result = categorical_statistics("c", reference_counts={"a": 5}, current_counts={})
    assert (result.new_categories, result.vanished_categories) == ((), ())
    assert result.reason == "the current window has no rows"


def test_both_sides_all_null_is_none() -> None:
    result = categorical_statistics(
        "c", reference_counts={}, current_counts={}, reference_nulls=10, current_nulls=10
    )
    assert result.p_value == 1.0 and math.isnan(result.js_distance)
    assert assess_drift([result])[0].severity == "none"


def test_a_category_never_seen_in_the_reference_is_new_and_out_of_range() -> None:
    result = categorical_statistics(
        "device", reference_counts={"ios": 500, "android": 500, "web": 10},
        current_counts={"ios": 450, "android": 450, "tv": 100},
    )  # fmt: skip
    assert result.new_categories == ("tv",)
    assert result.vanished_categories == ("web",)
    assert result.out_of_range_share == pytest.approx(0.1)
    assert math.isfinite(result.psi) and result.p_value < 1e-10
    assert assess_drift([result])[0].severity in ("moderate", "major")


def test_null_categories_must_be_passed_as_null_counts() -> None:
    with pytest.raises(InputError, match="reference_nulls"):
        categorical_statistics("c", reference_counts={None: 1, "a": 2}, current_counts={"a": 1})


def test_zero_count_bins_give_finite_statistics() -> None:
    result = numeric_statistics(
        "x", edges=[0, 1, 2, 3, 4], reference_counts=[10, 0, 10, 0],
        current_counts=[0, 10, 10, 0], reference_std=1.0,
    )  # fmt: skip
    values = [result.psi, result.js_distance, result.wasserstein, result.ks_statistic]
    assert all(math.isfinite(v) for v in values)
    assert 0 < result.p_value < 1


def test_out_of_range_values_without_current_extremes_make_the_bound_infinite() -> None:
    kwargs = {"edges": [0, 1, 2], "reference_counts": [5, 5], "reference_std": 0.5}
    unknown = numeric_statistics("x", current_counts=[5, 4], current_above=1, **kwargs)
    known = numeric_statistics("x", current_counts=[5, 4], current_above=1, current_max=5, **kwargs)
    assert unknown.wasserstein_error_bound == math.inf
    assert math.isfinite(known.wasserstein_error_bound)
    assert known.wasserstein > unknown.wasserstein
    with pytest.raises(InputError, match="outside"):
        numeric_statistics("x", current_counts=[5, 4], current_above=1, current_max=1.5, **kwargs)


# --- properties ----------------------------------------------------------------------------------

counts = st.lists(st.integers(0, 1000), min_size=1, max_size=30)


def _pairs(data: st.DataObject) -> tuple[list[int], list[int]]:
    a = data.draw(counts)
    b = data.draw(st.lists(st.integers(0, 1000), min_size=len(a), max_size=len(a)))
    a[0] += 1
    b[-1] += 1
    return a, b


@settings(deadline=None, max_examples=200)
@given(st.data())
def test_distances_are_in_range_and_symmetric(data: st.DataObject) -> None:
    a, b = _pairs(data)
    assert psi(a, b) >= 0
    assert psi(a, b) == pytest.approx(psi(b, a))
    assert 0 <= js_distance(a, b) <= 1
    assert js_distance(a, b) == pytest.approx(js_distance(b, a), abs=1e-12)
    assert 0 <= total_variation(a, b) <= 1
    ks = ks_binned(a, b)
    assert 0 <= ks.statistic <= ks.upper_bound <= 1 and 0 <= ks.p_value <= 1
    assert 0 <= chi_square(a, b).p_value <= 1


@settings(deadline=None, max_examples=200)
@given(counts, st.integers(1, 5))
def test_identical_shares_give_zero_distance_and_p_value_one(a: list[int], scale: int) -> None:
    a[0] += 1
    b = [scale * x for x in a]
    edges = np.arange(len(a) + 1, dtype=float)
    assert psi(a, b) == pytest.approx(0, abs=1e-12)
    assert js_distance(a, b) == pytest.approx(0, abs=1e-6)
    assert total_variation(a, b) == pytest.approx(0, abs=1e-12)
    assert wasserstein_binned(edges, a, b, reference_std=1.0).distance == pytest.approx(0, abs=1e-9)
    assert ks_binned(a, b).statistic == pytest.approx(0, abs=1e-12)
    assert ks_binned(a, b).p_value == pytest.approx(1)
    assert chi_square(a, b).p_value == pytest.approx(1)


@settings(deadline=None, max_examples=100)
@given(st.data())
def test_merging_duplicate_edges_preserves_totals(data: st.DataObject) -> None:
    edges = sorted(data.draw(st.lists(st.integers(0, 5), min_size=2, max_size=20)))
    a = data.draw(st.lists(st.integers(0, 100), min_size=len(edges) - 1, max_size=len(edges) - 1))
    e, (merged,), point_mass = merge_duplicate_edges(edges, a)
    assert merged.sum() == sum(a)
    assert merged.size == e.size - 1 == point_mass.size
    assert np.all(np.diff(e)[:-1] > 0)


def _three_shifts():
    from diaglab.stats.drift import categorical_statistics

    def cat(name, cur):
        return categorical_statistics(
            name,
            reference_counts={"a": 50_000, "b": 50_000},
            current_counts={"a": cur, "b": 100_000 - cur},
        )

    # none, minor (JS ~0.035: significant at this size, small), major (JS ~0.22)
    return [cat("same", 50_000), cat("subtle", 54_000), cat("large", 75_000)]


def test_drifted_follows_min_severity_and_every_row_says_which():
    from diaglab.stats.drift import RULE, assess_drift, drift_frame

    default = {r.feature: r for r in assess_drift(_three_shifts())}
    assert default["subtle"].severity == "minor" and not default["subtle"].drifted
    assert default["large"].drifted and not default["same"].drifted
    every = {r.feature: r.drifted for r in assess_drift(_three_shifts(), min_severity="minor")}
    assert every == {"same": False, "subtle": True, "large": True}
    frame = drift_frame(assess_drift(_three_shifts(), min_severity="major"))
    assert set(frame["min_severity"]) == {"major"} and frame.attrs["drifted_rule"] == RULE
    with pytest.raises(UnknownNameError, match="known: major, minor, moderate"):
        assess_drift(_three_shifts(), min_severity="none")


def test_the_summary_line_never_hides_a_minor_significant_shift():
    from diaglab.stats.drift import assess_drift, drift_frame, drift_summary

    text = drift_summary(drift_frame(assess_drift(_three_shifts())))
    assert text == (
        "1 of 3 features drifted (moderate or above: large); "
        "1 more shows a minor, significant shift: subtle"
    )
    minor = drift_summary(drift_frame(assess_drift(_three_shifts(), min_severity="minor")))
    assert minor == "2 of 3 features drifted (minor or above: large, subtle)"
