"""A chunk's role columns kept per call, and the per-row columns the writer builds of them.

A call logs ``rows`` rows. Its predictions are one per row (a copied float array, or a list of
row values); each other role column (timestamp, latency, trace id, error) holds either one value
for all the call's rows (a service's call has one timestamp, one latency, one trace: the usual
case) or, when the caller gave one per row, a list of them. The request path thus appends a few
values per call whatever its rows, and the writer turns a chunk's calls into per-row columns with
NumPy repeats and Arrow takes; a list anywhere falls back to one Python value per row.

Nothing here imports pandas on the request path: a value is checked against a pandas class only
once pandas is imported (:func:`pandas_class`); the writer imports it when it builds a batch.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from diaglab.errors import InputError
from diaglab.store.schema import TIMESTAMP


def pandas_class(name: str) -> type | None:
    """The pandas class ``name`` once pandas has defined it, else None: no value can be an
    instance of a class not defined yet, so the calling thread never imports pandas to check
    (pandas may be half imported by the writer thread, hence the attribute's default)."""
    return getattr(sys.modules.get("pandas"), name, None)


def _is_array(value: Any) -> bool:
    """A numpy array, or a pandas Series or Index (without importing pandas)."""
    if isinstance(value, np.ndarray):
        return True
    series, index = pandas_class("Series"), pandas_class("Index")
    return (series is not None and isinstance(value, series)) or (
        index is not None and isinstance(value, index)
    )


# -- the request path: what a call keeps ---------------------------------------------------------


def each(value: Any, n: int, *, name: str) -> Any:
    """``value`` as a call of ``n`` rows keeps it: a plain value (or None) as it is, for all the
    rows; a sequence or array as a list of its ``n`` values (an InputError otherwise)."""
    if value is None or isinstance(value, str | bytes | int | float):
        return value
    if _is_array(value):
        if not np.ndim(value):
            return value.item()
        values = list(np.asarray(value, dtype=object))
    elif isinstance(value, Sequence):
        values = list(value)
    else:
        return value
    if len(values) != n:
        raise InputError(f"{name} has {len(values)} values; expected {n} (one per row)")
    return values


def call_predictions(predictions: Any, n: int) -> Any:
    """A call's predictions, one per row: a numeric array copied as it is (1-D, or rows of
    class probabilities), anything else as a list of row values; None (a failed call) or a
    single value for all rows as it is."""
    if predictions is None:
        return None
    if isinstance(predictions, np.ndarray) and predictions.dtype.kind in "biuf":
        if predictions.ndim == 0:
            return predictions.item()
        values: Any = np.array(predictions)  # a copy: the caller keeps and may reuse its array
    else:
        arr = np.asarray(predictions, dtype=object)
        if arr.ndim == 0:
            return arr.item()
        values = list(np.asarray(arr, dtype=float)) if arr.ndim == 2 else arr.tolist()
    if len(values) != n:
        raise InputError(f"prediction has {len(values)} values; expected {n} (one per row)")
    return values


# -- the writer: per-row columns of a chunk's calls ----------------------------------------------


def expand(values: Sequence[Any], rows: Sequence[int]) -> list[Any]:
    """One Python value per row: a call's list as it is, its single value repeated."""
    out: list[Any] = []
    for value, n in zip(values, rows, strict=True):
        out += value if type(value) is list else [value] * n
    return out


def _per_call(values: Sequence[Any]) -> bool:
    return not any(type(v) is list for v in values)


def _repeat_index(rows: Sequence[int]) -> np.ndarray:
    """Each row's call: 0 for the first call's rows, 1 for the second's, ..."""
    return np.repeat(np.arange(len(rows), dtype=np.int32), rows)


def predictions_column(values: Sequence[Any], rows: Sequence[int]) -> Any:
    """The calls' predictions as one array: float arrays of one shape are concatenated; any
    other mix is stacked row by row (:func:`stack`)."""
    first = values[0] if values else None
    if isinstance(first, np.ndarray) and all(
        isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.shape[1:] == first.shape[1:]
        for v in values
    ):
        return np.concatenate(values).astype(float, copy=False)
    per_row = [
        (v.tolist() if v.ndim == 1 else list(np.asarray(v, dtype=float)))
        if isinstance(v, np.ndarray)
        else v
        for v in values
    ]
    return stack(expand(per_row, rows))


def timestamps_column(values: Sequence[Any], rows: Sequence[int]) -> Any:
    """Timestamps for ``prepare_predictions``: calls stamped by the Logger (Unix nanoseconds)
    as one Arrow array (floored to diaglab's microseconds), anything else as UTC values."""
    if all(type(v) is int for v in values):
        micros = np.repeat(np.array(values, dtype=np.int64) // 1000, rows)
        return pa.array(micros.view("datetime64[us]"), TIMESTAMP)
    return utc_timestamps(expand(values, rows))


def numbers_column(values: Sequence[Any], rows: Sequence[int]) -> np.ndarray:
    """A float column (None becomes NaN)."""
    if _per_call(values):
        return np.repeat(np.array(values, dtype=float), rows)
    return np.array(expand(values, rows), dtype=float)


def texts_column(values: Sequence[Any], rows: Sequence[int]) -> Any:
    """A text column as one Arrow array when every call has one text (or None) for its rows;
    else one Python value per row (checked when the segment is prepared)."""
    if _per_call(values) and all(v is None or type(v) is str for v in values):
        if all(v is None for v in values):
            return pa.nulls(sum(rows), pa.string())
        return pa.array(values, pa.string()).take(pa.array(_repeat_index(rows)))
    return expand(values, rows)


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


def select(column: Any, rows: Sequence[int]) -> Any:
    """The given rows of a column built here (an array, an Arrow array or a list; a mapping of
    them; None)."""
    if column is None:
        return None
    if isinstance(column, dict):
        return {name: select(values, rows) for name, values in column.items()}
    if isinstance(column, pa.Array):
        return column.take(pa.array(np.asarray(rows, dtype=np.int64)))
    if isinstance(column, np.ndarray):
        return column[np.asarray(rows, dtype=np.intp)]
    return [column[i] for i in rows]
