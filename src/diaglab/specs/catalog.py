"""The catalog of every diagnostic's spec. Each spec lives beside its diagnostic
(``diaglab/diagnostics/<name>/spec.py``): its scope, its own parameters (with their defaults), the
function that runs it and the columns a finding's claim compares.

A parameter is declared there once; ``dl.<kind>``'s signature, the JSON form, the reproducing call
and ``recheck`` follow from it, and the implementation reads it from the spec it is given
(``function(store, spec, **options)``; ``tests/test_specs.py`` checks that each implementation
takes the spec and only run-time options besides).
"""

from __future__ import annotations

from diaglab.diagnostics.change.spec import ExplainChangeSpec
from diaglab.diagnostics.drift.spec import (
    DomainClassifierSpec,
    DriftImpactSpec,
    DriftOverTimeSpec,
    DriftSpec,
)
from diaglab.diagnostics.explain.spec import (
    CounterfactualSpec,
    ExplainSpec,
    ExplainWindowSpec,
    ExplanationDriftSpec,
    NeighborsSpec,
    WhatIfSpec,
    WorstErrorsSpec,
)
from diaglab.diagnostics.fairness.spec import FairnessOverTimeSpec, FairnessSpec
from diaglab.diagnostics.metrics.spec import MetricsOverTimeSpec
from diaglab.diagnostics.slices.spec import FindSlicesSpec, SliceMetricsSpec
from diaglab.diagnostics.thresholds.spec import ThresholdAnalysisSpec
from diaglab.diagnostics.traces.spec import FindTracesSpec, SpanStatsSpec, TraceSpec
from diaglab.diagnostics.versions.spec import CompareVersionsSpec
from diaglab.specs.spec import Spec

SPECS: tuple[type[Spec], ...] = (
    DriftSpec,
    DriftOverTimeSpec,
    DomainClassifierSpec,
    DriftImpactSpec,
    SliceMetricsSpec,
    FindSlicesSpec,
    CompareVersionsSpec,
    MetricsOverTimeSpec,
    ExplainSpec,
    ExplainWindowSpec,
    ExplanationDriftSpec,
    WorstErrorsSpec,
    NeighborsSpec,
    WhatIfSpec,
    CounterfactualSpec,
    TraceSpec,
    SpanStatsSpec,
    FindTracesSpec,
    ThresholdAnalysisSpec,
    FairnessSpec,
    FairnessOverTimeSpec,
    ExplainChangeSpec,
)
"""Every diagnostic's spec, in the order the docs list them."""

__all__ = [
    "SPECS",
    "CompareVersionsSpec",
    "CounterfactualSpec",
    "DomainClassifierSpec",
    "DriftImpactSpec",
    "DriftOverTimeSpec",
    "DriftSpec",
    "ExplainChangeSpec",
    "ExplainSpec",
    "ExplainWindowSpec",
    "ExplanationDriftSpec",
    "FairnessOverTimeSpec",
    "FairnessSpec",
    "FindSlicesSpec",
    "FindTracesSpec",
    "MetricsOverTimeSpec",
    "NeighborsSpec",
    "SliceMetricsSpec",
    "SpanStatsSpec",
    "ThresholdAnalysisSpec",
    "TraceSpec",
    "WhatIfSpec",
    "WorstErrorsSpec",
]
