"""dl.slice_metrics and dl.find_slices: metrics against scikit-learn on the same rows, a planted
slice found (and found to have got worse), nothing reported on noise, and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

import diaglab as dl
from diaglab.queries.filters import where as apply_where
from diaglab.stats.log_histogram import RELATIVE_TOLERANCE
from diaglab.stats.scores import ScoreHistogram, binned_roc_auc_error_bound

START = pd.Timestamp("2026-01-01", tz="UTC")
SLICE_DAY = pd.Timestamp("2026-01-21", tz="UTC")


def _frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": rng.choice(["north", "south", "east", "west"], n, p=[0.3, 0.3, 0.2, 0.2]),
            "employment": rng.choice(["employed", "self", "retired", "student"], n),
            "income": rng.lognormal(10.5, 0.4, n).round(0),
            "age": rng.integers(18, 80, n).astype(float),
            "noise_a": rng.normal(0, 1, n),
            "noise_b": rng.choice(["x", "y", "z"], n),
        }
    )


def _scores(rng: np.random.Generator, feats: pd.DataFrame) -> np.ndarray:
    z = -1.5 + 0.03 * (50 - feats["age"]) + 1.0 * (feats["income"] < 30_000)
    return (1 / (1 + np.exp(-(z + rng.normal(0, 0.5, len(feats)))))).to_numpy()


def _build(
    path, *, planted: bool, n: int = 60_000, seed: int = 3, scores: bool = True, signal=True
):
    """A binary store over 40 days; with ``planted``, labels in region 'north' AND employment
    'self' stop following the scores from SLICE_DAY (the model is wrong there half the time).
    Without ``signal`` the scores (and so the error rate) do not depend on the features."""
    rng = np.random.default_rng(seed)
    feats = _frame(rng, n)
    p = _scores(rng, feats) if signal else rng.beta(2, 5, n)
    ts = START + pd.to_timedelta(np.sort(rng.random(n)) * 40, unit="D")
    y = (rng.random(n) < p).astype(int)
    if planted:
        inside = (
            (feats["region"] == "north") & (feats["employment"] == "self") & (ts >= SLICE_DAY)
        ).to_numpy()
        y[inside] = (p[inside] < 0.5).astype(int) ^ (rng.random(inside.sum()) < 0.3)
    store = dl.open(path)
    preds = p if scores else (p >= 0.5).astype(int)
    ids = store.log(
        model="m",
        features=feats,
        predictions=preds,
        timestamps=ts,
        latency_ms=rng.lognormal(3, 0.4, n),
    )
    labelled = rng.random(n) < 0.8
    store.log_labels(
        model="m",
        prediction_ids=[i for i, keep in zip(ids, labelled, strict=True) if keep],
        labels=y[labelled],
    )
    return store


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    store = _build(tmp_path_factory.mktemp("planted") / "s", planted=True)
    yield store
    store.close()


@pytest.fixture(scope="module")
def noise(tmp_path_factory):
    store = _build(tmp_path_factory.mktemp("noise") / "s", planted=False, seed=11, signal=False)
    yield store
    store.close()


def _rows(store, s) -> pd.DataFrame:
    t = apply_where(store.table("m"), s)
    return t.filter(t.label.notnull()).select("prediction", "score", "label").to_pandas()


def test_classification_metrics_match_sklearn_on_the_slice_rows(planted):
    table_result = dl.slice_metrics(planted, "m", by="region")
    table = table_result.table
    assert set(table["region"]) == {"north", "south", "east", "west"}
    for rec in table.to_dict(orient="records"):
        rows = _rows(planted, rec["slice"])
        y, pred, s = rows.label.to_numpy(), rows.prediction.to_numpy(), rows.score.to_numpy()
        assert rec["n_labelled"] == len(rows)
        assert rec["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
        assert rec["error"] == pytest.approx(1 - skm.accuracy_score(y, pred))
        assert rec["precision"] == pytest.approx(skm.precision_score(y, pred))
        assert rec["recall"] == pytest.approx(skm.recall_score(y, pred))
        assert rec["f1"] == pytest.approx(skm.f1_score(y, pred))
        assert rec["log_loss"] == pytest.approx(skm.log_loss(y, s), rel=1e-9)
        assert rec["brier_score"] == pytest.approx(skm.brier_score_loss(y, s), rel=1e-9)
        # a selection this small (< 50,000 labelled, scored rows) gets the exact AUC
        assert rec["roc_auc"] == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
        assert rec["roc_auc_error_bound"] == 0
        assert rec["error_lower"] <= rec["error"] <= rec["error_upper"]
    assert "exactly" in table_result.footnotes["roc_auc"] and table_result.exact == ("roc_auc",)
    assert "error_error_bound" not in table  # exact metrics claim no bound


def test_a_large_selection_reads_auc_off_the_histogram_within_its_stated_bound(
    planted, monkeypatch
):
    from diaglab.diagnostics.slices import scan as slice_scan

    monkeypatch.setattr(slice_scan, "EXACT_ROWS", 1_000)
    monkeypatch.setattr(dl.queries.slices, "EXACT_ROWS", 1_000)
    table_result = dl.slice_metrics(planted, "m", by="region", metrics=["roc_auc"])
    table = table_result.table
    assert table_result.exact == ()
    for rec in table.to_dict(orient="records"):
        rows = _rows(planted, rec["slice"])
        y, s = rows.label.to_numpy(), rows.score.to_numpy()
        bins = np.minimum(np.floor(s * 100), 99).astype(int)
        hist = ScoreHistogram(
            np.bincount(bins, weights=y, minlength=100),
            np.bincount(bins, weights=1 - y, minlength=100),
            np.bincount(bins, weights=s, minlength=100),
        )
        bound = float(binned_roc_auc_error_bound(hist)[0])
        assert rec["roc_auc_error_bound"] == pytest.approx(bound) and bound > 0
        assert abs(rec["roc_auc"] - skm.roc_auc_score(y, s)) <= bound + 1e-12
    assert "score histogram" in table_result.footnotes["roc_auc"]


def test_two_features_with_quantile_bins_partition_the_rows(planted):
    table_result = dl.slice_metrics(planted, "m", by=["region", "income"], metrics=["error"])
    table = table_result.table
    total = planted.table("m").count().to_pyarrow().as_py()
    assert table["n"].sum() == total
    assert len(table) == 4 * 5
    north_low = table[(table["region"] == "north") & table["income"].str.startswith("<")].iloc[0]
    text = north_low["predicate"]
    assert text.startswith("region = 'north' AND income < ") and "," in text  # 32,000-style
    # A dl.Slice is accepted as where= everywhere: the same rows come back.
    again = dl.slice_metrics(
        planted, "m", by="region", metrics=["error"], where=north_low["slice"]
    ).table
    assert again["n"].sum() == north_low["n"]
    assert again["error"].iloc[0] == pytest.approx(north_low["error"])


def test_latency_quantiles_and_significance_per_slice(planted):
    table_result = dl.slice_metrics(planted, "m", by="employment", window=(SLICE_DAY, None))
    table = table_result.table
    lat = planted.table("m")
    lat = lat.filter(lat.timestamp >= SLICE_DAY.to_pydatetime())
    raw = lat.select("employment", "latency_ms").to_pandas()
    # read off log-spaced counts: within RELATIVE_TOLERANCE (0.5%) of numpy's exact quantiles
    for rec in table.to_dict(orient="records"):
        mine = raw[raw.employment == rec["employment"]].latency_ms
        for q in (50, 95, 99):
            exact = np.quantile(mine, q / 100)
            assert rec[f"latency_p{q}"] == pytest.approx(exact, rel=RELATIVE_TOLERANCE)
    for q in (50, 95, 99):
        overall = table[f"latency_p{q}_overall"].iloc[0]
        assert overall == pytest.approx(
            np.quantile(raw.latency_ms, q / 100), rel=RELATIVE_TOLERANCE
        )
    self_row = table[table["employment"] == "self"].iloc[0]
    assert self_row["error_difference"] > 0 and self_row["error_p_adjusted"] < 1e-6


def test_regression_metrics_match_sklearn(tmp_path):
    rng = np.random.default_rng(5)
    n = 4000
    feats = _frame(rng, n)
    y = 3 * feats["noise_a"] + rng.normal(0, 1, n) + 100
    pred = 3 * feats["noise_a"] + 100 + rng.normal(0, 0.5, n)
    store = dl.open(tmp_path / "reg")
    ids = store.log(model="m", features=feats, predictions=pred.to_numpy(), task="regression")
    store.log_labels(model="m", prediction_ids=ids, labels=y.to_numpy())
    table_result = dl.slice_metrics(store, "m", by="noise_b")
    table = table_result.table
    for rec in table.to_dict(orient="records"):
        rows = _rows(store, rec["slice"])
        yy, pp = rows.label.to_numpy(), rows.prediction.to_numpy()
        assert rec["mae"] == pytest.approx(skm.mean_absolute_error(yy, pp))
        assert rec["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(yy, pp)))
        assert rec["r2"] == pytest.approx(skm.r2_score(yy, pp))
        assert rec["mape"] == pytest.approx(skm.mean_absolute_percentage_error(yy, pp))
    found_result = dl.find_slices(store, "m", metrics="rmse")
    found = found_result.table
    assert found.empty or (found["metric"] == "rmse").all()
    store.close()


def test_planted_slice_is_found_in_the_top_three(planted):
    found_result = dl.find_slices(planted, "m")
    found = found_result.table
    top = [set(s.columns) for s in found["slice"].head(3)]
    assert {"region", "employment"} in top, found[["predicate", "score"]]
    row = found[[set(s.columns) == {"region", "employment"} for s in found["slice"]]].iloc[0]
    assert "region = 'north'" in row["predicate"] and "employment = 'self'" in row["predicate"]
    assert row["p_adjusted"] < 0.05 and row["value"] > row["overall"]
    assert row["lower"] <= row["value"] <= row["upper"]
    assert row["support"] >= row["labelled"] >= found_result.min_support
    assert "vs" in row["why"]


def test_a_prediction_card_lists_the_found_slices_that_contain_it(planted):
    from diaglab.diagnostics.slices import found as found_slices

    found_result = dl.find_slices(planted, "m")
    found = found_result.table
    planted_slice = next(s for s in found["slice"] if set(s.columns) == {"region", "employment"})
    t = planted.table("m")
    inside = dl.queries.filters.where(t, planted_slice).select("prediction_id").limit(1)
    outside = t.filter((t.region != "north") & (t.employment != "self")).select("prediction_id")
    pid_in = inside.to_pandas()["prediction_id"].iloc[0]
    pid_out = outside.limit(1).to_pandas()["prediction_id"].iloc[0]

    listed = found_slices.containing(planted, "m", pid_in)
    assert str(planted_slice) in set(listed["predicate"])
    assert not set(found_slices.containing(planted, "m", pid_out)["predicate"]) & {
        str(planted_slice)
    }
    every = {str(s) for s in found["slice"]}
    assert set(listed["predicate"]) <= every


def test_planted_slice_is_found_by_compare_before_and_after(planted):
    found_result = dl.find_slices(
        planted, "m", compare=((START, SLICE_DAY), (SLICE_DAY, START + pd.Timedelta(days=40)))
    )
    found = found_result.table
    top = found.head(3)
    hits = [
        i
        for i, s in enumerate(top["slice"])
        if str(s) == "region = 'north' AND employment = 'self'"
    ]
    assert hits, found[["predicate", "did", "score"]]
    row = top.iloc[hits[0]]
    assert row["value_b"] - row["value_a"] > 0.2
    assert row["did_lower"] > 0 and row["p_adjusted"] < 0.05


def test_no_false_alarm_on_noise(noise):
    """Labels follow calibrated scores that ignore the features: no slice differs."""
    assert dl.find_slices(noise, "m").table.empty
    half = START + pd.Timedelta(days=20)
    assert dl.find_slices(noise, "m", compare=((START, half), (half, None))).table.empty


def test_slice_with_no_labelled_rows_reports_coverage_zero(tmp_path):
    rng = np.random.default_rng(1)
    feats = _frame(rng, 2000)
    store = dl.open(tmp_path / "s")
    ids = store.log(model="m", features=feats, predictions=rng.random(2000))
    keep = (feats["region"] != "east").to_numpy()
    store.log_labels(
        model="m",
        prediction_ids=[i for i, k in zip(ids, keep, strict=True) if k],
        labels=rng.integers(0, 2, int(keep.sum())),
    )
    table = dl.slice_metrics(store, "m", by="region").table.set_index("region")
    east = table.loc["east"]
    assert east["n"] > 0 and east["n_labelled"] == 0
    assert east["label_coverage"] == 0
    assert np.isnan(east["accuracy"]) and "no labelled rows" in east["accuracy_reason"]
    assert np.isnan(east["roc_auc"])
    store.close()


def test_high_cardinality_and_all_null_features(tmp_path):
    rng = np.random.default_rng(2)
    n = 100_000
    feats = pd.DataFrame(
        {
            "customer": [f"c{i}" for i in range(n)],
            "amount": rng.random(n) * 1e6,
            "empty": np.full(n, np.nan),
            "region": rng.choice(["a", "b"], n),
        }
    )
    store = dl.open(tmp_path / "s")
    ids = store.log(model="m", features=feats, predictions=rng.random(n))
    store.log_labels(model="m", prediction_ids=ids, labels=rng.integers(0, 2, n))
    cust = dl.slice_metrics(store, "m", by="customer", metrics=["error"]).table
    assert len(cust) == 1 and cust["customer"].iloc[0] == "all 100,000 values"
    assert str(cust["slice"].iloc[0]) == "customer IS NOT NULL"
    amount = dl.slice_metrics(store, "m", by="amount", metrics=["error"]).table
    assert len(amount) == 5 and amount["n"].sum() == n
    empty = dl.slice_metrics(store, "m", by="empty", metrics=["error"]).table
    assert list(empty["empty"]) == ["(missing)"] and empty["n"].iloc[0] == n
    found_result = dl.find_slices(store, "m", max_conditions=2)
    found = found_result.table
    assert {"customer", "empty"} <= set(found_result.skipped_features)
    assert found.empty
    store.close()


def test_score_metrics_with_class_only_predictions_name_what_to_log(tmp_path):
    store = _build(tmp_path / "s", planted=False, n=3000, scores=False)
    table_result = dl.slice_metrics(store, "m", by="region")  # default: what classes support
    table = table_result.table
    assert "accuracy" in table and "roc_auc" not in table
    with pytest.raises(dl.InputError, match="probability of the positive class"):
        dl.slice_metrics(store, "m", by="region", metrics=["roc_auc"])
    with pytest.raises(dl.InputError, match="probability of the positive class"):
        dl.find_slices(store, "m", metrics="log_loss")
    store.close()


def test_unknown_names_list_the_valid_ones(planted):
    with pytest.raises(dl.UnknownNameError, match=r"known: .*income"):
        dl.slice_metrics(planted, "m", by="incme")
    with pytest.raises(dl.UnknownNameError, match=r"known: .*accuracy"):
        dl.slice_metrics(planted, "m", by="region", metrics=["acuracy"])
    with pytest.raises(dl.UnknownNameError, match="known: brier_score, error, log_loss"):
        dl.find_slices(planted, "m", metrics="auc")
    with pytest.raises(dl.UnknownNameError, match=r"known: .*region"):
        dl.find_slices(planted, "m", features=["regoin"])
    with pytest.raises(dl.InputError, match="one or two"):
        dl.slice_metrics(planted, "m", by=["region", "income", "age"])


def test_the_auc_chart_says_how_the_auc_was_computed(planted):
    from diaglab.diagnostics.slices.chart import slice_chart

    table_result = dl.slice_metrics(planted, "m", by="region", metrics=["roc_auc"])
    table = table_result.table
    footnote = table_result.footnotes["roc_auc"]
    spec = slice_chart(table, "roc_auc", ["region"], lower_is_better=False, footnote=footnote)
    spec = spec.to_dict()
    # the subtitle says how the AUC was computed (exactly, for a selection this small)
    assert spec["title"]["subtitle"] == table_result.footnotes["roc_auc"]
    assert "computed exactly from the scores" in spec["title"]["subtitle"]


def test_the_level_join_is_bounded_whatever_the_width():
    from diaglab.diagnostics.slices import search as slice_search

    # 1,500 promising one-condition slices (500 features x 3 bins): 1.1M pairs unbounded
    keys = [((f, b),) for f in range(500) for b in range(3)]
    score = np.linspace(10, 1, len(keys))
    promising = pd.DataFrame({"key": keys, "score": score, "ub": score + 5})
    known = dict(zip(keys, score + 5, strict=True))
    children, truncated = slice_search._children(
        promising, known, dict(zip(keys, score, strict=True)), 0.0, slice_search.MAX_CANDIDATES
    )
    assert truncated and 0 < len(children) <= slice_search.MAX_CANDIDATES
    top = set(keys[: slice_search.MAX_PARENTS])
    assert all(c[:1] in top and c[1:] in top for c in children)
    assert children[0] == (*keys[0], *keys[3])  # the two best parents on distinct features
