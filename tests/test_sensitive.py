"""Sensitive columns: keyed hashes on disk, never the clear values; equal values hash equal."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pandas as pd
import pytest

import diaglab as dl
from conftest import make_batch
from diaglab.errors import SchemaError, UnknownNameError
from diaglab.store.segments import list_segments
from diaglab.store.sensitive import KEY_ENV, KEY_FILE, keyed_hash, store_key

EMAILS = ["ada@example.com", "bob@example.org", "ada@example.com", None]


def _batch(emails: list[str | None], seed: int = 0) -> dict:
    b = make_batch(len(emails), seed=seed)
    b["features"]["email"] = emails
    return b


def _all_segment_bytes(root) -> bytes:
    return b"".join(s.path.read_bytes() for s in list_segments(root))


def test_sensitive_values_never_reach_the_disk_in_clear(store):
    store.log(model="credit", sensitive=["email"], **_batch(EMAILS))
    raw = _all_segment_bytes(store.path)
    for text in ("ada@example.com", "bob@example.org", "example"):
        assert text.encode() not in raw
    assert store.schema("credit").sensitive == ("email",)
    store.close()
    db = (store.path / "diaglab.duckdb").read_bytes()
    assert b"ada@example.com" not in db


def test_equal_values_hash_equal_so_group_by_works(store):
    store.log(model="credit", sensitive=["email"], **_batch(EMAILS))
    t = store.table("credit")
    df = t.select("email").execute()
    hashed = df["email"].tolist()
    key = store_key(store.path)
    assert hashed[0] == hashed[2] == keyed_hash(key, "ada@example.com")
    assert hashed[1] != hashed[0] and len(hashed[0]) == 32
    assert pd.isna(hashed[3])
    counts = t.group_by("email").aggregate(n=t.count()).execute()
    assert sorted(counts["n"].tolist()) == [1, 1, 2]


def test_later_batches_and_the_reference_hash_it_without_being_told(store):
    store.log(model="credit", sensitive=["email"], **_batch(EMAILS))
    store.log(model="credit", **_batch(["carol@example.net", "ada@example.com"], seed=1))
    ref = _batch(["dave@example.com", "ada@example.com"], seed=2)["features"]
    store.set_reference("credit", ref)
    raw = _all_segment_bytes(store.path)
    assert b"carol@example.net" not in raw and b"dave@example.com" not in raw
    logged = store.table("credit").select("email").execute()["email"]
    refd = store.reference("credit").select("email").execute()["email"]
    assert set(refd) & set(logged) == {keyed_hash(store_key(store.path), "ada@example.com")}


def test_key_file_is_private_and_stable(store):
    store.log(model="credit", sensitive=["email"], **_batch(EMAILS))
    path = store.path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store_key(store.path) == path.read_bytes()


def test_key_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "a shared secret of some length")
    with dl.open(tmp_path / "s") as store:
        store.log(model="credit", sensitive="email", **_batch(EMAILS))
        got = store.table("credit").select("email").execute()["email"].iloc[0]
    assert got == keyed_hash(b"a shared secret of some length", "ada@example.com")
    assert not (tmp_path / "s" / KEY_FILE).exists()
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(dl.InputError, match=KEY_ENV):
        store_key(tmp_path / "s")


def test_unknown_or_already_clear_column_is_refused(store):
    with pytest.raises(UnknownNameError, match="emial"):
        store.log(model="credit", sensitive=["emial"], **_batch(EMAILS))
    store.log(model="credit", **_batch(EMAILS))
    with pytest.raises(SchemaError, match="already stored in clear"):
        store.log(model="credit", sensitive=["email"], **_batch(EMAILS, seed=1))


def test_logger_hashes_sensitive_columns(tmp_path):
    with dl.Logger(tmp_path, model="credit", sensitive=["email"]) as logger:
        for e in ["eve@example.com", "eve@example.com"]:
            logger.log({"age": 30.0, "email": e}, 0.4)
    assert b"eve@example.com" not in _all_segment_bytes(tmp_path)
    with dl.open(tmp_path) as store:
        assert store.schema("credit").sensitive == ("email",)
        emails = store.table("credit").select("email").execute()["email"]
        assert emails.nunique() == 1 and emails.iloc[0] == keyed_hash(
            store_key(tmp_path), "eve@example.com"
        )


def test_logger_rejects_keep_sensitive_values_hashed(tmp_path):
    with dl.Logger(tmp_path, model="credit", sensitive=["email"]) as logger:
        logger.log({"age": 30.0, "email": "eve@example.com"}, 0.4)
        logger.flush()
        logger.log({"age": "not a number", "email": "zed@example.com"}, 0.4)
    assert logger.rejected == 1
    rejected = b"".join(p.read_bytes() for p in (tmp_path / "rejected").rglob("*.jsonl"))
    assert b"zed@example.com" not in rejected
    assert keyed_hash(store_key(tmp_path), "zed@example.com").encode() in rejected


# -- filters on a sensitive column (issue 16) ---------------------------------------------------


def _logged_with_emails(store):
    emails = ["ada@example.com", "bob@example.org"] * 30
    b = _batch(emails)
    ids = store.log(model="credit", sensitive=["email"], **b)
    store.log_labels("credit", ids, [1.0 if i % 3 else 0.0 for i in range(len(ids))])
    return emails


def test_a_clear_literal_on_a_sensitive_column_matches_its_hashed_rows(store):
    from diaglab.queries.filters import where

    _logged_with_emails(store)
    t = store.table("credit")
    assert where(t, "email = 'ada@example.com'").count().execute() == 30
    assert where(t, "email IN ('bob@example.org', 'nobody@x.y')").count().execute() == 30
    assert where(t, "email != 'ada@example.com' AND age > 0").count().execute() == 30
    assert where(t, dl.Slice.of("email = 'ada@example.com'")).count().execute() == 30
    with pytest.raises(dl.InputError, match="sensitive"):
        where(t, "email > 'a'")


def test_a_finding_filtered_on_a_sensitive_value_never_stores_it(store, tmp_path):
    import os

    _logged_with_emails(store)
    clear = "ada@example.com"
    result = dl.slice_metrics(store, "credit", by="region", where=f"email = '{clear}'")
    assert result.table["n"].sum() == 30
    f = dl.finding("ada's rows", result, store=store)  # the spec comes with the result
    text = json.dumps(f.to_json())
    assert clear not in text and "ada@" not in text
    stored_where = f.query["spec"]["scope"]["where"]
    assert "hmac-sha256:" in json.dumps(stored_where)
    assert "hmac-sha256:" in f.query["call"]
    assert f.query["sql"] and clear not in f.query["sql"]
    segments = b"".join(p.read_bytes() for p in store.path.rglob("*") if p.is_file())
    assert clear.encode() not in segments
    cache = os.environ["DIAGLAB_CACHE_DIR"]
    for path in (p for p in Path(cache).rglob("*") if p.is_file()):
        assert clear.encode() not in path.read_bytes(), path
    # the stored filter compares the same when run again (as recheck and replay do)
    from diaglab.findings.replay import evaluate

    table, _ = evaluate(store, dl.Spec.from_json(f.query["spec"]))
    assert table["n"].sum() == 30
