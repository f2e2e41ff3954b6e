"""The Logger's columnar buffer: rows and DataFrame batches appended as columns, in chunks.

A :class:`Chunk` holds up to ``flush_rows`` rows as one Python list per column (features and the
role columns). ``Logger.log`` appends to the newest chunk under the Logger's lock; the writer
seals a chunk when it is full or old enough, turns it into one batch (:meth:`Chunk.batch`) and
writes it as one segment. A DataFrame of one numeric dtype (the usual model input) is kept as a
:class:`Block` (its column labels and a copy of its values): the per-call cost is one array copy,
and the writer stacks the blocks into the batch's frame (or, mixed with other rows, into lists).
A sealed chunk gets no more rows and only the writer touches it, so the writer reads it without
the lock; it stays in the buffer (counted as pending) until its segment is durable.

Appending never imports pandas (a service that logs dicts or arrays starts in a third of the
time): a value is checked against a pandas class only once pandas is imported, and the writer
imports it when it builds a batch.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeGuard

import numpy as np

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
    """Up to ``flush_rows`` buffered rows, one list per column.

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
        "started",
        "timestamps",
        "traces",
        "usage",
        "usage_rows",
    )

    def __init__(self) -> None:
        self.key = new_segment_id()  # names this chunk's rejects file, so a retry rewrites it
        self.features: dict[str, list[Any]] = {}
        self.blocks: list[tuple[int, Block]] = []  # (first row, block), not yet in features
        self.predictions: list[Any] = []
        self.ids: list[str] = []
        self.timestamps: list[Any] = []
        self.latency: list[Any] = []
        self.traces: list[Any] = []
        self.errors: list[Any] = []
        # each call's resource figures and its rows (not one per row: a batch's rows share them)
        self.usage: list[Usage | None] = []
        self.usage_rows: list[int] = []
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
        self.predictions.append(prediction)
        self.ids.append(prediction_id)
        self.timestamps.append(timestamp)
        self.latency.append(latency_ms)
        self.traces.append(trace_id)
        self.errors.append(error)
        self.usage.append(usage)
        self.usage_rows.append(1)
        self.n += 1

    def add_columns(
        self,
        columns: Mapping[str, list[Any]] | Block,
        rows: int,
        predictions: list[Any],
        ids: list[str],
        timestamps: list[Any],
        latency_ms: list[Any],
        trace_ids: list[Any],
        errors: list[Any],
        usage: Usage | None = None,
    ) -> None:
        if isinstance(columns, Block):
            if self.blocks:
                columns = _shared_labels(columns, self.blocks[-1][1])
            self.blocks.append((self.n, columns))
        else:
            if self.blocks:
                self._flatten()
            column = self._column
            for name, values in columns.items():
                column(name).extend(values)
        self.predictions.extend(predictions)
        self.ids.extend(ids)
        self.timestamps.extend(timestamps)
        self.latency.extend(latency_ms)
        self.traces.extend(trace_ids)
        self.errors.extend(errors)
        self.usage.append(usage)
        self.usage_rows.append(rows)
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

    def _stacked(self) -> pd.DataFrame | None:
        """The features as one frame when every row came in blocks of the same columns and
        dtype (no per-value conversion), else None."""
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
        values = np.concatenate([block.values for _, block in self.blocks])
        import pandas as pd

        return pd.DataFrame(values, columns=names)

    def batch(self, rows: Sequence[int] | None = None) -> dict[str, Any]:
        """The chunk (or the given rows of it) as the arguments of one ``prepare_predictions``."""
        import pandas as pd

        n = self.n
        features = self._stacked()
        if features is None:
            self._flatten()
            for col in self.features.values():
                if len(col) < n:
                    col.extend([None] * (n - len(col)))

        def pick(values: list[Any]) -> list[Any]:
            return values if rows is None else [values[i] for i in rows]

        if features is None:
            features = pd.DataFrame({k: pick(v) for k, v in self.features.items()})
        elif rows is not None:
            features = features.iloc[list(rows)].reset_index(drop=True)
        resources = resource_columns(self.usage, self.usage_rows)
        if resources is not None and rows is not None:
            picked = np.asarray(rows, dtype=np.intp)
            resources = {name: values[picked] for name, values in resources.items()}
        return {
            "features": features,
            "predictions": stack(pick(self.predictions)),
            "prediction_ids": pick(self.ids),
            "timestamps": utc_timestamps(pick(self.timestamps)),
            "latency_ms": np.array(pick(self.latency), dtype=float),  # None becomes NaN
            "trace_ids": pick(self.traces),
            "errors": pick(self.errors),
            "resources": resources,
        }


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


def _shared_labels(block: Block, previous: Block) -> Block:
    """``block`` labelled by ``previous``'s labels object when the two are equal arrays (~1 µs):
    a service's blocks then share one Index, which the writer compares by identity, and the
    buffer keeps one Index per chunk instead of one per request."""
    mine, theirs = block.labels, previous.labels
    if mine is theirs or isinstance(mine, tuple) or isinstance(theirs, tuple):
        return block
    return Block(theirs, block.values) if mine.array.equals(theirs.array) else block


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


def pandas_class(name: str) -> type | None:
    """The pandas class ``name`` once pandas has defined it, else None: no value can be an
    instance of a class not defined yet, so the calling thread never imports pandas to check
    (pandas may be half imported by the writer thread, hence the attribute's default)."""
    return getattr(sys.modules.get("pandas"), name, None)


def is_frame(value: Any) -> TypeGuard[pd.DataFrame]:
    """Whether ``value`` is a pandas DataFrame, without importing pandas."""
    frame = pandas_class("DataFrame")
    return frame is not None and isinstance(value, frame)


def _is_array(value: Any) -> bool:
    """A numpy array, or a pandas Series or Index (without importing pandas)."""
    if isinstance(value, np.ndarray):
        return True
    series, index = pandas_class("Series"), pandas_class("Index")
    return (series is not None and isinstance(value, series)) or (
        index is not None and isinstance(value, index)
    )


def per_row(value: Any, n: int) -> list[Any]:
    """One value per row: a scalar (or None) is repeated, a sequence is taken as it is."""
    if value is None or isinstance(value, str | bytes | int | float):
        return [value] * n
    if _is_array(value):
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
    """One prediction per row as an array: 2-D when rows are probability vectors, float when
    every row is a float, else of objects."""
    first = next((p for p in predictions if p is not None), None)
    if first is not None and np.ndim(first) == 1:
        width = len(first)
        return np.array([p if p is not None else [np.nan] * width for p in predictions], float)
    values = np.array(predictions, dtype=object)
    import pandas as pd

    if pd.api.types.infer_dtype(values, skipna=False) == "floating":
        return values.astype(float)
    return values


def utc_timestamps(values: list[Any]) -> Any:
    """Timestamps for ``prepare_predictions``: Unix nanoseconds (the Logger's own) as UTC."""
    import pandas as pd

    if set(map(type, values)) <= {int}:
        return pd.to_datetime(np.array(values, dtype=np.int64), utc=True)
    return [pd.Timestamp(v, tz="UTC") if type(v) is int else v for v in values]
