"""The ``dl.`` diagnostics: each builds its spec from the call's arguments and runs it.

Their signatures come from the specs (``help(dl.drift)`` shows them); the docstrings from the
functions that compute them.
"""

from __future__ import annotations

from diaglab.diagnostics.change.result import ChangeExplanation
from diaglab.diagnostics.drift.impact import DomainClassifierResult, DriftImpact
from diaglab.diagnostics.drift.over_time import DriftOverTime
from diaglab.diagnostics.drift.query import DriftReport
from diaglab.diagnostics.explain.neighbors import Neighbors
from diaglab.diagnostics.explain.query import Explanation, ExplanationDrift, WindowExplanation
from diaglab.diagnostics.explain.whatif import Counterfactual, WhatIf
from diaglab.diagnostics.explain.worst_errors import WorstErrors
from diaglab.diagnostics.fairness.over_time import FairnessOverTime
from diaglab.diagnostics.fairness.query import FairnessReport
from diaglab.diagnostics.metrics.query import MetricsOverTime
from diaglab.diagnostics.slices.found import FoundSlices
from diaglab.diagnostics.slices.query import SliceMetrics
from diaglab.diagnostics.thresholds.query import ThresholdAnalysis
from diaglab.diagnostics.traces.query import Trace
from diaglab.diagnostics.traces.search import FoundTraces
from diaglab.diagnostics.traces.span_stats import SpanStats
from diaglab.diagnostics.versions.query import VersionComparison
from diaglab.specs import catalog as c
from diaglab.specs.spec import Diagnostic

drift: Diagnostic[DriftReport] = Diagnostic(c.DriftSpec)
drift_over_time: Diagnostic[DriftOverTime] = Diagnostic(c.DriftOverTimeSpec)
domain_classifier: Diagnostic[DomainClassifierResult] = Diagnostic(c.DomainClassifierSpec)
drift_impact: Diagnostic[DriftImpact] = Diagnostic(c.DriftImpactSpec)
slice_metrics: Diagnostic[SliceMetrics] = Diagnostic(c.SliceMetricsSpec)
find_slices: Diagnostic[FoundSlices] = Diagnostic(c.FindSlicesSpec)
compare_versions: Diagnostic[VersionComparison] = Diagnostic(c.CompareVersionsSpec)
metrics_over_time: Diagnostic[MetricsOverTime] = Diagnostic(c.MetricsOverTimeSpec)
explain: Diagnostic[Explanation] = Diagnostic(c.ExplainSpec)
explain_window: Diagnostic[WindowExplanation] = Diagnostic(c.ExplainWindowSpec)
explanation_drift: Diagnostic[ExplanationDrift] = Diagnostic(c.ExplanationDriftSpec)
worst_errors: Diagnostic[WorstErrors] = Diagnostic(c.WorstErrorsSpec)
neighbors: Diagnostic[Neighbors] = Diagnostic(c.NeighborsSpec)
what_if: Diagnostic[WhatIf] = Diagnostic(c.WhatIfSpec)
counterfactual: Diagnostic[Counterfactual] = Diagnostic(c.CounterfactualSpec)
trace: Diagnostic[Trace] = Diagnostic(c.TraceSpec)
span_stats: Diagnostic[SpanStats] = Diagnostic(c.SpanStatsSpec)
find_traces: Diagnostic[FoundTraces] = Diagnostic(c.FindTracesSpec)
threshold_analysis: Diagnostic[ThresholdAnalysis] = Diagnostic(c.ThresholdAnalysisSpec)
fairness: Diagnostic[FairnessReport] = Diagnostic(c.FairnessSpec)
fairness_over_time: Diagnostic[FairnessOverTime] = Diagnostic(c.FairnessOverTimeSpec)

explain_change: Diagnostic[ChangeExplanation] = Diagnostic(c.ExplainChangeSpec)
