"""The specs of metrics over time with alert bands: their parameters, defaults and claim columns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diaglab.specs.scope import renames
from diaglab.specs.spec import Spec, register


@register
class MetricsOverTimeSpec(Spec):
    """``dl.metrics_over_time``: metrics per ``freq`` window with alert bands."""

    kind = "metrics_over_time"
    lists = ("metrics",)
    implementation = "diaglab.diagnostics.metrics.query:metrics_over_time"
    scope_fields = ("model", "version", "window", "where", "as_of", "threshold")
    renamed = renames("metric", "model_version", "k")
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
