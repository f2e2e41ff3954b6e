"""The specs of why a metric changed between two periods: their parameters, defaults and claim
columns."""

from __future__ import annotations

from diaglab.specs.scope import REFERENCED, renames
from diaglab.specs.spec import Spec, register


@register
class ExplainChangeSpec(Spec):
    """``dl.explain_change``: the change of a metric from ``reference`` to ``window``, by cause."""

    kind = "explain_change"
    lists = ("by",)
    implementation = "diaglab.diagnostics.change.query:explain_change"
    scope_fields = (*REFERENCED, "threshold")
    renamed = renames("metric", "model_version", "current")
    columns = (["part", "name"], [], ["value", "share"])

    metrics: str = "error"
    by: tuple[str, ...] | None = None
    k: int = 5
    sample: int = 5_000
    search: bool = True
    confidence: float = 0.95
    seed: int = 0
