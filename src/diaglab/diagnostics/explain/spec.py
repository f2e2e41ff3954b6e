"""The specs of one prediction explained, its neighbours, what-if and counterfactuals, the worst
errors: their parameters, defaults and claim columns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diaglab.specs.scope import THRESHOLDED, WINDOWED, renames
from diaglab.specs.spec import Spec, register


@register
class ExplainSpec(Spec):
    """``dl.explain``: SHAP values of one prediction, with its features in context."""

    kind = "explain"
    implementation = "diaglab.diagnostics.explain.query:explain"
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
class ExplainWindowSpec(Spec):
    """``dl.explain_window``: mean |SHAP| per feature over a window's predictions."""

    kind = "explain_window"
    implementation = "diaglab.diagnostics.explain.query:explain_window"
    scope_fields = WINDOWED
    renamed = renames("model_version")
    columns = (["prediction_id"], [], ["score", "base_value"])

    sample: int | None = 10_000

    options = ("trust",)


@register
class ExplanationDriftSpec(Spec):
    """``dl.explanation_drift``: feature importance per ``freq`` window and its rank changes."""

    kind = "explanation_drift"
    implementation = "diaglab.diagnostics.explain.query:explanation_drift"
    scope_fields = ("model", "window", "where")
    columns = (["window_start", "model_version", "feature"], ["rank"], ["mean_abs_shap"])

    freq: str = "1W"
    sample: int | None = 10_000
    tz: str = "UTC"
    week_start: str = "monday"

    options = ("trust",)


@register
class WorstErrorsSpec(Spec):
    """``dl.worst_errors``: the most confident wrong predictions."""

    kind = "worst_errors"
    implementation = "diaglab.diagnostics.explain.worst_errors:worst_errors"
    scope_fields = THRESHOLDED
    renamed = renames("n")
    columns = (["prediction_id"], ["label"], ["score"])

    k: int = 20


@register
class NeighborsSpec(Spec):
    """``dl.neighbors``: the ``k`` nearest reference (or production) rows of a prediction."""

    kind = "neighbors"
    implementation = "diaglab.diagnostics.explain.neighbors:neighbors"
    subject = ("prediction_id",)
    columns = (["rank"], [], ["distance"])

    prediction_id: str
    k: int = 10
    among: str = "reference"

    options = ("trust",)


@register
class WhatIfSpec(Spec):
    """``dl.what_if``: the prediction again with some inputs changed."""

    kind = "what_if"
    implementation = "diaglab.diagnostics.explain.whatif:what_if"
    scope_fields = ("model", "threshold")
    subject = ("prediction_id", "changes")
    columns = (["feature"], [], ["shap"])

    prediction_id: str
    changes: Mapping[str, Any]

    options = ("trust",)


@register
class CounterfactualSpec(Spec):
    """``dl.counterfactual``: a small set of changes that flips the decision."""

    kind = "counterfactual"
    lists = ("immutable",)
    implementation = "diaglab.diagnostics.explain.whatif:counterfactual"
    scope_fields = ("model", "threshold")
    subject = ("prediction_id",)
    columns = (["feature"], [], ["score"])

    prediction_id: str
    target: float | None = None
    max_changes: int = 3
    immutable: tuple[str, ...] = ()

    options = ("trust",)
