"""Logger(prometheus=...): counters and a latency histogram, scraped over HTTP on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
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


def test_counters_move_at_log_time_once_per_call(tmp_path, endpoint):
    registry, port = endpoint
    rng = np.random.default_rng(0)
    latency = rng.lognormal(3, 1, 300)  # ms
    lg = dl.Logger(
        tmp_path / "s", model="credit", model_version="v2", prometheus=registry, flush_seconds=60
    )
    for i in range(250):
        lg.log({"x": float(i)}, 0.5, latency_ms=float(latency[i]))
    for i in range(250, 300):
        lg.log({"x": float(i)}, None, latency_ms=float(latency[i]), error="Timeout")
    lg.log(pd.DataFrame({"x": np.arange(100.0)}), np.full(100, 0.2), latency_ms=12.0)
    labels = (("model", "credit"), ("model_version", "v2"))
    got = scrape(port)  # nothing written yet: the call counters already follow the traffic
    assert lg.stats().written == 0
    assert got[("diaglab_calls_total", labels)] == 301
    assert got[("diaglab_predictions_total", labels)] == 400
    assert got[("diaglab_prediction_errors_total", labels)] == 50
    # one latency observation per call, the 100-row call counted once
    assert got[("diaglab_prediction_latency_seconds_count", labels)] == 301
    expected = np.append(latency, 12.0) / 1000
    assert got[("diaglab_prediction_latency_seconds_sum", labels)] == pytest.approx(expected.sum())
    le = tuple(sorted((*labels, ("le", "0.05"))))
    assert got[("diaglab_prediction_latency_seconds_bucket", le)] == (expected <= 0.05).sum()
    assert got[("diaglab_written_rows_total", labels)] == 0

    lg.log({"x": "not a number"}, 0.5, latency_ms=1.0)  # rejected when written
    lg.close()
    got = scrape(port)
    assert got[("diaglab_written_rows_total", labels)] == 400
    assert got[("diaglab_rejected_rows_total", labels)] == 1
    assert got[("diaglab_pending_rows", labels)] == 0
    store = dl.open(tmp_path / "s")
    try:
        assert store.table("credit").count().execute() == 400
    finally:
        store.close()
    for name, sample_labels in got:  # model and version only: no per-request labels
        if name.startswith("diaglab_"):
            assert {k for k, _ in sample_labels} <= {"model", "model_version", "le"}


WORKER = """
import sys
import diaglab as dl
with dl.Logger(sys.argv[1], model="m", prometheus=True, flush_seconds=60) as lg:
    for i in range(int(sys.argv[2])):
        lg.log({"x": float(i)}, 0.5, latency_ms=3.0)
"""


def test_multiprocess_mode_aggregates_every_worker(tmp_path, monkeypatch):
    from diaglab.producers.prometheus import exposition_registry

    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path / "s"), str(n)], env=env)
        for n in (30, 70)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    registry = exposition_registry()  # what the app serves on /metrics: every worker's sum
    labels = {"model": "m", "model_version": "v1"}
    assert registry.get_sample_value("diaglab_predictions_total", labels) == 100
    assert registry.get_sample_value("diaglab_calls_total", labels) == 100
    assert registry.get_sample_value("diaglab_written_rows_total", labels) == 100
    assert registry.get_sample_value("diaglab_prediction_latency_seconds_count", labels) == 100


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


def test_resource_counters_and_the_process_collector(tmp_path, endpoint):
    registry, port = endpoint

    class Spin:
        def predict(self, X):
            end = __import__("time").thread_time() + 0.01
            while __import__("time").thread_time() < end:
                pass
            return np.full(len(X), 0.5)

    logger = dl.Logger(tmp_path / "s", model="m", prometheus=registry, flush_seconds=60)
    model = dl.instrument(Spin(), logger)
    for _ in range(3):
        model.predict(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}))
    got = scrape(port)
    labels = (("model", "m"), ("model_version", "v1"))
    assert got[("diaglab_model_cpu_seconds_total", labels)] == pytest.approx(0.03, rel=0.3)
    assert got[("diaglab_input_values_total", labels)] == 12
    assert got[("diaglab_process_peak_resident_memory_bytes", labels)] > 2**20
    assert ("diaglab_gpu_memory_used_bytes", labels) not in got  # no NVML here: no zero
    assert got[("process_cpu_seconds_total", ())] > 0  # the process collector, as expected
    logger.close()
