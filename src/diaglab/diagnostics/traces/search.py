"""Finding traces worth opening: the slowest, the failed, or the one behind a prediction id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from diaglab.diagnostics.traces.query import trace
from diaglab.errors import InputError, UnknownNameError, unknown
from diaglab.queries.result import Result
from diaglab.queries.window import Window

if TYPE_CHECKING:
    from diaglab.diagnostics.traces.spec import FindTracesSpec

FIND = ("slowest", "failed", "prediction")


@dataclass(frozen=True, kw_only=True, repr=False)
class FoundTraces(Result):
    """Traces worth opening (``dl.find_traces``): ``table`` has ``trace_id``, ``name`` (of the
    root), ``start``, ``duration_ms``, ``status``, ``errors`` (error spans in the trace; for
    ``"failed"``), and ``prediction_id`` for ``"prediction"``; ``by`` says how they were found."""

    table: pd.DataFrame
    by: str


def window_filter(spans: Any, window: Window) -> Any:
    if window.start is not None:
        spans = spans.filter(spans.start_ns >= int(window.start.value))
    if window.end is not None:
        spans = spans.filter(spans.start_ns < int(window.end.value))
    return spans


def find_traces(store: Any, spec: FindTracesSpec) -> FoundTraces:
    """Traces worth opening, one row each: the slowest, the failed, or a prediction's.

    Parameters
    ----------
    by : {"slowest", "failed", "prediction"}
        ``"slowest"``: root spans by duration; ``"failed"``: traces with an error span, newest
        first; ``"prediction"``: the trace logged with ``prediction_id`` (of ``model``, or of any
        model).
    name : str, optional
        Only root spans of this name (``"slowest"``).
    window : dl.Window or (start, end), optional
        Only traces whose root starts in it.

    Returns
    -------
    FoundTraces
    """
    by, prediction_id, model, name = spec.by, spec.prediction_id, spec.scope.model, spec.name
    window, limit = spec.scope.window, spec.limit
    if by not in FIND:
        raise unknown("way to find traces", by, FIND)
    if not isinstance(limit, int) or limit < 1:
        raise InputError(f"limit must be a positive integer, got {limit!r}")
    spans = window_filter(store.spans(), Window.of(window))
    if by == "prediction":
        return FoundTraces(table=_by_prediction(store, prediction_id, model), by=by)
    if by == "slowest":
        roots = spans.filter(spans.parent_span_id.isnull())
        if name is not None:
            roots = roots.filter(roots.name == name)
        expr = (
            roots.mutate(duration_ms=(roots.end_ns - roots.start_ns).cast("float64") / 1e6)
            .order_by([ibis.desc("duration_ms"), "trace_id"])
            .limit(limit)
            .select("trace_id", "name", "start_ns", "duration_ms", "status")
        )
        df = store.ibis.to_pyarrow(expr).to_pandas()
    else:
        failed = (
            spans.group_by("trace_id")
            .aggregate(
                errors=(spans.status == "error").cast("int64").sum(),
                start_ns=spans.start_ns.min(),
                end_ns=spans.end_ns.max(),
                name=spans.name.argmin(spans.start_ns),
                message=spans.status_message.max(),
            )
            .filter(lambda t: t.errors > 0)
        )
        expr = (
            failed.mutate(duration_ms=(failed.end_ns - failed.start_ns).cast("float64") / 1e6)
            .order_by([ibis.desc("start_ns"), "trace_id"])
            .limit(limit)
            .select("trace_id", "name", "start_ns", "duration_ms", "errors", "message")
        )
        df = store.ibis.to_pyarrow(expr).to_pandas()
        df["status"] = "error"
    df.insert(2, "start", pd.to_datetime(df.pop("start_ns"), unit="ns", utc=True))
    df["status"] = df["status"].fillna("unset")
    return FoundTraces(table=df.reset_index(drop=True), by=by)


def _by_prediction(store: Any, prediction_id: Any, model: str | None) -> pd.DataFrame:
    if prediction_id is None or not str(prediction_id).strip():
        raise InputError("find_traces(by='prediction') needs prediction_id=...")
    pid = str(prediction_id).strip()
    models = [model] if model is not None else store.models()
    for m in models:
        t = store.table(m)
        row = store.ibis.to_pyarrow(
            t.filter(t.prediction_id == pid).select("trace_id", "timestamp").limit(1)
        ).to_pylist()
        if not row:
            continue
        tid = row[0]["trace_id"]
        if tid is None:
            raise UnknownNameError(
                f"prediction {pid!r} of model {m!r} was logged without a trace id"
            )
        from diaglab.diagnostics.traces.spec import TraceSpec

        t_ = trace(store, TraceSpec(trace_id=tid, links=False))
        root = t_.spans.iloc[0]
        return pd.DataFrame(
            {
                "trace_id": [tid],
                "name": [root["name"]],
                "start": [root["start"]],
                "duration_ms": [t_.duration_ms],
                "status": ["error" if t_.errors else "ok"],
                "errors": [len(t_.errors)],
                "prediction_id": [pid],
            }
        )
    raise UnknownNameError(
        f"unknown prediction id {pid!r} (looked in model(s): {', '.join(models) or 'none'})"
    )


__all__ = ["FIND", "FoundTraces", "find_traces", "window_filter"]
