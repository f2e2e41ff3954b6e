"""On the sample scenario, drift finds what was planted and leaves the rest calm (200k rows)."""

from __future__ import annotations

import diaglab as dl


def test_planted_drift_ranks_first_and_undisturbed_features_stay_calm(sample_store, sample_truth):
    start, now = sample_truth["drift"]["start"], sample_truth["now"]
    rep = dl.drift(sample_store, "credit", window=(start, now))
    features = rep.table[rep.table.role == "feature"].reset_index(drop=True)
    planted = {*sample_truth["drifted_features"], sample_truth["new_category"]["column"]}
    assert set(features.feature[: len(planted)]) == planted
    by_name = features.set_index("feature")
    assert (by_name.loc[list(planted), "severity"] != "none").all()
    calm = sample_truth["undisturbed_features"]
    assert (by_name.loc[calm, "severity"] == "none").all(), by_name.loc[calm, "severity"]
    new = sample_truth["new_category"]
    assert new["value"] in by_name.loc[new["column"], "new_categories"]


def test_before_the_drift_only_the_new_version_and_labels_can_move(sample_store, sample_truth):
    rep = dl.drift(sample_store, "credit", window=("2026-01-01", "2026-01-31"))
    features = rep.table[rep.table.role == "feature"]
    assert (features.severity == "none").all(), features[["feature", "severity"]]


def test_domain_classifier_separates_drifted_windows_only(sample_store, sample_truth):
    start, now = sample_truth["drift"]["start"], sample_truth["now"]
    after = dl.domain_classifier(sample_store, "credit", window=(start, now), sample=4000)
    assert after.drifted and after.lower > 0.6
    assert set(after.drivers.feature[:3]) & set(sample_truth["drifted_features"])
    before = dl.domain_classifier(
        sample_store, "credit", window=("2026-01-01", "2026-01-25"), sample=4000
    )
    assert not before.drifted and before.lower < 0.5 < before.upper


def test_drift_impact_weighs_drift_by_model_importance(sample_store, sample_truth):
    start, now = sample_truth["drift"]["start"], sample_truth["now"]
    rep = dl.drift(sample_store, "credit", window=(start, now))
    impact = dl.drift_impact(sample_store, rep, sample=500).table
    assert abs(impact.importance.sum() - 1) < 1e-9
    assert impact.feature.iloc[0] in sample_truth["drifted_features"]
    assert {"rank_by_drift", "rank_by_impact"} <= set(impact.columns)
