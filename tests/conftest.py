from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import diaglab as dl

START = pd.Timestamp("2026-01-01", tz="UTC")


@pytest.fixture(autouse=True, scope="session")
def _sql_cache_in_tmp(tmp_path_factory):
    """Compiled SQL kept across processes (diaglab.store.sql_cache) goes to a temporary
    directory, never to the user's ~/.cache; subprocesses the tests start inherit it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DIAGLAB_CACHE_DIR", str(tmp_path_factory.mktemp("sql-cache")))
        yield


@pytest.fixture(autouse=True, scope="session")
def _audit_keys_in_tmp(tmp_path_factory):
    """Stores' audit keys (diaglab.store.audit.key) go to a temporary directory, never to the
    user's ~/.config; subprocesses the tests start inherit it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DIAGLAB_AUDIT_KEY", raising=False)
        mp.setenv("DIAGLAB_AUDIT_KEY_DIR", str(tmp_path_factory.mktemp("audit-keys")))
        yield


def make_batch(n: int, *, seed: int = 0, start: pd.Timestamp = START) -> dict:
    """A small deterministic batch: features, scores, timestamps."""
    rng = np.random.default_rng(seed)
    features = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float),
            "income": rng.lognormal(10, 0.5, n).round(2),
            "region": rng.choice(["north", "south", "east", "west"], n),
        }
    )
    return {
        "features": features,
        "predictions": rng.random(n),
        "timestamps": start + pd.to_timedelta(np.arange(n), unit="min"),
    }


@pytest.fixture
def store(tmp_path: Path):
    s = dl.open(tmp_path / "store")
    yield s
    s.close()


@pytest.fixture
def logged(store):
    """A store with 1,000 credit predictions; returns (store, ids, batch)."""
    b = make_batch(1000)
    ids = store.log(model="credit", **b)
    return store, ids, b


SAMPLE = Path(__file__).parents[1] / "sample_data" / "credit"


def copy_sample(dest: Path) -> Path:
    """A private copy of the committed sample store (opening one writes its DuckDB file)."""
    import shutil

    target = dest / "credit"
    shutil.copytree(
        SAMPLE, target, ignore=shutil.ignore_patterns("*.duckdb", "*.duckdb.wal", ".tmp")
    )
    return target


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory):
    """The sample scenario store (read it, do not log into it)."""
    s = dl.open(copy_sample(tmp_path_factory.mktemp("sample")))
    yield s
    s.close()


@pytest.fixture(scope="session")
def sample_truth():
    import json

    return json.loads((SAMPLE / "sample_truth.json").read_text())


def credit_frame(n: int, seed: int) -> pd.DataFrame:
    """Applicants with age, income and region: inputs of the small test credit models."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float),
            "income": rng.lognormal(10, 0.5, n).round(0),
            "region": rng.choice(["north", "south", "east"], n),
        }
    )


def credit_target(df: pd.DataFrame, seed: int) -> np.ndarray:
    """Defaults drawn from a logistic model of :func:`credit_frame`'s columns."""
    rng = np.random.default_rng(seed)
    logit = -0.00004 * (df["income"] - 22000) + 0.03 * (df["age"] - 45)
    logit = logit + np.where(df["region"] == "north", 1.0, 0.0)
    return (rng.random(len(df)) < 1 / (1 + np.exp(-logit))).astype(int)


def credit_classifier() -> object:
    """The small test credit model: LightGBM fitted on :func:`credit_frame` rows (region a
    category), deterministic."""
    import lightgbm as lgb

    train = credit_frame(1500, 1)
    clf = lgb.LGBMClassifier(n_estimators=30, num_leaves=8, verbose=-1, random_state=0)
    clf.fit(train.assign(region=train["region"].astype("category")), credit_target(train, 2))
    return clf
