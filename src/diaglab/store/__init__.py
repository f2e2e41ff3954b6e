"""The prediction-log store: segments on disk, DuckDB for queries."""

from diaglab.store.engine import IngestReport
from diaglab.store.schema import ModelSchema
from diaglab.store.store import LabelReport, Store, open

__all__ = ["IngestReport", "LabelReport", "ModelSchema", "Store", "open"]
