"""The prediction-log store: segments on disk, DuckDB for queries."""

from diaglab.store.engine import IngestReport
from diaglab.store.engines import open
from diaglab.store.label_report import LabelReport
from diaglab.store.schema import ModelSchema
from diaglab.store.store import Store

__all__ = ["IngestReport", "LabelReport", "ModelSchema", "Store", "open"]
