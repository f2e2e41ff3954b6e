"""The specs of drift of each feature, drift over time, the domain classifier and drift's impact:
their parameters, defaults and claim columns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diaglab.specs.scope import REFERENCED, renames
from diaglab.specs.spec import Spec, register


@register
class DriftSpec(Spec):
    """``dl.drift``: each feature, the prediction and the label against the reference."""

    kind = "drift"
    lists = ("features",)
    implementation = "diaglab.diagnostics.drift.query:drift"
    scope_fields = (*REFERENCED, "threshold")
    renamed = renames("current", "model_version")
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
class DriftOverTimeSpec(Spec):
    """``dl.drift_over_time``: the drift statistic per ``freq`` window, with alert bands."""

    kind = "drift_over_time"
    lists = ("features",)
    implementation = "diaglab.diagnostics.drift.over_time:drift_over_time"
    scope_fields = REFERENCED
    renamed = renames("current", "model_version", "k")
    columns = (["feature", "window_start"], ["alert"], ["value"])

    freq: str = "1D"
    statistic: str = "psi"
    features: tuple[str, ...] | None = None
    band_sigma: float = 3.0
    seed: int = 0
    tz: str = "UTC"
    week_start: str = "monday"


@register
class DomainClassifierSpec(Spec):
    """``dl.domain_classifier``: how well a classifier tells the window from the reference."""

    kind = "domain_classifier"
    implementation = "diaglab.diagnostics.drift.impact:domain_classifier"
    scope_fields = REFERENCED
    renamed = renames("current", "model_version")
    columns = (["statistic"], ["drifted"], ["value"])

    sample: int = 10_000
    folds: int = 5
    seed: int = 0


@register
class DriftImpactSpec(Spec):
    """``dl.drift_impact``: how much each drifted feature moves the model's output."""

    kind = "drift_impact"
    implementation = "diaglab.diagnostics.drift.impact:drift_impact"
    scope_fields = REFERENCED
    renamed = renames("current", "model_version")
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
