"""The specs of metrics per slice and the slices where the model is worst: their parameters,
defaults and claim columns."""

from __future__ import annotations

from typing import Any

from diaglab.specs.scope import THRESHOLDED, renames
from diaglab.specs.spec import Columns, Spec, register


@register
class SliceMetricsSpec(Spec):
    """``dl.slice_metrics``: metrics per value (or bin) of ``by``, with intervals."""

    kind = "slice_metrics"
    lists = ("by", "metrics")
    implementation = "diaglab.diagnostics.slices.query:slice_metrics"
    scope_fields = THRESHOLDED
    subject = ("by",)
    renamed = renames("metric", "model_version")

    by: tuple[str, ...]
    metrics: tuple[str, ...] | None = None
    bins: Any = None
    other_threshold: float = 0.01
    confidence: float = 0.95

    def claim_columns(self) -> Columns:
        return ["slice"], [], list(self.metrics or [])


@register
class FindSlicesSpec(Spec):
    """``dl.find_slices``: the slices where ``metrics`` is worst (or got worst, ``compare``)."""

    kind = "find_slices"
    lists = ("features",)
    implementation = "diaglab.diagnostics.slices.search:find_slices"
    scope_fields = THRESHOLDED
    renamed = renames("metric", "model_version")
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
