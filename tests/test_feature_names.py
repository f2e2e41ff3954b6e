"""Features live in their own namespace: a model's column may be called anything diaglab uses.

A model whose features are called ``segment``, ``score``, ``prediction``, ``timestamp`` and
``label`` (names of diaglab's own columns) is logged through ``store.log`` and the ``Logger``;
every diagnostic names those features by their own names and gets the feature, not the role.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import diaglab as dl
from diaglab.store.schema import feature_column
from diaglab.store.segments import list_segments
from test_spark import spark  # noqa: F401  # the session-wide SparkSession fixture

START = pd.Timestamp("2026-03-01", tz="UTC")
CLASHING = ["segment", "score", "prediction", "timestamp", "label"]


def _features(n: int, rng: np.random.Generator, *, shift: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": rng.choice(["a", "b"], n),
            "score": rng.normal(600 - shift, 50, n).round(),
            "prediction": rng.normal(0, 1, n),
            "timestamp": rng.uniform(0, 100, n),  # a number, not a time: a feature like any other
            "label": rng.choice(["gold", "silver"], n),
            "Error": rng.normal(0, 1, n),  # ignoring case, diaglab's "error"
        }
    )


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 rows by store.log and 400 through the Logger; the model is wrong where
    segment = 'a' and its credit score (the feature ``score``) fell in the last days."""
    rng = np.random.default_rng(5)
    root = tmp_path_factory.mktemp("names") / "store"
    store = dl.open(root)
    store.set_reference("m", _features(1500, rng), labels=rng.integers(0, 2, 1500))
    n = 2000
    feats = _features(n, rng)
    late = np.arange(n) >= 1000
    feats.loc[late, "score"] -= 120
    ts = START + pd.to_timedelta(np.arange(n) * 60, unit="s")
    p = rng.beta(2, 5, n)
    y = (rng.random(n) < p).astype(int)
    wrong = (feats["segment"] == "a").to_numpy()
    y[wrong] = (p[wrong] < 0.5).astype(int)
    ids = store.log("m", features=feats, predictions=p, timestamps=ts)
    store.log_labels("m", ids, y)
    with dl.Logger(root, model="m", flush_rows=150, flush_seconds=60) as logger:
        for i, row in enumerate(_features(400, rng).to_dict("records")):
            logger.log(row, 0.3, prediction_id=f"lg-{i}", timestamp=ts[-1])
    store.close()
    return root


@pytest.fixture(scope="module")
def store(path: Path):
    s = dl.open(path)
    yield s
    s.close()


def test_every_name_is_loggable_and_stored_in_the_feature_namespace(store, path):
    schema = store.schema("m")
    assert list(schema.features) == [*CLASHING, "Error"]
    assert schema.columns["score"] == "feature:score" == feature_column("score")
    assert schema.columns["Error"] == "feature:Error"
    t = store.table("m")
    assert t.count().execute() == 2400
    assert {"score", "feature:score", "label", "feature:label", "feature:segment"} <= set(t.columns)
    seg = next(list_segments(path, "predictions", "m"))
    assert "feature:timestamp" in pq.read_schema(seg.path).names
    assert not list((path / "rejected").glob("**/*.jsonl"))
    # the roles keep their meaning: scores in [0, 1], labels 0/1, timestamps times
    df = t.filter(t.prediction_id == "lg-0").execute()
    assert df["score"].item() == 0.3 and isinstance(df["feature:label"].item(), str)
    assert df["timestamp"].dt.tz is not None


def test_clashes_between_features_ignoring_case_are_still_refused(store):
    with pytest.raises(dl.InputError, match="clashes with the feature 'score'"):
        store.log("m", features=pd.DataFrame({"SCORE": [1.0]}), predictions=[0.5])
    with pytest.raises(dl.InputError, match="clashes with the feature 'segment' of this batch"):
        store.log(
            "m2", features=pd.DataFrame({"segment": [1.0], "Segment": [2.0]}), predictions=[0.5]
        )


def test_where_filters_mean_the_feature(store):
    t = store.table("m")
    a = int((t["feature:segment"] == "a").sum().execute())
    got = dl.slice_metrics(store, "m", by="segment", where="segment == 'a'").table
    assert int(got["n"].sum()) == a
    lo = dl.slice_metrics(store, "m", by="segment", where="score < 500 and label = 'gold'").table
    expected = t.filter((t["feature:score"] < 500) & (t["feature:label"] == "gold")).count()
    assert int(lo["n"].sum()) == int(expected.execute())
    with pytest.raises(dl.FilterError, match="numeric"):
        dl.slice_metrics(store, "m", by="segment", where="score = 'x'")


def test_drift_names_the_features_by_their_stored_column(store):
    rep = dl.drift(store, "m", window=(START + pd.Timedelta(minutes=1000), None))
    by = rep.table.set_index("feature")
    assert {"feature:score", "feature:segment", "prediction", "label"} <= set(by.index)
    assert "feature:score" in rep.drifted and "feature:segment" not in rep.drifted
    late = (START + pd.Timedelta(minutes=1000), None)
    domain = dl.domain_classifier(store, "m", window=late, sample=1000, folds=3)
    assert domain.drivers["feature"].iloc[0] == "feature:score"  # the feature that moved
    only = dl.drift(store, "m", features=["score", "label"])
    names = set(only.table["feature"])
    assert {"feature:score", "feature:label"} <= names
    assert "feature:segment" not in names


def test_slices_rows_and_the_spec_round_trip(store):
    found = dl.find_slices(store, "m", k=3, max_conditions=1).table
    assert "segment" in str(found["slice"].iloc[0])
    worst = found["slice"].iloc[0]
    again = dl.slice_metrics(store, "m", by="segment", where=worst).table
    assert int(again["n"].sum()) == int(found["support"].iloc[0])
    by_score = dl.slice_metrics(store, "m", by="score").table
    assert len(by_score) > 1
    from diaglab.diagnostics.slices.rows import slice_rows

    page, total = slice_rows(store, "m", "segment = 'a'", columns=["score", "label"])
    assert total == int(again["n"].sum())
    assert {"score", "feature:score", "label", "feature:label"} <= set(page.columns)
    assert page["score"].between(0, 1).all() and page["feature:score"].gt(1).all()


def test_a_store_written_before_the_namespace_still_opens(tmp_path):
    """Old segments hold features under their own names; names that needed no namespace are
    stored the same way now, so old stores open and read unchanged."""
    store = dl.open(tmp_path / "s")
    store.log("old", features=pd.DataFrame({"age": [30.0, 40.0]}), predictions=[0.2, 0.9])
    store.close()
    seg = next(list_segments(tmp_path / "s", "predictions", "old"))
    assert "age" in pq.read_schema(seg.path).names
    again = dl.open(tmp_path / "s")
    assert again.rebuild().rows == 2
    assert sorted(again.table("old").age.execute()) == [30.0, 40.0]
    again.close()


def test_rejected_rows_keep_ids_as_json_lists_with_trace_ids_and_timestamps(tmp_path):
    """The issue saw ``"prediction_ids": "['01a2…']"`` (a string) and no trace id or time."""
    with dl.Logger(tmp_path / "s", model="m", flush_rows=10**6, flush_seconds=60) as logger:
        logger.log({"x": 1.0}, 0.5, prediction_id="good", trace_id="a" * 32)
        logger.log({"x": "text"}, 0.5, prediction_id="bad", trace_id="b" * 32)
        logger.log({"x": float("inf")}, 0.5, trace_id="c" * 32)
    files = list((tmp_path / "s" / "rejected" / "m").glob("*.jsonl"))
    assert len(files) == 1
    records = [json.loads(line) for line in files[0].read_text().splitlines()]
    ids = [i for r in records for i in r["prediction_ids"]]
    assert all(isinstance(r["prediction_ids"], list) for r in records)
    assert "bad" in ids and len(ids) == 2 and all(isinstance(i, str) for i in ids)
    traces = {t for r in records for t in r["trace_ids"]}
    assert traces == {"b" * 32, "c" * 32}
    stamps = [pd.Timestamp(s) for r in records for s in r["timestamps"]]
    assert all(s.tzinfo is not None for s in stamps)
    assert dl.open(tmp_path / "s").table("m").prediction_id.execute().tolist() == ["good"]


@pytest.mark.spark
def test_spark_reads_the_namespace_as_duckdb_does(path, store, spark):  # noqa: F811
    sparked = dl.open(path, engine="spark", spark=spark)
    try:
        assert sparked.table("m").schema() == store.table("m").schema()
        kwargs = {"by": "segment", "where": "score < 560 and label = 'gold'"}
        a = dl.slice_metrics(store, "m", **kwargs).table
        b = dl.slice_metrics(sparked, "m", **kwargs).table
        assert a["n"].tolist() == b["n"].tolist() and a["n"].sum() > 0
        np.testing.assert_allclose(a["error"], b["error"], rtol=1e-9)
        da = dl.drift(store, "m", features=["score", "segment"])
        db = dl.drift(sparked, "m", features=["score", "segment"])
        assert da.table["feature"].tolist() == db.table["feature"].tolist()
        np.testing.assert_allclose(da.table["effect"], db.table["effect"], rtol=1e-9)
        fa = dl.find_slices(store, "m", k=3, max_conditions=1).table
        fb = dl.find_slices(sparked, "m", k=3, max_conditions=1).table
        assert [str(s) for s in fa["slice"]] == [str(s) for s in fb["slice"]]
    finally:
        sparked.close()


def test_explain_and_neighbors_read_features_named_like_roles(tmp_path):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    X = pd.DataFrame({"score": rng.normal(600, 50, 400), "label": rng.normal(0, 1, 400)})
    y = (X["score"] > 600).astype(int)
    clf = LogisticRegression().fit(X, y)
    store = dl.open(tmp_path / "s")
    store.set_reference("m", X, labels=y)
    store.register_model("m", clf)
    ids = store.log("m", features=X.iloc[:50], predictions=clf.predict_proba(X.iloc[:50])[:, 1])
    ex = dl.explain(store, "m", ids[0], trust=True)
    assert set(ex.table["feature"]) == {"score", "label"}
    assert ex.features["score"] == pytest.approx(X["score"].iloc[0])
    high = dl.what_if(store, "m", ids[0], {"score": 900.0}, trust=True)
    assert high.probability > 0.99  # the feature "score" changed, not the model's score
    low = int(np.argmin(clf.predict_proba(X.iloc[:50])[:, 1]))
    cf = dl.counterfactual(store, "m", ids[low], trust=True)
    assert cf.found and set(cf.changes) <= {"score", "label"} and "score" in cf.changes
    near = dl.neighbors(store, "m", ids[0], k=3, trust=True).table
    assert len(near) == 3 and "feature:score" in near.columns
    store.close()


def test_the_slice_explorer_charts_a_feature_named_like_a_role(store):
    ex = dl.SliceExplorer(store, "m", by="segment").wait()
    assert ex.last_error is None
    assert set(ex.data()["feature:segment"]) == {"a", "b"}
    assert ex.chart.spec["layer"][0]["mark"]["type"] == "bar"
    ex.select(0)
    rows = ex.wait().rows
    assert ex.last_error is None and rows is not None and len(rows)
