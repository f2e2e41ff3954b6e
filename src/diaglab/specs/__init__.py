"""One request language: :class:`Scope` (what data), a spec per diagnostic (the scope plus the
diagnostic's parameters), the :data:`REGISTRY` that runs specs by kind, and the ``dl.``
diagnostics built from them (``docs/architecture.md``)."""

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
from diaglab.specs.catalog import SPECS
from diaglab.specs.scope import Scope
from diaglab.specs.spec import REGISTRY, Diagnostic, Spec, runner, spec_class, spec_of

__all__ = [
    "REGISTRY",
    "SPECS",
    "Diagnostic",
    "Scope",
    "Spec",
    "compare_versions",
    "counterfactual",
    "domain_classifier",
    "drift",
    "drift_impact",
    "drift_over_time",
    "explain",
    "explain_window",
    "explanation_drift",
    "find_slices",
    "find_traces",
    "metrics_over_time",
    "neighbors",
    "runner",
    "slice_metrics",
    "span_stats",
    "spec_class",
    "spec_of",
    "trace",
    "what_if",
    "worst_errors",
]
