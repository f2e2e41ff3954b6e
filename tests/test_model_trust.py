"""Whether loading a registered model runs code is decided by the file, and the file must be the
one the keyed audit trail chained at registration: model.json is not evidence."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from pathlib import Path

import lightgbm as lgb
import pytest
from sklearn.linear_model import LogisticRegression

import diaglab as dl
from conftest import copy_sample, credit_frame, credit_target, make_batch
from diaglab.store.models import ModelInfo


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('ran')",))


@pytest.fixture
def models(tmp_path: Path):
    store = dl.open(tmp_path / "store")
    train = credit_frame(300, 1).drop(columns=["region"])
    y = credit_target(credit_frame(300, 1), 2)
    store.register_model(
        "credit", lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(train, y), version="v1"
    )
    store.register_model("credit", LogisticRegression(max_iter=300).fit(train, y), version="v2")
    yield store
    store.close()


def _edit(info: ModelInfo, **changes: object) -> None:
    path = info.path.parent / "model.json"
    meta = json.loads(path.read_text())
    meta.update(changes)
    path.write_text(json.dumps(meta))


def test_a_pickle_needs_trust_whatever_model_json_says(models, tmp_path):
    info = models.model_info("credit", "v2")
    assert info.needs_trust
    _edit(info, needs_trust=False, format="lightgbm")
    assert models.model_info("credit", "v2").needs_trust
    with pytest.raises(dl.UntrustedModelError, match="runs code"):
        models.load_model("credit", "v2")


def test_a_payload_swapped_in_with_its_sha256_is_refused_and_never_run(models, tmp_path):
    """The attack from issue 16: a pickle put in place of a LightGBM model, model.json edited to
    say it needs no trust and to carry the payload's SHA-256."""

    info = models.model_info("credit", "v1")
    marker = tmp_path / "marker"
    payload = pickle.dumps(_Payload(marker))
    info.path.write_bytes(payload)
    _edit(info, format="pickle", needs_trust=False, sha256=hashlib.sha256(payload).hexdigest())
    for trust in (False, True):
        with pytest.raises(dl.DiaglabError):
            models.load_model("credit", "v1", trust=trust)
    with pytest.raises(dl.DiaglabError):
        dl.explain(models, "credit", "no-such-id")
    assert not marker.exists()
    report = models.verify()
    assert any(p.kind == "changed" and "versions/v1" in p.path for p in report.problems)


def test_a_model_file_swapped_for_another_real_model_is_caught(models, tmp_path):
    """Both files are code-free LightGBM models; only the chained digest tells them apart."""
    v1 = models.model_info("credit", "v1")
    other = credit_frame(300, 5).drop(columns=["region"])
    lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(
        other, credit_target(credit_frame(300, 5), 6)
    ).booster_.save_model(str(tmp_path / "other.txt"))
    shutil.copy(tmp_path / "other.txt", v1.path)
    _edit(v1, sha256=hashlib.sha256(v1.path.read_bytes()).hexdigest())
    with pytest.raises(dl.DiaglabError, match="SHA-256"):
        models.load_model("credit", "v1")
    assert not models.verify().ok


def test_code_free_files_load_without_trust_and_verify(models):
    assert not models.model_info("credit", "v1").needs_trust
    loaded = models.load_model("credit", "v1")
    assert loaded.library == "lightgbm"
    assert models.load_model("credit", "v2", trust=True).library == "sklearn"
    assert models.verify().ok, str(models.verify())


@pytest.mark.parametrize("keying", ["key file", "environment key"])
def test_models_registered_before_the_store_was_keyed_still_load(tmp_path, monkeypatch, keying):
    """The committed sample store was written without a key: its models load after the store's
    first keyed write, and a file swapped after that is still caught."""

    if keying == "environment key":
        monkeypatch.setenv("DIAGLAB_AUDIT_KEY", "ef" * 32)
    store = dl.open(copy_sample(tmp_path))
    try:
        batch = make_batch(5)
        features = store.table("credit").limit(5).to_pandas()[list(store.schema("credit").features)]
        store.log("credit", features, batch["predictions"], model_version="v2")
        assert store.load_model("credit", "v2").library == "lightgbm"
        assert store.verify().ok, str(store.verify())
        v1 = store.model_info("credit", "v1")
        shutil.copy(store.model_info("credit", "v2").path, v1.path)
        if keying == "key file":  # the migration record vouches for v1, not model.json
            _edit(v1, sha256=hashlib.sha256(v1.path.read_bytes()).hexdigest())
        with pytest.raises(dl.DiaglabError, match="SHA-256"):
            store.load_model("credit", "v1")
    finally:
        store.close()


def test_a_store_whose_key_is_elsewhere_still_loads_its_code_free_models(
    models, tmp_path, monkeypatch
):
    monkeypatch.setenv("DIAGLAB_AUDIT_KEY_DIR", str(tmp_path / "another-machine"))
    assert models.load_model("credit", "v1").library == "lightgbm"
    assert not models.verify().ok  # but verify says the keyed records cannot be checked
    with pytest.raises(dl.UntrustedModelError):
        models.load_model("credit", "v2")
