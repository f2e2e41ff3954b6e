"""diaglab: a Jupyter-native diagnostic environment for ML models in production."""

import importlib
from typing import TYPE_CHECKING, Any

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
from diaglab.queries.explain import (
    Explanation,
    ExplanationDrift,
    explain,
    explain_window,
    explanation_drift,
)
from diaglab.queries.filters import Slice
from diaglab.queries.neighbors import neighbors
from diaglab.queries.slice_search import find_slices
from diaglab.queries.slices import slice_metrics
from diaglab.queries.whatif import Counterfactual, WhatIf, counterfactual, what_if
from diaglab.queries.window import Window
from diaglab.store import IngestReport, LabelReport, ModelSchema, Store, open

if TYPE_CHECKING:
    from diaglab.explorers.drift import DriftExplorer
    from diaglab.explorers.inspector import PredictionInspector
    from diaglab.explorers.slices import SliceExplorer

__version__ = "0.1.0"

# Explorers pull in ipywidgets and Altair (seconds to import); a service that only logs through
# dl.Logger should not pay for them, so they load on first use.
_LAZY = {
    "DriftExplorer": "diaglab.explorers.drift",
    "PredictionInspector": "diaglab.explorers.inspector",
    "SliceExplorer": "diaglab.explorers.slices",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'diaglab' has no attribute {name!r}")


__all__ = [
    "Counterfactual",
    "DiaglabError",
    "DomainClassifierResult",
    "DriftExplorer",
    "DriftOverTime",
    "DriftReport",
    "DuplicateIdError",
    "Explanation",
    "ExplanationDrift",
    "FilterError",
    "IngestReport",
    "InputError",
    "LabelReport",
    "Logger",
    "ModelSchema",
    "PredictionInspector",
    "ReadOnlyStoreError",
    "SchemaError",
    "Slice",
    "SliceExplorer",
    "Store",
    "UnknownNameError",
    "UntrustedModelError",
    "WhatIf",
    "Window",
    "counterfactual",
    "domain_classifier",
    "drift",
    "drift_impact",
    "drift_over_time",
    "explain",
    "explain_window",
    "explanation_drift",
    "find_slices",
    "instrument",
    "neighbors",
    "open",
    "slice_metrics",
    "what_if",
]
