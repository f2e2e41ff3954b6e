"""Prometheus metrics of a :class:`~diaglab.Logger`: predictions, errors and latency.

``dl.Logger(..., prometheus=True)`` registers, in ``prometheus_client``'s default registry (or in
the ``CollectorRegistry`` passed as ``prometheus=``), three metrics labelled by ``model`` and
``model_version`` only — never by request, feature or id, whose cardinality would swamp
Prometheus:

- ``diaglab_predictions_total`` (counter): predictions written to the store;
- ``diaglab_prediction_errors_total`` (counter): of those, failed calls (rows with an error);
- ``diaglab_prediction_latency_seconds`` (histogram): their latency, where logged.

They count rows when their segment is written, so they agree with what the store holds (rows the
Logger rejects are not counted). Expose them as usual, e.g.
``prometheus_client.start_http_server(9100)``.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np
import pyarrow as pa

from diaglab.errors import InputError

PREDICTIONS = "diaglab_predictions"
ERRORS = "diaglab_prediction_errors"
LATENCY = "diaglab_prediction_latency_seconds"
LABELS = ("model", "model_version")
# Seconds: model calls take milliseconds to a few seconds.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_LOCK = threading.Lock()
# One set of metric objects per registry: a second Logger must not register the names again.
_BY_REGISTRY: weakref.WeakKeyDictionary[Any, tuple[Any, Any, Any]] = weakref.WeakKeyDictionary()


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


class PrometheusMetrics:
    """The three metrics of one model version in one registry."""

    def __init__(self, prometheus: Any, model: str, model_version: str) -> None:
        from prometheus_client import Counter, Histogram

        registry = _registry(prometheus)
        with _LOCK:
            metrics = _BY_REGISTRY.get(registry)
            if metrics is None:
                metrics = (
                    Counter(
                        PREDICTIONS,
                        "Predictions logged by diaglab Loggers",
                        LABELS,
                        registry=registry,
                    ),
                    Counter(
                        ERRORS,
                        "Predictions logged as failed calls (with an error)",
                        LABELS,
                        registry=registry,
                    ),
                    Histogram(
                        LATENCY,
                        "Latency of logged predictions",
                        LABELS,
                        buckets=BUCKETS,
                        registry=registry,
                    ),
                )
                _BY_REGISTRY[registry] = metrics
        self.registry = registry
        self.predictions = metrics[0].labels(model, model_version)
        self.errors = metrics[1].labels(model, model_version)
        self.latency = metrics[2].labels(model, model_version)

    def observe(self, table: pa.Table) -> None:
        """Count a written prediction segment."""
        n = table.num_rows
        if not n:
            return
        self.predictions.inc(n)
        failed = table.column("error").is_valid()
        errors = int(np.asarray(failed.to_numpy(zero_copy_only=False)).sum())
        if errors:
            self.errors.inc(errors)
        latency = table.column("latency_ms").to_numpy(zero_copy_only=False)
        seconds = np.asarray(latency, dtype=np.float64) / 1_000.0
        for value in seconds[np.isfinite(seconds)].tolist():
            self.latency.observe(value)
