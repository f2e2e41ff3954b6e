"""diaglab: a Jupyter-native diagnostic environment for ML models in production."""

from diaglab.errors import (
    DiaglabError,
    DuplicateIdError,
    FilterError,
    InputError,
    ReadOnlyStoreError,
    SchemaError,
    UnknownNameError,
    UntrustedModelError,
)
from diaglab.producers import Logger, instrument
from diaglab.queries.drift import DriftReport, drift
from diaglab.queries.drift_impact import DomainClassifierResult, domain_classifier, drift_impact
from diaglab.queries.drift_time import DriftOverTime, drift_over_time
from diaglab.queries.filters import Slice
from diaglab.queries.window import Window
from diaglab.store import IngestReport, LabelReport, ModelSchema, Store, open

__version__ = "0.1.0"

__all__ = [
    "DiaglabError",
    "DomainClassifierResult",
    "DriftOverTime",
    "DriftReport",
    "DuplicateIdError",
    "FilterError",
    "IngestReport",
    "InputError",
    "LabelReport",
    "Logger",
    "ModelSchema",
    "ReadOnlyStoreError",
    "SchemaError",
    "Slice",
    "Store",
    "UnknownNameError",
    "UntrustedModelError",
    "Window",
    "domain_classifier",
    "drift",
    "drift_impact",
    "drift_over_time",
    "instrument",
    "open",
]
