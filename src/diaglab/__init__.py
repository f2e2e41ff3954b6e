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
from diaglab.findings import Finding, Findings, export, finding, findings
from diaglab.producers import Logger, instrument
from diaglab.queries.drift import DriftReport
from diaglab.queries.drift_impact import DomainClassifierResult
from diaglab.queries.drift_time import DriftOverTime
from diaglab.queries.explain import Explanation, ExplanationDrift
from diaglab.queries.filters import Slice
from diaglab.queries.metrics_time import MetricsOverTime
from diaglab.queries.span_stats import SpanStats
from diaglab.queries.traces import Trace
from diaglab.queries.versions import VersionComparison
from diaglab.queries.whatif import Counterfactual, WhatIf
from diaglab.queries.window import Window
from diaglab.specs import Scope, Spec, spec_of
from diaglab.specs.api import (
    compare_versions,
    counterfactual,
    domain_classifier,
    drift,
    drift_impact,
    drift_over_time,
    explain,
    explain_window,
    explanation_drift,
    find_slices,
    find_traces,
    metrics_over_time,
    neighbors,
    slice_metrics,
    span_stats,
    trace,
    what_if,
    worst_errors,
)
from diaglab.stats.drift import DriftThresholds
from diaglab.store import IngestReport, LabelReport, ModelSchema, Store, open

if TYPE_CHECKING:
    from diaglab.explorers.drift import DriftExplorer
    from diaglab.explorers.inspector import PredictionInspector
    from diaglab.explorers.metrics import MetricsExplorer
    from diaglab.explorers.panel import Panel, panel
    from diaglab.explorers.selection import Selection, link
    from diaglab.explorers.slices import SliceExplorer
    from diaglab.explorers.traces import TraceExplorer

__version__ = "0.1.0"

# Explorers pull in ipywidgets and Altair (seconds to import); a service that only logs through
# dl.Logger should not pay for them, so they load on first use.
_LAZY = {
    "DriftExplorer": "diaglab.explorers.drift",
    "MetricsExplorer": "diaglab.explorers.metrics",
    "PredictionInspector": "diaglab.explorers.inspector",
    "SliceExplorer": "diaglab.explorers.slices",
    "TraceExplorer": "diaglab.explorers.traces",
    "Panel": "diaglab.explorers.panel",
    "panel": "diaglab.explorers.panel",
    "Selection": "diaglab.explorers.selection",
    "link": "diaglab.explorers.selection",
}


def __getattr__(name: str) -> Any:
    if name == "otel":  # needs the optional OpenTelemetry SDK for its exporter
        return importlib.import_module("diaglab.otel")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'diaglab' has no attribute {name!r}")


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt extension (``jupyter labextension develop``); the wheel
    installs it into ``share/jupyter/labextensions/diaglab`` (see labextension/README.md)."""
    return [{"src": "labextension", "dest": "diaglab"}]


__all__ = [
    "Counterfactual",
    "DiaglabError",
    "DomainClassifierResult",
    "DriftExplorer",
    "DriftOverTime",
    "DriftReport",
    "DriftThresholds",
    "DuplicateIdError",
    "Explanation",
    "ExplanationDrift",
    "FilterError",
    "Finding",
    "Findings",
    "IngestReport",
    "InputError",
    "LabelReport",
    "Logger",
    "MetricsExplorer",
    "MetricsOverTime",
    "ModelSchema",
    "Panel",
    "PredictionInspector",
    "ReadOnlyStoreError",
    "SchemaError",
    "Scope",
    "Selection",
    "Slice",
    "SliceExplorer",
    "SpanStats",
    "Spec",
    "Store",
    "Trace",
    "TraceExplorer",
    "UnknownNameError",
    "UntrustedModelError",
    "VersionComparison",
    "WhatIf",
    "Window",
    "compare_versions",
    "counterfactual",
    "domain_classifier",
    "drift",
    "drift_impact",
    "drift_over_time",
    "explain",
    "explain_window",
    "explanation_drift",
    "export",
    "find_slices",
    "find_traces",
    "finding",
    "findings",
    "instrument",
    "link",
    "metrics_over_time",
    "neighbors",
    "open",
    "panel",
    "slice_metrics",
    "span_stats",
    "spec_of",
    "trace",
    "what_if",
    "worst_errors",
]
