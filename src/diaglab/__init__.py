"""diaglab: a Jupyter-native diagnostic environment for ML models in production.

Only the error classes load with ``import diaglab``; every other public name loads on first use, so
a service that only logs through ``dl.Logger`` or ``dl.instrument`` does not import DuckDB's
query layer, Ibis, the statistics or the widgets (``import diaglab`` took 1.6–4.8 s and 1,615
modules when everything loaded eagerly).
"""

import importlib
import sys
import types
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

if TYPE_CHECKING:
    from diaglab.diagnostics.change.explorer import ChangeExplorer
    from diaglab.diagnostics.change.result import ChangeExplanation
    from diaglab.diagnostics.drift.explorer import DriftExplorer
    from diaglab.diagnostics.drift.impact import DomainClassifierResult, DriftImpact
    from diaglab.diagnostics.drift.over_time import DriftOverTime
    from diaglab.diagnostics.drift.query import DriftReport
    from diaglab.diagnostics.explain.explorer import PredictionInspector
    from diaglab.diagnostics.explain.neighbors import Neighbors
    from diaglab.diagnostics.explain.query import (
        Explanation,
        ExplanationDrift,
        WindowExplanation,
    )
    from diaglab.diagnostics.explain.whatif import Counterfactual, WhatIf
    from diaglab.diagnostics.explain.worst_errors import WorstErrors
    from diaglab.diagnostics.fairness.explorer import FairnessExplorer
    from diaglab.diagnostics.fairness.over_time import FairnessOverTime
    from diaglab.diagnostics.fairness.query import FairnessReport
    from diaglab.diagnostics.metrics.explorer import MetricsExplorer
    from diaglab.diagnostics.metrics.query import MetricsOverTime
    from diaglab.diagnostics.slices.explorer import SliceExplorer
    from diaglab.diagnostics.slices.found import FoundSlices
    from diaglab.diagnostics.slices.query import SliceMetrics
    from diaglab.diagnostics.thresholds.query import ThresholdAnalysis
    from diaglab.diagnostics.traces.explorer import TraceExplorer
    from diaglab.diagnostics.traces.query import Trace
    from diaglab.diagnostics.traces.search import FoundTraces
    from diaglab.diagnostics.traces.span_stats import SpanStats
    from diaglab.diagnostics.versions.query import VersionComparison
    from diaglab.explorers.panel import Panel, panel
    from diaglab.explorers.selection import Selection, link
    from diaglab.findings import (  # type: ignore[no-redef]  # mypy also sees the submodules
        Finding,
        Findings,
        export,
        finding,
        findings,
    )
    from diaglab.producers import (  # type: ignore[no-redef]  # mypy also sees the submodules
        Logger,
        instrument,
    )
    from diaglab.queries.filters import Slice
    from diaglab.queries.result import Result
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
        explain_change,
        explain_window,
        explanation_drift,
        fairness,
        fairness_over_time,
        find_slices,
        find_traces,
        metrics_over_time,
        neighbors,
        slice_metrics,
        span_stats,
        threshold_analysis,
        trace,
        what_if,
        worst_errors,
    )
    from diaglab.stats.drift import DriftThresholds
    from diaglab.store import IngestReport, LabelReport, ModelSchema, Store, open

__version__ = "0.1.0"

_LAZY = {
    "Finding": "diaglab.findings",
    "Findings": "diaglab.findings",
    "export": "diaglab.findings",
    "finding": "diaglab.findings",
    "findings": "diaglab.findings",
    "Logger": "diaglab.producers",
    "instrument": "diaglab.producers",
    "DriftReport": "diaglab.diagnostics.drift.query",
    "DomainClassifierResult": "diaglab.diagnostics.drift.impact",
    "DriftOverTime": "diaglab.diagnostics.drift.over_time",
    "Explanation": "diaglab.diagnostics.explain.query",
    "ExplanationDrift": "diaglab.diagnostics.explain.query",
    "FairnessReport": "diaglab.diagnostics.fairness.query",
    "FairnessOverTime": "diaglab.diagnostics.fairness.over_time",
    "ThresholdAnalysis": "diaglab.diagnostics.thresholds.query",
    "Slice": "diaglab.queries.filters",
    "MetricsOverTime": "diaglab.diagnostics.metrics.query",
    "SpanStats": "diaglab.diagnostics.traces.span_stats",
    "Trace": "diaglab.diagnostics.traces.query",
    "VersionComparison": "diaglab.diagnostics.versions.query",
    "Counterfactual": "diaglab.diagnostics.explain.whatif",
    "WhatIf": "diaglab.diagnostics.explain.whatif",
    "Window": "diaglab.queries.window",
    "Result": "diaglab.queries.result",
    "SliceMetrics": "diaglab.diagnostics.slices.query",
    "FoundSlices": "diaglab.diagnostics.slices.found",
    "WindowExplanation": "diaglab.diagnostics.explain.query",
    "WorstErrors": "diaglab.diagnostics.explain.worst_errors",
    "Neighbors": "diaglab.diagnostics.explain.neighbors",
    "DriftImpact": "diaglab.diagnostics.drift.impact",
    "FoundTraces": "diaglab.diagnostics.traces.search",
    "Scope": "diaglab.specs",
    "Spec": "diaglab.specs",
    "spec_of": "diaglab.specs",
    "compare_versions": "diaglab.specs.api",
    "counterfactual": "diaglab.specs.api",
    "domain_classifier": "diaglab.specs.api",
    "drift": "diaglab.specs.api",
    "drift_impact": "diaglab.specs.api",
    "drift_over_time": "diaglab.specs.api",
    "explain": "diaglab.specs.api",
    "explain_change": "diaglab.specs.api",
    "explain_window": "diaglab.specs.api",
    "explanation_drift": "diaglab.specs.api",
    "fairness": "diaglab.specs.api",
    "fairness_over_time": "diaglab.specs.api",
    "threshold_analysis": "diaglab.specs.api",
    "find_slices": "diaglab.specs.api",
    "find_traces": "diaglab.specs.api",
    "metrics_over_time": "diaglab.specs.api",
    "neighbors": "diaglab.specs.api",
    "slice_metrics": "diaglab.specs.api",
    "span_stats": "diaglab.specs.api",
    "trace": "diaglab.specs.api",
    "what_if": "diaglab.specs.api",
    "worst_errors": "diaglab.specs.api",
    "DriftThresholds": "diaglab.stats.drift",
    "IngestReport": "diaglab.store",
    "LabelReport": "diaglab.store",
    "ModelSchema": "diaglab.store",
    "Store": "diaglab.store",
    "open": "diaglab.store",
    "DriftExplorer": "diaglab.diagnostics.drift.explorer",
    "ChangeExplorer": "diaglab.diagnostics.change.explorer",
    "ChangeExplanation": "diaglab.diagnostics.change.result",
    "PredictionInspector": "diaglab.diagnostics.explain.explorer",
    "MetricsExplorer": "diaglab.diagnostics.metrics.explorer",
    "Panel": "diaglab.explorers.panel",
    "panel": "diaglab.explorers.panel",
    "Selection": "diaglab.explorers.selection",
    "link": "diaglab.explorers.selection",
    "SliceExplorer": "diaglab.diagnostics.slices.explorer",
    "TraceExplorer": "diaglab.diagnostics.traces.explorer",
    "FairnessExplorer": "diaglab.diagnostics.fairness.explorer",
}


class _Package(types.ModuleType):
    """``dl.findings`` stays the function: loading the ``diaglab.findings`` subpackage (first
    imported lazily, at any time) would otherwise bind the name to the module."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    if name == "otel":  # needs the optional OpenTelemetry SDK for its exporter
        return importlib.import_module("diaglab.otel")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'diaglab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, "otel"})


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt extension (``jupyter labextension develop``); the wheel
    installs it into ``share/jupyter/labextensions/diaglab`` (see labextension/README.md)."""
    return [{"src": "labextension", "dest": "diaglab"}]


__all__ = [
    "ChangeExplanation",
    "ChangeExplorer",
    "Counterfactual",
    "DiaglabError",
    "DomainClassifierResult",
    "DriftExplorer",
    "DriftImpact",
    "DriftOverTime",
    "DriftReport",
    "DriftThresholds",
    "DuplicateIdError",
    "Explanation",
    "ExplanationDrift",
    "FairnessExplorer",
    "FairnessOverTime",
    "FairnessReport",
    "FilterError",
    "Finding",
    "Findings",
    "FoundSlices",
    "FoundTraces",
    "IngestReport",
    "InputError",
    "LabelReport",
    "Logger",
    "MetricsExplorer",
    "MetricsOverTime",
    "ModelSchema",
    "Neighbors",
    "Panel",
    "PredictionInspector",
    "ReadOnlyStoreError",
    "Result",
    "SchemaError",
    "Scope",
    "Selection",
    "Slice",
    "SliceExplorer",
    "SliceMetrics",
    "SpanStats",
    "Spec",
    "Store",
    "ThresholdAnalysis",
    "Trace",
    "TraceExplorer",
    "UnknownNameError",
    "UntrustedModelError",
    "VersionComparison",
    "WhatIf",
    "Window",
    "WindowExplanation",
    "WorstErrors",
    "compare_versions",
    "counterfactual",
    "domain_classifier",
    "drift",
    "drift_impact",
    "drift_over_time",
    "explain",
    "explain_change",
    "explain_window",
    "explanation_drift",
    "export",
    "fairness",
    "fairness_over_time",
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
    "threshold_analysis",
    "trace",
    "what_if",
    "worst_errors",
]
