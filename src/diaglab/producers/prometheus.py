"""Prometheus metrics of a :class:`~diaglab.Logger`, updated at log time.

``dl.Logger(..., prometheus=True)`` registers, in ``prometheus_client``'s default registry (or in
the ``CollectorRegistry`` passed as ``prometheus=``), these metrics labelled by ``model`` and
``model_version`` only — never by request, feature or id, whose cardinality would swamp
Prometheus:

- ``diaglab_calls_total`` (counter): ``log`` calls (one per instrumented model call);
- ``diaglab_predictions_total`` (counter): rows logged (a 100-row call counts 100);
- ``diaglab_prediction_errors_total`` (counter): of those, rows of failed calls;
- ``diaglab_prediction_latency_seconds`` (histogram): the latency of each call, observed once per
  call (a batch's per-row latencies count as their maximum);
- ``diaglab_written_rows_total``, ``diaglab_rejected_rows_total``, ``diaglab_dropped_rows_total``
  (counters): rows made durable, quarantined in ``rejected/``, dropped by
  ``when_full="drop_oldest"``;
- ``diaglab_write_errors_total`` (counter): writes that failed for a reason outside the rows (disk
  full, I/O error) and were retried;
- ``diaglab_pending_rows`` (gauge): rows buffered, not yet durable (updated at each write);
- ``diaglab_model_cpu_seconds_total`` and ``diaglab_input_values_total`` (counters): CPU time of
  instrumented model calls (the calling thread's) and their input size (rows x columns), so
  ``rate(cpu) / rate(predictions)`` is the CPU per prediction;
- ``diaglab_process_peak_resident_memory_bytes`` and ``diaglab_gpu_memory_used_bytes`` (gauges,
  the latest call's; GPU only with NVML); a registry passed as ``prometheus=`` also gets
  prometheus_client's process collector (``process_cpu_seconds_total``,
  ``process_resident_memory_bytes`` ...), which the default registry has already.

The call counters move when the call is logged, so ``rate()`` follows the traffic.

**Several worker processes** (uvicorn ``--workers``, gunicorn): never start an HTTP server per
worker (the second one fails with "Address already in use"). Use prometheus_client's
multiprocess mode: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory before the server starts
(every metric above supports it; the gauge sums the live processes), and serve the aggregate from
the application, e.g. ``app.mount("/metrics", make_asgi_app(registry=exposition_registry()))``;
with gunicorn, also call ``prometheus_client.multiprocess.mark_process_dead(worker.pid)`` in its
``child_exit`` hook. See ``docs/services.md``.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import weakref
from typing import Any

import numpy as np

from diaglab.errors import InputError

LABELS = ("model", "model_version")
# Seconds: model calls take milliseconds to a few seconds.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
COUNTERS = {
    "calls": ("diaglab_calls", "Calls logged by diaglab Loggers"),
    "predictions": ("diaglab_predictions", "Prediction rows logged by diaglab Loggers"),
    "errors": ("diaglab_prediction_errors", "Rows logged as failed calls (with an error)"),
    "written": ("diaglab_written_rows", "Rows written to the store (durable)"),
    "rejected": ("diaglab_rejected_rows", "Rows quarantined in rejected/"),
    "dropped": ("diaglab_dropped_rows", "Rows dropped by when_full='drop_oldest'"),
    "write_errors": ("diaglab_write_errors", "Failed writes (disk full, I/O), retried"),
}
RESOURCE_COUNTERS = {
    "cpu": ("diaglab_model_cpu_seconds", "CPU time of instrumented model calls (calling thread)"),
    "input_values": ("diaglab_input_values", "Input values (rows x columns) of logged calls"),
}
PEAK_RSS = "diaglab_process_peak_resident_memory_bytes"
GPU_MEMORY = "diaglab_gpu_memory_used_bytes"
LATENCY = "diaglab_prediction_latency_seconds"
PENDING = "diaglab_pending_rows"

_LOCK = threading.Lock()
# One set of metric objects per registry: a second Logger must not register the names again.
_BY_REGISTRY: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def _registry(prometheus: Any) -> Any:
    try:
        import prometheus_client
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "Logger(prometheus=...) needs prometheus_client: pip install 'diaglab[prometheus]'"
        ) from exc
    if prometheus is True:
        return prometheus_client.REGISTRY
    if isinstance(prometheus, prometheus_client.CollectorRegistry):
        return prometheus
    raise InputError(
        "prometheus= takes True (the default registry) or a prometheus_client.CollectorRegistry, "
        f"not {prometheus!r}"
    )


def exposition_registry() -> Any:
    """The registry to serve on ``/metrics``: every worker's metrics aggregated in
    multiprocess mode (``PROMETHEUS_MULTIPROC_DIR`` set), else the default registry.

    Examples
    --------
    >>> from prometheus_client import make_asgi_app                           # doctest: +SKIP
    >>> app.mount("/metrics", make_asgi_app(registry=exposition_registry()))  # doctest: +SKIP
    """
    import prometheus_client
    from prometheus_client import multiprocess

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return prometheus_client.REGISTRY
    registry = prometheus_client.CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def _metrics(registry: Any) -> dict[str, Any]:
    from prometheus_client import Counter, Gauge, Histogram

    with _LOCK:
        metrics = _BY_REGISTRY.get(registry)
        if metrics is None:
            metrics = {
                key: Counter(name, doc, LABELS, registry=registry)
                for key, (name, doc) in COUNTERS.items()
            }
            metrics["latency"] = Histogram(
                LATENCY,
                "Latency of logged calls, one observation per call",
                LABELS,
                buckets=BUCKETS,
                registry=registry,
            )
            for key, (name, doc) in RESOURCE_COUNTERS.items():
                metrics[key] = Counter(name, doc, LABELS, registry=registry)
            for key, name, doc in (
                ("peak_rss", PEAK_RSS, "Peak resident memory of the logging process"),
                ("gpu_memory", GPU_MEMORY, "GPU memory in use (NVML, device 0) at the last call"),
            ):
                metrics[key] = Gauge(
                    name, doc, LABELS, registry=registry, multiprocess_mode="livemax"
                )
            _process_collector(registry)
            metrics["pending"] = Gauge(
                PENDING,
                "Rows buffered by diaglab Loggers, not yet durable",
                LABELS,
                registry=registry,
                multiprocess_mode="livesum",
            )
            _BY_REGISTRY[registry] = metrics
    return metrics


class PrometheusMetrics:
    """The metrics of one model version in one registry."""

    def __init__(self, prometheus: Any, model: str, model_version: str) -> None:
        self.registry = _registry(prometheus)
        metrics = _metrics(self.registry)
        # the GPU gauge appears only once NVML gave a value (a 0 would read as "no memory used")
        self._gpu = (metrics["gpu_memory"], (model, model_version))
        self._m = {
            key: m.labels(model, model_version) for key, m in metrics.items() if key != "gpu_memory"
        }

    def observe_call(self, rows: int, latency_ms: Any, failed: int, usage: Any = None) -> None:
        """Count one logged call of ``rows`` rows, ``failed`` of them errors, and what it cost
        (a :class:`~diaglab.producers.resources.Usage`)."""
        m = self._m
        m["calls"].inc()
        if usage is not None:
            if usage.cpu_ms is not None:
                m["cpu"].inc(usage.cpu_ms / 1_000.0)
            m["input_values"].inc(usage.input_values)
            m["peak_rss"].set(usage.rss_peak_mb * 2**20)
            if usage.gpu_memory_mb is not None:
                gauge, labels = self._gpu
                gauge.labels(*labels).set(usage.gpu_memory_mb * 2**20)
        m["predictions"].inc(rows)
        if failed:
            m["errors"].inc(failed)
        seconds = _call_seconds(latency_ms)
        if seconds is not None:
            m["latency"].observe(seconds)

    def wrote(self, written: int, rejected: int, pending: int) -> None:
        if written:
            self._m["written"].inc(written)
        if rejected:
            self._m["rejected"].inc(rejected)
        self._m["pending"].set(pending)

    def dropped(self, rows: int) -> None:
        self._m["dropped"].inc(rows)

    def write_error(self, pending: int) -> None:
        self._m["write_errors"].inc()
        self._m["pending"].set(pending)


def _process_collector(registry: Any) -> None:
    """The process collector (``process_cpu_seconds_total``, ``process_resident_memory_bytes``
    ...) in ``registry``, as the ecosystem expects; the default registry has it already, and in
    multiprocess mode prometheus_client cannot collect other processes' figures."""
    import prometheus_client

    if registry is prometheus_client.REGISTRY or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    with contextlib.suppress(ValueError):  # already registered there by the application
        prometheus_client.ProcessCollector(registry=registry)


def _call_seconds(latency_ms: Any) -> float | None:
    """A call's latency in seconds: the number given, or the largest of per-row values."""
    if latency_ms is None:
        return None
    if isinstance(latency_ms, int | float):
        value = float(latency_ms)
    else:
        try:
            arr = np.asarray([v for v in latency_ms if v is not None], dtype=float)
        except (TypeError, ValueError):
            return None
        arr = arr[np.isfinite(arr)]
        if not arr.size:
            return None
        value = float(arr.max())
    return value / 1_000.0 if math.isfinite(value) else None
