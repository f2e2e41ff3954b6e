"""The explanation cache is read back only while its seal (an HMAC under the store's audit key)
holds: an edited SHAP value never comes back as ``cached=True`` (issue 16)."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import diaglab as dl
from conftest import credit_frame, credit_target
from diaglab.diagnostics.explain import explainers as _explainers

START = pd.Timestamp("2026-01-01", tz="UTC")


@pytest.fixture
def explained(tmp_path):
    store = dl.open(tmp_path / "store")
    train = credit_frame(600, 1).drop(columns=["region"])
    clf = lgb.LGBMClassifier(n_estimators=10, num_leaves=8, verbose=-1, random_state=0)
    store.register_model("m", clf.fit(train, credit_target(credit_frame(600, 1), 2)), "v1")
    prod = credit_frame(50, 3).drop(columns=["region"])
    ts = START + pd.to_timedelta(np.arange(50), unit="h")
    ids = store.log("m", prod, clf.predict_proba(prod)[:, 1], timestamps=ts)
    first = dl.explain(store, "m", ids[7], drift=False)
    assert not first.cached
    _explainers.clear_memory_cache()
    yield store, ids[7], first
    _explainers.clear_memory_cache()
    store.close()


def _cache_files(store):
    return sorted((store.path / "cache" / "explanations" / "m").rglob("*.parquet"))


def test_an_intact_cache_is_read_back(explained):
    store, pid, first = explained
    again = dl.explain(store, "m", pid, drift=False)
    assert again.cached and again.values == pytest.approx(dict(first.values))


def test_an_edited_cached_shap_value_is_not_returned_as_cached(explained):
    store, pid, first = explained
    (path,) = _cache_files(store)
    table = pq.read_table(path)
    column = next(c for c in table.column_names if c.startswith("shap:"))
    i = table.schema.get_field_index(column)
    table = table.set_column(i, column, pc.add(pc.multiply(table[column], 0.0), 123.0))
    pq.write_table(table, path)
    again = dl.explain(store, "m", pid, drift=False)
    assert not again.cached
    assert again.values[column.removeprefix("shap:")] != 123.0
    assert again.values == pytest.approx(dict(first.values))


def test_a_cache_file_without_its_seal_is_ignored(explained):
    store, pid, _ = explained
    (path,) = _cache_files(store)
    path.with_name(path.name + ".mac").unlink()
    assert not dl.explain(store, "m", pid, drift=False).cached
