"""Decision thresholds: recorded per version with who/when, applied by every metric at read time,
overridable per call, and analysed per threshold from one aggregate query."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from diaglab.findings.report import run_checks, standard_findings
from diaglab.queries.scope import threshold_text

START = pd.Timestamp("2026-01-01", tz="UTC")


def _planted(store, n: int = 4000, seed: int = 3, version: str = "v1", offset: int = 0):
    rng = np.random.default_rng(seed)
    region = rng.choice(["north", "south"], n)
    score = rng.random(n)
    # labels from the score, so accuracy depends strongly on where the cut falls
    label = (rng.random(n) < np.where(region == "north", score, score**2)).astype(float)
    ts = START + pd.to_timedelta(np.arange(n) + offset, unit="min")
    features = pd.DataFrame({"region": region, "x": rng.normal(size=n)})
    ids = store.log("m", features, score, timestamps=ts, model_version=version)
    store.log_labels("m", ids, label)
    return pd.DataFrame({"region": region, "score": score, "label": label, "version": version})


def _accuracy(rows: pd.DataFrame, t: float) -> float:
    return float(((rows["score"] >= t).astype(float) == rows["label"]).mean())


def test_set_threshold_changes_accuracy_slices_and_the_report_as_computed_by_hand(store):
    rows = _planted(store)
    before = dl.slice_metrics(store, "m", by="region", metrics=["accuracy"]).table
    assert before["accuracy_overall"].iloc[0] == pytest.approx(_accuracy(rows, 0.5))

    store.set_threshold("m", 0.3)
    assert store.schema("m").threshold == 0.3
    result = dl.slice_metrics(store, "m", by="region", metrics=["accuracy", "recall"])
    table = result.table
    assert table["accuracy_overall"].iloc[0] == pytest.approx(_accuracy(rows, 0.3))
    for region in ("north", "south"):
        part = rows[rows["region"] == region]
        got = table[table["region"] == region].iloc[0]
        assert got["accuracy"] == pytest.approx(_accuracy(part, 0.3))
        positives = part[part["label"] == 1]
        assert got["recall"] == pytest.approx(float((positives["score"] >= 0.3).mean()))
    assert result.threshold == "threshold 0.3"
    assert _accuracy(rows, 0.3) != pytest.approx(_accuracy(rows, 0.5))

    # the report's checks and its worst-slices finding use the same threshold
    ref = rows.sample(500, random_state=0)
    features = pd.DataFrame({"region": ref["region"], "x": 0.0})
    store.set_reference("m", features, labels=ref["label"], predictions=ref["score"])
    (check,) = run_checks(
        store, "m", [{"kind": "metric", "name": "accuracy", "min": 0}], window=None
    )
    assert check.detail == f"accuracy = {_accuracy(rows, 0.3):.4g}"
    worst = next(f for f in standard_findings(store, "m") if f.title.startswith("Worst slice"))
    frame = worst.frame()
    assert len(frame), "the planted south region (labels from score**2) is a worse slice"
    region = frame["slice"].iloc[0].split("'")[1]
    part = rows[rows["region"] == region]
    assert frame["value"].iloc[0] == pytest.approx(1 - _accuracy(part, 0.3))

    over_time = dl.metrics_over_time(store, "m", freq="6h", metrics=["accuracy"])
    realized = over_time.table[over_time.table["kind"] == "realized"]
    assert realized["value"].iloc[0] == pytest.approx(_accuracy(rows.iloc[:360], 0.3))


def test_threshold_is_per_version_and_a_call_overrides_it_without_recording(store):
    a = _planted(store, version="v1")
    b = _planted(store, seed=4, version="v2", offset=10_000)
    store.set_threshold("m", 0.7, version="v2")
    schema = store.schema("m")
    assert (schema.threshold_of("v1"), schema.threshold_of("v2")) == (0.5, 0.7)
    cmp = dl.compare_versions(store, "m", "v1", "v2", metrics=["accuracy"]).table.iloc[0]
    assert cmp["value_a"] == pytest.approx(_accuracy(a, 0.5))
    assert cmp["value_b"] == pytest.approx(_accuracy(b, 0.7))

    once_result = dl.slice_metrics(store, "m", by="region", metrics=["accuracy"], threshold=0.2)
    once = once_result.table
    both = pd.concat([a, b])
    assert once["accuracy_overall"].iloc[0] == pytest.approx(_accuracy(both, 0.2))
    assert once_result.threshold == "threshold 0.2 (override)"
    assert store.schema("m").threshold_of("v2") == 0.7  # nothing recorded by the call
    again = dl.slice_metrics(store, "m", by="region", metrics=["accuracy"]).table
    expected = (a.pipe(_correct, 0.5).sum() + b.pipe(_correct, 0.7).sum()) / len(both)
    assert again["accuracy_overall"].iloc[0] == pytest.approx(expected)


def _correct(rows: pd.DataFrame, t: float) -> pd.Series:
    return (rows["score"] >= t).astype(float) == rows["label"]


def test_threshold_changes_are_in_the_audit_trail_with_who_and_when(store):
    _planted(store, n=200)
    store.set_threshold("m", 0.3, by="ana")
    store.set_threshold("m", 0.6, version="v1", by="ben")
    history = store.threshold_history("m")
    assert [(h["version"], h["threshold"], h["by"]) for h in history] == [
        ("*", 0.3, "ana"),
        ("v1", 0.6, "ben"),
    ]
    assert all(h["at"] for h in history)
    assert store.verify().ok


def test_register_model_records_the_versions_threshold(store):
    from sklearn.linear_model import LogisticRegression

    _planted(store, n=300)
    x = pd.DataFrame({"x": np.arange(20.0)})
    est = LogisticRegression().fit(x, np.arange(20) % 2)
    store.register_model("m", est, "v1", threshold=0.25)
    assert store.schema("m").threshold_of("v1") == 0.25
    assert store.threshold_history("m")[-1]["version"] == "v1"


def test_bad_thresholds_are_refused_with_the_valid_range(store):
    _planted(store, n=100)
    with pytest.raises(dl.InputError, match="between 0 and 1"):
        store.set_threshold("m", 1.5)
    with pytest.raises(dl.UnknownNameError, match="v1"):
        store.set_threshold("m", 0.4, version="v9")
    with pytest.raises(dl.InputError, match="between 0 and 1"):
        dl.slice_metrics(store, "m", by="region", threshold=-0.1)


def test_threshold_is_part_of_the_scope_and_round_trips(store):
    _planted(store, n=300)
    result = dl.slice_metrics(store, "m", by="region", threshold=0.35)
    spec = dl.spec_of(result)
    assert spec.scope.threshold == 0.35
    assert type(spec).from_json(spec.to_json()) == spec
    assert "threshold=0.35" in spec.call()


def test_multiclass_per_class_thresholds_decide_at_log_time(store):
    proba = np.array([[0.5, 0.3, 0.2], [0.45, 0.1, 0.45], [0.2, 0.5, 0.3]])
    feats = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    store.log("mc", feats, proba, timestamps=[START] * 3)
    store.set_threshold("mc", {"2": 0.1})
    store.log("mc", feats, proba, timestamps=[START] * 3)
    preds = store.table("mc").order_by("prediction_id").prediction.to_pandas().tolist()
    # argmax first (ties: the first class); then the largest p_k - t_k, t_k = 1/3 unless set:
    # [0.17, -0.03, 0.1] -> 0, [0.12, -0.23, 0.35] -> 2, [-0.13, 0.17, 0.2] -> 2
    assert sorted(preds[:3]) == ["0", "0", "1"]
    assert sorted(preds[3:]) == ["0", "2", "2"]
    with pytest.raises(dl.InputError, match="multiclass"):
        store.set_threshold("mc", 0.3)


def test_threshold_analysis_matches_numpy_at_every_threshold(store):
    rows = _planted(store, n=3000)
    store.set_threshold("m", 0.333)
    ta = dl.threshold_analysis(store, "m", bins=20, cost_fp=1.0, cost_fn=4.0)
    table = ta.table
    assert len(table) == 22  # 21 grid thresholds and the off-grid one in use
    y = rows["label"].to_numpy() == 1
    for r in table.itertuples():
        pred = rows["score"].to_numpy() >= r.threshold
        assert (r.tp, r.fp, r.fn, r.tn) == (
            int((pred & y).sum()),
            int((pred & ~y).sum()),
            int((~pred & y).sum()),
            int((~pred & ~y).sum()),
        )
        assert r.cost == pytest.approx((r.fp + 4 * r.fn) / len(rows))
    current = table[table["current"]]
    assert list(current["threshold"]) == [0.333]
    best = ta.best.iloc[0]
    assert best["cost"] == pytest.approx(table["cost"].min())
    assert ta.threshold == "threshold 0.333"


def test_schema_features_is_a_list_that_still_looks_features_up(store):
    _planted(store, n=50)
    schema = store.schema("m")
    assert schema.features == ["region", "x"]
    assert schema.features["region"].kind == "categorical"
    assert schema.numeric == ["x"] and schema.categorical == ["region"]


def test_explorers_say_which_threshold_their_numbers_use(store):
    _planted(store)  # 4,000 minutes: 11 windows of 6 h, enough for the metrics' bands
    store.set_threshold("m", 0.3)
    ex = dl.SliceExplorer(store, "m", by="region").wait()
    assert "threshold 0.3" in ex.status.value
    ex.close()
    mx = dl.MetricsExplorer(store, "m", metrics=["accuracy"], freq="6h").wait()
    assert "threshold 0.3" in mx.status.value
    mx.close()


def test_threshold_analysis_without_labels_says_it_needs_them(store):
    store.log("m", pd.DataFrame({"x": [1.0, 2.0]}), np.array([0.2, 0.8]), timestamps=[START] * 2)
    with pytest.raises(dl.InputError, match="needs labels"):
        dl.threshold_analysis(store, "m")


def _expected_cost_choice(proba: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """By hand: the expected cost of deciding each class, one loop per row and class."""
    out = []
    for p in proba:
        costs = [sum(p[i] * cost[i][j] for i in range(len(p))) for j in range(len(p))]
        out.append(int(np.argmin(costs)))
    return np.array(out)


def test_multiclass_cost_matrix_decides_the_least_expected_cost_per_version(store):
    rng = np.random.default_rng(11)
    proba = rng.dirichlet([1.0, 1.0, 1.0], size=300)
    feats = pd.DataFrame({"x": rng.normal(size=300)})

    def logged(version: str) -> list[str]:
        ids = store.log("mc", feats, proba, timestamps=[START] * 300, model_version=version)
        by_id = store.table("mc").to_pandas().set_index("prediction_id")["prediction"]
        return by_id.loc[list(ids)].tolist()

    argmax = proba.argmax(axis=1).astype(str).tolist()
    assert logged("v1") == argmax and logged("v2") == argmax
    # missing class "2" costs 10 whatever was decided instead; a false "2" costs 1
    cost = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [10.0, 10.0, 0.0]])
    store.set_cost_matrix("mc", cost, version="v2", by="ana")
    by_hand = _expected_cost_choice(proba, cost).astype(str).tolist()
    assert by_hand != argmax  # the matrix changes decisions on these rows
    assert logged("v2") == by_hand
    assert logged("v1") == argmax  # v1 has no matrix of its own
    assert store.schema("mc").cost_matrix_of("v2") == tuple(map(tuple, cost))
    assert store.schema("mc").cost_matrix_of("v1") is None
    assert threshold_text(store.schema("mc"), None, "v2") == "cost matrix"
    assert threshold_text(store.schema("mc"), None, "v1") == "argmax"
    last = store.threshold_history("mc")[-1]
    assert (last["version"], last["by"]) == ("v2", "ana")
    assert last["threshold"]["cost_matrix"] == cost.tolist()
    assert store.verify().ok


def test_a_binary_cost_matrix_sets_the_threshold_it_implies(store):
    rows = _planted(store, n=1000)
    store.set_cost_matrix("m", {"0": {"1": 1.0}, "1": {"0": 4.0}})
    assert store.schema("m").threshold == pytest.approx(0.2)  # 1 / (1 + 4)
    got = dl.slice_metrics(store, "m", by="region", metrics=["accuracy"]).table
    assert got["accuracy_overall"].iloc[0] == pytest.approx(_accuracy(rows, 0.2))
    assert store.threshold_history("m")[-1]["threshold"]["threshold"] == pytest.approx(0.2)


def test_bad_cost_matrices_are_refused_naming_what_is_valid(store):
    proba = np.array([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3]])
    store.log("mc", pd.DataFrame({"x": [1.0, 2.0]}), proba, timestamps=[START] * 2)
    with pytest.raises(dl.InputError, match="3 x 3"):
        store.set_cost_matrix("mc", [[0, 1], [1, 0]])
    with pytest.raises(dl.InputError, match="must cost more"):
        store.set_cost_matrix("mc", [[0, 1, 1], [1, 0, 1], [0, 1, 0]])
    with pytest.raises(dl.UnknownNameError, match="known"):
        store.set_cost_matrix("mc", {"7": {"0": 1.0}})
    with pytest.raises(dl.InputError, match=">= 0"):
        store.set_cost_matrix("mc", [[0, -1, 1], [1, 0, 1], [1, 1, 0]])


def test_reference_bands_decide_at_the_calls_threshold(store):
    _planted(store, n=4000)
    rng = np.random.default_rng(8)
    score = rng.random(6000)
    label = (rng.random(6000) < score**2).astype(float)
    feats = pd.DataFrame({"region": "south", "x": rng.normal(size=6000)})
    store.set_reference("m", feats, labels=label, predictions=score, model_version="v1")
    for t in (0.3, 0.7):
        got = dl.metrics_over_time(
            store, "m", freq="6h", metrics=["accuracy"], bands_from="reference", threshold=t
        ).bands.iloc[0]
        assert got["source"] == "reference"
        # the band's centre: the mean accuracy of equal reference chunks, at this threshold
        assert got["center"] == pytest.approx(float(((score >= t) == label).mean()), abs=0.01)
