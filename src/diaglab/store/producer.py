"""Building a checked prediction segment: shared by ``Store.log`` and the ``Logger``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

from diaglab.errors import InputError
from diaglab.store import batch
from diaglab.store._ids import new_segment_id
from diaglab.store.schema import RESOURCE_TYPES, ModelSchema, SchemaRegistry, feature_column
from diaglab.store.segments import check_model_name, check_version
from diaglab.store.sensitive import hash_table, sensitive_columns, store_key


@dataclass(frozen=True)
class PreparedBatch:
    """A validated batch of predictions, ready to be written as one segment."""

    segment_id: str
    table: pa.Table
    schema: ModelSchema
    ids: pa.Array


def prepare_predictions(
    registry: SchemaRegistry,
    model: str,
    features: Any,
    predictions: Any,
    *,
    prediction_ids: Any = None,
    timestamps: Any = None,
    model_version: str = "v1",
    latency_ms: Any = None,
    trace_ids: Any = None,
    metadata: Any = None,
    errors: Any = None,
    categorical: Sequence[str] | None = None,
    task: str | None = None,
    unique_ids: bool = True,
    sensitive: Sequence[str] | None = None,
    resources: Mapping[str, Any] | None = None,
) -> PreparedBatch | None:
    """Check a batch against the model's schema (extending it under its lock); None if empty.

    ``resources`` holds what the calls cost, one value per row for some of
    :data:`~diaglab.store.schema.RESOURCE_TYPES` (the Logger's probe)."""
    check_model_name(model)
    check_version(model_version)
    feats = batch.as_arrow_table(features)
    n = feats.num_rows
    if n == 0:
        return None
    seg_id = new_segment_id()
    error_col = batch.optional_column(errors, n, name="errors", type_=pa.string())
    failed = error_col.is_valid().to_numpy(zero_copy_only=False)
    with registry.locked(model) as schema:
        feats, categorical, hashed = _hash_sensitive(
            registry, schema, feats, sensitive, categorical
        )
        ftable, kinds = batch.check_features(feats, schema=schema, categorical=categorical)
        decide = replace(schema, threshold=schema.threshold_of(model_version))
        out = batch.check_predictions(
            predictions, n, schema=decide, task=task, allow_missing=failed, version=model_version
        )
        ids = batch.check_ids(prediction_ids, n, segment_id=seg_id, unique=unique_ids)
        columns = {
            "prediction_id": ids,
            "timestamp": batch.to_utc(timestamps, n),
            "model_version": batch.repeated_text(model_version, n),
            "prediction": out.prediction,
            "score": out.score,
            "latency_ms": batch.optional_column(
                latency_ms, n, name="latency_ms", type_=pa.float64()
            ),
            "trace_id": batch.optional_column(trace_ids, n, name="trace_ids", type_=pa.string()),
            "error": error_col,
            "metadata": batch.metadata_column(metadata, n),
        }
        for name, values in (resources or {}).items():
            if name not in RESOURCE_TYPES:
                raise InputError(
                    f"unknown resource column {name!r}; known: {', '.join(RESOURCE_TYPES)}"
                )
            columns[name] = batch.optional_column(values, n, name=name, type_=RESOURCE_TYPES[name])
        new_schema = schema.merged(kinds, version=model_version, task=out.task, classes=out.classes)
        if set(hashed) - set(new_schema.sensitive):
            new_schema = replace(
                new_schema, sensitive=tuple(dict.fromkeys((*new_schema.sensitive, *hashed)))
            )
        stored = {feature_column(c): ftable.column(c) for c in ftable.column_names}
        table = pa.table({**columns, **stored})
        if new_schema != schema:
            registry.write(new_schema)
    return PreparedBatch(seg_id, table, new_schema, ids)


def _hash_sensitive(
    registry: SchemaRegistry,
    schema: ModelSchema,
    feats: pa.Table,
    requested: Sequence[str] | None,
    categorical: Sequence[str] | None,
) -> tuple[pa.Table, list[str] | None, list[str]]:
    """The features with the sensitive columns (asked for now, or recorded in the schema)
    replaced by keyed hashes; those columns are categorical from then on."""
    names = sensitive_columns(
        requested,
        recorded=schema.sensitive,
        columns=feats.column_names,
        known=list(schema.features),
        model=schema.model,
    )
    if not names:
        return feats, None if categorical is None else list(categorical), []
    feats = hash_table(feats, names, store_key(registry.root))
    return feats, list(dict.fromkeys((*(categorical or ()), *names))), names
