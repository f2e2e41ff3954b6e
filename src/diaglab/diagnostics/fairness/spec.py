"""The specs of metrics and disparities across groups, and over time: their parameters, defaults and
claim columns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diaglab.specs.scope import THRESHOLDED, renames
from diaglab.specs.spec import Spec, register


@register
class FairnessSpec(Spec):
    """``dl.fairness``: group metrics and disparities over sensitive features."""

    kind = "fairness"
    lists = ("sensitive", "metrics")
    implementation = "diaglab.diagnostics.fairness.query:fairness"
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
class FairnessOverTimeSpec(Spec):
    """``dl.fairness_over_time``: disparity measures per ``freq`` window with alert bands."""

    kind = "fairness_over_time"
    lists = ("sensitive", "metrics")
    implementation = "diaglab.diagnostics.fairness.over_time:fairness_over_time"
    scope_fields = THRESHOLDED
    windows = ("baseline",)
    renamed = renames("k")
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
