"""diaglab: a Jupyter-native diagnostic environment for ML models in production."""

from diaglab.errors import (
    DiaglabError,
    DuplicateIdError,
    InputError,
    ReadOnlyStoreError,
    SchemaError,
    UnknownNameError,
    UntrustedModelError,
)
from diaglab.producers import Logger, instrument
from diaglab.store import IngestReport, LabelReport, ModelSchema, Store, open

__version__ = "0.1.0"

__all__ = [
    "DiaglabError",
    "DuplicateIdError",
    "IngestReport",
    "InputError",
    "LabelReport",
    "Logger",
    "ModelSchema",
    "ReadOnlyStoreError",
    "SchemaError",
    "Store",
    "UnknownNameError",
    "UntrustedModelError",
    "instrument",
    "open",
]
