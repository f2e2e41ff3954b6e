"""``Logger``: thread-safe, buffered logging of single predictions from a live service."""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from diaglab.errors import InputError
from diaglab.store._ids import MAX_ROWS_PER_SEGMENT, new_segment_id
from diaglab.store.producer import prepare_predictions
from diaglab.store.schema import SchemaRegistry
from diaglab.store.segments import check_model_name, write_segment
from diaglab.store.sensitive import keyed_hash, store_key

log = logging.getLogger("diaglab")

_LIVE: weakref.WeakSet[Logger] = weakref.WeakSet()


@atexit.register
def _flush_all_at_exit() -> None:
    for logger in list(_LIVE):
        logger.close()


@dataclass
class _Row:
    features: Mapping[str, Any]
    prediction: Any
    prediction_id: str
    timestamp: Any
    latency_ms: float | None
    trace_id: str | None
    error: str | None


class Logger:
    """Log predictions one at a time from a service; rows reach the store in segments.

    ``log`` only appends to an in-memory buffer (microseconds, safe from many threads). A
    background thread writes a segment when ``flush_rows`` rows are waiting or every
    ``flush_seconds``; ``flush()``, ``close()``, leaving a ``with`` block and interpreter exit
    flush too. Many processes may log into one store at once: each writes its own segments.

    Rows that fail validation (e.g. text in a numeric feature) are never silently dropped: they
    are written to ``rejected/<model>/<segment>.jsonl`` with the reason, and counted in
    ``rejected``.

    Parameters
    ----------
    path : str or Path
        The store directory.
    model, model_version : str
    flush_rows : int, default 10_000
    flush_seconds : float, default 5.0
    categorical : sequence of str, optional
        Features to store as categories even when their values are numbers.
    prometheus : bool or prometheus_client.CollectorRegistry, optional
        Also count predictions, errors and latency as Prometheus metrics labelled by model and
        version (``True``: the default registry); see :mod:`diaglab.producers.prometheus`.
    sensitive : sequence of str, optional
        Features stored as keyed hashes, never in clear (see ``Store.log``).

    Examples
    --------
    >>> with dl.Logger("store", model="credit", model_version="v1") as logger:  # doctest: +SKIP
    ...     logger.log({"age": 41, "region": "north"}, 0.12, latency_ms=3.1)
    """

    def __init__(
        self,
        path: str | Path,
        model: str,
        model_version: str = "v1",
        *,
        flush_rows: int = 10_000,
        flush_seconds: float = 5.0,
        categorical: Sequence[str] | None = None,
        prometheus: Any = None,
        sensitive: Sequence[str] | None = None,
    ) -> None:
        if flush_rows < 1 or flush_seconds <= 0:
            raise InputError("flush_rows must be >= 1 and flush_seconds > 0")
        self.path = Path(path).expanduser().resolve()
        self.model = check_model_name(model)
        self.model_version = model_version
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self.categorical = list(categorical or ())
        self._prometheus = _prometheus_metrics(prometheus, self.model, model_version)
        self.sensitive = [sensitive] if isinstance(sensitive, str) else list(sensitive or ())
        self._registry = SchemaRegistry(self.path)
        self._rows: list[_Row] = []
        self._frames: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._write_lock = threading.Lock()
        self._prefix = new_segment_id()
        self._counter = 0
        self._closed = False
        self.written = 0
        self.rejected = 0
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="diaglab-logger", daemon=True)
        self._thread.start()
        _LIVE.add(self)

    # -- the hot path -----------------------------------------------------------------------

    def log(
        self,
        features: Mapping[str, Any] | pd.DataFrame,
        prediction: Any,
        prediction_id: Any = None,
        timestamp: Any = None,
        latency_ms: Any = None,
        trace_id: Any = None,
        *,
        error: str | None = None,
    ) -> Any:
        """Buffer one prediction (``features`` a dict) or a batch (a DataFrame).

        Returns the prediction id (a list of ids for a batch). Validation happens at flush.
        """
        if isinstance(features, pd.DataFrame):
            return self._log_frame(
                features, prediction, prediction_id, timestamp, latency_ms, trace_id, error
            )
        with self._lock:
            if self._closed:
                raise InputError(f"this Logger for {self.model!r} is closed")
            if prediction_id is None:
                prediction_id = self._next_id()
            self._rows.append(
                _Row(
                    features,
                    prediction,
                    str(prediction_id),
                    timestamp if timestamp is not None else time.time_ns(),
                    latency_ms,
                    trace_id,
                    error,
                )
            )
            if len(self._rows) >= self.flush_rows:
                self._wake.notify()
        return prediction_id

    def _next_id(self) -> str:
        if self._counter >= MAX_ROWS_PER_SEGMENT:
            self._prefix, self._counter = new_segment_id(), 0
        self._counter += 1
        return f"{self._prefix}{self._counter - 1:08x}"

    def _log_frame(
        self,
        df: pd.DataFrame,
        predictions: Any,
        ids: Any,
        timestamps: Any,
        latency_ms: Any,
        trace_ids: Any,
        error: Any,
    ) -> list[str]:
        n = len(df)
        with self._lock:
            if self._closed:
                raise InputError(f"this Logger for {self.model!r} is closed")
            ids = [self._next_id() for _ in range(n)] if ids is None else [str(i) for i in ids]
            self._frames.append(
                {
                    "features": df,
                    "predictions": predictions,
                    "prediction_ids": ids,
                    "timestamps": timestamps,
                    "latency_ms": latency_ms,
                    "trace_ids": trace_ids,
                    "errors": [error] * n if isinstance(error, str) or error is None else error,
                }
            )
            self._wake.notify()
        return ids

    # -- flushing -----------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._closed and len(self._rows) < self.flush_rows and not self._frames:
                    self._wake.wait(self.flush_seconds)
                closed = self._closed
            self.flush()
            if closed:
                return

    def flush(self) -> int:
        """Write everything buffered now; returns the number of rows written."""
        with self._write_lock:
            with self._lock:
                rows, self._rows = self._rows, []
                frames, self._frames = self._frames, []
            written = 0
            if rows:
                written += self._write(self._rows_to_batch(rows))
            for frame in frames:
                written += self._write(frame)
            return written

    def _rows_to_batch(self, rows: list[_Row]) -> dict[str, Any]:
        stamps = [
            pd.Timestamp(r.timestamp, tz="UTC") if isinstance(r.timestamp, int) else r.timestamp
            for r in rows
        ]
        return {
            "features": pd.DataFrame.from_records([dict(r.features) for r in rows]),
            "predictions": _stack([r.prediction for r in rows]),
            "prediction_ids": [r.prediction_id for r in rows],
            "timestamps": stamps,
            "latency_ms": [np.nan if r.latency_ms is None else r.latency_ms for r in rows],
            "trace_ids": [r.trace_id for r in rows],
            "errors": [r.error for r in rows],
        }

    def _write(self, batch: dict[str, Any]) -> int:
        try:
            return self._write_checked(batch)
        except InputError as exc:
            n = len(batch["prediction_ids"])
            if n == 1:
                self._reject(batch, str(exc))
                return 0
            # Bisect so a few bad rows cost a few extra segments, not one per row.
            half = n // 2
            return self._write(_take(batch, list(range(half)))) + self._write(
                _take(batch, list(range(half, n)))
            )

    def _write_checked(self, batch: dict[str, Any]) -> int:
        prepared = prepare_predictions(
            self._registry,
            self.model,
            batch["features"],
            batch["predictions"],
            prediction_ids=batch["prediction_ids"],
            timestamps=batch["timestamps"],
            model_version=self.model_version,
            latency_ms=batch["latency_ms"],
            trace_ids=batch["trace_ids"],
            errors=batch["errors"],
            categorical=[c for c in self.categorical if c in batch["features"].columns],
            unique_ids=False,
            sensitive=[c for c in self.sensitive if c in batch["features"].columns],
        )
        if prepared is None:
            return 0
        write_segment(
            self.path, "predictions", self.model, prepared.table, segment_id=prepared.segment_id
        )
        self.written += prepared.table.num_rows
        if self._prometheus is not None:
            self._prometheus.observe(prepared.table)
        return int(prepared.table.num_rows)

    def _hidden(self, features: pd.DataFrame) -> pd.DataFrame:
        """``features`` with the sensitive columns as keyed hashes: rejects stay hashed too."""
        schema = self._registry.get(self.model)
        names = dict.fromkeys((*self.sensitive, *(schema.sensitive if schema else ())))
        hidden = [c for c in names if c in features.columns]
        if not hidden:
            return features
        key = store_key(self.path)
        out = features.copy()
        for c in hidden:
            out[c] = [None if pd.isna(v) else keyed_hash(key, str(v)) for v in out[c]]
        return out

    def _reject(self, batch: dict[str, Any], reason: str) -> None:
        d = self.path / "rejected" / self.model
        d.mkdir(parents=True, exist_ok=True)
        record = {
            "reason": reason,
            "model_version": self.model_version,
            "features": self._hidden(batch["features"]).to_dict("records"),
            "prediction": np.asarray(batch["predictions"]).tolist(),
            "prediction_ids": batch["prediction_ids"],
        }
        with open(d / f"{new_segment_id()}.jsonl", "a") as fh:
            fh.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
        self.rejected += len(batch["prediction_ids"])
        log.warning("diaglab Logger(%s) rejected a row: %s", self.model, reason)

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Flush and stop the background writer. Further ``log`` calls raise."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._wake.notify()
        if os.getpid() == self._pid and self._thread.is_alive():
            self._thread.join()
        self.flush()
        _LIVE.discard(self)

    def __enter__(self) -> Logger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<diaglab.Logger {self.model!r} {self.model_version!r} into {str(self.path)!r}: "
            f"{self.written} written, {len(self._rows)} buffered, {self.rejected} rejected>"
        )


def _prometheus_metrics(prometheus: Any, model: str, version: str) -> Any:
    if prometheus is None or prometheus is False:
        return None
    from diaglab.producers.prometheus import PrometheusMetrics

    return PrometheusMetrics(prometheus, model, version)


def _stack(predictions: list[Any]) -> Any:
    """One prediction per row as an array: 2-D when rows are probability vectors."""
    first = next((p for p in predictions if p is not None), None)
    if first is not None and np.ndim(first) == 1:
        width = len(first)
        return np.array([p if p is not None else [np.nan] * width for p in predictions], float)
    return np.array(predictions, dtype=object)


def _take(batch: dict[str, Any], rows: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in batch.items():
        if key == "features":
            out[key] = value.iloc[rows].reset_index(drop=True)
        elif value is None or isinstance(value, str):
            out[key] = value
        elif isinstance(value, pd.Series | pd.DataFrame):
            out[key] = value.iloc[rows]
        else:
            out[key] = (
                np.asarray(value, dtype=object)[rows]
                if np.ndim(value) == 1
                else np.asarray(value)[rows]
            )
    return out
