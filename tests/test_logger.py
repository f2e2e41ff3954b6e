"""Logging from a live service: the Logger and instrument()."""

from __future__ import annotations

import json
import threading

import numpy as np
import pandas as pd
import pytest

import diaglab as dl


def test_logger_flushes_on_size_close_and_context_exit(tmp_path):
    path = tmp_path / "s"
    logger = dl.Logger(path, model="svc", flush_rows=100, flush_seconds=60)
    ids = [logger.log({"x": float(i), "c": "a"}, 0.5, latency_ms=2.0) for i in range(250)]
    logger.flush()
    assert logger.written == 250
    with dl.Logger(path, model="svc", flush_rows=10**6, flush_seconds=60) as lg2:
        lg2.log({"x": 1.0, "c": "b"}, 0.1, prediction_id="explicit", trace_id="t" * 32)
    logger.close()
    store = dl.open(path)
    t = store.table("svc")
    assert t.count().execute() == 251
    assert set(t.prediction_id.execute()) == {*ids, "explicit"}
    assert t.filter(t.prediction_id == "explicit").trace_id.execute().item() == "t" * 32
    with pytest.raises(dl.InputError, match="closed"):
        logger.log({"x": 1.0}, 0.5)


def test_logger_flushes_on_time(tmp_path):
    logger = dl.Logger(tmp_path / "s", model="svc", flush_rows=10**6, flush_seconds=0.05)
    logger.log({"x": 1.0}, 0.5)
    for _ in range(100):
        if logger.written:
            break
        threading.Event().wait(0.05)
    assert logger.written == 1
    logger.close()


def test_logger_is_thread_safe(tmp_path):
    logger = dl.Logger(tmp_path / "s", model="svc", flush_rows=300, flush_seconds=0.1)

    def work(k: int) -> None:
        for i in range(2000):
            logger.log({"x": float(i)}, 0.5, prediction_id=f"{k}-{i}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    logger.close()
    t = dl.open(tmp_path / "s").table("svc")
    assert t.prediction_id.nunique().execute() == 8000


def test_logger_quarantines_bad_rows_and_keeps_the_good_ones(tmp_path):
    path = tmp_path / "s"
    with dl.Logger(path, model="svc", flush_rows=10**6, flush_seconds=60) as logger:
        for i in range(50):
            logger.log({"x": float(i)}, 0.5)
        logger.log({"x": "not a number"}, 0.5, prediction_id="bad-1")
        logger.log(
            {"x": 2.0}, 0.5, prediction_id="bad-2", timestamp=pd.Timestamp("2026-01-01")
        )  # naive
    assert logger.rejected == 2 and logger.written == 50
    rejected = [
        json.loads(line)
        for f in (path / "rejected" / "svc").glob("*.jsonl")
        for line in f.read_text().splitlines()
    ]
    reasons = " ".join(r["reason"] for r in rejected)
    assert "numeric" in reasons and "naive" in reasons
    assert dl.open(path).table("svc").count().execute() == 50


def test_logger_batch_frames(tmp_path):
    with dl.Logger(tmp_path / "s", model="svc") as logger:
        ids = logger.log(pd.DataFrame({"x": [1.0, 2.0]}), np.array([0.2, 0.9]))
    assert len(ids) == 2
    assert dl.open(tmp_path / "s").table("svc").count().execute() == 2


def test_instrument_logs_outputs_latency_and_errors(tmp_path):
    from sklearn.linear_model import LogisticRegression

    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    clf = LogisticRegression().fit(X, [0, 0, 1, 1])
    logger = dl.Logger(tmp_path / "s", model="clf")
    model = dl.instrument(clf, logger)
    proba = model.predict_proba(X, trace_id="a" * 32)
    np.testing.assert_allclose(proba, clf.predict_proba(X))
    assert model.classes_.tolist() == [0, 1]  # other attributes pass through
    with pytest.raises(ValueError):
        model.predict_proba(pd.DataFrame({"a": [1.0]}))  # b is missing
    logger.close()
    t = dl.open(tmp_path / "s").table("clf").execute()
    ok = t[t.error.isna()]
    np.testing.assert_allclose(sorted(ok.score), sorted(proba[:, 1]))
    assert (ok.latency_ms > 0).all() and (ok.trace_id == "a" * 32).all()
    failed = t[t.error.notna()]
    assert len(failed) == 1 and failed.error.iloc[0].startswith("ValueError")
    assert failed.prediction.isna().all()
