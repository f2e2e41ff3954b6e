"""What each call costs is stored beside its rows: CPU, wall time, memory, GPU, batch and input."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from diaglab.producers import resources


class Busy:
    """Burns a known amount of CPU per row and allocates ``mb`` MB once, on its first call."""

    def __init__(self, mb: int = 0) -> None:
        self.mb, self.kept = mb, []

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        if self.mb and not self.kept:
            self.kept.append(np.ones(self.mb * 2**20 // 8))  # touched: resident
        end = resources.time.thread_time() + 0.002 * len(X)
        while resources.time.thread_time() < end:
            pass
        p = np.full(len(X), 0.4)
        return np.column_stack([1 - p, p])


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(resources, "GPU", resources._Gpu())
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import fails: no NVML


def _log_two_calls(path: str) -> None:
    """One call of 10 rows, then one of 1 row, through dl.instrument; prints their ids."""
    resources.GPU = resources._Gpu()
    sys.modules["pynvml"] = None  # type: ignore[assignment]  # import fails: no NVML
    logger = dl.Logger(path, model="m", flush_rows=10**6, flush_seconds=60)
    model = dl.instrument(Busy(mb=128), logger)
    X = pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0), "c": np.arange(10.0)})
    model.predict_proba(X)
    ids_10 = model.last_prediction_ids
    model.predict_proba(X.iloc[:1])
    one = model.last_prediction_ids
    logger.close()
    print(json.dumps([list(ids_10), list(one)]), flush=True)


def test_instrument_stores_each_calls_cost_with_its_rows(tmp_path):
    # Linux carries a parent's peak RSS into a child across exec (getrusage's ru_maxrss), so
    # the calls run in a fork of a freshly started interpreter: its peak is its own
    script = (
        f"import os, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        "from test_resources import _log_two_calls; pid = os.fork()\n"
        f"if pid == 0: _log_two_calls({str(tmp_path / 's')!r}); os._exit(0)\n"
        "sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    ids_10, one = json.loads(out.stdout.strip().splitlines()[-1])
    t = dl.open(tmp_path / "s").table("m").execute().set_index("prediction_id")
    big, single = t.loc[ids_10], t.loc[one[0]]
    assert (big["batch_rows"] == 10).all() and single["batch_rows"] == 1
    assert (big["input_values"] == 30).all() and single["input_values"] == 3
    # 2 ms of CPU per row (plus, in the first call, filling the 128 MB): each row carries its
    # share of the call's CPU, all rows of a call the same share
    assert big["cpu_ms"].nunique() == 1 and big["cpu_ms"].sum() >= 20 * 0.95
    assert single["cpu_ms"] == pytest.approx(2, rel=0.5)
    assert (big["wall_ms"] >= big["cpu_ms"].sum() * 0.95).all()
    assert (big["latency_ms"] == big["wall_ms"]).all()
    # the first call raised the process's peak memory by (most of) its 128 MB array; not the
    # second
    assert big["rss_peak_delta_mb"].iloc[0] >= 64 and single["rss_peak_delta_mb"] < 5
    assert single["rss_peak_mb"] >= big["rss_peak_mb"].iloc[0] > 128
    assert t["gpu_memory_mb"].isna().all() and t["gpu_utilization"].isna().all()


def test_a_plain_logger_records_memory_rows_and_input_size(tmp_path, no_gpu):
    with dl.Logger(tmp_path / "s", model="m", flush_seconds=60) as logger:
        logger.log({"x": 1.0, "y": "a"}, 0.5, prediction_id="one")
        logger.log(pd.DataFrame({"x": [1.0, 2.0]}), [0.1, 0.2], prediction_id=["p", "q"])
    t = dl.open(tmp_path / "s").table("m").execute().set_index("prediction_id")
    assert t.loc["one", "batch_rows"] == 1 and t.loc["one", "input_values"] == 2
    assert t.loc["p", "batch_rows"] == 2 and t.loc["p", "input_values"] == 2
    assert t["cpu_ms"].isna().all() and (t["rss_peak_mb"] > 0).all()


def test_store_log_rows_have_no_resource_figures(tmp_path):
    store = dl.open(tmp_path / "s")
    store.log("m", features=pd.DataFrame({"x": [1.0]}), predictions=[0.5])
    row = store.table("m").execute().iloc[0]
    assert all(pd.isna(row[c]) for c in resources.RESOURCE_COLUMNS)


def test_gpu_figures_come_from_nvml_when_present(tmp_path, monkeypatch):
    calls = []

    def memory(handle):
        calls.append("memory")
        return types.SimpleNamespace(used=3 * 2**30)

    fake = types.SimpleNamespace(
        nvmlInit=lambda: None,
        nvmlDeviceGetHandleByIndex=lambda i: "gpu0",
        nvmlDeviceGetMemoryInfo=memory,
        nvmlDeviceGetUtilizationRates=lambda h: types.SimpleNamespace(gpu=37),
    )
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    monkeypatch.setattr(resources, "GPU", resources._Gpu())
    with dl.Logger(tmp_path / "s", model="m", flush_seconds=60) as logger:
        model = dl.instrument(Busy(), logger)
        for _ in range(20):
            model.predict_proba(pd.DataFrame({"a": [1.0]}))
    t = dl.open(tmp_path / "s").table("m").execute()
    assert (t["gpu_memory_mb"] == 3072).all() and (t["gpu_utilization"] == 37).all()
    assert len(calls) == 1  # sampled once per GPU_SAMPLE_SECONDS, not once per call


def test_a_failing_nvml_is_no_error(tmp_path, monkeypatch):
    def broken():
        raise RuntimeError("NVML Shared Library Not Found")

    monkeypatch.setitem(sys.modules, "pynvml", types.SimpleNamespace(nvmlInit=broken))
    monkeypatch.setattr(resources, "GPU", resources._Gpu())
    with dl.Logger(tmp_path / "s", model="m", flush_seconds=60) as logger:
        dl.instrument(Busy(), logger).predict_proba(pd.DataFrame({"a": [1.0]}))
    t = dl.open(tmp_path / "s").table("m").execute()
    assert t["gpu_memory_mb"].isna().all() and t["cpu_ms"].notna().all()


@pytest.mark.filterwarnings("ignore::diaglab.errors.DiaglabWarning")  # one-window bands
def test_metrics_over_time_has_throughput_cpu_per_prediction_and_memory(tmp_path):
    """Planted: minute k has 30 + 30 * (k == 9) calls of 2 rows, each call 4 ms of CPU and a
    peak RSS of 100 + k MB; the last minute's CPU per call jumps to 40 ms."""
    start = pd.Timestamp("2026-05-01 10:00", tz="UTC")
    with dl.Logger(tmp_path / "s", model="m", flush_seconds=60) as logger:
        for k in range(12):
            calls = 60 if k == 9 else 30
            cpu = 40.0 if k == 11 else 4.0
            for c in range(calls):
                ts = start + pd.Timedelta(minutes=k, seconds=c)
                usage = resources.Usage(cpu, cpu + 1, 100.0 + k, 0.0, None, None, 2, 2)
                frame = pd.DataFrame({"x": [1.0, 2.0]})
                logger.log(frame, [0.2, 0.7], timestamp=ts, usage=usage)
    store = dl.open(tmp_path / "s")
    m = dl.metrics_over_time(
        store, "m", freq="1min", baseline=(start, start + pd.Timedelta(minutes=9))
    )
    assert {"throughput", "cpu_ms_per_prediction", "memory_mb"} <= set(m.metrics)
    t = m.table.set_index(["metric", "window_start"])
    at = lambda metric, k: t.loc[(metric, start + pd.Timedelta(minutes=k))]  # noqa: E731
    assert at("throughput", 0)["value"] == pytest.approx(60 / 60)
    assert at("throughput", 9)["value"] == pytest.approx(120 / 60)
    assert at("cpu_ms_per_prediction", 3)["value"] == pytest.approx(2.0)  # 4 ms per 2 rows
    assert at("cpu_ms_per_prediction", 11)["value"] == pytest.approx(20.0)
    assert at("memory_mb", 5)["value"] == pytest.approx(105.0)
    assert bool(at("cpu_ms_per_prediction", 11)["alert"])
    assert not bool(at("cpu_ms_per_prediction", 10)["alert"])
    assert bool(at("throughput", 9)["alert"])
    store.close()
    # a model logged without any probe has no resource metrics unless asked, then gaps
    plain = dl.open(tmp_path / "p")
    plain.log("q", features=pd.DataFrame({"x": [1.0]}), predictions=[0.5])
    assert "throughput" not in dl.metrics_over_time(plain, "q").metrics
    got = dl.metrics_over_time(plain, "q", metrics=["cpu_ms_per_prediction"]).table
    assert got["value"].isna().all() and "no resource figures" in got["reason"].iloc[0]
