"""The prediction-log store: segments on disk, DuckDB for queries.

The names below load on first use: a producer (``dl.Logger``) writes segments through
:mod:`diaglab.store.segments` and never needs DuckDB or Ibis, which :class:`Store` imports.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from diaglab.store.engine import IngestReport
    from diaglab.store.engines import open
    from diaglab.store.label_report import LabelReport
    from diaglab.store.schema import ModelSchema
    from diaglab.store.store import Store

_LAZY = {
    "IngestReport": "diaglab.store.engine",
    "open": "diaglab.store.engines",
    "LabelReport": "diaglab.store.label_report",
    "ModelSchema": "diaglab.store.schema",
    "Store": "diaglab.store.store",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'diaglab.store' has no attribute {name!r}")


__all__ = ["IngestReport", "LabelReport", "ModelSchema", "Store", "open"]
