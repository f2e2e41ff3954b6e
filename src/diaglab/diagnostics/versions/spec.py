"""The specs of two model versions compared on the same traffic: their parameters, defaults and
claim columns."""

from __future__ import annotations

from diaglab.specs.scope import renames
from diaglab.specs.spec import Spec, register


@register
class CompareVersionsSpec(Spec):
    """``dl.compare_versions``: version ``b`` against ``a`` on the same window and slice."""

    kind = "compare_versions"
    lists = ("metrics",)
    implementation = "diaglab.diagnostics.versions.query:compare_versions"
    scope_fields = ("model", "window", "where", "threshold")
    subject = ("a", "b")
    renamed = renames("metric")
    columns = (["metric"], [], ["value_a", "value_b"])

    a: str
    b: str
    metrics: tuple[str, ...] | None = None
    confidence: float = 0.95
