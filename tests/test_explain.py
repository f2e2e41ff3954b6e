"""dl.explain, explain_window, explanation_drift, neighbors, what_if and counterfactual."""

from __future__ import annotations

import warnings
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import shap

import diaglab as dl
from conftest import credit_frame, credit_target
from diaglab.diagnostics.explain import explainers as _explainers

START = pd.Timestamp("2026-01-01", tz="UTC")
NUMERIC = ["age", "income"]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A store with a LightGBM model v1, 600 predictions over 3 weeks, labels and a reference."""
    path = tmp_path_factory.mktemp("explain") / "store"
    store = dl.open(path)
    train = credit_frame(1500, 1)
    X = train.assign(region=train["region"].astype("category"))
    clf = lgb.LGBMClassifier(n_estimators=30, num_leaves=8, verbose=-1, random_state=0)
    clf.fit(X, credit_target(train, 2))
    store.register_model("m", clf, "v1")
    loaded = store.load_model("m", "v1")
    prod = credit_frame(600, 3)
    scores = loaded.predict_proba(prod)[:, 1]
    ts = START + pd.to_timedelta(np.arange(600) * 50, unit="min")
    ids = store.log("m", prod, scores, timestamps=ts, prediction_ids=[f"r{i}" for i in range(600)])
    store.log_labels("m", ids[:400], credit_target(prod, 4)[:400])
    ref = credit_frame(400, 5)
    store.set_reference(
        "m", ref, labels=credit_target(ref, 6), predictions=loaded.predict_proba(ref)[:, 1]
    )
    yield store, ids
    store.close()


def _tree_values(store, model, version, rows):
    loaded = store.load_model(model, version)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        te = shap.TreeExplainer(loaded.impl)
        return np.asarray(te.shap_values(loaded.model_input(rows))), te.expected_value


def test_shap_values_add_up_to_the_model_output(small):
    store, ids = small
    ex = dl.explain(store, "m", ids[7], drift=False)
    total = ex.base_value + sum(ex.values.values())
    loaded = store.load_model("m", "v1")
    row = store.table("m").filter(store.table("m").prediction_id == ids[7]).to_pandas()
    raw = loaded.impl.predict(loaded.model_input(row), raw_score=True)[0]
    assert total == pytest.approx(raw, abs=1e-9)
    assert ex.prediction == pytest.approx(raw, abs=1e-9)
    assert ex.output_space == "log_odds"
    assert ex.probability == pytest.approx(1 / (1 + np.exp(-raw)))
    assert ex.probability == pytest.approx(float(row["score"].iloc[0]))
    assert ex.decision == int(ex.probability >= 0.5)


def test_values_equal_tree_explainer_on_the_same_row(sample_store):
    t = sample_store.table("credit")
    row = t.filter(t.model_version == "v2").order_by(t.prediction_id).limit(1).to_pandas()
    pid = row["prediction_id"].iloc[0]
    ex = dl.explain(sample_store, "credit", pid, drift=False, cache=False)
    want, base = _tree_values(sample_store, "credit", "v2", row)
    names = sample_store.load_model("credit", "v2").feature_names
    got = np.array([ex.values[f] for f in names])
    np.testing.assert_allclose(got, want[0], rtol=0, atol=1e-12)
    assert ex.base_value == pytest.approx(float(np.ravel(base)[-1]))
    assert ex.model_version == "v2"
    assert ex.explainer == "tree"


def test_second_explain_reads_the_cache_not_the_explainer(small, monkeypatch):
    store, ids = small
    first = dl.explain(store, "m", ids[11], drift=False)
    assert not first.cached
    files = list((store.path / "cache" / "explanations" / "m").rglob("*.parquet"))
    assert files

    def boom(*args, **kwargs):
        raise AssertionError("the explainer ran although the explanation is cached")

    monkeypatch.setattr(_explainers, "shap_values", boom)
    again = dl.explain(store, "m", ids[11], drift=False)
    assert again.cached and dict(again.values) == dict(first.values)
    _explainers.clear_memory_cache()  # as after a restart: only the Parquet files remain
    restarted = dl.explain(store, "m", ids[11], drift=False)
    assert restarted.cached and restarted.values == pytest.approx(dict(first.values))
    assert restarted.base_value == first.base_value


def test_the_cards_reference_context_outlives_new_predictions(small, monkeypatch):
    """The card's percentiles come from the reference alone: an ingest of predictions or labels
    keeps them, a new reference does not."""
    from diaglab.diagnostics.explain import query as explain_queries

    store, ids = small
    first = dl.explain(store, "m", ids[12], drift=False)
    computed = []
    real = explain_queries.context_table
    monkeypatch.setattr(
        explain_queries, "context_table", lambda *a, **k: computed.append(1) or real(*a, **k)
    )
    store._memo.changed(reference=False)  # what an ingest of predictions or labels does
    again = dl.explain(store, "m", ids[12], drift=False)
    assert computed == []
    pd.testing.assert_frame_equal(again.table, first.table)
    store._memo.changed(reference=True)  # a reference ingested
    dl.explain(store, "m", ids[12], drift=False)
    assert computed == [1]


def test_percentiles_and_flags_match_numpy_on_the_reference(small):
    store, ids = small
    ex = dl.explain(store, "m", ids[3], drift=False)
    ref = store.reference("m", "v1").to_pandas()
    table = ex.table.set_index("feature")
    for f in NUMERIC:
        v = ex.features[f]
        assert table.loc[f, "percentile"] == pytest.approx(np.mean(ref[f].to_numpy() < v))
        outside = v < ref[f].min() or v > ref[f].max()
        assert bool(table.loc[f, "out_of_range"]) == outside
    share = np.mean(ref["region"].to_numpy() == ex.features["region"])
    assert table.loc["region", "reference_share"] == pytest.approx(share)
    assert not table.loc["region", "unseen_category"]
    assert not table["missing"].any()
    assert list(ex.table["feature"]) == sorted(
        ex.values, key=lambda f: abs(ex.values[f]), reverse=True
    )


def test_drifted_in_window_comes_from_the_drift_report(small):
    store, ids = small
    rep = dl.drift(store, "m", window=("2026-01-10", "2026-01-20"))
    ex = dl.explain(store, "m", ids[5], drift=rep)
    flags = dict(zip(ex.table["feature"], ex.table["drifted_in_window"], strict=True))
    assert flags == {f: f in rep.drifted for f in ex.values}
    assert dl.explain(store, "m", ids[5]).table["drifted_in_window"].notna().all()


def _brute_force(store, ids, pid, candidates: pd.DataFrame, k: int) -> np.ndarray:
    ref = store.reference("m", "v1").to_pandas()
    row = store.table("m").to_pandas().set_index("prediction_id").loc[pid]
    d2 = np.zeros(len(candidates))
    for f in NUMERIC:
        d2 += ((candidates[f].to_numpy() - row[f]) / ref[f].std(ddof=1)) ** 2
    d2 += (candidates["region"].to_numpy() != row["region"]).astype(float)
    return np.sort(np.sqrt(d2))[:k]


def test_neighbors_equal_a_brute_force_numpy_search(small):
    store, ids = small
    pid = ids[42]
    near = dl.neighbors(store, "m", pid, k=7).table
    ref = store.reference("m", "v1").to_pandas()
    np.testing.assert_allclose(near["distance"], _brute_force(store, ids, pid, ref, 7), atol=1e-9)
    assert {"score", "label", "age", "region"} <= set(near.columns)
    prod = store.table("m").to_pandas()
    others = prod[prod["prediction_id"] != pid]
    near_prod = dl.neighbors(store, "m", pid, k=5, among="production").table
    np.testing.assert_allclose(
        near_prod["distance"], _brute_force(store, ids, pid, others, 5), atol=1e-9
    )
    assert pid not in set(near_prod["prediction_id"])


def test_what_if_changes_the_prediction_as_the_model_says(small):
    store, ids = small
    pid = ids[8]
    r = dl.what_if(store, "m", pid, changes={"income": 9000, "region": "north"})
    row = store.table("m").to_pandas().set_index("prediction_id").loc[[pid]]
    row["income"], row["region"] = 9000.0, "north"
    want = store.load_model("m", "v1").predict_proba(row)[0, 1]
    assert r.probability == pytest.approx(want)
    assert r.after.base_value + sum(r.after.values.values()) == pytest.approx(r.after.prediction)
    assert r.before.prediction_id == pid and r.after.features["income"] == 9000.0
    assert r.changes == {"income": 9000.0, "region": "north"}
    ref = store.reference("m", "v1").to_pandas()
    after = r.after.table.set_index("feature")
    assert after.loc["income", "percentile"] == pytest.approx(np.mean(ref["income"] < 9000))
    assert after.loc["region", "reference_share"] == pytest.approx(
        np.mean(ref["region"] == "north")
    )
    before = r.before.table.set_index("feature")
    assert after.loc["age", "percentile"] == before.loc["age", "percentile"]
    assert list(r.after.table["feature"]) == r.after.top


@pytest.mark.parametrize(
    ("changes", "error", "words"),
    [
        ({"incme": 1.0}, dl.UnknownNameError, "unknown feature 'incme'; known: age"),
        ({"income": "lots"}, dl.SchemaError, "'income' is numeric"),
        ({"income": True}, dl.SchemaError, "'income' is numeric"),
        ({"region": 3}, dl.SchemaError, "'region' is categorical"),
        ({"region": "mars"}, dl.SchemaError, "not a category"),
        ({"age": float("inf")}, dl.InputError, "not a finite number"),
    ],
)
def test_what_if_refuses_bad_values(small, changes, error, words):
    store, ids = small
    with pytest.raises(error, match=words):
        dl.what_if(store, "m", ids[0], changes=changes)


def test_counterfactual_flips_the_decision_within_reference_ranges(small):
    store, ids = small
    ref = store.reference("m", "v1").to_pandas()
    flipped = 0
    for pid in ids[:12]:
        cf = dl.counterfactual(store, "m", pid, max_changes=2, immutable=["age"])
        assert len(cf.changes) <= 2 and "age" not in cf.changes
        for f, v in cf.changes.items():
            if f in NUMERIC:
                assert ref[f].min() <= v <= ref[f].max()
            else:
                assert v in set(ref[f])
        if cf.found:
            flipped += 1
            r = dl.what_if(store, "m", pid, changes=dict(cf.changes))
            assert r.flipped
            assert r.probability == pytest.approx(cf.score)
    assert flipped >= 6


def test_counterfactual_reaches_a_target_score(small):
    store, ids = small
    cf = dl.counterfactual(store, "m", ids[1], target=0.75, max_changes=3)
    assert cf.found and cf.score >= 0.75 and 1 <= len(cf.changes) <= 3
    assert list(cf.steps["feature"]) == list(cf.changes)


def test_explain_window_is_cached_and_explanation_drift_ranks_features(small, monkeypatch):
    store, _ = small
    rows = dl.explain_window(store, "m", window=("2026-01-01", "2026-01-15"), sample=100).table
    assert len(rows) == 100 and rows["prediction_id"].is_unique
    want, _ = _tree_values(
        store,
        "m",
        "v1",
        store.table("m")
        .to_pandas()
        .set_index("prediction_id")
        .loc[rows["prediction_id"]]
        .reset_index(),
    )
    got = rows[[f"shap:{f}" for f in ["age", "income", "region"]]].to_numpy()
    np.testing.assert_allclose(got, want, atol=1e-12)
    monkeypatch.setattr(_explainers, "shap_values", lambda *a: pytest.fail("not cached"))
    again = dl.explain_window(store, "m", window=("2026-01-01", "2026-01-15"), sample=100).table
    pd.testing.assert_frame_equal(rows, again)
    monkeypatch.undo()
    d = dl.explanation_drift(store, "m", freq="1W", sample=300)
    t = d.table
    assert set(t["feature"]) == {"age", "income", "region"}
    for _, g in t.groupby(["window_start", "model_version"]):
        assert sorted(g["rank"]) == list(range(1, len(g) + 1))
        assert list(g.sort_values("rank")["mean_abs_shap"]) == sorted(
            g["mean_abs_shap"], reverse=True
        )
    nxt = t.dropna(subset=["previous_rank"])
    assert len(nxt) and (nxt["rank_change"] == nxt["previous_rank"] - nxt["rank"]).all()


def test_unknown_ids_models_and_versions_are_named(small, tmp_path):
    store, ids = small
    with pytest.raises(dl.UnknownNameError, match="unknown prediction id 'nope' for model 'm'"):
        dl.explain(store, "m", "nope")
    with pytest.raises(dl.UnknownNameError, match="unknown model 'zz'"):
        dl.explain(store, "zz", ids[0])
    other = dl.open(tmp_path / "s")
    other.log("q", credit_frame(5, 0), np.linspace(0.1, 0.9, 5), prediction_ids=list("abcde"))
    with pytest.raises(dl.UnknownNameError, match="unknown registered model 'q'"):
        dl.explain(other, "q", "a")
    with pytest.raises(dl.InputError, match="unknown among"):
        dl.neighbors(store, "m", ids[0], among="everywhere")  # type: ignore[arg-type]
    other.close()


def test_model_features_must_match_the_logged_columns(tmp_path: Path):
    store = dl.open(tmp_path / "s")
    df = credit_frame(300, 0)
    clf = lgb.LGBMClassifier(n_estimators=5, verbose=-1)
    clf.fit(df[NUMERIC].assign(tenure=df["age"] / 2), credit_target(df, 1))
    store.register_model("m", clf, "v1")
    store.log("m", df, np.full(300, 0.3), prediction_ids=[f"x{i}" for i in range(300)])
    with pytest.raises(dl.SchemaError, match="never logged for it: tenure"):
        dl.explain(store, "m", "x0")
    store.close()


def test_pickled_models_need_trust_and_get_the_generic_explainer(tmp_path: Path):
    from sklearn.linear_model import LogisticRegression

    store = dl.open(tmp_path / "s")
    df = credit_frame(400, 0)
    y = credit_target(df, 1)
    clf = LogisticRegression(max_iter=500).fit(df[NUMERIC] / [1, 10000], y)
    clf.feature_names_in_ = np.array(NUMERIC, dtype=object)
    clf.coef_ = clf.coef_ / [1, 10000]
    store.register_model("lr", clf, "v1")
    store.log(
        "lr",
        df[NUMERIC],
        clf.predict_proba(df[NUMERIC])[:, 1],
        prediction_ids=[f"x{i}" for i in range(400)],
    )
    store.set_reference("lr", df[NUMERIC].iloc[:200], labels=y[:200])
    with pytest.raises(dl.UntrustedModelError, match="trust=True"):
        dl.explain(store, "lr", "x1")
    ex = dl.explain(store, "lr", "x1", trust=True, drift=False)
    assert ex.explainer == "permutation" and ex.output_space == "probability"
    want = clf.predict_proba(df[NUMERIC].iloc[[1]])[0, 1]
    assert ex.probability == pytest.approx(want)
    assert ex.base_value + sum(ex.values.values()) == pytest.approx(want, abs=1e-9)
    store.close()


def test_the_card_lists_the_found_slices_that_contain_the_prediction(sample_store):
    found = dl.find_slices(sample_store, "credit", k=5, max_conditions=2).table
    assert not found.empty
    top = found["slice"].iloc[0]
    t = sample_store.table("credit")
    pid = dl.queries.filters.where(t, top).select("prediction_id").limit(1).to_pandas()
    ex = dl.explain(sample_store, "credit", pid["prediction_id"].iloc[0], drift=False)
    assert str(top) in set(ex.slices["predicate"])
    assert ex.slices.columns.tolist()[:4] == ["predicate", "metric", "value", "overall"]


def test_unseen_categories_become_missing_without_a_pandas_warning(sample_store):
    loaded = sample_store.load_model("credit", "v2")
    name, known = next(iter(loaded.categories.items()))
    t = sample_store.table("credit")
    row = t.filter(t.model_version == "v2").limit(1).to_pandas()
    row[name] = row[name].astype(object)
    row.loc[row.index[0], name] = "a value never seen in training"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = loaded.model_input(row)
    assert frame[name].isna().all()
    assert list(frame[name].cat.categories) == list(known)
