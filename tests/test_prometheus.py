"""Logger(prometheus=...): counters and a latency histogram, scraped over HTTP on loopback."""

from __future__ import annotations

import socket
import urllib.request

import numpy as np
import pandas as pd
import prometheus_client
import pytest
from prometheus_client.parser import text_string_to_metric_families

import diaglab as dl
from diaglab.errors import InputError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


@pytest.fixture
def endpoint():
    registry = prometheus_client.CollectorRegistry()
    port = free_port()
    server, thread = prometheus_client.start_http_server(port, addr="127.0.0.1", registry=registry)
    yield registry, port
    server.shutdown()
    thread.join(timeout=10)


def test_scraped_counters_and_histogram_match_the_store(tmp_path, endpoint):
    registry, port = endpoint
    rng = np.random.default_rng(0)
    latency = rng.lognormal(3, 1, 300)  # ms, some above 10 s buckets' reach are fine
    with dl.Logger(tmp_path / "s", model="credit", model_version="v2", prometheus=registry) as lg:
        for i in range(250):
            lg.log({"x": float(i)}, 0.5, latency_ms=float(latency[i]))
        for i in range(250, 300):
            lg.log({"x": float(i)}, None, latency_ms=float(latency[i]), error="Timeout")
        lg.log({"x": "not a number"}, 0.5, latency_ms=1.0)  # rejected: never counted
    with dl.Logger(tmp_path / "s", model="credit", model_version="v1", prometheus=registry) as lg:
        lg.log(pd.DataFrame({"x": [1.0, 2.0]}), [0.1, 0.2], latency_ms=[5.0, 7.0])

    store = dl.open(tmp_path / "s")
    try:
        df = store.table("credit").to_pandas()
    finally:
        store.close()
    got = scrape(port)
    for version, rows in df.groupby("model_version"):
        labels = (("model", "credit"), ("model_version", version))
        assert got[("diaglab_predictions_total", labels)] == len(rows)
        assert got[("diaglab_prediction_errors_total", labels)] == rows["error"].notna().sum()
        lat = rows["latency_ms"].dropna() / 1000
        assert got[("diaglab_prediction_latency_seconds_count", labels)] == len(lat)
        assert got[("diaglab_prediction_latency_seconds_sum", labels)] == pytest.approx(lat.sum())
        le = dict((*labels, ("le", "0.05")))
        key = ("diaglab_prediction_latency_seconds_bucket", tuple(sorted(le.items())))
        assert got[key] == (lat <= 0.05).sum()
    assert len(df) == 302  # the rejected row is not in the store either
    # model and version only: no per-request labels
    names = {name for name, labels in got if name.startswith("diaglab_")}
    for name, labels in got:
        if name.startswith("diaglab_"):
            assert {k for k, _ in labels} <= {"model", "model_version", "le"}
    assert names


def test_default_registry_and_two_loggers_share_the_metrics(tmp_path):
    a = dl.Logger(tmp_path / "s", model="a", prometheus=True)
    b = dl.Logger(tmp_path / "s", model="b", prometheus=True)  # no duplicate registration
    a.log({"x": 1.0}, 0.3, latency_ms=2.0)
    b.log({"x": 1.0}, 0.3)
    a.close()
    b.close()
    value = prometheus_client.REGISTRY.get_sample_value(
        "diaglab_predictions_total", {"model": "b", "model_version": "v1"}
    )
    assert value is not None and value >= 1


def test_prometheus_argument_is_checked(tmp_path):
    with pytest.raises(InputError, match="CollectorRegistry"):
        dl.Logger(tmp_path / "s", model="m", prometheus="yes")
