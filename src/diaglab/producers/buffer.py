"""The Logger's columnar buffer: rows and DataFrame batches appended as columns, in chunks.

A :class:`Chunk` holds up to ``flush_rows`` rows: the features as one Python list per column,
the role columns (prediction, id, timestamp, latency, trace, error, resources) as a few values
per call (:mod:`diaglab.producers.calls`). ``Logger.log`` appends to the newest chunk under the
Logger's lock; the writer seals a chunk when it is full or old enough, turns it into one batch
(:meth:`Chunk.batch`) and writes it as one segment. A DataFrame of one numeric dtype (the usual
model input) is kept as a :class:`Block` (its column labels and a copy of its values): the
per-call cost is one array copy, and the writer copies the blocks once into the batch's Arrow
columns (or, mixed with other rows, into lists). A sealed chunk gets no more rows and only the
writer touches it, so the writer reads it without the lock; it stays in the buffer (counted as
pending) until its segment is durable.

Appending never imports pandas (a service that logs dicts or arrays starts in a third of the
time): a value is checked against a pandas class only once pandas is imported, and the writer
imports it when it builds a batch.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeGuard

import numpy as np
import pyarrow as pa

from diaglab.producers.calls import (
    numbers_column,
    pandas_class,
    predictions_column,
    select,
    texts_column,
    timestamps_column,
)
from diaglab.producers.ids import IdRange, id_array
from diaglab.producers.resources import RESOURCE_COLUMNS, Usage
from diaglab.store._ids import new_segment_id

if TYPE_CHECKING:
    import pandas as pd


class Block(NamedTuple):
    """A logged DataFrame (or 2-D array) of one numeric dtype: its column labels and a copy of
    its values."""

    # a pd.Index, immutable (a later ``df.columns = ...`` replaces it), or a tuple of names
    labels: pd.Index | tuple[str, ...]
    values: np.ndarray  # rows x columns


class Chunk:
    """Up to ``flush_rows`` buffered rows: features as blocks or one list per column, the role
    columns per call (:mod:`diaglab.producers.calls`).

    A feature first seen at row ``k`` starts with ``k`` missing values; a feature a row lacks is
    padded when the next value arrives or when the batch is built, so each append costs one list
    append per column the row has.
    """

    __slots__ = (
        "blocks",
        "done",
        "errors",
        "features",
        "ids",
        "key",
        "latency",
        "n",
        "outcome",
        "predictions",
        "rows",
        "started",
        "timestamps",
        "traces",
        "usage",
    )

    def __init__(self) -> None:
        self.key = new_segment_id()  # names this chunk's rejects file, so a retry rewrites it
        self.features: dict[str, list[Any]] = {}
        self.blocks: list[tuple[int, Block]] = []  # (first row, block), not yet in features
        # one entry per call (see diaglab.producers.calls), and the call's rows
        self.rows: list[int] = []
        self.predictions: list[Any] = []
        self.ids: list[IdRange | list[str]] = []
        self.timestamps: list[Any] = []
        self.latency: list[Any] = []
        self.traces: list[Any] = []
        self.errors: list[Any] = []
        self.usage: list[Usage | None] = []  # a batch's rows share their call's figures
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
        usage: Usage | None = None,
    ) -> None:
        if self.blocks:
            self._flatten()
        column = self._column
        for name, value in features.items():
            column(name).append(value)
        self.add_columns(
            {},  # the row's features are in already
            1,
            [prediction],
            [prediction_id],
            # a list value is the row's, not one per row
            [timestamp] if type(timestamp) is list else timestamp,
            [latency_ms] if type(latency_ms) is list else latency_ms,
            [trace_id] if type(trace_id) is list else trace_id,
            [error] if type(error) is list else error,
            usage,
        )

    def add_columns(
        self,
        columns: Mapping[str, list[Any]] | Block,
        rows: int,
        predictions: Any,
        ids: IdRange | list[str],
        timestamp: Any,
        latency_ms: Any,
        trace_id: Any,
        error: Any,
        usage: Usage | None = None,
    ) -> None:
        """Append a call of ``rows`` rows: ``predictions`` one per row (an array or a list),
        each other role value one for all the rows or a list of one per row."""
        if isinstance(columns, Block):
            self.blocks.append((self.n, columns))
        else:
            if self.blocks:
                self._flatten()
            column = self._column
            for name, values in columns.items():
                column(name).extend(values)
        self.rows.append(rows)
        self.predictions.append(predictions)
        self.ids.append(ids)
        self.timestamps.append(timestamp)
        self.latency.append(latency_ms)
        self.traces.append(trace_id)
        self.errors.append(error)
        self.usage.append(usage)
        self.n += rows

    def _column(self, name: str) -> list[Any]:
        """A feature's values so far, padded with missing values to the chunk's rows."""
        col = self.features.get(name)
        if col is None:
            col = self.features[name] = [None] * self.n
        elif len(col) < self.n:
            col.extend([None] * (self.n - len(col)))
        return col

    def _flatten(self) -> None:
        """Move the blocks into the per-column lists (rows of other shapes join them)."""
        blocks, self.blocks = self.blocks, []
        for start, block in blocks:
            for name, values in block_columns(block).items():
                col = self.features.get(name)
                if col is None:
                    col = self.features[name] = [None] * start
                elif len(col) < start:
                    col.extend([None] * (start - len(col)))
                col.extend(values)

    def _stacked(self) -> pa.Table | None:
        """The features as one Arrow table when every row came in blocks of the same columns
        and dtype, else None: the blocks are copied once, column by column, into arrays Arrow
        takes without another copy (no DataFrame in between)."""
        if self.features or not self.blocks:
            return None
        first = self.blocks[0][1]
        names = labels(first.labels)
        if len(set(names)) != len(names):
            return None
        for _, block in self.blocks:
            if block.values.dtype != first.values.dtype:
                return None
            if not same_labels(block.labels, first.labels, names):
                return None
        by_column = np.empty((len(names), self.n), dtype=first.values.dtype)
        np.concatenate([block.values.T for _, block in self.blocks], axis=1, out=by_column)
        return pa.table({name: _arrow(by_column[k]) for k, name in enumerate(names)})

    def batch(self, rows: Sequence[int] | None = None) -> dict[str, Any]:
        """The chunk (or the given rows of it) as the arguments of one ``prepare_predictions``:
        the features as an Arrow table (blocks of one shape) or a DataFrame."""
        n = self.n
        features: Any = self._stacked()
        if features is None:
            import pandas as pd

            self._flatten()
            for col in self.features.values():
                if len(col) < n:
                    col.extend([None] * (n - len(col)))
            features = pd.DataFrame(
                {k: v if rows is None else [v[i] for i in rows] for k, v in self.features.items()}
            )
        elif rows is not None:
            features = features.take(pa.array(np.asarray(rows, dtype=np.int64)))
        calls = self.rows
        out = {
            "predictions": predictions_column(self.predictions, calls),
            "prediction_ids": id_array(self.ids),
            "timestamps": timestamps_column(self.timestamps, calls),
            "latency_ms": numbers_column(self.latency, calls),  # None becomes NaN
            "trace_ids": texts_column(self.traces, calls),
            "errors": texts_column(self.errors, calls),
            "resources": resource_columns(self.usage, calls),
        }
        if rows is not None:
            out = {k: select(v, rows) for k, v in out.items()}
        return {"features": features, **out}


def _arrow(values: np.ndarray) -> pa.Array:
    """A feature's values as Arrow (NaN as null, as pandas' frames are read); a contiguous
    array without NaN is taken without a copy."""
    if values.dtype.kind == "f" and np.isnan(values).any():
        return pa.array(values, from_pandas=True)
    return pa.array(values)


def resource_columns(usage: list[Usage | None], rows: list[int]) -> dict[str, np.ndarray] | None:
    """Per-row resource columns (:data:`RESOURCE_COLUMNS`, NaN where not measured) of calls
    that logged ``rows[i]`` rows with ``usage[i]``; None when no call has any."""
    if not any(u is not None for u in usage):
        return None
    missing = (None,) * len(RESOURCE_COLUMNS)
    per_call = np.array([missing if u is None else u for u in usage], dtype=float)
    cpu, batch_rows = RESOURCE_COLUMNS.index("cpu_ms"), RESOURCE_COLUMNS.index("batch_rows")
    per_call[:, cpu] /= np.maximum(per_call[:, batch_rows], 1)  # a row's share of its call
    per_row = np.repeat(per_call, rows, axis=0)
    return {name: per_row[:, k] for k, name in enumerate(RESOURCE_COLUMNS)}


def frame_columns(df: pd.DataFrame) -> dict[str, list[Any]] | Block:
    """A DataFrame as logged: a :class:`Block` when its values are one numeric (or bool) array,
    else its columns as Python lists, in one conversion for the whole frame."""
    blocks: Any = getattr(getattr(df, "_mgr", None), "blocks", ())  # pandas' internal block manager
    dtype = getattr(blocks[0], "dtype", None) if len(blocks) == 1 else None
    if isinstance(dtype, np.dtype) and dtype in _BLOCK_DTYPES:
        values = df.to_numpy(copy=True)
        if values.dtype in _BLOCK_DTYPES and values.ndim == 2:
            return Block(df.columns, values)
    names = labels(df.columns)
    if len(set(names)) != len(names) or not names:
        return {name: df.iloc[:, i].tolist() for i, name in enumerate(names)}
    return dict(zip(names, df.to_numpy(dtype=object).T.tolist(), strict=True))


def array_columns(values: np.ndarray, names: list[str]) -> dict[str, list[Any]] | Block | None:
    """A 2-D array with its column names as logged, as :func:`frame_columns` logs the frame
    pandas would build of it; None for dates and durations (pandas makes them Timestamps)."""
    if values.dtype in _BLOCK_DTYPES and names:
        return Block(tuple(names), values.copy())
    if values.dtype.kind in "Mm":
        return None
    return dict(zip(names, values.astype(object).T.tolist(), strict=True))


_BLOCK_DTYPES = frozenset(
    np.dtype(t) for t in ("float64", "float32", "int64", "int32", "int16", "int8", "bool")
)


def labels(index: pd.Index | tuple[str, ...]) -> list[str]:
    """Column labels as feature names (str)."""
    names = list(index) if isinstance(index, tuple) else index.to_numpy().tolist()
    return names if all(type(c) is str for c in names) else [str(c) for c in names]


def share_labels(block: Block, labels: pd.Index | tuple[str, ...] | None) -> Block:
    """``block`` labelled by ``labels`` (the previous block's) when the two are equal arrays
    (~1 µs): a service's blocks then share one Index, which the writer compares by identity, and
    the buffer keeps one Index per run of equal labels instead of one per request.

    Call it outside the Logger's lock: pandas compares Arrow-backed labels in pyarrow, which
    releases the GIL, and a thread waiting to get the GIL back while holding the lock made every
    other request thread of a service wait for the lock in turn."""
    mine = block.labels
    if labels is None or mine is labels or isinstance(mine, tuple) or isinstance(labels, tuple):
        return block
    return Block(labels, block.values) if mine.array.equals(labels.array) else block


def same_labels(
    index: pd.Index | tuple[str, ...], first: pd.Index | tuple[str, ...], names: list[str]
) -> bool:
    """Whether ``index`` names the columns ``names`` (``first``'s labels). A service builds a
    new Index per request: its values are compared as one array (~1 µs), not as Python
    strings (~8 µs for 20 names)."""
    if index is first:
        return True
    if (
        not isinstance(index, tuple)
        and not isinstance(first, tuple)
        and index.array.equals(first.array)
    ):
        return True
    return labels(index) == names


def block_columns(block: Block) -> dict[str, list[Any]]:
    """A block's columns as Python lists (a repeated name keeps its last column, as a dict)."""
    names = labels(block.labels)
    if len(set(names)) != len(names):
        return {name: block.values[:, i].tolist() for i, name in enumerate(names)}
    return dict(zip(names, block.values.T.tolist(), strict=True))


def is_frame(value: Any) -> TypeGuard[pd.DataFrame]:
    """Whether ``value`` is a pandas DataFrame, without importing pandas."""
    frame = pandas_class("DataFrame")
    return frame is not None and isinstance(value, frame)
