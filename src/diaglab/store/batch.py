"""Turning what a user passes to ``log`` into a checked Arrow batch.

Every check names the column (or argument), the problem and what would be valid. Nothing here
touches disk: a batch that fails a check is never partly stored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from diaglab.errors import DuplicateIdError, InputError, SchemaError
from diaglab.store._ids import row_ids
from diaglab.store.schema import CATEGORICAL, NUMERIC, TASKS, TIMESTAMP, ModelSchema
from diaglab.store.thresholds import class_decision, cost_decision

log = logging.getLogger("diaglab")


def _example(values: pa.Array) -> str:
    for v in values.to_pylist()[:1000]:
        if v is not None:
            return repr(v if not isinstance(v, str) or len(v) < 60 else v[:57] + "...")
    return "None"


def as_arrow_table(features: Any, *, name: str = "features") -> pa.Table:
    """A DataFrame, Arrow table or mapping of columns as an Arrow table (index dropped)."""
    if isinstance(features, pa.Table):
        return features
    if isinstance(features, Mapping):
        features = pd.DataFrame(features)
    if not isinstance(features, pd.DataFrame):
        raise InputError(
            f"{name} must be a pandas DataFrame, an Arrow table or a mapping of columns, "
            f"not {type(features).__name__}"
        )
    cols: dict[str, pa.Array] = {}
    if features.columns.duplicated().any():
        dup = features.columns[features.columns.duplicated()][0]
        raise InputError(f"{name} has the column {dup!r} twice")
    for col in features.columns:
        if not isinstance(col, str):
            raise InputError(f"{name} column names must be strings; got {col!r}")
        try:
            cols[col] = _column_array(features[col])
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            kinds = sorted({type(v).__name__ for v in features[col].dropna().head(10_000)})
            raise InputError(
                f"column {col!r} mixes value types ({', '.join(kinds)}); make it all numbers "
                f"or all text"
            ) from exc
    if not cols:
        raise InputError(f"{name} has no columns; log at least one feature")
    return pa.table(cols)


def _column_array(series: pd.Series) -> pa.Array:
    """One DataFrame column as Arrow; NaN becomes null (``from_pandas``).

    A plain float column without NaN is taken as it is, without the NaN scan's copy.
    """
    if series.dtype.kind == "f" and isinstance(series.dtype, np.dtype):
        values = series.to_numpy(copy=False)
        if not np.isnan(values).any():
            return pa.array(values)
    return pa.array(series, from_pandas=True)


def repeated_text(value: str, n: int) -> pa.StringArray:
    """``n`` copies of ``value`` as an Arrow string array, built from two buffers at once."""
    data = value.encode()
    if n * len(data) >= 2**31:  # beyond 32-bit offsets: let Arrow chunk it
        return pa.array([value] * n, pa.string())
    offsets = np.arange(n + 1, dtype=np.int32) * np.int32(len(data))
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data * n))


def _kind_of(arr: pa.ChunkedArray | pa.Array) -> str | None:
    t = arr.type
    if pa.types.is_dictionary(t):
        return CATEGORICAL
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return NUMERIC
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_boolean(t):
        return CATEGORICAL
    if pa.types.is_null(t):
        return None
    return "unsupported"


def check_features(
    table: pa.Table, *, schema: ModelSchema, categorical: Sequence[str] | None
) -> tuple[pa.Table, dict[str, str]]:
    """Validate and normalise feature columns: numeric -> float64, categorical -> string.

    Returns the normalised table and each column's kind. Columns that are entirely null and not
    yet known to the schema are dropped: they carry no value and no type to record.
    """
    declared = set(categorical or ())
    unknown_declared = declared - set(table.column_names)
    if unknown_declared:
        raise InputError(
            f"categorical= names columns not in features: {', '.join(sorted(unknown_declared))}; "
            f"features has: {', '.join(table.column_names)}"
        )
    check_names(table.column_names, known=schema.features, model=schema.model)
    out: dict[str, pa.ChunkedArray] = {}
    kinds: dict[str, str] = {}
    for name in table.column_names:
        col = table.column(name)
        found = _kind_of(col)
        known = schema.features.get(name)
        if found == "unsupported":
            raise InputError(
                f"feature {name!r} has values of type {col.type}; log numbers or text "
                f"(e.g. convert dates to days since an origin)"
            )
        if found is None:
            if known is None and name not in declared:
                continue
            kind = known.kind if known else CATEGORICAL
        elif name in declared or (known is not None and known.kind == CATEGORICAL):
            if found == NUMERIC and pa.types.is_floating(col.type):
                raise SchemaError(
                    f"feature {name!r} is categorical but this batch has fractional numbers, "
                    f"e.g. {_example(col.chunk(0) if col.num_chunks else pa.array([]))}"
                )
            kind = CATEGORICAL
        else:
            kind = found
        if known is not None and known.kind != kind:
            example = _example(pa.concat_arrays(col.chunks) if col.num_chunks else pa.array([]))
            raise SchemaError(
                f"feature {name!r} of model {schema.model!r} is {known.kind} (since version "
                f"{known.first_version!r}) but this batch has {kind} values, e.g. {example}; "
                f"fix the column's type before logging"
            )
        out[name] = _normalise(name, col, kind)
        kinds[name] = kind
    return pa.table(out) if out else pa.table({}), kinds


def check_names(names: Sequence[str], *, known: Iterable[str], model: str) -> None:
    """Refuse feature names that would clash in the engine, before anything is written.

    DuckDB compares identifiers case-insensitively, so ``AGE`` is the feature ``age``: each name
    is checked against the batch's other names and the model's known features, ignoring case.
    A name of diaglab's own columns (``score``, ``segment`` ...) is fine: the feature is stored
    in its own namespace (:func:`diaglab.store.schema.feature_column`).
    """
    seen = {k.lower(): k for k in known}
    for name in names:
        if not name or "\x00" in name:
            raise InputError(f"invalid feature name {name!r}: names must be non-empty text")
        low = name.lower()
        other = seen.get(low)
        if other is not None and other != name:
            where = "this batch" if other not in known else f"model {model!r}"
            raise InputError(
                f"feature name {name!r} clashes with the feature {other!r} of {where}: names "
                "are compared ignoring case; rename one of them"
            )
        seen[low] = name


def _normalise(name: str, col: pa.ChunkedArray, kind: str) -> pa.ChunkedArray:
    if kind == NUMERIC:
        if pa.types.is_null(col.type):
            return col.cast(pa.float64())
        col = _as_float(name, col)
        finite = pc.sum(pc.is_finite(col)).as_py() or 0
        if finite == len(col) - col.null_count:
            return col
        col = pc.if_else(pc.is_nan(col), None, col)
        n_inf = pc.sum(pc.is_inf(col)).as_py() or 0
        if n_inf:
            raise InputError(
                f"feature {name!r} has {n_inf} infinite value(s); log a finite number, or "
                f"NaN/None for a missing value"
            )
        return col
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    if pa.types.is_boolean(col.type):
        return pc.if_else(col, "True", "False")
    return col.cast(pa.string())


FLOAT_EXACT = 2**53
"""Integers beyond this magnitude are not all representable as float64, diaglab's number type."""


def _as_float(name: str, col: pa.ChunkedArray) -> pa.ChunkedArray:
    """A numeric column as float64, refusing integers that float64 would change."""
    if pa.types.is_integer(col.type) and len(col) - col.null_count:
        big = pc.or_(pc.greater(col, FLOAT_EXACT), pc.less(col, -FLOAT_EXACT))
        n_big = pc.sum(big).as_py() or 0
        if n_big:
            bad = col.filter(big)[0].as_py()
            raise InputError(
                f"feature {name!r} has {n_big} integer(s) beyond +/-2**53, e.g. {bad}: "
                "diaglab stores numbers as float64, which cannot hold them exactly; log such "
                "ids or codes as text (categorical=[...] with str values)"
            )
    try:
        return col.cast(pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputError(f"feature {name!r} cannot be read as numbers ({exc})") from exc


def _refuse_inexact(arr: np.ndarray, name: str) -> None:
    """Integers that float64 would change (beyond +/-2**53) are refused, as in features."""
    if arr.dtype.kind in "iu" and arr.size:
        big = (arr > FLOAT_EXACT) | (arr < -FLOAT_EXACT)
        if big.any():
            raise InputError(
                f"{name} has {int(big.sum())} integer(s) beyond +/-2**53, e.g. {arr[big][0]}: "
                "diaglab stores numbers as float64, which cannot hold them exactly; pass class "
                "labels as text"
            )


@dataclass(frozen=True)
class Outputs:
    task: str
    prediction: pa.Array
    score: pa.Array
    classes: tuple[str, ...] = ()


def check_predictions(
    predictions: Any,
    n: int,
    *,
    schema: ModelSchema,
    task: str | None = None,
    allow_missing: np.ndarray | None = None,
    version: str | None = None,
) -> Outputs:
    """Classify and check model outputs: binary scores, class labels, probabilities, values.

    ``allow_missing`` marks rows (failed calls) whose output may be missing; ``version`` picks
    the cost matrix deciding class probabilities (``schema.cost_matrix_of``).
    """
    if task is not None and task not in TASKS:
        raise InputError(f"unknown task {task!r}; known: {', '.join(TASKS)}")
    task = task or schema.task
    if isinstance(predictions, pd.DataFrame | pd.Series):
        predictions = predictions.to_numpy()
    arr = np.asarray(predictions)
    if arr.dtype.kind == "O" and arr.ndim == 1:
        present = [v for v in arr if v is not None and not (isinstance(v, float) and v != v)]
        if all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in present):
            arr = np.array([np.nan if v is None else v for v in arr], dtype=float)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim not in (1, 2) or arr.shape[0] != n:
        raise InputError(
            f"predictions has shape {arr.shape}; expected {n} values (one per feature row) or "
            f"an ({n}, n_classes) array of class probabilities"
        )
    missing = np.zeros(n, dtype=bool)
    if arr.dtype.kind == "O":
        missing = pd.isna(arr) if arr.ndim == 1 else np.zeros(n, dtype=bool)
    elif arr.dtype.kind == "f":
        missing = np.isnan(arr) if arr.ndim == 1 else np.isnan(arr).any(axis=1)
    bad = missing & ~(allow_missing if allow_missing is not None else False)
    if bad.any():
        raise InputError(
            f"predictions has {int(bad.sum())} missing value(s) (first at row "
            f"{int(np.argmax(bad))}); every logged prediction needs an output"
        )
    if arr.ndim == 2:
        return _probabilities(arr.astype(float), missing, schema, task, version)
    if arr.dtype.kind in "fiub" and arr.dtype.kind != "O":
        _refuse_inexact(arr, "predictions")
        values = arr.astype(float)
        if np.isinf(values).any():
            raise InputError("predictions has infinite values; log finite scores or values")
        ok = values[~missing]
        is01 = bool(np.isin(ok, (0.0, 1.0)).all())
        in_unit = bool(((ok >= 0) & (ok <= 1)).all())
        guess = "binary" if (in_unit and arr.dtype.kind == "f") or is01 else "regression"
        if arr.dtype.kind in "iu" and not is01:
            guess = "multiclass"
        task = task or guess
        mask = missing
        if task == "binary":
            if not in_unit:
                raise SchemaError(
                    f"model {schema.model!r} is binary: predictions must be scores in [0, 1] or "
                    f"classes 0/1; got values from {ok.min():g} to {ok.max():g}"
                )
            cls = values if is01 and arr.dtype.kind != "f" else (values >= schema.threshold) * 1.0
            score = None if arr.dtype.kind in "iub" else values
            return Outputs(
                "binary",
                pa.array(cls, mask=mask),
                pa.array(score, mask=mask) if score is not None else pa.nulls(n, pa.float64()),
            )
        if task == "regression":
            return Outputs("regression", pa.array(values, mask=mask), pa.nulls(n, pa.float64()))
        labels = np.array([str(int(v)) if v == int(v) else str(v) for v in values], dtype=object)
        return _classes(labels, missing, schema)
    if task not in (None, "multiclass"):
        raise SchemaError(
            f"model {schema.model!r} logs {task} predictions; got text such as "
            f"{_example(pa.array(arr[~missing][:5].tolist()))}"
        )
    return _classes(arr.astype(object), missing, schema)


def _classes(labels: np.ndarray, missing: np.ndarray, schema: ModelSchema) -> Outputs:
    values = pa.array(
        [None if m else str(v) for v, m in zip(labels, missing, strict=True)], pa.string()
    )
    classes = tuple(sorted(set(values.drop_null().unique().to_pylist())))
    return Outputs("multiclass", values, pa.nulls(len(labels), pa.float64()), classes)


def _probabilities(
    proba: np.ndarray,
    missing: np.ndarray,
    schema: ModelSchema,
    task: str | None,
    version: str | None = None,
) -> Outputs:
    ok = proba[~missing]
    if ((ok < 0) | (ok > 1)).any() or not np.isfinite(ok).all():
        raise InputError("class probabilities must lie in [0, 1]")
    sums = ok.sum(axis=1)
    if ok.size and np.abs(sums - 1).max() > 1e-3:
        worst = sums[np.argmax(np.abs(sums - 1))]
        raise InputError(f"class probabilities must sum to 1 per row; a row sums to {worst:.4f}")
    k = proba.shape[1]
    if k == 2 and task in (None, "binary"):
        score = np.where(missing, 0.0, proba[:, 1])
        return Outputs(
            "binary",
            pa.array((score >= schema.threshold) * 1.0, mask=missing),
            pa.array(score, mask=missing),
        )
    if schema.classes and len(schema.classes) != k:
        raise SchemaError(
            f"predictions has {k} class probabilities per row but model {schema.model!r} has "
            f"{len(schema.classes)} classes ({', '.join(schema.classes)}); pass one column per "
            "known class, in that order, or log the new model under another name"
        )
    classes = schema.classes or tuple(str(i) for i in range(k))
    cost = schema.cost_matrix_of(version)
    idx = (
        cost_decision(proba, np.asarray(cost))
        if cost is not None
        else class_decision(proba, classes, schema.class_thresholds)
    )
    pred = pa.array(np.asarray(classes, dtype=object)[idx], pa.string(), mask=missing)
    top = proba[np.arange(len(idx)), idx]
    return Outputs("multiclass", pred, pa.array(top, mask=missing), classes)


_NANOSECONDS_SAID: list[bool] = []


def to_utc(values: Any, n: int, *, name: str = "timestamps") -> pa.Array:
    """Timestamps as Arrow ``timestamp[us, UTC]``; None means now. Naive values are refused.

    diaglab's time resolution is the microsecond: nanoseconds are floored (the first time in a
    process, the log says so with an example).
    """
    if values is None:
        now = datetime.now(UTC)
        return pa.array(np.full(n, np.datetime64(now.replace(tzinfo=None), "us")), TIMESTAMP)
    if isinstance(values, pa.Array) and values.type == TIMESTAMP:  # already diaglab's (Logger)
        if len(values) != n:
            raise InputError(f"{name} has {len(values)} values; expected {n} (one per row)")
        if values.null_count:
            raise InputError(f"{name} has {values.null_count} missing value(s)")
        return values
    if isinstance(values, datetime | pd.Timestamp | str):
        values = [values] * n
    try:
        ts = pd.to_datetime(pd.Series(values) if not isinstance(values, pd.Series) else values)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{name}: cannot read as timestamps ({exc})") from exc
    if len(ts) != n:
        raise InputError(f"{name} has {len(ts)} values; expected {n} (one per row)")
    if ts.dt.tz is None:
        raise InputError(
            f"{name} are naive (no time zone); diaglab stores UTC and will not guess: "
            f"localize them, e.g. pd.to_datetime(x).dt.tz_localize('UTC')"
        )
    if ts.isna().any():
        raise InputError(f"{name} has {int(ts.isna().sum())} missing value(s)")
    utc = ts.dt.tz_convert("UTC")
    if utc.dt.unit == "ns" and not _NANOSECONDS_SAID:
        cut = utc.dt.nanosecond != 0
        if cut.any():
            _NANOSECONDS_SAID.append(True)
            log.warning(
                "diaglab stores timestamps to the microsecond: %d value(s) of %s had nanoseconds, "
                "cut (floored) to microseconds, e.g. %s (said once per process)",
                int(cut.sum()),
                name,
                utc[cut].iloc[0],
            )
    # datetime64[ns] -> [us] truncates toward zero, i.e. floors every timestamp after 1970
    return pa.array(utc.dt.as_unit("us").to_numpy(dtype="datetime64[us]"), TIMESTAMP)


def check_ids(
    ids: Any, n: int, *, segment_id: str, name: str = "prediction_ids", unique: bool = True
) -> pa.Array:
    """User ids as strings (non-empty; unique unless ``unique=False``), or fresh time-ordered
    ones when None."""
    if ids is None:
        return row_ids(segment_id, n)
    if isinstance(ids, pd.Series | pd.Index):
        ids = ids.to_numpy()
    arr = pa.array(
        list(ids) if not isinstance(ids, pa.Array | np.ndarray) else ids, from_pandas=True
    )
    if len(arr) != n:
        raise InputError(f"{name} has {len(arr)} values; expected {n} (one per row)")
    if arr.null_count:
        raise InputError(f"{name} has {arr.null_count} missing id(s)")
    if not (
        pa.types.is_string(arr.type)
        or pa.types.is_large_string(arr.type)
        or pa.types.is_integer(arr.type)
    ):
        raise InputError(f"{name} must be text or integers, not {arr.type}")
    arr = arr.cast(pa.string())
    if pc.any(pc.equal(pc.utf8_length(arr), 0)).as_py():
        raise InputError(f"{name} has an empty id")
    if unique and len(pc.unique(arr)) != n:
        counts = pc.value_counts(arr)
        dup = counts.filter(pc.greater(counts.field("counts"), 1))[0]["values"].as_py()
        raise DuplicateIdError(f"{name} repeats the id {dup!r} within this batch")
    return arr


def optional_column(values: Any, n: int, *, name: str, type_: pa.DataType) -> pa.Array:
    if values is None:
        return pa.nulls(n, type_)
    if (
        pa.types.is_floating(type_)
        and isinstance(values, np.ndarray)
        and values.dtype.kind in "fiu"
        and values.ndim == 1
    ):
        return _float_column(values, n, name=name, type_=type_)
    if isinstance(values, str | int | float):
        values = [values] * n
    try:
        arr = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputError(f"{name}: expected {n} values of type {type_} ({exc})") from exc
    if len(arr) != n:
        raise InputError(f"{name} has {len(arr)} values; expected {n} (one per row)")
    try:
        arr = arr.cast(type_)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputError(f"{name} must hold {type_} values; got {arr.type}") from exc
    if pa.types.is_floating(type_):
        arr = pc.if_else(pc.is_nan(arr), None, arr)
        if pc.any(pc.or_(pc.is_inf(arr), pc.less(arr, 0))).as_py():
            raise InputError(f"{name} must be finite and >= 0")
    return arr


def _float_column(values: np.ndarray, n: int, *, name: str, type_: pa.DataType) -> pa.Array:
    """``optional_column`` of a numeric array, checked in NumPy (a producer's resource and
    latency columns, every segment): NaN is missing, the rest finite and >= 0."""
    if len(values) != n:
        raise InputError(f"{name} has {len(values)} values; expected {n} (one per row)")
    floats = values.astype(type_.to_pandas_dtype(), copy=False)
    missing = np.isnan(floats)
    present = floats[~missing]
    if not (np.isfinite(present).all() and (present >= 0).all()):
        raise InputError(f"{name} must be finite and >= 0")
    return pa.array(floats, type_, mask=missing if missing.any() else None)


def metadata_column(metadata: Any, n: int) -> pa.Array:
    """Free metadata as one JSON text per row (a dict for all rows, or one dict per row)."""
    if metadata is None:
        return pa.nulls(n, pa.string())
    if isinstance(metadata, Mapping):
        text = json.dumps(dict(metadata), default=str, ensure_ascii=False)
        return pa.array([text] * n, pa.string())
    if isinstance(metadata, pd.DataFrame):
        metadata = metadata.to_dict("records")
    rows = list(metadata)
    if len(rows) != n:
        raise InputError(f"metadata has {len(rows)} entries; expected {n} (one per row)")
    return pa.array(
        [None if r is None else json.dumps(dict(r), default=str, ensure_ascii=False) for r in rows],
        pa.string(),
    )


def check_labels(labels: Any, n: int, *, task: str | None, model: str) -> pa.Array:
    """Ground truth as float64 (binary 0/1, regression) or text (multiclass)."""
    if isinstance(labels, pd.Series | pd.Index):
        labels = labels.to_numpy()
    arr = np.asarray(labels)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise InputError(f"labels has shape {arr.shape}; expected {n} values (one per id)")
    if task == "multiclass":
        if pd.isna(arr).any():
            raise InputError("labels has missing values; log only labels that arrived")
        return pa.array([str(v) for v in arr], pa.string())
    _refuse_inexact(arr, "labels")
    try:
        values = arr.astype(float)
    except (TypeError, ValueError) as exc:
        example = next((v for v in arr if isinstance(v, str)), arr[0] if n else None)
        raise InputError(
            f"labels of {task or 'this'} model {model!r} must be numbers; got {example!r}"
        ) from exc
    if not np.isfinite(values).all():
        raise InputError("labels has missing or infinite values; log only labels that arrived")
    if task == "binary" and not np.isin(values, (0.0, 1.0)).all():
        bad = values[~np.isin(values, (0.0, 1.0))][0]
        raise InputError(
            f"labels of binary model {model!r} must be 0/1 (or True/False); got {bad:g}"
        )
    return pa.array(values, pa.float64())
