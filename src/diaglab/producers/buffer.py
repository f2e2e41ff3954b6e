"""The Logger's columnar buffer: rows and DataFrame batches appended as columns, in chunks.

A :class:`Chunk` holds up to ``flush_rows`` rows as one Python list per column (features and the
role columns). ``Logger.log`` appends to the newest chunk under the Logger's lock; the writer
seals a chunk when it is full or old enough, turns it into one batch (:meth:`Chunk.batch`) and
writes it as one segment. A sealed chunk is never changed again, so the writer reads it without
the lock, and it stays in the buffer (counted as pending) until its segment is durable.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diaglab.store._ids import new_segment_id


class Chunk:
    """Up to ``flush_rows`` buffered rows, one list per column.

    A feature first seen at row ``k`` starts with ``k`` missing values; a feature a row lacks is
    padded when the next value arrives or when the batch is built, so each append costs one list
    append per column the row has.
    """

    __slots__ = (
        "done",
        "errors",
        "features",
        "ids",
        "key",
        "latency",
        "n",
        "outcome",
        "predictions",
        "started",
        "timestamps",
        "traces",
    )

    def __init__(self) -> None:
        self.key = new_segment_id()  # names this chunk's rejects file, so a retry rewrites it
        self.features: dict[str, list[Any]] = {}
        self.predictions: list[Any] = []
        self.ids: list[str] = []
        self.timestamps: list[Any] = []
        self.latency: list[Any] = []
        self.traces: list[Any] = []
        self.errors: list[Any] = []
        self.n = 0
        self.started = time.monotonic()
        # set by the writer: what a first attempt decided, so a retry writes the same thing
        self.outcome: Any = None
        self.done: set[str] = set()

    def add_row(
        self,
        features: Mapping[str, Any],
        prediction: Any,
        prediction_id: str,
        timestamp: Any,
        latency_ms: Any,
        trace_id: Any,
        error: Any,
    ) -> None:
        column = self._column
        for name, value in features.items():
            column(name).append(value)
        self.predictions.append(prediction)
        self.ids.append(prediction_id)
        self.timestamps.append(timestamp)
        self.latency.append(latency_ms)
        self.traces.append(trace_id)
        self.errors.append(error)
        self.n += 1

    def add_columns(
        self,
        columns: Mapping[str, list[Any]],
        rows: int,
        predictions: list[Any],
        ids: list[str],
        timestamps: list[Any],
        latency_ms: list[Any],
        trace_ids: list[Any],
        errors: list[Any],
    ) -> None:
        column = self._column
        for name, values in columns.items():
            column(name).extend(values)
        self.predictions.extend(predictions)
        self.ids.extend(ids)
        self.timestamps.extend(timestamps)
        self.latency.extend(latency_ms)
        self.traces.extend(trace_ids)
        self.errors.extend(errors)
        self.n += rows

    def _column(self, name: str) -> list[Any]:
        """A feature's values so far, padded with missing values to the chunk's rows."""
        col = self.features.get(name)
        if col is None:
            col = self.features[name] = [None] * self.n
        elif len(col) < self.n:
            col.extend([None] * (self.n - len(col)))
        return col

    def batch(self, rows: Sequence[int] | None = None) -> dict[str, Any]:
        """The chunk (or the given rows of it) as the arguments of one ``prepare_predictions``."""
        n = self.n
        for col in self.features.values():
            if len(col) < n:
                col.extend([None] * (n - len(col)))

        def pick(values: list[Any]) -> list[Any]:
            return values if rows is None else [values[i] for i in rows]

        return {
            "features": pd.DataFrame({k: pick(v) for k, v in self.features.items()}),
            "predictions": stack(pick(self.predictions)),
            "prediction_ids": pick(self.ids),
            "timestamps": utc_timestamps(pick(self.timestamps)),
            "latency_ms": np.array(
                [np.nan if v is None else v for v in pick(self.latency)], dtype=float
            ),
            "trace_ids": pick(self.traces),
            "errors": pick(self.errors),
        }


def frame_columns(df: pd.DataFrame) -> dict[str, list[Any]]:
    """A DataFrame's columns as Python lists, in one conversion for the whole frame."""
    names = df.columns.to_numpy().tolist()
    if not all(type(c) is str for c in names):
        names = [str(c) for c in names]
    if len(set(names)) != len(names) or not names:
        return {name: df.iloc[:, i].tolist() for i, name in enumerate(names)}
    return dict(zip(names, df.to_numpy(dtype=object).T.tolist(), strict=True))


def per_row(value: Any, n: int) -> list[Any]:
    """One value per row: a scalar (or None) is repeated, a sequence is taken as it is."""
    if value is None or isinstance(value, str | bytes | int | float | pd.Timestamp):
        return [value] * n
    if isinstance(value, np.ndarray | pd.Series | pd.Index):
        return list(np.asarray(value, dtype=object)) if np.ndim(value) else [value.item()] * n
    if isinstance(value, Sequence):
        return list(value)
    return [value] * n


def prediction_rows(predictions: Any, n: int) -> list[Any]:
    """A batch's predictions as one entry per row (a 1-D array per row for probabilities)."""
    if predictions is None:
        return [None] * n
    arr = np.asarray(predictions, dtype=object if not _numeric(predictions) else None)
    if arr.ndim == 2:
        return list(np.asarray(arr, dtype=float))
    if arr.ndim == 0:
        return [arr.item()] * n
    return arr.tolist()


def _numeric(values: Any) -> bool:
    return isinstance(values, np.ndarray) and values.dtype.kind in "biuf"


def stack(predictions: list[Any]) -> Any:
    """One prediction per row as an array: 2-D when rows are probability vectors."""
    first = next((p for p in predictions if p is not None), None)
    if first is not None and np.ndim(first) == 1:
        width = len(first)
        return np.array([p if p is not None else [np.nan] * width for p in predictions], float)
    return np.array(predictions, dtype=object)


def utc_timestamps(values: list[Any]) -> Any:
    """Timestamps for ``prepare_predictions``: Unix nanoseconds (the Logger's own) as UTC."""
    if all(type(v) is int for v in values):
        return pd.to_datetime(np.array(values, dtype=np.int64), utc=True)
    return [pd.Timestamp(v, tz="UTC") if type(v) is int else v for v in values]
