"""The spec of every diagnostic: its scope, its own parameters (with their defaults), the function
that runs it and the columns a finding's claim compares.

A parameter is declared here once; ``dl.<kind>``'s signature, the JSON form, the reproducing call
and ``recheck`` follow from it, and the implementation reads it from the spec it is given
(``function(store, spec, **options)``; ``tests/test_specs.py`` checks that each implementation
takes the spec and only run-time options besides).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from diaglab.specs.spec import Columns, Spec, register

WINDOWED = ("model", "version", "window", "where")
REFERENCED = ("model", "version", "window", "reference", "where")
THRESHOLDED = (*WINDOWED, "threshold")
RENAMED = {
    "current": "window",
    "model_version": "version",
    "metric": "metrics",
    "k": "band_sigma",
    "n": "k",
}


def _renamed(*old: str) -> dict[str, str]:
    return {name: RENAMED[name] for name in old}


# -- drift ------------------------------------------------------------------------------------


@register
@dataclass(frozen=True, kw_only=True)
class DriftSpec(Spec):
    """``dl.drift``: each feature, the prediction and the label against the reference."""

    kind = "drift"
    lists = ("features",)
    implementation = "diaglab.queries.drift:drift"
    scope_fields = (*REFERENCED, "threshold")
    renamed = _renamed("current", "model_version")
    columns = (["feature"], ["drifted", "severity"], ["effect"])

    features: tuple[str, ...] | None = None
    alpha: float = 0.01
    correction: str = "holm"
    thresholds: Any = None
    overrides: Mapping[str, Any] | None = None
    min_severity: str = "moderate"

    @classmethod
    def decode(cls, params: dict[str, Any]) -> dict[str, Any]:
        from diaglab.stats.drift import DriftThresholds

        out = dict(params)
        if isinstance(out.get("thresholds"), Mapping):
            out["thresholds"] = DriftThresholds(**out["thresholds"])
        if isinstance(out.get("overrides"), Mapping):
            out["overrides"] = {k: DriftThresholds(**v) for k, v in out["overrides"].items()}
        return out


@register
@dataclass(frozen=True, kw_only=True)
class DriftOverTimeSpec(Spec):
    """``dl.drift_over_time``: the drift statistic per ``freq`` window, with alert bands."""

    kind = "drift_over_time"
    lists = ("features",)
    implementation = "diaglab.queries.drift_time:drift_over_time"
    scope_fields = REFERENCED
    renamed = _renamed("current", "model_version", "k")
    columns = (["feature", "window_start"], ["alert"], ["value"])

    freq: str = "1D"
    statistic: str = "psi"
    features: tuple[str, ...] | None = None
    band_sigma: float = 3.0
    seed: int = 0
    tz: str = "UTC"
    week_start: str = "monday"


@register
@dataclass(frozen=True, kw_only=True)
class DomainClassifierSpec(Spec):
    """``dl.domain_classifier``: how well a classifier tells the window from the reference."""

    kind = "domain_classifier"
    implementation = "diaglab.queries.drift_impact:domain_classifier"
    scope_fields = REFERENCED
    renamed = _renamed("current", "model_version")
    columns = (["statistic"], ["drifted"], ["value"])

    sample: int = 10_000
    folds: int = 5
    seed: int = 0


@register
@dataclass(frozen=True, kw_only=True)
class DriftImpactSpec(Spec):
    """``dl.drift_impact``: how much each drifted feature moves the model's output."""

    kind = "drift_impact"
    implementation = "diaglab.queries.drift_impact:drift_impact"
    scope_fields = REFERENCED
    renamed = _renamed("current", "model_version")
    columns = (["feature"], [], ["impact"])

    sample: int = 2_000
    seed: int = 0

    options = ("report",)

    @classmethod
    def split(
        cls, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any], dict[str, Any]]:
        """``drift_impact(store, report)``: a DriftReport of ``dl.drift`` gives the scope."""
        args, kwargs, options = super().split(args, kwargs)
        if args and isinstance(getattr(args[0], "spec", None), DriftSpec):
            report, args = args[0], args[1:]
            kwargs = {**report.spec.scope.to_json(), **kwargs}
            kwargs.pop("threshold", None)
            kwargs.pop("as_of", None)
            options["report"] = report
        return args, kwargs, options


# -- slices -----------------------------------------------------------------------------------


@register
@dataclass(frozen=True, kw_only=True)
class SliceMetricsSpec(Spec):
    """``dl.slice_metrics``: metrics per value (or bin) of ``by``, with intervals."""

    kind = "slice_metrics"
    lists = ("by", "metrics")
    implementation = "diaglab.queries.slices:slice_metrics"
    scope_fields = THRESHOLDED
    subject = ("by",)
    renamed = _renamed("metric", "model_version")

    by: tuple[str, ...]
    metrics: tuple[str, ...] | None = None
    bins: Any = None
    other_threshold: float = 0.01
    confidence: float = 0.95

    def claim_columns(self) -> Columns:
        return ["slice"], [], list(self.metrics or [])


@register
@dataclass(frozen=True, kw_only=True)
class FindSlicesSpec(Spec):
    """``dl.find_slices``: the slices where ``metrics`` is worst (or got worst, ``compare``)."""

    kind = "find_slices"
    lists = ("features",)
    implementation = "diaglab.queries.slice_search:find_slices"
    scope_fields = THRESHOLDED
    renamed = _renamed("metric", "model_version")
    windows = ("compare",)

    metrics: str = "error"
    k: int = 10
    max_conditions: int = 3
    min_support: int | None = None
    compare: tuple[Any, Any] | None = None
    alpha: float = 0.05
    features: tuple[str, ...] | None = None
    bins: Any = None
    other_threshold: float = 0.01
    weighting: str = "levels"

    options = ("progress",)

    def claim_columns(self) -> Columns:
        return ["slice"], [], ["did"] if self.compare is not None else ["value"]


@register
@dataclass(frozen=True, kw_only=True)
class CompareVersionsSpec(Spec):
    """``dl.compare_versions``: version ``b`` against ``a`` on the same window and slice."""

    kind = "compare_versions"
    lists = ("metrics",)
    implementation = "diaglab.queries.versions:compare_versions"
    scope_fields = ("model", "window", "where", "threshold")
    subject = ("a", "b")
    renamed = _renamed("metric")
    columns = (["metric"], [], ["value_a", "value_b"])

    a: str
    b: str
    metrics: tuple[str, ...] | None = None
    confidence: float = 0.95


# -- over time --------------------------------------------------------------------------------


@register
@dataclass(frozen=True, kw_only=True)
class MetricsOverTimeSpec(Spec):
    """``dl.metrics_over_time``: metrics per ``freq`` window with alert bands."""

    kind = "metrics_over_time"
    lists = ("metrics",)
    implementation = "diaglab.queries.metrics_time:metrics_over_time"
    scope_fields = ("model", "version", "window", "where", "as_of", "threshold")
    renamed = _renamed("metric", "model_version", "k")
    windows = ("baseline",)
    columns = (["series", "window_start", "metric", "kind"], ["alert"], ["value"])

    freq: str = "1D"
    metrics: tuple[str, ...] | None = None
    by: str | None = None
    band_sigma: float = 3.0
    thresholds: Mapping[str, tuple[float | None, float | None]] | None = None
    baseline: Any = None
    estimate: bool = True
    bands_from: str = "baseline"
    calibrate_on: str = "baseline"
    confidence: float = 0.95
    tz: str = "UTC"
    week_start: str = "monday"


# -- explanations and single predictions ------------------------------------------------------


@register
@dataclass(frozen=True, kw_only=True)
class ExplainSpec(Spec):
    """``dl.explain``: SHAP values of one prediction, with its features in context."""

    kind = "explain"
    implementation = "diaglab.queries.explain:explain"
    scope_fields = ("model", "threshold")
    subject = ("prediction_id",)
    columns = (["feature"], [], ["shap"])

    prediction_id: str
    drift: bool | None = None

    options = ("trust", "cache")

    @classmethod
    def split(
        cls, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any], dict[str, Any]]:
        """A DriftReport passed as ``drift=`` is reused at run time (``drift_report``), not
        stored."""
        args, kwargs, options = super().split(args, kwargs)
        if kwargs.get("drift") is not None and not isinstance(kwargs["drift"], bool):
            options["drift_report"] = kwargs.pop("drift")
        return args, kwargs, options


@register
@dataclass(frozen=True, kw_only=True)
class ExplainWindowSpec(Spec):
    """``dl.explain_window``: mean |SHAP| per feature over a window's predictions."""

    kind = "explain_window"
    implementation = "diaglab.queries.explain:explain_window"
    scope_fields = WINDOWED
    renamed = _renamed("model_version")
    columns = (["prediction_id"], [], ["score", "base_value"])

    sample: int | None = 10_000

    options = ("trust",)


@register
@dataclass(frozen=True, kw_only=True)
class ExplanationDriftSpec(Spec):
    """``dl.explanation_drift``: feature importance per ``freq`` window and its rank changes."""

    kind = "explanation_drift"
    implementation = "diaglab.queries.explain:explanation_drift"
    scope_fields = ("model", "window", "where")
    columns = (["window_start", "model_version", "feature"], ["rank"], ["mean_abs_shap"])

    freq: str = "1W"
    sample: int | None = 10_000
    tz: str = "UTC"
    week_start: str = "monday"

    options = ("trust",)


@register
@dataclass(frozen=True, kw_only=True)
class WorstErrorsSpec(Spec):
    """``dl.worst_errors``: the most confident wrong predictions."""

    kind = "worst_errors"
    implementation = "diaglab.queries.worst_errors:worst_errors"
    scope_fields = THRESHOLDED
    renamed = _renamed("n")
    columns = (["prediction_id"], ["label"], ["score"])

    k: int = 20


@register
@dataclass(frozen=True, kw_only=True)
class NeighborsSpec(Spec):
    """``dl.neighbors``: the ``k`` nearest reference (or production) rows of a prediction."""

    kind = "neighbors"
    implementation = "diaglab.queries.neighbors:neighbors"
    subject = ("prediction_id",)
    columns = (["rank"], [], ["distance"])

    prediction_id: str
    k: int = 10
    among: str = "reference"

    options = ("trust",)


@register
@dataclass(frozen=True, kw_only=True)
class WhatIfSpec(Spec):
    """``dl.what_if``: the prediction again with some inputs changed."""

    kind = "what_if"
    implementation = "diaglab.queries.whatif:what_if"
    scope_fields = ("model", "threshold")
    subject = ("prediction_id", "changes")
    columns = (["feature"], [], ["shap"])

    prediction_id: str
    changes: Mapping[str, Any]

    options = ("trust",)


@register
@dataclass(frozen=True, kw_only=True)
class CounterfactualSpec(Spec):
    """``dl.counterfactual``: a small set of changes that flips the decision."""

    kind = "counterfactual"
    lists = ("immutable",)
    implementation = "diaglab.queries.whatif:counterfactual"
    scope_fields = ("model", "threshold")
    subject = ("prediction_id",)
    columns = (["feature"], [], ["score"])

    prediction_id: str
    target: float | None = None
    max_changes: int = 3
    immutable: tuple[str, ...] = ()

    options = ("trust",)


# -- traces -----------------------------------------------------------------------------------


@register
@dataclass(frozen=True, kw_only=True)
class TraceSpec(Spec):
    """``dl.trace``: one request's spans across the pipeline."""

    kind = "trace"
    implementation = "diaglab.queries.traces:trace"
    scope_fields = ()
    subject = ("trace_id",)
    columns = (["span_id"], ["name", "status"], ["duration_ms"])

    trace_id: str
    links: bool = True


@register
@dataclass(frozen=True, kw_only=True)
class SpanStatsSpec(Spec):
    """``dl.span_stats``: span latency and errors per name and ``freq`` window."""

    kind = "span_stats"
    lists = ("names",)
    implementation = "diaglab.queries.span_stats:span_stats"
    scope_fields = ("window",)
    columns = (["window_start", "name"], [], ["p95_ms"])

    freq: str = "1D"
    names: tuple[str, ...] | None = None
    top: int = 20
    tz: str = "UTC"
    week_start: str = "monday"


@register
@dataclass(frozen=True, kw_only=True)
class FindTracesSpec(Spec):
    """``dl.find_traces``: the slowest or failed traces, or those of a prediction."""

    kind = "find_traces"
    implementation = "diaglab.queries.trace_search:find_traces"
    scope_fields = ("model", "window")
    subject = ("by",)
    model_required = False
    columns = (["trace_id"], [], ["duration_ms"])

    by: str = "slowest"
    prediction_id: str | None = None
    name: str | None = None
    limit: int = 20


SPECS: tuple[type[Spec], ...] = tuple(
    cls
    for cls in (
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
    )
)
"""Every diagnostic's spec, in the order the docs list them."""


# -- decision thresholds and fairness ---------------------------------------------------------


@register
@dataclass(frozen=True, kw_only=True)
class ThresholdAnalysisSpec(Spec):
    """``dl.threshold_analysis``: precision, recall and cost at every threshold, per version."""

    kind = "threshold_analysis"
    implementation = "diaglab.queries.thresholds:threshold_analysis"
    scope_fields = THRESHOLDED
    columns = (["model_version", "threshold"], ["current"], ["precision", "recall", "cost"])

    bins: int = 100
    cost_fp: float = 1.0
    cost_fn: float = 1.0
    confidence: float = 0.95

    def table(self, result: Any) -> pd.DataFrame:
        """The threshold in use and the cheapest one per version first, then the grid."""
        t = result.table
        first = t[t["current"]]
        best = t.merge(result.best[["model_version", "threshold"]], how="inner")
        rest = t.drop(index=first.index)
        return pd.concat([first, best, rest]).drop_duplicates(
            ["model_version", "threshold"], ignore_index=True
        )


@register
@dataclass(frozen=True, kw_only=True)
class FairnessSpec(Spec):
    """``dl.fairness``: group metrics and disparities over sensitive features."""

    kind = "fairness"
    lists = ("sensitive", "metrics")
    implementation = "diaglab.queries.fairness:fairness"
    scope_fields = THRESHOLDED
    columns = (["sensitive", "measure"], ["within"], ["difference"])

    sensitive: tuple[str, ...]
    metrics: tuple[str, ...] | None = None
    reference_group: Any = "largest"
    min_support: int = 30
    max_difference: float = 0.1
    confidence: float = 0.95

    options = ("group_names",)


@register
@dataclass(frozen=True, kw_only=True)
class FairnessOverTimeSpec(Spec):
    """``dl.fairness_over_time``: disparity measures per ``freq`` window with alert bands."""

    kind = "fairness_over_time"
    lists = ("sensitive", "metrics")
    implementation = "diaglab.queries.fairness_time:fairness_over_time"
    scope_fields = THRESHOLDED
    windows = ("baseline",)
    renamed = _renamed("k")
    columns = (["sensitive", "measure", "window_start"], ["alert"], ["difference"])

    sensitive: tuple[str, ...]
    freq: str = "1D"
    metrics: tuple[str, ...] | None = None
    reference_group: Any = "largest"
    min_support: int = 30
    max_difference: float = 0.1
    band_sigma: float = 3.0
    bounds: Mapping[str, tuple[float | None, float | None]] | None = None
    baseline: Any = None
    confidence: float = 0.95
    tz: str = "UTC"
    week_start: str = "monday"

    options = ("group_names",)


SPECS = (*SPECS, ThresholdAnalysisSpec, FairnessSpec, FairnessOverTimeSpec)


# -- why a metric changed ---------------------------------------------------------------------


@register
@dataclass(frozen=True, kw_only=True)
class ExplainChangeSpec(Spec):
    """``dl.explain_change``: the change of a metric from ``reference`` to ``window``, by cause."""

    kind = "explain_change"
    lists = ("by",)
    implementation = "diaglab.queries.explain_change:explain_change"
    scope_fields = (*REFERENCED, "threshold")
    renamed = _renamed("metric", "model_version", "current")
    columns = (["part", "name"], [], ["value", "share"])

    metrics: str = "error"
    by: tuple[str, ...] | None = None
    k: int = 5
    sample: int = 5_000
    search: bool = True
    confidence: float = 0.95
    seed: int = 0


SPECS = (*SPECS, ExplainChangeSpec)
