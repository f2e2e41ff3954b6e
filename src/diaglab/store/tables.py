"""The layout of a model's DuckDB tables, and what one ingest reports."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from diaglab.store.schema import (
    RESOURCE_TYPES,
    ModelSchema,
    feature_column,
    feature_type,
    value_type,
)


def q(identifier: str) -> str:
    """Quote an identifier for DuckDB (column names may be anything, e.g. ``a; drop table x``)."""
    return '"' + identifier.replace('"', '""') + '"'


def _duck_type(t: pa.DataType) -> str:
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ"
    return "DOUBLE" if pa.types.is_floating(t) else "VARCHAR"


def prediction_columns(schema: ModelSchema) -> dict[str, str]:
    """Column name -> DuckDB type of a model's prediction table, roles first."""
    vt = _duck_type(value_type(schema.task or "binary"))
    cols = {
        "prediction_id": "VARCHAR",
        "timestamp": "TIMESTAMPTZ",
        "model_version": "VARCHAR",
        "prediction": vt,
        "score": "DOUBLE",
        "latency_ms": "DOUBLE",
        "trace_id": "VARCHAR",
        "error": "VARCHAR",
        "metadata": "VARCHAR",
        "label": vt,
        "label_timestamp": "TIMESTAMPTZ",
        **{name: _duck_type(t) for name, t in RESOURCE_TYPES.items()},
    }
    return _with_features(cols, schema)


def _with_features(cols: dict[str, str], schema: ModelSchema) -> dict[str, str]:
    """``cols`` and each feature's column with its DuckDB type."""
    return cols | {
        feature_column(f.name): _duck_type(feature_type(f.kind)) for f in schema.features.values()
    }


def reference_columns(schema: ModelSchema) -> dict[str, str]:
    vt = _duck_type(value_type(schema.task or "binary"))
    cols = {
        "model_version": "VARCHAR",
        "prediction": vt,
        "score": "DOUBLE",
        "label": vt,
        "segment": "VARCHAR",
    }
    return _with_features(cols, schema)


@dataclass(frozen=True)
class IngestReport:
    """What one refresh ingested.

    ``rows`` counts the new rows of every kind that has rows of its own (predictions, reference,
    spans); ``reference`` and ``spans`` say how many of them were of those kinds (see
    :attr:`predictions`); ``labels`` counts labels; ``duplicates`` the repeated ids dropped.
    """

    segments: int = 0
    rows: int = 0
    duplicates: int = 0
    labels: int = 0
    reference: int = 0
    spans: int = 0

    @property
    def predictions(self) -> int:
        return self.rows - self.reference - self.spans

    def __add__(self, other: IngestReport) -> IngestReport:
        return IngestReport(
            self.segments + other.segments,
            self.rows + other.rows,
            self.duplicates + other.duplicates,
            self.labels + other.labels,
            self.reference + other.reference,
            self.spans + other.spans,
        )

    def __str__(self) -> str:
        kinds = [
            f"{n} {what}"
            for n, what in (
                (self.predictions, "predictions"),
                (self.labels, "labels"),
                (self.reference, "reference rows"),
                (self.spans, "spans"),
            )
            if n
        ]
        dup = f"; {self.duplicates} repeated ids skipped" if self.duplicates else ""
        return f"{self.segments} segments ingested: {', '.join(kinds) or 'no rows'}{dup}"
