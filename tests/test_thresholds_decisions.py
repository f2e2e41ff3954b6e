"""``threshold=`` on the diagnostics that decide one prediction or a class distribution: drift's
decision row, explain, what-if, counterfactual and worst_errors, each against a hand computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from conftest import credit_classifier, credit_frame, credit_target

START = pd.Timestamp("2026-01-01", tz="UTC")


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """A LightGBM model, 800 logged predictions (600 labelled) and a 400-row reference."""
    store = dl.open(tmp_path_factory.mktemp("decisions") / "store")
    store.register_model("m", credit_classifier(), "v1")
    loaded = store.load_model("m", "v1")
    prod = credit_frame(800, 3)
    scores = loaded.predict_proba(prod)[:, 1]
    ts = START + pd.to_timedelta(np.arange(800) * 30, unit="min")
    ids = store.log("m", prod, scores, timestamps=ts, prediction_ids=[f"r{i}" for i in range(800)])
    labels = credit_target(prod, 4).astype(float)
    store.log_labels("m", ids[:600], labels[:600])
    ref = credit_frame(400, 5)
    ref_scores = loaded.predict_proba(ref)[:, 1]
    store.set_reference("m", ref, labels=credit_target(ref, 6), predictions=ref_scores)
    rows = pd.DataFrame({"prediction_id": ids, "score": scores})
    rows["label"] = np.where(np.arange(800) < 600, labels, np.nan)
    yield store, rows, ref_scores
    store.close()


@pytest.mark.parametrize("threshold", [0.3, 0.6])
def test_drift_decides_the_predicted_class_at_the_threshold(scored, threshold):
    store, rows, ref_scores = scored
    rep = dl.drift(store, "m", threshold=threshold)
    row = rep.table.set_index("feature").loc["decision"]
    assert row["role"] == "prediction"
    bins = rep.distributions["decision"].bins.set_index("bin")
    assert bins.loc["1", "current"] == int((rows["score"] >= threshold).sum())
    assert bins.loc["1", "reference"] == int((ref_scores >= threshold).sum())
    assert bins["current"].sum() == len(rows) and bins["reference"].sum() == len(ref_scores)
    assert rep.spec.scope.threshold == threshold


def test_drift_decision_follows_the_registered_threshold(scored):
    store, rows, _ = scored
    default = dl.drift(store, "m").distributions["decision"].bins.set_index("bin")
    assert default.loc["1", "current"] == int((rows["score"] >= 0.5).sum())


def test_worst_errors_are_wrong_at_the_threshold_largest_gap_first(scored):
    store, rows, _ = scored
    labelled = rows.dropna(subset=["label"])
    for threshold in (0.2, 0.5, 0.8):
        got = dl.worst_errors(store, "m", k=15, threshold=threshold)
        wrong = labelled[(labelled["score"] >= threshold).astype(float) != labelled["label"]]
        gap = (wrong["label"] - wrong["score"]).abs().sort_values(ascending=False)
        assert got.table["error_size"].tolist() == pytest.approx(gap.iloc[:15].tolist())
        decided = (got.table["score"] >= threshold).astype(float)
        assert (decided != got.table["label"]).all()
        assert got.threshold == f"threshold {threshold:g} (override)"


def test_explain_and_what_if_decide_at_the_threshold(scored):
    store, rows, _ = scored
    pid = rows.loc[(rows["score"] - 0.4).abs().idxmin(), "prediction_id"]
    plain = dl.explain(store, "m", pid, drift=False)
    assert plain.threshold == 0.5 and plain.decision == int(plain.probability >= 0.5)
    for threshold in (0.1, 0.9):
        ex = dl.explain(store, "m", pid, drift=False, threshold=threshold)
        assert ex.threshold == threshold
        assert ex.decision == int(ex.probability >= threshold)
        wi = dl.what_if(store, "m", pid, {"income": 15000.0}, threshold=threshold)
        assert wi.before.decision == int(wi.probability_before >= threshold)
        assert wi.decision == int(wi.probability >= threshold)
        assert wi.after.threshold == threshold
    assert dl.explain(store, "m", pid, drift=False, threshold=0.1).decision == 1
    assert dl.explain(store, "m", pid, drift=False, threshold=0.9).decision == 0


def test_counterfactual_crosses_the_threshold_asked_for(scored):
    store, rows, _ = scored
    pid = rows.loc[(rows["score"] - 0.45).abs().idxmin(), "prediction_id"]
    start = float(rows.set_index("prediction_id").loc[pid, "score"])
    low = dl.counterfactual(store, "m", pid, threshold=0.2, max_changes=3)
    assert start >= 0.2 and low.goal == "score < 0.2"
    assert not low.found or low.score < 0.2
    high = dl.counterfactual(store, "m", pid, threshold=0.7, max_changes=3)
    assert start < 0.7 and high.goal == "score >= 0.7"
    assert not high.found or high.score >= 0.7
    assert low.found or high.found
    assert dl.spec_of(high).scope.threshold == 0.7


def test_drift_inspector_and_panel_name_the_threshold_their_decisions_use(scored):
    store = scored[0]
    store.set_threshold("m", 0.3)
    try:
        drift = dl.DriftExplorer(store, "m").wait(120)
        assert "threshold 0.3" in drift.window_label.value
        drift.close()
        inspector = dl.PredictionInspector(store, "m").wait(120)
        inspector.worst_picker.value = inspector.worst_picker.row_keys[0]
        inspector.wait(120)
        assert "at threshold <b>0.30</b>" in inspector.summary.value
        inspector.close()
        panel = dl.panel(store, "m")
        assert "threshold 0.3" in panel.selection_html.value
        panel.close()
    finally:
        store.set_threshold("m", 0.5)
