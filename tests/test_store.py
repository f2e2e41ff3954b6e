"""The store's Python API: logging, labels, reference, schema evolution, ingest and rebuild."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import diaglab as dl
from conftest import make_batch


def rows(store, model="credit"):
    return store.table(model).count().execute()


def test_log_returns_unique_time_ordered_ids_and_rows_are_query_ready(logged):
    store, ids, b = logged
    assert len(ids) == len(set(ids)) == 1000
    assert ids == sorted(ids)
    df = store.table("credit").order_by("prediction_id").execute()
    assert len(df) == 1000
    np.testing.assert_allclose(df["score"], b["predictions"])
    assert (df["prediction"] == (b["predictions"] >= 0.5)).all()
    assert str(df["timestamp"].dt.tz) == "UTC"
    assert store.schema("credit").task == "binary"
    assert store.schema("credit").categorical == ["region"]


def test_feature_kinds_are_inferred_and_can_be_overridden(store):
    df = pd.DataFrame(
        {"zip": [1001, 1002, 1003], "x": [1.0, 2.0, 3.0], "flag": [True, False, True]}
    )
    store.log(model="m", features=df, predictions=[0.1, 0.2, 0.3], categorical=["zip"])
    s = store.schema("m")
    assert s.features["zip"].kind == "categorical"
    assert s.features["x"].kind == "numeric"
    assert s.features["flag"].kind == "categorical"
    assert sorted(store.table("m").zip.execute()) == ["1001", "1002", "1003"]


def test_two_dimensional_probabilities_and_regression_and_classes(store):
    f = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    store.log(model="bin", features=f, predictions=np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]]))
    assert store.table("bin").order_by("x").score.execute().tolist() == [0.1, 0.8, 0.5]
    store.log(model="reg", features=f, predictions=[10.5, -3.0, 7.25])
    assert store.schema("reg").task == "regression"
    store.log(
        model="mc",
        features=f,
        predictions=np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]]),
    )
    assert store.table("mc").order_by("x").prediction.execute().tolist() == ["0", "2", "1"]
    store.log(model="cls", features=f, predictions=["cat", "dog", "cat"])
    assert store.schema("cls").task == "multiclass"


def test_labels_late_repeated_and_unknown(logged):
    store, ids, _ = logged
    r1 = store.log_labels(model="credit", prediction_ids=ids[:600], labels=[1] * 600)
    assert (r1.matched, r1.replaced, r1.unknown) == (600, 0, 0)
    r2 = store.log_labels(
        model="credit", prediction_ids=[*ids[:100], "ghost-1", "ghost-2"], labels=[0] * 102
    )
    assert (r2.matched, r2.replaced, r2.unknown) == (100, 100, 2)
    assert r2.unknown_ids == ("ghost-1", "ghost-2")
    t = store.table("credit")
    df = t.filter(t.label.notnull()).execute()
    assert len(df) == 600
    assert (df.set_index("prediction_id").loc[ids[:100], "label"] == 0).all()
    assert (df.set_index("prediction_id").loc[ids[100:600], "label"] == 1).all()
    history = store.labels("credit").execute()
    assert len(history) == 702  # nothing dropped: repeats and unknown ids are kept
    assert set(history.prediction_id) >= {"ghost-1", "ghost-2"}


def test_labels_that_arrive_before_their_prediction_are_joined_later(store):
    b = make_batch(10)
    store.log(model="credit", **b, prediction_ids=[f"early-{i}" for i in range(10)])
    store.log_labels(model="credit", prediction_ids=["later-0", "later-1"], labels=[1, 0])
    store.log(model="credit", **make_batch(2, seed=1), prediction_ids=["later-0", "later-1"])
    t = store.table("credit")
    got = t.filter(t.prediction_id.startswith("later")).order_by("prediction_id").execute()
    assert got.label.tolist() == [1.0, 0.0]


def test_label_coverage_is_queryable(logged):
    store, ids, _ = logged
    store.log_labels(model="credit", prediction_ids=ids[:250], labels=[1] * 250)
    t = store.table("credit")
    assert t.label.notnull().mean().execute() == pytest.approx(0.25)


def test_set_reference_and_replace(store):
    b = make_batch(500)
    y = (b["predictions"] > 0.7).astype(int)
    assert (
        store.set_reference(
            model="credit", features=b["features"], labels=y, predictions=b["predictions"]
        )
        == 500
    )
    ref = store.reference("credit").execute()
    assert len(ref) == 500 and ref.label.sum() == y.sum()
    store.set_reference(model="credit", features=b["features"].head(100), labels=y[:100])
    assert store.reference("credit", "v1").count().execute() == 100


def test_schema_evolution_new_feature_and_version_is_reported(logged):
    store, _, b = logged
    f = b["features"].head(5).assign(tenure=[1.0, 2.0, 3.0, 4.0, 5.0])
    store.log(model="credit", features=f, predictions=np.full(5, 0.5), model_version="v2")
    s = store.schema("credit")
    assert "tenure" in s.features and s.features["tenure"].first_version == "v2"
    assert any("tenure" in c for c in s.changes)
    assert any("'v2' logs other features" in c for c in s.changes)
    t = store.table("credit")
    assert t.filter(t.tenure.notnull()).count().execute() == 5
    assert rows(store) == 1005


def test_text_into_numeric_feature_is_rejected_and_nothing_stored(logged):
    store, _, b = logged
    bad = b["features"].head(3).astype({"age": object})
    bad.loc[1, "age"] = "forty"
    with pytest.raises(dl.InputError, match="'age'"):
        store.log(model="credit", features=bad, predictions=[0.1, 0.2, 0.3])
    bad2 = b["features"].head(2).assign(age=["a", "b"])
    with pytest.raises(dl.SchemaError, match="feature 'age' of model 'credit' is numeric"):
        store.log(model="credit", features=bad2, predictions=[0.1, 0.2])
    assert rows(store) == 1000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"predictions": np.ones(5) * 0.5}, "expected 10 values"),
        ({"prediction_ids": ["a"] * 10}, "repeats the id 'a'"),
        ({"timestamps": pd.date_range("2026-01-01", periods=10, freq="h")}, "naive"),
        ({"latency_ms": [1.0] * 9}, "latency_ms has 9 values"),
        ({"predictions": np.r_[np.full(9, 0.5), np.nan]}, "missing value"),
        ({"predictions": np.r_[np.full(9, 0.5), np.inf]}, "infinite"),
        ({"model_version": "../../etc"}, "invalid model_version"),
    ],
)
def test_bad_batches_get_clear_errors_and_store_nothing(logged, kwargs, message):
    store, _, _ = logged
    b = make_batch(10, seed=3)
    b.update(kwargs)
    with pytest.raises(dl.InputError, match=message):
        store.log(model="credit", **b)
    assert rows(store) == 1000


def test_duplicate_ids_across_batches_are_refused(logged):
    store, ids, _ = logged
    with pytest.raises(dl.DuplicateIdError, match=ids[3]):
        store.log(model="credit", **make_batch(2, seed=9), prediction_ids=[ids[3], "fresh"])
    assert rows(store) == 1000


def test_unknown_model_in_log_labels(logged):
    store, ids, _ = logged
    with pytest.raises(dl.UnknownNameError, match="unknown model 'credti'; known: credit"):
        store.log_labels(model="credti", prediction_ids=ids[:1], labels=[1])
    with pytest.raises(dl.InputError, match="must be 0/1"):
        store.log_labels(model="credit", prediction_ids=ids[:1], labels=[3])


def test_nan_features_are_missing_and_inf_is_refused(store):
    f = pd.DataFrame({"x": [1.0, np.nan, 3.0], "c": ["a", None, "b"]})
    store.log(model="m", features=f, predictions=[0.1, 0.2, 0.3])
    t = store.table("m")
    assert t.x.isnull().sum().execute() == 1 and t.c.isnull().sum().execute() == 1
    with pytest.raises(dl.InputError, match="feature 'x' has 1 infinite"):
        store.log(model="m", features=f.assign(x=f.x.fillna(np.inf)), predictions=[0.1, 0.2, 0.3])


def test_empty_batch_stores_nothing(store):
    assert store.log(model="m", features=pd.DataFrame({"x": []}), predictions=[]) == []
    assert store.models() == []


def test_non_utc_timestamps_are_converted(store):
    ts = pd.date_range("2026-01-01 09:00", periods=3, freq="h", tz="Europe/Berlin")
    store.log(
        model="m",
        features=pd.DataFrame({"x": [1.0, 2, 3]}),
        predictions=[0.1, 0.2, 0.3],
        timestamps=ts,
    )
    got = store.table("m").order_by("timestamp").timestamp.execute()
    assert got.iloc[0] == pd.Timestamp("2026-01-01 08:00", tz="UTC")


def test_sql_like_column_names_unicode_and_long_strings_are_stored(store):
    long = "λ" * 100_000
    f = pd.DataFrame({"select": [1.0, 2.0], "a; drop table x": ["ü", long], 'quote"d': ["x", "y"]})
    store.log(model="m", features=f, predictions=[0.3, 0.7], metadata={"team": "risk"})
    df = store.table("m").order_by("select").execute()
    assert df["a; drop table x"].tolist() == ["ü", long]
    assert df['quote"d'].tolist() == ["x", "y"]
    assert "credit" not in store.models()


def test_role_names_are_features_and_invalid_model_names_are_refused(store):
    store.log(model="m", features=pd.DataFrame({"label": [1.0]}), predictions=[0.5])
    assert store.table("m")["feature:label"].execute().tolist() == [1.0]
    with pytest.raises(dl.InputError, match="invalid model name"):
        store.log(model="../evil", features=pd.DataFrame({"x": [1.0]}), predictions=[0.5])


def test_arrow_table_input(store):
    store.log(model="m", features=pa.table({"x": [1.0, 2.0]}), predictions=[0.2, 0.4])
    assert rows(store, "m") == 2


def test_rebuild_from_segments_gives_the_same_tables(logged):
    store, ids, _ = logged
    store.log_labels(model="credit", prediction_ids=ids[:10], labels=[1] * 10)
    store.log_labels(model="credit", prediction_ids=ids[:5], labels=[0] * 5)
    before = store.table("credit").order_by("prediction_id").execute()
    report = store.rebuild()
    assert report.rows == 1000 and report.labels == 15
    after = store.table("credit").order_by("prediction_id").execute()
    pd.testing.assert_frame_equal(before, after)


def test_refresh_ingests_segments_exactly_once(logged, tmp_path):
    store, _, _ = logged
    assert store.refresh().segments == 0
    store.close()
    again = dl.open(store.path)
    assert rows(again) == 1000
    again.close()


def test_register_and_load_models_with_trust(store):
    lightgbm = pytest.importorskip("lightgbm")
    from sklearn.linear_model import LogisticRegression

    b = make_batch(300)
    X = b["features"][["age", "income"]]
    y = (b["predictions"] > 0.5).astype(int)
    gbm = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)
    store.register_model("credit", gbm, version="v1")
    loaded = store.load_model("credit", "v1")
    np.testing.assert_allclose(loaded.predict_proba(X), gbm.predict_proba(X), rtol=1e-6)
    store.register_model("credit", LogisticRegression().fit(X, y), version="v2")
    with pytest.raises(dl.UntrustedModelError, match="trust=True"):
        store.load_model("credit", "v2")
    assert store.load_model("credit", "v2", trust=True).predict(X).shape == (300,)
    assert store.model_versions("credit") == ["v1", "v2"]


def _two_producers_repeat_an_id(path):
    """Two producers handed the same request id ("req-1"): scores 0.1, then 0.9."""
    for score in (0.1, 0.9):  # two producers handed the same request id
        with dl.Logger(path, model="svc") as logger:
            logger.log({"x": 1.0}, score, prediction_id="req-1")
            logger.log({"x": 2.0}, score, prediction_id=f"own-{score}")


def test_producers_repeating_an_id_keep_the_first_and_report_it(tmp_path):
    path = tmp_path / "s"
    _two_producers_repeat_an_id(path)
    store = dl.open(path, refresh=False)
    report = store.refresh()
    assert (report.rows, report.duplicates) == (3, 1)
    t = store.table("svc")
    assert t.filter(t.prediction_id == "req-1").score.execute().tolist() == [0.1]


def test_a_model_created_by_a_producer_is_queryable_before_a_refresh(tmp_path):
    store = dl.open(tmp_path / "s")
    with dl.Logger(tmp_path / "s", model="late") as logger:
        logger.log({"x": 1.0}, 0.5, prediction_id="a")
    assert store.table("late").count().execute() == 0  # not ingested yet, but queryable
    report = store.log_labels(model="late", prediction_ids=["a"], labels=[1])
    assert report.unknown == 1  # the prediction arrives with the next refresh
    store.refresh()
    assert store.table("late").label.execute().tolist() == [1.0]


def test_read_only_views_keep_the_first_of_a_repeated_id(tmp_path):
    path = tmp_path / "s"
    _two_producers_repeat_an_id(path)
    ro = dl.open(path, read_only=True)
    t = ro.table("svc")
    assert t.count().execute() == 3
    assert t.filter(t.prediction_id == "req-1").score.execute().tolist() == [0.1]


def test_read_only_views_join_each_ids_latest_label(tmp_path):
    path = tmp_path / "s"
    writer = dl.open(path)
    writer.log(
        model="m", features={"x": [1.0, 2.0]}, predictions=[0.2, 0.8], prediction_ids=["a", "b"]
    )
    writer.log_labels(model="m", prediction_ids=["a"], labels=[1])
    ro = dl.open(path, read_only=True)  # each id labelled once: the labels are joined as they are
    assert ro.table("m").order_by("prediction_id").label.execute().tolist()[0] == 1.0
    writer.log_labels(model="m", prediction_ids=["a", "b"], labels=[0, 1])  # a's label replaced
    ro.refresh()
    labels = ro.table("m").order_by("prediction_id").label.execute().tolist()
    assert (
        labels == [0.0, 1.0] == writer.table("m").order_by("prediction_id").label.execute().tolist()
    )
    writer.close()


def test_a_file_url_of_a_store_directory_opens_that_directory(tmp_path):
    with dl.open(tmp_path / "s") as store:
        store.log("m", features=pd.DataFrame({"x": [1.0, 2.0]}), predictions=[0.1, 0.9])
    with dl.open((tmp_path / "s").as_uri()) as again:
        assert again.path == (tmp_path / "s").resolve() and again.remote is None
        assert again.table("m").count().execute() == 2
