"""The specs of a request's trace, span statistics and trace search: their parameters, defaults and
claim columns."""

from __future__ import annotations

from diaglab.specs.spec import Spec, register


@register
class TraceSpec(Spec):
    """``dl.trace``: one request's spans across the pipeline."""

    kind = "trace"
    implementation = "diaglab.diagnostics.traces.query:trace"
    scope_fields = ()
    subject = ("trace_id",)
    columns = (["span_id"], ["name", "status"], ["duration_ms"])

    trace_id: str
    links: bool = True


@register
class SpanStatsSpec(Spec):
    """``dl.span_stats``: span latency and errors per name and ``freq`` window."""

    kind = "span_stats"
    lists = ("names",)
    implementation = "diaglab.diagnostics.traces.span_stats:span_stats"
    scope_fields = ("window",)
    columns = (["window_start", "name"], [], ["p95_ms"])

    freq: str = "1D"
    names: tuple[str, ...] | None = None
    top: int = 20
    tz: str = "UTC"
    week_start: str = "monday"


@register
class FindTracesSpec(Spec):
    """``dl.find_traces``: the slowest or failed traces, or those of a prediction."""

    kind = "find_traces"
    implementation = "diaglab.diagnostics.traces.search:find_traces"
    scope_fields = ("model", "window")
    subject = ("by",)
    model_required = False
    columns = (["trace_id"], [], ["duration_ms"])

    by: str = "slowest"
    prediction_id: str | None = None
    name: str | None = None
    limit: int = 20
