"""Models registered from MLflow model URIs, against a real local MLflow tracking store."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import diaglab as dl
from conftest import credit_frame, credit_target

mlflow = pytest.importorskip("mlflow")

START = pd.Timestamp("2026-01-01", tz="UTC")


@pytest.fixture(scope="module")
def tracking(tmp_path_factory):
    """A local MLflow tracking store (SQLite + local artifacts) with three logged models:
    a LightGBM Booster registered as ``credit`` version 1, a scikit-learn LightGBM classifier
    and a logistic regression (both serialized in formats whose loading runs code)."""
    root = tmp_path_factory.mktemp("mlflow")
    previous = mlflow.get_tracking_uri()
    uri = f"sqlite:///{root / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(
        experiment_id=mlflow.create_experiment(
            "diaglab-tests", artifact_location=(root / "artifacts").as_uri()
        )
    )
    train = credit_frame(800, 1).drop(columns=["region"])
    y = credit_target(credit_frame(800, 1), 2)
    booster = lgb.train(
        {"objective": "binary", "num_leaves": 8, "verbose": -1, "seed": 0},
        lgb.Dataset(train, y),
        num_boost_round=20,
    )
    clf = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(train, y)
    lr = LogisticRegression(max_iter=500).fit(train, y)
    with mlflow.start_run() as run:
        mlflow.lightgbm.log_model(booster, name="booster", registered_model_name="credit")
        mlflow.lightgbm.log_model(clf, name="clf")
        mlflow.sklearn.log_model(lr, name="lr", input_example=train.head(3))
    yield {"uri": uri, "run_id": run.info.run_id, "booster": booster, "train": train, "clf": clf}
    mlflow.set_tracking_uri(previous)


def test_registry_uri_loads_through_mlflow_and_records_its_source(tracking, store):
    info = store.register_model("credit", "models:/credit/1", version="v1")
    assert info.format == "mlflow" and info.flavor == "lightgbm"
    assert not info.needs_trust
    assert info.source["uri"] == "models:/credit/1"
    assert info.source["run_id"] == tracking["run_id"]
    assert info.source["tracking_uri"].startswith("sqlite:///")
    assert info.features == tuple(tracking["train"].columns)
    assert store.model_info("credit", "v1").source == info.source

    loaded = store.load_model("credit", "v1")
    X = tracking["train"].head(50)
    expected = tracking["booster"].predict(X)
    np.testing.assert_allclose(loaded.predict_proba(X)[:, 1], expected, rtol=1e-12)


def test_the_store_keeps_its_copy_when_the_tracking_store_is_gone(tracking, store):
    store.register_model("credit", "models:/credit/1", version="v1")
    mlflow.set_tracking_uri("http://127.0.0.1:9")  # nothing listens there
    try:
        loaded = store.load_model("credit", "v1")
    finally:
        mlflow.set_tracking_uri(tracking["uri"])
    X = tracking["train"].head(5)
    np.testing.assert_allclose(loaded.predict_proba(X)[:, 1], tracking["booster"].predict(X))


def test_formats_that_run_code_need_trust_to_register_and_to_load(tracking, store):
    uri = f"runs:/{tracking['run_id']}/clf"
    with pytest.raises(dl.UntrustedModelError, match="trust=True"):
        store.register_model("credit", uri, version="v2")
    assert "v2" not in store.model_versions("credit")

    info = store.register_model("credit", uri, version="v2", trust=True)
    assert info.needs_trust and info.source["uri"] == uri
    with pytest.raises(dl.UntrustedModelError):
        store.load_model("credit", "v2")
    loaded = store.load_model("credit", "v2", trust=True)
    X = tracking["train"].head(20)
    np.testing.assert_allclose(loaded.predict_proba(X), tracking["clf"].predict_proba(X))


def test_sklearn_flavor_takes_features_from_the_signature(tracking, store):
    info = store.register_model("lr", f"runs:/{tracking['run_id']}/lr", version="v1", trust=True)
    assert info.flavor == "sklearn" and info.task == "binary"
    assert info.features == tuple(tracking["train"].columns)


def test_a_registered_mlflow_model_is_explained_with_additive_shap(tracking, store):
    store.register_model("credit", "models:/credit/1", version="v1")
    loaded = store.load_model("credit", "v1")
    rows = credit_frame(200, 3).drop(columns=["region"])
    ts = START + pd.to_timedelta(np.arange(len(rows)), unit="h")
    ids = store.log("credit", rows, loaded.predict_proba(rows)[:, 1], timestamps=ts)
    store.set_reference("credit", rows, labels=credit_target(credit_frame(200, 3), 4))
    ex = dl.explain(store, "credit", ids[5], drift=False)
    raw = tracking["booster"].predict(rows.iloc[[5]], raw_score=True)[0]
    assert ex.base_value + sum(ex.values.values()) == pytest.approx(raw, abs=1e-6)


def test_tampered_files_and_bad_uris_are_refused(tracking, store):
    info = store.register_model("credit", "models:/credit/1", version="v1")
    model_file = next(info.path.glob("*.lgb"))
    model_file.write_bytes(model_file.read_bytes().replace(b"num_leaves", b"num_leavez", 1))
    with pytest.raises(dl.DiaglabError, match="SHA-256"):
        store.load_model("credit", "v1")
    with pytest.raises(dl.InputError, match="cannot fetch MLflow model"):
        store.register_model("credit", "models:/no-such-model/7", version="v3")
    with pytest.raises(dl.InputError, match="MLflow model URI"):
        store.register_model("credit", "credit.pkl", version="v3")
    assert "v3" not in store.model_versions("credit")


class _Payload:
    """Unpickling this writes ``marker``: what an attacker's model file would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('ran')",))


def _forged_run(tracking, tmp_path, edit_mlmodel, payload_name="model.lgb", code_dir=False):
    """A run whose artifact ``forged`` is the logged Booster's MLflow directory with its data
    file replaced by a pickle payload and its MLmodel edited by ``edit_mlmodel``."""
    import pickle
    import shutil

    import yaml

    src = Path(
        mlflow.artifacts.download_artifacts(
            artifact_uri=f"runs:/{tracking['run_id']}/booster", dst_path=tmp_path / "dl"
        )
    )
    forged = tmp_path / "forged"
    shutil.copytree(src, forged)
    marker = tmp_path / "marker"
    meta = yaml.safe_load((forged / "MLmodel").read_text())
    data = meta["flavors"]["lightgbm"]["data"]
    (forged / data).unlink()
    (forged / payload_name).write_bytes(pickle.dumps(_Payload(marker)))
    edit_mlmodel(meta, payload_name)
    (forged / "MLmodel").write_text(yaml.safe_dump(meta))
    if code_dir:
        (forged / "code").mkdir()
        (forged / "code" / "lightgbm.py").write_text(f"open({str(marker)!r}, 'w')\n")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(forged), artifact_path="forged")
    return f"runs:/{run.info.run_id}/forged", marker


def _sklearn_wrapper(meta, name):
    meta["flavors"]["lightgbm"].update(model_class="lightgbm.sklearn.LGBMClassifier", data=name)


def _pickle_named_like_text(meta, name):
    meta["flavors"]["lightgbm"]["data"] = name  # a Booster claim over a pickle in a .txt file


def _pyfunc_loader(meta, name):
    meta["flavors"]["lightgbm"]["data"] = name
    meta["flavors"]["python_function"]["loader_module"] = "evil_loader"


@pytest.mark.parametrize(
    ("edit", "name", "code_dir"),
    [
        (_sklearn_wrapper, "model.lgb", False),
        (_pickle_named_like_text, "model.txt", False),
        (_pyfunc_loader, "model.lgb", False),
        (_sklearn_wrapper, "model.lgb", True),
    ],
    ids=["sklearn-wrapper-class", "pickle-in-text-name", "pyfunc-loader", "code-dir"],
)
def test_registering_never_runs_a_forged_models_code(
    tracking, store, tmp_path, edit, name, code_dir
):
    uri, marker = _forged_run(tracking, tmp_path, edit, name, code_dir)
    with pytest.raises(dl.UntrustedModelError, match="trust=True"):
        store.register_model("credit", uri, version="evil")
    assert not marker.exists(), "registering ran the model's code"
    assert "evil" not in store.model_versions("credit")
