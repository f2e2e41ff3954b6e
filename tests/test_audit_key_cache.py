"""The audit key and store id are read once per file, not once per chained segment."""

from __future__ import annotations

import json
import os
from pathlib import Path

import diaglab as dl
from conftest import make_batch
from diaglab.store.audit import key as audit_key
from diaglab.store.audit import verify


def _store(tmp_path):
    store = dl.open(tmp_path / "store")
    store.log(model="credit", **make_batch(20, seed=0))
    return store


def test_each_segment_reuses_the_key_file_read_before(tmp_path, monkeypatch):
    store = _store(tmp_path)
    key = audit_key.find_key(store.path)
    assert key is not None
    watched = {Path(key.where), store.path / "audit" / audit_key.STORE_ID_FILE}
    reads: list[Path] = []
    real = Path.read_text

    def read_text(self, *args, **kwargs):
        if self in watched:
            reads.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    for seed in range(1, 4):
        store.log(model="credit", **make_batch(20, seed=seed))
    # three segments chained without reading the key file or the store id again
    assert reads == []
    monkeypatch.undo()
    assert store.verify().ok
    store.close()


def test_a_replaced_key_file_is_read_again(tmp_path):
    store = _store(tmp_path)
    key = audit_key.find_key(store.path)
    assert key is not None and key.where.endswith(".json")
    data = json.loads(Path(key.where).read_text())
    data["key"] = "ab" * 32
    tmp = key.where + ".new"
    with open(tmp, "w") as fh:
        json.dump(data, fh)
    os.replace(tmp, key.where)
    again = audit_key.find_key(store.path)
    assert again is not None and again.secret == bytes.fromhex("ab" * 32)
    # the chain written under the old key no longer verifies under the new one
    assert not verify(store.path).ok
    store.close()


def test_a_removed_key_file_is_no_key(tmp_path):
    store = _store(tmp_path)
    key = audit_key.find_key(store.path)
    assert key is not None
    os.remove(key.where)
    assert audit_key.find_key(store.path) is None
    store.close()
